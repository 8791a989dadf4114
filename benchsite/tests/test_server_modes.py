"""Both documented server modes serve the API: gthread (the default) and uvicorn's worker."""

import http.client
import json
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from benchsite.livetest import live_server
from benchsite.tests.markers import engine_independent

# how gunicorn and uvicorn take bodies, headers and logs: the database plays no part, so the
# SQLite run covers it
pytestmark = [pytest.mark.live, engine_independent]


def call(server, method, path, body=None):
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
        return response.status, json.loads(response.read())


UVICORN = "uvicorn_worker.UvicornWorker"
JSON = "application/json"


@pytest.mark.parametrize("worker_class", [None, UVICORN])
def test_the_server_mode_ingests_and_reads(tmp_path, example_document, worker_class):
    with live_server(tmp_path, workers=1, worker_class=worker_class) as server:
        assert call(server, "GET", "/api/health")[0] == 200
        status, body = call(server, "POST", "/api/benchmark", example_document)
        assert (status, body["global_score"]) == (201, 105.65)
        for _ in range(3):  # kept connections (gthread) and per-request ones (ASGI) alike
            status, device = call(server, "GET", f"/api/devices/{body['device_id']}")
            assert (status, device["last_benchmark"]["id"]) == (200, body["benchmark_id"])
        log = server.log.read_text()
    assert ("uvicorn" if worker_class else "gthread") in log


WORKER_CLASSES = pytest.mark.parametrize("worker_class", ["gthread", UVICORN])


