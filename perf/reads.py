"""Read latencies and query counts on a large fleet: 10k devices, 100k benchmarks.

    .venv/bin/python perf/reads.py [--devices 10000] [--benchmarks 100000] [--repeat 30]
                                   [--database sqlite|postgres] [--cpu-models 1]
                                   [--only LABEL[,LABEL…]] [--nvme]

Generates the fleet with bulk_create in a temp database (SQLite file, or a throwaway PostgreSQL
cluster), then requests each read through Django's full stack in this process (test client:
middleware, DRF, serializers, the real database; no network) and prints p50/p95 and the query
count (CaptureQueriesContext) of: the device list at page sizes 25/100/500 (and a deep page),
device detail, history, snapshots, the ranking (?ordering=-global_score), stats, search (and
`debian 11`, half the fleet on Debian 11), the OS filter by release (labels "[os]"), and
the admin changelists (logged in), and the Prometheus scrape (/metrics: every device's figures and
disk temperatures), a device's insights (its 9,999 peers share its CPU model: the worst case of
the peer medians), the attention list and the fleet's hardware changes (the API's, one
machine's, the admin's page). Targets: query count independent of page size, p95 < 150 ms at
page size 100, the ranking's first and deep pages p95 < 50 ms, insights, attention and the
hardware changes p95 < 100 ms, /metrics p95 < 1 s.

`--history N` gives each machine N snapshots, a week apart up to its latest (the hardware
changes' read goes over them; 1, the default, is the one snapshot the other reads were
measured with): one machine in 25 had its RAM doubled a week before the latest, one in 200 a
disk swapped two weeks before, and one in 500 is a test bench whose every run has another
network card (a Proxmox node's other veth interfaces at each run are no change).
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perf.common import django_in_process, in_process_env, percentile, with_postgres

TARGET_P95_MS = 150
TARGET_METRICS_P95_MS = 1000
TARGET_INSIGHTS_P95_MS = 100
TARGET_RANKING_P95_MS = 50  # the ranking, first and deep pages (issue 13)
SINCE = "2025-12-02"  # the hardware changes' 30 days before the generated runs' 2026-01-01
TOKEN = "perf-reads-token-0123456789"  # noqa: S105 (a throwaway database)
DEVICES = "/admin/inventory/device/"
BULLSEYE = "os=Debian+GNU%2FLinux&os_version=11+%28bullseye%29"


def storage(d: int, *, nvme: bool = False) -> dict:
    """Two disks and two partitions, as bench.sh reports a small server's (what /metrics reads);
    `nvme`: an NVMe system disk too, its wear (percent_used) 0 to 89 %, one machine in nine 80 %
    or more (the dashboard's worn disks, /metrics' disk wear)."""
    disk = {"type": "HDD", "interface": "SATA", "capacity_gb": 4000, "smart_health": "PASSED"}
    system = {
        "name": "/dev/nvme0n1",
        "model": "Samsung SSD 970 EVO Plus 1TB",
        "serial": f"S4EW-{d:08d}",
        "type": "NVMe",
        "interface": "NVMe",
        "capacity_gb": 1000,
        "smart_health": "PASSED",
        "temperature_c": 40 + d % 15,
        "power_on_hours": 9_000 + d,
        "media_errors": 0,
        "percent_used": d * 7 % 90,
    }
    return {
        "devices": [
            *([system] if nvme else []),
            {
                **disk,
                "name": "/dev/sda",
                "model": "WD40EFRX",
                "serial": f"WD-{d:08d}",
                "temperature_c": 30 + d % 25,
                "power_on_hours": 20_000 + 3 * d,  # a third of them 40,000 h or more: old
                "reallocated_sectors": 0,
            },
            {
                **disk,
                "name": "/dev/sdb",
                "model": "ST4000VN008",
                "serial": f"ZD-{d:08d}",
                "temperature_c": 32 + d % 20,
                "power_on_hours": 9_000 + d,
                "reallocated_sectors": 0,
            },
        ],
        "partitions": [
            {"name": "/dev/sda1", "mount_point": "/", "fs_type": "ext4", "total_gb": 100.0},
            {"name": "/dev/sdb1", "mount_point": "/srv", "fs_type": "xfs", "total_gb": 3725.0},
        ],
    }


def snapshot_history(devices: int, weeks: int, now: datetime, build) -> list:
    """Each machine's `weeks - 1` snapshots before its latest (snapshot d, built by `build`),
    a week apart, what changed in them as the module's docstring says; hardware keys
    computed, as snapshot_record stores them."""
    from inventory.history import hardware_key

    history, pk = [], devices
    for d in range(1, devices + 1):
        for week in range(1, weeks):
            pk += 1
            snapshot = build(d)
            snapshot.pk, snapshot.captured_at = pk, now - timedelta(weeks=week)
            if d % 25 == 0 and week >= 2:  # its RAM doubled a week ago
                snapshot.ram_total_mb = 8192
            if d % 200 == 0 and week >= 3:  # a disk swapped two weeks ago
                snapshot.storage = storage(d + devices)
            if d % 500 == 0:  # a test bench: another card at every run
                snapshot.network = {"interfaces": [{"name": "eno1"}, {"name": f"enp{week}s0"}]}
            snapshot.hardware_key = hardware_key(snapshot)
            history.append(snapshot)
    return history


def generate(
    devices: int, benchmarks: int, cpu_models: int = 1, history: int = 1, *, nvme: bool = False
) -> None:
    from django.db import models, transaction

    from benchmarks.models import Benchmark
    from benchmarks.services import device_ranking_refresh
    from insights.models import AttentionItem, Kind, Severity
    from inventory.columns import disk_readings, model_key
    from inventory.history import hardware_key
    from inventory.models import Device, HardwareSnapshot, Tag

    def cpu_model(d: int) -> str:
        # device d's CPU is model d mod cpu_models: its peers are the others
        return f"Intel(R) Core(TM) i7-{6700 + d % cpu_models} CPU @ 3.40GHz"

    rng = random.Random(8)
    started = time.monotonic()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    per_device = max(1, benchmarks // devices)
    with transaction.atomic():
        tags = Tag.objects.bulk_create(Tag(name=f"tag-{n}") for n in range(20))
        Device.objects.bulk_create(
            (
                Device(
                    pk=d,
                    hostname=f"host-{d:05d}",
                    location=rng.choice(("rack-1", "rack-2", "office", "lab", "")),
                    description=f"machine number {d}",
                    machine_id=f"{d:032x}",
                    cpu_model_key=model_key(cpu_model(d)),  # as its latest snapshot says
                )
                for d in range(1, devices + 1)
            ),
            batch_size=2000,
        )
        through = Device.tags.through
        through.objects.bulk_create(
            (
                through(device_id=d, tag_id=tags[(d + k) % len(tags)].pk)
                for d in range(1, devices + 1)
                for k in range(2)
            ),
            batch_size=5000,
        )

        def latest(d: int) -> HardwareSnapshot:
            snapshot = HardwareSnapshot(
                pk=d,
                device_id=d,
                captured_at=now,
                cpu_vendor="Intel",
                cpu_model=cpu_model(d),
                cpu_cores=4,
                cpu_threads=8,
                cpu_flags=["avx", "avx2"],
                ram_total_mb=16384,
                os_name="Debian GNU/Linux",
                # a fleet halfway through an upgrade: what a security advisory searches by
                os_version=("11 (bullseye)", "12 (bookworm)")[d % 2],
                kernel_version=f"{('5.10', '6.1')[d % 2]}.0-{d % 30}-amd64",
                bios_version=f"1.{d % 40}.0",
                motherboard_model=f"0K{d % 90:02d}FY",
                cpu_microarchitecture="Skylake",
                raw={"cpu": {"model": "i7-6700"}},
                storage=storage(d, nvme=nvme),
                disk_readings=disk_readings(storage(d, nvme=nvme)),
            )
            if d % 500 == 0:  # a test bench (--history)
                snapshot.network = {"interfaces": [{"name": "eno1"}, {"name": "enp0s0"}]}
            snapshot.hardware_key = hardware_key(snapshot)
            return snapshot

        HardwareSnapshot.objects.bulk_create(
            (latest(d) for d in range(1, devices + 1)), batch_size=2000
        )
        HardwareSnapshot.objects.bulk_create(
            snapshot_history(devices, history, now, latest), batch_size=2000
        )
        batch = []
        for n in range(1, per_device * devices + 1):
            d = (n - 1) % devices + 1
            scores = [round(rng.uniform(20, 300), 1) for _ in range(5)]
            batch.append(
                Benchmark(
                    pk=n,
                    device_id=d,
                    snapshot_id=d,
                    run_at=now + timedelta(minutes=n),
                    cpu_score=scores[0],
                    memory_score=scores[1],
                    disk_score=scores[2],
                    network_score=scores[3],
                    gpu_score=scores[4],
                    global_score=round(sum(scores) / 5, 2),
                    results={"cpu": {"score": scores[0]}},
                    weights={"cpu": 0.3},
                )
            )
            if len(batch) == 5000:
                Benchmark.objects.bulk_create(batch)
                batch = []
        Benchmark.objects.bulk_create(batch)
        Device.objects.update(latest_snapshot_id=models.F("pk"))  # snapshot d is device d's
        device_ranking_refresh()  # every device's figures from its newest run, as ingest keeps them
        # one open item in 20 devices: what /metrics and the dashboard count
        AttentionItem.objects.bulk_create(
            AttentionItem(
                device_id=d,
                kind=Kind.DISK_HOT,
                severity=Severity.WARNING,
                disk=f"WD-{d:08d}",
                message=f"disk /dev/sda (WD-{d:08d}) is at 61 °C",
            )
            for d in range(1, devices + 1, 20)
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # explicit pks: move the sequences past them
            for table in ("inventory_device", "inventory_hardwaresnapshot", "benchmarks_benchmark"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
            # what autovacuum does to a table after inserts (PostgreSQL 13+): statistics, and
            # the visibility map that lets an index-only scan skip the table
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"generated {devices} devices, {per_device * devices} benchmarks, "
        f"{devices * max(1, history)} snapshots "
        f"in {time.monotonic() - started:.1f} s ({connection.vendor})",
        flush=True,
    )


def measure(client, path: str, repeat: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    status = client.get(path).status_code  # warm
    timings, queries = [], None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - started)
        status = response.status_code
        queries = len(ctx.captured_queries) if queries is None else max(queries, len(ctx))
    return timings, queries, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--benchmarks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--cpu-models",
        type=int,
        default=1,
        help="CPU models in the fleet (1: every machine is every other's peer, the worst case "
        "of the peer medians; 100: groups of a hundred)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=1,
        help="snapshots per machine, a week apart (the hardware changes' read goes over them)",
    )
    parser.add_argument(
        "--nvme",
        action="store_true",
        help="every machine has an NVMe disk too, one in nine worn (80 %% of its life or more)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="the cases whose label contains this (several: separated by commas)",
    )
    args = parser.parse_args()
    if not 0 < args.devices <= 100_000 or not 0 < args.benchmarks <= 1_000_000:
        parser.error("--devices must be in 1..100000 and --benchmarks in 1..1000000")
    if args.database == "postgres":
        with_postgres(sys.argv)
    tmp = tempfile.TemporaryDirectory(prefix="perf-reads-")
    env = in_process_env(tmp.name, "reads", TOKEN)
    database = None
    if args.database == "postgres":
        import psycopg

        database = f"perf_reads_{os.getpid()}"
        base = os.environ["DATABASE_URL"]
        with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + database
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp.name}/reads.db"
    try:
        with django_in_process(env):
            return run(args)
    finally:
        if database:
            with psycopg.connect(
                base.replace("postgres://", "postgresql://"), autocommit=True
            ) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        tmp.cleanup()


def run(args) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    generate(args.devices, args.benchmarks, args.cpu_models, args.history, nvme=args.nvme)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    admin = Client()
    admin.force_login(
        get_user_model().objects.create_superuser("perf", "perf@example.com", "perf-password")
    )
    middle = args.devices // 2
    cases = [
        ("device list ?page_size=25", api, "/api/devices?page_size=25"),
        ("device list ?page_size=100", api, "/api/devices?page_size=100"),
        ("device list ?page_size=500", api, "/api/devices?page_size=500"),
        ("device list page 50 (×100)", api, "/api/devices?page_size=100&page=50"),
        (
            "ranking ?ordering=-global_score",
            api,
            "/api/devices?ordering=-global_score&page_size=100",
        ),
        (
            "ranking ?ordering=-global_score, page 50 (×100)",
            api,
            "/api/devices?ordering=-global_score&page_size=100&page=50",
        ),
        # the ranking at the default page size (25), its first page and a deep one
        (
            "ranking ?ordering=-global_score, page 1 (×25)",
            api,
            "/api/devices?ordering=-global_score",
        ),
        (
            "ranking ?ordering=-global_score, page 200 (×25)",
            api,
            "/api/devices?ordering=-global_score&page=200",
        ),
        ("by hostname ?ordering=hostname", api, "/api/devices?ordering=hostname&page_size=100"),
        ("search ?search=host-04", api, "/api/devices?search=host-04&page_size=100"),
        # what the latest snapshots say: a kernel version (333 machines), and a word nothing
        # has, which every field of every device is read for
        ("search ?search=5.10.0-28 (kernel)", api, "/api/devices?search=5.10.0-28&page_size=100"),
        ("search ?search=nowhere (no match)", api, "/api/devices?search=nowhere&page_size=100"),
        ("admin device search 5.10.0-28", admin, "/admin/inventory/device/?q=5.10.0-28"),
        ("filter ?tag=tag-3", api, "/api/devices?tag=tag-3&page_size=100"),
        # which machines run Debian 11 (half the fleet; the other half runs Debian 12, a
        # kernel 6.1.0-11 on 333 of them): by the OS filter, and by a search of two words
        ("[os] filter ?os=…&os_version=11 (×100)", api, f"/api/devices?{BULLSEYE}&page_size=100"),
        ("[os] filter ?location=office (×100)", api, "/api/devices?location=OFFICE&page_size=100"),
        ("[os] search ?search=debian 11", api, "/api/devices?search=debian+11&page_size=100"),
        ("[os] admin device changelist ?os=Debian", admin, f"{DEVICES}?os=Debian+GNU%2FLinux"),
        ("[os] admin device changelist ?os=…&os_version=11", admin, f"{DEVICES}?{BULLSEYE}"),
        ("[os] admin device changelist, counts", admin, f"{DEVICES}?_facets=True"),
        ("[os] admin device search debian 11", admin, "/admin/inventory/device/?q=debian+11"),
        # every latest snapshot's disks read by the database (inventory.disk_wear)
        ("filter ?disks=old (×100)", api, "/api/devices?disks=old&page_size=100"),
        ("admin device changelist ?disks=old", admin, "/admin/inventory/device/?disks=old"),
        ("device detail", api, f"/api/devices/{middle}"),
        ("history (device benchmarks)", api, f"/api/devices/{middle}/benchmarks"),
        ("snapshots", api, f"/api/devices/{middle}/snapshots"),
        ("benchmark detail", api, f"/api/benchmarks/{args.benchmarks // 2}"),
        ("stats", api, "/api/stats"),
        ("admin dashboard", admin, "/admin/"),
        ("admin device changelist", admin, "/admin/inventory/device/"),
        # every machine's runs are of January 2026: the whole fleet has gone quiet, the worst
        (
            "admin device changelist ?last_run=quiet",
            admin,
            "/admin/inventory/device/?last_run=quiet",
        ),
        ("device list ?quiet=true (×100)", api, "/api/devices?quiet=true&page_size=100"),
        ("admin benchmark changelist", admin, "/admin/benchmarks/benchmark/"),
        ("admin benchmark changelist, page 500", admin, "/admin/benchmarks/benchmark/?p=500"),
        ("admin device changelist, page 150", admin, "/admin/inventory/device/?p=150"),
        ("admin snapshot changelist", admin, "/admin/inventory/hardwaresnapshot/"),
        ("admin device change page", admin, f"/admin/inventory/device/{middle}/change/"),
        ("device insights", api, f"/api/devices/{middle}/insights"),
        ("attention (open items)", api, "/api/attention"),
        ("attention of one device", api, f"/api/attention?device={middle - middle % 20 + 1}"),
        ("metrics (Prometheus scrape)", api, "/metrics"),
        # the runs are of 2026-01-01 and the weeks before it: the last 30 days of them, every
        # machine's snapshots of five weeks (and the one before) read by the database
        ("hardware changes (30 days)", api, f"/api/hardware-changes?since={SINCE}"),
        ("hardware changes, page 4", api, f"/api/hardware-changes?since={SINCE}&page=4"),
        (
            "hardware changes of one device",
            api,
            f"/api/hardware-changes?since={SINCE}&device={middle}",
        ),
        (
            "admin hardware changes",
            admin,
            f"/admin/inventory/device/hardware-changes/?since={SINCE}",
        ),
    ]
    if args.only:
        wanted = [part for part in args.only.split(",") if part]
        cases = [case for case in cases if any(part in case[0] for part in wanted)]
    print(f"{'':48} {'p50':>8} {'p95':>8} {'queries':>8}  status")
    failed = False
    counts = {}
    for label, client, path in cases:
        timings, queries, status = measure(client, path, args.repeat)
        p50, p95 = percentile(timings, 50) * 1000, percentile(timings, 95) * 1000
        counts[label] = queries
        flag = ""
        if status != 200:
            flag, failed = " ← not 200", True
        elif label.startswith("ranking") and p95 >= TARGET_RANKING_P95_MS:
            flag, failed = f" ← p95 over {TARGET_RANKING_P95_MS} ms", True
        elif "100" in label and "list" in label and p95 >= TARGET_P95_MS:
            flag, failed = f" ← p95 over {TARGET_P95_MS} ms", True
        elif (
            "insights" in path or "attention" in path or "hardware-changes" in path
        ) and p95 >= TARGET_INSIGHTS_P95_MS:
            flag, failed = f" ← p95 over {TARGET_INSIGHTS_P95_MS} ms", True
        elif path == "/metrics" and p95 >= TARGET_METRICS_P95_MS:
            flag, failed = f" ← p95 over {TARGET_METRICS_P95_MS} ms", True
        print(f"{label:48} {p50:7.1f}ms {p95:7.1f}ms {queries:8d}  {status}{flag}", flush=True)
    sizes = [counts.get(f"device list ?page_size={n}") for n in (25, 100, 500)]
    same = len(set(sizes)) == 1
    if not args.only:
        print(f"query count by page size 25/100/500: {sizes} ({'constant' if same else 'GROWS'})")
    return 1 if failed or not same else 0


if __name__ == "__main__":
    raise SystemExit(main())
