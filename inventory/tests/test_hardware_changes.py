"""The fleet's hardware changes since a date (inventory.hardware_changes): each machine's pairs
of consecutive snapshots whose keys differ, the newer one since the date, newest first, told
in words."""

import datetime as dt

import pytest
from django.utils import timezone

from inventory import hardware_changes
from inventory.hardware_changes import FleetChanges, since_default
from inventory.tests.factories import DeviceFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

SINCE = dt.date(2026, 11, 1)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-{day}T03:00:00+00:00")


def disk(serial: str) -> dict:
    return {
        "devices": [
            {"name": "/dev/sda", "model": "WD40EFRX", "capacity_gb": 4000, "serial": serial}
        ]
    }


def nics(*names: str) -> dict:
    return {"interfaces": [{"name": name} for name in ("eno1", *names)]}


def machine(hostname: str, *snapshots: tuple[str, dict], **device) -> list:
    owner = DeviceFactory(hostname=hostname, **device)
    return [
        SnapshotFactory(device=owner, captured_at=at(day), **{"storage": disk("WD-1"), **columns})
        for day, columns in snapshots
    ]


def test_the_fleets_changes_since_a_date_newest_first_in_words(django_assert_max_num_queries):
    ram = machine(
        "ram",
        ("10-01", {}),
        ("11-05", {}),
        ("11-10", {"ram_total_mb": 65536}),
        ("11-12", {"ram_total_mb": 65536}),
    )
    swapped = machine("swapped", ("10-20", {}), ("11-12", {"storage": disk("WD-2")}))
    machine("same", ("10-01", {}), ("11-03", {}), ("11-15", {}))
    machine(
        "before",
        ("10-01", {}),
        ("10-15", {"ram_total_mb": 65536}),
        ("11-04", {"ram_total_mb": 65536}),
    )
    # a snapshot an older server stored without its key: the change across it is still found
    unkeyed = machine(
        "unkeyed",
        ("10-02", {"ram_total_mb": 8192}),
        ("11-02", {"ram_total_mb": 16384, "hardware_key": ""}),
        ("11-06", {"ram_total_mb": 16384}),
    )
    machine("retired", ("10-01", {}), ("11-08", {"cpu_threads": 16}), retired_on=SINCE)
    # a test bench whose every run has another card in its slot: its newest three, of five
    node = machine(
        "node", *((f"11-{day:02d}", {"network": nics(f"enp{day}s0")}) for day in (1, 2, 3, 4, 5, 6))
    )

    changes = FleetChanges(SINCE)
    with django_assert_max_num_queries(3):  # the machines moved, their changes, the words
        rows = list(changes[:25])
    assert changes.count() == 6
    assert [(c.hostname, c.captured_at.date().isoformat()) for c in rows] == [
        ("swapped", "2026-11-12"),
        ("ram", "2026-11-10"),
        ("node", "2026-11-06"),  # the same time: the later stored first
        ("unkeyed", "2026-11-06"),
        ("node", "2026-11-05"),
        ("node", "2026-11-04"),
    ]
    said = {c.hostname: c for c in rows}
    assert said["swapped"].changes == ["disk replaced: WD40EFRX 4000 GB (WD-1 → WD-2)"]
    assert (said["swapped"].before_snapshot, said["swapped"].after_snapshot) == (
        swapped[0].pk,
        swapped[1].pk,
    )
    assert said["ram"].changes == ["RAM 32→64 GB"]
    assert (said["ram"].before_snapshot, said["ram"].after_snapshot) == (ram[1].pk, ram[2].pk)
    assert (said["unkeyed"].before_snapshot, said["unkeyed"].changes) == (
        unkeyed[0].pk,
        ["RAM 8→16 GB"],
    )
    assert rows[2].changes == ["NICs eno1, enp5s0→eno1, enp6s0"]
    assert {c.device_changes for c in rows if c.hostname == "node"} == {5}
    assert rows[2].before_snapshot == node[4].pk
    assert FleetChanges(SINCE, per_device=1).count() == 4

    # one machine's list has all its changes, a retired machine's too; the fleet's, when asked
    assert len(FleetChanges(SINCE, device_id=node[0].device_id)) == 5
    retired = FleetChanges(
        SINCE, device_id=DeviceFactory._meta.model.objects.get(hostname="retired").pk
    )
    assert [c.changes for c in retired[:10]] == [["CPU threads 12→16"]]
    assert FleetChanges(SINCE, retired=True, per_device=1).count() == 5
    assert FleetChanges(dt.date(2026, 11, 11)).count() == 1  # the disk swapped on the 12th


