"""pytest plugin (loaded with `-p benchsite.testing` before Django starts): test environment.

The suite runs the production settings (DEBUG off); it only supplies the secrets that a real
install keeps in .env, and keeps uploads, backups and the cache in a throwaway directory.
DATABASE_URL is left to the caller, so the same suite runs on SQLite (default) and on PostgreSQL.
"""

import atexit
import os
import re
import shutil
import tempfile

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

TEST_API_TOKEN = "test-fleet-token-0123456789"  # noqa: S105 (tests only)

_scratch = tempfile.mkdtemp(prefix="benchtools-test-")
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
# A pytest-xdist worker inherits the environment this module gave the controlling process: the
# settings that point into the controller's scratch directory are taken back, so each worker
# keeps its own uploads, backups and cache (a cleared cache must not clear another worker's).
_inherited = os.environ.get("BENCHTOOLS_TEST_SCRATCH")
if _inherited:
    for _name, _value in list(os.environ.items()):
        if _inherited in _value:
            del os.environ[_name]
os.environ["BENCHTOOLS_TEST_SCRATCH"] = _scratch
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ["API_TOKEN"] = TEST_API_TOKEN
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ENV_FILE", os.path.join(_scratch, "no.env"))
os.environ.setdefault("UPLOAD_DIR", os.path.join(_scratch, "uploads"))
# bench.sh runs one live run at a time on a machine (/run/bench.sh.lock as root): each worker's
# runs wait for that worker's only, as they did before the lock
os.environ["BENCH_LOCK_FILE"] = os.path.join(_scratch, "bench.sh.lock")
# bench.sh's network tests run iperf3 against a server on this machine, which ran flat out on
# both cores for each second of the test: capped at 200 Mbit/s (bench.sh reads it in its tests
# only), they measure as before and leave the cores to the other workers
os.environ.setdefault("BENCH_TEST_IPERF_BITRATE", "200M")
os.environ.setdefault("BACKUP_DIR", os.path.join(_scratch, "backups"))
os.environ.setdefault("DATABASE_URL", "sqlite:///" + os.path.join(_scratch, "test.db"))
os.environ.setdefault("WHITENOISE_USE_FINDERS", "true")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("STATIC_ROOT", os.path.join(_scratch, "static"))
os.environ.setdefault("CACHE_URL", "filecache://" + os.path.join(_scratch, "cache"))
os.makedirs(os.environ["STATIC_ROOT"], exist_ok=True)

# A test that starts a server or runs the real benchmarks takes seconds; most take milliseconds.
HEAVY_MARKS = ("live", "slow")
HEAVY_WEIGHT = 25
# Files with neither mark whose tests take seconds all the same (a database moved with dumpdata
# and loaddata, migrations run back and forth, documents of megabytes): weighed as live ones.
# Counted as any, test_backup_move_to_postgres.py and test_submission_hostile_input.py were
# handed out last in the PostgreSQL pass, and one worker ran them alone for a long while.
HEAVY_FILES = (
    "benchsite/tests/test_backup_move_to_postgres.py",
    "benchmarks/tests/test_submission_hostile_input.py",
    "benchmarks/tests/test_migrations.py",
    "inventory/tests/test_migrations.py",
    "insights/tests/test_peer_group.py",
    # fleets of runs rescored, a device's years of history: seconds a test on PostgreSQL
    "benchsite/tests/test_admin_rescore.py",
    "benchsite/tests/test_device_years.py",
    "benchsite/tests/test_devices_delete_selected.py",
    "benchsite/tests/test_big_machine.py",
    # a year of 312 runs posted to the API (14 s on PostgreSQL), and threads racing on
    # PostgreSQL's locks: one test or a few, handed out last, ran alone at the pass's end
    "benchsite/tests/test_dying_disk_story.py",
    "insights/tests/test_judgment_races.py",
)


def pytest_collection_modifyitems(config, items):
    """Test files heaviest first, for pytest-xdist's `--dist loadfile --no-loadscope-reorder`
    (scripts/test): a worker takes a whole file, and files handed out in this order leave no
    worker alone at the end with a 30-second file while the others are idle. A file's weight is
    its number of tests, a test marked live or slow or in HEAVY_FILES counting HEAVY_WEIGHT.
    The order of the tests within a file is kept."""

    def file_of(item) -> str:
        return item.nodeid.split("::", 1)[0]

    weight: dict[str, int] = {}
    for item in items:
        heavy = file_of(item) in HEAVY_FILES or any(
            item.get_closest_marker(name) for name in HEAVY_MARKS
        )
        weight[file_of(item)] = weight.get(file_of(item), 0) + (HEAVY_WEIGHT if heavy else 1)
    items.sort(key=lambda item: -weight[file_of(item)])  # stable: a file's order is kept


class OneRoundPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 with one iteration: a test account's password is hashed in ~0.1 ms
    instead of ~0.3 s (Django's 1,000,000 iterations), in the ~400 tests that make one. The
    hash is Django's own format with its iteration count written in it, so a server started
    from a test (gunicorn, with the settings of an install) checks it as it checks any."""

    iterations = 1


def _static_files_listed_once() -> None:
    """WhiteNoise's middleware lists every static file through Django's finders when it is made
    (WHITENOISE_USE_FINDERS, as above), and a test client makes its own middleware: ~0.1 s of
    CPU for each of the ~2,000 clients of a pass, a third of an API test's time. The list is
    made once per process and given to each middleware: the same files, answered alike (the
    finders themselves are cached by Django for the process)."""
    from whitenoise.middleware import WhiteNoiseMiddleware

    list_files = WhiteNoiseMiddleware.add_files_from_finders
    listed: dict[tuple, dict] = {}

    def add_files_from_finders(self) -> None:
        # what each file's answer is made with
        key = (
            self.static_prefix,
            self.max_age,
            self.allow_all_origins,
            self.charset,
            self.add_headers_function,
            self.index_file,
        )
        if key not in listed:
            before = dict(self.files)
            list_files(self)
            listed[key] = {u: f for u, f in self.files.items() if before.get(u) is not f}
        self.files.update(listed[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders


def pytest_configure(config):
    from django.conf import settings

    # first: the one new passwords are hashed with; Django's own after it, unchanged
    settings.PASSWORD_HASHERS = [
        "benchsite.testing.OneRoundPBKDF2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    _static_files_listed_once()


# What a test skips for want of a tool or a package: Chromium, Playwright, moto, redis-server,
# shellcheck, iperf3, util-linux's setpriv, mawk, dmidecode.
MISSING_TOOL = re.compile(r"not installed|could not import|is needed|needs iperf3")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With REQUIRE_TEST_TOOLS set (scripts/test, as root, once it installed them all), a test
    skipped for want of a tool fails: a package that did not install would otherwise leave
    the browser or the object-storage tests skipped in a green run. The database's own skips
    (a PostgreSQL-only test in the SQLite pass) stay skips."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and os.environ.get("REQUIRE_TEST_TOOLS")):
        return
    if hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    if MISSING_TOOL.search(reason):
        report.outcome = "failed"
        report.longrepr = (
            f"{reason}: scripts/test installs what the suite needs (REQUIRE_TEST_TOOLS is set), "
            "so this test may not be skipped"
        )
