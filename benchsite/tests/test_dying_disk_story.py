"""Issue 14's story, end to end: a year of a small fleet's weekly runs posted to the API, a NAS
disk dying slowly (pending sectors 0 → 2 → 8 → 40, reallocated sectors after them, offline
uncorrectable, 38 → 52 °C, PASSED until its last two months, then FAILED) and replaced by a new
one of the same model, a workstation's NVMe wearing out with media errors, a closet server's
sound disk hot every summer. What a person relies on: told at the first rise, once per item
opened or closed, in words that name the disk; the dashboard, the device page, the API and the
metrics saying it; the story closing when the disk is replaced, the old disk's history kept.

Transactional: notifications leave after the commit, to a real receiver on loopback.
"""

from collections import defaultdict

import pytest

from insights import notify
from insights.models import AttentionItem
from insights.tests.test_notify import SITE, receiver  # noqa: F401 (the receiver fixture)

from . import dying_disk as story

pytestmark = pytest.mark.django_db(transaction=True)

ACKNOWLEDGED_AT = 26  # the week the admin acknowledges the NAS's first smart_degrading item
OLD = f"disk /dev/sda WD40EFRX ({story.OLD_DISK})"
REPLACED = f"(replaced by WD40EFRX {story.NEW_DISK} in /dev/sda"


def timeline(submit, api, example) -> dict[int, list[str]]:
    """The year replayed: per week, what opened and closed ("nas smart_degrading opened")."""
    said, states = defaultdict(list), {}

    def look(week: int) -> None:
        changed = False
        for item in AttentionItem.objects.select_related("device").order_by("pk"):
            state = "opened" if item.closed_at is None else "closed"
            if states.get(item.pk) != state:
                states[item.pk] = changed = state
                said[week].append(f"{item.device.hostname} {item.kind} {state}")
        if changed:  # sent before the next write: the test database (SQLite in memory, shared
            assert notify.sender.drain(20)  # cache) locks a table the sender reads

    for week in range(story.WEEKS):
        for document in story.week_runs(example, week):
            assert submit(document).status_code == 201
            look(week)
        if week == ACKNOWLEDGED_AT:  # the admin saw the first rise, and acknowledges it
            (item,) = api.get("/api/attention", {"kind": "smart_degrading"}).json()["results"]
            assert api.post(f"/api/attention/{item['id']}/acknowledge").status_code == 200
            look(week)
    return dict(said)


