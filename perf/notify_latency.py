"""Notification latency: an attention item opens (or resolves) → the receiver has the notification.

    .venv/bin/python perf/notify_latency.py [--rounds 40]

Starts an HTTP receiver on 127.0.0.1 (what Apprise's json:// posts to) and the real server
(benchsite.livetest: gunicorn, 2 workers, loopback) with NOTIFY_URLS pointing at it. One machine
then submits, one after another, runs whose disk alternates between SMART FAILED and PASSED, so
every submission opens or resolves one smart_failing item. For each it prints, in ms:

- item → received: from the item's opened_at / closed_at (the server's clock, in the database)
  to the request reaching the receiver (same machine, same clock);
- answer → received: from the submission's answer reaching the client to the notification
  reaching the receiver (what a person waiting for it sees after bench.sh ends);
- the submission's own duration.

The first notification of each worker process: the warm-up rounds, printed apart (Apprise and
the URLs' plugins are loaded by gunicorn's master before it forks the workers; ~0.4 s more
each when they were loaded by the first notification).
"""

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchsite.livetest import live_server
from perf.common import Client, example_document, percentile

WAIT_S = 15  # per notification; more means it never came


class Receiver:
    def __init__(self):
        self.messages: list[tuple[float, dict]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                at = time.time()
                self.send_response(200)
                self.end_headers()
                with receiver.arrived:
                    receiver.messages.append((at, body))
                    receiver.arrived.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int) -> tuple[float, dict] | None:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, WAIT_S)
            return self.messages[count - 1] if len(self.messages) >= count else None


def document(example: dict, health: str) -> dict:
    doc = json.loads(json.dumps(example))
    doc["device_identifier"] = "perf-nas"
    doc["submission_id"] = str(uuid.uuid4())
    doc["hardware"]["system"] = {}
    doc["results"].pop("conditions", None)  # run_at = arrival: each run is the latest
    nvme, sda = doc["hardware"]["storage"]["devices"]
    doc["hardware"]["storage"]["devices"] = [nvme, {**sda, "smart_health": health}]
    return doc


def ms(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50) * 1000:7.1f}  p95 {percentile(values, 95) * 1000:7.1f}  "
        f"max {max(values) * 1000:7.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    receiver = Receiver()
    example = example_document()
    item_to_received, answer_to_received, posts, warmup = [], [], [], []
    with (
        tempfile.TemporaryDirectory(prefix="perf-notify-") as tmp,
        live_server(
            Path(tmp),
            extra_env={
                "NOTIFY_URLS": receiver.url,
                "SITE_URL": "http://bench.perf:8007",
                "LOG_LEVEL": "WARNING",
            },
        ) as server,
    ):
        # one keep-alive connection: one worker answers every round, its sender warmed up first
        client = Client(server.url, server.token)
        first = json.dumps(document(example, "PASSED")).encode()
        assert client.request("POST", "/api/benchmark", first)[0] == 201
        for n in range(1, args.warmup + args.rounds + 1):
            health = "FAILED" if n % 2 else "PASSED"
            body = json.dumps(document(example, health)).encode()
            started = time.perf_counter()
            status, answer = client.request("POST", "/api/benchmark", body)
            took = time.perf_counter() - started
            answered = time.time()
            assert status == 201, (status, answer)
            got = receiver.wait_for(n)
            if got is None:
                print(f"round {n}: no notification within {WAIT_S} s")
                return 1
            received, message = got
            assert message["title"] == "perf-nas: smart_failing" + ("" if n % 2 else " resolved")
            _, items = client.request("GET", "/api/attention?state=all&kind=smart_failing")
            item = json.loads(items)["results"][0]  # newest first: this round's
            changed = datetime.fromisoformat(item["opened_at" if n % 2 else "closed_at"])
            if n <= args.warmup:
                warmup.append(received - changed.timestamp())
                continue
            item_to_received.append(received - changed.timestamp())
            answer_to_received.append(received - answered)
            posts.append(took)
    print(
        f"{args.rounds} notifications (opened and resolved alternately) to a receiver on loopback"
    )
    print(f"item → received     {ms(item_to_received)} ms")
    print(f"answer → received   {ms(answer_to_received)} ms")
    print(f"submission (POST)   {ms(posts)} ms")
    firsts = ", ".join(f"{v * 1000:.0f}" for v in warmup)
    print(f"warm-up (each worker's first notification): {firsts} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
