"""A 300-machine office: the admin's screens at that size, each page's time and queries.

    .venv/bin/python perf/office.py [--machines 300] [--months 24] [--repeat 5] [--keep DIR]

Stores, through the real ingest path and its attention evaluation, `--machines` machines of
12 CPU models (twins: a model's machines are each other's peers) benchmarked monthly for
`--months` months, the last run of most this month: 10 machines last heard from 2–5 months
ago; 40 with a part changed in their life (RAM doubled, a disk swapped, a network card
replaced); open attention items of every kind (failing, degrading and hot disks, a score
fallen against the machine's past, machines far below their twins); 200 documents; then their
rooms (6), owners and tags through the CSV import (inventory.csv_import, as Import CSV does).
Then each screen an admin opens at that size, logged in as a superuser, through Django's
whole stack in this process (test client): the dashboard, the device list and its filters and
search, a device page, the hardware changes, the attention items, Compare selected (10
machines), the documents list, Import CSV's preview of a 300-row file and the Export: queries,
p50/p95 ms and KB. `--keep DIR` keeps the SQLite database (office.db) and the uploads there,
to serve them (gunicorn) and walk the pages in a browser.
"""

import argparse
import copy
import csv
import io
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perf.common import example_document, on_sqlite, percentile
from perf.long_history import measure

TOKEN = "perf-office-token-0123456789"  # noqa: S105 (a throwaway database)
# (model, cores, threads, a machine's CPU score, its RAM in GB, its chassis and make)
CPUS = (
    ("Intel(R) Core(TM) i5-6500 CPU @ 3.20GHz", 4, 4, 62, 8, "desktop", "HP EliteDesk 800 G2"),
    ("Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz", 4, 8, 80, 16, "desktop", "HP EliteDesk 800 G3"),
    ("Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz", 6, 6, 88, 16, "mini", "Lenovo M720q"),
    ("Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", 6, 12, 112, 32, "desktop", "Dell OptiPlex 7060"),
    ("11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", 4, 8, 95, 16, "laptop", "ThinkPad T14"),
    ("12th Gen Intel(R) Core(TM) i5-1235U", 10, 12, 105, 16, "laptop", "Latitude 5430"),
    ("AMD Ryzen 5 PRO 4650G with Radeon Graphics", 6, 12, 118, 32, "desktop", "HP 805 G6"),
    ("AMD Ryzen 7 5800X 8-Core Processor", 8, 16, 160, 64, "desktop", "custom build"),
    ("AMD Ryzen 9 7950X 16-Core Processor", 16, 32, 260, 128, "desktop", "custom build"),
    ("Intel(R) Xeon(R) E-2236 CPU @ 3.40GHz", 6, 12, 120, 64, "server", "Dell PowerEdge T140"),
    ("AMD EPYC 7302P 16-Core Processor", 16, 32, 230, 256, "server", "Supermicro H12SSL"),
    ("Intel(R) Celeron(R) N5105 @ 2.00GHz", 4, 4, 30, 8, "mini", "Beelink U59"),
)
ROOMS = (
    "Accounting, 2nd floor",
    "Design studio",
    "Server room",
    "Reception",
    "Engineering, 3rd floor",
    "Meeting rooms",
)
OWNERS = ("IT", "Anna Keller", "Bruno Meyer", "Chloé Martin", "David Roth", "Eva Brandt")
TAGS = ("finance", "cad", "server", "kiosk", "dev", "loaner", "backup", "warranty-2027")
QUIET = range(290, 300)  # last heard from months ago
PART_CHANGED = range(0, 300, 7)  # a part changed in their life: 43 of 300
# of several CPU models each (13 apart): 5 failing disks, 6 degrading, 4 hot
FAILING, DEGRADING, HOT = range(11, 76, 13), range(89, 167, 13), range(180, 232, 13)
REGRESSED = range(191, 270, 13)  # their CPU score fell by 30 % at the last run
BELOW = range(5, 84, 13)  # always half their twins' scores


def hostname(n: int) -> str:
    kind = ("ws", "ws", "mini", "ws", "nb", "nb", "ws", "ws", "ws", "srv", "srv", "kiosk")[n % 12]
    return f"{kind}-{n:03d}"


