"""scripts/test installs every tool the suite uses, then sets REQUIRE_TEST_TOOLS: a test that
skips for want of one (Chromium, moto, redis-server, shellcheck…) fails there instead of
leaving a green run that never drove the browser (benchsite.testing)."""

import os
import subprocess
import sys
from pathlib import Path

from .markers import engine_independent

ROOT = Path(__file__).resolve().parents[2]

pytestmark = engine_independent

TESTS = """
import pytest

def test_wants_a_tool():
    pytest.skip("frobnicator is not installed (scripts/test installs it)")

def test_wants_a_module():
    pytest.importorskip("a_module_nobody_ships")

def test_wants_the_other_database():
    pytest.skip("concurrent writers: the suite's PostgreSQL run")
"""


def run(tmp_path, **env) -> str:
    path = tmp_path / "test_wanting.py"
    path.write_text(TESTS)
    environment = {k: v for k, v in os.environ.items() if k != "REQUIRE_TEST_TOOLS"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(ROOT),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            "-rfs",
            str(path),
        ],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.stdout + proc.stderr


def test_a_test_wanting_a_tool_fails_where_scripts_test_installed_them(tmp_path):
    said = run(tmp_path, REQUIRE_TEST_TOOLS="1")
    assert "2 failed, 1 skipped" in said, said
    assert "frobnicator is not installed" in said
    assert "so this test may not be skipped" in said


def test_elsewhere_it_is_skipped(tmp_path):
    said = run(tmp_path)
    assert "3 skipped" in said, said
