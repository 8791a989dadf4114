"""benchmark_ingest: device matching, identity keys, all-or-nothing storage."""

import dataclasses
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.db import IntegrityError, OperationalError
from django.utils import timezone

from benchmarks import services
from benchmarks.models import Benchmark
from benchmarks.validation import submission_validate
from inventory.matching import IdentityKeys, identity_value
from inventory.models import Device, HardwareSnapshot
from inventory.schema import System
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def ingest(document, **kwargs):
    return services.benchmark_ingest(
        submission=submission_validate(document), document=document, **kwargs
    )


def system(**keys):
    return {"hardware": {"system": keys}}


def test_ingest_reuses_device_matched_by_machine_id_and_renames_it():
    first = ingest({"device_identifier": "old-name", **system(machine_id="ab12" * 8)})
    second = ingest({"device_identifier": "new-name", **system(machine_id="AB12" * 8)})

    assert second.device_id == first.device_id
    assert Device.objects.get().hostname == "new-name"
    assert Benchmark.objects.count() == 2


@pytest.mark.parametrize(
    "keys",
    [
        {"system_uuid": "4c4c4544-0042-3510-8051-b8c04f4d3132"},
        {"system_serial": "CZC7247XYZ"},
    ],
)
def test_ingest_matches_a_renamed_machine_by_uuid_or_serial(keys):
    first = ingest({"device_identifier": "a", **system(**keys)})
    second = ingest({"device_identifier": "b", **system(**keys)})
    assert first.device_id == second.device_id


def test_hostname_wins_over_identity_keys():
    named = DeviceFactory(hostname="web-1")
    DeviceFactory(hostname="db-1", machine_id="f" * 31 + "e")

    result = ingest({"device_identifier": "WEB-1", **system(machine_id="f" * 31 + "e")})

    assert result.device_id == named.pk
    named.refresh_from_db()
    assert named.machine_id == "f" * 31 + "e"  # the newest valid key is recorded


@pytest.mark.parametrize(
    "serial",
    [
        "To Be Filled By O.E.M.",
        "Default string",
        "0123456789",
        "000000000000",
        "Not Specified",
        "System Serial Number",
        "  ",
        "FFFFFFFF",
        "0",  # one character: a board's firmware left it unset
        "0000 0000",
    ],
)
def test_placeholder_serials_never_match_devices(serial):
    first = ingest({"device_identifier": "box-a", **system(system_serial=serial)})
    second = ingest({"device_identifier": "box-b", **system(system_serial=serial)})

    assert first.device_id != second.device_id
    assert Device.objects.get(pk=first.device_id).serial == ""


@pytest.mark.parametrize(
    "uuid",
    [
        "00000000-0000-0000-0000-000000000000",
        "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
        "03000200-0400-0500-0006-000700080009",
    ],
)
def test_placeholder_uuids_never_match_devices(uuid):
    first = ingest({"device_identifier": "vm-a", **system(system_uuid=uuid)})
    second = ingest({"device_identifier": "vm-b", **system(system_uuid=uuid)})
    assert first.device_id != second.device_id


def test_a_key_shared_by_several_devices_identifies_none():
    DeviceFactory(hostname="clone-1", machine_id="c" * 31 + "d")
    DeviceFactory(hostname="clone-2", machine_id="c" * 31 + "d")

    result = ingest({"device_identifier": "clone-3", **system(machine_id="c" * 31 + "d")})

    assert Device.objects.count() == 3
    assert Device.objects.get(pk=result.device_id).hostname == "clone-3"


def test_machines_that_share_a_serial_but_not_a_uuid_stay_two():
    """A vendor's batch of boards all reading one serial (not a known placeholder): each
    machine has its own DMI UUID, and none of them took over the first one's device, runs and
    name (36 machines were once merged into one, renamed at each run)."""
    batch = "SER00000000"
    first = ingest(
        {"device_identifier": "node-1", **system(system_uuid="4c4c4544-0001", system_serial=batch)}
    )
    second = ingest(
        {"device_identifier": "node-2", **system(system_uuid="4c4c4544-0002", system_serial=batch)}
    )

    assert first.device_id != second.device_id
    assert sorted(Device.objects.values_list("hostname", flat=True)) == ["node-1", "node-2"]


