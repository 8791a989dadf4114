"""A retired machine leaves the fleet's live views, its history kept: out of the dashboard's
ranking and average and of /metrics' per-device series, its open attention items closed when
it is retired, none opened by its runs; bench.sh run on it again brings it back into service."""

import copy
import io
import re
import uuid
from datetime import date, timedelta
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.tests.factories import BenchmarkFactory
from benchsite.tests.markers import ordered
from insights.models import AttentionItem, Notification
from inventory.models import Device

pytestmark = pytest.mark.django_db

FAILED_DISK = {"name": "/dev/sda", "serial": "WD-1", "model": "WD40EFRX", "smart_health": "FAILED"}


@pytest.fixture
def run(submit, example):
    """run(host, days_ago=0, disks=None) submits the example as `host`, run `days_ago`."""

    def send(host, *, days_ago=0, disks=None):
        document = copy.deepcopy(example)
        document["device_identifier"] = host
        document["submission_id"] = str(uuid.uuid4())
        document["hardware"]["system"] = {}  # hostnames name the machines
        if disks is not None:
            document["hardware"]["storage"]["devices"] = disks
        started = timezone.now() - timedelta(days=days_ago)
        document["results"]["conditions"] = {"started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ")}
        response = submit(document)
        assert response.status_code == 201, response.content
        return Device.objects.get(pk=response.json()["device_id"])

    return send


def _retire(api, device, on=None):
    on = on or timezone.localdate()
    response = api.patch(f"/api/devices/{device.pk}", {"retired_on": on.isoformat()}, "json")
    assert response.status_code == 200, response.content


def test_the_dashboard_ranks_and_averages_the_machines_in_service(admin_client):
    BenchmarkFactory(device__hostname="fast", cpu_score=900.0)
    BenchmarkFactory(device__hostname="slow", cpu_score=100.0)
    old = BenchmarkFactory(device__hostname="old-nas", cpu_score=5000.0).device
    Device.objects.filter(pk=old.pk).update(retired_on=date(2026, 1, 5))
    averaged = (
        Device.objects.get(hostname="fast").global_score
        + Device.objects.get(hostname="slow").global_score
    ) / 2

    html = unescape(admin_client.get("/admin/").content.decode())

    table = html.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'data-hostname="([^"]+)"', table) == ["fast", "slow"]
    average = html.split('id="stat-average">', 1)[1].split("<", 1)[0]
    assert float(average) == pytest.approx(averaged, abs=0.05)
    assert "average global score in service" in html
    note = html.split('id="retired-not-ranked">', 1)[1].split("</p>", 1)[0]
    assert '<a href="/admin/inventory/device/?retired=yes">1 retired machine</a> not ranked' in note
    assert "(its history is kept; its next bench.sh run brings it back)" in note  # not "their"


@pytest.mark.parametrize("how", ["api", "admin", "import"])
def test_retiring_a_machine_closes_its_open_items_and_notifies_them_resolved(
    how, run, api, admin_client, settings, tmp_path
):
    settings.NOTIFY_URLS, settings.SITE_URL = ["json://127.0.0.1:9/hook"], "http://bench.lan"
    nas = run("nas", disks=[FAILED_DISK])
    assert AttentionItem.objects.filter(closed_at__isnull=True).count() == 1

    today = timezone.localdate().isoformat()
    if how == "api":
        _retire(api, nas)
    elif how == "admin":
        form = {"hostname": "nas", "retired_on": today, "links-TOTAL_FORMS": "0"}
        form.update({"links-INITIAL_FORMS": "0", "documents-TOTAL_FORMS": "0"})
        form["documents-INITIAL_FORMS"] = "0"
        url = reverse("admin:inventory_device_change", args=(nas.pk,))
        assert admin_client.post(url, form).status_code == 302
    else:
        (tmp_path / "d.csv").write_text(f"hostname,retired_on\nnas,{today}\n")
        call_command("import_devices", str(tmp_path / "d.csv"), stdout=io.StringIO())

    item = AttentionItem.objects.get()
    assert item.closed_at is not None and item.closed_by == "(its device retired)"
    resolved = Notification.objects.get(title="nas: smart_failing resolved")
    assert "the device was retired; the condition was not checked again" in resolved.body
    assert f"http://bench.lan/admin/inventory/device/{nas.pk}/change/" in resolved.body


