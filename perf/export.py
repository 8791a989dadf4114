"""Export and backup of a large history: rows/s and peak memory of `manage.py export`, backup time.

    .venv/bin/python perf/export.py [--benchmarks 100000] [--devices 1000] [--keep DIR]
                                    [--what devices] [--repeat 3]

Builds a throwaway SQLite database (its own temp directory; nothing else is touched) holding
`--devices` devices and `--benchmarks` benchmarks, each with the hardware snapshot its run
recorded (the contract example's hardware, so rows are realistic in size), written with
bulk_create, each device pointing at its latest snapshot (the devices export's hardware columns
read it). Then runs, each in a child process as an operator would:
    manage.py export --format json|csv --what benchmarks|snapshots|devices --output FILE
    manage.py backup, and manage.py restore --noinput of that archive into a fresh database
and prints wall time, rows/s, output size and the child's peak RSS (ru_maxrss from wait4).
Flat memory shows as the same peak RSS for 1 000 devices and for 100 000 benchmarks. Prints
figures only; asserts nothing.
"""

import argparse
import copy
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXAMPLE = ROOT.parent / "shared" / "contract" / "submission.example.json"
EXAMPLE_FALLBACK = ROOT / "benchmarks" / "tests" / "submission.example.json"
BATCH = 2000


def child_env(workdir: Path, database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ENV_FILE": str(workdir / "none.env"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_TOKEN": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{database}",
        "UPLOAD_DIR": str(workdir / "uploads"),
        "BACKUP_DIR": str(workdir / "backups"),
        "STATIC_MANIFEST": "false",
        "LOG_LEVEL": "WARNING",
    }


