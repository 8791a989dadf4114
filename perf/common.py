"""Shared by the perf scripts: a keep-alive HTTP client, bounded load loops, figures.

Loopback only: every URL here comes from benchsite.livetest (127.0.0.1). Each load loop is
bounded by a request count and a wall-clock deadline.
"""

import contextlib
import copy
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXAMPLE = ROOT.parent / "shared" / "contract" / "submission.example.json"
EXAMPLE_FALLBACK = ROOT / "benchmarks" / "tests" / "submission.example.json"
FLEET = 300  # distinct machines the submissions are spread over
LOCATIONS = ("rack-1", "rack-2", "office", "lab", "closet")


def example_document() -> dict:
    return json.loads((EXAMPLE if EXAMPLE.is_file() else EXAMPLE_FALLBACK).read_text())


def submission(example: dict, i: int, fleet: int = FLEET, *, churn: bool = False) -> dict:
    """The contract example as machine i % fleet sends it: own hostname, keys, scores, id.

    Each machine has a CPU score of its own, spread over 50–200 across the fleet, and runs
    within ±2 % of it, as a real machine repeats (README, "Repeats, spread and conditions"):
    the machines far below their peers keep an open below_peers item. `churn`: each run of a
    machine swings its CPU score by 90 points instead, so nearly every submission opens or
    closes an attention item (the evaluation's writing path, a worst case)."""
    document = copy.deepcopy(example)
    n = i % fleet
    document["device_identifier"] = f"node-{n:04d}"
    document["submission_id"] = str(uuid.uuid4())
    system = document["hardware"]["system"]
    system["machine_id"] = f"{n:032x}"
    system["system_uuid"] = str(uuid.UUID(int=n + 1))
    system["system_serial"] = f"SN{n:08d}"
    if churn:
        score = 50 + (i * 7.3) % 150
    else:
        score = (50 + (n * 7.3) % 150) * (1 + ((i // fleet) % 5 - 2) / 100)
    document["results"]["cpu"]["score"] = round(score, 1)
    return document


def assert_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit(f"refusing to load {url}: loopback only")


class Client:
    """One keep-alive connection (http.client sets TCP_NODELAY); reconnects when closed."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 60):
        assert_loopback(url)
        parts = urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        all_headers = {**self.headers, **(headers or {})}
        if body is not None:
            all_headers.setdefault("Content-Type", "application/json")
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.close()
                return response.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # the server closed an idle keep-alive connection: one retry on a new one
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Run:
    """What one load loop measured."""

    label: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # non-2xx bodies and exceptions (first few)
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0  # seconds, gunicorn master + workers, when known

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def rate(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    def pct(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def line(self) -> str:
        return (
            f"{self.label:<34} {self.rate:8.1f}/s  p50 {self.pct(50):7.1f} ms  "
            f"p99 {self.pct(99):7.1f} ms  errors {self.failed}  "
            f"server CPU {self.server_ms:.2f} ms/req  "
            f"(client CPU {100 * self.client_cpu / self.wall if self.wall else 0:.0f}% of a core)"
        )

    @property
    def server_ms(self) -> float:
        requests = sum(self.statuses.values())
        return 1000 * self.server_cpu / requests if requests else float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Iterable[float]) -> float:
    return statistics.median(values)


def drive(
    label: str,
    url: str,
    token: str | None,
    make_request: Callable[[int], tuple[str, str, bytes | None]],
    *,
    count: int,
    concurrency: int,
    deadline_s: float = 600,
    ok_statuses: Iterable[int] = (200, 201),
    server_pid: int = 0,
) -> Run:
    """Send `count` requests from `concurrency` threads, each on its own keep-alive connection.

    make_request(i) → (method, path, body), built before the clock starts.
    """
    prepared = [make_request(i) for i in range(count)]
    ok_statuses = frozenset(ok_statuses)
    run = Run(label)
    lock = threading.Lock()
    next_index = iter(range(count))
    stop_at = time.monotonic() + deadline_s

    def worker():
        client = Client(url, token)
        try:
            while time.monotonic() < stop_at:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                method, path, body = prepared[i]
                started = time.perf_counter()
                try:
                    status, data = client.request(method, path, body)
                except Exception as exc:  # noqa: BLE001 (counted and reported)
                    client.close()
                    with lock:
                        run.statuses[599] += 1
                        if len(run.errors) < 5:
                            run.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    run.statuses[status] += 1
                    if status in ok_statuses:
                        run.latencies.append(elapsed)
                    elif len(run.errors) < 5:
                        run.errors.append(f"{status}: {data[:300]!r}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    server0 = process_tree_cpu(server_pid) if server_pid else 0.0
    cpu0, t0 = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.wall = time.perf_counter() - t0
    run.client_cpu = time.process_time() - cpu0
    if server_pid:
        run.server_cpu = process_tree_cpu(server_pid) - server0
    return run


def post_json(path: str, document: dict) -> tuple[str, str, bytes]:
    return "POST", path, json.dumps(document).encode()


def get(path: str) -> tuple[str, str, None]:
    return "GET", path, None


def with_postgres(argv: list[str]) -> None:
    """Re-run this script inside a throwaway PostgreSQL cluster (pg_virtualenv) unless
    DATABASE_URL already points at PostgreSQL."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    inner = (
        'DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@127.0.0.1:$PGPORT/$PGDATABASE" exec "$0" "$@"'
    )
    sys.stdout.flush()
    result = subprocess.run(
        ["pg_virtualenv", "bash", "-c", inner, sys.executable, *argv], check=False
    )
    raise SystemExit(result.returncode)


def in_process_env(tmp: str, name: str, token: str) -> dict[str, str]:
    """The settings of a perf script that runs Django in its own process (reads.py,
    long_history.py), its files under `tmp`; DATABASE_URL is the caller's."""
    return {
        "SECRET_KEY": f"perf-{name}-" + "x" * 40,
        "API_TOKEN": token,
        "DEBUG": "false",
        "ENV_FILE": os.path.join(tmp, "none.env"),
        "UPLOAD_DIR": os.path.join(tmp, "uploads"),
        "STATIC_MANIFEST": "false",
        "WHITENOISE_USE_FINDERS": "true",
        "STATIC_ROOT": os.path.join(tmp, "static"),
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def django_in_process(env: dict[str, str]) -> Iterator[None]:
    """Django configured in this process on `env` (its STATIC_ROOT made), its database
    connections closed at the end (long_history.py, reads.py)."""
    os.makedirs(env["STATIC_ROOT"], exist_ok=True)
    django_setup(**env)
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()


def on_sqlite(run: Callable, args, name: str, token: str) -> int:
    """run(args) with Django in this process on a SQLite database of its own, <name>.db in
    `args.keep` or in a temporary directory, the API's token `token` (long_history.py,
    big_machine.py, list_pages.py)."""
    tmp = tempfile.TemporaryDirectory(prefix=f"perf-{name}-")
    where = Path(args.keep) if args.keep else Path(tmp.name)
    where.mkdir(parents=True, exist_ok=True)
    env = {
        **in_process_env(tmp.name, name, token),
        "NOTIFY_URLS": "",
        "DATABASE_URL": f"sqlite:///{where}/{name}.db",
    }
    try:
        with django_in_process(env):
            return run(args)
    finally:
        tmp.cleanup()


def django_setup(**env: str) -> None:
    """Configure Django in this process (reads.py, soak.py's final count)."""
    for key, value in env.items():
        os.environ[key] = value
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    import django

    django.setup()
    from benchsite.process import freeze_loaded_objects

    freeze_loaded_objects()  # as each gunicorn worker does (gunicorn.conf.py)


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (gunicorn's
    workers): a figure that other load on the machine does not distort, unlike throughput."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total
