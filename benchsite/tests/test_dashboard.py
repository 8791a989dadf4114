"""The admin index is the fleet dashboard."""

import copy
import datetime
import os
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.models import Benchmark
from benchmarks.tests.factories import BenchmarkFactory
from inventory.models import Device
from inventory.schema import CATEGORY_NAMES
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def ranking_hostnames(html: str) -> list[str]:
    table = html.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'data-hostname="([^"]+)"', table)


def test_dashboard_ranks_devices_by_latest_global_score(admin_client):
    BenchmarkFactory(device__hostname="middle", cpu_score=150.0)
    BenchmarkFactory(device__hostname="best", cpu_score=900.0)
    BenchmarkFactory(device__hostname="worst", cpu_score=5.0)
    DeviceFactory(hostname="never-run")
    # an old, better run of "worst" does not count: only the latest does
    BenchmarkFactory(
        device=BenchmarkFactory(device__hostname="fallen", cpu_score=1.0).device,
        cpu_score=5000.0,
        run_at=timezone.now() - timezone.timedelta(days=30),
        latest=False,
    )

    html = admin_client.get("/admin/").content.decode()

    assert ranking_hostnames(html) == ["best", "middle", "worst", "fallen"]


def test_dashboard_shows_fleet_stats_and_recent_submissions(admin_client, submit, example):
    submit(example)
    DeviceFactory()

    html = admin_client.get("/admin/").content.decode()

    assert re.search(r'id="stat-devices">2<', html)
    assert re.search(r'id="stat-benchmarks">1<', html)
    assert re.search(r'id="stat-average">105\.7<', html)  # 105.65 shown with one decimal
    recent = html.split('id="recent-submissions-module"', 1)[1].split("</ul>", 1)[0]
    assert "elitedesk-800g3" in recent
    assert re.search(r'id="stat-last">just now<', html)  # not "0 minutes ago"


