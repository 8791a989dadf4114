"""Request bodies as Django needs them: within the largest limit, and with a Content-Length.

Limit (ASGI). Django's ASGI handler reads a whole body (into a temporary file) before any view
runs, so the views' own limits (MAX_UPLOAD_MB for documents, MAX_SUBMISSION_KB for submissions)
would only answer after a 10 GB upload had been written to disk (perf/bodylimit.py measures
it). RequestBodyLimit answers the same 413 first: at once for a declared Content-Length over the
largest limit, and for a body without one as soon as it has passed that limit. Bodies within it
go to Django, where each endpoint applies its own, smaller limit.

Limit (WSGI). Django reads a body when a form's data is first asked for, by the CSRF check of
any POST among others, and writes a multipart file part to a temporary file whatever its size:
RequestBodyLimitWSGI answers 413 for a declared Content-Length over the largest limit before
that, and a chunked body is cut as under ASGI.

Chunked bodies (both servers). A body sent with `Transfer-Encoding: chunked` has no
Content-Length, and Django, DRF and the multipart parser all take a request without one for a
request without a body: a chunked submission arrived empty ("device_identifier required"). Such
a body is spooled here (memory, then a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE, as
Django's ASGI handler does with every body), refused with 413 once past the largest limit, and
handed on with its length, so every endpoint reads it like any other.
"""

import asyncio
import contextlib
import html
import json
import socket
import tempfile
import time
from functools import partial
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.conf import settings

MSG_TOO_LARGE = "Request body is larger than this server accepts ({limit} MB)."
BLOCK_BYTES = 64 * 1024
# how long the rest of a refused body is read (and dropped) after the 413 went out, before the
# connection closes: closed on a body still arriving, the kernel answers with a reset, which
# may reach the client before it has read the 413 (a browser showed "connection reset")
DRAIN_S = 3.0


def largest_body_bytes() -> int:
    """The largest body any endpoint accepts: a document upload with its multipart envelope,
    a benchmark submission, or an admin form."""
    from documents.http import MULTIPART_ENVELOPE_BYTES

    return max(
        settings.MAX_UPLOAD_MB * 1024 * 1024 + MULTIPART_ENVELOPE_BYTES,
        settings.MAX_SUBMISSION_KB * 1024,
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    )


def _too_large(
    limit: int, *, accept: str, path: str, content_type: str = "", declared: int | None = None
) -> tuple[bytes, bytes]:
    """The 413's content type and body: a page for a browser (a form of the admin sent over the
    limit with scripts off, which showed the JSON alone), the JSON body of the API otherwise.
    A JSON body (a submission, an edit) is said over the JSON parser's limit, as the parser
    says it: a 60 MB submission was told the server accepts 50 MB (a document's limit), where
    one of 2 MB was told 1024 KiB."""
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        from .exceptions import PayloadTooLarge

        said = str(PayloadTooLarge(declared, settings.MAX_SUBMISSION_KB * 1024).detail)
    else:
        said = MSG_TOO_LARGE.format(limit=limit // (1024 * 1024))
    # a path of this server, never "//host/…" (nor "/\\host", "/\t/host", which a browser
    # reads as one): a link to another site, on this server's page
    path = "/" + quote(path.lstrip("/\\\t\r\n "), safe="/%:@!$&'()*+,;=-._~")
    if "text/html" not in accept.lower():
        return b"application/json", json.dumps({"detail": said}).encode()
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Too large | Linux BenchTools</title></head><body>"
        f"<h1>Too large</h1><p>{html.escape(said)} Nothing was saved.</p>"
        f'<p><a href="{html.escape(path, quote=True)}">Back to the page</a> '
        "(what it held was not kept: choose smaller files, or fewer at a time).</p></body></html>"
    )
    return b"text/html; charset=utf-8", page.encode()


def _spool():
    return tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)