def test_a_retired_machines_run_of_before_its_retirement_opens_nothing(run, api):
    nas = run("nas", days_ago=10)
    _retire(api, nas, on=timezone.localdate() - timedelta(days=2))

    # a capture of five days ago, sent now (bench.sh --from-dir): its failing disk is the past
    run("nas", days_ago=5, disks=[FAILED_DISK])

    assert not AttentionItem.objects.exists()
    assert Device.objects.get().retired_on == timezone.localdate() - timedelta(days=2)
    call_command("rescore", stdout=io.StringIO())  # nor does a judgment of every machine
    assert not AttentionItem.objects.exists()


def test_a_run_after_its_retirement_brings_the_machine_back_into_service(run, api, admin_client):
    nas = run("nas", days_ago=10)
    retired_on = timezone.localdate() - timedelta(days=3)
    _retire(api, nas, on=retired_on)

    run("nas", disks=[FAILED_DISK])

    nas.refresh_from_db()
    assert nas.retired_on is None
    assert AttentionItem.objects.filter(closed_at__isnull=True).count() == 1  # judged again
    back = LogEntry.objects.filter(object_id=str(nas.pk)).latest("pk")
    assert back.user.username == "API_TOKEN"
    assert back.get_change_message() == (
        f"Back in service: a bench.sh run of {timezone.localdate().isoformat()}, on or after "
        f'its retirement: retired_on "{retired_on.isoformat()}" → "".'
    )
    history = admin_client.get(reverse("admin:inventory_device_history", args=(nas.pk,)))
    assert "Back in service" in history.content.decode()


