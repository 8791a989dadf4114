"""API error shapes: every error is a JSON body; nothing escapes as an HTML 500. The admin's
403 and 404 are pages of the admin."""

import logging
import sys
import threading
import time

from django.conf import settings
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, InternalError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.html import escape
from rest_framework import status
from rest_framework.exceptions import (
    APIException,
    ErrorDetail,
    NotAuthenticated,
    UnsupportedMediaType,
    ValidationError,
)
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, size: int | None, limit: int):
        detail = f"Request body is larger than the limit of {limit // 1024} KiB"
        if size is not None:
            detail += f" ({-(-size // 1024)} KiB sent)"  # rounded up: never the limit itself
        super().__init__(detail + ".")


class UnsupportedContentEncoding(UnsupportedMediaType):
    """415 for a body in a content coding (gzip, br, …): the API reads bodies as they are sent.
    The answer says which codings it takes (Accept-Encoding: identity), as RFC 9110 asks."""

    def __init__(self, coding: str):
        super().__init__(
            coding, f"Content-Encoding {coding!r} is not accepted: send the body uncompressed."
        )


class DatabaseUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; send it again later."
    default_code = "database_unavailable"


DATABASE_RETRY_S = 30
MSG_NO_CREDENTIALS = (
    "Authentication credentials were not provided: send the token as "
    "'Authorization: Bearer <token>'."
)
MSG_DISK_FULL = (
    "The server's disk is full: nothing was stored. Free space where its database is "
    "(DATABASE_URL), then send it again."
)


def disk_full(exc: BaseException | None) -> bool:
    """A write refused for want of disk space: SQLite's SQLITE_FULL ("database or disk is
    full"), PostgreSQL's disk_full (53100). Not the database away: saying "unavailable" sent
    people looking at a server that was up (failure-injection audit)."""
    if not isinstance(exc, OperationalError):
        return False
    return "disk is full" in str(exc) or getattr(exc.__cause__, "sqlstate", None) == "53100"


MSG_READ_ONLY = (
    "The database is read-only (DATABASE_URL names a standby?): nothing was stored; send it "
    "again later."
)


def read_only(exc: BaseException | None) -> bool:
    """A write refused by a database that takes none: PostgreSQL's read_only_sql_transaction
    (25006), what a DATABASE_URL that lands on a standby after a failover answers."""
    return isinstance(exc, InternalError) and getattr(exc.__cause__, "sqlstate", None) == "25006"


# SQLite says these of a query the code got wrong, not of a database away: a 500 (a bug), not a
# 503 a client would retry forever
SCHEMA_ERRORS = ("no such column", "has no column named", "too many SQL variables", "syntax error")


def database_unavailable(exc: BaseException | None) -> bool:
    """The database down, restarting, unreachable, not migrated, full or read-only: a client
    tries again later, as after a proxy's 503 (/api/health says which)."""
    if isinstance(exc, InterfaceError) or read_only(exc):
        return True
    return isinstance(exc, OperationalError) and not any(s in str(exc) for s in SCHEMA_ERRORS)


def database_refusal(exc: BaseException) -> str:
    if disk_full(exc):
        return MSG_DISK_FULL
    return MSG_READ_ONLY if read_only(exc) else DatabaseUnavailable.default_detail


TRACEBACK_EVERY_S = 60.0
_traced_at, _traced_lock = [float("-inf")], threading.Lock()


def log_database_error(where: str, exc: BaseException) -> None:
    """One line per refused request, its traceback once a minute per process: a minute's
    outage under a fleet and a load balancer's probes wrote thousands of traceback lines, in
    which the first, which says what happened, was lost."""
    now = time.monotonic()
    with _traced_lock:
        traced = now - _traced_at[0] >= TRACEBACK_EVERY_S
        if traced:
            _traced_at[0] = now
    if traced:
        logger.error("database error in %s", where, exc_info=exc)
    else:
        logger.error("database error in %s: %s", where, first_line(exc))


def first_line(exc: BaseException) -> str:
    """What an error says first (psycopg's second line, "Is the server running on that
    host…", repeats at every request), or its type's name when it says nothing."""
    return next(iter(str(exc).strip().splitlines()), type(exc).__name__)


