"""ASGI: a request body larger than any endpoint accepts is refused before Django stores it.

Django's ASGI handler reads a whole body (into a temporary file) before any view runs, so the
views' own limits (MAX_UPLOAD_MB for documents, MAX_SUBMISSION_KB for submissions) would only
answer after a 10 GB upload had been written to disk. This wrapper answers the same 413 first: at
once for a declared Content-Length over the largest limit, and for a body without one (chunked)
as soon as it has passed that limit. Bodies within it go to Django untouched, where each endpoint
applies its own, smaller limit.
"""

import json

from django.conf import settings

MSG_TOO_LARGE = "Request body is larger than this server accepts ({limit} MB)."


def largest_body_bytes() -> int:
    """The largest body any endpoint accepts: a document upload with its multipart envelope,
    a benchmark submission, or an admin form."""
    from documents.http import MULTIPART_ENVELOPE_BYTES

    return max(
        settings.MAX_UPLOAD_MB * 1024 * 1024 + MULTIPART_ENVELOPE_BYTES,
        settings.MAX_SUBMISSION_KB * 1024,
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    )


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
            return await _refuse(send, limit)
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
            await _refuse(send, limit)
        return None


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send, limit: int) -> None:
    body = json.dumps({"detail": MSG_TOO_LARGE.format(limit=limit // (1024 * 1024))}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