def test_metrics_leave_a_retired_machines_series_out_and_count_it(api, run):
    run("nas")
    old = run("old-nas", disks=[{**FAILED_DISK, "smart_health": "PASSED", "temperature_c": 40}])
    Device.objects.filter(pk=old.pk).update(retired_on=date(2026, 1, 5))

    text = api.get("/metrics").content.decode()

    got = {
        (sample.name, sample.labels.get("device")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert got[("benchtools_devices", None)] == 2  # the contract's: devices in the inventory
    assert got[("benchtools_devices_retired", None)] == 1
    assert ("benchtools_device_score", "nas") in got
    assert not [key for key in got if key[1] == "old-nas"]


def test_a_retirement_is_dated_in_the_servers_time_zone_through_the_api_too(run, api, settings):
    """The API answers in UTC; the dates are days of TIME_ZONE, as in the admin's form. A zone
    whose day is not UTC's right now: Kiritimati (UTC+14) in UTC's afternoon, UTC-12 before."""
    now = timezone.now()
    ahead = now.hour >= 12
    settings.TIME_ZONE = "Pacific/Kiritimati" if ahead else "Etc/GMT+12"
    local_today = timezone.localdate(now, timezone.get_default_timezone())
    assert local_today != now.date()
    nas = run("nas", days_ago=10)

    # its last day of service: today there; and a day ahead is allowed (a person a zone ahead)
    retired_on = local_today if ahead else local_today + timedelta(days=1)
    response = api.patch(f"/api/devices/{nas.pk}", {"retired_on": str(retired_on)}, "json")
    assert response.status_code == 200, response.content
    too_far = str(local_today + timedelta(days=2))
    response = api.patch(f"/api/devices/{nas.pk}", {"purchased_on": too_far}, "json")
    assert response.json() == {
        "purchased_on": [f"Purchase date {too_far} cannot be in the future."]
    }

    run("nas")  # a run of today there: on its retirement day ahead, the day before behind

    assert Device.objects.get().retired_on == (None if ahead else retired_on)


@pytest.mark.parametrize("how", ["api", "import"])
def test_a_retirement_undone_opens_again_what_it_closed(how, run, api, settings, tmp_path):
    """Retired by mistake, put back in service at once: its failing disk needs attention as
    before, notified again; not until its next run."""
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]
    nas = run("nas", disks=[FAILED_DISK])
    hot = run("hot", disks=[{**FAILED_DISK, "smart_health": "PASSED", "temperature_c": 65}])
    _retire(api, nas)
    _retire(api, hot)
    # a condition closed since by someone: that one stays closed
    item = AttentionItem.objects.get(device=hot)
    AttentionItem.objects.create(
        device=hot,
        kind=item.kind,
        severity=item.severity,
        disk=item.disk,
        message=item.message,
        closed_at=timezone.now(),
        closed_by="admin",
    )
    assert not AttentionItem.objects.filter(closed_at__isnull=True).exists()

    if how == "api":
        for device in (nas, hot):
            response = api.patch(f"/api/devices/{device.pk}", {"retired_on": None}, "json")
            assert response.status_code == 200, response.content
    else:
        (tmp_path / "d.csv").write_text("hostname,retired_on\nnas,\nhot,\n")
        call_command("import_devices", str(tmp_path / "d.csv"), stdout=io.StringIO())

    reopened = AttentionItem.objects.get(closed_at__isnull=True)
    assert (reopened.device, reopened.kind, reopened.closed_by) == (nas, "smart_failing", "")
    assert Notification.objects.filter(title="nas: smart_failing").count() == 2
    again = Notification.objects.filter(title="nas: smart_failing").latest("pk").body
    assert again.startswith(f"{reopened.message}\nReopened ") and "first opened" in again
    assert not Notification.objects.filter(title="hot: disk_hot", item__closed_at=None).exists()


DEGRADING = {**FAILED_DISK, "smart_health": "PASSED", "reallocated_sectors": 8}


def test_a_run_that_brings_a_machine_back_reopens_what_its_retirement_closed(
    run, api, settings, django_assert_max_num_queries
):
    """smart_degrading opens on a rise only: retired with a degrading disk, brought back by a
    run whose counters stay as they were, the machine showed no item for that disk, ever.
    Reopened as a person's undo reopens it, and notified so (not "Opened" months ago)."""
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]
    run("nas", days_ago=10, disks=[{**DEGRADING, "reallocated_sectors": 0}])
    nas = run("nas", days_ago=5, disks=[DEGRADING])
    degrading = AttentionItem.objects.get(kind="smart_degrading")
    _retire(api, nas, on=timezone.localdate() - timedelta(days=2))
    assert not AttentionItem.objects.filter(closed_at__isnull=True).exists()

    # test_ingest_query_count's 12 for a machine in service (none more: the reopening is
    # only for a machine that comes back), and 8 here: the history's line (its token's user,
    # the entry), the reopening (the newest items, them locked, one written, its
    # notification, held), the reopened item judged with the others' figures, its
    # notification released
    with django_assert_max_num_queries(20 + ordered()):
        run("nas", disks=[DEGRADING])  # no rise: nothing of its own would open it

    assert Device.objects.get().retired_on is None
    item = AttentionItem.objects.get(closed_at__isnull=True)
    assert (item.pk, item.kind, item.closed_by) == (degrading.pk, "smart_degrading", "")
    reopened = Notification.objects.filter(title="nas: smart_degrading").latest("pk")
    assert f"Reopened {item.updated_at:%Y-%m-%d %H:%M:%S} UTC: the device is back in service" in (
        reopened.body
    )
    assert f"(first opened {degrading.opened_at:%Y-%m-%d %H:%M:%S} UTC)" in reopened.body
    assert "\nOpened " not in reopened.body


