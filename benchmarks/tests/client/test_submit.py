"""Submitting: exit 0 only on "status": "ok"; any failure keeps the JSON and says how to resend it;
a busy or unreachable server is tried again; the token and the URL are checked first.

The server here is a stand-in on 127.0.0.1 that answers what the contract says the real one
answers (201 + ids, 200 for a submission stored before, 401, 400, 500, 503 with Retry-After;
OPTIONS on /api/benchmark: 200 to the token, 401 to another, 404 elsewhere); the real server
is exercised by the live tests of the app.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .benchrun import FIXTURES, SCRIPT, free_port, run_bench

TOKEN = "s3cret-fleet-token"
# what is sent does not matter to these tests but to the first: the least a capture holds (a
# machine's name and one result), parsed in a third of old-tools' time (0.25 s against 0.75)
CAPTURE = str(FIXTURES / "minimal")


ANSWER = {  # the server's answer to a stored submission (contract)
    "status": "ok",
    "device_id": 7,
    "snapshot_id": 3,
    "benchmark_id": 9,
    "global_score": 45.26,
    "device_url": "/admin/inventory/device/7/change/",
}


class FakeServer(ThreadingHTTPServer):
    def __init__(self, status: int, body: bytes):
        super().__init__(("127.0.0.1", 0), Handler)
        self.status, self.body, self.requests = status, body, []
        # answers given first, in turn, each (status, body, headers); then status and body
        self.script: list[tuple[int, bytes, dict]] = []
        self.checks: list[str] = []  # the OPTIONS requests' paths
        self.checked_with: list[str] = []  # and their Authorization headers
        self.options_status: int | None = None  # a proxy's own answer to OPTIONS
        self.options_location = "https://bench.lan/api/benchmark"  # where its redirect points
        self.options_allow = ""  # the Allow header of its answer, if any
        self.clock_offset = 0  # seconds the server's clock reads ahead of this machine's
        self.date_header = ""  # a Date header of its own (a proxy's, a broken one)
        self.options_unanswered = 0  # OPTIONS requests left without an answer (not up yet)
        self.options_extra: dict = {}  # more keys of the answer to OPTIONS (iperf_server)
        self.served_script: bytes | None = SCRIPT.read_bytes()  # GET /bench.sh (None: 404)
        self.post_hangs = False  # a submission read and never answered (until released)
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/benchmark"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", 0))
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
        )
        if self.server.post_hangs:
            self.server.released.wait(60)
            return
        status, body, headers = self.server.status, self.server.body, {}
        if self.server.script:
            status, body, headers = self.server.script.pop(0)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            status, body = 401, b'{"detail": "Invalid token."}'
        self.send_response(status)
        if 300 <= status < 400 and "Location" not in headers:
            self.send_header("Location", "https://bench.lan/api/benchmark")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_OPTIONS(self):  # noqa: N802 (http.server's naming)
        self.server.checks.append(self.path)
        self.server.checked_with.append(self.headers.get("Authorization"))
        if self.server.options_unanswered:
            self.server.options_unanswered -= 1
            self.close_connection = True  # curl: "Empty reply from server" (exit 52)
            return
        moved = None
        if self.server.options_status is not None:
            status, body = self.server.options_status, b"<html><h1>Not Allowed</h1></html>"
            if 300 <= status < 400:  # an http:// server that sends everyone to https://
                moved = self.server.options_location
        elif self.path != "/api/benchmark":
            status, body = 404, b"<!DOCTYPE html><title>Not Found</title>"
        elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
            status, body = 401, b'{"detail": "Invalid token."}'
        else:
            said = {"name": "Submission", "parses": ["application/json"]}
            status, body = 200, json.dumps({**said, **self.server.options_extra}).encode()
        self.send_response(status)
        if moved:
            self.send_header("Location", moved)
        if self.server.options_allow:
            self.send_header("Allow", self.server.options_allow)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        # the server's /bench.sh (what `curl .../bench.sh | bash` runs), the one page it serves
        served = self.server.served_script if self.path == "/bench.sh" else None
        body = b"Not Found" if served is None else served
        self.send_response(404 if served is None else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def date_time_string(self, timestamp=None):
        # the Date header of every answer, on the server's clock
        if self.server.date_header:
            return self.server.date_header
        return formatdate((timestamp or time.time()) + self.server.clock_offset, usegmt=True)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(request):
    status, body = getattr(request, "param", (201, None))
    if body is None:
        body = json.dumps(ANSWER).encode()
    srv = FakeServer(status, body)
    # polled every 0.05 s: shutdown() waits for the loop's next poll (0.5 s by default, each test)
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.released.set()
    srv.shutdown()
    srv.server_close()


def submit(server_url: str, token: str, cwd, *extra: str, env=None, capture=CAPTURE):
    """One try unless `extra` gives --retries (the last one given counts)."""
    return run_bench(
        *("--from-dir", capture, "--server", server_url, "--token", token, "--retries", "0"),
        *extra,
        cwd=cwd,
        timeout=60,
        env=env,
    )


def kept_files(directory):
    return sorted(directory.glob("bench-fileserver-*.json"))


def test_a_successful_submission_exits_0_and_shows_the_device_url(server, tmp_path):
    proc = submit(server.url, TOKEN, tmp_path, capture=str(FIXTURES / "old-tools"))
    assert proc.returncode == 0, proc.stderr
    assert "/admin/inventory/device/7/change/" in proc.stderr
    assert (
        f"http://127.0.0.1:{server.server_address[1]}/admin/inventory/device/7/change/"
        in proc.stderr
    )
    [request] = server.requests
    assert request["path"] == "/api/benchmark"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    document = json.loads(request["body"])
    assert document["device_identifier"] == "fileserver"
    assert document["results"]["cpu"]["score"] == 74.5
    assert kept_files(tmp_path) == []  # nothing to keep on success
    assert proc.stdout == ""  # the JSON goes to stdout only with --dry-run


SUSPECT = {**ANSWER, "validity": "suspect", "validity_reasons": ["busy", "noisy"]}


@pytest.mark.parametrize("server", [(201, json.dumps(SUSPECT).encode())], indirect=True)
def test_a_run_the_server_marks_suspect_is_said_so(server, tmp_path):
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "the server marks this run suspect (busy, noisy)" in proc.stderr


DETAILED = {
    **SUSPECT,
    "validity_detail": "machine busy (45 % of the CPU used by other processes), "
    "repeats disagree (memory 9.42 %)",
}


@pytest.mark.parametrize("server", [(201, json.dumps(DETAILED).encode())], indirect=True)
def test_a_suspect_run_says_what_was_measured_where_the_server_tells_it(server, tmp_path):
    """ "suspect (noisy)" left the person to find which category's repeats disagreed."""
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (
        "the server marks this run suspect (machine busy (45 % of the CPU used by other "
        "processes), repeats disagree (memory 9.42 %))" in proc.stderr
    )


