"""A disk sound throughout on the device page: said in a line, its chart drawn on demand. Two
flat temperature lines and their data were ~36 KB of a long history's page; a disk with a story
(a counter above 0, FAILED once, hot, its temperature swinging) keeps its charts."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from benchsite.tests.chart_titles import page_titles
from insights.models import AttentionItem
from inventory.models import Device

RUNS = 6


def _history(submit, example, reading) -> str:
    """RUNS weekly runs of the example machine, its /dev/sda's k-th reading `reading(k)`; the
    device page's URL."""
    disks = example["hardware"]["storage"]["devices"]
    started = timezone.now() - timedelta(weeks=RUNS)
    for k in range(RUNS):
        disks[0]["temperature_c"] = 40 + k % 3  # the NVMe disk: sound throughout
        disks[1].update({"reallocated_sectors": 0, "pending_sectors": 0, **reading(k)})
        at = started + timedelta(weeks=k)
        example["results"]["conditions"] = {"started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        example["submission_id"] = str(uuid.uuid4())
        response = submit(example)
        assert response.status_code == 201, response.content
    return f"/admin/inventory/device/{response.json()['device_id']}/change/"


def _position(html: str, name: str) -> str:
    """The position of the disk named `name` in the SMART history (its tables' anchor)."""
    return re.search(
        rf'<table class="bt-table bt-smart" id="smart-(\d+)"[^>]*>\s*<caption>{name}', html
    )[1]


def test_a_disk_sound_throughout_is_said_in_a_line_its_chart_a_click_away(
    admin_client, submit, example
):
    url = _history(submit, example, lambda k: {"temperature_c": 33 + k % 5})
    html = admin_client.get(url).content.decode()

    sda, nvme = _position(html, "/dev/sda"), _position(html, "/dev/nvme0n1")
    said = html.split(f'id="smart-{sda}-sound">', 1)[1].split("</p>", 1)[0]
    assert said.startswith(
        f"Sound throughout: PASSED in all {RUNS} readings, 33–37 °C, "
        "no reallocated or pending sector."
    ), said
    # the NVMe disk read no counter: none named
    nvme_said = html.split(f'id="smart-{nvme}-sound">', 1)[1].split("</p>", 1)[0]
    assert nvme_said.startswith(f"Sound throughout: PASSED in all {RUNS} readings, 40–42 °C.")
    assert "bt-chart-wrap" in html  # the score history's chart
    assert 'id="smart-' not in "".join(re.findall(r'<div class="bt-chart-wrap"[^>]*>', html))
    link = re.search(r'<a href="([^"]*)">Draw its temperature chart</a>', said)[1]
    assert link == f"?all=charts#smart-{sda}-temperature"

    drawn = admin_client.get(url + link.split("#")[0]).content.decode()
    for position in (sda, nvme):
        assert len(page_titles(drawn, f"smart-{position}-temperature")) == RUNS
        # its data a click away on it, as every chart's
        assert f'id="smart-{position}-temperature-data"' in drawn
    assert "Draw its temperature chart" not in drawn
    assert "without them</a>" in drawn.split('id="smart-spans"', 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize(
    "story",
    [
        {"reallocated_sectors": 1},  # one counter above 0, once
        {"smart_health": "FAILED"},
        {"temperature_c": 61},  # hot (DISK_HOT_C 60)
        {"temperature_c": 52},  # 33-52 °C: a swing, not a narrow band
    ],
    ids=["counter", "failed", "hot", "swinging"],
)
def test_a_disk_with_a_story_keeps_its_chart_drawn(admin_client, submit, example, story):
    url = _history(
        submit,
        example,
        lambda k: {"temperature_c": 33 + k % 3, **(story if k == RUNS // 2 else {})},
    )
    html = admin_client.get(url).content.decode()

    sda = _position(html, "/dev/sda")
    assert len(page_titles(html, f"smart-{sda}-temperature")) == RUNS
    assert f'id="smart-{sda}-sound"' not in html
    # the sound NVMe disk beside it is said in a line
    assert f'id="smart-{_position(html, "/dev/nvme0n1")}-sound"' in html


def test_a_disk_with_an_open_item_is_never_said_sound_throughout(admin_client, submit, example):
    """Readings sound in the window, but an item of its still open (pending sectors seen once,
    before the readings shown, not acknowledged): its table and charts stay, and no line says
    "Sound throughout" against the open item."""
    url = _history(submit, example, lambda k: {"temperature_c": 33 + k % 5})
    AttentionItem.objects.create(
        device=Device.objects.get(),
        kind="smart_degrading",
        severity="critical",
        disk="WD-WCC7K1234567",
        message="pending sectors 0 → 1",
    )
    html = admin_client.get(url).content.decode()

    sda, nvme = _position(html, "/dev/sda"), _position(html, "/dev/nvme0n1")
    assert f'id="smart-{sda}-sound"' not in html
    assert f'id="smart-{sda}-temperature"' in html  # its chart drawn, as a disk with a story's
    assert f'id="smart-{nvme}-sound"' in html  # the other disk, sound, said so still


def test_a_disk_read_once_is_not_said_sound_throughout(admin_client, submit, example):
    """One reading tells nothing of "throughout" (a machine's first run): its table alone, no
    "PASSED in all 1 readings" line, and no chart to draw on demand."""
    example["hardware"]["storage"]["devices"][1].update(temperature_c=35, reallocated_sectors=0)
    response = submit(example)
    assert response.status_code == 201, response.content
    html = admin_client.get(f"/admin/inventory/device/{response.json()['device_id']}/change/")
    html = html.content.decode()

    sda = _position(html, "/dev/sda")
    assert "Sound throughout" not in html and "Draw its temperature chart" not in html
    assert f'id="smart-{sda}-sound"' not in html


def test_a_sas_disk_that_says_ok_throughout_is_said_sound(admin_client, submit, example):
    """smartctl says a SAS disk's health "OK", not "PASSED": sound all the same."""
    url = _history(submit, example, lambda k: {"temperature_c": 33 + k % 5, "smart_health": "OK"})
    html = admin_client.get(url).content.decode()

    said = html.split(f'id="smart-{_position(html, "/dev/sda")}-sound">', 1)[1]
    assert said.startswith(f"Sound throughout: OK in all {RUNS} readings, 33–37 °C, "), said


def test_a_disk_within_ten_degrees_is_sound_eleven_is_a_swing(admin_client, submit, example):
    url = _history(submit, example, lambda k: {"temperature_c": 33 + 10 * (k % 2)})
    html = admin_client.get(url).content.decode()
    said = html.split(f'id="smart-{_position(html, "/dev/sda")}-sound">', 1)[1]
    assert said.startswith(f"Sound throughout: PASSED in all {RUNS} readings, 33–43 °C, "), said

    url = _history(submit, example, lambda k: {"temperature_c": 33 + 11 * (k % 2)})
    html = admin_client.get(url).content.decode()
    assert f'id="smart-{_position(html, "/dev/sda")}-sound"' not in html
