"""Data migrations fill what existing rows need, on the real schema of the time."""

import pytest
from django.utils import timezone

from inventory.models import Device, HardwareSnapshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_0007_makes_the_disk_models_of_existing_snapshots_searchable(migrate_to):
    apps = migrate_to(("inventory", "0006_cpu_sockets"))
    device = apps.get_model("inventory", "Device").objects.create(hostname="nas")
    snapshot = apps.get_model("inventory", "HardwareSnapshot")
    storage = {
        "devices": [
            {"name": "sda", "model": "WDC WD40EFRX-68N32N0"},
            {"name": "sdb", "model": "WDC WD40EFRX-68N32N0 "},  # the same model, twice
            {"name": "nvme0n1", "model": "Samsung SSD 980 PRO 1TB"},
            {"name": "sr0"},
            "not an object",
        ]
    }
    filled = snapshot.objects.create(device=device, captured_at=timezone.now(), storage=storage)
    empty = snapshot.objects.create(device=device, captured_at=timezone.now(), storage={})

    migrate_to(("inventory", "0007_snapshot_disk_models"))

    models = HardwareSnapshot.objects.values_list("disk_models", flat=True)  # 0007's columns
    assert models.get(pk=filled.pk) == "WDC WD40EFRX-68N32N0\nSamsung SSD 980 PRO 1TB"
    assert models.get(pk=empty.pk) == ""


def test_0008_gives_existing_devices_the_keys_of_their_latest_snapshot(migrate_to):
    apps = migrate_to(("inventory", "0007_snapshot_disk_models"))
    device = apps.get_model("inventory", "Device")
    snapshot = apps.get_model("inventory", "HardwareSnapshot")
    nas = device.objects.create(hostname="nas")
    old = snapshot.objects.create(device=nas, captured_at=timezone.now(), cpu_model="Old CPU")
    latest = snapshot.objects.create(
        device=nas,
        captured_at=timezone.now(),
        cpu_model="  Intel(R) Core(TM)  i7-6700 CPU ",
        system_model="OptiPlex\t7040",
    )
    nas.latest_snapshot = latest
    nas.save()
    never = device.objects.create(hostname="never-benchmarked")
    assert old.pk != latest.pk

    migrate_to(("inventory", "0008_device_model_keys"))

    keys = Device.objects.values_list("cpu_model_key", "system_model_key")
    assert keys.get(pk=nas.pk) == ("intel(r) core(tm) i7-6700 cpu", "optiplex 7040")
    assert keys.get(pk=never.pk) == ("", "")


def test_0009_derives_the_disk_readings_of_existing_snapshots(migrate_to):
    apps = migrate_to(("inventory", "0008_device_model_keys"))
    device = apps.get_model("inventory", "Device").objects.create(hostname="nas")
    snapshot = apps.get_model("inventory", "HardwareSnapshot")
    storage = {
        "devices": [{"name": "/dev/sda", "serial": "WD-1", "vendor": "WDC", "temperature_c": 41}]
    }
    filled = snapshot.objects.create(device=device, captured_at=timezone.now(), storage=storage)
    empty = snapshot.objects.create(device=device, captured_at=timezone.now(), storage={})

    migrate_to(("inventory", "0009_snapshot_disk_readings"))

    readings = HardwareSnapshot.objects.values_list("disk_readings", flat=True)  # 0009's columns
    assert readings.get(pk=filled.pk) == [
        {"name": "/dev/sda", "serial": "WD-1", "temperature_c": 41}
    ]
    assert readings.get(pk=empty.pk) == []


def test_0018_makes_the_disk_serials_and_addresses_of_existing_snapshots_searchable(migrate_to):
    apps = migrate_to(("inventory", "0017_tag_unique_message"))
    device = apps.get_model("inventory", "Device").objects.create(hostname="nas")
    snapshot = apps.get_model("inventory", "HardwareSnapshot")
    storage = {"devices": [{"name": "/dev/sda", "serial": "WD-1"}, {"name": "/dev/sr0"}]}
    network = {
        "interfaces": [
            {"name": "eno1", "mac": "3C:52:82:0A:1B:2C", "ip": "10.0.0.21"},
            {"name": "lo", "mac": "00:00:00:00:00:00", "ip": "127.0.0.1"},
            {"name": "eno2", "ip": "fe80::3e52:82ff:fe0a:1b2d/64"},
            "not an object",
        ]
    }
    filled = snapshot.objects.create(
        device=device, captured_at=timezone.now(), storage=storage, network=network
    )
    empty = snapshot.objects.create(device=device, captured_at=timezone.now())

    migrate_to(("inventory", "0018_snapshot_serials_addresses"))

    rows = HardwareSnapshot.objects.values_list("disk_serials", "addresses")
    # not the addresses every machine has (a search for 127.0.0.1 found the whole fleet)
    assert rows.get(pk=filled.pk) == ("WD-1", "3c:52:82:0a:1b:2c\n10.0.0.21")
    assert rows.get(pk=empty.pk) == ("", "")


