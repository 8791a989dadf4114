"""The admin's list actions on "Select all N": query count and time at several sizes.

    .venv/bin/python perf/admin_actions.py [--sizes 10,1000,10000] [--only rescore]
                                           [--database sqlite|postgres]

For each size, a fresh fleet written in bulk (perf/reads.py's generator: one snapshot per
device, its runs spread over it), then each action posted as the list's "Select all N" sends it
(Django's test client, the real database, in this process; no network), timed and its queries
counted (CaptureQueriesContext). The cases: *Re-apply the scoring…* on every run (the runs
stored by an older scoring version: each one changes), *Delete selected* of devices, of
manufacturer links and of documents, *Acknowledge* of attention items, *Revoke* of tokens.
A size is the number of objects the action selects (runs for rescore: one device per 18).

    .venv/bin/python perf/admin_actions.py --disks 500,4096 [--machines 20] [--snapshots 30]

measures instead *Delete selected* of machines with many disks: one stored through the ingest
path (perf/big_machine.py's), then `--machines` machines like it, each with `--snapshots` weekly
copies of its snapshot (4.4 MB of JSON at 4,096 disks, copied by the database) and a run on
each; every snapshot of them deleted from the snapshots' list, then (copied again) every one of
the machines from the device list. For each, the confirmation page and the deletion apart:
queries, ms, and the peak of the memory Python allocated (tracemalloc, the same request once
more: the deletion on a fresh copy).
"""

import argparse
import copy
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perf.big_machine import generate as generate_big
from perf.common import django_in_process, in_process_env, with_postgres
from perf.reads import generate

TOKEN = "perf-admin-actions-token-0123456789"  # noqa: S105 (a throwaway database)
RUNS_PER_DEVICE = 18  # the issue's measurement: ~27,000 runs over 1,500 devices


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--only", default="", help="the cases whose name contains this")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--disks", default="", help="e.g. 500,4096: delete such machines")
    parser.add_argument("--machines", type=int, default=20)
    parser.add_argument("--snapshots", type=int, default=30, help="each machine's")
    parser.add_argument(
        "--no-limit",
        action="store_true",
        help="rescore past the admin's limit (RESCORE_IN_A_REQUEST), to measure what it spares",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if not all(0 < size <= 100_000 for size in sizes):
        parser.error("--sizes: each in 1..100000")
    disks = sorted({int(n) for n in args.disks.split(",") if n.strip()})
    if not all(0 < n <= 4096 for n in disks) or min(args.machines, args.snapshots) < 1:
        parser.error("--disks: each in 1..4096; --machines and --snapshots: 1 at least")
    if args.database == "postgres":
        with_postgres(sys.argv)
    tmp = tempfile.TemporaryDirectory(prefix="perf-admin-actions-")
    env = in_process_env(tmp.name, "admin-actions", TOKEN)
    # two receivers: Acknowledge stores a notification per item and URL (never sent: the
    # sender is not woken, below)
    env["NOTIFY_URLS"] = "json://127.0.0.1:8779/a,json://127.0.0.1:8779/b"
    import os

    if args.database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp.name}/actions.db"
    else:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    try:
        with django_in_process(env):
            from insights import notify

            notify.sender.wake = lambda: None  # stored, not sent: what the action writes
            if args.no_limit:
                from benchmarks import rescoring

                rescoring.RESCORE_IN_A_REQUEST = 10**9
            if disks:
                return run_big(disks, args.machines, args.snapshots)
            return run(sizes, args.only)
    finally:
        tmp.cleanup()


def select_all(client, url: str, action: str, extra: dict | None = None):
    """The list's POST of "Select all N" with `action`: its first page's boxes ticked."""
    from django.test.utils import CaptureQueriesContext

    page = client.get(url)
    assert page.status_code == 200, page.status_code
    import re

    shown = re.findall(r'name="_selected_action" value="(\d+)"', page.content.decode())
    data = {"action": action, "select_across": "1", "index": "0", "_selected_action": shown}
    import collections

    from django.db import connection

    connection.queries_log = collections.deque(maxlen=10**6)  # Django keeps the last 9,000
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.post(url, {**data, **(extra or {})})
        if action == "delete_selected":  # "Yes, I'm sure" on its page
            from benchsite.tests.test_bulk_delete import hidden_form

            response = client.post(url, hidden_form(response))
        took = time.perf_counter() - started
    return response, took, len(ctx.captured_queries)


def reset() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def admin_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(
        get_user_model().objects.create_superuser("perf", "perf@example.com", "perf-password")
    )
    return client


