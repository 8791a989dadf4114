"""Soak: minutes of mixed traffic against the real server, then an exact count of what it stored.

    .venv/bin/python perf/soak.py [--seconds 600] [--concurrency 8] [--database sqlite|postgres]

Starts the server (benchsite.livetest, loopback, its own database) and runs `--concurrency`
keep-alive clients until the deadline (and at most --max-requests): submissions (fresh
submission_id; one in ten repeats an earlier one, which must answer 200 and store nothing),
reads (device list by every ordering and page size, detail, history, snapshots, stats) and,
when the served schema has POST /api/devices/{id}/docs, small document uploads. At the end
the stored rows are counted through the API and must equal the accepted requests: benchmarks
and snapshots = new submissions, documents = accepted uploads. Also prints latencies, errors
and the workers' memory before and after. Exit status 1 on any mismatch or 5xx.
"""

import argparse
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchsite.livetest import live_server
from perf.common import Client, example_document, percentile, submission, with_postgres

FLEET = 200
PAGE_SIZES = (25, 100, 500)
ORDERINGS = ("hostname", "-global_score", "-last_benchmark_at")


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.submitted_ids: list[str] = []  # accepted submission_ids (201)
        self.new_submissions = 0
        self.retries_ok = 0
        self.uploads: Counter = Counter()  # device id → accepted uploads
        self.device_ids: set[int] = set()

    def record(self, kind: str, status: int, elapsed: float, body: bytes) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1
            self.latency[kind].append(elapsed)
            if status >= 500 or status == 0:
                if len(self.errors) < 20:
                    self.errors.append(f"{kind} {status}: {body[:200]!r}")


def workers_rss_kb(pid: int) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total


def client_loop(server, tally: Tally, deadline: float, budget: int, seed: int, uploads: bool):
    rng = random.Random(seed)
    client = Client(server.url, server.token)
    example = example_document()
    for n in range(budget):
        if time.monotonic() >= deadline:
            break
        roll = rng.random()
        started = time.perf_counter()
        try:
            if roll < 0.55:
                kind, status, body = submit(client, tally, example, rng, seed * 1_000_000 + n)
            elif roll < 0.60 and tally.submitted_ids:
                with tally.lock:
                    sid = rng.choice(tally.submitted_ids)
                document = {"device_identifier": "retry-host", "submission_id": sid}
                status, body = client.request(
                    "POST", "/api/benchmark", json.dumps(document).encode()
                )
                kind = "submit (retry)"
                if status == 200:
                    with tally.lock:
                        tally.retries_ok += 1
            elif roll < 0.92 or not uploads or not tally.device_ids:
                kind, status, body = read(client, tally, rng)
            else:
                kind, status, body = upload(client, tally, rng)
        except Exception as exc:  # noqa: BLE001 (counted as an error)
            client.close()
            kind, status, body = "exception", 0, repr(exc).encode()
        tally.record(kind, status, time.perf_counter() - started, body)
    client.close()


def submit(client, tally, example, rng, i):
    document = submission(example, rng.randrange(FLEET * 4), fleet=FLEET)
    status, body = client.request("POST", "/api/benchmark", json.dumps(document).encode())
    if status == 201:
        answer = json.loads(body)
        with tally.lock:
            tally.new_submissions += 1
            tally.submitted_ids.append(document["submission_id"])
            tally.device_ids.add(answer["device_id"])
    return "submit", status, body


def read(client, tally, rng):
    with tally.lock:
        device_id = rng.choice(sorted(tally.device_ids)) if tally.device_ids else None
    choice = rng.randrange(5) if device_id is not None else 4
    if choice == 0:
        size, ordering = rng.choice(PAGE_SIZES), rng.choice(ORDERINGS)
        path = f"/api/devices?page_size={size}&ordering={ordering}"
        kind = "list"
    elif choice == 1:
        path, kind = f"/api/devices/{device_id}", "detail"
    elif choice == 2:
        path, kind = f"/api/devices/{device_id}/benchmarks", "history"
    elif choice == 3:
        path, kind = f"/api/devices/{device_id}/snapshots", "snapshots"
    else:
        path, kind = "/api/stats", "stats"
    status, body = client.request("GET", path)
    return kind, status, body