def test_a_year_of_a_dying_disk_is_told_as_a_person_needs_it(
    submit,
    api,
    example,
    admin_client,
    settings,
    receiver,  # noqa: F811
):
    settings.NOTIFY_URLS, settings.SITE_URL, settings.NOTIFY_TIMEOUT_S = [receiver.url], SITE, 5.0
    said = timeline(submit, api, example)

    # told at the first rise, months before FAILED; each item once opened, once closed
    assert said == {
        20: ["nas smart_degrading opened"],  # pending sectors 0 → 2, still PASSED
        ACKNOWLEDGED_AT: ["nas smart_degrading closed"],  # acknowledged by the admin
        30: ["nas smart_degrading opened"],  # pending 2 → 8: a rise after it, told again
        38: ["nas score_regression opened"],  # its disk score 13 % below its baseline
        40: ["ws smart_degrading opened"],  # the NVMe's first media error
        41: ["nas score_regression closed"],  # its baseline came down to the slower disk
        story.FAILED_FROM: ["nas smart_failing opened"],
        story.REPLACED_AT: ["nas smart_failing closed"],  # the new disk in its bay
    }  # the closet's sound disk, at 58 °C in summer, under DISK_HOT_C (60): never a word
    titles = [message["title"] for message in receiver.messages]
    assert titles == [
        "nas: smart_degrading",
        "nas: smart_degrading resolved",
        "nas: smart_degrading",
        "nas: score_regression",
        "ws: smart_degrading",
        "nas: score_regression resolved",
        "nas: smart_failing",
        "nas: smart_failing resolved",
    ]
    first, _, second, *_, failing, resolved = (m["message"] for m in receiver.messages)
    assert first.startswith(f"{OLD} is degrading: pending sectors 0 → 2\nOpened ")
    assert "\nTo do: check the backups of what is on this disk and plan to replace it" in first
    assert second.startswith(f"{OLD} is degrading: pending sectors 2 → 8\nOpened ")
    assert failing.startswith(f"{OLD} reports SMART FAILED\nOpened ")
    assert "\nTo do: back up what is on this disk now, and replace it.\n" in failing
    assert resolved.startswith(f"{OLD} reports SMART FAILED {REPLACED})\nResolved ")
    assert ": the disk was replaced (open since " in resolved  # not "this no longer holds"
    nas = AttentionItem.objects.get(kind="smart_failing").device_id
    assert all(f"{SITE}/admin/inventory/device/" in m["message"] for m in receiver.messages)

    # what stays open: the rises since the second item opened, the disk said replaced
    open_items = api.get("/api/attention").json()["results"]
    assert [(item["hostname"], item["message"]) for item in open_items] == [
        (
            "ws",
            "disk /dev/nvme0n1 PM981 (S3W8NX0M300002) is degrading: media errors 0 → 3",
        ),
        (
            "nas",
            f"{OLD} is degrading: reallocated sectors 4 → 48, pending sectors 2 → 40, offline "
            f"uncorrectable 0 → 3 {REPLACED}: acknowledge this once it is dealt with)",
        ),
    ]
    assert api.get("/api/attention", {"state": "all", "device": nas}).json()["count"] == 4

    dashboard = admin_client.get("/admin/").content.decode()
    panel = dashboard.split("Needs attention", 1)[1].split("</ul>", 1)[0]
    assert "2 open" in panel and "nas</a>: " in panel and "ws</a>: " in panel
    assert "closet" not in panel
    # the NVMe worn past its rated life: no attention kind says it, the dashboard does
    worn = dashboard.split('id="disk-life"', 1)[1].split("</div>", 1)[0]
    assert ">1 machine in service with a worn disk</a>" in worn and "an old disk" not in worn
    assert "ws</a>: PM981 at 101 % of its rated life</li>" in worn
    ws = AttentionItem.objects.get(disk="S3W8NX0M300002").device_id
    page = admin_client.get(f"/admin/inventory/device/{ws}/change/").content.decode()
    assert "Used 101 % of its rated life: plan its replacement." in page

    page = admin_client.get(f"/admin/inventory/device/{nas}/change/").content.decode()
    assert f"replaced by WD40EFRX {story.NEW_DISK} in /dev/sda (last read" in page
    smart = page.split("SMART history", 1)[1]
    assert smart.index(story.NEW_DISK) < smart.index(story.OLD_DISK)  # its history kept, after

    insights = api.get(f"/api/devices/{nas}/insights").json()
    disks = {disk["serial"]: disk["history"] for disk in insights["disks"]}
    old, new = disks[story.OLD_DISK], disks[story.NEW_DISK]
    assert len(old) == story.REPLACED_AT and len(new) == story.WEEKS - story.REPLACED_AT
    assert [r["pending_sectors"] for r in old][19:21] == [0, 2]
    assert (old[-1]["smart_health"], old[-1]["temperature_c"]) == ("FAILED", 52)

    metrics = api.get("/metrics").content.decode()
    assert 'benchtools_attention_open{kind="smart_degrading",severity="critical"} 2' in metrics
    # each disk's temperature, by serial: the new disk's, the closet's in winter again
    assert f'{{device="nas",disk="{story.NEW_DISK}"}} 36.0' in metrics
    assert story.OLD_DISK not in metrics
    assert 'temperature_celsius{device="closet",disk="ZDH1CLOSET"} 35.0' in metrics