def test_a_cloned_vm_with_a_uuid_of_its_own_is_not_its_template():
    template = ingest(
        {
            "device_identifier": "tpl",
            **system(machine_id="3f2a9c0e5b7d41e8a6c2f0d9e8b7a615", system_uuid="1111-aaaa"),
        }
    )
    clone = ingest(
        {
            "device_identifier": "clone",
            **system(machine_id="3f2a9c0e5b7d41e8a6c2f0d9e8b7a615", system_uuid="2222-bbbb"),
        }
    )

    assert clone.device_id != template.device_id
    assert Device.objects.get(pk=template.device_id).hostname == "tpl"


def test_a_machine_reinstalled_and_renamed_is_still_found_by_its_hardware():
    """A new machine-id (the reinstall) does not say it is another machine: its UUID does not
    change."""
    before = ingest(
        {
            "device_identifier": "old",
            **system(machine_id="3f2a9c0e5b7d41e8a6c2f0d9e8b7a615", system_uuid="1111-aaaa"),
        }
    )
    after = ingest(
        {
            "device_identifier": "new",
            **system(machine_id="9d1e7b3c2a4f48e0b5c6d7e8f9a0b1c2", system_uuid="1111-aaaa"),
        }
    )

    assert after.device_id == before.device_id
    assert Device.objects.get().machine_id == "9d1e7b3c2a4f48e0b5c6d7e8f9a0b1c2"


def test_a_capture_of_the_past_leaves_the_machines_name_and_keys_as_its_newer_runs_left_them():
    """An old capture re-sent (bench.sh --from-dir) named the machine as it was then: it
    renamed the device back to its former name and took back its old machine-id, and the next
    live run renamed it again, each rename in its history."""
    uuid, old_id, new_id = "1111-aaaa", "3f2a9c0e" * 4, "9d1e7b3c" * 4

    def run(hostname, machine_id, days_ago):
        started = (timezone.now() - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return ingest(
            {
                "device_identifier": hostname,
                **system(machine_id=machine_id, system_uuid=uuid),
                "results": {"conditions": {"started_at": started}},
            }
        )

    first = run("alpha", old_id, days_ago=30)
    run("gamma", new_id, days_ago=7)  # reinstalled and renamed
    replayed = run("alpha", old_id, days_ago=40)  # a capture of before, re-sent

    device = Device.objects.get()
    assert replayed.device_id == first.device_id  # the same machine: its run is kept
    assert replayed.renamed_from is None
    assert (device.hostname, device.machine_id) == ("gamma", new_id)
    renames = LogEntry.objects.filter(change_message__startswith="Renamed by a submission")
    assert renames.count() == 1  # alpha → gamma, not back
    # the machine's next live run finds it by its name, as before the replay
    assert run("gamma", new_id, days_ago=0).device_id == first.device_id
    assert Device.objects.get().hostname == "gamma"


def test_identity_keys_are_normalised():
    keys = IdentityKeys.from_system(
        System(machine_id=" AB12 ", system_uuid="4C4C-AA", system_serial=" CZC72 ")
    )
    assert keys == IdentityKeys(machine_id="ab12", system_uuid="4c4c-aa", serial="CZC72")
    assert identity_value("  ABC-123 ") == "ABC-123"
    assert identity_value(None) == ""
    assert identity_value("to be filled by o.e.m.") == ""


def test_a_failure_inside_the_transaction_stores_nothing(monkeypatch, example):
    def explode(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services.Benchmark.objects, "create", explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest(example)

    assert (Device.objects.count(), HardwareSnapshot.objects.count()) == (0, 0)


def test_an_integrity_error_without_a_stored_submission_is_retried_then_raised(monkeypatch):
    # what a lost race on a new hostname looks like from here, every time: the insert fails
    calls = []

    def conflict(**fields):
        calls.append(fields)
        raise IntegrityError("unique constraint")

    monkeypatch.setattr(Benchmark.objects, "create", conflict)
    with pytest.raises(IntegrityError):
        ingest({"device_identifier": "x"})
    assert len(calls) == services.INGEST_ATTEMPTS
    assert (Device.objects.count(), HardwareSnapshot.objects.count()) == (0, 0)


def test_a_run_without_a_submission_id_that_lost_a_race_is_retried_and_stored(monkeypatch):
    # an earlier run without a submission_id (an older bench.sh) must not be taken for this
    # one: the lost race on the new hostname is run again and the run stored
    earlier = ingest({"device_identifier": "old-host", "results": {"cpu": {"score": 10}}})
    create, calls = Benchmark.objects.create, []

    def lose_once(**fields):
        calls.append(fields)
        if len(calls) == 1:
            raise IntegrityError("unique constraint")
        return create(**fields)

    monkeypatch.setattr(Benchmark.objects, "create", lose_once)
    result = ingest({"device_identifier": "new-host", "results": {"cpu": {"score": 20}}})

    assert result.created and result.benchmark_id != earlier.benchmark_id
    assert Device.objects.get(pk=result.device_id).hostname == "new-host"
    assert sorted(Benchmark.objects.values_list("cpu_score", flat=True)) == [10, 20]


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])  # deadlock, serialization failure
def test_a_run_postgresql_broke_a_deadlock_on_is_run_again_and_stored(monkeypatch, sqlstate):
    create, calls = Benchmark.objects.create, []

    def deadlock_once(**fields):
        calls.append(fields)
        if len(calls) == 1:
            error = OperationalError("deadlock detected")
            error.__cause__ = type("PgError", (Exception,), {"sqlstate": sqlstate})()
            raise error
        return create(**fields)

    monkeypatch.setattr(Benchmark.objects, "create", deadlock_once)
    result = ingest({"device_identifier": "h", "results": {"cpu": {"score": 20}}})

    assert result.created and len(calls) == 2
    assert list(Benchmark.objects.values_list("cpu_score", flat=True)) == [20]


