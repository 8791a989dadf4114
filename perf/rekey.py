"""Migrations 0028, 0030, 0032 and 0034 on a fleet's years of snapshots: every snapshot's
hardware key computed again (0028: without its virtual interfaces; 0030: with its ports' MACs;
0032: without a MAC two ports carry; 0034: with its DIMMs' modules), and undone.

    .venv/bin/python perf/rekey.py [--migration 0034] [--snapshots 100000] [--keep DIR]

Stores `--snapshots` snapshots of 1,000 machines at the migration before, each with two disks,
four DIMMs (one machine in 10 had its kit swapped for a faster one halfway) and a port, one
machine in 10 a Proxmox node whose every snapshot lists other VMs' and containers' interfaces
(tap, fwbr, fwpr, fwln, veth: 22 besides eno1 and vmbr0), and one in 10 a machine whose eno1
was replaced halfway (another MAC), one in 10 a bond of two ports that carry its MAC (as
bench.sh sent them before 1.2.6), each key as the release before stored it (0.10.0's for
0028: a node's change; 0.11.0's for 0030: every snapshot of a port with its MAC's; 0.12.0's
for 0032: a bond's snapshots; 0.14.3's for 0034: every snapshot of DIMMs); then times
`migrate inventory <migration>` and back, and checks the keys each way. On SQLite in a
temporary directory; with DATABASE_URL naming a PostgreSQL database (a throwaway one:
`pg_virtualenv`), on it.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perf.common import django_in_process, in_process_env

MACHINES = 1000
PORTS = [
    {"name": "eno1", "type": "ethernet", "mac": "3c:ec:ef:10:2a:01", "driver": "igb"},
    {"name": "vmbr0", "type": "bridge", "ip": "10.0.0.30", "driver": "bridge"},
]


# each migration: the one before it, and the keyword of history.hardware_key that gives a key
# as the release before stored it
MIGRATIONS = {
    "0028": ("0027", {"virtual": True}),
    "0030": ("0029", {"macs": False}),
    "0032": ("0031", {"shared": True}),
    "0034": ("0033", {"modules": False}),
}


def interfaces(d: int, n: int, count: int) -> list[dict]:
    """Machine d's interfaces at its n-th snapshot of `count`: a node's guests move on at each,
    and one machine in 10 had its eno1 replaced halfway."""
    if d % 10 == 5 and n < count // MACHINES // 2:  # the newer half: another card in eno1
        return [{**PORTS[0], "mac": f"3c:ec:ef:{d // 256:02x}:{d % 256:02x}:99"}]
    if d % 10 == 7:  # a bond0 of eno1 and eno2, both carrying eno1's MAC
        bond = {"name": "bond0", "type": "bond", "mac": PORTS[0]["mac"], "driver": "bonding"}
        return [PORTS[0], {**PORTS[0], "name": "eno2"}, bond]
    if d % 10:
        return PORTS[:1]
    made = []
    for vmid in range(100 + n % 7, 105 + n % 7):
        made += [
            {"name": f"tap{vmid}i0", "type": "ethernet", "driver": "tun"},
            {"name": f"fwbr{vmid}i0", "type": "bridge", "driver": "bridge"},
            {"name": f"fwpr{vmid}p0", "type": "ethernet", "driver": "veth"},
            {"name": f"fwln{vmid}i0", "type": "ethernet", "driver": "veth"},
        ]
    made += [{"name": f"veth{200 + (n + k) % 9}i0", "driver": "veth"} for k in range(2)]
    return [*PORTS, *made]


def dimms(d: int, n: int, count: int) -> list[dict]:
    """Machine d's DIMMs at its n-th snapshot: one machine in 10 had its 2133 MHz kit swapped
    for a 3200 MHz one halfway (0034 tells it)."""
    speed = 3200 if d % 10 == 3 and n < count // MACHINES // 2 else 2133
    return [
        {"slot": f"DIMM_A{k}", "size_mb": 16384, "type": "DDR4", "speed_mhz": speed}
        for k in (1, 2, 3, 4)
    ]


def generate(count: int, at: str, stored_as: dict) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from inventory.history import hardware_key

    # the models as the migration before left them: a later one's columns are not there yet
    loader = MigrationExecutor(connection).loader
    at = loader.get_migration_by_prefix("inventory", at).name
    state = loader.project_state(("inventory", at))
    Device, HardwareSnapshot = (  # noqa: N806 (model classes)
        state.apps.get_model("inventory", name) for name in ("Device", "HardwareSnapshot")
    )

    devices = Device.objects.bulk_create(
        Device(hostname=f"host-{d:04d}", machine_id=f"{d:032x}") for d in range(MACHINES)
    )
    now, batch = datetime(2026, 12, 1, tzinfo=UTC), []
    for i in range(count):
        d, n = i % MACHINES, i // MACHINES
        storage = {
            "devices": [
                {"name": "/dev/sda", "model": "WD40EFRX", "capacity_gb": 4000, "serial": f"A{d}"},
                {
                    "name": "/dev/nvme0n1",
                    "model": "980 PRO",
                    "capacity_gb": 1000,
                    "serial": f"B{d}",
                },
            ]
        }
        snapshot = HardwareSnapshot(
            device=devices[d],
            captured_at=now - timedelta(hours=12 * n),
            cpu_model="Intel(R) Xeon(R) E-2236 CPU @ 3.40GHz",
            ram_total_mb=65536,
            ram_layout=dimms(d, n, count),
            kernel_version="6.8.12-4-pve",
            storage=storage,
            network={"interfaces": interfaces(d, n, count)},
        )
        snapshot.hardware_key = hardware_key(snapshot, **stored_as)  # as the release before
        batch.append(snapshot)
        if len(batch) == 5000:
            HardwareSnapshot.objects.bulk_create(batch)
            batch = []
    HardwareSnapshot.objects.bulk_create(batch)


def timed(*args: str) -> float:
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", *args, verbosity=0)
    return time.monotonic() - started


def run(args) -> int:
    from django.db import connection

    from inventory.history import KEY_COLUMNS, hardware_key
    from inventory.models import HardwareSnapshot

    before, stored_as = MIGRATIONS[args.migration]
    timed()
    timed("inventory", before)
    started = time.monotonic()
    generate(args.snapshots, before, stored_as)
    print(f"{args.snapshots:,} snapshots stored in {time.monotonic() - started:.1f} s")
    old = dict(HardwareSnapshot.objects.values_list("pk", "hardware_key"))
    forward = timed("inventory", args.migration)
    stored = HardwareSnapshot.objects.only("pk", "hardware_key", *KEY_COLUMNS)
    new = {s.pk: s.hardware_key for s in stored}
    right = all(s.hardware_key == hardware_key(s) for s in stored.iterator(chunk_size=2000))
    changed = sum(1 for pk, key in new.items() if old[pk] != key)
    backward = timed("inventory", before)
    undone = dict(HardwareSnapshot.objects.values_list("pk", "hardware_key")) == old
    print(
        f"{connection.vendor}: {args.migration} {forward:.1f} s ({changed:,} keys changed, "
        f"{'each' if right else 'NOT each'} the one a submission stores), "
        f"undone {backward:.1f} s ({'the keys as before' if undone else 'OTHER KEYS'})"
    )
    return 0 if right and undone else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--migration", choices=sorted(MIGRATIONS), default="0034")
    parser.add_argument("--snapshots", type=int, default=100_000)
    parser.add_argument("--keep", default="", help="keep the SQLite database in this directory")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="perf-rekey-")
    where = Path(args.keep or tmp.name)
    where.mkdir(parents=True, exist_ok=True)
    env = {**in_process_env(tmp.name, "rekey", "perf-rekey-token-0123456789"), "NOTIFY_URLS": ""}
    given = os.environ.get("DATABASE_URL", "")
    env["DATABASE_URL"] = given if given.startswith("postgres") else f"sqlite:///{where}/rekey.db"
    try:
        with django_in_process(env):
            return run(args)
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
