"""Documents through the real server (gunicorn with uvicorn's worker, as the README runs it)."""

import http.client
import json
import uuid
from urllib.parse import urlsplit

import pytest

from benchsite.livetest import live_server

from . import files

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("docs"), extra_env={"MAX_UPLOAD_MB": "1"}) as server:
        yield server


def connect(live) -> http.client.HTTPConnection:
    parts = urlsplit(live.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def request(live, method, path, body=None, headers=None):
    conn = connect(live)
    try:
        conn.request(
            method,
            path,
            body=body,
            headers={"Authorization": f"Bearer {live.token}", **(headers or {})},
        )
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def multipart(content: bytes, name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\n'
        f"manual\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture(scope="module")
def device_id(live):
    document = {"device_identifier": "live-docs", "results": {"cpu": {"score": 100}}}
    response, body = request(
        live,
        "POST",
        "/api/benchmark",
        json.dumps(document),
        {"Content-Type": "application/json"},
    )
    assert response.status == 201, body
    return json.loads(body)["device_id"]


def test_a_pdf_goes_up_and_comes_back_byte_identical(live, device_id):
    content = files.pdf_bytes("live server")
    body, content_type = multipart(content, "Übersicht.pdf")

    response, answer = request(
        live, "POST", f"/api/devices/{device_id}/docs", body, {"Content-Type": content_type}
    )
    assert response.status == 201, answer
    document = json.loads(answer)

    response, downloaded = request(live, "GET", urlsplit(document["download_url"]).path)
    assert response.status == 200
    assert downloaded == content
    assert response.getheader("Content-Type") == "application/pdf"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert "filename*=UTF-8''%C3%9Cbersicht.pdf" in response.getheader("Content-Disposition")


def test_an_announced_oversized_upload_is_refused_before_its_body_is_sent(live, device_id):
    conn = connect(live)
    conn.putrequest("POST", f"/api/devices/{device_id}/docs")
    conn.putheader("Authorization", f"Bearer {live.token}")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(512 * 1024 * 1024))
    conn.endheaders()  # and not one byte of the 512 MiB

    try:
        response = conn.getresponse()
        assert response.status == 413
        assert "detail" in json.loads(response.read())
    finally:
        conn.close()


def test_a_dangerous_file_is_refused_by_the_real_server_too(live, device_id):
    body, content_type = multipart(files.pe_bytes(), "manual.pdf")
    response, answer = request(
        live, "POST", f"/api/devices/{device_id}/docs", body, {"Content-Type": content_type}
    )
    assert response.status == 415, answer