def run_document(example: dict, n: int, month: int, months: int, at: datetime) -> dict:
    """Machine n's run of `month` (0 the first), started at `at`."""
    model, cores, threads, score, ram_gb, chassis, make = CPUS[n % len(CPUS)]
    doc = copy.deepcopy(example)
    doc["device_identifier"] = hostname(n)
    doc["submission_id"] = str(uuid.uuid4())
    hardware = doc["hardware"]
    hardware["system"].update(
        machine_id=f"{n + 1:032x}",
        system_uuid=str(uuid.UUID(int=n + 1)),
        system_serial=f"CZC{n:07d}",
        system_model=make,
        chassis_type=chassis,
    )
    vendor = "AMD" if model.startswith("AMD") else "Intel"
    hardware["cpu"].update(vendor=vendor, model=model, cores=cores, threads=threads)
    # a quarter of them changed this month (the hardware changes' 30 days), the rest before
    changed = n in PART_CHANGED and month >= months - 1 - (n // 7) % 4 * 3
    what = (n // 7) % 3  # RAM doubled, a disk swapped, a network card replaced
    ram = ram_gb * (2 if changed and what == 0 else 1)
    hardware["ram"]["total_mb"] = ram * 1024
    for dimm in hardware["ram"]["layout"]:
        dimm["size_mb"] = ram * 256
    hardware["os"]["kernel_version"] = f"6.1.0-{20 + month // 6}-amd64"
    system, data = hardware["storage"]["devices"]
    system["serial"] = f"S4EW{n:06d}" + ("R" if changed and what == 1 else "")
    data["serial"] = f"WD-{n:08d}"
    interface = hardware["network"]["interfaces"][0]
    interface["mac"] = f"3c:52:82:{n // 256:02x}:{n % 256:02x}:{0x2C + (changed and what == 2):02x}"
    last = month == months - 1
    if n in FAILING and last:
        data.update(smart_health="FAILED", reallocated_sectors=180)
    elif n in DEGRADING and month >= months - 2:
        data.update(reallocated_sectors=8 * (month - months + 3), pending_sectors=month % 3)
    elif n in HOT and last:
        data["temperature_c"] = 64
    wobble = 1 + ((month * 7 + n) % 5 - 2) / 100  # ±2 %, as a machine repeats
    results = doc["results"]
    for category in ("cpu", "memory", "disk", "network", "gpu"):
        base = score if category == "cpu" else results[category]["score"]
        factor = 0.5 if n in BELOW else 0.7 if category == "cpu" and n in REGRESSED else 1
        results[category]["score"] = round(base * (factor if last or n in BELOW else 1) * wobble, 1)
    results["conditions"] = {"started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return doc


def generate(machines: int, months: int) -> None:
    from django.db import transaction

    from benchmarks.services import benchmark_ingest
    from benchmarks.validation import submission_validate
    from benchsite.submission_api import evaluate_attention

    example = example_document()
    now = datetime.now(UTC)
    started = time.monotonic()
    for month in range(months):
        with transaction.atomic():  # a month of the whole fleet per commit: quicker to store
            for n in range(machines):
                quiet = 2 + n % 4 if n in QUIET else 0  # months since it was last heard from
                back = months - 1 - month + quiet
                at = now - timedelta(days=30 * back + 1, hours=n % 24, minutes=n)
                doc = run_document(example, n, month, months, at)
                benchmark_ingest(
                    submission=submission_validate(doc),
                    document=doc,
                    after_store=evaluate_attention if month >= months - 2 else None,
                )
    received_when_run()
    print(
        f"stored {machines} machines × {months} monthly runs in {time.monotonic() - started:.0f} s",
        flush=True,
    )


def received_when_run() -> None:
    """Each run received when it ran, each open item opened by its machine's last run, as a
    fleet's two years arrive: stored at once, they all read "received just now" and no machine
    went quiet."""
    from django.db.models import F, OuterRef, Subquery

    from benchmarks.models import Benchmark
    from insights.models import AttentionItem
    from inventory.models import Device

    Benchmark.objects.update(received_at=F("run_at"))
    Device.objects.update(last_received_at=F("last_benchmark_at"))
    last = Device.objects.filter(pk=OuterRef("device_id")).values("last_benchmark_at")
    AttentionItem.objects.update(opened_at=Subquery(last), updated_at=Subquery(last))


def documents(count: int) -> None:
    from django.core.files.base import ContentFile

    from documents.services import document_store
    from inventory.models import Device

    devices = list(Device.objects.order_by("pk"))
    kinds = (
        ("invoice", "Invoice {n}.pdf"),
        ("warranty", "Warranty {n}.pdf"),
        ("", "notes {n}.txt"),  # untitled
    )
    for i in range(count):
        device = devices[(i * 37) % len(devices)]
        title, name = kinds[i % 3]
        body = f"%PDF-1.4\n% {device.hostname} {i}\n" if name.endswith(".pdf") else f"{i}\n"
        document_store(
            device=device,
            upload=ContentFile(body.encode(), name=name.format(n=device.hostname)),
            title=f"{title} {device.hostname}".strip() if title else "",
        )


def sheet(machines: int, version: int = 0) -> str:
    """The fleet's places as a spreadsheet gives them: room, owner, tags; `version` moves
    each machine to another room and owner."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["hostname", "location", "owner", "tags"])
    for n in range(machines):
        tags = (TAGS[n % len(TAGS)], TAGS[(n // 3 + version) % len(TAGS)])
        writer.writerow(
            [
                hostname(n),
                ROOMS[(n // 50 + version) % len(ROOMS)],
                OWNERS[(n + version) % len(OWNERS)],
                ";".join(sorted(set(tags))),
            ]
        )
    return out.getvalue()


def places(machines: int, user) -> None:
    from inventory.csv_import import csv_read, devices_import

    rows = csv_read(sheet(machines).encode()).rows
    plan = devices_import(rows=rows, actor=user, may_add_tags=True)
    print(f"places imported: {len(plan.updated)} machines changed", flush=True)


def pages(machines: int) -> list[tuple[str, str]]:
    from inventory.models import Device

    ids = list(Device.objects.order_by("pk").values_list("pk", flat=True))
    some = ",".join(str(pk) for pk in ids[:: max(1, len(ids) // 10)][:10])
    changed = Device.objects.get(hostname=hostname(PART_CHANGED[1])).pk
    devices = "/admin/inventory/device/"
    return [
        ("dashboard", "/admin/"),
        ("device list", devices),
        ("device list, a room", f"{devices}?location__exact={ROOMS[2].replace(' ', '+')}"),
        ("device list, a CPU model", f"{devices}?q=Ryzen+7"),
        ("device list, search a hostname", f"{devices}?q={hostname(17)}"),
        ("device list, its last page", f"{devices}?p=6"),
        ("a device page", f"{devices}{changed}/change/"),
        ("hardware changes", f"{devices}hardware-changes/"),
        ("attention items", "/admin/insights/attentionitem/"),
        ("compare 10 selected", f"{devices}compare/?devices={some}"),
        ("documents", "/admin/documents/document/"),
        ("import CSV form", f"{devices}import/"),
        ("export devices CSV", "/api/export?what=devices&format=csv"),
    ]


def import_preview(admin, machines: int, repeat: int) -> tuple[list[float], int, int]:
    """Import CSV's preview of a `machines`-row file moving every machine: ms, queries, KB."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    data = sheet(machines, version=1).encode()
    timings, queries, size = [], 0, 0
    for _ in range(repeat + 1):
        upload = SimpleUploadedFile("places.csv", data, content_type="text/csv")
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = admin.post("/admin/inventory/device/import/", {"file": upload})
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries, size = len(ctx.captured_queries), len(response.content)
    return timings[1:], queries, size


def export_selected(admin, repeat: int) -> tuple[list[float], int, int]:
    """The device list's Export selected as CSV on Select all: ms, queries, KB."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory.models import Device

    form = {
        "action": "export_csv",
        "select_across": "1",
        "index": "0",
        "_selected_action": str(Device.objects.values_list("pk", flat=True).first()),
    }
    timings, queries, size = [], 0, 0
    for _ in range(repeat + 1):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = admin.post("/admin/inventory/device/", form)
            body = b"".join(response) if response.streaming else response.content
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
        queries, size = len(ctx.captured_queries), len(body)
    return timings[1:], queries, size


def run(args) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from insights.models import AttentionItem

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_superuser("perf", "perf@example.com", "perf-password")
    generate(args.machines, args.months)
    documents(args.documents)
    places(args.machines, user)
    open_items = AttentionItem.objects.filter(closed_at__isnull=True)
    kinds = sorted(set(open_items.values_list("kind", flat=True)))
    print(f"{open_items.count()} open attention items, of kinds {', '.join(kinds)}", flush=True)
    admin = Client()
    admin.force_login(user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    print(f"\n{'page':<34} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'KB':>7}")
    for label, path in pages(args.machines):
        client = api if path.startswith("/api/") else admin
        timings, queries, size, _ = measure(client, path, args.repeat)
        print(
            f"{label:<34} {queries:7d} {percentile(timings, 50):8.0f} "
            f"{percentile(timings, 95):8.0f} {size / 1024:7.0f}",
            flush=True,
        )
    posted = (
        (
            f"import CSV preview, {args.machines} rows",
            import_preview(admin, args.machines, args.repeat),
        ),
        ("export selected as CSV, all", export_selected(admin, args.repeat)),
    )
    for label, (timings, queries, size) in posted:
        print(
            f"{label:<34} {queries:7d} {percentile(timings, 50):8.0f} "
            f"{percentile(timings, 95):8.0f} {size / 1024:7.0f}",
            flush=True,
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", help="a directory to keep the SQLite database in")
    args = parser.parse_args()
    if args.machines < 300 or args.months < 6:
        parser.error("--machines: 300 at least; --months: 6 at least (the fleet's roles)")
    return on_sqlite(run, args, "office", TOKEN)


if __name__ == "__main__":
    raise SystemExit(main())
