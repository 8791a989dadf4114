"""Repeatability of bench.sh: five back-to-back `--short` runs, per-category CV across runs.

    python perf/repeatability.py [--runs 5] [--full] [-- extra bench.sh options]

Each run is `bench.sh --short --dry-run --skip-network --skip-gpu` (or a full run with --full),
as a user would start it (waiting for an idle machine included). Printed: every run's category
scores, wall time and the bench.sh-reported conditions; then per category the scores' mean and
coefficient of variation across the runs (sample standard deviation / mean) against the targets
of issue 13 (CPU <= 2 %, memory <= 3 %, disk <= 5 %; a --short run <= 60 s, a full run <= 180 s).
"""

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "client" / "bench.sh"
CATEGORIES = ("cpu", "memory", "disk")
TARGET_CV = {"cpu": 2.0, "memory": 3.0, "disk": 5.0}


def cv_pct(values: list[float]) -> float:
    return statistics.stdev(values) / statistics.mean(values) * 100 if len(values) > 1 else math.nan


def one_run(full: bool, extra: list[str]) -> tuple[dict, float]:
    args = ["bash", str(SCRIPT), "--dry-run", "--skip-network", "--skip-gpu", *extra]
    if not full:
        args.append("--short")
    with tempfile.TemporaryDirectory(prefix="repeatability-", dir="/var/tmp") as tmp:
        started = time.monotonic()
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            env={"TMPDIR": tmp, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
        seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"bench.sh failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout), seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="full runs instead of --short")
    parser.add_argument("extra", nargs="*", help="more bench.sh options (after --)")
    opts = parser.parse_args()
    limit = 180 if opts.full else 60
    scores: dict[str, list[float]] = {c: [] for c in CATEGORIES}
    times = []
    print(
        f"{opts.runs} x bench.sh {'(full)' if opts.full else '--short'} --skip-network --skip-gpu"
    )
    print("run  " + "  ".join(f"{c:>16}" for c in CATEGORIES) + "   time s  busy%  wait s  load")
    for n in range(1, opts.runs + 1):
        doc, seconds = one_run(opts.full, opts.extra)
        results, cond = doc["results"], doc["results"]["conditions"] or {}
        cells = []
        for c in CATEGORIES:
            r = results.get(c) or {}
            if r.get("score") is not None:
                scores[c].append(r["score"])
            cells.append(
                f"{r.get('score', '-'):>7} "
                f"({len(r.get('samples') or [])}x {r.get('cv_pct') or 0:4.1f}%)"
            )
        times.append(seconds)
        print(
            f"{n:>3}  "
            + "  ".join(f"{x:>16}" for x in cells)
            + f"   {seconds:6.1f}  {cond.get('cpu_busy_percent', '-'):>5}"
            + f"  {cond.get('idle_wait_s', '-'):>6}"
            + f"  {cond.get('load_avg_1m', '-')}",
            flush=True,
        )
    print()
    print("category  mean      min       max       CV across runs  target")
    for c in CATEGORIES:
        v = scores[c]
        if not v:
            continue
        cv = cv_pct(v)
        # one run has no spread across runs: neither within the target nor over it
        spread = "   n/a  " if math.isnan(cv) else f"{cv:6.2f} %"
        verdict = "(one run)" if math.isnan(cv) else "ok" if cv <= TARGET_CV[c] else "OVER"
        print(
            f"{c:<9} {statistics.mean(v):<9.1f} {min(v):<9.1f} {max(v):<9.1f} {spread}"
            f"         <= {TARGET_CV[c]} % {verdict}"
        )
    verdict = "ok" if max(times) <= limit else "OVER"
    print(
        f"run time  mean {statistics.mean(times):.1f} s, max {max(times):.1f} s"
        f" (<= {limit} s {verdict})"
    )


if __name__ == "__main__":
    main()
