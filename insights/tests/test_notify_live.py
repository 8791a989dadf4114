"""A notification outlives the server process that could not deliver it: the next one sends it.

Two gunicorn servers in turn on one SQLite database (the PostgreSQL run's live servers each own
a database they drop, and the claim across servers is tested on both engines in test_notify).
"""

import datetime
import json
import sqlite3
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchsite.livetest import free_port, live_server
from benchsite.tests.markers import engine_independent

pytestmark = [pytest.mark.live, engine_independent]

WAIT_S = 30


def submission(example: dict, health: str) -> dict:
    document = json.loads(json.dumps(example))
    document["device_identifier"] = "nas"
    document["submission_id"] = str(uuid.uuid4())
    document["results"].pop("conditions", None)  # run_at = arrival: each run is the latest
    nvme, sda = document["hardware"]["storage"]["devices"]
    document["hardware"]["storage"]["devices"] = [nvme, {**sda, "smart_health": health}]
    return document


def post(server, document: dict) -> int:
    request = urllib.request.Request(
        server.url + "/api/benchmark",
        data=json.dumps(document).encode(),
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
        return response.status


def rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT title, attempts, sent_at IS NOT NULL FROM insights_notification"
        ).fetchall()


def test_what_a_server_could_not_deliver_is_sent_by_the_next_one_it_starts(
    tmp_path, example_document
):
    port = free_port()  # the receiver's: nothing listens there at first
    url = f"json://127.0.0.1:{port}/hook"
    env = {"NOTIFY_URLS": url, "SITE_URL": "http://bench.lan:8007", "NOTIFY_TIMEOUT_S": "2"}
    database = tmp_path / "live.db"

    with live_server(tmp_path, workers=1, extra_env=env) as server:
        assert post(server, submission(example_document, "PASSED")) == 201
        assert post(server, submission(example_document, "FAILED")) == 201
        deadline = time.monotonic() + WAIT_S
        while rows(database) != [("nas: smart_failing", 1, 0)]:  # refused, to be retried
            assert time.monotonic() < deadline, rows(database)
            time.sleep(0.2)

    # the retry falls due while no server runs; then the receiver is up, and a server starts
    with sqlite3.connect(database) as db:
        past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
        # as Django stores a datetime in SQLite: UTC, a space between date and time
        due = past.strftime("%Y-%m-%d %H:%M:%S.%f")
        db.execute("UPDATE insights_notification SET next_attempt_at = ?", (due,))
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=receiver.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with live_server(tmp_path, workers=1, extra_env=env, database_url=f"sqlite:///{database}"):
            deadline = time.monotonic() + WAIT_S
            # no request made: the starting worker's sender sends it, then marks it sent
            while rows(database) != [("nas: smart_failing", 2, 1)]:
                assert time.monotonic() < deadline, (rows(database), received)
                time.sleep(0.1)
    finally:
        receiver.shutdown()
        receiver.server_close()

    (message,) = received
    assert message["title"] == "nas: smart_failing"
    assert "reports SMART FAILED" in message["message"]