def test_a_database_error_other_than_a_deadlock_is_not_run_again(monkeypatch):
    # only what PostgreSQL asks to be run again (services.RUN_AGAIN) is: a full disk or a lost
    # connection is answered at once, not after writing the run three times over
    calls = []

    def fail(**fields):
        calls.append(fields)
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(Benchmark.objects, "create", fail)
    with pytest.raises(OperationalError):
        ingest({"device_identifier": "x"})
    assert len(calls) == 1


def test_a_repeated_submission_id_returns_the_stored_ids_and_rolls_back_the_rest(example):
    stored = ingest(example)
    figures = Device.objects.values_list("global_score", "last_benchmark_at").get()

    # no look-up first: the benchmark's unique index refuses the insert, the transaction with
    # the second snapshot rolls back, and the stored submission is found
    result = ingest(example)

    assert result == dataclasses.replace(stored, created=False, device_created=False)
    assert (HardwareSnapshot.objects.count(), Benchmark.objects.count()) == (1, 1)
    assert Device.objects.values_list("global_score", "last_benchmark_at").get() == figures


def test_ingest_logs_one_line_per_submission(caplog, example):
    with caplog.at_level("INFO", logger="benchmarks.services"):
        ingest(example, submitted_by="token:rack")
    lines = [r.getMessage() for r in caplog.records if r.name == "benchmarks.services"]
    assert len(lines) == 1
    assert "device=elitedesk-800g3" in lines[0] and "global=105.65" in lines[0]
    assert "by=token:rack" in lines[0]


def test_deleting_the_latest_benchmark_ranks_the_device_by_the_previous_one():
    first = ingest({"device_identifier": "h", "results": {"cpu": {"score": 10}}})
    second = ingest({"device_identifier": "h", "results": {"cpu": {"score": 20}}})
    assert Device.objects.get().cpu_score == 20

    services.benchmark_delete(benchmarks=Benchmark.objects.filter(pk=second.benchmark_id))

    device = Device.objects.get()
    assert (device.global_score, device.cpu_score) == (10, 10)
    assert device.last_benchmark_at == Benchmark.objects.get(pk=first.benchmark_id).run_at
    services.benchmark_delete(benchmarks=Benchmark.objects.all())
    device = Device.objects.get()
    assert (device.global_score, device.cpu_score, device.last_benchmark_at) == (None, None, None)