def test_dashboard_dates_each_figure_by_the_run_it_comes_from(admin_client, submit, example):
    def at(days: float) -> str:
        return (timezone.now() - timezone.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    example["results"]["conditions"] = {"started_at": at(2)}
    valid = submit(example).json()
    example["submission_id"] = str(uuid.uuid4())
    example["results"]["conditions"] = {"started_at": at(0.01), "cpu_busy_percent": 70.0}
    submit(example)  # suspect: the device stays ranked by the run of two days ago
    replay = copy.deepcopy(example)
    replay.update(device_identifier="replayed", submission_id=str(uuid.uuid4()))
    replay["hardware"]["system"] = {}
    replay["results"]["conditions"] = {"started_at": at(5)}  # a capture sent today
    submit(replay)

    html = admin_client.get("/admin/").content.decode()

    run_at = Benchmark.objects.get(pk=valid["benchmark_id"]).run_at
    row = html.split('data-hostname="elitedesk-800g3"', 1)[1].split("</tr>", 1)[0]
    assert timezone.localtime(run_at).strftime("%Y-%m-%d %H:%M") in row
    recent = html.split('id="recent-submissions-module"', 1)[1].split("</ul>", 1)[0]
    # as they arrived: the replayed capture last, although it ran five days ago
    assert re.findall(r">([\w-]+)</a>", recent) == [
        "replayed",
        "elitedesk-800g3",
        "elitedesk-800g3",
    ]
    assert "suspect" in recent.split("</li>")[1]  # the busy run says so
    assert re.search(r'id="stat-last">just now<', html)


def test_how_long_ago_reads_as_people_say_it():
    from benchsite.templatetags.humanize_scores import ago

    now = timezone.now()
    assert ago(now - timezone.timedelta(seconds=20)) == "just now"
    assert ago(now - timezone.timedelta(hours=3, minutes=5)) == "3\xa0hours, 5\xa0minutes ago"
    assert ago(None) == "never"


@pytest.mark.parametrize(
    ("model", "short"),
    [
        ("Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz", "Intel Core i7-6700"),
        ("11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", "Intel Core i7-1165G7"),
        ("AMD Ryzen 9 7950X 16-Core Processor", "AMD Ryzen 9 7950X"),
        ("Intel(R) Xeon(R) E-2236 CPU @ 3.40GHz", "Intel Xeon E-2236"),
        ("ARMv8 Processor rev 1 (v8l)", "ARMv8 rev 1 (v8l)"),
        ("Processor", "Processor"),  # nothing left: the model as it is
    ],
)
def test_a_cpu_model_for_a_narrow_column_keeps_what_tells_it_apart(model, short):
    from benchsite.templatetags.humanize_scores import cpu_short

    assert cpu_short(model) == short


def test_dashboard_offers_the_bench_command_for_this_server(admin_client):
    html = admin_client.get("/admin/", HTTP_HOST="bench.lan:8007").content.decode()
    assert (
        "curl -fsSL http://bench.lan:8007/bench.sh | sudo bash -s -- "
        "--server http://bench.lan:8007/api/benchmark --token YOUR_TOKEN"
    ) in html
    assert 'data-copy-target="bench-command"' in html
    assert 'id="bench-loopback"' not in html
    # where the API_TOKEN to put in it is, once scripts/serve's first start has scrolled away
    assert (
        '<span id="api-token-where">in the <code>.env</code> beside its <code>manage.py</code>, '
        "or its environment</span>"
    ) in html
    # the sudo of the one-liner fails on a root shell without it (Proxmox VE): said under it
    assert (
        "Already root, with no sudo (Proxmox VE, Debian with a root password)? Leave out sudo."
        in html
    )


def test_the_bench_command_uses_site_url_and_warns_of_a_loopback_address(admin_client, settings):
    html = admin_client.get("/admin/", HTTP_HOST="localhost:8007").content.decode()
    assert "--server http://localhost:8007/api/benchmark" in html
    assert 'id="bench-loopback"' in html  # a command no other machine can use, said so
    assert (
        'id="bench-loopback"'
        in admin_client.get("/admin/", HTTP_HOST="127.0.0.1:8007").content.decode()
    )

    settings.SITE_URL = "http://bench.lan:8007"
    html = admin_client.get("/admin/", HTTP_HOST="localhost:8007").content.decode()
    assert "curl -fsSL http://bench.lan:8007/bench.sh" in html
    assert "--server http://bench.lan:8007/api/benchmark" in html
    assert 'id="bench-loopback"' not in html


def test_the_bench_command_says_which_iperf3_server_measures_the_network(admin_client, settings):
    def note() -> str:
        html = admin_client.get("/admin/", HTTP_HOST="bench.lan:8007").content.decode()
        said = re.search(r'<p class="help" id="bench-iperf-note">(.*?)</p>', html, re.S)[1]
        return re.sub(r"<[^>]+>", "", said)

    assert note().startswith("Add --iperf-server HOST to measure the network against an iperf3")
    assert "(or set IPERF_SERVER on this server for every run)" in note()
    settings.IPERF_SERVER = "bench.lan"
    assert note().startswith(
        "Every run measures its network against the iperf3 server bench.lan (the server's "
        "IPERF_SERVER); add --iperf-server HOST for another"
    )


def test_the_bench_command_says_how_to_keep_a_machine_benchmarked(admin_client):
    """bench.sh --schedule: the one-liner once, and the machine runs again on its own."""
    html = admin_client.get("/admin/", HTTP_HOST="bench.lan:8007").content.decode()
    said = re.search(r'<p class="help" id="bench-schedule-note">(.*?)</p>', html, re.S)[1]
    said = re.sub(r"<[^>]+>", "", said)
    assert said.startswith("To keep the machine benchmarked, add --schedule weekly")
    assert "--unschedule stops it" in said


def test_a_site_url_on_the_loopback_is_said_to_be_the_address_to_change(admin_client, settings):
    """SITE_URL=http://127.0.0.1:8007 was answered "… or set SITE_URL", as if it were not set."""
    settings.SITE_URL = "http://127.0.0.1:8007"
    html = admin_client.get("/admin/", HTTP_HOST="bench.lan:8007").content.decode()
    note = re.search(r'<p class="errornote" id="bench-loopback">(.*?)</p>', html, re.S)[1]
    assert note.startswith("<code>SITE_URL</code> is this server's own loopback")
    assert "Set it to the server's network name or address" in note and "or set" not in note


def test_dashboard_of_an_empty_fleet_explains_what_to_do(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "No benchmark yet" in html


def test_dashboard_query_count_does_not_grow_with_the_fleet(
    admin_client, django_assert_max_num_queries
):
    for i in range(60):
        BenchmarkFactory(device__hostname=f"h{i:02d}")
    admin_client.get("/admin/")  # warm the session
    # session + user, open attention items, 2 stats aggregates, ranking, the devices it leaves
    # out, the machines gone quiet (none: they all ran now), the hardware changes (none), the
    # disks near the end of their life (none), recent, admin log, the last backup
    with django_assert_max_num_queries(13):
        response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert len(ranking_hostnames(response.content.decode())) == 50


def test_dashboard_needs_a_staff_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("changelist", "what"),
    [
        ("inventory/device", "devices"),
        ("benchmarks/benchmark", "benchmarks"),
        ("inventory/hardwaresnapshot", "snapshots"),
    ],
)
def test_admin_exports_a_selection_as_csv(admin_client, changelist, what):
    import csv
    import io

    chosen = BenchmarkFactory(device__hostname="chosen")
    BenchmarkFactory(device__hostname="left-out")
    pk = {"devices": chosen.device_id, "benchmarks": chosen.pk, "snapshots": chosen.snapshot_id}[
        what
    ]

    response = admin_client.post(
        f"/admin/{changelist}/", {"action": "export_csv", "_selected_action": [pk]}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"benchtools-{what}-" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbfid,")  # the BOM a spreadsheet needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == [str(pk)]


def test_the_admins_csv_keeps_formula_like_text_as_text_and_imports_back(admin_client, tmp_path):
    """A machine may name itself =HYPERLINK(…): in the admin's download (for a spreadsheet) it
    is text, behind the apostrophe spreadsheets hide; the import reads the value back."""
    import csv
    import io

    from django.core.management import call_command

    hostile = DeviceFactory(hostname='=HYPERLINK("http://x","y")', location="-2 basement")
    plain = DeviceFactory(hostname="nas", location="lab")

    response = admin_client.post(
        "/admin/inventory/device/",
        {"action": "export_csv", "_selected_action": [hostile.pk, plain.pk]},
    )

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(body))}
    assert rows[str(hostile.pk)]["hostname"] == '\'=HYPERLINK("http://x","y")'
    assert rows[str(hostile.pk)]["location"] == "'-2 basement"
    assert rows[str(plain.pk)]["hostname"] == "nas" and rows[str(plain.pk)]["location"] == "lab"
    path = tmp_path / "devices.csv"
    path.write_text(body)
    out = io.StringIO()
    call_command("import_devices", str(path), "--dry-run", stdout=out)
    assert "2 unchanged" in out.getvalue()