def test_0020_points_each_device_at_its_newest_snapshot_and_keeps_its_time(migrate_to, capsys):
    """A run deleted keeps its snapshot, the device's newest; a capture replayed after that
    pointed the device at an older one (its hardware, /metrics and peers read one snapshot,
    its disk judgments the other)."""
    apps = migrate_to(("inventory", "0019_device_ranking_methods_key"))
    device = apps.get_model("inventory", "Device")
    snapshot = apps.get_model("inventory", "HardwareSnapshot")
    now = timezone.now()
    split, fine = device.objects.create(hostname="split"), device.objects.create(hostname="fine")
    newest = snapshot.objects.create(
        device=split, captured_at=now, cpu_model="AMD Ryzen 5 3600 6-Core Processor"
    )
    replayed = snapshot.objects.create(
        device=split, captured_at=now - timezone.timedelta(days=5), cpu_model="Old CPU"
    )
    split.latest_snapshot, split.cpu_model_key = replayed, "old cpu"
    split.save()
    latest = snapshot.objects.create(device=fine, captured_at=now, cpu_model="Intel N100")
    fine.latest_snapshot, fine.cpu_model_key = latest, "intel n100"
    fine.save()
    never = device.objects.create(hostname="never")

    migrate_to(("inventory", "0020_device_latest_snapshot_at"))

    rows = Device.objects.values_list("latest_snapshot_id", "latest_snapshot_at", "cpu_model_key")
    assert rows.get(pk=split.pk) == (newest.pk, now, "amd ryzen 5 3600 6-core processor")
    assert rows.get(pk=fine.pk) == (latest.pk, now, "intel n100")
    assert rows.get(pk=never.pk) == (None, None, "")
    said = capsys.readouterr().out
    assert "1 device(s) pointed at an older snapshot" in said and "(split)" in said
    assert "manage.py rescore" in said


def test_0023_gives_existing_devices_the_arrival_of_their_latest_run(migrate_to):
    """A machine whose clock is behind (its run dated 2024) that ran yesterday is heard from
    yesterday, not in 2024: the dashboard's "Not heard from" reads it off the device row."""
    apps = migrate_to(("inventory", "0022_device_lifecycle"))
    device = apps.get_model("inventory", "Device")
    benchmark = apps.get_model("benchmarks", "Benchmark")
    now = timezone.now()
    behind, never = device.objects.create(hostname="behind"), device.objects.create(hostname="n")
    for received in (now - timezone.timedelta(days=9), now - timezone.timedelta(days=1)):
        run_at = received.replace(year=2024)
        benchmark.objects.create(
            device=behind, run_at=run_at, received_at=received, results={}, weights={}
        )
        device.objects.filter(pk=behind.pk).update(last_benchmark_at=run_at)

    migrate_to(("inventory", "0023_device_last_received_at"))

    rows = Device.objects.values_list("last_received_at", flat=True)
    assert rows.get(pk=behind.pk) == now - timezone.timedelta(days=1)
    assert rows.get(pk=never.pk) is None


def test_0033_gives_a_device_with_a_run_time_and_no_arrival_its_run_time(migrate_to):
    """The dashboard's "Not heard from" reads the arrivals' index: a row with a run time and
    no arrival (no run wrote it) would be quiet and never listed."""
    apps = migrate_to(("inventory", "0032_snapshot_key_without_shared_macs"))
    device = apps.get_model("inventory", "Device")
    ran, arrived = timezone.now() - timezone.timedelta(days=40), timezone.now()
    unheard = device.objects.create(hostname="unheard", last_benchmark_at=ran)
    heard = device.objects.create(hostname="heard", last_benchmark_at=ran, last_received_at=arrived)
    never = device.objects.create(hostname="never")

    migrate_to(("inventory", "0033_device_last_heard_index"))

    rows = Device.objects.values_list("last_received_at", flat=True)
    assert (rows.get(pk=unheard.pk), rows.get(pk=heard.pk)) == (ran, arrived)
    assert rows.get(pk=never.pk) is None


