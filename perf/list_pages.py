"""The admin's lists of machines with hundreds of disks: what a page of them costs.

    .venv/bin/python perf/list_pages.py [--disks 500,4096] [--rows 100] [--repeat 5]
        [--keep DIR]

Stores, through the real ingest path, one machine per `--disks` figure (perf/big_machine.py's:
that many disks, partitions and interfaces), then `--rows` machines like it, each with a copy
of its snapshot (6 MB of JSON at 4,096 disks) as its latest and of its run, its open attention
items, a link, a document, a tag and a history line; and `--rows` API tokens. Then each list
of the admin, filtered to the rows of one size, a page of them: its queries, p50/p95 ms, the
page's KB and the peak of the memory Python allocated to answer it (tracemalloc, one request
more), side by side. A list whose figures grow with the disks reads what it does not show.
"""

import argparse
import sys
import time
import tracemalloc
import warnings
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perf.big_machine import TOKEN, generate
from perf.common import on_sqlite, percentile
from perf.long_history import measure

DAY = "%Y-%m-%d"


def copies(disks: int, rows: int, user) -> tuple[str, str]:
    """`rows` machines like big-<disks>, each with a copy of its snapshot and run, its open
    items, a link, a document, a tag and a history line; their snapshots and runs dated on
    their own days. Returns the first of those days and the day after the last."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.core.files.base import ContentFile
    from django.db import transaction

    from documents.services import document_store
    from insights.models import AttentionItem, Notification
    from inventory.models import Device, ManufacturerLink, Tag

    base = Device.objects.get(hostname=f"big-{disks}")
    snapshot = base.snapshots.order_by("-captured_at").first()
    run = base.benchmarks.order_by("-run_at").first()
    items = list(AttentionItem.objects.filter(device=base, closed_at__isnull=True))
    # a day of their own, years back: the lists are filtered to them by date
    start = snapshot.captured_at - timedelta(days=3650 + 30 * disks // 100)
    started = time.monotonic()
    for i in range(rows):
        with transaction.atomic():
            device = Device.objects.get(pk=base.pk)
            device.pk, device.latest_snapshot = None, None
            device.hostname, device.location = f"list-{disks}-{i:03d}", f"disks-{disks}"
            device.machine_id = device.system_uuid = device.serial = ""
            device.save()
            snapshot.pk, snapshot.device = None, device
            snapshot.captured_at = start + timedelta(minutes=i)
            snapshot.save()
            run.pk, run.device, run.snapshot, run.submission_id = None, device, snapshot, None
            run.run_at = run.received_at = snapshot.captured_at
            run.save()
            Device.objects.filter(pk=device.pk).update(latest_snapshot=snapshot)
            for item in items:
                item.pk, item.device = None, device
                item.save()
            ManufacturerLink.objects.create(
                device=device, label="support", url=f"https://example.com/{device.hostname}"
            )
            tag = Tag.objects.create(name=f"tag-{disks}-{i:03d}")
            device.tags.add(tag)
            upload = ContentFile(f"notes of {device.hostname}\n".encode(), name="notes.txt")
            document_store(device=device, upload=upload, title=f"notes {i}")
            LogEntry.objects.log_actions(user.pk, [device], CHANGE, "Changed location.")
    Notification.objects.bulk_create(
        Notification(
            item=item,
            title=item.message[:255],
            body=item.message,
            type="warning",
            target="0" * 64,
            target_label="json://…",
        )
        for item in AttentionItem.objects.filter(device__location=f"disks-{disks}")[:rows]
    )
    print(f"{disks} disks: {rows} copies stored in {time.monotonic() - started:.1f} s", flush=True)
    end = start + timedelta(minutes=rows)
    return f"{start:{DAY}}", f"{end + timedelta(days=1):{DAY}}"


def peak_mb(client, path: str) -> float:
    """The peak of the memory Python allocated while answering `path`, in MB."""
    tracemalloc.start()
    try:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def rows_listed(body: str) -> int:
    """The rows of the page's list (its table's, less its head)."""
    table = body.split('id="result_list"', 1)[-1].split("</table>", 1)[0]
    return max(0, table.count("<tr") - 1)


def run(args) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from benchsite.services import api_token_issue
    from inventory.models import Device

    # the lists' date filters take a day, as the admin's own date filter sends it
    warnings.filterwarnings("ignore", "DateTimeField .* received a naive datetime")
    call_command("migrate", verbosity=0)
    sizes = sorted({int(n) for n in args.disks.split(",")})
    user = get_user_model().objects.create_superuser("perf", "perf@example.com", "perf-password")
    generate(sizes, 1)
    days = {n: copies(n, args.rows, user) for n in sizes}
    for i in range(args.rows):
        api_token_issue(name=f"perf-{i:03d}", created_by=user)
    admin = Client()
    admin.force_login(user)

    def pages(disks: int) -> list[tuple[str, str]]:
        first, last = days[disks]
        device = Device.objects.get(hostname=f"list-{disks}-000").pk
        serial = f"8HG{disks:04d}{disks // 2:05d}"  # a disk of every copy
        dated = "__gte={}&{}__lt={}"
        return [
            ("devices", f"/admin/inventory/device/?location__exact=disks-{disks}"),
            ("devices ?q=a disk's serial", f"/admin/inventory/device/?q={serial}"),
            (
                "snapshots",
                "/admin/inventory/hardwaresnapshot/?captured_at"
                + dated.format(first, "captured_at", last),
            ),
            ("snapshots ?q=", f"/admin/inventory/hardwaresnapshot/?q=list-{disks}"),
            (
                "benchmarks",
                "/admin/benchmarks/benchmark/?run_at" + dated.format(first, "run_at", last),
            ),
            ("benchmarks ?q=", f"/admin/benchmarks/benchmark/?q=list-{disks}"),
            ("documents", f"/admin/documents/document/?q=list-{disks}"),
            ("links", f"/admin/inventory/manufacturerlink/?q=list-{disks}"),
            ("tags", f"/admin/inventory/tag/?q=tag-{disks}"),
            ("attention items", f"/admin/insights/attentionitem/?q=list-{disks}"),
            ("notifications", "/admin/insights/notification/"),
            ("API tokens", "/admin/benchsite/apitoken/"),
            ("log entries", f"/admin/admin/logentry/?q=list-{disks}"),
            ("a device's history", f"/admin/inventory/device/{device}/history/"),
        ]

    header = "".join(f" | {f'{n} disks':>33}" for n in sizes)
    print(f"\n{'rows, queries, p50/p95 ms, KB, MB':<32}{header}")
    figures = {n: pages(n) for n in sizes}
    for row in range(len(figures[sizes[0]])):
        cells = []
        for n in sizes:
            path = figures[n][row][1]
            timings, queries, size, body = measure(admin, path, args.repeat)
            peak = peak_mb(admin, path)
            cells.append(
                f"{rows_listed(body):3d} {queries:3d} {percentile(timings, 50):6.0f}/"
                f"{percentile(timings, 95):6.0f} {size / 1024:5.0f} {peak:6.1f}"
            )
        print(
            f"{figures[sizes[0]][row][0]:<32}" + "".join(f" | {c:>33}" for c in cells), flush=True
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--disks", default="500,4096", help="the machines' disk counts")
    parser.add_argument("--rows", type=int, default=100, help="rows of each size in each list")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", help="a directory to keep the SQLite database in")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows: 1 at least")
    return on_sqlite(run, args, "lists", TOKEN)


if __name__ == "__main__":
    raise SystemExit(main())
