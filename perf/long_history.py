"""Years of data: the pages a person opens after a fleet has been benchmarked twice a day for years.

    .venv/bin/python perf/long_history.py [--devices 10] [--runs 2200] [--repeat 10]
        [--keep DIR]

Stores `--devices` machines × `--runs` runs each (the contract's example through the real
ingest path, each run dated 12 hours after the one before, ending now): each run keeps its
snapshot with its SMART readings, as a submission does; prints the database's size per run.
Machine 1 has its CPU replaced a third of the way through its life; machine 2 has a disk dying
slowly (reallocated sectors from the middle of its life on, its temperature rising, FAILED at
the end); every machine's kernel is updated every 200 runs. Then requests, through Django's
full stack in this process (test client, logged in as a superuser), the dashboard, the device
list and its filters, the dying disk's device page, the snapshots' and runs' lists, the API's
history and insights, and prints p50/p95, the query count and the size of each answer, and
whether the device pages tell the CPU replacement and the disk's whole SMART history; then
times `--repeat` more submissions of the dying disk's machine, with their attention
evaluation, on its long history. Perf/reads.py measures 10,000 machines with a run each; this,
a few machines with long lives. `--keep DIR` keeps the SQLite database there.

    .venv/bin/python perf/long_history.py --weekly [--longest 5000] [--repeat 10] [--keep DIR]

One machine's life instead: bench.sh run weekly from cron for five years (260 runs) and, beside
it, the same machine for ten (520), and a 5-run machine, each stored through the real ingest
path and its attention evaluation: a disk replaced (a new serial), RAM added (16 → 32 GB), a
BIOS update, a kernel update every 26 weeks, the second disk's SMART counters rising over its
last two years (items opened, acknowledged a few weeks later, opened again), two documents and
two manufacturer links. Then, for each machine, every page and endpoint that shows one machine:
its admin page, history, snapshot compare, its runs', snapshots' and items' lists filtered to
it, the API's detail, history, snapshots, insights, attention, compare: queries, p50/p95 ms and
KB, side by side, so what grows with a machine's age shows; then what telling its hardware
changes costs (benchsite.hardware_life, the device page's and the compare picker's): ms, queries
and the peak of Python memory it allocates. `--longest N` adds a machine of N weekly runs.
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

TOKEN = "perf-history-token-0123456789"  # noqa: S105 (a throwaway database)
OLD_CPU = "Intel(R) Core(TM) i5-6500 CPU @ 3.20GHz"


def document(example: dict, d: int, k: int, runs: int, at: datetime) -> dict:
    """Machine d's k-th run of `runs`, started at `at`."""
    doc = copy.deepcopy(example)
    doc["device_identifier"] = f"host-{d:02d}"
    doc["submission_id"] = str(uuid.uuid4())
    system = doc["hardware"]["system"]
    system.update(machine_id=f"{d:032x}", system_uuid=str(uuid.UUID(int=d)), system_serial=f"SN{d}")
    doc["hardware"]["os"]["kernel_version"] = f"6.1.0-{10 + k // 200}-amd64"
    if d == 1 and k < runs // 3:
        doc["hardware"]["cpu"]["model"] = OLD_CPU
    disk = doc["hardware"]["storage"]["devices"][1]
    disk["serial"] = f"WD-{d:04d}"
    if d == 2:  # dying slowly from the middle of its life
        wear = max(0, k - runs // 2)
        disk["temperature_c"] = 38 + 30 * k // runs
        disk["reallocated_sectors"] = wear * 3
        disk["pending_sectors"] = wear // 10
        disk["power_on_hours"] = 12 * k
        disk["smart_health"] = "FAILED" if k >= runs - 5 else "PASSED"
    doc["results"]["conditions"] = {"started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    doc["results"]["cpu"]["score"] = round(100 + d + (k % 7) / 10, 1)
    return doc


def generate(devices: int, runs: int) -> None:
    from django.db import transaction

    from benchmarks.services import benchmark_ingest
    from benchmarks.validation import submission_validate
    from benchsite.submission_api import evaluate_attention

    example = example_document()
    started = time.monotonic()
    first = datetime.now(UTC) - timedelta(hours=12 * runs)
    for k in range(runs):
        with transaction.atomic():  # a run of the whole fleet per commit: quicker to store
            for d in range(1, devices + 1):
                doc = document(example, d, k, runs, first + timedelta(hours=12 * k, minutes=d))
                last = k == runs - 1
                benchmark_ingest(
                    submission=submission_validate(doc),
                    document=doc,
                    after_store=evaluate_attention if last else None,
                )
        if k and k % 200 == 0:
            print(f"  {k * devices} runs stored", flush=True)
    print(
        f"stored {devices} machines × {runs} runs ({devices * runs} runs and snapshots) in "
        f"{time.monotonic() - started:.0f} s",
        flush=True,
    )
    size = database_size()
    print(
        f"database {size / 2**20:.1f} MB: {size / (devices * runs) / 1024:.1f} KB a run "
        f"(a machine benchmarked daily: {size / (devices * runs) * 365 / 2**20:.1f} MB a year)",
        flush=True,
    )


def database_size() -> int:
    """The SQLite database's bytes on disk, its write-ahead log folded in first."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    name = Path(connection.settings_dict["NAME"])
    return sum(path.stat().st_size for path in (name, Path(f"{name}-wal")) if path.exists())


def submissions_timed(example: dict, devices: int, runs: int, repeat: int) -> None:
    """More runs of machine 2 (the dying disk) on its long history, as a submission stores and
    evaluates them: p50/p95 of each and its statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks.services import benchmark_ingest
    from benchmarks.validation import submission_validate
    from benchsite.submission_api import evaluate_attention

    timings, counts = [], []
    for n in range(repeat):
        doc = document(example, 2, runs + n, runs + repeat, datetime.now(UTC))
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            benchmark_ingest(
                submission=submission_validate(doc), document=doc, after_store=evaluate_attention
            )
            timings.append((time.perf_counter() - started) * 1000)
        counts.append(len(ctx.captured_queries))
    print(
        f"{'a submission, its evaluation':<30} {percentile(timings, 50):8.1f} "
        f"{percentile(timings, 95):8.1f} {max(counts):8d}   (machine 2, {runs} runs before)",
        flush=True,
    )


def measure(client, path: str, repeat: int) -> tuple[list[float], int, int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)  # warm
    assert response.status_code == 200, (path, response.status_code)
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            # a streamed answer (the export) is read as it is sent: its time and queries too
            body = b"".join(response) if response.streaming else response.content
            timings.append((time.perf_counter() - started) * 1000)
    return timings, len(ctx.captured_queries), len(body), body.decode(errors="replace")


def run(args) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from inventory.models import Device, HardwareSnapshot

    call_command("migrate", verbosity=0)
    generate(args.devices, args.runs)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    admin = Client()
    admin.force_login(
        get_user_model().objects.create_superuser("perf", "perf@example.com", "perf-password")
    )
    swapped = Device.objects.get(hostname="host-01").pk
    dying = Device.objects.get(hostname="host-02").pk
    first_run = HardwareSnapshot.objects.filter(device_id=dying).earliest("captured_at").captured_at
    cases = [
        ("dashboard", admin, "/admin/"),
        ("device list", admin, "/admin/inventory/device/"),
        ("device list ?os=Debian…", admin, "/admin/inventory/device/?os=Debian+GNU%2FLinux"),
        ("device list ?q=WD-0002", admin, "/admin/inventory/device/?q=WD-0002"),
        ("device page, CPU replaced", admin, f"/admin/inventory/device/{swapped}/change/"),
        ("device page, dying disk", admin, f"/admin/inventory/device/{dying}/change/"),
        ("snapshots list", admin, "/admin/inventory/hardwaresnapshot/"),
        ("runs list", admin, "/admin/benchmarks/benchmark/"),
        ("API stats", api, "/api/stats"),
        ("API history page 1", api, f"/api/devices/{dying}/benchmarks"),
        ("API insights, dying disk", api, f"/api/devices/{dying}/insights"),
    ]
    print(f"\n{'request':<30} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KB':>7}")
    pages = {}
    for label, client, path in cases:
        timings, queries, size, body = measure(client, path, args.repeat)
        pages[label] = body
        print(
            f"{label:<30} {percentile(timings, 50):8.1f} {percentile(timings, 95):8.1f} "
            f"{queries:8d} {size / 1024:7.0f}",
            flush=True,
        )
    submissions_timed(example_document(), args.devices, args.runs, args.repeat)
    swapped_page = pages["device page, CPU replaced"]
    smart = pages["device page, dying disk"].split("SMART history", 1)[-1]
    first_day = f"{timezone.localtime(first_run):%Y-%m-%d}"
    print(
        "\nthe CPU replacement told on its device page: "
        f"{'yes' if 'i5-6500' in swapped_page else 'NO'}; the dying disk's SMART history there "
        f"from its first reading ({first_day}): {'yes' if first_day in smart else 'NO'}"
    )
    return 0


WEEKLY = {"5 runs": 5, "5 years": 260, "10 years": 520}  # the machines of --weekly


def weekly_document(example: dict, n: int, k: int, runs: int, at: datetime) -> dict:
    """The k-th of `runs` weekly runs of machine `n`: its hardware's life told by k."""
    doc = copy.deepcopy(example)
    doc["device_identifier"] = f"weekly-{runs}"
    doc["submission_id"] = str(uuid.uuid4())
    hw = doc["hardware"]
    hw["system"].update(
        machine_id=f"{n + 100:032x}", system_uuid=str(uuid.UUID(int=n + 100)), system_serial=f"W{n}"
    )
    hw["os"]["kernel_version"] = f"6.1.0-{10 + k // 26}-amd64"
    if k < runs * 2 // 5:  # RAM added two fifths of the way: 16 → 32 GB
        hw["ram"]["layout"] = hw["ram"]["layout"][:1]
        hw["ram"].update(total_mb=16384, slots_used=1)
    if k < runs * 3 // 5:  # a BIOS update
        hw["motherboard"].update(bios_version="P07 Ver. 02.30", bios_date="2021-02-01")
    system_disk, data_disk = hw["storage"]["devices"]
    # the system disk replaced a fifth of the way through, by one of the same model
    system_disk["serial"] = f"S4EW{n}-{'A' if k < runs // 5 else 'B'}"
    data_disk["serial"] = f"WD-{n}"
    data_disk["power_on_hours"] = 168 * k
    data_disk["temperature_c"] = 33 + k % 5
    wear = max(0, k - (runs - 104))  # its last two years: counters rising
    data_disk["reallocated_sectors"] = wear // 4 * 2
    data_disk["pending_sectors"] = wear // 20
    doc["results"]["conditions"] = {"started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    doc["results"]["cpu"]["score"] = round(104 + (k % 9) / 10 - (8 if k % 97 == 50 else 0), 1)
    return doc


def weekly_generate(machines: dict[str, int]) -> dict[str, int]:
    """These machines (name: runs), each ending now; their device ids."""
    from django.core.files.base import ContentFile

    from benchmarks.services import benchmark_ingest
    from benchmarks.validation import submission_validate
    from benchsite.submission_api import evaluate_attention
    from documents.services import document_store
    from insights.models import AttentionItem
    from insights.services import attention_acknowledge
    from inventory.models import Device
    from inventory.services import link_create

    example = example_document()
    started = time.monotonic()
    ids = {}
    for n, (name, runs) in enumerate(machines.items(), 1):
        first = datetime.now(UTC) - timedelta(weeks=runs)
        for k in range(runs):
            doc = weekly_document(example, n, k, runs, first + timedelta(weeks=k))
            benchmark_ingest(
                submission=submission_validate(doc), document=doc, after_store=evaluate_attention
            )
            if k % 6 == 5:  # a person acknowledges what is open, now and then
                for item in AttentionItem.objects.filter(
                    device__hostname=doc["device_identifier"], closed_at__isnull=True
                ):
                    attention_acknowledge(item=item, by="perf")
        device = Device.objects.get(hostname=f"weekly-{runs}")
        for title in ("invoice", "warranty"):
            upload = ContentFile(f"{title} of {device.hostname}\n".encode(), name=f"{title}.txt")
            document_store(device=device, upload=upload, title=title)
        link_create(device=device, label="support", url="https://support.hp.com/")
        link_create(device=device, label="manual", url="https://example.com/manual.pdf")
        ids[name] = device.pk
    print(f"stored {sum(machines.values())} weekly runs in {time.monotonic() - started:.0f} s")
    return ids


def weekly(args) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from insights.models import AttentionItem
    from inventory.models import HardwareSnapshot

    call_command("migrate", verbosity=0)
    machines = {**WEEKLY, **({f"{args.longest:,} runs": args.longest} if args.longest else {})}
    ids = weekly_generate(machines)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    admin = Client()
    admin.force_login(
        get_user_model().objects.create_superuser("perf", "perf@example.com", "perf-password")
    )
    for name, pk in ids.items():
        items = AttentionItem.objects.filter(device_id=pk)
        print(
            f"{name}: {HardwareSnapshot.objects.filter(device_id=pk).count()} snapshots, "
            f"{items.count()} attention items ({items.filter(closed_at__isnull=True).count()} open)"
        )

    def pages(pk: int) -> list[tuple[str, Client, str]]:
        other = ids["10 years"] if pk == ids["5 runs"] else ids["5 runs"]
        snaps = HardwareSnapshot.objects.filter(device_id=pk).order_by("captured_at")
        a, b = snaps.first().pk, snaps.last().pk
        device = f"/admin/inventory/device/{pk}"
        return [
            ("admin: device page", admin, f"{device}/change/"),
            ("admin: its history", admin, f"{device}/history/"),
            ("admin: snapshots compared", admin, f"{device}/compare/"),
            ("admin: first vs latest", admin, f"{device}/compare/?a={a}&b={b}"),
            (
                "admin: compare 2 machines",
                admin,
                f"/admin/inventory/device/compare/?devices={pk},{other}",
            ),
            ("admin: its runs", admin, f"/admin/benchmarks/benchmark/?device__id__exact={pk}"),
            (
                "admin: its snapshots",
                admin,
                f"/admin/inventory/hardwaresnapshot/?device__id__exact={pk}",
            ),
            (
                "admin: its items, all",
                admin,
                f"/admin/insights/attentionitem/?device={pk}&state=all",
            ),
            ("API detail", api, f"/api/devices/{pk}"),
            ("API history", api, f"/api/devices/{pk}/benchmarks"),
            ("API snapshots", api, f"/api/devices/{pk}/snapshots"),
            ("API insights", api, f"/api/devices/{pk}/insights"),
            ("API insights, 5000 points", api, f"/api/devices/{pk}/insights?smart_points=5000"),
            ("API attention, all", api, f"/api/attention?device={pk}&state=all"),
            ("API compare", api, f"/api/compare?devices={pk},{other}"),
            ("API docs", api, f"/api/devices/{pk}/docs"),
            ("API links", api, f"/api/devices/{pk}/links"),
        ]

    figures = {name: pages(pk) for name, pk in ids.items()}
    header = "".join(f" | {name:>22}" for name in machines)
    print(f"\n{'queries, p50/p95 ms, KB':<28}{header}")
    for row in range(len(figures["5 runs"])):
        label = figures["5 runs"][row][0]
        cells = []
        for name in machines:
            _, client, path = figures[name][row]
            timings, queries, size, _body = measure(client, path, args.repeat)
            cells.append(
                f"{queries:3d} {percentile(timings, 50):6.1f}/{percentile(timings, 95):6.1f}"
                f" {size / 1024:4.0f}"
            )
        print(f"{label:<28}" + "".join(f" | {cell:>22}" for cell in cells), flush=True)
    cells = [hardware_changes_cost(ids[name], args.repeat) for name in machines]
    print(f"\n{'hardware changes':<28}" + "".join(f" | {cell:>22}" for cell in cells))
    print(f"\n{'device page: ms p50/p95':<28}" + "".join(f" | {name:>22}" for name in machines))
    costs = [device_page_cost(admin, ids[name], args.repeat) for name in machines]
    for row, label in enumerate(("ms p50/p95", "queries, KB", "peak of Python memory")):
        print(f"{'  ' + label:<28}" + "".join(f" | {cost[row]:>22}" for cost in costs))
    return 0


def device_page_cost(admin, pk: int, repeat: int) -> tuple[str, str, str]:
    """The device page of one machine through Django's full stack: p50/p95 ms, its queries and
    KB, and the peak of the Python memory one request allocates (its SMART history's readings
    were every snapshot's, read into Python)."""
    import tracemalloc

    timings, queries, size, _body = measure(admin, f"/admin/inventory/device/{pk}/change/", repeat)
    tracemalloc.start()
    admin.get(f"/admin/inventory/device/{pk}/change/")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (
        f"{percentile(timings, 50):.1f}/{percentile(timings, 95):.1f}",
        f"{queries} queries, {size / 1024:.0f} KB",
        f"{peak / 1024:,.0f} KB",
    )


def hardware_changes_cost(pk: int, repeat: int) -> str:
    """What benchsite.hardware_life costs for one device: queries, p50/p95 ms, the peak of
    Python memory it allocates (KB) and the changes it tells."""
    import tracemalloc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchsite.hardware_life import hardware_life
    from inventory.models import Device

    device = Device.objects.get(pk=pk)
    hardware_life(device)  # warm
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            life = hardware_life(device)
            timings.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    hardware_life(device)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (
        f"{len(ctx.captured_queries):3d} {percentile(timings, 50):6.1f}/"
        f"{percentile(timings, 95):6.1f} {peak / 1024:4.0f} ({len(life.changes)} changes)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2200, help="runs per machine")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", help="a directory to keep the SQLite database in")
    parser.add_argument("--weekly", action="store_true", help="one machine's weekly runs")
    parser.add_argument(
        "--longest", type=int, default=0, help="with --weekly: a machine of this many runs too"
    )
    args = parser.parse_args()
    if not (2 <= args.devices <= 500 and 10 <= args.runs <= 20_000):
        parser.error("--devices must be in 2..500, --runs in 10..20000")
    if args.longest and not 6 <= args.longest <= 20_000:
        parser.error("--longest must be in 6..20000")
    return on_sqlite(weekly if args.weekly else run, args, "history", TOKEN)


if __name__ == "__main__":
    raise SystemExit(main())