def test_0024_gives_existing_snapshots_the_hardware_key_a_submission_stores(
    migrate_to, monkeypatch
):
    """Filled in batches (of 2 here), each key the one inventory.services stores with a new
    snapshot, so the device page tells the changes of the years before the upgrade too."""
    from inventory import backfill
    from inventory.history import hardware_key

    monkeypatch.setattr(backfill, "BATCH", 2)
    apps = migrate_to(("inventory", "0023_device_last_received_at"))
    device = apps.get_model("inventory", "Device").objects.create(hostname="nas")
    snapshot = apps.get_model("inventory", "HardwareSnapshot")
    disks = {"devices": [{"name": "sda", "model": "WD40EFRX", "serial": "WD-1"}]}
    for n, ram in enumerate((16384, 16384, 32768, 32768, 32768)):
        snapshot.objects.create(
            device=device,
            captured_at=timezone.now(),
            ram_total_mb=ram,
            storage=disks if n < 4 else {"devices": [{"name": "sda", "serial": "WD-2"}]},
            network={"interfaces": [{"name": "eth0"}]},
        )

    migrate_to(("inventory", "0024_snapshot_hardware_key"))

    stored = list(HardwareSnapshot.objects.order_by("id"))
    assert [s.hardware_key for s in stored] == [hardware_key(s) for s in stored]
    assert len({s.hardware_key for s in stored}) == 3  # 16 GB, 32 GB, the disk replaced


