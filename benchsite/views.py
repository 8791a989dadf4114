import logging
from pathlib import Path

from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import __version__

logger = logging.getLogger(__name__)

BENCH_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "client" / "bench.sh"


@never_cache
@require_GET
def health(request):
    """GET /api/health: no auth; 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("health check: database unreachable: %s", exc)
        return JsonResponse(
            {"status": "error", "database": "unreachable", "version": __version__}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok", "version": __version__})


@require_GET
def bench_script(request):
    """GET /bench.sh: the client, for `curl -fsSL http://HOST:8007/bench.sh | sudo bash -s -- …`."""
    if not BENCH_SCRIPT.is_file():
        raise Http404("bench.sh is not installed on this server")
    response = FileResponse(
        BENCH_SCRIPT.open("rb"), content_type="text/x-shellscript; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="bench.sh"'
    return response
