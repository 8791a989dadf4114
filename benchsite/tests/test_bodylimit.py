"""benchsite.bodylimit: an oversized body is refused before Django stores it (ASGI); a chunked
body reaches Django with its length (ASGI and WSGI)."""

import asyncio
import io
import json
import socket
import threading

from asgiref.sync import async_to_sync
from django.test import override_settings

from benchsite.asgi import application
from benchsite.bodylimit import RequestBodyLimit, RequestBodyLimitWSGI, largest_body_bytes

LIMIT = 1000
BLOCK = 65536


def run(app, *, headers=(), chunks=(b"",), read_in_all=None):
    """Drive an ASGI app with one request; returns (status, body, chunks read before the answer
    began). `read_in_all`, a list: given the chunks read by the end, the answer's included."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    read, sent, read_before = [], [], []

    async def receive():
        if not messages:
            return {"type": "http.disconnect"}
        read.append(messages[0])
        return messages.pop(0)

    async def send(message):
        if message["type"] == "http.response.start":
            read_before.append(len(read))
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/devices/1/docs",
        "raw_path": b"/api/devices/1/docs",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    async_to_sync(app)(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert not sent[-1].get("more_body"), "the answer was left unfinished"
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    if read_in_all is not None:
        read_in_all.append(len(read))
    return start["status"], body, read_before[0]


class Echo:
    """Reads the whole body like Django does, then answers 200 with its size."""

    def __init__(self):
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called = True
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # Django's ASGIHandler: RequestAborted, nothing sent
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})


def test_a_declared_length_over_the_limit_is_refused_without_calling_the_app():
    """The 413 goes out first, then what is sent of the body is read and dropped before the
    connection closes: closed on a body still arriving, the kernel's reset could reach the
    client before the 413 (a browser showed "connection reset", 2 uploads in 10)."""
    echo = Echo()
    app = RequestBodyLimit(echo, max_bytes=lambda: LIMIT)

    in_all = []
    status, body, read = run(
        app, headers=[(b"content-length", b"40000")], chunks=[b"x" * 400] * 100, read_in_all=in_all
    )

    assert status == 413 and "larger than this server accepts" in json.loads(body)["detail"]
    assert not echo.called and read == 0
    assert in_all == [100]


def test_a_client_waiting_for_100_continue_is_refused_without_reading():
    app = RequestBodyLimit(Echo(), max_bytes=lambda: LIMIT)

    in_all = []
    status, _, _ = run(
        app,
        headers=[(b"content-length", b"10737418240"), (b"expect", b"100-continue")],
        chunks=[b"x" * 400] * 100,
        read_in_all=in_all,
    )

    assert (status, in_all) == (413, [0])
    # one told to go on (its chunked body read, which has the server send `100 Continue`)
    # sends it all: read and dropped, where it met "connection reset"
    in_all = []
    status, _, _ = run(
        app,
        headers=[*CHUNKED, (b"expect", b"100-continue")],
        chunks=[b"x" * 400] * 100,
        read_in_all=in_all,
    )
    assert (status, in_all) == (413, [100])


def test_a_body_sent_on_and_on_is_read_no_longer_than_the_drain_allows(monkeypatch):
    monkeypatch.setattr("benchsite.bodylimit.DRAIN_S", 0.2)
    sent = []

    async def endless():  # a client that goes on sending
        await asyncio.sleep(0.01)
        return {"type": "http.request", "body": b"x" * 400, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", b"10737418240")], "path": "/"}
    app = RequestBodyLimit(Echo(), max_bytes=lambda: LIMIT)
    async_to_sync(app)(scope, endless, send)

    assert sent[0]["status"] == 413 and sent[-1] == {"type": "http.response.body", "body": b""}


def test_a_chunked_body_is_cut_once_it_passes_the_limit():
    app = RequestBodyLimit(Echo(), max_bytes=lambda: LIMIT)

    status, _, read = run(app, chunks=[b"x" * 400] * 100)

    assert status == 413
    assert read == 3  # of 100 chunks sent


def test_a_body_within_the_limit_reaches_the_app_untouched():
    app = RequestBodyLimit(Echo(), max_bytes=lambda: LIMIT)

    status, body, _ = run(
        app, headers=[(b"content-length", b"1000")], chunks=[b"x" * 500, b"y" * 500]
    )

    assert (status, body) == (200, b"1000")


def test_the_largest_limit_is_a_document_upload_with_its_envelope(settings):
    settings.MAX_UPLOAD_MB = 3
    settings.MAX_SUBMISSION_KB = 1024
    assert 3 * 1024 * 1024 < largest_body_bytes() < 4 * 1024 * 1024


def test_the_served_asgi_application_applies_it(settings):
    settings.MAX_UPLOAD_MB = 1

    status, _, read = run(application, headers=[(b"content-length", str(64 * 1024**2).encode())])

    assert status == 413 and read == 0


CHUNKED = [(b"transfer-encoding", b"chunked")]


class Recorder:
    """Reads the whole body, then answers 200; keeps the headers and the body it was given."""

    async def __call__(self, scope, receive, send):
        self.headers = dict(scope["headers"])
        self.body = b""
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_a_chunked_body_within_the_limit_reaches_the_app_with_its_length():
    recorder = Recorder()
    app = RequestBodyLimit(recorder, max_bytes=lambda: LIMIT)

    status, _, _ = run(app, headers=CHUNKED, chunks=[b"x" * 300, b"y" * 300, b""])

    assert status == 200
    assert recorder.body == b"x" * 300 + b"y" * 300
    assert recorder.headers[b"content-length"] == b"600"
    assert b"transfer-encoding" not in recorder.headers


def test_an_empty_chunked_body_reaches_the_app_at_once():
    recorder = Recorder()

    status, _, _ = run(RequestBodyLimit(recorder, max_bytes=lambda: LIMIT), headers=CHUNKED)

    assert (status, recorder.body, recorder.headers[b"content-length"]) == (200, b"", b"0")


def test_a_chunked_body_over_the_limit_is_refused_before_the_app_runs():
    recorder = Recorder()
    app = RequestBodyLimit(recorder, max_bytes=lambda: LIMIT)

    status, body, read = run(app, headers=CHUNKED, chunks=[b"x" * 400] * 100)

    assert status == 413 and "larger than this server accepts" in json.loads(body)["detail"]
    assert read == 3 and not hasattr(recorder, "body")


def wsgi_call(app, body: bytes, read_in_all=None, **environ):
    """(status and headers, content, bytes of the body read before the answer began);
    `read_in_all`, a list: given the bytes read by the end, once the server closed the answer."""
    started, read_before = [], []
    stream = io.BytesIO(body)
    environ = {"REQUEST_METHOD": "POST", "wsgi.input": stream, **environ}

    def start_response(status, headers):
        read_before.append(stream.tell())
        started.append((status, dict(headers)))

    response = app(environ, start_response)
    content = b"".join(response)
    if hasattr(response, "close"):
        response.close()
    if read_in_all is not None:
        read_in_all.append(stream.tell())
    return started[0], content, read_before[0]


def wsgi_echo(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)  # what Django reads
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("X-Length", environ.get("CONTENT_LENGTH", "none"))])
    return [body]


def test_a_chunked_body_is_taken_up_to_the_limit_and_refused_one_byte_past_it():
    app = RequestBodyLimit(Echo(), max_bytes=lambda: LIMIT)

    taken, body, _ = run(app, headers=CHUNKED, chunks=[b"x" * 600, b"x" * (LIMIT - 600)])
    refused, _, _ = run(app, headers=CHUNKED, chunks=[b"x" * 600, b"x" * (LIMIT - 599)])

    assert (taken, body, refused) == (200, str(LIMIT).encode(), 413)


def test_wsgi_a_chunked_body_is_taken_up_to_the_limit_and_refused_one_byte_past_it():
    app = RequestBodyLimitWSGI(wsgi_echo, max_bytes=lambda: LIMIT)

    (taken, headers), content, _ = wsgi_call(app, b"z" * LIMIT, HTTP_TRANSFER_ENCODING="chunked")
    (refused, _), _, _ = wsgi_call(app, b"z" * (LIMIT + 1), HTTP_TRANSFER_ENCODING="chunked")

    assert (taken, headers["X-Length"], len(content)) == ("200 OK", str(LIMIT), LIMIT)
    assert refused.startswith("413")


def test_wsgi_a_chunked_body_is_given_its_length():
    app = RequestBodyLimitWSGI(wsgi_echo, max_bytes=lambda: LIMIT)

    (status, headers), content, _ = wsgi_call(
        app, b"a" * 700 + b"b" * 300, HTTP_TRANSFER_ENCODING="chunked"
    )

    assert (status, headers["X-Length"], content) == ("200 OK", "1000", b"a" * 700 + b"b" * 300)


def test_wsgi_a_chunked_body_over_the_limit_is_a_413_and_not_read_to_the_end():
    app = RequestBodyLimitWSGI(wsgi_echo, max_bytes=lambda: LIMIT)

    (status, headers), content, consumed = wsgi_call(
        app, b"z" * 10_000_000, HTTP_TRANSFER_ENCODING="chunked"
    )

    assert status.startswith("413") and headers["Connection"] == "close"
    assert "larger than this server accepts" in json.loads(content)["detail"]
    assert consumed < 200 * 1024


def test_wsgi_a_body_with_a_length_within_the_limit_is_left_alone():
    app = RequestBodyLimitWSGI(wsgi_echo, max_bytes=lambda: LIMIT)

    (status, headers), content, _ = wsgi_call(app, b"q" * 1000, CONTENT_LENGTH="1000")

    assert (status, headers["X-Length"], len(content)) == ("200 OK", "1000", 1000)


def test_the_served_wsgi_application_refuses_a_declared_length_over_the_limit_unread(settings):
    """The default server (gunicorn's gthread): Django's CSRF check read the form of any POST,
    and wrote its file parts to a temporary file, before answering an anonymous client 403."""
    from benchsite.wsgi import application as wsgi_application

    settings.MAX_UPLOAD_MB = 1
    size = largest_body_bytes() + 1
    head = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head + b"x" * (size - len(head) - 9) + b"\r\n--B--\r\n"

    in_all = []
    (status, headers), content, read = wsgi_call(
        wsgi_application,
        body,
        in_all,
        PATH_INFO="/admin/login/",
        SERVER_NAME="testserver",
        SERVER_PORT="80",
        REMOTE_ADDR="10.0.0.9",
        CONTENT_TYPE="multipart/form-data; boundary=B",
        CONTENT_LENGTH=str(len(body)),
        HTTP_COOKIE="csrftoken=" + "a" * 32,
    )

    assert status.startswith("413") and headers["Connection"] == "close"
    assert "larger than this server accepts" in json.loads(content)["detail"]
    # read (and dropped) once answered: a connection closed on a body still arriving is reset
    assert read == 0 and in_all == [len(body)]


def test_a_browser_is_answered_a_page_it_can_go_back_from():
    """A form of the admin sent over the limit with scripts off (documents/uploads.js stops it
    otherwise) showed the API's JSON alone: a browser, which asks for HTML, gets a page naming
    the limit with a link back to the form; a script still gets the JSON."""
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    wsgi = RequestBodyLimitWSGI(wsgi_echo, max_bytes=lambda: 50 * 1024 * 1024)
    form = "/admin/inventory/device/7/change/"

    (status, headers), content, _ = wsgi_call(
        wsgi, b"", CONTENT_LENGTH=str(200 * 1024 * 1024), PATH_INFO=form, HTTP_ACCEPT=browser
    )
    (_, scripted), json_body, _ = wsgi_call(
        wsgi, b"", CONTENT_LENGTH=str(200 * 1024 * 1024), PATH_INFO=form, HTTP_ACCEPT="*/*"
    )
    asgi_status, asgi_page, _ = run(
        RequestBodyLimit(Echo(), max_bytes=lambda: LIMIT),
        headers=[(b"content-length", b"5000"), (b"accept", browser.encode())],
    )

    assert status.startswith("413") and headers["Content-Type"] == "text/html; charset=utf-8"
    page = content.decode()
    assert "larger than this server accepts (50 MB)" in page and "Nothing was saved" in page
    assert f'<a href="{form}">Back to the page</a>' in page
    assert scripted["Content-Type"] == "application/json"
    assert "(50 MB)" in json.loads(json_body)["detail"]
    assert asgi_status == 413 and b'<a href="/api/devices/1/docs">' in asgi_page
    # a request for "//evil.example/x" (or what a browser reads as it) is linked back to
    # this server's /evil.example/x
    for sent in (
        "//evil.example/x",
        "/\\evil.example/x",
        "/\t/evil.example/x",
        "/\n/evil.example/x",
    ):
        (_, _), elsewhere, _ = wsgi_call(
            wsgi, b"", CONTENT_LENGTH="999999999", PATH_INFO=sent, HTTP_ACCEPT=browser
        )
        assert b'<a href="/evil.example/x">' in elsewhere, sent
    # a path's own characters, as sent (WSGI gives its bytes as Latin-1)
    (_, _), accented, _ = wsgi_call(
        wsgi, b"", CONTENT_LENGTH="999999999", PATH_INFO="/admin/caf\xc3\xa9/", HTTP_ACCEPT=browser
    )
    assert b'<a href="/admin/caf%C3%A9/">' in accented


class GunicornResponse:
    """What gunicorn's start_response is bound to: force_close() closes the connection after."""

    def __init__(self):
        self.closed = False

    def force_close(self):
        self.closed = True

    def start_response(self, status, headers, exc_info=None):
        self.status = status


def test_wsgi_an_answer_that_leaves_a_large_body_unread_closes_its_connection():
    """gunicorn drops an app's Connection: close and, on gthread, kept the connection of a body
    it then gave up reading (past 64 KB): the client's next request on it failed
    (RemoteDisconnected), after a 401, 404 or 413 of an upload answered before its body."""
    big = 200 * 1024

    def refusing(environ, start_response):  # answers without reading the body
        start_response("401 Unauthorized", [])
        return [b"{}"]

    def reading(environ, start_response):  # reads it all, as a stored upload does
        environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response("201 Created", [])
        return [b"ok"]

    answered = {}
    for name, app, length in (
        ("over the limit", reading, big * 10),
        ("refused unread", refusing, big),
        ("read whole", reading, big),
        ("small, unread", refusing, 1000),  # what gunicorn reads out itself
    ):
        response = GunicornResponse()
        environ = {
            "REQUEST_METHOD": "POST",
            "wsgi.input": io.BytesIO(b"x" * length),
            "CONTENT_LENGTH": str(length),
        }
        limited = RequestBodyLimitWSGI(app, max_bytes=lambda: big * 2)
        b"".join(limited(environ, response.start_response))
        answered[name] = (response.status[:3], response.closed)

    assert answered == {
        "over the limit": ("413", True),
        "refused unread": ("401", True),
        "read whole": ("201", False),
        "small, unread": ("401", False),
    }


def test_wsgi_a_client_that_stops_sending_is_read_no_longer_than_the_drain_allows(monkeypatch):
    """After the 413, the rest of the body is read for DRAIN_S at most: a client that declared
    10 GB and went silent, or that sends a byte at a time (gunicorn's reader waited for whole
    blocks: hours), holds the server's thread no longer (gunicorn's socket, timed out), nor
    its main thread after (the socket shut for reading)."""
    monkeypatch.setattr("benchsite.bodylimit.DRAIN_S", 0.2)
    for trickling in (False, True):
        server, client = socket.socketpair()
        client.sendall(b"x" * 5000)  # then nothing more, or a byte every 20 ms
        stop = threading.Event()

        def trickle(client=client, stop=stop, trickling=trickling):
            while trickling and not stop.wait(0.02):
                client.sendall(b"x")

        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": "10737418240",
            "wsgi.input": server.makefile("rb"),
            "gunicorn.socket": server,
        }
        app = RequestBodyLimitWSGI(wsgi_echo, max_bytes=lambda: LIMIT)
        response = app(environ, lambda status, headers: None)
        sender = threading.Thread(target=trickle, daemon=True)
        closed = threading.Thread(target=response.close, daemon=True)
        try:
            sender.start()
            closed.start()
            closed.join(timeout=5)
            assert not closed.is_alive(), "still reading" + (" a trickle" if trickling else "")
            # and gunicorn's own graceful close, which reads on for 2 s on the worker's main
            # thread (every other connection waiting), finds the end at once
            server.settimeout(1)
            assert server.recv(BLOCK) == b""
        finally:
            stop.set()
            sender.join()
            server.close()
            client.close()


@override_settings(MAX_SUBMISSION_KB=1024)
def test_a_json_body_over_the_limit_is_said_over_the_json_limit_not_the_largest():
    """A 60 MB submission was told "larger than this server accepts (50 MB)", the documents'
    limit, where one of 2 MB was told the 1024 KiB a JSON body may be: said as the parser says
    it, under either server."""
    sent = str(60 * 1024 * 1024).encode()
    json_headers = [(b"content-type", b"application/json"), (b"content-length", sent)]
    status, body, _ = run(RequestBodyLimit(Echo(), max_bytes=lambda: LIMIT), headers=json_headers)
    (wsgi_status, _), content, _ = wsgi_call(
        RequestBodyLimitWSGI(wsgi_echo, max_bytes=lambda: LIMIT),
        b"{}",
        CONTENT_TYPE="application/json; charset=utf-8",
        CONTENT_LENGTH=sent.decode(),
    )

    said = "Request body is larger than the limit of 1024 KiB (61440 KiB sent)."
    assert (status, json.loads(body)) == (413, {"detail": said})
    assert wsgi_status.startswith("413") and json.loads(content) == {"detail": said}