def test_a_valid_run_gets_no_such_line(server, tmp_path):
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "suspect" not in proc.stderr


def test_an_older_servers_answer_names_the_device_as_before(server, tmp_path):
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "submitted: global score 45.26 (device 7, benchmark 9)" in proc.stderr


RENAMED = {**ANSWER, "device_created": False, "renamed_from": "old-name"}
CREATED = {**ANSWER, "device_created": True, "renamed_from": None}


@pytest.mark.parametrize(
    ("server", "said"),
    [
        ((201, json.dumps(RENAMED).encode()), "(device 7, renamed from old-name, benchmark 9)"),
        ((201, json.dumps(CREATED).encode()), "(new device 7, benchmark 9)"),
    ],
    indirect=["server"],
)
def test_the_summary_says_which_device_the_run_was_filed_under(server, said, tmp_path):
    """A machine reinstalled under a new name is found by its hardware: its device is renamed,
    which the person running bench.sh is told, as a first run's new device is."""
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"submitted: global score 45.26 {said}" in proc.stderr


@pytest.mark.parametrize("suffix", ["", "/", "/api", "/api/"])
def test_a_server_url_without_the_api_path_is_completed(server, tmp_path, suffix):
    """--server http://host:8007 (as a user types it) posts to /api/benchmark, and says so."""
    base = f"http://127.0.0.1:{server.server_address[1]}"
    proc = submit(base + suffix, TOKEN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    [request] = server.requests
    assert request["path"] == "/api/benchmark"
    assert f"sending to {base}/api/benchmark" in proc.stderr


@pytest.mark.parametrize("server", [(500, b'{"detail": "Internal error"}')], indirect=True)
def test_a_server_url_ending_in_a_slash_is_used_without_it(server, tmp_path):
    """--server http://host:8007/api/benchmark/: checked, posted and said to be sent again at
    /api/benchmark/, and the script's own address made of it, /api/benchmark//bench.sh (the
    schedule's and the resend command's: a 404)."""
    proc = submit(server.url + "/", TOKEN, tmp_path)
    assert proc.returncode == 1, proc.stderr  # the server's 500: the resend command is said
    assert server.checks == ["/api/benchmark"]
    assert [request["path"] for request in server.requests] == ["/api/benchmark"]
    assert "/api/benchmark/" not in proc.stderr and f"--server {server.url} " in proc.stderr


def test_a_server_url_with_another_path_gets_a_hint_and_stops_at_the_check(server, tmp_path):
    base = f"http://127.0.0.1:{server.server_address[1]}"
    proc = submit(base + "/benchmark", TOKEN, tmp_path)
    assert f"the server's endpoint is {base}/api/benchmark" in proc.stderr
    assert proc.returncode == 1
    assert f"no Linux BenchTools API at {base}/benchmark (HTTP 404)" in proc.stderr
    assert server.checks == ["/benchmark"] and server.requests == []


def test_a_wrong_token_stops_at_the_check_before_anything_is_measured(server, tmp_path):
    proc = submit(server.url, "wrong-token", tmp_path)
    assert proc.returncode == 1
    assert "the server refused the token (HTTP 401: Invalid token.)" in proc.stderr
    assert "[1/" not in proc.stderr  # stopped before the capture was even parsed
    assert server.requests == [] and kept_files(tmp_path) == []
    assert "wrong-token" not in proc.stderr  # the secret is never printed


@pytest.mark.parametrize("server", [(401, b'{"detail": "Token revoked."}')], indirect=True)
def test_a_token_refused_at_the_post_keeps_the_json_and_prints_how_to_resend(server, tmp_path):
    """Revoked between the check and the POST: the run is kept, and how to send it again is
    a command that pastes without an error, keeping the token out of the shell's history."""
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 1
    assert "HTTP 401" in proc.stderr and "Token revoked." in proc.stderr
    [kept] = kept_files(tmp_path)
    assert json.loads(kept.read_text())["device_identifier"] == "fileserver"
    assert kept.stat().st_mode & 0o077 == 0  # its serials and addresses: this account's alone
    assert str(kept) in proc.stderr
    resend = next(line for line in proc.stderr.splitlines() if "curl -sS -X POST" in line)
    assert resend.strip().startswith("read -rs TOKEN; curl")
    assert '"Authorization: Bearer $TOKEN"' in resend
    assert "'Content-Type: application/json'" in resend
    assert f"--data-binary @{kept}" in resend and server.url in resend
    again = next(line for line in proc.stderr.splitlines() if "--resend" in line)
    assert f"bash {SCRIPT} --resend {kept} --server {server.url} --token-file" in again
    assert TOKEN not in proc.stderr  # the secret is never printed


@pytest.mark.parametrize("server", [(503, b'{"detail": "Down for an upgrade."}')], indirect=True)
def test_how_to_resend_names_the_token_file_that_was_given(server, tmp_path):
    """It said --token-file FILE_WITH_THE_TOKEN though the token had come from a file."""
    token_file = tmp_path / "bench token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o600)
    env = {key: value for key, value in os.environ.items() if key != "BENCH_TOKEN"}
    proc = run_bench(
        *("--from-dir", CAPTURE, "--server", server.url, "--token-file", str(token_file)),
        *("--retries", "0"),
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    again = next(line for line in proc.stderr.splitlines() if "--resend" in line)
    assert again.endswith("--token-file " + str(token_file).replace(" ", "\\ "))


def one_second(tmp_path) -> dict:
    """An environment whose clock stays in one second (20261204-010203), as kept files name it."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "date").write_text(
        '#!/bin/sh\n[ "$1" = +%Y%m%d-%H%M%S ] && { echo 20261204-010203; exit 0; }\n'
        f'exec {shutil.which("date")} "$@"\n'
    )
    (shim / "date").chmod(0o755)
    return {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}


@pytest.mark.parametrize("server", [(500, b'{"detail": "Internal error"}')], indirect=True)
def test_failures_in_the_same_second_keep_every_submission(server, tmp_path):
    """The JSON of a failed submission is kept under the device's name and the second: replays
    of one machine's captures failing in a loop (the server down) wrote over each other, and
    only the last one was left to resend."""
    env = one_second(tmp_path)
    runs = [
        run_bench(
            *("--from-dir", CAPTURE, "--server", server.url, "--token", TOKEN),
            cwd=tmp_path,
            env=env,
            timeout=60,
        )
        for _ in range(3)
    ]
    assert all(run.returncode == 1 for run in runs)
    kept = [re.search(r"kept in (\S+\.json)", run.stderr).group(1) for run in runs]
    assert kept == [
        str(tmp_path / f"bench-fileserver-20261204-010203{n}.json") for n in ("", "-2", "-3")
    ]
    assert len(kept_files(tmp_path)) == 3  # none written over


@pytest.mark.parametrize("server", [(500, b'{"detail": "Internal error"}')], indirect=True)
def test_every_name_of_the_second_taken_the_submission_is_kept_under_one_of_its_own(
    server, tmp_path
):
    """Another user planting the names of the run's minute in a shared /tmp (dangling links)
    made it "could not keep a copy of the submission (no writable directory)": the run lost."""
    env = one_second(tmp_path)
    for n in ("", "-2", "-3", "-4", "-5", "-6", "-7", "-8", "-9"):
        (tmp_path / f"bench-fileserver-20261204-010203{n}.json").symlink_to("/nonexistent/x")

    proc = submit(server.url, TOKEN, tmp_path, env=env)

    assert proc.returncode == 1
    kept = Path(re.search(r"kept in (\S+\.json)", proc.stderr).group(1))
    assert re.fullmatch(r"bench-fileserver-20261204-010203-\w{6}\.json", kept.name)
    assert kept.parent == tmp_path and not kept.is_symlink()
    assert json.loads(kept.read_text())["device_identifier"] == "fileserver"
    assert kept.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "server",
    [
        (
            400,
            b'{"results": {"cpu": {"score": ["Ensure this value is less than or equal to 1e4."]}}}',
        ),
        (500, b'{"detail": "Internal error"}'),
        (200, b'{"status": "error", "detail": "database is locked"}'),
    ],
    indirect=True,
)
def test_any_answer_but_status_ok_is_a_failure(server, tmp_path):
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 1
    assert f"HTTP {server.status}" in proc.stderr
    assert server.body.decode()[:40] in proc.stderr  # the server's own error body is shown
    if server.status != 400:
        assert len(kept_files(tmp_path)) == 1
        assert "--resend" in proc.stderr
        return
    # refused as it is: kept for a look, neither offered to send again (refused again) nor
    # listed unsent by every later run
    [refused] = tmp_path.glob("bench-fileserver-*.json.refused")
    assert kept_files(tmp_path) == [] and refused.stat().st_mode & 0o777 == 0o600
    assert f"it is kept in {refused}, not to be sent again" in proc.stderr
    assert "--resend" not in proc.stderr
    server.status, server.body = 201, json.dumps(ANSWER).encode()
    later = submit(server.url, TOKEN, tmp_path)
    assert later.returncode == 0 and "kept by earlier runs" not in later.stderr


@pytest.mark.parametrize(
    ("server", "said"),
    [
        ((200, b"<html><h1>Welcome to nginx!</h1>" + b" " * 4000 + b"</html>"), "with a page, not"),
        ((404, b"<!DOCTYPE html><title>Not Found</title>"), "with a page, not the API's JSON"),
        # a proxy's own error page: the server behind it, not the address, is the problem
        (
            (502, b"<html><center><h1>502 Bad Gateway</h1></center></html>"),
            "the server behind it is",
        ),
        # a proxy's body limit (nginx's client_max_body_size), not a wrong address
        ((413, b"<html><h1>413 Request Entity Too Large</h1></html>"), "client_max_body_size"),
        ((500, b"<html><h1>500 Internal Server Error</h1></html>"), "an error of the server or"),
        ((301, b""), "a redirect to https://bench.lan/api/benchmark: give --server as it"),
        # nginx's http -> https redirect comes with a page: still said as a redirect
        ((301, b"<html><center><h1>301 Moved Permanently</h1></center></html>"), "a redirect to"),
    ],
    indirect=["server"],
)
def test_an_answer_that_is_no_api_json_is_one_line_not_a_page_dump(server, said, tmp_path):
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 1
    assert said in proc.stderr
    assert "<html" not in proc.stderr.lower() and "<!doctype" not in proc.stderr.lower()
    assert len(kept_files(tmp_path)) == 1
    if server.status == 301:  # to send it again: where it redirects, not where it was refused
        assert "--server https://bench.lan/api/benchmark --token-file" in proc.stderr
        assert f"--server {server.url} " not in proc.stderr


def test_with_output_a_failed_run_is_kept_apart_from_that_file(tmp_path):
    """A cron job's fixed --output was the only copy of a submission never sent: the next run
    that failed overwrote it."""
    out = tmp_path / "last.json"
    url = f"http://127.0.0.1:{free_port()}/api/benchmark"
    sent = []
    for run in range(2):
        if run:
            time.sleep(1.1)  # a kept file's name is to the second
        proc = submit(url, TOKEN, tmp_path, "--output", str(out))
        assert proc.returncode == 1
        assert f"@{out}" not in proc.stderr
        sent.append(json.loads(out.read_text())["submission_id"])
    kept = kept_files(tmp_path)
    assert [json.loads(path.read_text())["submission_id"] for path in kept] == sent
    assert f"--data-binary @{kept[-1]}" in proc.stderr


def test_a_token_may_begin_with_two_dashes(server, tmp_path):
    """token_urlsafe gives one in 4096 installs: it was refused as a missing value."""
    for args in (("--token", "--AbC_x"), ("--token=--AbC_x",)):
        proc = run_bench("--from-dir", CAPTURE, "--server", server.url, *args, cwd=tmp_path)
        assert "needs a value" not in proc.stderr and proc.returncode == 1  # 401 (not ours)
        assert server.checked_with[-1] == "Bearer --AbC_x"


def test_an_output_file_it_cannot_overwrite_is_not_said_to_hold_the_run(tmp_path):
    """An --output file from an earlier run that cannot be written now: "kept in FILE" named a
    file holding the older run, and this run's JSON was deleted."""
    busy = tmp_path / "busy"
    shutil.copy(shutil.which("sleep"), busy)
    running = subprocess.Popen([str(busy), "30"])  # a running program cannot be written to
    try:
        url = f"http://127.0.0.1:{free_port()}/api/benchmark"
        proc = submit(url, TOKEN, tmp_path, "--output", str(busy))
    finally:
        running.kill()
        running.wait()
    assert proc.returncode == 1
    assert f"cannot write {busy}" in proc.stderr
    [kept] = kept_files(tmp_path)
    assert f"--data-binary @{kept}" in proc.stderr and f"@{busy}" not in proc.stderr
    assert json.loads(kept.read_text())["device_identifier"] == "fileserver"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupted_while_submitting_the_json_is_kept(server, tmp_path, sig):
    """A server that hangs is when people press Ctrl-C: the run was thrown away (SIGTERM after
    waiting up to two minutes for curl)."""
    server.post_hangs = True  # the check before answered: the submission is read, unanswered
    proc = subprocess.Popen(
        ["bash", str(SCRIPT), "--from-dir", CAPTURE, "--server", server.url, "--token", TOKEN],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    said = ""
    while "submitting to" not in said:
        said += proc.stderr.readline()
        assert proc.poll() is None, said
    deadline = time.monotonic() + 10
    while not server.requests and time.monotonic() < deadline:  # curl waits for the answer
        time.sleep(0.05)
    started = time.monotonic()
    proc.send_signal(sig)
    try:
        # a run that goes on submitting fails the test, rather than hang the suite
        said += proc.communicate(timeout=30)[1]
    finally:
        proc.kill()
    returncode = proc.wait()
    assert time.monotonic() - started < 5
    assert returncode == 128 + sig
    assert "interrupted while submitting" in said
    [kept] = kept_files(tmp_path)
    assert f"--data-binary @{kept}" in said
    assert json.loads(kept.read_text())["device_identifier"] == "fileserver"


BUSY = (503, b'{"detail": "The database is not available now."}', {"Retry-After": "1"})


def test_a_busy_server_is_sent_the_same_submission_again_when_it_asks(server, tmp_path):
    server.script = [BUSY, BUSY]
    proc = submit(server.url, TOKEN, tmp_path, "--retries", "3")
    assert proc.returncode == 0, proc.stderr
    # in the server's own words where it gives them
    assert (
        "the server answered HTTP 503 (The database is not available now.): sending again in 1 s"
        " (1 of 3)" in proc.stderr
    )
    assert "sending again in 1 s (2 of 3)" in proc.stderr
    assert "submitted: global score 45.26" in proc.stderr
    bodies = [json.loads(request["body"]) for request in server.requests]
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]  # one submission_id
    assert kept_files(tmp_path) == []


def test_retries_end_after_as_many_as_asked_and_the_json_is_kept(server, tmp_path):
    server.script = [(503, b"{}", {"Retry-After": "0"})] * 3
    proc = submit(server.url, TOKEN, tmp_path, "--retries", "2")
    assert proc.returncode == 1
    assert len(server.requests) == 3  # the first and two more
    assert len(kept_files(tmp_path)) == 1


@pytest.mark.parametrize(
    "server", [(400, b'{"results": ["bad"]}'), (500, b'{"detail": "bug"}')], indirect=True
)
def test_a_refused_document_or_a_server_error_is_not_sent_again(server, tmp_path):
    proc = submit(server.url, TOKEN, tmp_path, "--retries", "3")
    assert proc.returncode == 1
    assert len(server.requests) == 1 and "sending again" not in proc.stderr


def test_an_unreachable_server_is_tried_again_and_warned_of_before_measuring(tmp_path):
    """It fails, keeps the JSON, and waits the 10 s it says before its second try (a `sleep`
    that notes how long it was asked to wait, not one that waits)."""
    port = free_port()  # nothing listens there: the check warns, the POST is tried twice
    shims, waits = tmp_path / "bin", tmp_path / "waits"
    shims.mkdir()
    (shims / "sleep").write_text(f'#!/bin/sh\necho "$*" >>{waits}\n')
    (shims / "sleep").chmod(0o755)
    proc = run_bench(
        *("--from-dir", CAPTURE, "--server", f"http://127.0.0.1:{port}/api/benchmark"),
        *("--token", TOKEN, "--retries", "1"),
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "PATH": f"{shims}:{os.environ['PATH']}"},
    )
    assert proc.returncode == 1
    assert "does not answer now" in proc.stderr and "benchmarking anyway" in proc.stderr
    assert "(curl exit 7): sending again in 10 s (1 of 1)" in proc.stderr
    assert waits.read_text().splitlines() == ["10"]
    assert "could not reach" in proc.stderr
    assert len(kept_files(tmp_path)) == 1


def test_a_proxy_of_the_environment_is_named_where_the_server_is_not_reached(server, tmp_path):
    """http_proxy set for the company's web (/etc/environment, which cron reads) took the LAN
    server's requests too: "could not reach http://127.0.0.1:…" named the proxy's port, and
    nothing said a proxy was in the way."""
    proxy = f"http://127.0.0.1:{free_port()}"  # a proxy that does not answer
    clean = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    # its user and password are not repeated (cron mails the output); a no_proxy that does not
    # name the server is not the proxy
    env = {
        **clean,
        "http_proxy": proxy.replace("http://", "HTTP://office:Secr3t@"),
        "no_proxy": "lan.x",
    }

    proc = submit(server.url, TOKEN, tmp_path, env=env)

    assert proc.returncode == 1
    assert "Secr3t" not in proc.stderr and "office" not in proc.stderr
    said = f"through the proxy of the environment (http_proxy={proxy.replace('http', 'HTTP')}): "
    said += "a server on the LAN is "
    assert said + "reached without it with no_proxy=127.0.0.1" in proc.stderr
    assert proc.stderr.count(said) == 2  # at the check, and at the end
    # named in no_proxy (as curl reads it: a list, a network), the server is reached
    for no_proxy in ("127.0.0.1", "example.com, 127.0.0.0/8", "*"):
        proc = submit(server.url, TOKEN, tmp_path, env={**env, "no_proxy": no_proxy})
        assert proc.returncode == 0, (no_proxy, proc.stderr)
        assert "through the proxy" not in proc.stderr
    # the server down, a proxy set and the server left out of it: no proxy to blame
    down = f"http://127.0.0.1:{free_port()}/api/benchmark"
    proc = submit(down, TOKEN, tmp_path, env={**env, "NO_PROXY": "127.0.0.1", "no_proxy": ""})
    assert proc.returncode == 1 and "could not reach" in proc.stderr
    assert "through the proxy" not in proc.stderr


@pytest.mark.parametrize("server", [(200, json.dumps(ANSWER).encode())], indirect=True)
def test_a_submission_stored_before_is_said_so(server, tmp_path):
    """The server answers 200 with the stored ids to a submission_id it has: a resend, or a
    retry whose first answer was lost."""
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "already stored, sent before: global score 45.26" in proc.stderr


def measure_nothing(server_url: str, cwd):
    """A live run that measures nothing (the inventory alone, a few seconds): its times are
    read from the clock now, as a benchmarking run's are."""
    skips = ("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network", "--skip-gpu")
    return run_bench(
        *("--server", server_url, "--token", TOKEN, "--retries", "0", "--no-wait-idle"),
        *(*skips, "--device", "clock-box"),
        cwd=cwd,
        timeout=120,
    )


def sent_conditions(server) -> dict:
    return json.loads(server.requests[-1]["body"])["results"]["conditions"]


def assert_dated_on_the_servers_clock(server) -> None:
    """The run sent was dated on the server's clock (server.clock_offset ahead of this one)."""
    conditions = sent_conditions(server)
    assert conditions["clock_offset_s"] == pytest.approx(server.clock_offset, abs=3)
    started = datetime.fromisoformat(conditions["started_at"].replace("Z", "+00:00"))
    finished = datetime.fromisoformat(conditions["finished_at"].replace("Z", "+00:00"))
    on_the_servers_clock = datetime.now(UTC) + timedelta(seconds=server.clock_offset)
    assert abs((started - on_the_servers_clock).total_seconds()) < 60
    assert timedelta(0) <= finished - started < timedelta(seconds=60)  # on the same clock


def test_a_clock_far_off_the_servers_is_said_and_the_run_dated_by_the_servers(server, tmp_path):
    """A flat CMOS battery: the machine reads 1970, or days behind. The server files a run where
    its started_at says (the contract's run_at), so such a run was never the latest and its
    SMART FAILED disk was never the disk's latest reading."""
    server.clock_offset = 3 * 86400 + 600  # the server reads 3 days and 10 minutes later

    proc = measure_nothing(server.url, tmp_path)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "3 days behind the server's: the run is dated by the server's clock" in proc.stderr
    assert "timedatectl set-ntp true" in proc.stderr
    assert_dated_on_the_servers_clock(server)


def test_a_clock_far_off_is_checked_again_when_the_server_did_not_answer_at_first(server, tmp_path):
    """A machine booting with its clock at 1970 and its network not up yet: the check before
    the run did not reach the server, its clock was never read, and the run was filed in 1970."""
    server.clock_offset = 3 * 86400 + 600
    server.options_unanswered = 1  # the check before the run

    proc = measure_nothing(server.url, tmp_path)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "does not answer now" in proc.stderr
    assert "3 days behind the server's: the run is dated by the server's clock" in proc.stderr
    assert len(server.checks) == 2  # asked again before the submission was built
    assert_dated_on_the_servers_clock(server)


def test_a_run_started_on_a_clock_set_right_since_is_dated_by_the_servers(server, tmp_path):
    """NTP sets the clock during the run: the clock reads right when the server answers, but
    the run's started_at was taken in 1970."""
    server.options_unanswered = 1
    shim = tmp_path / "bin"  # the clock reads 1970 at the run's start only
    shim.mkdir()
    (shim / "date").write_text(
        f'#!/bin/sh\nif [ "$*" = +%s ] && [ ! -e {tmp_path}/set ]; then\n'
        f"  : > {tmp_path}/set; echo 250; exit 0\nfi\n"
        f'exec {shutil.which("date")} "$@"\n'
    )
    (shim / "date").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}
    skips = ("--skip-cpu", "--skip-memory", "--skip-disk", "--skip-network", "--skip-gpu")
    proc = run_bench(
        *("--server", server.url, "--token", TOKEN, "--retries", "0", "--no-wait-idle"),
        *(*skips, "--device", "clock-box"),
        cwd=tmp_path,
        env=env,
        timeout=120,
    )

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "this machine's clock read 1970-01-01T00:04:10Z when the run started" in proc.stderr
    assert "(it was set right since): the run is dated by the server's clock" in proc.stderr
    conditions = sent_conditions(server)
    assert conditions["clock_offset_s"] == pytest.approx(time.time() - 250, abs=60)
    started = datetime.fromisoformat(conditions["started_at"].replace("Z", "+00:00"))
    assert abs((started - datetime.now(UTC)).total_seconds()) < 60