def exception_handler(exc, context):
    if database_unavailable(exc):
        # logged, as it may be a bug too
        log_database_error(_view_name(context), exc)
        refused = DatabaseUnavailable(database_refusal(exc))
        response = drf_exception_handler(refused, context)
        response["Retry-After"] = str(DATABASE_RETRY_S)
        response._has_been_logged = True  # not again by Django ("Service Unavailable: …")
        return response
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(None, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    elif isinstance(exc, DjangoValidationError):
        # a service's refusal (a hostname another device took since the serializer checked it):
        # a 400 naming its field, as the serializer's own
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, ObjectDoesNotExist):
        # The object went away while the request ran (a concurrent DELETE): gone, not a bug.
        exc = Http404()
    elif isinstance(exc, NotAuthenticated) and exc.detail == NotAuthenticated.default_detail:
        # no Authorization header (nor session): DRF's sentence alone did not say how to send
        # a token (its status and WWW-Authenticate, which the view set on `exc`, stay)
        exc.detail = ErrorDetail(MSG_NO_CREDENTIALS, code=exc.default_code)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, UnsupportedContentEncoding):
        response["Accept-Encoding"] = "identity"
    if response is None and not isinstance(exc, Http404 | PermissionDenied):
        # An unexpected error: log it with context and answer JSON (status 500 is still a bug).
        logger.exception("unhandled API error in %s", _view_name(context))
        return None
    return response


def _view_name(context) -> str:
    view = context.get("view")
    return type(view).__name__ if view else "?"


def json_bad_request(request, exception=None):
    """400 handler (a request Django refuses before any view: too many parameters or files, a
    Host not allowed): JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        detail = "Bad request."
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            detail = f"Bad request: {exception}"
        return JsonResponse({"detail": detail}, status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def json_not_found(request, exception=None):
    """404 handler: JSON under /api/, a page of the admin under /admin/, Django's elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return _admin_page(request, "admin/not_found.html", 404, exception) or page_not_found(
        request, exception
    )


def json_forbidden(request, exception=None):
    """403 handler (a PermissionDenied outside DRF's views): JSON under /api/, a page of the
    admin under /admin/ (Django's own was a bare "403 Forbidden" without a way back or a
    reason), Django's elsewhere."""
    if request.path.startswith("/api/"):
        detail = "Your account's admin permissions do not allow this."
        return JsonResponse({"detail": detail}, status=403)
    from django.views.defaults import permission_denied

    return _admin_page(request, "admin/not_allowed.html", 403, exception) or permission_denied(
        request, exception
    )


def _admin_page(request, template: str, status_code: int, exception) -> HttpResponse | None:
    """An error under /admin/ as a page of the admin, with its header, its links and the
    reason the view gave (a message the code raised with, such as "Choose two snapshots:
    ?a=<id>&b=<id>"); None elsewhere, or when the page cannot be made (the database away: the
    account is read from its session), for Django's plain page: a 404 stays a 404."""
    if not request.path.startswith("/admin/"):
        return None
    from django.contrib import admin

    message = exception.args[0] if exception is not None and exception.args else ""
    try:
        context = {
            **admin.site.each_context(request),
            "title": "Not allowed" if status_code == 403 else "Not found",
            "message": message if isinstance(message, str) else "",  # not a resolver's dict
            "request_path": request.path,
        }
        return TemplateResponse(request, template, context, status=status_code).render()
    except Exception:
        logger.warning("the admin's %s page could not be made", status_code, exc_info=True)
        return None


def json_server_error(request):
    """500 handler, called while the exception is handled: the database away, full or
    read-only is a 503 that says so (an admin page while PostgreSQL restarted was a bare
    "Server Error (500)" and a traceback in the log, as for a bug), logged as the API's are."""
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        said = database_refusal(exc)
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": said}, status=503)
        else:
            title = "Disk full" if said == MSG_DISK_FULL else "Database unavailable"
            response = HttpResponse(
                f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(said)}</p>",
                status=503,
            )
        response["Retry-After"] = str(DATABASE_RETRY_S)
        log_database_error(request.path, exc)
        response._has_been_logged = True  # not again, with its traceback, by Django
        return response
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    from django.views.defaults import server_error

    return server_error(request)