def test_a_run_that_brings_a_machine_back_closes_what_no_longer_holds(run, api):
    """Reopened by the run that brought it back, a condition the run shows over closes again
    (resolved by that run); one still holding is the same item, not a second one."""
    nas = run("nas", days_ago=5, disks=[FAILED_DISK])
    hot = {**FAILED_DISK, "name": "/dev/sdb", "serial": "WD-2", "temperature_c": 65}
    hot["smart_health"] = "PASSED"
    run("nas", days_ago=4, disks=[FAILED_DISK, hot])
    _retire(api, nas, on=timezone.localdate() - timedelta(days=2))

    run("nas", disks=[{**FAILED_DISK, "smart_health": "PASSED"}, hot])

    failing, disk_hot = AttentionItem.objects.order_by("pk")
    assert failing.kind == "smart_failing" and failing.closed_at is not None
    assert failing.closed_by == ""  # resolved by the run, no longer "its device retired"
    assert (disk_hot.kind, disk_hot.closed_at) == ("disk_hot", None)
    assert AttentionItem.objects.count() == 2


def test_an_item_closed_by_a_retirement_says_so_in_the_api_and_on_the_device_page(
    run, api, admin_client
):
    """/api/attention?state=closed gave an item closed by a retirement as one the rules found
    over (closed_by is not given: an account's name), and the device page counted it among the
    machine's past items: a failing disk read as gone."""
    sdb = {**FAILED_DISK, "name": "/dev/sdb", "serial": "WD-2"}
    nas = run("nas", days_ago=2, disks=[FAILED_DISK, sdb])
    sdb.update(smart_health="PASSED", temperature_c=65)
    run("nas", days_ago=1, disks=[FAILED_DISK, sdb])  # sdb's failure over: resolved; hot
    acknowledged = AttentionItem.objects.get(kind="disk_hot")
    response = api.post(f"/api/attention/{acknowledged.pk}/acknowledge")
    assert response.status_code == 200, response.content
    _retire(api, nas)

    listed = api.get("/api/attention", {"state": "all"}).json()["results"]
    reasons = {(item["kind"], item["disk"], item["closed_reason"]) for item in listed}
    assert reasons == {
        ("smart_failing", "WD-1", "device_retired"),
        ("smart_failing", "WD-2", "resolved"),
        ("disk_hot", "WD-2", "acknowledged"),
    }
    assert "closed_by" not in listed[0]

    html = admin_client.get(reverse("admin:inventory_device_change", args=(nas.pk,)))
    past = html.content.decode().split('id="past-attention"', 1)[1].split("</p>", 1)[0]
    assert "Its 3 closed items</a>, 1 of them closed by its retirement, not checked since" in past

    run("nas", disks=[FAILED_DISK])  # back in service: the item open again
    (item,) = api.get("/api/attention").json()["results"]
    assert (item["kind"], item["closed_reason"]) == ("smart_failing", None)


def _told(title_start: str) -> list[str]:
    """The bodies' first words after the message of the notifications titled so, in order."""
    rows = Notification.objects.filter(title__startswith=title_start).order_by("pk")
    return [row.body.split("\n")[1].split(" ", 1)[0] for row in rows]


def test_a_run_that_brings_a_machine_back_tells_nothing_of_a_condition_it_shows_over(
    run, api, settings
):
    """A machine retired with a failing disk, brought back by a run whose disk passes: its
    receiver got "reopened", then "resolved" a moment later, two notifications about nothing.
    Now the run's reopening waits for the run's evaluation: what it closes is told neither
    way; what still holds is told reopened at once (due now, not held)."""
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook", "json://127.0.0.1:9/other"]
    hot = {**FAILED_DISK, "name": "/dev/sdb", "serial": "WD-2", "smart_health": "PASSED"}
    hot["temperature_c"] = 65
    nas = run("nas", days_ago=5, disks=[FAILED_DISK, hot])
    _retire(api, nas, on=timezone.localdate() - timedelta(days=2))
    before = Notification.objects.latest("pk").pk

    run("nas", disks=[{**FAILED_DISK, "smart_health": "PASSED"}, hot])

    failing, disk_hot = AttentionItem.objects.order_by("pk")
    assert (failing.kind, failing.closed_by) == ("smart_failing", "")
    assert failing.closed_at is not None  # resolved by the run, in the API as such
    assert not Notification.objects.filter(item=failing, pk__gt=before).exists()
    assert _told("nas: smart_failing") == ["Opened", "Opened", "Closed", "Closed"]
    reopened = Notification.objects.filter(item=disk_hot, pk__gt=before)
    assert [row.body.split("\n")[1][:9] for row in reopened] == ["Reopened "] * 2
    assert all(row.next_attempt_at <= timezone.now() for row in reopened)