def run(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time (s) and peak RSS (MiB) of `manage.py args` in a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = child.stderr.read().decode()
    child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{stderr}")
    return elapsed, usage.ru_maxrss // 1024


def generate(benchmarks: int, devices: int) -> None:
    from django.db import transaction

    from benchmarks.models import Benchmark
    from benchmarks.scoring import DEFAULT_WEIGHTS, global_score
    from inventory.models import Device, HardwareSnapshot, Tag
    from inventory.services import devices_latest_snapshot_refresh

    example = json.loads((EXAMPLE if EXAMPLE.is_file() else EXAMPLE_FALLBACK).read_text())
    hardware, results = example["hardware"], example["results"]
    rng = random.Random(7)
    tags = [Tag.objects.create(name=name) for name in ("rack-1", "rack-2", "lab", "proxmox")]
    fleet = Device.objects.bulk_create(
        Device(hostname=f"node-{i:05d}", location=f"rack-{i % 5}", machine_id=f"{i:032x}")
        for i in range(devices)
    )
    Device.tags.through.objects.bulk_create(
        Device.tags.through(device_id=d.pk, tag_id=tags[d.pk % 4].pk) for d in fleet
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for offset in range(0, benchmarks, BATCH):
        count = min(BATCH, benchmarks - offset)
        with transaction.atomic():
            runs = [
                (fleet[(offset + i) % devices], start + timedelta(minutes=offset + i))
                for i in range(count)
            ]
            snapshots = HardwareSnapshot.objects.bulk_create(
                HardwareSnapshot(
                    device=device,
                    captured_at=at,
                    bench_script_version="1.0.0",
                    cpu_vendor=hardware["cpu"]["vendor"],
                    cpu_model=hardware["cpu"]["model"],
                    cpu_cores=hardware["cpu"]["cores"],
                    cpu_threads=hardware["cpu"]["threads"],
                    cpu_flags=hardware["cpu"]["flags"],
                    ram_total_mb=hardware["ram"]["total_mb"],
                    ram_layout=hardware["ram"]["layout"],
                    storage=hardware["storage"],
                    network=hardware["network"],
                    os_name=hardware["os"]["name"],
                    kernel_version=hardware["os"]["kernel_version"],
                    raw=hardware,
                )
                for device, at in runs
            )
            rows = []
            for (device, at), snapshot in zip(runs, snapshots, strict=True):
                scores = {
                    name: round(rng.uniform(20, 200), 1)
                    for name in ("cpu", "memory", "disk", "network")
                }
                document = copy.deepcopy(results)
                for name, score in scores.items():
                    document[name]["score"] = score
                rows.append(
                    Benchmark(
                        device=device,
                        snapshot=snapshot,
                        run_at=at,
                        bench_script_version="1.0.0",
                        **{f"{name}_score": score for name, score in scores.items()},
                        global_score=global_score(scores, DEFAULT_WEIGHTS),
                        results=document,
                        weights=dict(DEFAULT_WEIGHTS),
                        submission_id=uuid.UUID(int=rng.getrandbits(128)),
                        submitted_by="API_TOKEN",
                    )
                )
            Benchmark.objects.bulk_create(rows)
        print(f"\r  generated {offset + count}/{benchmarks}", end="", flush=True)
    print()
    devices_latest_snapshot_refresh(device_ids=[device.pk for device in fleet])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmarks", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="Work in this directory and keep it.")
    parser.add_argument(
        "--what",
        choices=("devices", "benchmarks", "snapshots"),
        action="append",
        help="Export only this (repeatable); default: all three, then a backup and a restore.",
    )
    parser.add_argument("--repeat", type=int, default=1, help="Run each export this many times.")
    args = parser.parse_args()

    workdir = Path(args.keep or tempfile.mkdtemp(prefix="benchtools-perf-export-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "data.db"
    env = child_env(workdir, database)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchsite.settings"
    try:
        run(["migrate", "--noinput", "-v", "0"], env)
        # a child's fixed cost (interpreter, Django, checks), to separate it from the export
        # (the fastest of three: the first pays for cold caches)
        startup, baseline_rss = min(
            run(["export", "--format", "json", "--what", "devices"], env) for _ in range(3)
        )
        import django

        django.setup()
        print(f"Generating {args.devices} devices, {args.benchmarks} benchmarks + snapshots …")
        started = time.perf_counter()
        generate(args.benchmarks, args.devices)
        from django.db import connection

        with connection.cursor() as cursor:  # fold the write-ahead log into the database file
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"  in {time.perf_counter() - started:.0f} s; database {size(database)}")

        print(
            f"\nA child process exporting nothing: {startup:.1f} s, peak RSS {baseline_rss} MiB "
            f"(rows/s below leave this start-up out)."
        )
        print(f"{'export':<20}{'rows':>9}{'wall s':>8}{'rows/s':>9}{'output':>11}{'peak RSS':>10}")
        counts = {"devices": args.devices, "benchmarks": args.benchmarks}
        for what in args.what or ("devices", "benchmarks", "snapshots"):
            rows = counts.get(what, args.benchmarks)
            for fmt in ("json", "csv") * args.repeat:
                output = workdir / f"{what}.{fmt}"
                elapsed, rss = run(
                    ["export", "--format", fmt, "--what", what, "--output", str(output)], env
                )
                rate = f"{rows / (elapsed - startup):.0f}" if elapsed > startup + 0.5 else "-"
                print(
                    f"{fmt + ' ' + what:<20}{rows:>9}{elapsed:>8.1f}{rate:>9}"
                    f"{size(output):>11}{rss:>6} MiB"
                )
                output.unlink()
        if args.what:
            return

        elapsed, rss = run(["backup"], env)
        (archive,) = (workdir / "backups").glob("benchtools-*.tar.gz")
        print(
            f"\nbackup: {elapsed:.1f} s, peak RSS {rss} MiB, database {size(database)} "
            f"→ archive {size(archive)}"
        )
        restored = {**env, "DATABASE_URL": f"sqlite:///{workdir / 'restored.db'}"}
        restored["UPLOAD_DIR"] = str(workdir / "restored-uploads")
        elapsed, rss = run(["restore", "--noinput", str(archive)], restored)
        print(f"restore into a fresh database: {elapsed:.1f} s, peak RSS {rss} MiB")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def size(path: Path) -> str:
    """Its size; a SQLite database's counts its write-ahead log (not yet checkpointed) too."""
    total = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        total += wal.stat().st_size
    return f"{total / 1e6:.1f} MB"


if __name__ == "__main__":
    main()
