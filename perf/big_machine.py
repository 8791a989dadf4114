"""Machines with hundreds of disks: the pages that show one machine, for 8, 60, 500 and 4,096.

    .venv/bin/python perf/big_machine.py [--disks 8,60,500,4096] [--runs 6] [--repeat 5]
        [--keep DIR]

Stores, through the real ingest path and its attention evaluation, one machine per `--disks`
figure, each `--runs` weekly runs: that many disks (the submission schema's lists stop at
4,096), two partitions a disk (at most 4,096), and as many network interfaces, two physical
ones and the rest a Proxmox node's virtual ones (tap, veth, fwbr, fwpr, vmbr). One disk two
thirds down the list is dying (its reallocated sectors rising, FAILED at the last run), one runs
hot, the system disk (the one holding /) is the last one listed. Then, for each machine, the
pages a person opens about it: its device page, its newest snapshot's page, its first and
newest snapshots compared, it compared with the 8-disk machine, and the dashboard and the
device list (which must not grow with it), and the same machine again (big-<n>-new, two runs)
whose second run finds every disk replaced by another model, its device page and its two
snapshots compared: queries, p50/p95 ms and KB, side by side; and whether the device page's
disks table names the dying disk before any sound one.
"""

import argparse
import copy
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perf.common import example_document, on_sqlite, percentile
from perf.long_history import measure

TOKEN = "perf-big-machine-token-0123456789"  # noqa: S105 (a throwaway database)
VIRTUAL = ("tap{n}i0", "veth{n}i1", "fwbr{n}i0", "fwpr{n}p0", "vmbr{n}")