def test_a_reopening_by_a_run_whose_evaluation_failed_is_told_all_the_same(
    run, api, settings, monkeypatch
):
    """The run is stored whatever its evaluation does: a reopening it waited for is sent once
    its hold runs out, whether or not the evaluation is ever tried again."""
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]
    nas = run("nas", days_ago=5, disks=[FAILED_DISK])
    _retire(api, nas, on=timezone.localdate() - timedelta(days=2))
    from benchsite import submission_api

    def fails(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(submission_api, "attention_evaluate", fails)
    monkeypatch.setattr(submission_api, "RETRY_AFTER_S", ())

    run("nas", disks=[FAILED_DISK])

    item = AttentionItem.objects.get(closed_at__isnull=True)
    row = Notification.objects.filter(item=item).latest("pk")
    assert row.body.split("\n")[1].startswith("Reopened ")
    assert row.next_attempt_at is not None and row.sent_at is None
    assert row.next_attempt_at <= timezone.now() + timedelta(minutes=20)


def test_a_run_that_brings_a_machine_back_releases_only_its_own_held_reopenings(
    run, api, settings, monkeypatch
):
    """Another machine's reopening, still waiting for its own run's judgment, stays held when
    this machine's run is judged: released with this one, its receiver got "reopened", then
    "resolved" once that judgment closed it, the two notifications the hold is there to spare."""
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]
    nas = run("nas", days_ago=5, disks=[FAILED_DISK])
    other = run("other", days_ago=5, disks=[FAILED_DISK])
    _retire(api, nas, on=timezone.localdate() - timedelta(days=2))
    _retire(api, other, on=timezone.localdate() - timedelta(days=2))
    from benchsite import submission_api

    with monkeypatch.context() as patched:  # other's judgment not made yet
        patched.setattr(submission_api, "attention_evaluate", lambda **kwargs: None)
        patched.setattr(submission_api, "RETRY_AFTER_S", ())
        run("other", disks=[FAILED_DISK])
    run("nas", disks=[FAILED_DISK])

    def reopening(host):
        item = AttentionItem.objects.get(device__hostname=host, closed_at__isnull=True)
        row = Notification.objects.filter(item=item).latest("pk")
        assert row.body.split("\n")[1].startswith("Reopened ")
        return row

    assert reopening("nas").next_attempt_at <= timezone.now()  # judged: due now
    assert reopening("other").next_attempt_at > timezone.now()  # still held


@pytest.mark.parametrize(
    ("disks", "said"),
    [
        ([FAILED_DISK], "Its 1 closed item</a>, closed by its retirement, not checked since"),
        (
            [FAILED_DISK, {**FAILED_DISK, "name": "/dev/sdb", "serial": "WD-2"}],
            "Its 2 closed items</a>, both closed by its retirement, not checked since",
        ),
    ],
)
def test_the_page_of_a_machine_whose_items_its_retirement_all_closed(
    disks, said, run, api, admin_client
):
    """The page said "Its 2 closed items, 2 of them closed by its retirement": a person read
    it twice to see that they were the same two."""
    nas = run("nas", disks=disks)
    _retire(api, nas)

    html = admin_client.get(reverse("admin:inventory_device_change", args=(nas.pk,)))
    past = html.content.decode().split('id="past-attention"', 1)[1].split("</p>", 1)[0]
    assert said in past and "of them" not in past
