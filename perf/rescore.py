"""`manage.py rescore` on a long history: what an upgrade or a restore waits for.

    .venv/bin/python perf/rescore.py [--devices 1000] [--runs 10000] [--database sqlite|postgres]
        [--cpu-models 20] [--profile FILE] [--dry-run WEIGHTS]

A fleet written in bulk (perf/reads.py's generator: one snapshot a machine, its runs spread
over it, `--cpu-models` CPU models), its runs recorded as an older scoring version scored them
(every run changes, as after an upgrade), and mixed: one run in 5 from a busy machine (suspect),
one in 7 measuring its network on loopback (left out of its global score), one machine in 10
with a failing disk. Then `rescore` as `migrate` runs it, in a process of its own (the peak of
its memory is its own): wall seconds, runs per second, its CPU seconds (and on PostgreSQL the
server's backend's: figures that other load on the machine inflates less than the wall time),
queries in all and per device, the peak of its resident memory; and a fingerprint of what it
left (every run's scores, validity and time, every device's figures, the attention items and
their notifications), the same from any version that judges alike. `--profile FILE` keeps its
cProfile there. 10,000 runs of 1,000 machines by default; `--devices 10000 --runs 100000` is
README's long history, and with `--cpu-models 300` a fleet of hundreds of models, whose peers
each batch read in 2 queries a model, twice, and locked in a statement a model on PostgreSQL
(2026-12-06, load 6-12): 23,219 queries before, 1,813 after on SQLite (97 s, 30.7 s CPU before;
87 s, 28.7 s after); 26,978 before, 869 after on PostgreSQL (105 s, 31.7 + 31.9 s CPU before;
100 s, 27.8 + 27.7 s after); 153 and 211 MB either way, and the same fingerprint.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perf.common import django_in_process, in_process_env, with_postgres

TOKEN = "perf-rescore-token-0123456789"  # noqa: S105 (a throwaway database)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--cpu-models", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--profile", help="keep rescore's cProfile in this file")
    parser.add_argument(
        "--dry-run", metavar="WEIGHTS", help="time `rescore --weights WEIGHTS --dry-run` instead"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (0 < args.devices <= 100_000 and args.devices <= args.runs <= 1_000_000):
        parser.error("--devices must be in 1..100000, --runs in --devices..1000000")
    if args.child:  # the rescore itself, Django set up on the parent's environment
        return child(args.profile, args.dry_run)
    if args.database == "postgres":
        with_postgres(sys.argv)
    tmp = tempfile.TemporaryDirectory(prefix="perf-rescore-")
    env = in_process_env(tmp.name, "rescore", TOKEN)
    # notifications stored for two receivers (the sender, not started here, sends none)
    env["NOTIFY_URLS"] = "json://127.0.0.1:8779/a,json://127.0.0.1:8779/b"
    env["DATABASE_URL"] = (
        f"sqlite:///{tmp.name}/rescore.db"
        if args.database == "sqlite"
        else os.environ["DATABASE_URL"]
    )
    try:
        with django_in_process(env):
            fleet(args.devices, args.runs, args.cpu_models)
        command = [sys.executable, __file__, "--child", f"--devices={args.devices}"]
        command += [f"--runs={args.runs}", *(["--profile", args.profile] if args.profile else [])]
        command += [f"--dry-run={args.dry_run}"] if args.dry_run else []
        done = subprocess.run(
            command, env={**os.environ, **env}, capture_output=True, text=True, check=False
        )
        sys.stderr.write(done.stderr)
        if done.returncode:
            sys.stdout.write(done.stdout)
            return done.returncode
        figures = json.loads(done.stdout.splitlines()[-1])
    finally:
        tmp.cleanup()
    seconds, queries = figures["seconds"], figures["queries"]
    print(figures["said"])
    print(
        f"{'dry run' if args.dry_run else 'rescore'} of {args.runs:,} runs, "
        f"{args.devices:,} devices of {args.cpu_models:,} CPU "
        f"model(s) ({figures['vendor']}): "
        f"{seconds:.1f} s, {args.runs / seconds:,.0f} runs/s; {queries:,} queries "
        f"({queries / args.devices:.1f} a device); peak memory {figures['peak_mb']:.0f} MB"
    )
    server = (
        f" + {figures['server_cpu']:.1f} s the PostgreSQL server's" if figures["server_cpu"] else ""
    )
    print(f"CPU: {figures['cpu']:.1f} s in rescore's process{server} (other load aside)")
    print(f"what it left: {figures['fingerprint']}")
    return 0


def fleet(devices: int, runs: int, cpu_models: int) -> None:
    from django.core.management import call_command
    from django.db.models import F, Value
    from django.db.models.functions import Mod

    from benchmarks.models import Benchmark
    from inventory.columns import disk_readings
    from inventory.models import HardwareSnapshot
    from perf.reads import generate, storage

    call_command("migrate", verbosity=0)
    generate(devices, runs, cpu_models)
    runs_ = Benchmark.objects.annotate(n=Mod("id", 35))
    # an older version's scoring and dates, as an upgrade finds them: every run changes
    Benchmark.objects.update(scoring_version="0", received_at=F("run_at"))
    loopback = {"score": 2100.0, "target": "127.0.0.1", "method": "iperf3-tcp-1stream-v1"}
    mixes = {  # n = id mod 35: 1 in 5 busy, 1 in 7 on loopback, 1 in 35 both
        (0,): {"cpu": {"score": 1}, "network": loopback, "conditions": {"cpu_busy_percent": 80}},
        (5, 10, 15, 20, 25, 30): {"cpu": {"score": 1}, "conditions": {"cpu_busy_percent": 80}},
        (7, 14, 21, 28): {"cpu": {"score": 1}, "network": loopback},
    }
    for remainders, results in mixes.items():
        runs_.filter(n__in=remainders).update(results=Value(results, Benchmark.results.field))
    failing = storage(0)
    failing["devices"][1].update(smart_health="FAILED", reallocated_sectors=40)
    HardwareSnapshot.objects.annotate(n=Mod("device_id", 10)).filter(n=3).update(
        storage=failing, disk_readings=disk_readings(failing)
    )


def child(profile: str | None, weights: str | None) -> int:
    import io
    import resource

    from perf.common import django_setup, process_tree_cpu

    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from insights import notify

    notify.sender.wake = lambda: None  # stored, not sent
    count = [0]

    def counted(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    out = io.StringIO()
    trial = ["--dry-run", f"--weights={weights}"] if weights else []
    connection.ensure_connection()
    server = _server_pid(connection)  # PostgreSQL's backend: the database's own CPU time
    server_cpu, cpu = process_tree_cpu(server) if server else 0.0, time.process_time()
    with connection.execute_wrapper(counted):
        started = time.perf_counter()
        if profile:
            import cProfile

            cProfile.runctx(
                "call_command('rescore', *trial, stdout=out)",
                globals(),
                {**locals(), "out": out},
                profile,
            )
        else:
            call_command("rescore", *trial, stdout=out)
        seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    server_cpu = process_tree_cpu(server) - server_cpu if server else 0.0
    lines = out.getvalue().splitlines()
    # a dry run's whole answer but its progress; a rescore's last lines
    said = [line for line in lines if not line.endswith(" examined")] if weights else []
    said += [line for line in lines if line.startswith("Rescored")]
    figures = {
        "seconds": seconds,
        "cpu": cpu,
        "server_cpu": server_cpu,
        "queries": count[0],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "vendor": connection.vendor,
        "said": "\n".join(said),
        "fingerprint": fingerprint(),
    }
    print(json.dumps(figures))
    return 0


def _server_pid(connection) -> int:
    """The PostgreSQL backend serving this connection (0 on SQLite, which runs in-process)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def fingerprint() -> str:
    """A digest of what a rescore leaves: equal digests, equal outcomes (the times it wrote
    aside: when items opened and closed, which notifications' bodies say)."""
    from django.db.models import BooleanField, ExpressionWrapper, Q

    from benchmarks.models import Benchmark
    from insights.models import AttentionItem, Notification
    from inventory.models import Device, HardwareSnapshot

    digest = hashlib.sha256()
    rows = (
        Benchmark.objects.order_by("pk").values_list(
            "pk", "run_at", "global_score", "validity", "validity_reasons", "excluded_categories"
        ),
        Device.objects.order_by("pk").values_list(
            "pk",
            "latest_snapshot_id",
            "last_benchmark_at",
            "latest_validity",
            "ranking_run_at",
            "ranking_run_valid",
            "global_score",
            "ranking_methods_key",
            "ranking_excluded",
        ),
        HardwareSnapshot.objects.order_by("pk").values_list("pk", "captured_at"),
        AttentionItem.objects.annotate(
            open=ExpressionWrapper(Q(closed_at__isnull=True), output_field=BooleanField())
        )
        .order_by("device_id", "kind", "category", "disk", "open")
        .values_list("device_id", "kind", "category", "disk", "message", "severity", "open"),
        Notification.objects.order_by(
            "item__device_id", "item__kind", "target", "title"
        ).values_list(
            "item__device_id", "item__kind", "item__disk", "target_label", "type", "title"
        ),
    )
    counts = []
    for query in rows:
        n = 0
        for row in query.iterator(chunk_size=5000):
            digest.update(repr(row).encode())
            n += 1
        counts.append(n)
    return (
        f"{digest.hexdigest()[:16]} ({counts[0]:,} runs, {counts[1]:,} devices, "
        f"{counts[3]:,} items, {counts[4]:,} notifications)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
