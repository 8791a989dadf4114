"""What the ASGI body limit (benchsite.bodylimit.RequestBodyLimit) saves a server, measured.

    .venv/bin/python perf/bodylimit.py [--mb 200]

Starts the real server twice under uvicorn's worker (benchsite.livetest, loopback): as served,
and without the limit (perf/asgi_unlimited.py). Each time a client announces and sends a body of
`--mb` MB to POST /api/devices/1/docs (over MAX_UPLOAD_MB, so the answer is 413 either way) and
the script prints: seconds until the answer, how much of the body the server took, the
workers' CPU seconds, and the most temporary-file space the server used meanwhile (Django
spools a body past FILE_UPLOAD_MAX_MEMORY_SIZE into TMPDIR, set to a directory of its own).
"""

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchsite.livetest import live_server
from perf.common import Client, assert_loopback, process_tree_cpu

BLOCK = 1024 * 1024
UVICORN = "uvicorn_worker.UvicornWorker"


def temp_bytes(master: int, directory: Path) -> int:
    """Bytes in the files that the gunicorn master's workers hold open under `directory`
    (Django's spooled bodies are unlinked at once: only their open descriptors show them)."""
    total = 0
    for proc in Path("/proc").iterdir():
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent != master:
                continue
            for fd in (proc / "fd").iterdir():
                if str(directory) in os.readlink(fd):
                    total += fd.stat().st_size
        except (OSError, ValueError, IndexError):
            continue  # not a process, or gone meanwhile
    return total


def send_huge(url: str, token: str, device: int, size: int) -> tuple[int | str, int, float]:
    """(status or error, bytes the server accepted from us, seconds to the answer)."""
    assert_loopback(url)
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    sent, started = 0, time.perf_counter()
    try:
        connection.putrequest("POST", f"/api/devices/{device}/docs")
        connection.putheader("Authorization", f"Bearer {token}")
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(size))
        connection.endheaders()
        block = b"x" * BLOCK
        try:
            while sent < size:
                connection.send(block[: min(BLOCK, size - sent)])
                sent += min(BLOCK, size - sent)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: the rest was never taken
        response = connection.getresponse()
        status: int | str = response.status
        response.read()
    except (ConnectionError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    finally:
        connection.close()
    return status, sent, time.perf_counter() - started


def measure(workdir: Path, size: int, app: str | None) -> dict:
    tmp = workdir / "tmp"
    tmp.mkdir(parents=True)
    env = {"TMPDIR": str(tmp), "MAX_UPLOAD_MB": "50"}
    with live_server(workdir, workers=1, worker_class=UVICORN, extra_env=env, app=app) as server:
        peak, done = 0, threading.Event()

        def watch():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, temp_bytes(server.pid, tmp))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        device = Client(server.url, server.token).request(
            "POST", "/api/benchmark", json.dumps({"device_identifier": "upload-target"}).encode()
        )
        cpu0 = process_tree_cpu(server.pid)
        status, sent, seconds = send_huge(
            server.url, server.token, json.loads(device[1])["device_id"], size
        )
        time.sleep(0.5)  # let the worker finish with what it read
        cpu = process_tree_cpu(server.pid) - cpu0
        done.set()
        watcher.join()
    return {"status": status, "sent": sent, "seconds": seconds, "cpu": cpu, "disk": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    size = args.mb * BLOCK
    print(f"POST {args.mb} MB (Content-Length announced) to a document upload, uvicorn worker")
    for label, app in (
        ("with RequestBodyLimit", None),
        ("without", "perf.asgi_unlimited:application"),
    ):
        with tempfile.TemporaryDirectory(prefix="perf-bodylimit-") as workdir:
            r = measure(Path(workdir), size, app)
        print(
            f"  {label:22} answer {r['status']} after {r['seconds']:.2f} s, "
            f"{r['sent'] / BLOCK:.0f} MB taken, worker CPU {r['cpu']:.2f} s, "
            f"temporary files up to {r['disk'] / BLOCK:.0f} MB"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
