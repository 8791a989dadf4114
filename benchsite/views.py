import os
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import FileResponse, Http404
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import __version__
from .exceptions import DATABASE_RETRY_S, first_line
from .health import PROBLEMS
from .throttling import cache_errors

BENCH_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "client" / "bench.sh"


class AnyAccept(BaseContentNegotiation):
    """The view's one format whatever Accept says (a probe or a scraper may send anything):
    Prometheus' text for /metrics, JSON for the health check; never 406."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# what /api/health's "database" says when it is not "ok"
DATABASE_PROBLEMS = ("unreachable", "not migrated", "disk full", "read-only")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=("ok", "error"))
    database = serializers.ChoiceField(choices=("ok", *DATABASE_PROBLEMS))
    # an extension of the contract's answer: the cache of the failed-authentication budgets
    # (CACHE_URL); the server serves without it, so it alone never makes the answer 503
    cache = serializers.ChoiceField(choices=("ok", "unreachable"))
    # an extension too: the documents' storage (UPLOAD_DIR); never 503 by itself either
    storage = serializers.ChoiceField(choices=("ok", "unwritable", "not checked"))
    version = serializers.CharField()


# whether the database refuses writes: PostgreSQL's standby, or a server told so
READ_ONLY_SQL = {"postgresql": "SELECT current_setting('transaction_read_only')"}

_migrated = False  # once the database is seen migrated, not read again by this process


def _pending_migrations() -> int:
    """How many migrations this code has that the database has not applied. Read until the
    database is up to date (the migration graph costs ~0.1 s to load), then no more."""
    global _migrated
    if _migrated:
        return 0
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    _migrated = pending == 0
    return pending


# free space under which a SQLite database's disk is said to be full: the WAL alone may grow
# to 64 MiB (journal_size_limit) under a flood of submissions before it is cut back
DISK_FULL_BYTES = 64 * 1024 * 1024


def _database_disk_free() -> int | None:
    """The bytes free where the SQLite database is (None on PostgreSQL or in memory)."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or connection.is_in_memory_db() or not name:
        return None
    stats = os.statvfs(Path(name).resolve().parent)
    return stats.f_bavail * stats.f_frsize


def _cache_state() -> str:
    try:
        cache.get("health-check")
    except cache_errors() as exc:
        PROBLEMS.found("cache unreachable", "cache unreachable: %s", exc)
        return "unreachable"
    PROBLEMS.over("cache unreachable")
    return "ok"


def _storage_state() -> str:
    """Whether the documents' directory takes files (an extension, as `cache`: uploads fail
    without it, submissions do not, so it alone never makes the answer 503): an UPLOAD_DIR
    gone or not writable (a mount that failed) answered "ok" while every upload was a 503.
    An object store is not asked at each probe: "not checked"."""
    from documents.storage import local_path

    upload_dir = root = local_path()
    if root is None:
        return "not checked"
    # not made yet (the first upload makes it): where it would be made is what must take it
    while not root.exists() and root != root.parent:
        root = root.parent
    if root.is_dir() and os.access(root, os.W_OK | os.X_OK):
        PROBLEMS.over("UPLOAD_DIR unwritable")
        return "ok"
    PROBLEMS.found(
        "UPLOAD_DIR unwritable", "UPLOAD_DIR %s: not a directory this server writes in", upload_dir
    )
    return "unwritable"


def _unhealthy(answer: dict, database: str, detail: str, *args) -> Response:
    """The 503, with the Retry-After every 503 of the API carries (the OpenAPI document said
    so of this one too, which had none), logged by the check's own line alone (Django added
    "Service Unavailable: /api/health" to each probe of a load balancer), when the problem
    starts and every few minutes while it lasts (benchsite.health.Problems)."""
    for state in DATABASE_PROBLEMS:
        if state != database:
            PROBLEMS.over(f"database {state}")
    PROBLEMS.found(f"database {database}", f"database {database}: {detail}", *args)
    response = Response(
        {**answer, "status": "error", "database": database},
        status=503,
        headers={"Retry-After": str(DATABASE_RETRY_S)},
    )
    response._has_been_logged = True
    return response


