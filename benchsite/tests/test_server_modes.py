"""Both documented server modes serve the API: gthread (the default) and uvicorn's worker."""

import json
import urllib.request

import pytest

from benchsite.livetest import live_server

pytestmark = pytest.mark.live


def call(server, method, path, body=None):
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
        return response.status, json.loads(response.read())


@pytest.mark.parametrize("worker_class", [None, "uvicorn_worker.UvicornWorker"])
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