@pytest.mark.parametrize(
    "date_header",
    [
        "0",  # date -d reads it as today's midnight
        "next year",
        "Thu, 01 Dec 1994 16:00:00 GMT",  # a stale cache's: before this script
    ],
)
def test_a_date_header_that_is_no_clock_is_not_gone_by(server, tmp_path, date_header):
    server.date_header = date_header

    proc = measure_nothing(server.url, tmp_path)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "this machine's clock" not in proc.stderr
    conditions = sent_conditions(server)
    assert conditions["clock_offset_s"] is None  # not checked
    started = datetime.fromisoformat(conditions["started_at"].replace("Z", "+00:00"))
    assert abs((started - datetime.now(UTC)).total_seconds()) < 60


def test_a_clock_right_to_a_minute_dates_the_run_by_itself(server, tmp_path):
    server.clock_offset = 50  # within the 2 minutes a clock may be off

    proc = measure_nothing(server.url, tmp_path)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "this machine's clock" not in proc.stderr
    # nothing measured, nothing sampled: the summary said "busy before - %"
    assert "busy before not sampled, steal" in proc.stderr
    conditions = sent_conditions(server)
    assert conditions["clock_offset_s"] == 0
    started = datetime.fromisoformat(conditions["started_at"].replace("Z", "+00:00"))
    assert abs((started - datetime.now(UTC)).total_seconds()) < 60


