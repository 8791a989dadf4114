"""Real machines' outputs replayed through bench.sh --from-dir: the parsers against the fleet.

Each directory under corpus/ is one real machine: the raw outputs a public source published for it
(util-linux's and ansible's test fixtures, hardware-probe dumps, smartmontools reports...), saved
under the capture-bundle names of CONTRACT.md, and a `case.json` that says where each file came
from and what bench.sh must make of it. The expected values were written by reading the outputs,
never by running the parser; `why` says how each non-obvious one was worked out.

case.json:
    {
      "machine": {"description": str, "arch": str|null, "cpu_vendor": str|null,
                  "virtual": bool|null, "locale": str},
      "sources": [{"file": str, "repo": str, "path": str, "commit": str, "note": str?}, ...],
                  (or {"file", "url", "note"}: an output published on a page, not in a repo)
      "expect": {... a partial submission: every key given must be equal ...},
      "why": {"hardware.cpu.cores": "...", ...}
    }
"""

import functools
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .benchrun import run_bench
from .contract import validate_submission

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.json").is_file())

ARCHITECTURES = {
    "x86_64",
    "i686",
    "aarch64",
    "armv7l",
    "armv6l",
    "ppc64le",
    "ppc64",
    "s390x",
    "riscv64",
    "loongarch64",
    "ia64",
    "sparc64",
    "mips64",
}


def load_case(case: str) -> dict:
    return json.loads((CORPUS / case / "case.json").read_text())


def _replay_one(case: str) -> tuple[str, dict]:
    proc = run_bench(
        "--from-dir", str(CORPUS / case), "--dry-run", env={**os.environ, "LC_ALL": "C"}
    )
    assert proc.returncode == 0, f"{case}: exit {proc.returncode}\n{proc.stderr}"
    return case, json.loads(proc.stdout)


@functools.cache
def replays() -> dict[str, dict]:
    """Every case replayed once per session, as many at a time as there are cores."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(pool.map(_replay_one, CASES))


def mismatches(actual, expected, path="") -> list[str]:
    """Where actual differs from the partial expected document (floats to 1e-9)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {actual!r} is not an object"]
        found = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{path}.{key}: missing")
            else:
                found.extend(mismatches(actual[key], value, f"{path}.{key}"))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: {actual!r} != {expected!r}"]
        return [
            m
            for i, (a, e) in enumerate(zip(actual, expected, strict=True))
            for m in mismatches(a, e, f"{path}[{i}]")
        ]
    if isinstance(expected, float):
        ok = (
            isinstance(actual, (int, float))
            and not isinstance(actual, bool)
            and abs(actual - expected) <= 1e-9
        )
        return [] if ok else [f"{path}: {actual!r} != {expected!r}"]
    if actual != expected or type(actual) is not type(expected):
        return [f"{path}: {actual!r} != {expected!r}"]
    return []


@pytest.mark.parametrize("case", CASES)
def test_corpus_machine(case):
    spec = load_case(case)
    doc = replays()[case]
    assert validate_submission(doc) == []
    assert mismatches(doc, spec["expect"]) == []


@pytest.mark.parametrize("case", CASES)
def test_corpus_case_is_sourced(case):
    """Every file of a case is a published output whose origin is written down, and nothing else."""
    spec = load_case(case)
    files = {
        str(p.relative_to(CORPUS / case))
        for p in (CORPUS / case).rglob("*")
        if p.is_file() and p.name != "case.json"
    }
    sourced = {s["file"] for s in spec["sources"]}
    assert files == sourced
    for source in spec["sources"]:
        # a repository file at a commit, or (an issue thread, a forum post) the page's address
        if "url" in source:
            assert source["url"].startswith("https://"), source
        else:
            assert source["repo"] and source["path"] and len(source["commit"]) == 40, source
    machine = spec["machine"]
    assert machine["description"] and machine["locale"]
    # null where the published output does not tell (a benchmark tool's report alone, say)
    assert machine["arch"] is None or machine["arch"] in ARCHITECTURES
    assert machine["virtual"] is None or isinstance(machine["virtual"], bool)
    assert spec["expect"], "a case checks something"


def test_the_corpus_covers_the_fleet():
    """At least 30 machines: Intel and AMD x86, ARM, POWER, IBM Z and RISC-V; physical and
    virtual; English and other locales."""
    machines = [m for m in (load_case(case)["machine"] for case in CASES) if m["arch"]]
    assert len(machines) >= 30
    arches = {m["arch"] for m in machines}
    assert {"x86_64", "aarch64", "ppc64le", "s390x", "riscv64"} <= arches
    x86_vendors = {m["cpu_vendor"] for m in machines if m["arch"] in ("x86_64", "i686")}
    assert {"Intel", "AMD"} <= x86_vendors
    assert {True, False} <= {m["virtual"] for m in machines}  # null: the output does not tell
    assert any(not m["locale"].startswith(("C", "en")) for m in machines)
