"""What starting costs: Django's setup, manage.py, and a server until it answers, measured.

    .venv/bin/python perf/startup.py [--runs 5] [--workers 2]

Every manage.py command and every gunicorn start pays django.setup() (the settings, every app's
models and admin), and scripts/serve runs five commands before gunicorn; the test suite starts
hundreds of such processes. On a SQLite database of its own (migrated once, in a temp dir), with
the apps' bytecode written first (as any run without PYTHONDONTWRITEBYTECODE leaves it), the
script prints the median over `--runs` of:
- the CPU seconds of `django.setup()` in a fresh interpreter, and which of the costly optional
  imports it made (the redis client, drf-spectacular's schema generator, DRF's compat module
  with psycopg, requests, yaml and markdown);
- the wall (and CPU) seconds of `manage.py check` and of `manage.py migrate --check` (both run
  the system checks, which import the URLconf: every view and DRF), and of `manage.py shell -c
  pass` (no system checks, as collectstatic: setup and little else);
- the wall seconds from starting gunicorn with gunicorn.conf.py (as scripts/serve does, on
  loopback) to the first 200 of /api/health, polled every 10 ms, and the CPU seconds its
  processes used until then;
- the latency of the first POST /api/benchmark (the contract example) and the first GET
  /api/schema/ of that fresh server, then of the second of each: what a lazy import moves to a
  first request shows as the difference.
"""

import argparse
import json
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchsite.livetest import free_port, server_environment, stop
from perf.common import Client, example_document, process_tree_cpu, submission

ROOT = Path(__file__).resolve().parent.parent
APPS = ("benchsite", "inventory", "benchmarks", "documents", "insights")
# imported at setup, they cost the most while a command rarely needs them
WATCHED = ("redis", "drf_spectacular.openapi", "rest_framework.compat", "psycopg", "requests")
SETUP = f"""
import sys, time
start = time.process_time()
import django
django.setup()
print(time.process_time() - start, len(sys.modules), *[m for m in {WATCHED!r} if m in sys.modules])
"""


def environment(workdir: Path, *, port: int = 8007, workers: int = 2) -> dict:
    """The server's environment as benchsite.livetest gives it, on the SQLite file in workdir."""
    env = server_environment(workdir, port=port, workers=workers)
    for name in ("NOTIFY_URLS", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="benchsite.settings",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
    )
    return env


def wall_and_cpu(args: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds of a command, and its CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def setup_cpu(env: dict) -> tuple[float, int, list[str]]:
    done = subprocess.run(  # noqa: S603 (this interpreter)
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    seconds, modules, *watched = done.stdout.split()
    return float(seconds), int(modules), watched


def first_requests(workdir: Path, template: Path, workers: int) -> dict[str, float]:
    """One fresh server: seconds to its first 200, then its first and second requests."""
    run = workdir / f"server-{secrets.token_hex(4)}"
    run.mkdir()
    (run / "static").mkdir()
    shutil.copy(template, run / "db.sqlite3")
    port = free_port()
    env = environment(run, port=port, workers=workers)
    url = f"http://127.0.0.1:{port}"
    figures: dict[str, float] = {}
    with (run / "server.log").open("wb") as log:
        start = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (this interpreter, our gunicorn config)
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            while True:
                if process.poll() is not None or time.perf_counter() - start > 60:
                    raise SystemExit(
                        f"the server did not start:\n{(run / 'server.log').read_text()}"
                    )
                try:
                    with urllib.request.urlopen(f"{url}/api/health", timeout=5) as answer:  # noqa: S310 (loopback)
                        if answer.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.01)
            figures["start"] = time.perf_counter() - start
            figures["start cpu"] = process_tree_cpu(process.pid)
            example = example_document()
            for nth in ("first", "second"):
                for label, method, path, body in (
                    ("benchmark", "POST", "/api/benchmark", submission(example, len(figures))),
                    ("schema", "GET", "/api/schema/", None),
                ):
                    client = Client(url, env["API_TOKEN"])  # a new connection, as a client makes
                    began = time.perf_counter()
                    status, _ = client.request(
                        method, path, json.dumps(body).encode() if body else None
                    )
                    figures[f"{nth} {label}"] = time.perf_counter() - began
                    client.close()
                    if status not in (200, 201):
                        raise SystemExit(f"{method} {path}: {status}")
        finally:
            stop(process, timeout=20)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each measure (median)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        workdir = Path(tmp)
        (workdir / "static").mkdir()
        env = environment(workdir)
        manage = [sys.executable, "manage.py"]
        # the checkout's bytecode, as any run leaves it (scripts/test, scripts/serve): a process
        # that compiles the apps' sources again pays ~0.1 s more (PYTHONDONTWRITEBYTECODE)
        subprocess.run(  # noqa: S603 (this interpreter)
            [sys.executable, "-m", "compileall", "-q", *APPS], cwd=ROOT, env=env, check=True
        )
        subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        setups = [setup_cpu(env) for _ in range(args.runs)]
        _, modules, watched = setups[-1]
        seconds = statistics.median(s[0] for s in setups)
        print(
            f"{'django.setup(), CPU':42} {seconds:7.3f} s   ({modules} modules; of "
            f"{', '.join(WATCHED)}: {', '.join(watched) or 'none'})",
            flush=True,
        )
        for label, command in (
            ("check", ["check"]),
            ("migrate --check", ["migrate", "--check"]),
            ("shell -c pass", ["shell", "-c", "pass"]),
        ):
            times = [wall_and_cpu([*manage, *command], env) for _ in range(args.runs)]
            seconds, cpu = (statistics.median(t[n] for t in times) for n in (0, 1))
            print(
                f"{f'manage.py {label}, wall':42} {seconds:7.3f} s   ({cpu:.3f} s CPU)", flush=True
            )
        runs = [
            first_requests(workdir, workdir / "db.sqlite3", args.workers) for _ in range(args.runs)
        ]
        label = f"gunicorn ({args.workers} workers) to /api/health 200"
        seconds, cpu = (statistics.median(r[key] for r in runs) for key in ("start", "start cpu"))
        print(f"{label:42} {seconds:7.3f} s   ({cpu:.3f} s CPU, master and workers)")
        for key, request in (("benchmark", "POST /api/benchmark"), ("schema", "GET /api/schema/")):
            first, second = (
                1000 * statistics.median(r[f"{n} {key}"] for r in runs) for n in ("first", "second")
            )
            print(f"{f'its first {request}':42} {first:7.1f} ms  (the second: {second:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