def test_0027_leaves_a_server_of_0_9_0_still_running_adding_machines():
    """Servers upgraded in turn: one of 0.9.0 still serving on the migrated database writes a
    new machine's device without attention_muted (it answered the machine's first run 500)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state(
        ("inventory", "0025_snapshot_filter_indexes")
    )
    older = state.apps.get_model("inventory", "Device").objects.create(hostname="new-nas")

    assert Device.objects.get(pk=older.pk).attention_muted == {}  # nothing muted on it


def _keyed_as_before(
    migrate_to, monkeypatch, at: str, runs: dict, column: str = "network", **stored_as
) -> dict:
    """At migration `at`, a snapshot of each machine of `runs` (its hostname: its interfaces,
    or with `column` "ram_layout" its DIMMs, at each run) a run, its key as the release before
    stored it (hardware_key(**stored_as)); the keys by machine, run after run. Keyed again in
    batches of 2."""
    from inventory import backfill
    from inventory.history import hardware_key

    monkeypatch.setattr(backfill, "BATCH", 2)
    apps = migrate_to(("inventory", at))
    snapshot, device = (
        apps.get_model("inventory", name) for name in ("HardwareSnapshot", "Device")
    )
    stored = {}
    for hostname, interfaces in runs.items():
        owner = device.objects.create(hostname=hostname)
        stored[hostname] = []
        for listed in interfaces:
            row = snapshot(device=owner, captured_at=timezone.now(), ram_total_mb=16384)
            if column == "network":
                row.network = {"interfaces": listed}
            else:
                setattr(row, column, listed)
            row.hardware_key = hardware_key(row, **stored_as)
            row.save()
            stored[hostname].append(row.pk)
    return stored


def _keyed_again(migrate_to, migration: str, back: str, stored: dict) -> dict:
    """The keys of `stored` (_keyed_as_before's) after `migration`, each the one a submission
    stores; then undone (to `back`), each the key stored before."""
    from inventory.history import hardware_key

    before = dict(HardwareSnapshot.objects.values_list("pk", "hardware_key"))
    migrate_to(("inventory", migration))
    keys = dict(HardwareSnapshot.objects.values_list("pk", "hardware_key"))
    assert keys == {row.pk: hardware_key(row) for row in HardwareSnapshot.objects.all()}
    migrate_to(("inventory", back))
    assert dict(HardwareSnapshot.objects.values_list("pk", "hardware_key")) == before
    return {
        host: ([before[pk] for pk in pks], [keys[pk] for pk in pks]) for host, pks in stored.items()
    }


def test_0028_keys_the_snapshots_again_without_their_virtual_interfaces(migrate_to, monkeypatch):
    """A Proxmox node's snapshots, each listing other tap and veth interfaces, had a key each,
    and told a hardware change at every run: computed again, they have one; a machine's without
    a virtual interface keep theirs. Undone, the keys are as 0.10.0 stored them, which a server
    of 0.10.0 compares with the keys it stores."""
    port = {"name": "eno1", "type": "ethernet", "driver": "igb"}
    runs = {"pve1": [], "desktop": [[port]] * 5}
    for n in range(5):
        guests = {f"tap{100 + n}i0": "tun", f"veth{200 + n}i0": "veth"}
        made = [{"name": name, "type": "ethernet", "driver": d} for name, d in guests.items()]
        runs["pve1"].append([port, *made])
    before = "0027_device_attention_muted"
    stored = _keyed_as_before(migrate_to, monkeypatch, before, runs, virtual=True)  # 0.10.0's

    keys = _keyed_again(migrate_to, "0028_snapshot_key_without_virtual_nics", before, stored)

    assert len(set(keys["pve1"][0])) == 5
    assert set(keys["pve1"][1]) == set(keys["desktop"][1])  # the node's ports are the desktop's
    assert len(set(keys["desktop"][1])) == 1 and keys["desktop"][0] == keys["desktop"][1]


def test_0030_keys_the_snapshots_again_with_their_ports_macs(migrate_to, monkeypatch):
    """A server whose onboard eno1 came back from a board swap with another MAC had one key
    before and after: computed again, its snapshots after the swap have another; a laptop's,
    whose Wi-Fi has another random MAC at each run and whose port sent none, keep theirs.
    Undone, the keys are as 0.11.0 stored them."""
    eno1 = {"name": "eno1", "type": "ethernet", "driver": "igb", "mac": "3c:ec:ef:10:2a:01"}
    wired = {"name": "enp0s31f6", "type": "ethernet", "driver": "e1000e"}
    wifi = {"name": "wlp0s20f3", "type": "wifi", "driver": "iwlwifi"}
    runs = {
        "srv1": [[eno1]] * 3 + [[{**eno1, "mac": "a0:36:9f:5e:11:20"}]] * 2,
        "laptop": [[wired, {**wifi, "mac": f"3a:91:6c:02:5e:a{n}"}] for n in range(5)],
    }
    before = "0029_device_former_hostnames"
    stored = _keyed_as_before(migrate_to, monkeypatch, before, runs, macs=False)  # 0.11.0's

    keys = _keyed_again(migrate_to, "0030_snapshot_key_with_port_macs", before, stored)

    assert len(set(keys["srv1"][0])) == 1
    server = keys["srv1"][1]
    assert len(set(server[:3])) == len(set(server[3:])) == 1 and server[0] != server[3]
    assert keys["laptop"][0] == keys["laptop"][1]


def test_0032_keys_the_snapshots_again_without_the_macs_a_bonds_ports_carry(
    migrate_to, monkeypatch
):
    """A server whose bond0's ports both sent the bond's MAC, eno1's: its card replaced, both
    ports had another and its key told two cards replaced. Computed again, its snapshots have
    one key; a machine whose ports each send their own keeps its keys. Undone, the keys are as
    0.12.0 stored them."""
    port = {"type": "ethernet", "driver": "igb"}

    def bonded(mac: str) -> list[dict]:
        bond = {"name": "bond0", "type": "bond", "driver": "bonding", "mac": mac}
        return [{**port, "name": "eno1", "mac": mac}, {**port, "name": "eno2", "mac": mac}, bond]

    own = [{**port, "name": f"eno{n}", "mac": f"3c:ec:ef:10:2b:0{n}"} for n in (1, 2)]
    runs = {
        "srv1": [bonded("3c:ec:ef:10:2a:01")] * 3 + [bonded("a0:36:9f:5e:11:20")] * 2,
        "srv2": [own] * 3 + [[own[0], {**own[1], "mac": "a0:36:9f:5e:11:21"}]] * 2,
    }
    before = "0031_device_attention_unmuted"
    stored = _keyed_as_before(migrate_to, monkeypatch, before, runs, shared=True)  # 0.12.0's

    keys = _keyed_again(migrate_to, "0032_snapshot_key_without_shared_macs", before, stored)

    assert len(set(keys["srv1"][0])) == 2
    assert len(set(keys["srv1"][1])) == 1
    assert keys["srv2"][0] == keys["srv2"][1] and len(set(keys["srv2"][1])) == 2


def test_0034_keys_the_snapshots_again_with_their_dimms_modules(migrate_to, monkeypatch):
    """A workstation whose 2133 MHz kit was swapped for two 3200 MHz modules of the same size
    had one key before and after: computed again, its snapshots after the swap have another; a
    VM's, whose DIMM bench.sh reads alike at each run, and a machine's read without root (no
    DIMMs), keep one each. Undone, the keys are as 0.14.3 stored them."""

    def kit(speed: int, part: str) -> list[dict]:
        dimm = {"size_mb": 16384, "type": "DDR4", "speed_mhz": speed, "part_number": part}
        return [{**dimm, "slot": f"DIMM_A{n}"} for n in (1, 2)]

    runs = {
        "ws1": [kit(2133, "CMK32GX4M2A2133C13")] * 3 + [kit(3200, "KF432C16BB/16")] * 2,
        "vm1": [[{"slot": "DIMM 0", "size_mb": 8192, "type": "RAM"}]] * 3,
        "nonroot": [[]] * 2,
    }
    before = "0033_device_last_heard_index"
    stored = _keyed_as_before(migrate_to, monkeypatch, before, runs, "ram_layout", modules=False)

    keys = _keyed_again(migrate_to, "0034_snapshot_key_reads_dimm_modules", before, stored)

    assert len(set(keys["ws1"][0])) == 1
    workstation = keys["ws1"][1]
    assert len(set(workstation[:3])) == len(set(workstation[3:])) == 1
    assert workstation[0] != workstation[3]
    assert len(set(keys["vm1"][1])) == 1
    assert keys["nonroot"][0] == keys["nonroot"][1]


def test_0029_gives_renamed_machines_the_former_hostnames_their_history_names(migrate_to):
    """pc-07 renamed acct-07 by a submission, then compta-7 in the admin, then through the API
    back to acct-07: a search of pc-07 or compta-7 finds it after the upgrade too."""
    apps = migrate_to(("inventory", "0028_snapshot_key_without_virtual_nics"))
    device = apps.get_model("inventory", "Device")
    renamed, untouched, cut = (device.objects.create(hostname=n) for n in ("acct-07", "nas", "x"))
    content_type = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="inventory", model="device"
    )[0]
    user = apps.get_model("auth", "User").objects.create(username="token:bench")
    lines = (
        (renamed, 'Renamed by a submission (same machine_id): hostname "pc-07" → "acct-07"'),
        (renamed, 'Changed hostname "acct-07" → "compta-7"; location "" → "lab".'),
        (renamed, 'Changed through the API: location "lab" → "office"'),
        (renamed, 'Changed through the API: hostname "compta-7" → "acct-07"; owner "" → "ops"'),
        (untouched, 'Changed location "" → "lab".'),
        (cut, f'Changed through the API: hostname "{"a" * 77}..." → "x"'),  # cut short: unsaid
    )
    for at, (machine, message) in enumerate(lines):
        apps.get_model("admin", "LogEntry").objects.create(
            action_time=timezone.now() + timezone.timedelta(seconds=at),
            user=user,
            content_type=content_type,
            object_id=str(machine.pk),
            object_repr=machine.hostname,
            action_flag=2,
            change_message=message,
        )

    migrate_to(("inventory", "0029_device_former_hostnames"))

    former = dict(Device.objects.values_list("hostname", "former_hostnames"))
    assert former == {"acct-07": "pc-07\ncompta-7", "nas": "", "x": ""}
    # the columns of 0029's time only: a later migration's are not there yet
    renamed = Device.objects.only("hostname", "former_hostnames").get(hostname="acct-07")
    assert renamed.former_hostname_list == ["compta-7", "pc-07"]


def test_0029_leaves_a_server_of_0_10_0_still_running_adding_machines():
    """Servers upgraded in turn: one of 0.10.0 still serving on the migrated database writes a
    new machine's device without former_hostnames."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state(
        ("inventory", "0027_device_attention_muted")
    )
    older = state.apps.get_model("inventory", "Device").objects.create(hostname="new-nas")

    assert Device.objects.get(pk=older.pk).former_hostname_list == []


def test_0031_leaves_a_server_of_the_release_before_still_running_adding_machines():
    """Servers upgraded in turn: one of the release before still serving on the migrated
    database writes a new machine's device without attention_unmuted."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state(
        ("inventory", "0030_snapshot_key_with_port_macs")
    )
    older = state.apps.get_model("inventory", "Device").objects.create(hostname="new-nas")

    assert Device.objects.get(pk=older.pk).attention_unmuted == {}  # never unmuted