def test_a_kept_submission_is_sent_again_with_resend(server, tmp_path):
    server.script = [(500, b'{"detail": "Internal error"}', {})]
    failed = submit(server.url, TOKEN, tmp_path)
    [kept] = kept_files(tmp_path)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)

    proc = run_bench(
        *("--resend", str(kept), "--server", server.url, "--token-file", str(token_file)),
        cwd=tmp_path,
        timeout=60,
    )

    assert failed.returncode == 1 and proc.returncode == 0, proc.stderr
    assert f"sending {kept} to {server.url}" in proc.stderr
    assert "[1/" not in proc.stderr  # nothing run
    sent = kept.with_name(kept.name + ".sent")
    assert server.requests[-1]["body"] == sent.read_bytes()  # as kept, byte for byte
    # stored: renamed, so that no later run says it unsent (nothing deleted, no second copy)
    assert kept_files(tmp_path) == [] and f"renamed {sent}" in proc.stderr


def test_a_run_that_reaches_the_server_says_what_earlier_runs_kept_unsent(server, tmp_path):
    """A cron job's failed runs were kept in its working directory and never mentioned again:
    nobody knew to send them."""
    down = f"http://127.0.0.1:{free_port()}/api/benchmark"
    assert submit(down, TOKEN, tmp_path).returncode == 1
    [kept] = kept_files(tmp_path)

    proc = submit(server.url, TOKEN, tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert "1 submission(s) kept by earlier runs have not been sent:" in proc.stderr
    assert f"  {kept}\n" in proc.stderr and f"--resend {kept}" in proc.stderr


def test_run_with_sudo_the_command_that_resends_says_sudo(tmp_path):
    """The kept file is root's alone (mode 600): the printed command, run as the user who typed
    sudo, failed with "cannot read"."""
    down = f"http://127.0.0.1:{free_port()}/api/benchmark"
    env = {**os.environ, "SUDO_USER": "anna"}
    proc = submit(down, TOKEN, tmp_path, env=env)
    assert proc.returncode == 1
    [kept] = kept_files(tmp_path)
    if os.geteuid() == 0:
        assert f"sudo bash {SCRIPT} --resend {kept}" in proc.stderr
    else:  # not root: the file is the user's own
        assert f"\n  bash {SCRIPT} --resend {kept}" in proc.stderr


@pytest.mark.parametrize("text", ['{"hello": 1}', ""])
def test_resend_takes_a_submission_only(tmp_path, text):
    """An empty file (a copy cut short by a full disk) was sent, as jq 1.6 says true of it."""
    other = tmp_path / "notes.json"
    other.write_text(text)
    proc = run_bench("--resend", str(other), "--server", "http://127.0.0.1:9", "--token", "t")
    assert proc.returncode == 2
    assert "is not a submission" in proc.stderr


def test_a_copy_the_disk_cut_short_is_removed_and_the_run_kept_elsewhere(tmp_path):
    """The working directory's disk full: its copy was left empty, then offered by every later
    run for --resend, which sent nothing and kept it again. A `cat` that writes nothing into
    that directory stands for the full disk."""
    full, spare, bindir = tmp_path / "full", tmp_path / "tmp", tmp_path / "bin"
    for directory in (full, spare, bindir):
        directory.mkdir()
    (bindir / "cat").write_text(
        f'#!/bin/bash\n[[ $(readlink /proc/$$/fd/1) == {full}/* ]] && exit 1\nexec /bin/cat "$@"\n'
    )
    (bindir / "cat").chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "TMPDIR": str(spare)}
    down = f"http://127.0.0.1:{free_port()}/api/benchmark"

    proc = submit(down, TOKEN, full, env=env)

    assert proc.returncode == 1
    assert list(full.iterdir()) == []
    [kept] = kept_files(spare)
    assert json.loads(kept.read_text())["device_identifier"] == "fileserver"
    assert f"kept in {kept}" in proc.stderr


