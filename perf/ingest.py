"""Ingestion throughput of the real server against the practical limit on this machine.

    .venv/bin/python perf/ingest.py [--count 2000] [--concurrency 16]
        [--database sqlite|postgres] [--workers 1|2] [--threads N]
        [--worker-class gthread|uvicorn_worker.UvicornWorker] [--matrix] [--no-raw] [--churn]
        [--evaluation-cost [--rounds N]] [--enrolling]

Starts the server as gunicorn.conf.py runs it (benchsite.livetest, loopback, its own database),
POSTs the contract's example submission `--count` times from `--concurrency` keep-alive clients
(fresh submission_id each, hostnames spread over a fleet of 300 machines, each of which has
submitted once before: a fleet's runs from day to day; `--enrolling`: 64 of them have, so that
most machines' first run, which makes its device and joins its peers, is among those measured),
then does the same against
perf/raw_asgi.py (raw sqlite3, same tables, same gunicorn + uvicorn workers): the practical
limit on this machine. Prints submissions/s, p50/p99 and errors for both and the ratio, the p50 of
GET /api/health (the TCP_NODELAY check) and checks that every accepted submission was stored.
`--churn`: every run of a machine swings its CPU score, so that nearly every submission opens or
closes an attention item (perf.common.submission). `--matrix` repeats ours for gthread/uvicorn
× 1/2 workers. `--database postgres` runs ours on
a throwaway PostgreSQL cluster (pg_virtualenv); the raw handler stays on SQLite.
`--evaluation-cost` measures what the attention evaluation after each submission costs, as
issue 14 asks (with it, within 20 % of the throughput without it): the server, then the same
server without the evaluation (perf/without_evaluation.py), in turn for `--rounds` rounds, and
prints the ratio of each round and the median ratio (each round's two runs in turn, the other
one first every other round). Figures: README, "Performance", and docs/PERFORMANCE.md.
"""

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchsite.livetest import live_server
from perf.common import (
    FLEET,
    Run,
    drive,
    example_document,
    get,
    median,
    post_json,
    submission,
    with_postgres,
)

UVICORN = "uvicorn_worker.UvicornWorker"
TARGET_RATIO, TARGET_P99_MS = 0.5, 50  # issue 12
TARGET_EVALUATION_COST = 0.20  # issue 14: the evaluation's share of the throughput
WITHOUT_EVALUATION = "perf.without_evaluation:application"
ENROLLING = 64  # machines that submitted before the measured runs, with --enrolling


def measure(args, label: str, *, worker_class: str, workers: int, app: str | None = None) -> dict:
    example = example_document()
    extra_env = {"GUNICORN_THREADS": str(args.threads)} if args.threads else {}
    with tempfile.TemporaryDirectory(prefix="perf-ingest-") as tmp:
        with live_server(
            Path(tmp), workers=workers, worker_class=worker_class, app=app, extra_env=extra_env
        ) as srv:
            warm = drive(
                "warm-up",
                srv.url,
                srv.token,
                lambda i: post_json(
                    "/api/benchmark", submission(example, 10_000_000 + i, churn=args.churn)
                ),
                count=ENROLLING if args.enrolling else FLEET,  # one run per machine
                concurrency=args.concurrency,
            )
            health1 = drive(
                f"{label}: GET /api/health ×1 client",
                srv.url,
                None,
                lambda i: get("/api/health"),
                count=200,
                concurrency=1,
                server_pid=srv.pid,
            )
            health = drive(
                f"{label}: GET /api/health ×{args.concurrency}",
                srv.url,
                None,
                lambda i: get("/api/health"),
                count=2000,
                concurrency=args.concurrency,
                server_pid=srv.pid,
            )
            run = drive(
                f"{label}: POST /api/benchmark",
                srv.url,
                srv.token,
                lambda i: post_json("/api/benchmark", submission(example, i, churn=args.churn)),
                count=args.count,
                concurrency=args.concurrency,
                server_pid=srv.pid,
            )
            stored = None
            if app in (None, WITHOUT_EVALUATION):  # the raw handler has no /api/stats
                from perf.common import Client

                status, body = Client(srv.url, srv.token).request("GET", "/api/stats")
                stored = json.loads(body)["benchmarks"] if status == 200 else None
                accepted = warm.ok + run.ok
                if stored != accepted:
                    run.errors.append(f"stored {stored} benchmarks for {accepted} accepted")
                    run.statuses[0] += 1
    for r in (health1, health, run):
        print(r.line(), flush=True)
    for error in run.errors + warm.errors:
        print("   ", error)
    return {"run": run, "health": health, "health1": health1}