def test_export_action_is_not_offered_on_unrelated_models(admin_client):
    html = admin_client.get("/admin/benchsite/apitoken/").content.decode()
    assert "export_csv" not in html


def ranking_row(html: str, hostname: str) -> str:
    table = html.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    return table.split(f'data-hostname="{hostname}"', 1)[1].split("</tr>", 1)[0]


def test_a_device_ranked_by_a_suspect_run_is_badged_with_its_reasons(admin_client):
    BenchmarkFactory(
        device__hostname="hot",
        validity="suspect",
        validity_reasons=["throttled", "busy"],
    )
    BenchmarkFactory(device__hostname="cool")

    html = admin_client.get("/admin/").content.decode()

    assert "suspect: CPU throttled, machine busy" in ranking_row(html, "hot")
    assert "suspect" not in ranking_row(html, "cool")
    # the heading says that a machine with no valid run is ranked by its latest
    heading = html.split('id="ranking-title"', 1)[1].split("</h2>", 1)[0]
    assert "latest valid run, else its latest, marked suspect" in heading


def test_the_ranking_heading_names_valid_runs_alone_when_every_machine_has_one(admin_client):
    BenchmarkFactory(device__hostname="cool")

    html = admin_client.get("/admin/").content.decode()

    heading = html.split('id="ranking-title"', 1)[1].split("</h2>", 1)[0]
    assert "of each machine's latest valid run<" in heading


