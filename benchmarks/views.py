from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.metadata import SimpleMetadata
from rest_framework.response import Response

from benchsite.auth import SubmitScope
from benchsite.lookup import IdViewSet, object_or_404
from benchsite.parsers import SubmissionJSONParser
from inventory.models import Device
from inventory.schema import Submission

from . import validity
from .models import Benchmark
from .scoring import round_score
from .selectors import benchmark_history, fleet_stats
from .serializers import (
    BenchmarkDetailSerializer,
    BenchmarkSummarySerializer,
    IngestResponseSerializer,
)
from .services import benchmark_ingest, validity_thresholds
from .validation import submission_validate

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Validation error: the body names each offending field."),
    401: OpenApiResponse(description="Missing or invalid token."),
    403: OpenApiResponse(description="The token lacks the scope."),
    413: OpenApiResponse(description="Body over MAX_SUBMISSION_KB."),
    415: OpenApiResponse(description="Not application/json, or sent with a Content-Encoding."),
}


def _site_url(request, path: str) -> str:
    """The address people open the admin at (SITE_URL) with `path`; without SITE_URL, the one
    the request came to (its Host, which a client chooses)."""
    return settings.SITE_URL + path if settings.SITE_URL else request.build_absolute_uri(path)


class SubmissionMetadata(SimpleMetadata):
    """OPTIONS /api/benchmark: what the view takes, without DRF's field list (the submission is
    declared in inventory.schema; its JSON Schema is in /api/schema/). DRF's asked the view for a
    serializer it has none of: a 500."""

    def determine_actions(self, request, view):
        return {}

    def determine_metadata(self, request, view):
        metadata = super().determine_metadata(request, view)
        # an extension: the fleet's iperf3 server, which bench.sh measures the network against
        # when given no --iperf-server (settings.IPERF_SERVER)
        if settings.IPERF_SERVER:
            metadata["iperf_server"] = settings.IPERF_SERVER
        return metadata


class SubmissionViewSet(viewsets.GenericViewSet):
    """POST /api/benchmark: what bench.sh sends."""

    metadata_class = SubmissionMetadata
    permission_classes = (SubmitScope,)
    permission_model = Benchmark  # a staff session submits with the admin's add permission
    parser_classes = (SubmissionJSONParser,)

    @extend_schema(
        request=Submission,
        responses={
            201: IngestResponseSerializer,
            200: OpenApiResponse(IngestResponseSerializer, "A repeated submission_id."),
            **ERROR_RESPONSES,
        },
    )
    def create(self, request):
        submission = submission_validate(request.data)
        result = benchmark_ingest(
            submission=submission,
            document=request.data,
            submitted_by=str(request.user),
            after_store=self.after_store,
        )
        body = {
            "status": "ok",
            "device_id": result.device_id,
            "snapshot_id": result.snapshot_id,
            "benchmark_id": result.benchmark_id,
            "global_score": result.global_score,
            "device_url": _site_url(
                request, reverse("admin:inventory_device_change", args=(result.device_id,))
            ),
            "validity": result.validity,
            "validity_reasons": result.validity_reasons,
            # what bench.sh prints: which category's repeats disagreed, how busy the CPU was
            "validity_detail": validity.reasons_measured(
                request.data.get("results"), result.validity_reasons, validity_thresholds()
            ),
            "excluded_categories": result.excluded_categories,
            # which device the run was filed under: a new one, or one renamed to the name sent
            "device_created": result.device_created,
            "renamed_from": result.renamed_from,
        }
        return Response(
            body,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            # where the run is read, as a 201 says (a repeated submission_id's too)
            headers={"Location": reverse("benchmark-detail", args=(result.benchmark_id,))},
        )

    # What the composition layer does with a stored run, after its transaction and before the
    # answer (benchsite.submission_api: attention items); nothing here.
    after_store = None


class BenchmarkViewSet(mixins.RetrieveModelMixin, IdViewSet):
    """GET /api/benchmarks/{id}: one run with its raw results."""

    queryset = Benchmark.objects.all()
    serializer_class = BenchmarkDetailSerializer
    permission_model = Benchmark


class DeviceBenchmarkViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """GET /api/devices/{id}/benchmarks: a device's history, newest first."""

    serializer_class = BenchmarkSummarySerializer
    permission_model = Benchmark

    def get_queryset(self):
        device = object_or_404(Device.objects.only("pk"), self.kwargs["device_pk"])
        return benchmark_history(device_id=device.pk)


class StatsViewSet(viewsets.GenericViewSet):
    """GET /api/stats: the fleet in a few numbers."""

    pagination_class = None

    @extend_schema(
        # one object, although the router calls this action "list"
        responses=extend_schema_serializer(many=False)(
            inline_serializer(
                "Stats",
                {
                    "devices": serializers.IntegerField(),
                    "benchmarks": serializers.IntegerField(),
                    "average_global_score": serializers.FloatField(allow_null=True),
                    "last_benchmark_at": serializers.DateTimeField(allow_null=True),
                    # beyond the contract: when the last submission arrived
                    "last_received_at": serializers.DateTimeField(allow_null=True),
                },
            )
        )
    )
    def list(self, request):
        stats = fleet_stats()
        if stats["average_global_score"] is not None:  # half up, as the scores themselves
            stats["average_global_score"] = round_score(stats["average_global_score"])
        return Response(stats)