def _workers(master: int, count: int) -> list[int]:
    """The pids of the master's `count` workers, once they are all forked."""
    deadline = time.monotonic() + 30
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
            except OSError:  # gone meanwhile
                continue
            if stat and int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry.name))
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _rollup(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    return {key: int(value.split()[0]) for key, value in (line.split(":") for line in lines)}


@WORKER_CLASSES
def test_the_workers_share_the_application_the_master_loaded_once(tmp_path, worker_class):
    """preload_app: the workers are forked from a master that loaded the application and froze
    it, so much of each worker's heap stays shared with the master (its proportional share is
    well under its size); a worker that imported everything itself shares almost none (~0.96)."""
    with live_server(tmp_path, workers=2, worker_class=worker_class) as server:
        assert call(server, "GET", "/api/health")[0] == 200
        workers = _workers(server.pid, 2)
        assert len(workers) == 2
        for pid in workers:
            memory = _rollup(pid)
            if "Pss_Anon" not in memory:
                pytest.skip("this kernel's smaps_rollup has no Pss_Anon (Linux 5.8+)")
            assert memory["Pss_Anon"] < 0.8 * memory["Anonymous"], memory


def call_from(server, source: str, path: str, *, token=None, forwarded_for=None) -> int:
    """GET `path` over a connection from the loopback address `source` (127.0.0.0/8)."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source, 0))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def access_lines(log: str, path: str) -> list[str]:
    return [line for line in log.splitlines() if path in line and " auth " not in line]


@WORKER_CLASSES
def test_without_a_proxy_the_server_ignores_forwarded_for(tmp_path, worker_class):
    env = {"AUTH_FAILURE_RATE": "3/min", "GUNICORN_ACCESS_LOG": "-"}
    with live_server(tmp_path, workers=1, worker_class=worker_class, extra_env=env) as server:
        guess = "guess-" + "r" * 24
        # 127.0.0.2 forges a new address each time: one budget all the same
        rotating = [
            call_from(server, "127.0.0.2", "/api/stats", token=guess, forwarded_for=f"10.6.6.{i}")
            for i in range(5)
        ]
        # 127.0.0.3 claims to be 127.0.0.1: only 127.0.0.3 runs out
        for _ in range(4):
            call_from(server, "127.0.0.3", "/api/stats", token=guess, forwarded_for="127.0.0.1")
        real = call_from(server, "127.0.0.1", "/api/stats", token=server.token)
    log = server.log.read_text()  # once stopped: a line is written after its response
    assert rotating == [401, 401, 401, 429, 429]
    assert real == 200
    assert "auth failed client=127.0.0.2 GET /api/stats" in log
    assert "auth throttled client=127.0.0.3 GET /api/stats" in log
    assert "10.6.6." not in log and "client=127.0.0.1" not in log
    clients = [line.split()[0].rsplit(":", 1)[0] for line in access_lines(log, "/api/stats")]
    assert sorted(clients) == ["127.0.0.1"] + ["127.0.0.2"] * 5 + ["127.0.0.3"] * 4


@WORKER_CLASSES
def test_behind_a_proxy_the_server_logs_and_throttles_the_forwarded_client(tmp_path, worker_class):
    env = {"AUTH_FAILURE_RATE": "3/min", "GUNICORN_ACCESS_LOG": "-", "NUM_PROXIES": "1"}
    with live_server(tmp_path, workers=1, worker_class=worker_class, extra_env=env) as server:
        # the proxy (127.0.0.2) appends the address it saw; the client forged the first entry
        chain = "6.6.6.6, 192.0.2.44"
        statuses = [
            call_from(
                server, "127.0.0.2", "/api/stats", token="guess-" + "p" * 24, forwarded_for=chain
            )
            for _ in range(4)
        ]
        other = call_from(
            server, "127.0.0.2", "/api/stats", token=server.token, forwarded_for="192.0.2.45"
        )
    log = server.log.read_text()  # once stopped: a line is written after its response
    assert statuses == [401, 401, 401, 429]
    assert other == 200
    assert "auth failed client=192.0.2.44 GET /api/stats" in log
    clients = [line.split()[0].rsplit(":", 1)[0] for line in access_lines(log, "/api/stats")]
    assert sorted(clients) == ["192.0.2.44"] * 4 + ["192.0.2.45"]
    assert "6.6.6.6" not in log


@WORKER_CLASSES
def test_a_client_on_the_proxys_own_host_is_that_host_whatever_it_forwards(tmp_path, worker_class):
    """FORWARDED_ALLOW_IPS names the proxy, as the README says to: uvicorn read the proxies'
    headers itself before the app, took the client's forged entry for the client, and the
    app then saw a peer that was no proxy: a new budget per forged address."""
    env = {
        "AUTH_FAILURE_RATE": "3/min",
        "GUNICORN_ACCESS_LOG": "-",
        "NUM_PROXIES": "1",
        "FORWARDED_ALLOW_IPS": "127.0.0.2",
    }
    with live_server(tmp_path, workers=1, worker_class=worker_class, extra_env=env) as server:
        # a client on the proxy's host (127.0.0.2) forges an entry, the proxy appends its own
        statuses = [
            call_from(
                server,
                "127.0.0.2",
                "/api/stats",
                token="guess-" + "q" * 24,
                forwarded_for=f"10.6.6.{i}, 127.0.0.2",
            )
            for i in range(5)
        ]
    log = server.log.read_text()
    assert statuses == [401, 401, 401, 429, 429]
    assert "10.6.6." not in log


@WORKER_CLASSES
def test_with_log_format_json_every_line_the_server_writes_is_json(tmp_path, worker_class):
    """gunicorn's own lines ("Booting worker …") and its access lines were plain text among
    the app's JSON objects: a log shipper parsing JSON dropped or mangled them."""
    env = {"LOG_FORMAT": "json", "GUNICORN_ACCESS_LOG": "-"}
    with live_server(tmp_path, workers=1, worker_class=worker_class, extra_env=env) as server:
        assert call(server, "GET", "/api/stats")[0] == 200
    lines = [line for line in server.log.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # each one a JSON object
    assert any("/api/stats" in entry["message"] for entry in entries), lines
    assert any(entry["logger"].startswith(("gunicorn", "uvicorn")) for entry in entries), lines


@WORKER_CLASSES
def test_the_access_log_writes_no_token(tmp_path, worker_class):
    env = {"GUNICORN_ACCESS_LOG": "-"}
    with live_server(tmp_path, workers=1, worker_class=worker_class, extra_env=env) as server:
        assert call_from(server, "127.0.0.1", f"/api/health?token={server.token}") == 200
        assert call_from(server, "127.0.0.1", "/api/stats", token=server.token) == 200
    log = server.log.read_text()  # once stopped: a line is written after its response
    assert server.token not in log
    assert "/api/health?token=[redacted]" in log


def post_chunked(server, path: str, body: bytes, content_type: str) -> tuple[int, dict]:
    """POST `body` with Transfer-Encoding: chunked (no Content-Length), 64 KiB per chunk."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": content_type}
    try:
        connection.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@WORKER_CLASSES
def test_chunked_bodies_are_read_like_any_other(tmp_path, worker_class, example_document):
    from documents.tests import files
    from documents.tests.test_live import multipart

    with live_server(tmp_path, workers=1, worker_class=worker_class) as server:
        stored, created = post_chunked(
            server, "/api/benchmark", json.dumps(example_document).encode(), "application/json"
        )
        padded = {"device_identifier": "big", "pad": "x" * (5 * 1024 * 1024)}
        too_large = post_chunked(server, "/api/benchmark", json.dumps(padded).encode(), JSON)
        content = files.pdf_bytes("sent in chunks")
        body, content_type = multipart(content, "chunked.pdf")
        uploaded, document = post_chunked(
            server, f"/api/devices/{created['device_id']}/docs", body, content_type
        )
        _, device = call(server, "GET", f"/api/devices/{created['device_id']}")
    assert (stored, created["global_score"]) == (201, 105.65)
    assert device["last_benchmark"]["id"] == created["benchmark_id"]
    assert too_large == (
        413,
        {"detail": "Request body is larger than the limit of 1024 KiB (5121 KiB sent)."},
    )
    assert uploaded == 201, document
    assert (document["filename"], document["size_bytes"]) == ("chunked.pdf", len(content))


def post_unannounced(server, path: str, size: int) -> str:
    """POST `size` bytes with their Content-Length and no `Expect: 100-continue`, as a browser
    sends a form: the whole body goes out whatever the server answers first. The status line
    read back, or what broke the sending (curl and browsers stop there: "connection reset")."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\n\r\n"
        )
        block = b"\0" * 65536
        try:
            sock.sendall(head.encode())
            for _ in range(size // len(block)):
                sock.sendall(block)
        except OSError as exc:
            return f"sending: {exc!r}"
        return sock.makefile("rb").readline().decode().strip()


@WORKER_CLASSES
def test_a_body_over_the_limit_is_answered_413_not_reset(tmp_path, worker_class):
    """Under uvicorn a browser's upload over the limit got "connection reset" in 2 of 10: the
    connection was closed on the body still arriving, and the kernel's reset overtook the 413.
    The rest of the body is now read (for 3 s at most) before the connection closes."""
    with live_server(
        tmp_path, workers=1, worker_class=worker_class, extra_env={"MAX_UPLOAD_MB": "1"}
    ) as server:
        answers = [
            post_unannounced(server, "/admin/documents/document/add/", 24 * 1024 * 1024)
            for _ in range(10)
        ]
    assert answers == ["HTTP/1.1 413 Request Entity Too Large"] * 10