def case_rescore(size: int):
    from benchmarks.models import Benchmark
    from insights.models import AttentionItem

    generate(max(1, size // RUNS_PER_DEVICE), size, cpu_models=20)
    Benchmark.objects.update(scoring_version="0")  # an older version's: every run changes
    client = admin_client()
    response, took, queries = select_all(client, "/admin/benchmarks/benchmark/", "rescore")
    rescored = Benchmark.objects.exclude(scoring_version="0").count()
    return response, took, queries, f"{rescored} rescored, {AttentionItem.objects.count()} items"


def case_acknowledge(size: int):
    from insights.models import AttentionItem, Kind, Notification, Severity

    generate(size, size)  # a run each
    AttentionItem.objects.bulk_create(
        AttentionItem(
            device_id=d,
            kind=Kind.DISK_HOT,
            severity=Severity.WARNING,
            disk=f"X-{d:08d}",
            message=f"disk /dev/sdb (X-{d:08d}) is at 62 °C",
        )
        for d in range(1, size + 1)
    )
    client = admin_client()
    response, took, queries = select_all(client, "/admin/insights/attentionitem/", "acknowledge")
    closed = AttentionItem.objects.filter(closed_at__isnull=False).count()
    return response, took, queries, f"{closed} closed, {Notification.objects.count()} notifications"


def case_revoke(size: int):
    from benchsite.models import ApiToken
    from benchsite.services import api_token_issue

    api_token_issue(name="first")
    first = ApiToken.objects.get()
    ApiToken.objects.bulk_create(
        ApiToken(name=f"t{n}", key_hash=f"{n:064x}", key_prefix=f"{n:010x}", can_submit=True)
        for n in range(1, size)
    )
    assert first.pk
    client = admin_client()
    response, took, queries = select_all(client, "/admin/benchsite/apitoken/", "revoke")
    return response, took, queries, ApiToken.objects.filter(revoked_at__isnull=False).count()


def case_links(size: int):
    from inventory.models import ManufacturerLink

    generate(max(1, size // 10), max(1, size // 10))
    devices = max(1, size // 10)
    ManufacturerLink.objects.bulk_create(
        ManufacturerLink(device_id=n % devices + 1, label=f"BIOS {n}", url=f"https://x.test/{n}")
        for n in range(size)
    )
    client = admin_client()
    response, took, queries = select_all(
        client, "/admin/inventory/manufacturerlink/", "delete_selected"
    )
    return response, took, queries, f"{ManufacturerLink.objects.count()} left"


def case_documents(size: int):
    """Each document with a stored file of its own; the files' removal after the commit is
    in the time and the queries (each file's, as before)."""
    import hashlib
    import io

    from documents import storage
    from documents.models import Document

    generate(max(1, size // 10), max(1, size // 10))
    devices = max(1, size // 10)
    rows = []
    for n in range(size):
        body = f"manual {n}\n".encode()
        sha256 = hashlib.sha256(body).hexdigest()
        name = f"{sha256[:2]}/{sha256}.txt"
        storage.put(name, io.BytesIO(body), size_bytes=len(body))
        rows.append(
            Document(
                device_id=n % devices + 1,
                title=f"manual {n}",
                original_filename=f"m{n}.txt",
                stored_name=name,
                mime_type="text/plain",
                size_bytes=len(body),
                sha256=sha256,
            )
        )
    Document.objects.bulk_create(rows)
    client = admin_client()
    response, took, queries = select_all(client, "/admin/documents/document/", "delete_selected")
    files = sum(1 for _ in storage.walk())
    return response, took, queries, f"{Document.objects.count()} left, {files} files left"


def case_devices(size: int):
    """Every device deleted, each with 3 runs, a snapshot, and one in 20 an open item."""
    from inventory.models import Device

    generate(size, size * 3)
    client = admin_client()
    response, took, queries = select_all(client, "/admin/inventory/device/", "delete_selected")
    return response, took, queries, f"{Device.objects.count()} left"


CASES = {
    "devices": case_devices,
    "rescore": case_rescore,
    "acknowledge": case_acknowledge,
    "revoke": case_revoke,
    "links": case_links,
    "documents": case_documents,
}


def big_copies(disks: int, machines: int, snapshots: int) -> str:
    """`machines` machines like big-<disks>, each with `snapshots` weekly copies of its newest
    snapshot (INSERT … SELECT: its JSON copied by the database, not decoded here) and a run on
    each, the newest its latest. Returns their location (the device list's filter)."""
    from django.db import connection, transaction

    from benchmarks.models import Benchmark
    from inventory.models import Device, HardwareSnapshot

    base = Device.objects.get(hostname=f"big-{disks}")
    newest = HardwareSnapshot.objects.filter(device=base).only("captured_at").first()
    run = Benchmark.objects.filter(device=base).first()
    quote = connection.ops.quote_name
    table = quote(HardwareSnapshot._meta.db_table)
    copied = ", ".join(
        quote(field.column)
        for field in HardwareSnapshot._meta.concrete_fields
        if field.column not in ("id", "device_id", "captured_at")
    )
    location = f"copies-{disks}"
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(machines):
            device = Device.objects.get(pk=base.pk)
            device.pk, device.latest_snapshot = None, None
            device.hostname, device.location = f"copy-{disks}-{i:03d}", location
            device.machine_id = device.system_uuid = device.serial = ""
            device.save()
            for k in range(snapshots):
                at = newest.captured_at - timedelta(weeks=snapshots - 1 - k, minutes=i)
                cursor.execute(
                    f"INSERT INTO {table} (device_id, captured_at, {copied}) "  # noqa: S608
                    f"SELECT %s, %s, {copied} FROM {table} WHERE id = %s",
                    [device.pk, connection.ops.adapt_datetimefield_value(at), newest.pk],
                )
            rows = []
            for pk, at in HardwareSnapshot.objects.filter(device=device).values_list(
                "pk", "captured_at"
            ):
                run.pk, run.device, run.snapshot_id, run.submission_id = None, device, pk, None
                run.run_at = run.received_at = at
                rows.append(copy.copy(run))
            Benchmark.objects.bulk_create(rows)
            latest = HardwareSnapshot.objects.filter(device=device).values("pk")[:1]
            Device.objects.filter(pk=device.pk).update(latest_snapshot=latest)
    return location


def delete_measured(client, url: str, again) -> list[str]:
    """*Delete selected* on "Select all N" of `url`: its confirmation page and its "Yes, I'm
    sure", each's queries, ms and peak MB (the page asked twice, the deletion made again on
    what again() stores)."""
    import tracemalloc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchsite.tests.test_bulk_delete import hidden_form

    def post(data, traced: bool):
        if traced:
            tracemalloc.start()
        try:
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.post(url, data)
                took = (time.perf_counter() - started) * 1000
            peak = tracemalloc.get_traced_memory()[1] / 1e6 if traced else 0.0
        finally:
            tracemalloc.stop()
        return response, took, len(ctx.captured_queries), peak

    def select_all() -> dict:
        page = client.get(url)
        shown = re.findall(r'name="_selected_action" value="(\d+)"', page.content.decode())
        return {"action": "delete_selected", "select_across": "1", "index": "0",
                "_selected_action": shown}  # fmt: skip

    cells = []
    page, took, queries, _ = post(select_all(), traced=False)
    assert page.status_code == 200, page.status_code
    _, _, _, peak = post(select_all(), traced=True)
    cells.append(f"{queries:3d} {took:7.0f} {peak:7.1f}")
    done, took, queries, _ = post(hidden_form(page), traced=False)
    assert done.status_code == 302, done.status_code
    again()
    page, *_ = post(select_all(), traced=False)
    done, _, _, peak = post(hidden_form(page), traced=True)
    assert done.status_code == 302, done.status_code
    cells.append(f"{queries:3d} {took:7.0f} {peak:7.1f}")
    return cells


def run_big(sizes: list[int], machines: int, snapshots: int) -> int:
    from django.core.management import call_command

    from inventory.models import Device, HardwareSnapshot

    call_command("migrate", verbosity=0)
    generate_big(sizes, 1)
    client = admin_client()
    print(f"\n{machines} machines x {snapshots} snapshots; queries, ms, peak MB")
    print(f"{'':<24} {'disks':>5} | {'confirmation page':>19} | {'deletion':>19}")
    for disks in sizes:

        def fresh(disks=disks) -> str:
            """The copies of big-<disks> anew (those left of a deletion gone first)."""
            Device.objects.filter(location=f"copies-{disks}").delete()
            return big_copies(disks, machines, snapshots)

        location = fresh()
        selected = HardwareSnapshot.objects.filter(device__location=location).count()
        lists = (
            (f"{selected} snapshots", f"/admin/inventory/hardwaresnapshot/?q=copy-{disks}-"),
            (f"{machines} devices", f"/admin/inventory/device/?location__exact={location}"),
        )
        for label, url in lists:
            page, deletion = delete_measured(client, url, fresh)
            print(f"{label:<24} {disks:>5} | {page:>19} | {deletion:>19}", flush=True)
            fresh()
    return 0


def run(sizes: list[int], only: str) -> int:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"{'case':<12} {'size':>7} {'status':>6} {'queries':>8} {'time':>8}  done")
    for name, case in CASES.items():
        if only and only not in name:
            continue
        for size in sizes:
            reset()
            response, took, queries, done = case(size)
            print(
                f"{name:<12} {size:>7} {response.status_code:>6} {queries:>8} {took:>7.2f}s"
                f"  {done}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