def test_a_machine_ranked_by_a_suspect_run_keeps_its_badge_after_an_inventory_only_run(
    admin_client, submit
):
    """A run measured busy (suspect), then a valid run without scores (every benchmark
    skipped): the ranking kept the suspect run's figures, but its badge went, as the latest
    run was valid."""
    submit(
        {
            "device_identifier": "vm",
            "results": {"cpu": {"score": 150.0}, "conditions": {"cpu_busy_percent": 80}},
        }
    )
    submit({"device_identifier": "vm", "results": {"cpu": None}})
    submit({"device_identifier": "fine", "results": {"cpu": {"score": 100.0}}})

    html = admin_client.get("/admin/").content.decode()

    assert "150.0" in ranking_row(html, "vm")
    assert "suspect: machine busy" in ranking_row(html, "vm")
    assert "suspect" not in ranking_row(html, "fine")


def test_a_newer_suspect_run_is_noted_while_the_valid_one_ranks(admin_client):
    earlier = BenchmarkFactory(
        device__hostname="nas", cpu_score=100.0, run_at=timezone.now() - timezone.timedelta(days=1)
    )
    BenchmarkFactory(
        device=earlier.device, cpu_score=10.0, validity="suspect", validity_reasons=["steal"]
    )

    row = ranking_row(admin_client.get("/admin/").content.decode(), "nas")

    assert "newer run not counted: CPU stolen by the VM host" in row
    # the device list: the day of the newest run, its badge, and whose scores these are
    devices = admin_client.get("/admin/inventory/device/").content.decode()
    cell = re.search(r'<td class="field-last_run">(.*?)</td>', devices, flags=re.S)[1]
    day = timezone.localtime(earlier.run_at).strftime("%Y-%m-%d")
    assert "suspect: CPU stolen by the VM host" in cell
    assert f">not counted: scores of {day}</span>" in cell

    assert "100.0" in row and "10.0" not in row


def test_a_suspect_run_that_ranks_is_not_said_not_counted(admin_client):
    BenchmarkFactory(device__hostname="vm", validity="suspect", validity_reasons=["steal"])

    devices = admin_client.get("/admin/inventory/device/").content.decode()

    cell = re.search(r'<td class="field-last_run">(.*?)</td>', devices, flags=re.S)[1]
    assert "suspect: CPU stolen by the VM host" in cell and "not counted" not in cell


def test_a_failing_disk_is_the_first_thing_on_the_dashboard(admin_client, submit, example):
    example["hardware"]["storage"]["devices"][1]["smart_health"] = "FAILED"
    example["hardware"]["storage"]["devices"][0]["temperature_c"] = 61
    submit(example)

    html = admin_client.get("/admin/").content.decode()

    panel = html.split('id="attention"', 1)[1].split("</ul>", 1)[0]
    assert html.index('id="attention"') < html.index('id="ranking"')
    kinds = re.findall(r'data-kind="([a-z_]+)"', panel)
    assert kinds == ["smart_failing", "disk_hot"]  # critical first, the warnings by kind
    assert "disk /dev/sda WD40EFRX (WD-WCC7K1234567) reports SMART FAILED" in panel
    assert re.search(r"Disk hot: <a [^>]+>1 machine</a> —\s*<a [^>]+>elitedesk-800g3</a>", panel)