def test_a_run_without_any_score_leaves_the_ranking_to_the_run_with_scores():
    # bench.sh with every category skipped (or no benchmark tool there): a valid, empty run
    scored = ingest(
        {
            "device_identifier": "h",
            "results": {"cpu": {"score": 40}, "conditions": {"cpu_busy_percent": 90}},
        }
    )
    assert scored.validity == "suspect"
    ingest({"device_identifier": "h", "results": {}})

    device = Device.objects.get()
    assert (device.global_score, device.cpu_score, device.ranking_run_valid) == (40, 40, False)
    assert device.latest_validity == "valid"  # the empty run is still the latest run
    # the refresh after a deletion or a rescore gives the same figures
    Device.objects.update(global_score=None, cpu_score=None, ranking_run_valid=None)
    services.device_ranking_refresh()
    device = Device.objects.get()
    assert (device.global_score, device.cpu_score, device.ranking_run_valid) == (40, 40, False)


def test_deleting_the_latest_run_leaves_the_validity_of_the_run_now_latest():
    """The device list's validity is its latest run's: a suspect run left latest by a
    deletion is said suspect, though the machine is still ranked by its valid run before."""
    ingest({"device_identifier": "h", "results": {"cpu": {"score": 10}}})
    busy = {"cpu": {"score": 40}, "conditions": {"cpu_busy_percent": 90}}
    assert ingest({"device_identifier": "h", "results": busy}).validity == "suspect"
    newest = ingest({"device_identifier": "h", "results": {"cpu": {"score": 20}}})

    services.benchmark_delete(benchmarks=Benchmark.objects.filter(pk=newest.benchmark_id))

    device = Device.objects.get()
    assert (device.latest_validity, device.global_score, device.ranking_run_valid) == (
        "suspect",
        10,
        True,
    )
    assert device.latest_validity_reasons


def test_a_network_measured_on_loopback_keys_the_machine_with_those_measured_so():
    """Its peers are the machines measured alike (ranking_methods_key): a global score without
    the network is another measurement, at its submission as after a rescore."""
    network = {"score": 2165.0, "method": "iperf3-tcp-1stream-up+down-2s-v1"}
    for target in ("10.0.0.5", "127.0.0.1"):
        results = {"cpu": {"score": 10}, "network": {**network, "target": target}}
        ingest({"device_identifier": target, "results": results})
    keys = dict(Device.objects.values_list("hostname", "ranking_methods_key"))
    assert keys["10.0.0.5"] != keys["127.0.0.1"] and "left out" in keys["127.0.0.1"]
    services.device_ranking_refresh()
    assert dict(Device.objects.values_list("hostname", "ranking_methods_key")) == keys


@pytest.mark.parametrize("virtualization", ["lxc", "docker", "LXC", "container-other"])
def test_a_container_is_not_its_host(virtualization):
    """A container reads its host's DMI: its run carried the host's UUID and serial, was
    attached to the host's device and renamed it after the container (bench.sh audit)."""
    host_keys = {"system_uuid": "4c4c4544-0042-3510-8051-b8c04f4d3132", "system_serial": "7XYZ1"}
    host = ingest(
        {
            "device_identifier": "pve2",
            "hardware": {
                "system": {"machine_id": "3f2a9c0e" * 4, **host_keys},
                "os": {"virtualization_type": "none"},
            },
        }
    )
    container = ingest(
        {
            "device_identifier": "ct201",
            "hardware": {
                "system": {"machine_id": "9d1e7b3c" * 4, **host_keys},
                "os": {"virtualization_type": virtualization},
            },
        }
    )

    assert container.device_id != host.device_id and container.renamed_from is None
    assert Device.objects.get(pk=host.device_id).hostname == "pve2"
    ct = Device.objects.get(pk=container.device_id)
    assert (ct.machine_id, ct.system_uuid, ct.serial) == ("9d1e7b3c" * 4, "", "")
    # the container renamed is still found by its own machine-id
    again = ingest(
        {
            "device_identifier": "ct201-renamed",
            "hardware": {
                "system": {"machine_id": "9d1e7b3c" * 4, **host_keys},
                "os": {"virtualization_type": virtualization},
            },
        }
    )
    assert again.device_id == container.device_id and again.renamed_from == "ct201"


