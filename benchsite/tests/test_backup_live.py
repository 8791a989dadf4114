"""A backup of a real server taken while it keeps accepting submissions, restored to another."""

import copy
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from benchsite.livetest import live_server

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]


def call(server, method, path, body=None, token=None):
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": f"Bearer {token or server.token}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Submitter(threading.Thread):
    """Submits new machines one after another until stopped; records when each was committed."""

    def __init__(self, server, example):
        super().__init__(daemon=True)
        self.server, self.example = server, example
        self.committed: list[tuple[str, float]] = []  # (hostname, time its 201 arrived)
        self.failures: list[tuple[int, bytes]] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        i = 0
        while not self.stop.is_set():
            document = copy.deepcopy(self.example)
            document["device_identifier"] = f"load-{i:05d}"
            document["submission_id"] = str(uuid.uuid4())
            document["hardware"]["system"] = {"machine_id": f"{i + 1:032x}"}  # a new machine
            status, body = call(self.server, "POST", "/api/benchmark", document)
            with self.lock:
                if status == 201:
                    self.committed.append((document["device_identifier"], time.monotonic()))
                else:
                    self.failures.append((status, body))
            i += 1

    def committed_before(self, moment: float) -> set[str]:
        with self.lock:
            return {name for name, at in self.committed if at < moment}

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.committed) < count:
            assert time.monotonic() < deadline, f"only {len(self.committed)} submissions"
            assert not self.failures, self.failures[:3]
            time.sleep(0.05)


def test_backup_under_load_restores_every_committed_device_and_identical_uploads(
    tmp_path, example_document
):
    (tmp_path / "source").mkdir()
    (tmp_path / "target").mkdir()
    with live_server(tmp_path / "source", extra_env={"GUNICORN_ACCESS_LOG": "-"}) as source:
        uploads = Path(source.env["UPLOAD_DIR"])
        documents = {
            "manual.pdf": b"%PDF-1.7\n" + os.urandom(200_000),
            "ab/" + "c" * 64 + ".png": b"\x89PNG\r\n\x1a\n" + os.urandom(50_000),
            "empty.txt": b"",
        }
        for name, data in documents.items():
            (uploads / name).parent.mkdir(parents=True, exist_ok=True)
            (uploads / name).write_bytes(data)

        submitter = Submitter(source, example_document)
        submitter.start()
        try:
            submitter.wait_for(10)
            started = time.monotonic()
            done = source.manage("backup")
            finished = time.monotonic()
            assert done.returncode == 0, done.stderr
            submitter.wait_for(len(submitter.committed) + 5)
        finally:
            submitter.stop.set()
            submitter.join(timeout=60)
        assert submitter.failures == []
        before_backup = submitter.committed_before(started)
        during = {n for n, at in submitter.committed if started <= at < finished}
        assert len(before_backup) >= 10
        assert during, "no submission was accepted while the backup ran"

        # a failed authentication, to check it is logged without the rejected secret
        wrong_secret = "wrong-" + uuid.uuid4().hex
        assert call(source, "GET", "/api/stats", token=wrong_secret)[0] == 401
        (archive,) = Path(source.env["BACKUP_DIR"]).glob("benchtools-*.tar.gz")

        with live_server(tmp_path / "target") as target:
            done = target.manage("restore", "--noinput", str(archive))
            assert done.returncode == 0, done.stderr

            status, body = call(target, "GET", "/api/export?format=json&what=devices")
            assert status == 200
            restored = {row["hostname"] for row in json.loads(body)}
            assert before_backup <= restored  # every device committed before the backup
            assert restored <= {name for name, _ in submitter.committed}
            status, body = call(target, "GET", "/api/stats")
            assert json.loads(body)["benchmarks"] == len(restored)
            restored_uploads = Path(target.env["UPLOAD_DIR"])
            for name, data in documents.items():
                assert (restored_uploads / name).read_bytes() == data  # byte-identical
            health = subprocess.run(
                [sys.executable, "docker/healthcheck.py"],
                cwd=ROOT,
                env={**os.environ, "PORT": target.url.rsplit(":", 1)[1]},
                capture_output=True,
                timeout=30,
            )
            assert health.returncode == 0, health.stderr

    log = source.log.read_text()
    submissions = [line for line in log.splitlines() if " submission device=load-" in line]
    assert len(submissions) == len(submitter.committed)  # one line per submission
    assert "auth failed client=127.0.0.1 GET /api/stats" in log
    assert '"POST /api/benchmark HTTP/1.1" 201' in log  # the access log is in there too
    assert source.token not in log
    assert wrong_secret not in log