def test_a_change_taken_at_midnight_of_the_date_is_listed_since_then(settings):
    """The date's midnight in the server's time zone is the list's first instant: a run at
    00:00:00 is since then, the one a second before it is the before."""
    settings.TIME_ZONE = "Europe/Paris"
    midnight = timezone.make_aware(dt.datetime(2026, 11, 1), timezone.get_default_timezone())
    owner = DeviceFactory(hostname="midnight")
    before = SnapshotFactory(device=owner, captured_at=midnight - dt.timedelta(seconds=1))
    after = SnapshotFactory(device=owner, captured_at=midnight, ram_total_mb=65536)

    [change] = FleetChanges(SINCE)[:25]
    assert (change.before_snapshot, change.after_snapshot) == (before.pk, after.pk)
    assert (change.changes, change.device_changes) == (["RAM 32→64 GB"], 1)
    assert FleetChanges(SINCE + dt.timedelta(days=1)).count() == 0


def test_a_snapshot_without_a_key_before_the_date_is_not_the_one_compared():
    """An older server's snapshot (no key) before the date: the change is told from the keyed
    one before it, and a machine whose hardware stayed the same across it has no change."""
    upgraded = machine(
        "upgraded",
        ("10-01", {}),
        ("10-20", {"ram_total_mb": 65536, "hardware_key": ""}),
        ("11-05", {"ram_total_mb": 65536}),
    )
    machine("same", ("10-01", {}), ("10-20", {"hardware_key": ""}), ("11-05", {}))

    [change] = FleetChanges(SINCE)[:25]
    assert (change.hostname, change.changes) == ("upgraded", ["RAM 32→64 GB"])
    assert (change.before_snapshot, change.after_snapshot) == (upgraded[0].pk, upgraded[2].pk)


def test_snapshots_taken_at_the_same_time_are_compared_in_the_order_stored():
    """Runs stored with the same time (the agent's clock, to the second): the later stored is
    the newer, before the date as since it, and the one kept when a machine's newest are."""
    snapshots = machine(
        "same-time",
        ("10-31", {}),
        ("10-31", {"ram_total_mb": 65536}),  # the newest before the date: 64 GB
        ("11-05", {"ram_total_mb": 65536}),
        ("11-05", {"ram_total_mb": 131072}),
        ("11-05", {}),
    )
    pairs = [
        (c.before_snapshot, c.after_snapshot, c.changes, c.device_changes)
        for c in FleetChanges(SINCE)[:25]
    ]
    assert pairs == [
        (snapshots[3].pk, snapshots[4].pk, ["RAM 128→32 GB"], 2),
        (snapshots[2].pk, snapshots[3].pk, ["RAM 64→128 GB"], 2),
    ]
    [newest] = FleetChanges(SINCE, per_device=1)[:25]
    assert (newest.before_snapshot, newest.after_snapshot) == (snapshots[3].pk, snapshots[4].pk)


def test_the_default_period_is_the_30_days_before_today_in_the_servers_time_zone(settings):
    """The API's requests run in UTC: its default date is still the server's, as the admin's."""
    settings.TIME_ZONE = "Europe/Paris"
    now = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)  # the 6th, 00:30 in Paris
    with timezone.override(dt.UTC):
        assert since_default(now) == dt.date(2026, 11, 6)