def test_the_attention_panel_gives_each_machine_one_line(admin_client, submit, example):
    """One machine's three hot disks took most of the panel's lines and pushed the machine
    with a failing disk down: its warnings are named once, on their kind's line."""
    busy = copy.deepcopy(example)
    disks = busy["hardware"]["storage"]["devices"]
    disks.append({**disks[1], "name": "/dev/sdb", "serial": "WD-2"})
    for disk, celsius in zip(disks, (61, 62, 63), strict=True):
        disk["temperature_c"] = celsius
    submit(busy)  # three hot disks, newest item first
    failing = copy.deepcopy(example)
    failing.update(device_identifier="nas-2", submission_id=str(uuid.uuid4()))
    failing["hardware"]["system"] = {}
    failing["hardware"]["storage"]["devices"][1]["smart_health"] = "FAILED"
    submit(failing)

    panel = admin_client.get("/admin/").content.decode().split('id="attention"', 1)[1]
    panel = panel.split("</ul>", 1)[0]
    assert panel.count("<li ") == 2  # the failing disk's line first, then the hot disks'
    assert panel.index("nas-2") < panel.index(example["device_identifier"])
    assert ">1 machine</a>" in panel.split('data-kind="disk_hot"', 1)[1]


def test_the_attention_panel_keeps_its_query_count_with_many_items(
    admin_client, submit, example, django_assert_max_num_queries
):
    example["hardware"]["storage"]["devices"] = [
        {"name": f"/dev/sd{n}", "serial": f"S{n}", "smart_health": "FAILED"} for n in range(30)
    ]
    submit(example)
    admin_client.get("/admin/")
    # how many are open, the critical items shown, the warnings' machines named, and the disks
    # near the end of their life (none)
    with django_assert_max_num_queries(15):
        html = admin_client.get("/admin/").content.decode()
    assert "30 open" in html and html.count('class="bt-attention-critical"') == 1


def test_a_network_measured_on_loopback_gets_no_bar_and_scales_no_one_elses(admin_client):
    BenchmarkFactory(device__hostname="lan", network_score=95.0)
    BenchmarkFactory(device__hostname="self", network_score=2165.0, excluded_categories=["network"])

    html = admin_client.get("/admin/").content.decode()

    rows = {
        name: row
        for name, row in re.findall(r'data-hostname="([^"]+)">(.*?)</tr>', html, flags=re.S)
    }
    assert "2165.0 (loopback)" in rows["self"] and "bt-bar-network" not in rows["self"]
    # the LAN machine's 95 is the column's best: a full bar, not 4 % of 2165
    assert re.search(r'bt-bar-network".*?width: 100%', rows["lan"], flags=re.S)
    devices = admin_client.get("/admin/inventory/device/").content.decode()
    assert 'title="measured on loopback: not in the global score">2165.0 (loopback)<' in devices


def test_what_a_tooltip_says_is_said_without_a_mouse_too(admin_client):
    """A suspect run's advice, the categories a "3 of 5" global score lacks and why a network
    score is greyed were in tooltips alone, which a keyboard never shows and a screen reader
    does not read: the advice and the categories follow them for a screen reader, and the
    device list says "(loopback)" after a loopback network as the dashboard does."""
    BenchmarkFactory(device__hostname="busy", validity="suspect", validity_reasons=["busy"])
    BenchmarkFactory(device__hostname="vm", cpu_score=300.0)  # no network nor GPU
    BenchmarkFactory(device__hostname="self", network_score=2165.0, excluded_categories=["network"])
    hidden = '<span class="visually-hidden">{}</span>'

    html = admin_client.get("/admin/").content.decode()
    rows = dict(re.findall(r'data-hostname="([^"]+)">(.*?)</tr>', html, flags=re.S))
    advice = hidden.format(" (Run bench.sh again when nothing else runs (it waits up to 20 s")
    assert "suspect: machine busy</span>" + advice[:-7] in rows["busy"]
    assert "3 of 5</abbr>" + hidden.format(": network, GPU not counted") in rows["vm"]
    loopback = "2165.0 (loopback)" + hidden.format(": not in the global score")
    assert loopback in rows["self"]

    devices = admin_client.get("/admin/inventory/device/").content.decode()
    assert loopback in devices
    assert "3 of 5</abbr>" + hidden.format(": network, GPU not counted") in devices