def test_a_virtual_machine_keeps_its_dmi_keys():
    """A VM's DMI is its own (the hypervisor gives each its UUID): it is still found by it."""
    keys = {"system_uuid": "1111-aaaa"}
    first = ingest(
        {
            "device_identifier": "vm-a",
            "hardware": {"system": keys, "os": {"virtualization_type": "kvm"}},
        }
    )
    second = ingest(
        {
            "device_identifier": "vm-b",
            "hardware": {"system": keys, "os": {"virtualization_type": "kvm"}},
        }
    )
    assert second.device_id == first.device_id and second.renamed_from == "vm-a"


def test_a_vm_cloned_with_its_templates_uuid_gets_a_device_once_both_have_run():
    """Two VMs of one template share its DMI UUID. The clone's first run, under a name of its
    own and with another machine-id, cannot be told from the template reinstalled and renamed;
    when the template runs again under its name and machine-id, it is another machine: each
    keeps its name from then on, where the device was renamed back and forth at each run."""
    uuid, template_id, clone_id = "9d1e2f3a-0000-4000-8000-00000000c10e", "a1" * 16, "b2" * 16

    def run(hostname, machine_id):
        keys = system(machine_id=machine_id, system_uuid=uuid, system_serial="VMW-1234")
        return ingest({"device_identifier": hostname, **keys})

    first = run("vm-a", f" {template_id.upper()}\n")  # as another client may send it
    assert run("vm-b", clone_id).renamed_from == "vm-a"  # a reinstall, as far as one run tells
    back = run("vm-a", template_id)
    assert back.device_created and back.renamed_from is None
    assert run("vm-b", clone_id).device_id == first.device_id
    assert run("vm-a", template_id).device_id == back.device_id
    assert sorted(Device.objects.values_list("hostname", flat=True)) == ["vm-a", "vm-b"]
    said = LogEntry.objects.get(object_id=str(first.device_id), change_message__contains="clone")
    assert 'A machine named "vm-a"' in said.change_message
    assert "system_uuid" in said.change_message
    assert (
        LogEntry.objects.filter(change_message__startswith="Renamed by a submission").count() == 1
    )


def test_another_uuid_under_a_devices_name_is_said_in_its_history():
    """The name comes first: a replaced motherboard (or another machine given the name) keeps
    the device, and its history says which keys changed, from what to what."""
    first = ingest(
        {"device_identifier": "pc-07", **system(system_uuid="1111-aaaa", system_serial="CZC1")}
    )
    again = ingest(
        {"device_identifier": "pc-07", **system(system_uuid="2222-bbbb", system_serial="CZC1")}
    )

    assert again.device_id == first.device_id
    said = LogEntry.objects.get(change_message__startswith="Another system_uuid")
    assert '"1111-aaaa" → "2222-bbbb"' in said.change_message
    assert "serial" not in said.change_message.split(":")[0]
    # a machine-id alone (a reinstall) or a key first read says nothing
    ingest({"device_identifier": "pc-07", **system(system_uuid="2222-bbbb", machine_id="ab" * 16)})
    ingest({"device_identifier": "pc-08", **system(system_uuid="3333-cccc")})
    assert LogEntry.objects.filter(change_message__startswith="Another").count() == 1


@pytest.mark.parametrize("renamed", ["by its machine", "in the admin"])
def test_a_machine_reinstalled_under_a_former_name_is_still_its_device(renamed):
    """A machine-id never seen is a reinstall, whatever the name: the device named back (a
    second device, at 0.14.4's first try, taken for a cloned VM)."""
    keys = {"system_uuid": "4c4c4544-0042-3510-8051-b8c04f4d3132", "system_serial": "CZC7247XYZ"}

    def run(hostname, machine_id):
        return ingest({"device_identifier": hostname, **system(machine_id=machine_id, **keys)})

    first = run("ws-01", "a1" * 16)
    if renamed == "by its machine":
        run("ws-01-old", "a1" * 16)
    else:
        Device.objects.filter(pk=first.device_id).update(
            hostname="ws-01-old", former_hostnames="ws-01"
        )
    again = run("ws-01", "c3" * 16)  # reinstalled, under its first name

    assert (again.device_id, again.device_created, again.renamed_from) == (
        first.device_id,
        False,
        "ws-01-old",
    )
    assert list(Device.objects.values_list("hostname", flat=True)) == ["ws-01"]