def big_document(
    example: dict, disks: int, k: int, runs: int, at: datetime, *, swapped: bool = False
) -> dict:
    """The k-th of `runs` runs of the machine with `disks` disks; `swapped`, the machine
    big-<disks>-new, whose last run finds every disk replaced (new serials, a new model)."""
    doc = copy.deepcopy(example)
    doc["device_identifier"] = f"big-{disks}-new" if swapped else f"big-{disks}"
    doc["submission_id"] = str(uuid.uuid4())
    doc["hardware"]["system"].update(
        machine_id=f"{disks + (9000 if swapped else 1000):032x}",
        system_uuid=str(uuid.UUID(int=disks + (9000 if swapped else 1000))),
        system_serial=f"BIG{disks}{'NEW' if swapped else ''}",
    )
    new = swapped and k == runs - 1
    dying, hot = disks * 2 // 3, disks // 3
    devices, partitions = [], []
    for i in range(disks):
        disk = {
            "name": f"/dev/sd{i}",
            "type": "HDD",
            "interface": "SAS",
            "capacity_gb": 12000,
            "vendor": "HGST",
            "model": "WUH721818AL5204" if new else "HUH721212AL5200",
            "serial": f"{'3WG' if new else '8HG'}{disks:04d}{i:05d}",
            "smart_health": "PASSED",
            "temperature_c": 30 + i % 7,
            "power_on_hours": 20000 + 168 * k,
            "reallocated_sectors": 0,
        }
        if i == dying:
            disk.update(reallocated_sectors=8 * k, pending_sectors=k)
            disk["smart_health"] = "FAILED" if k == runs - 1 else "PASSED"
        if i == hot:
            disk["temperature_c"] = 61
        if i == disks - 1:  # the system disk, last as a controller may list it
            disk.update(name="/dev/nvme0n1", type="NVMe", model="970 EVO Plus", capacity_gb=1000)
        devices.append(disk)
        for p in (1, 2):
            if len(partitions) < 4096:
                partitions.append(
                    {
                        "name": f"{disk['name']}{p}",
                        "mount_point": "/" if i == disks - 1 and p == 1 else f"/srv/{i}/{p}",
                        "fs_type": "zfs_member",
                        "used_gb": 100.0 * p,
                        "total_gb": 6000.0,
                    }
                )
    interfaces = [
        {
            "name": f"eno{n}",
            "type": "ethernet",
            "mac": f"3c:52:82:0a:1b:{n:02x}",
            "speed_mbps": 10000,
        }
        for n in (1, 2)
    ]
    for n in range(disks - 2):
        name = VIRTUAL[n % len(VIRTUAL)].format(n=100 + n // len(VIRTUAL))
        interfaces.append({"name": name, "type": "virtual", "mac": f"fe:{n:010x}"})
    hardware = doc["hardware"]
    hardware["storage"] = {"devices": devices, "partitions": partitions}
    hardware["network"] = {"interfaces": interfaces[:4096]}
    doc["results"]["conditions"] = {"started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return doc


def generate(sizes: list[int], runs: int, *, swapped: bool = False) -> dict[int, int]:
    """The machines of `sizes`, each ending now (`swapped`: big-<n>-new, two runs, the second
    with every disk new); their device ids by size."""
    from benchmarks.services import benchmark_ingest
    from benchmarks.validation import submission_validate
    from benchsite.submission_api import evaluate_attention
    from inventory.models import Device

    example = example_document()
    ids = {}
    for disks in sizes:
        started = time.monotonic()
        first = datetime.now(UTC) - timedelta(weeks=runs)
        for k in range(runs):
            at = first + timedelta(weeks=k)
            doc = big_document(example, disks, k, runs, at, swapped=swapped)
            benchmark_ingest(
                submission=submission_validate(doc), document=doc, after_store=evaluate_attention
            )
        ids[disks] = Device.objects.get(hostname=doc["device_identifier"]).pk
        print(
            f"{disks} disks: {runs} runs stored in {time.monotonic() - started:.1f} s", flush=True
        )
    return ids


def run(args) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from inventory.models import HardwareSnapshot

    call_command("migrate", verbosity=0)
    sizes = sorted({int(n) for n in args.disks.split(",")})
    ids = generate(sizes, args.runs)
    swapped = generate(sizes, 2, swapped=True)
    admin = Client()
    admin.force_login(
        get_user_model().objects.create_superuser("perf", "perf@example.com", "perf-password")
    )

    def pages(disks: int, pk: int) -> list[tuple[str, str]]:
        snaps = HardwareSnapshot.objects.filter(device_id=pk).order_by("captured_at")
        a, b = snaps.first().pk, snaps.last().pk
        device = f"/admin/inventory/device/{pk}"
        other = ids[sizes[1 if disks == sizes[0] else 0]]  # the smallest, or the next for it
        return [
            ("device page", f"{device}/change/"),
            ("device page ?all=disks", f"{device}/change/?all=disks"),
            ("device page ?all=smart", f"{device}/change/?all=smart"),
            ("its newest snapshot", f"/admin/inventory/hardwaresnapshot/{b}/change/"),
            ("first vs newest snapshot", f"{device}/compare/?a={a}&b={b}"),
            ("compared with another", f"/admin/inventory/device/compare/?devices={pk},{other}"),
            *swapped_pages(swapped[disks]),
            ("dashboard", "/admin/"),
            ("device list", "/admin/inventory/device/"),
        ]

    def swapped_pages(pk: int) -> list[tuple[str, str]]:
        """big-<n>-new's pages: its two snapshots, the second with every disk new."""
        a, b = HardwareSnapshot.objects.filter(device_id=pk).order_by("captured_at")
        device = f"/admin/inventory/device/{pk}"
        return [
            ("all disks new: device", f"{device}/change/"),
            ("all disks new: compared", f"{device}/compare/?a={a.pk}&b={b.pk}"),
        ]

    header = "".join(f" | {f'{n} disks':>22}" for n in sizes)
    print(f"\n{'queries, p50/p95 ms, KB':<26}{header}")
    figures = {n: pages(n, ids[n]) for n in sizes}
    bodies = {}
    for row in range(len(figures[sizes[0]])):
        cells = []
        for n in sizes:
            label, path = figures[n][row]
            timings, queries, size, body = measure(admin, path, args.repeat)
            bodies[(n, label)] = body
            cells.append(
                f"{queries:3d} {percentile(timings, 50):6.0f}/{percentile(timings, 95):6.0f}"
                f" {size / 1024:5.0f}"
            )
        print(
            f"{figures[sizes[0]][row][0]:<26}" + "".join(f" | {c:>22}" for c in cells), flush=True
        )
    print()
    for n in sizes:
        body = bodies[(n, "device page")].split('id="disks"', 1)[-1]  # its disks' table on
        dying = f"8HG{n:04d}{n * 2 // 3:05d}"
        sound = f"8HG{n:04d}{0:05d}"
        first = body.find(dying) != -1 and (
            body.find(sound) == -1 or body.find(dying) < body.find(sound)
        )
        print(f"{n} disks: the dying disk listed before the sound ones: {'yes' if first else 'NO'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--disks", default="8,60,500,4096", help="the machines' disk counts")
    parser.add_argument("--runs", type=int, default=6, help="weekly runs per machine")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", help="a directory to keep the SQLite database in")
    return on_sqlite(run, parser.parse_args(), "big", TOKEN)


if __name__ == "__main__":
    raise SystemExit(main())