@pytest.mark.parametrize("how", ["file", "environment"])
def test_the_token_can_stay_out_of_the_command_line(server, tmp_path, how):
    """Every user of the machine reads a command's arguments (ps) for the whole run."""
    token_file = tmp_path / "bench-token"
    token_file.write_text(f"  {TOKEN}\r\n")  # written on Windows, or with spaces
    env = {key: value for key, value in os.environ.items() if key != "BENCH_TOKEN"}
    if how == "file":
        args = ("--token-file", str(token_file))
    else:
        args, env["BENCH_TOKEN"] = (), TOKEN
    proc = run_bench(
        *("--from-dir", CAPTURE, "--server", server.url, *args), cwd=tmp_path, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    if how == "file":  # readable by the machine's other users (0644 by the default umask)
        assert f"other users may read '{token_file}'" in proc.stderr


def test_the_token_file_may_be_a_pipe(server, tmp_path):
    """--token-file <(pass show bench): the token in no file at all (it asked for a regular
    file, and refused the pipe)."""
    env = {key: value for key, value in os.environ.items() if key != "BENCH_TOKEN"}
    proc = subprocess.run(
        [
            "bash",
            "-c",
            f'bash "$0" --from-dir {CAPTURE} --server {server.url} --token-file <(echo "$1")',
            str(SCRIPT),
            TOKEN,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_https_to_a_plain_http_server_says_which_to_use_before_measuring(server, tmp_path):
    url = server.url.replace("http://", "https://")
    proc = submit(url, TOKEN, tmp_path)
    assert proc.returncode == 1
    assert "the server speaks plain HTTP: give --server http://..." in proc.stderr
    # said at the check: the benchmarks ran, then the run failed and was kept
    assert "nothing was measured" in proc.stderr and "[1/" not in proc.stderr
    assert server.requests == [] and kept_files(tmp_path) == []


def test_a_url_curl_cannot_use_stops_at_the_check(tmp_path):
    proc = submit("http://127.0.0.1:99999/api/benchmark", TOKEN, tmp_path)
    assert proc.returncode == 1
    assert "cannot be reached as given" in proc.stderr and "(curl exit 3)" in proc.stderr
    assert "nothing was measured" in proc.stderr and "[1/" not in proc.stderr
    assert kept_files(tmp_path) == []


def test_a_url_pasted_with_spaces_or_a_windows_line_end_is_used_without_them(server, tmp_path):
    proc = submit(f" {server.url}\r", TOKEN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [request["path"] for request in server.requests] == ["/api/benchmark"]


def test_a_server_that_redirects_stops_at_the_check_with_the_address(server, tmp_path):
    """An http:// server that sends everyone to https://: the run measured for minutes, then
    its POST met the redirect."""
    server.options_status = 301
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 1
    assert f"the server redirects {server.url} (HTTP 301) to https://bench.lan/api/benchmark" in (
        proc.stderr
    )
    assert "give --server https://bench.lan/api/benchmark" in proc.stderr
    assert "[1/" not in proc.stderr and server.requests == []


def test_a_server_named_by_a_page_of_its_admin_is_told_its_endpoint(server, tmp_path):
    """--server http://HOST:8007/admin/ met the admin's redirect to its login page, a path, and
    bench.sh said "give --server /admin/login/?next=/admin/", which is no --server at all."""
    server.options_status = 302
    server.options_location = "/admin/login/?next=/admin/"
    origin = server.url.removesuffix("/api/benchmark")
    proc = submit(f"{origin}/admin/", TOKEN, tmp_path)
    assert proc.returncode == 1
    assert "to /admin/login/?next=/admin/: nothing was measured" in proc.stderr
    assert f"give --server {origin}/api/benchmark" in proc.stderr
    assert "give --server /admin" not in proc.stderr and server.requests == []


def test_the_one_liners_script_address_given_as_server_stops_at_the_check(server, tmp_path):
    """--server http://HOST:8007/bench.sh, pasted from the one-liner: its 405 to the check was
    taken for a proxy's, the run measured for minutes, and its POST was refused (405)."""
    server.options_status = 405
    server.options_allow = "GET, HEAD"
    origin = server.url.removesuffix("/api/benchmark")
    proc = submit(f"{origin}/bench.sh", TOKEN, tmp_path)
    assert proc.returncode == 1
    assert f"{origin}/bench.sh takes no submission (HTTP 405: it allows GET, HEAD)" in proc.stderr
    assert f"give --server {origin}/api/benchmark" in proc.stderr
    assert "[1/" not in proc.stderr and server.requests == []


@pytest.mark.parametrize("status", [405, 403])
def test_a_proxy_that_lets_no_options_through_is_warned_of_not_taken_for_a_refusal(
    server, tmp_path, status
):
    """nginx's limit_except answers OPTIONS itself: its 403 was read as "this token may not
    submit" and the run stopped, though the POST would have been taken."""
    server.options_status = status
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"the server answered HTTP {status} to a check of {server.url}" in proc.stderr
    assert "benchmarking anyway" in proc.stderr and len(server.requests) == 1


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no CA signed, and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench.example.lan")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_a_certificate_this_machine_does_not_trust_is_said_with_what_to_do(tmp_path):
    """A private CA's or a self-signed certificate behind the README's TLS proxy: curl's
    "(60) SSL certificate problem" alone, with no word of what to do."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}/api/benchmark"
        proc = submit(url, TOKEN, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 1
    assert "(curl exit 60) (the server's certificate is not trusted here: put its CA in" in (
        proc.stderr
    ), proc.stderr
    assert "update-ca-certificates" in proc.stderr and "nothing was measured" in proc.stderr


def test_a_redirect_to_a_login_page_of_another_host_is_not_offered_as_the_server(server, tmp_path):
    """A POST sent to an SSO's login page (a proxy answering OPTIONS itself): the commands to
    send the kept submission again named that host, the token file with them."""
    login = "https://sso.example.com/oauth2/start?rd=%2Fapi%2Fbenchmark"
    server.script = [(302, b"", {"Location": login})]

    proc = submit(server.url, TOKEN, tmp_path)

    assert proc.returncode == 1
    assert f"a redirect to {login}, not the API (a login page in front of the server?)" in (
        proc.stderr
    )
    assert "sso.example.com/api/benchmark" not in proc.stderr
    assert f"--server {server.url} --token-file" in proc.stderr


@pytest.mark.parametrize(
    ("location", "offered"),
    [
        # on the server's own host, relative as oauth2-proxy writes it: --server itself, no
        # more ("give --server" what was given, it said)
        ("/oauth2/start?rd=%2Fapi%2Fbenchmark", None),
        ("login/?next=/api/benchmark", None),
        # a login service on another port of the server's host (Authelia's :9091): the token
        # is not for it, nor is it the server (it was offered as --server, the token with it)
        ("http://127.0.0.1:{other_port}/login?rd=/api/benchmark", None),
        ("https://127.0.0.1:{other_port}/", None),
        # http:// sent to the https:// of the server's name, a proxy in front: the server
        ("https://127.0.0.1/admin/", "https://127.0.0.1/api/benchmark"),
        # the API elsewhere, written relative or with a trailing slash: offered
        ("//bench.example/api/benchmark", "http://bench.example/api/benchmark"),
        ("https://bench.example/api/benchmark/", "https://bench.example/api/benchmark"),
    ],
)
def test_a_redirect_before_the_run_offers_the_api_it_points_at_and_no_page(
    server, tmp_path, location, offered
):
    other_port = urllib.parse.urlsplit(server.url).port + 1
    location = location.format(other_port=other_port)
    server.options_status, server.options_location = 302, location
    proc = submit(server.url, TOKEN, tmp_path)
    assert proc.returncode == 1 and "nothing was measured" in proc.stderr
    if offered:
        assert f"give --server {offered}" in proc.stderr, proc.stderr
    else:
        assert "not the API (a login page in front of the server?)" in proc.stderr, proc.stderr
        assert f"give --server {server.url}" not in proc.stderr