class HealthView(APIView):
    """GET /api/health: no auth; 503 when the database does not answer. A DRF view like the
    rest of the API, so that it is in the OpenAPI document and any other method is answered
    in JSON (405), never with the CSRF page; a token sent along is not even read."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    content_negotiation_class = AnyAccept

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer}, auth=[])
    @method_decorator(never_cache)
    def get(self, request):
        answer = {
            "status": "ok",
            "database": "ok",
            "cache": _cache_state(),
            "storage": _storage_state(),
            "version": __version__,
        }
        try:
            with connection.cursor() as cursor:
                cursor.execute(READ_ONLY_SQL.get(connection.vendor, "SELECT 'off'"))
                writable = cursor.fetchone()[0] == "off"
            pending = _pending_migrations()
        except DatabaseError as exc:
            return _unhealthy(answer, "unreachable", "%s", first_line(exc))
        if not writable:
            # a DATABASE_URL that lands on a standby after a failover: it answers reads, and
            # every submission was a 500 while this said "ok"
            return _unhealthy(answer, "read-only", "a standby?")
        if pending:
            # a server started with MIGRATE_ON_START=false before anyone migrated: it would
            # answer every submission with a 500, so no load balancer should send it any
            return _unhealthy(
                answer, "not migrated", "%d migration(s) not applied (manage.py migrate)", pending
            )
        free = _database_disk_free()
        if free is not None and free < DISK_FULL_BYTES:
            # reads work, writes soon do not: every submission would be refused (it said "ok"
            # while each one was a 503; failure-injection audit)
            return _unhealthy(
                answer, "disk full", "%d MB free where the database is", free // 2**20
            )
        PROBLEMS.over(*(f"database {state}" for state in DATABASE_PROBLEMS))
        return Response(answer)


@require_safe  # GET, and HEAD for `curl -I` (the server sends no body for it)
def bench_script(request):
    """GET /bench.sh: the client, for `curl -fsSL http://HOST:8007/bench.sh | sudo bash -s -- …`."""
    if not BENCH_SCRIPT.is_file():
        raise Http404("bench.sh is not installed on this server")
    response = FileResponse(
        BENCH_SCRIPT.open("rb"), content_type="text/x-shellscript; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="bench.sh"'
    return response


class JsonErrors:
    """An error in JSON, as every other endpoint's: the OpenAPI document's renderers (YAML
    first) wrote a 405 or a 406 as YAML with DRF's internals in it ("string: …"), and its
    page's as a line of HTML."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


class SwaggerView(JsonErrors, SpectacularSwaggerSplitView):
    """GET /api/schema/ui/: the document's page (drf-spectacular-sidecar's assets, no CDN),
    its starting script a file of its own (`?script`), as the site's Content-Security-Policy
    wants (benchsite.csp: no inline script)."""


class SchemaView(JsonErrors, SpectacularAPIView):
    """GET /api/schema/: the OpenAPI document, generated once per process, not at each
    request. Anyone may ask for it: generating it took 40-350 ms of CPU, and 40 clients asking
    without pause slowed every token's request to seconds. Rendering the kept document costs 6
    ms as JSON, 22 as YAML. One document whatever `?lang=` or `?version=` say (each new value
    was a new document, generated and kept: a way to fill the workers' memory), in the
    server's language. It authenticates no one (SPECTACULAR_SETTINGS SERVE_AUTHENTICATION): a
    token sent here is not checked, so it cannot be guessed here, out of the
    failed-authentication budget's sight."""

    document: dict | None = None

    def _get_schema_response(self, request):
        if SchemaView.document is None:
            generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
            with translation.override(settings.LANGUAGE_CODE):
                SchemaView.document = generator.get_schema(request=request, public=True)
        filename = self._get_filename(request, None)  # .json or .yaml, as negotiated
        headers = {"Content-Disposition": f'inline; filename="{filename}"'}
        return Response(data=SchemaView.document, headers=headers)
