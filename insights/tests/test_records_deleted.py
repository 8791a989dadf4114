"""Runs and snapshots deleted in the admin (or by a script through the services): the devices
they belonged to and their CPU twins are judged again once the deletion commits, as a deleted
device's twins are (test_peers_after_a_deletion). A run deleted as bogus took the item it had
opened with it only at the machine's next run: days, for a machine benchmarked weekly."""

import logging

import pytest

from benchmarks.models import Benchmark
from benchmarks.services import benchmark_delete
from insights.models import AttentionItem, Notification
from insights.services import attention_acknowledge
from inventory.models import HardwareSnapshot

from .machines import disk

pytestmark = pytest.mark.django_db

CPU = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
OTHER = "AMD Ryzen 5 5600X 6-Core Processor"


def _open(kind: str, host: str = "nas") -> AttentionItem | None:
    return AttentionItem.objects.filter(
        kind=kind, device__hostname=host, closed_at__isnull=True
    ).first()


def _delete_run_on_its_page(admin_client, pk):
    response = admin_client.post(f"/admin/benchmarks/benchmark/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302


def _delete_runs_with_the_action(admin_client, pk):
    response = admin_client.post(
        "/admin/benchmarks/benchmark/",
        {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "delete", [_delete_run_on_its_page, _delete_runs_with_the_action], ids=["page", "action"]
)
def test_deleting_the_run_that_opened_a_regression_closes_it_and_says_so(
    run, admin_client, settings, delete, django_capture_on_commit_callbacks
):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]  # the rows are what is counted
    for hours_ago in (6, 5, 4, 3):
        run(hours_ago=hours_ago, cpu=100.0)
    bogus = run(hours_ago=2, cpu=60.0)  # measured while a backup ran
    assert _open("score_regression")  # cpu and global 40 % below

    with django_capture_on_commit_callbacks(execute=True):
        delete(admin_client, bogus["benchmark_id"])

    assert not Benchmark.objects.filter(pk=bogus["benchmark_id"]).exists()
    assert _open("score_regression") is None  # its newest run, 100, is its baseline
    resolved = Notification.objects.filter(title="nas: score_regression resolved")
    assert resolved.count() == 2


def test_deleting_the_twins_runs_that_made_the_median_judges_the_machine_again(
    run, django_capture_on_commit_callbacks
):
    for host in ("a1", "a2"):
        run(host, hours_ago=6, cpu=100.0, cpu_model=CPU)
    for host in ("s1", "s2"):
        run(host, hours_ago=5, cpu=70.0, cpu_model=CPU)
    run("x", hours_ago=4, cpu=80.0, cpu_model=CPU)  # 6 % below the median of 100, 100, 70, 70
    assert _open("below_peers", "x") is None

    with django_capture_on_commit_callbacks(execute=True):
        benchmark_delete(benchmarks=Benchmark.objects.filter(device__hostname__in=("s1", "s2")))

    assert _open("below_peers", "x")  # 20 % below the two left with runs


def test_a_condition_acknowledged_stays_closed_when_a_run_is_deleted(
    run, django_capture_on_commit_callbacks
):
    """As rescore: what a person acknowledged since the newest run waits for the next one."""
    for hours_ago in (6, 5, 4):
        run(hours_ago=hours_ago, cpu=100.0)
    run(hours_ago=3, cpu=60.0)
    run(hours_ago=2, cpu=60.0)
    for item in AttentionItem.objects.filter(closed_at__isnull=True):  # cpu and global
        attention_acknowledge(item=item, by="admin")
    oldest = Benchmark.objects.filter(device__hostname="nas").order_by("run_at").first()

    with django_capture_on_commit_callbacks(execute=True):
        benchmark_delete(benchmarks=Benchmark.objects.filter(pk=oldest.pk))

    assert _open("score_regression") is None


def test_deleting_the_snapshot_that_read_a_failed_disk_closes_its_item(
    run, admin_client, django_capture_on_commit_callbacks
):
    """A capture of another machine's disks sent by mistake, deleted: the machine's newest
    snapshot left reads its own healthy disk."""
    run(hours_ago=2, disks=[disk(smart_health="PASSED")])
    wrong = run(hours_ago=1, disks=[disk(smart_health="FAILED")])
    assert _open("smart_failing")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/inventory/hardwaresnapshot/{wrong['snapshot_id']}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302

    assert not HardwareSnapshot.objects.filter(pk=wrong["snapshot_id"]).exists()
    assert _open("smart_failing") is None


def test_a_capture_replayed_after_a_run_was_deleted_leaves_the_newest_snapshot_the_latest(
    run, api, django_capture_on_commit_callbacks
):
    """A deleted run keeps its snapshot, the machine's newest; a capture of before replayed
    after the deletion pointed the device at its own, older snapshot: the device's API and
    /metrics read healthy disks at 36 °C while its items said SMART FAILED at 70 °C."""
    run(hours_ago=240, cpu_model=CPU, disks=[disk(temperature_c=35)])
    bogus = run(
        hours_ago=24, cpu_model=OTHER, disks=[disk(smart_health="FAILED", temperature_c=70)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        benchmark_delete(benchmarks=Benchmark.objects.filter(pk=bogus["benchmark_id"]))
    replayed = run(hours_ago=120, cpu_model=CPU, disks=[disk(temperature_c=36)])

    from inventory.models import Device

    device = Device.objects.get(hostname="nas")
    assert device.latest_snapshot_id == bogus["snapshot_id"]  # the newest, as judged
    assert device.cpu_model_key == OTHER.lower()
    detail = api.get(f"/api/devices/{device.pk}").json()
    assert detail["last_snapshot"]["id"] == bogus["snapshot_id"]
    assert detail["last_benchmark"]["id"] == replayed["benchmark_id"]  # the runs go by run_at
    assert _open("smart_failing") and _open("disk_hot")


def test_deleting_a_machines_only_snapshot_closes_the_disk_items_it_opened(
    run, admin_client, django_capture_on_commit_callbacks
):
    """The machine's first capture was another machine's: deleted, nothing read its disks any
    more, yet its failing and hot disk stayed open on the dashboard (an empty storage was
    taken for one not read, which closes nothing)."""
    wrong = run(hours_ago=1, disks=[disk(smart_health="FAILED", temperature_c=70)])
    assert _open("smart_failing") and _open("disk_hot")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/admin/inventory/hardwaresnapshot/{wrong['snapshot_id']}/delete/", {"post": "yes"}
        )

    assert not HardwareSnapshot.objects.exists()
    assert _open("smart_failing") is None and _open("disk_hot") is None


def test_a_snapshot_deleted_that_gave_a_machine_its_cpu_judges_the_twins_it_left(
    run, django_capture_on_commit_callbacks
):
    from inventory.services import snapshot_delete

    for host in ("a1", "a2"):
        run(host, hours_ago=6, cpu=100.0, cpu_model=CPU)
    run("x", hours_ago=5, cpu=50.0, cpu_model=CPU)
    assert _open("below_peers", "x")
    replaced = run("a2", hours_ago=4, cpu=100.0, cpu_model=OTHER)  # its CPU replaced
    assert _open("below_peers", "x") is None  # one twin left: no judgment
    run("a2", hours_ago=3, cpu=100.0, cpu_model=OTHER)
    # the two captures of the new CPU were another machine's: deleted, a2 is x's twin again
    with django_capture_on_commit_callbacks(execute=True):
        snapshot_delete(
            snapshots=HardwareSnapshot.objects.filter(
                device__hostname="a2", captured_at__gte=_captured(replaced)
            )
        )

    assert _open("below_peers", "x")


def _captured(body):
    return HardwareSnapshot.objects.get(pk=body["snapshot_id"]).captured_at


def test_a_judgment_that_fails_after_a_deletion_is_logged_and_the_deletion_stays(
    run, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    for hours_ago in (6, 5, 4, 3):
        run(hours_ago=hours_ago, cpu=100.0)
    bogus = run(hours_ago=2, cpu=60.0)

    def broken(**kwargs):
        raise RuntimeError("the judgment broke")

    monkeypatch.setattr("insights.receivers.attention_evaluate", broken)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        benchmark_delete(benchmarks=Benchmark.objects.filter(pk=bogus["benchmark_id"]))

    assert not Benchmark.objects.filter(pk=bogus["benchmark_id"]).exists()
    assert "judging nas again after a deletion failed" in caplog.text
    assert "the judgment broke" in caplog.text
    assert _open("score_regression")  # as before: the machine's next run judges it