class RequestBodyLimit:
    def __init__(self, app, *, max_bytes=largest_body_bytes):
        self.app = app
        self.max_bytes = max_bytes  # read per request, so a settings change applies

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_bytes()
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            return await _refuse(scope, send, limit, receive)
        if declared is None and _is_chunked(scope):
            return await self._chunked(scope, receive, send, limit)
        received = 0
        exceeded = response_started = False

        async def limited_receive():
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django takes this for a client gone away: it stops reading and answers
                    # nothing, and the 413 below goes out instead.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message):
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if exceeded and not response_started:
            await _refuse(scope, send, limit, receive, asked=True)
        return None

    async def _chunked(self, scope, receive, send, limit: int) -> None:
        with _spool() as body:
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return  # the client went away: nobody to answer
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    await _refuse(scope, send, limit, receive, asked=True)
                    return
                if getattr(body, "_rolled", False):  # on disk: not on the event loop
                    await sync_to_async(body.write, thread_sensitive=False)(chunk)
                else:
                    body.write(chunk)
                if not message.get("more_body", False):
                    break
            body.seek(0)
            headers = [(k, v) for k, v in scope["headers"] if k != b"transfer-encoding"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(size).encode())]}
            remaining, delivered = size, False

            async def replay():
                nonlocal remaining, delivered
                if delivered:
                    return await receive()  # after the body: the disconnect, when it comes
                if getattr(body, "_rolled", False):
                    chunk = await sync_to_async(body.read, thread_sensitive=False)(BLOCK_BYTES)
                else:
                    chunk = body.read(BLOCK_BYTES)
                remaining -= len(chunk)
                delivered = remaining <= 0
                return {"type": "http.request", "body": chunk, "more_body": not delivered}

            await self.app(scope, replay, send)


class RequestBodyLimitWSGI:
    """The same for WSGI (gunicorn's threaded worker, the default): a declared Content-Length
    over the largest limit is a 413 before anything is read (an unauthenticated POST of a few
    gigabytes to /admin/login/ was written to a temporary file before its 403); a chunked body
    is read whole from wsgi.input (gunicorn decodes the chunks), up to the limit, then handed
    on as a body with CONTENT_LENGTH."""

    def __init__(self, app, *, max_bytes=largest_body_bytes):
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ, start_response):
        declared = environ.get("CONTENT_LENGTH")
        if declared:
            if declared.isdigit() and int(declared) > self.max_bytes():
                return _refuse_wsgi(environ, start_response, self.max_bytes())
            if int(declared) <= UNREAD_DRAINED:
                return self.app(environ, start_response)
            unread = _UnreadBody(environ, int(declared), start_response)
            return _Then(self.app(environ, unread.start_response), unread.linger)
        if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self.app(environ, start_response)
        limit = self.max_bytes()
        body = _spool()
        size = 0
        while chunk := environ["wsgi.input"].read(BLOCK_BYTES):
            size += len(chunk)
            if size > limit:
                body.close()
                return _refuse_wsgi(environ, start_response, limit)
            body.write(chunk)
        body.seek(0)
        environ["wsgi.input"] = body
        environ["CONTENT_LENGTH"] = str(size)
        del environ["HTTP_TRANSFER_ENCODING"]
        return _Then(self.app(environ, start_response), body.close)  # the spooled body


def _wsgi_path(environ) -> str:
    """The request's path as it was sent: WSGI gives its bytes as Latin-1 ("/admin/cafÃ©/")."""
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/")
    try:
        return path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return path


def _force_close(start_response) -> None:
    """The connection closed after this answer: gunicorn drops an app's `Connection: close`
    (a hop-by-hop header) and, on the gthread worker, kept a connection whose unread body it
    then gave up reading: the client's next request on it failed (uvicorn reads it out)."""
    close = getattr(getattr(start_response, "__self__", None), "force_close", None)
    if callable(close):
        close()


# what gunicorn reads of a body the app left unread before it takes the connection's next
# request (its gthread worker's; more, and it closes the connection without a word)
UNREAD_DRAINED = 64 * 1024


class _Counted:
    """A request's body, counting what the app reads of it."""

    def __init__(self, stream):
        self.stream, self.read_bytes = stream, 0

    def read(self, *args):
        data = self.stream.read(*args)
        self.read_bytes += len(data)
        return data

    def readline(self, *args):
        line = self.stream.readline(*args)
        self.read_bytes += len(line)
        return line

    def __iter__(self):
        return iter(self.readline, b"")