def test_a_global_score_of_fewer_categories_says_so_wherever_it_is_ranked(admin_client):
    """A machine run with --skip-network --skip-gpu ranked above fully measured ones with
    nothing on its global score to say it weighs three categories (UX audit)."""
    full = {"network_score": 90.0, "gpu_score": 80.0}
    BenchmarkFactory(device__hostname="desk", cpu_score=100.0, **full)
    vm = BenchmarkFactory(device__hostname="vm", cpu_score=300.0).device  # no network nor GPU
    loop = BenchmarkFactory(
        device__hostname="self", **full, excluded_categories=["network"]
    ).device  # its network measured on loopback: not counted
    said = "3 of 5</abbr>"
    title = 'title="a global score of 3 of 5 categories, weighted among themselves: network, GPU'

    html = admin_client.get("/admin/").content.decode()
    rows = dict(re.findall(r'data-hostname="([^"]+)">(.*?)</tr>', html, flags=re.S))
    assert said in rows["vm"] and title in rows["vm"]
    # why, where the server knows it: the tooltip named three reasons that might be
    assert f'{title} not measured"' in rows["vm"]
    assert "4 of 5</abbr>" in rows["self"]
    assert "weighted among themselves: network measured on loopback" in rows["self"]
    assert "bt-partial" not in rows["desk"]

    devices = admin_client.get("/admin/inventory/device/").content.decode()
    assert devices.count(said) == 1 and devices.count("4 of 5</abbr>") == 1
    page = admin_client.get(f"/admin/inventory/device/{vm.pk}/change/").content.decode()
    assert title in page
    compared = admin_client.get(
        "/admin/inventory/device/compare/", {"devices": f"{vm.pk},{loop.pk}"}
    ).content.decode()
    assert said in compared and "4 of 5</abbr>" in compared


def test_a_category_weighted_0_is_not_counted_in_the_global_score_it_is_shown_beside(
    admin_client, settings
):
    """With SCORE_WEIGHTS gpu=0, a machine measured in all five showed no mark while its
    global score counts four (the audit of what the numbers say)."""
    settings.SCORE_WEIGHTS = "cpu=0.5,gpu=0"
    BenchmarkFactory(device__hostname="all-five", network_score=90.0, gpu_score=80.0)

    html = admin_client.get("/admin/").content.decode()

    row = dict(re.findall(r'data-hostname="([^"]+)">(.*?)</tr>', html, flags=re.S))["all-five"]
    assert "4 of 5</abbr>" in row
    assert "weighted among themselves: GPU weighted 0 by SCORE_WEIGHTS" in row


def test_the_fleet_average_is_rounded_half_up_once(admin_client, api):
    """The average of 105.25 and 105.254 (105.252) showed as 105.2: the API's 105.25, rounded
    again (the numbers audit)."""
    BenchmarkFactory(device__hostname="a", global_score=105.25)
    BenchmarkFactory(device__hostname="b", global_score=105.254)

    html = admin_client.get("/admin/").content.decode()

    assert 'id="stat-average">105.3<' in html
    assert api.get("/api/stats").json()["average_global_score"] == 105.25


def test_a_score_is_rounded_half_up_as_a_person_would(admin_client):
    """104.25 showed as 104.2: "%.1f" rounds half to even, the stored scores half up."""
    device = BenchmarkFactory(device__hostname="c", cpu_score=104.25, global_score=104.25).device

    devices = admin_client.get("/admin/inventory/device/").content.decode()
    dashboard = admin_client.get("/admin/").content.decode()

    assert "<strong>104.3</strong>" in devices and "104.2" not in devices
    assert "104.3" in dashboard and "104.2" not in dashboard
    page = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    assert "104.3" in page and "104.2" not in page