@contextlib.contextmanager
def sqlite_only():
    saved = os.environ.pop("DATABASE_URL", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--worker-class",
        default=os.environ.get("GUNICORN_WORKER_CLASS", "gthread"),
        help="gunicorn worker class (default gthread, as gunicorn.conf.py; or "
        "uvicorn_worker.UvicornWorker)",
    )
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS for gthread")
    parser.add_argument("--matrix", action="store_true", help="uvicorn/gthread × 1/2 workers")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw ASGI handler")
    parser.add_argument(
        "--churn", action="store_true", help="scores that open or close an item on each run"
    )
    parser.add_argument(
        "--evaluation-cost",
        action="store_true",
        help="the server with and without the attention evaluation, in turn (issue 14)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --evaluation-cost")
    parser.add_argument(
        "--enrolling",
        action="store_true",
        help=f"only {ENROLLING} of the {FLEET} machines submitted before the measured runs",
    )
    args = parser.parse_args()
    if not 0 < args.count <= 100_000 or not 0 < args.concurrency <= 64:
        parser.error("--count must be in 1..100000 and --concurrency in 1..64")
    if not 0 < args.rounds <= 10:
        parser.error("--rounds must be in 1..10")
    if args.database == "postgres":
        with_postgres(sys.argv)
    else:
        os.environ.pop("DATABASE_URL", None)
    database = "PostgreSQL" if args.database == "postgres" else "SQLite WAL"
    print(
        f"{args.count} submissions, {args.concurrency} clients, {database}, {os.cpu_count()} CPUs"
        + (", churn" if args.churn else "")
        + (f", {FLEET - ENROLLING} of {FLEET} machines new" if args.enrolling else ""),
        flush=True,
    )

    if args.evaluation_cost:
        return evaluation_cost(args)
    configs = [(args.worker_class, args.workers)]
    if args.matrix:
        configs = [(wc, w) for wc in ("gthread", UVICORN) for w in (1, 2)]
    ours: dict[tuple[str, int], Run] = {}
    for worker_class, workers in configs:
        short = "uvicorn" if "uvicorn" in worker_class else worker_class
        label = f"ours {short} ×{workers}"
        ours[(worker_class, workers)] = measure(
            args, label, worker_class=worker_class, workers=workers
        )["run"]

    raw = None
    if not args.no_raw:
        with sqlite_only():
            raw = measure(
                args,
                f"raw ASGI ×{args.workers}",
                worker_class=UVICORN,
                workers=args.workers,
                app="perf.raw_asgi:app",
            )["run"]

    main_run = ours[(args.worker_class, args.workers)]
    print()
    if raw is not None and raw.rate:
        ratio = main_run.rate / raw.rate
        print(f"ratio ours/raw: {ratio:.2f} (target ≥ {TARGET_RATIO})")
    if args.matrix:
        for (worker_class, _), run in ours.items():
            if (
                (worker_class, 1) in ours
                and (worker_class, 2) in ours
                and run is ours[(worker_class, 2)]
            ):
                one = ours[(worker_class, 1)].rate
                print(
                    f"{worker_class}: 2 workers / 1 worker = {run.rate / one:.2f}×" if one else ""
                )
    failed = main_run.failed or (raw.failed if raw else 0)
    print(
        f"verdict: {'FAIL' if failed else 'ok'} (errors {main_run.failed}); "
        f"p99 {main_run.pct(99):.0f} ms (target < {TARGET_P99_MS} ms)"
    )
    return 1 if failed else 0


def evaluation_cost(args) -> int:
    """With and without the evaluation, in turn: a round's two runs share the hour's speed."""
    short = "uvicorn" if "uvicorn" in args.worker_class else args.worker_class
    if "uvicorn" in args.worker_class:
        raise SystemExit("--evaluation-cost serves the WSGI application: use gthread")
    ratios, failed = [], 0
    for n in range(1, args.rounds + 1):
        runs = {}
        pair = [("with", None), ("without", WITHOUT_EVALUATION)]
        # in turn, the other one first every other round: what runs second is not always the same
        for label, app in pair if n % 2 else pair[::-1]:
            runs[label] = measure(
                args,
                f"round {n}: {label} evaluation, {short} ×{args.workers}",
                worker_class=args.worker_class,
                workers=args.workers,
                app=app,
            )["run"]
            failed += runs[label].failed
        if runs["without"].rate:
            ratios.append(runs["with"].rate / runs["without"].rate)
            print(
                f"round {n}: with / without = {ratios[-1]:.2f} "
                f"(server CPU {runs['with'].server_ms:.2f} / {runs['without'].server_ms:.2f} ms "
                "per submission)",
                flush=True,
            )
    print()
    if ratios:
        cost = 1 - median(ratios)
        met = "met" if cost <= TARGET_EVALUATION_COST else "NOT met"
        print(
            f"the evaluation costs {100 * cost:.0f} % of the throughput (median of "
            f"{len(ratios)} rounds; target ≤ {100 * TARGET_EVALUATION_COST:.0f} %: {met})"
        )
    print(f"verdict: {'FAIL' if failed else 'ok'} (errors {failed})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