def test_a_machine_deleted_after_its_changes_were_counted_is_left_out_of_the_page():
    """The list is counted (two queries), then its page told in words (a third): a machine
    deleted in between, its snapshots with it, made the page a KeyError, a 500."""
    machine("gone", ("10-20", {}), ("11-12", {"ram_total_mb": 65536}))
    machine("swapped", ("10-20", {}), ("11-10", {"storage": disk("WD-2")}))
    changes = FleetChanges(SINCE)
    assert changes.count() == 2
    DeviceFactory._meta.model.objects.filter(hostname="gone").delete()
    assert [change.hostname for change in changes[:25]] == ["swapped"]


def test_a_snapshot_deleted_after_the_changes_were_counted_leaves_out_its_change_alone():
    """A snapshot deleted in the admin between the count and the page: the change it was one
    side of is gone, the machine's others are listed."""
    snapshots = machine(
        "pruned",
        ("10-20", {}),
        ("11-05", {"ram_total_mb": 65536}),
        ("11-08", {"ram_total_mb": 131072}),
        ("11-10", {"ram_total_mb": 131072, "storage": disk("WD-2")}),
    )
    changes = FleetChanges(SINCE)
    assert changes.count() == 3
    snapshots[0].delete()
    assert [c.changes for c in changes[:25]] == [
        ["disk replaced: WD40EFRX 4000 GB (WD-1 → WD-2)"],
        ["RAM 64→128 GB"],
    ]


def test_parts_finds_every_parts_change_when_they_are_told_a_batch_at_a_time(monkeypatch):
    """`parts` tells the changes TOLD_AT_ONCE at a time: none is left out between batches."""
    monkeypatch.setattr(hardware_changes, "TOLD_AT_ONCE", 2)
    machine(
        "upgraded",
        ("10-20", {}),
        *((f"11-{n + 2:02d}", {"ram_total_mb": 32768 * (1 + n % 2)}) for n in range(5)),
    )
    parts = FleetChanges(SINCE, parts=True, per_device=None)
    assert [c.changes for c in parts[:25]] == [["RAM 64→32 GB"], ["RAM 32→64 GB"]] * 2
    assert FleetChanges(SINCE, parts=True).count() == 3


def test_parts_finds_the_ram_upgrade_and_the_disk_swap_behind_a_years_kernel_updates(
    django_assert_max_num_queries,
):
    """Two years of a weekly cron: each machine's newest 3 changes are kernel updates, and the
    RAM added and the disk swapped before them were on no page of the fleet's list."""
    was = {"kernel_version": "6.1.0-1-amd64", "bios_version": "02.44"}
    kernels = [(f"11-{n:02d}", {**was, "kernel_version": f"6.1.0-{n}-amd64"}) for n in (5, 8, 11)]
    upgraded = machine(
        "upgraded",
        ("10-01", was),
        ("11-02", {**was, "ram_total_mb": 65536, "bios_version": "02.48"}),
        *(
            (day, {**kernel, "ram_total_mb": 65536, "bios_version": "02.48"})
            for day, kernel in kernels
        ),
    )
    new_disk = {"storage": disk("WD-2")}
    swapped = [("11-03", {**was, **new_disk})] + [(d, {**k, **new_disk}) for d, k in kernels]
    machine("swapped", ("10-01", was), *swapped)
    machine("updated", ("10-01", was), *kernels)

    everything = FleetChanges(SINCE)
    assert all(c.changes[0].startswith("kernel") for c in everything[:25])

    parts = FleetChanges(SINCE, parts=True)
    with django_assert_max_num_queries(4):  # moved, changes, their words, the page's words
        rows = list(parts[:25])
    assert [(c.hostname, c.changes, c.device_changes) for c in rows] == [
        ("swapped", ["disk replaced: WD40EFRX 4000 GB (WD-1 → WD-2)"], 1),
        ("upgraded", ["RAM 32→64 GB", "BIOS 02.44→02.48"], 1),  # the update beside it told
    ]
    assert (rows[1].before_snapshot, rows[1].after_snapshot) == (upgraded[0].pk, upgraded[1].pk)
    assert FleetChanges(SINCE, parts=True, device_id=upgraded[0].device_id).count() == 1
