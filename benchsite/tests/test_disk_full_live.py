"""A server whose SQLite database's disk fills up, on a real small disk (a tmpfs, mounted by
root): /api/health says so, a submission is refused saying so, and both recover once space is
freed."""

import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest

from benchsite.livetest import live_server
from benchsite.tests.markers import engine_independent

pytestmark = [pytest.mark.live, engine_independent]


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"needs to mount a tmpfs (root): {mounted.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def health(server) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{server.url}/api/health", timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def submitted(server, document) -> tuple[int, dict]:
    try:
        return server.submit(document)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_full_database_disk_is_said_by_health_and_by_a_submission(small_disk, example_document):
    """Its disk full, the server answered each submission "The database is unavailable" and
    /api/health "ok" (failure-injection audit)."""
    with live_server(small_disk, workers=1) as server:
        assert health(server)[0] == 200
        filler = small_disk / "filler"
        free = os.statvfs(small_disk)
        with filler.open("wb") as handle:
            os.posix_fallocate(handle.fileno(), 0, free.f_bavail * free.f_frsize)

        status, answer = health(server)
        assert (status, answer["status"], answer["database"]) == (503, "error", "disk full")
        status, answer = submitted(server, example_document)
        assert status == 503
        assert answer["detail"].startswith("The server's disk is full: nothing was stored.")

        filler.unlink()
        assert health(server)[0] == 200
        assert submitted(server, example_document)[0] == 201


def test_a_restore_onto_a_full_disk_says_the_database_was_not_changed(
    small_disk, tmp_path, example_document
):
    """It said "Restoring the SQLite database failed: database or disk is full", which left
    whoever read it to find out whether the database was still whole (failure-injection
    audit)."""
    backups = tmp_path / "backups"  # the archive and its unpacking where there is room
    with live_server(small_disk, workers=1, extra_env={"BACKUP_DIR": str(backups)}) as server:
        assert submitted(server, example_document)[0] == 201
        assert server.manage("backup").returncode == 0
        [archive] = backups.glob("benchtools-*.tar.gz")
        free = os.statvfs(small_disk)
        with (small_disk / "filler").open("wb") as handle:
            os.posix_fallocate(handle.fileno(), 0, free.f_bavail * free.f_frsize)

        refused = server.manage("restore", "--noinput", str(archive))

        assert refused.returncode == 1
        said = "Restoring the SQLite database failed: database or disk is full. The database"
        assert f"{said} was not changed." in refused.stderr, refused.stderr
        (small_disk / "filler").unlink()
        assert health(server)[0] == 200
        listed = urllib.request.Request(
            f"{server.url}/api/devices", headers={"Authorization": f"Bearer {server.token}"}
        )
        with urllib.request.urlopen(listed, timeout=10) as response:  # noqa: S310 (loopback)
            assert json.loads(response.read())["count"] == 1