class _UnreadBody:
    """wsgi.input counted, and a start_response saying the connection closes after an answer
    that leaves more of the body unread than gunicorn reads out: a 401, 404 or 413 of a
    document upload answered before its body was read (the client's next request on it
    failed)."""

    def __init__(self, environ, declared: int, start_response):
        self.body = environ["wsgi.input"] = _Counted(environ["wsgi.input"])
        self.environ, self.declared, self.start = environ, declared, start_response
        self.closing = False

    def start_response(self, status, headers, *exc_info):
        if self.declared - self.body.read_bytes > UNREAD_DRAINED:
            _force_close(self.start)
            self.closing = True
        return self.start(status, headers, *exc_info)

    def linger(self) -> None:
        if self.closing:
            _drain(self.environ)


class _Then:
    """The app's response, and what is done once the server has sent it and closed it."""

    def __init__(self, response, then):
        self.response, self.then = response, then

    def __iter__(self):
        return iter(self.response)

    def close(self):
        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            self.then()


def _drain(environ) -> None:
    """What the client still sends of its body, read and dropped for DRAIN_S at most, once
    the answer is sent and before the connection closes (as under ASGI): closed on a body
    still arriving, the kernel's reset could overtake the answer (the client saw "connection
    reset" instead of the 401 or 413)."""
    stream, sock = environ["wsgi.input"], environ.get("gunicorn.socket")
    deadline = time.monotonic() + DRAIN_S
    # gone, silent or malformed: the answer was sent, and the connection closes
    with contextlib.suppress(Exception):
        while (left := deadline - time.monotonic()) > 0:
            if sock is None:
                if not stream.read(BLOCK_BYTES):
                    return
                continue
            # the socket itself, not gunicorn's reader, which waits for a whole block: a byte
            # a second held the thread for hours (the connection closes: its parser is done)
            sock.settimeout(left)
            if not sock.recv(BLOCK_BYTES):
                return  # the client is done: the connection closes cleanly
    if sock is not None:
        # still sending at the deadline: gunicorn's own graceful close would read it on for 2 s
        # more, on the worker's main thread, which serves every other connection meanwhile (a
        # byte every half second, a new such client each second, held /api/health up 8-18 s)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RD)


def _refuse_wsgi(environ, start_response, limit: int) -> "_Then":
    _force_close(start_response)
    declared = environ.get("CONTENT_LENGTH", "")
    kind, content = _too_large(
        limit,
        accept=environ.get("HTTP_ACCEPT", ""),
        path=_wsgi_path(environ),
        content_type=environ.get("CONTENT_TYPE", ""),
        declared=int(declared) if declared.isdigit() else None,
    )
    start_response(
        "413 Request Entity Too Large",
        [
            ("Content-Type", kind.decode()),
            ("Content-Length", str(len(content))),
            ("Connection", "close"),  # the rest of the body is read for DRAIN_S at most
        ],
    )
    return _Then([content], partial(_drain, environ))


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_chunked(scope) -> bool:
    return any(
        name == b"transfer-encoding" and b"chunked" in value.lower()
        for name, value in scope.get("headers", ())
    )


async def _refuse(scope, send, limit: int, receive, *, asked: bool = False) -> None:
    """The 413, then what the client still sends of its body read for DRAIN_S at most: the
    connection closes (`connection: close`) once the answer is complete, which is held back
    meanwhile (after it the server would hand out no more of the body). Not for a client
    that waits for `100 Continue` and was not told it (`asked`: the body was read, which has
    the server send it): it sends no body."""
    headers = dict(scope.get("headers", ()))
    kind, body = _too_large(
        limit,
        accept=headers.get(b"accept", b"").decode("latin-1"),
        path=scope.get("root_path", "") + scope.get("path", "/"),
        content_type=headers.get(b"content-type", b"").decode("latin-1"),
        declared=_content_length(scope),
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    if not asked and b"100-continue" in headers.get(b"expect", b"").lower():
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.body", "body": body, "more_body": True})
    try:
        async with asyncio.timeout(DRAIN_S):
            while True:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
    except TimeoutError:
        pass  # still sending: it had the answer for that long
    await send({"type": "http.response.body", "body": b""})
