"""CSV import of a spreadsheet-sized fleet: wall time of `manage.py import_devices`.

    .venv/bin/python perf/import_devices.py [--rows 10000] [--keep DIR]

In a throwaway SQLite database (its own temp directory; nothing else is touched), each step in
a child process as an operator would run it:
  1. import --rows new devices (hostname, fqdn, description, asset_tag, location, owner and
     two tags out of a few dozen),
  2. import the same file with every location, owner and tag set changed (all updates),
  3. export the devices as CSV and import that file back (nothing changes),
  4. a --dry-run of step 2's file against the updated fleet (no change: every row read, compared).
Prints wall time, rows/s and the child's peak RSS. Prints figures only; asserts nothing.
"""

import argparse
import csv
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import child_env, run  # noqa: E402 (this directory, after the path)


def write_csv(path: Path, rows: int, *, version: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["hostname", "fqdn", "description", "asset_tag", "location", "owner", "tags"]
        )
        for i in range(rows):
            writer.writerow(
                [
                    f"node-{i:05d}",
                    f"node-{i:05d}.lab.lan",
                    f"Desk machine {i}, bought in batch {i % 40}",
                    f"A-{i:06d}",
                    f"room-{(i + version) % 25}",
                    f"team-{(i + version) % 12}",
                    f"batch-{(i + version) % 40};floor-{(i + version) % 4}",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="benchtools-perf-import-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        env = child_env(workdir, workdir / "perf.db")
        os.environ.update(env)
        run(["migrate", "--noinput", "-v", "0"], env)
        first, second = workdir / "first.csv", workdir / "second.csv"
        write_csv(first, args.rows, version=0)
        write_csv(second, args.rows, version=1)
        exported = workdir / "exported.csv"
        steps = (
            ("create", ["import_devices", str(first)]),
            ("update all", ["import_devices", str(second)]),
            (
                "export",
                ["export", "--what", "devices", "--format", "csv", "--output", str(exported)],
            ),
            ("re-import export", ["import_devices", str(exported)]),
            ("dry run", ["import_devices", "--dry-run", str(second)]),
        )
        print(f"{args.rows:,} rows, SQLite")
        for name, command in steps:
            elapsed, rss = run(command, env)
            print(
                f"  {name:<17} {elapsed:6.2f} s  {args.rows / elapsed:8,.0f} rows/s  peak {rss} MiB"
            )
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