def test_devices_without_a_score_are_named_under_the_ranking_not_placed_in_it(admin_client):
    """A machine whose runs measured nothing (inventory only, every benchmark skipped) had a
    place in the ranking, with "–" in every column, above machines that will be benchmarked."""
    BenchmarkFactory(device__hostname="ranked")
    # a network measured against itself: no global score, its network's figure ranked
    loopback = BenchmarkFactory(device__hostname="loop", global_score=None).device
    Device.objects.filter(pk=loopback.pk).update(global_score=None, cpu_score=None)
    nothing = {f"{name}_score": None for name in ("global", *CATEGORY_NAMES)}
    inventory_only = BenchmarkFactory(device__hostname="vm", **nothing).device
    Device.objects.filter(pk=inventory_only.pk).update(**nothing)
    for name in ("new-box", "nas-2"):
        DeviceFactory(hostname=name)

    html = admin_client.get("/admin/").content.decode()

    assert ranking_hostnames(html) == ["ranked", "loop"]
    note = html.split('id="unbenchmarked">', 1)[1].split("</p>", 1)[0]
    assert re.sub(r"<[^>]+>", "", note) == (
        "Not benchmarked yet, so not ranked: nas-2, new-box, vm (its runs gave no score). "
        "The command below benchmarks a machine."
    )
    for i in range(6):
        DeviceFactory(hostname=f"z{i}")
    html = admin_client.get("/admin/").content.decode()
    assert "z1</a> and 4 more. The command below" in html


def test_the_fleet_is_shown_to_accounts_that_may_view_devices(client, django_user_model):
    from django.contrib.auth.models import Permission

    BenchmarkFactory(device__hostname="secret-nas", cpu_score=150.0)
    staff = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    client.force_login(staff)

    html = client.get("/admin/").content.decode()
    assert "secret-nas" not in html and 'id="ranking"' not in html
    assert 'id="fleet-hidden"' in html and 'id="bench-command"' in html

    staff.user_permissions.add(Permission.objects.get(codename="view_device"))
    html = client.get("/admin/").content.decode()
    assert ranking_hostnames(html) == ["secret-nas"] and 'id="fleet-hidden"' not in html


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
    reason="SQLite's query planner",
)
def test_the_dashboards_run_figures_read_indexes_not_every_run(admin_client):
    """A few machines with years of runs: the recent submissions walked each machine's runs
    and sorted every one of them (SQLite's statistics after ANALYZE: 210–260 ms at 88,000 runs)
    and the counts and latest times read every run's row (68–210 ms). Each now reads an index,
    or the ten runs it shows by their keys, whatever the history's length."""
    for device in DeviceFactory.create_batch(2):
        for days in range(40):
            BenchmarkFactory(
                device=device, run_at=timezone.now() - timezone.timedelta(days=days), latest=False
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get("/admin/").content.decode()
    assert re.search(r'id="stat-benchmarks">80<', html)
    runs_read = [
        (query["sql"], detail)
        for query in queries.captured_queries
        if "benchmarks_benchmark" in query["sql"] and query["sql"].startswith("SELECT")
        for *_, detail in _plan(query["sql"])
        if "benchmarks_benchmark" in detail
    ]
    assert runs_read, "the dashboard reads runs"
    for sql, detail in runs_read:
        assert "USING COVERING INDEX" in detail or "USING INTEGER PRIMARY KEY" in detail, (
            detail,
            sql,
        )


def _plan(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        return cursor.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()


def test_the_dashboard_s_counts_keep_their_thousands_apart(admin_client, monkeypatch):
    """An office's 300 machines with two years of monthly runs: "7,200 benchmarks", as the
    README writes its figures, where the card read "7200"."""
    from benchmarks import selectors
    from benchsite import sites

    BenchmarkFactory()
    real = selectors.fleet_stats
    monkeypatch.setattr(
        sites, "fleet_stats", lambda **kw: {**real(**kw), "devices": 1300, "benchmarks": 7200}
    )

    html = admin_client.get("/admin/").content.decode()

    assert re.search(r'id="stat-devices">1,300<', html)
    assert re.search(r'id="stat-benchmarks">7,200<', html)


def test_a_retired_machine_never_benchmarked_is_not_named_under_the_ranking(admin_client):
    """Retired, it left the fleet: "not benchmarked yet" would ask to benchmark a machine gone."""
    BenchmarkFactory(device__hostname="ranked")
    DeviceFactory(hostname="new-box")
    DeviceFactory(hostname="scrapped", retired_on=datetime.date(2026, 1, 1))

    html = admin_client.get("/admin/").content.decode()

    note = html.split('id="unbenchmarked">', 1)[1].split("</p>", 1)[0]
    assert re.sub(r"<[^>]+>", "", note).startswith("Not benchmarked yet, so not ranked: new-box.")