def upload(client, tally, rng):
    with tally.lock:
        device_id = rng.choice(sorted(tally.device_ids))
    boundary = uuid.uuid4().hex
    content = f"soak note {uuid.uuid4()}\n".encode()  # unique: every upload is its own row
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nsoak\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, answer = client.request(
        "POST",
        f"/api/devices/{device_id}/docs",
        body,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    if status == 201:
        with tally.lock:
            tally.uploads[device_id] += 1
    return "upload", status, answer


def count_stored(server, tally: Tally, uploads: bool) -> dict[str, int]:
    client = Client(server.url, server.token)
    stats = json.loads(client.request("GET", "/api/stats")[1])
    snapshots = documents = 0
    for device_id in sorted(tally.device_ids):
        status, body = client.request("GET", f"/api/devices/{device_id}")
        assert status == 200, (device_id, status)
        detail = json.loads(body)
        snapshots += detail["snapshots_count"]
        documents += detail.get("documents_count", 0)
    client.close()
    return {
        "benchmarks": stats["benchmarks"],
        "snapshots": snapshots,
        "documents": documents if uploads else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=500_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--worker-class", default=None)
    args = parser.parse_args()
    if not 0 < args.seconds <= 3600 or not 0 < args.concurrency <= 64:
        parser.error("--seconds must be in (0, 3600] and --concurrency in 1..64")
    if args.database == "postgres":
        with_postgres(sys.argv)

    with tempfile.TemporaryDirectory(prefix="perf-soak-") as tmp:
        with live_server(Path(tmp), worker_class=args.worker_class) as server:
            schema = Client(server.url).request("GET", "/api/schema/?format=json")[1]
            uploads = b"/api/devices/{device_pk}/docs" in schema
            tally = Tally()
            rss_before = workers_rss_kb(server.pid)
            deadline = time.monotonic() + args.seconds
            budget = args.max_requests // args.concurrency
            threads = [
                threading.Thread(
                    target=client_loop, args=(server, tally, deadline, budget, seed, uploads)
                )
                for seed in range(1, args.concurrency + 1)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            # the workers' memory over the run: a leak keeps climbing, a warm-up levels off
            rss_series = []
            step, last = args.seconds / 10, started
            while any(thread.is_alive() for thread in threads):
                time.sleep(0.5)
                if (now := time.monotonic()) - last >= step:
                    rss_series.append((now - started, workers_rss_kb(server.pid)))
                    last = now
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            rss_after = workers_rss_kb(server.pid)
            stored = count_stored(server, tally, uploads)

    total = sum(tally.statuses.values())
    print(
        f"soak: {elapsed:.0f} s, {args.concurrency} clients, {total} requests "
        f"({total / elapsed:.0f}/s), uploads {'on' if uploads else 'off (no docs endpoint)'}"
    )
    for kind in sorted(tally.latency):
        values = tally.latency[kind]
        codes = {s: n for (k, s), n in tally.statuses.items() if k == kind}
        print(
            f"  {kind:<15} {len(values):7d}  p50 {percentile(values, 50) * 1000:7.1f} ms  "
            f"p99 {percentile(values, 99) * 1000:7.1f} ms  statuses {codes}"
        )
    print(f"  workers' RSS: {rss_before // 1024} MiB before, {rss_after // 1024} MiB after")
    print("  RSS over time:", ", ".join(f"{t:.0f} s {kb // 1024} MiB" for t, kb in rss_series))
    expected = {
        "benchmarks": tally.new_submissions,
        "snapshots": tally.new_submissions,
        "documents": sum(tally.uploads.values()),
    }
    print(f"  accepted: {expected}  (plus {tally.retries_ok} retried submissions answered 200)")
    print(f"  stored:   {stored}")
    server_errors = sum(n for (_, s), n in tally.statuses.items() if s >= 500 or s == 0)
    for error in tally.errors:
        print("  error:", error)
    ok = stored == expected and server_errors == 0
    print("verdict:", "ok: stored rows = accepted requests, no 5xx" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
