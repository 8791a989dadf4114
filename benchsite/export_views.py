"""GET /api/export: the export command's stream over HTTP (read scope)."""

from collections.abc import Iterator

from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import Device, HardwareSnapshot

from .auth import may_read
from .export import (
    CONTENT_TYPES,
    FORMATS,
    OF_DEVICES,
    WHATS,
    ExportError,
    ExportStream,
    export_filename,
)
from .pagination import query_once
from .streaming import in_sync_thread

# what each export reads: a staff session may take it with the permission to view those
EXPORTED_MODELS = {
    "devices": [Device],
    **{what: [Device, model] for what, model in OF_DEVICES.items()},
}


class IgnoreFormatParameter(DefaultContentNegotiation):
    """`?format=` names the export's format here, not a DRF renderer (errors stay JSON)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _first_read_here(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks, the first read now: the database read in the view, where an outage is the
    API's 503 to retry (read once the response had started, it was the server's bare HTML 500,
    the only endpoint that answered so while PostgreSQL restarted)."""
    first = next(chunks, None)

    def served() -> Iterator[bytes]:
        if first is not None:
            yield first
        yield from chunks  # closed with it (a client gone away)

    return served()


class ExportView(APIView):
    """Stream devices, snapshots or benchmarks as JSON or CSV, like `manage.py export`."""

    content_negotiation_class = IgnoreFormatParameter

    @staticmethod
    def permission_models(request) -> list:
        """What a staff session must be allowed to view for the rows asked for (benchsite.auth)."""
        return EXPORTED_MODELS.get(request.query_params.get("what", "devices"), [Device])

    @extend_schema(
        operation_id="export",
        parameters=[
            OpenApiParameter("format", str, enum=list(FORMATS), default="json"),
            OpenApiParameter("what", str, enum=list(WHATS), default="devices"),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                {"type": "array", "items": {"type": "object"}},  # what a JSON client receives
                "A JSON array, one object per row.",
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, "CSV with a header row."),
            400: OpenApiResponse(description="Bad `format` or `what`: the body names it."),
            401: OpenApiResponse(description="Missing or invalid token."),
            403: OpenApiResponse(description="The token lacks the read scope."),
        },
    )
    def get(self, request):
        fmt = query_once(request, "format", "json")
        what = query_once(request, "what", "devices")
        try:
            # the devices' latest hardware for a token, and for an account that may view the
            # snapshots (an account that may not gets the devices without it, as /api/compare)
            stream = ExportStream(fmt=fmt, what=what, hardware=may_read(request, HardwareSnapshot))
        except ExportError as exc:
            return Response({exc.parameter: [str(exc)]}, status=400)
        chunks = _first_read_here(chunk.encode() for chunk in stream)
        if isinstance(request._request, ASGIRequest):
            chunks = in_sync_thread(chunks)
        response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
        filename = export_filename(fmt=fmt, what=what, now=timezone.now())
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response