def test_machines_that_share_a_uuid_but_not_a_serial_stay_two():
    """Two boards whose maker gave both one UUID (not a placeholder): the second run renamed the
    first machine's device and took its runs."""
    shared = "4c4c4544-00aa-bbbb-cccc-dddddddddddd"
    first = ingest(
        {"device_identifier": "node-1", **system(system_uuid=shared, system_serial="CZC0001")}
    )
    second = ingest(
        {"device_identifier": "node-2", **system(system_uuid=shared, system_serial="CZC0002")}
    )

    assert first.device_id != second.device_id
    assert sorted(Device.objects.values_list("hostname", flat=True)) == ["node-1", "node-2"]


def test_another_serial_under_a_devices_name_is_said_in_its_history():
    ingest({"device_identifier": "pc-07", **system(system_uuid="1111-aaaa", system_serial="CZC1")})
    ingest({"device_identifier": "pc-07", **system(system_uuid="1111-aaaa", system_serial="CZC2")})

    said = LogEntry.objects.get(change_message__startswith="Another serial")
    assert '"CZC1" → "CZC2"' in said.change_message


def test_a_machine_renamed_back_to_a_former_name_is_still_its_device():
    """The same machine-id under a former name is the device's own machine named back (a
    cloned VM comes back with another machine-id): renamed, not split into a second device."""
    keys = system(machine_id="a1" * 16, system_uuid="4c4c4544-0042-3510-8051-b8c04f4d3132")
    first = ingest({"device_identifier": "ws-01", **keys})
    ingest({"device_identifier": "ws-01-tmp", **keys})
    back = ingest({"device_identifier": "ws-01", **keys})

    assert (back.device_id, back.device_created, back.renamed_from) == (
        first.device_id,
        False,
        "ws-01-tmp",
    )
    assert list(Device.objects.values_list("hostname", flat=True)) == ["ws-01"]
    assert not LogEntry.objects.filter(change_message__contains="clone").exists()


def test_a_reinstall_under_its_name_is_not_said_a_motherboard_replaced():
    """A new machine-id alone is a reinstall (a weekly reinstalled lab machine): the history
    says no key replaced; the rename of a machine found by its UUID names that key."""
    uuid = "4c4c4544-0042-3510-8051-b8c04f4d3132"
    ingest({"device_identifier": "lab-1", **system(machine_id="a1" * 16, system_uuid=uuid)})
    ingest({"device_identifier": "lab-1", **system(machine_id="c3" * 16, system_uuid=uuid)})
    assert not LogEntry.objects.filter(change_message__startswith="Another").exists()
    assert Device.objects.get().machine_id == "c3" * 16

    ingest({"device_identifier": "nas-a", **system(system_uuid="1111-aaaa")})
    ingest({"device_identifier": "nas-b", **system(system_uuid="1111-aaaa")})
    said = LogEntry.objects.get(change_message__startswith="Renamed by a submission")
    assert said.change_message.startswith("Renamed by a submission (same system_uuid):")


def test_a_deletion_that_hands_the_ranking_to_a_run_measured_otherwise_keys_the_machine_so():
    """The loopback run deleted, the run across the network ranks the machine again: its
    peers are those measured across the network, not those whose network was left out."""
    network = {"score": 90.0, "method": "iperf3-tcp-1stream-up+down-2s-v1"}
    for target in ("10.0.0.5", "127.0.0.1"):
        results = {"cpu": {"score": 10}, "network": {**network, "target": target}}
        ingest({"device_identifier": "h", "results": results})
    assert "left out" in Device.objects.get().ranking_methods_key

    services.benchmark_delete(benchmarks=Benchmark.objects.exclude(excluded_categories=[]))

    ingest({"device_identifier": "peer", "results": {"cpu": {"score": 11}, "network": network}})
    keys = dict(Device.objects.values_list("hostname", "ranking_methods_key"))
    assert "left out" not in keys["h"] and keys["h"] == keys["peer"]
