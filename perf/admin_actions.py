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
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perf.common import django_in_process, in_process_env, with_postgres
from perf.reads import generate

TOKEN = "perf-admin-actions-token-0123456789"  # noqa: S105 (a throwaway database)
RUNS_PER_DEVICE = 18  # the issue's measurement: ~27,000 runs over 1,500 devices


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--only", default="", help="the cases whose name contains this")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--no-limit",
        action="store_true",
        help="rescore past the admin's limit (RESCORE_IN_A_REQUEST), to measure what it spares",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if not all(0 < size <= 100_000 for size in sizes):
        parser.error("--sizes: each in 1..100000")
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
