"""The real server (gunicorn, 2 workers) under a burst of concurrent submissions."""

import copy
import json
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchsite.livetest import live_server

pytestmark = pytest.mark.live

THREADS = 16
SUBMISSIONS = 320


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("live")) as live:
        yield live


def request(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        server.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_concurrent_submissions_are_all_stored(server, example_document):
    before = request(server, "GET", "/api/stats")[1]

    def submit(i):
        document = copy.deepcopy(example_document)
        document["device_identifier"] = f"fleet-{i % 40:02d}"
        document["submission_id"] = str(uuid.uuid4())
        document["hardware"]["system"] = {"machine_id": f"{i % 40:032x}"}
        document["results"]["cpu"]["score"] = float(i)
        return request(server, "POST", "/api/benchmark", document)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(submit, range(SUBMISSIONS)))

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: SUBMISSIONS}, [r for r in results if r[0] != 201][:3]
    stats = request(server, "GET", "/api/stats")[1]
    assert stats["benchmarks"] - before["benchmarks"] == SUBMISSIONS
    assert stats["devices"] - before["devices"] == 40


def test_first_submissions_racing_for_one_new_hostname_make_one_device(server):
    barrier = threading.Barrier(THREADS)

    def submit(i):
        barrier.wait()
        return request(
            server,
            "POST",
            "/api/benchmark",
            {"device_identifier": "Race-Host" if i % 2 else "race-host"},
        )

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(submit, range(THREADS)))

    assert [status for status, _ in results] == [201] * THREADS, results
    assert len({body["device_id"] for _, body in results}) == 1
    devices = request(server, "GET", "/api/devices?search=race-host")[1]
    assert devices["count"] == 1


def test_one_submission_retried_concurrently_is_stored_once(server):
    document = {
        "device_identifier": "retry-box",
        "submission_id": str(uuid.uuid4()),
        "results": {"cpu": {"score": 50}},
    }
    barrier = threading.Barrier(8)

    def submit(_):
        barrier.wait()
        return request(server, "POST", "/api/benchmark", document)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(submit, range(8)))

    assert sorted(status for status, _ in results) == [200] * 7 + [201]
    assert len({body["benchmark_id"] for _, body in results}) == 1
    device_id = results[0][1]["device_id"]
    history = request(server, "GET", f"/api/devices/{device_id}/benchmarks")[1]
    assert history["count"] == 1
