"""GET /api/compare?devices=1,2,3: the comparison of benchsite.compare, as the API gives it.

Apart from compare.py because the admin's compare pages import that module at start: this one,
with its OpenAPI description (extend_schema, which loads drf-spectacular's schema generator),
is imported with the URLconf only.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .compare import COMPARED_MODELS, CompareError, compare_devices, parse_ids


class CompareHardwareSerializer(serializers.Serializer):
    cpu_model = serializers.CharField(allow_null=True)
    cores = serializers.IntegerField(allow_null=True)
    threads = serializers.IntegerField(allow_null=True)
    ram_total_mb = serializers.IntegerField(allow_null=True)
    gpu_model = serializers.CharField(allow_null=True)
    disks = serializers.ListField(child=serializers.CharField(), help_text="disk models")
    disk_sizes = serializers.ListField(
        child=serializers.CharField(allow_null=True),
        help_text='beyond the contract: each disk\'s capacity as sold ("2 TB"), in the '
        "order of `disks`; null unknown. Disks differ by model or capacity",
    )
    os = serializers.CharField(allow_null=True, help_text="OS name and version")
    bios_version = serializers.CharField(allow_null=True, help_text="beyond the contract")
    kernel_version = serializers.CharField(allow_null=True, help_text="beyond the contract")


class CompareDeviceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    hostname = serializers.CharField()
    retired_on = serializers.DateField(
        allow_null=True, help_text="beyond the contract: a retired machine's figures are its last"
    )
    has_snapshot = serializers.BooleanField(
        help_text="beyond the contract: false, its hardware is not known (no run yet: its "
        "hardware values are null, two such machines differ in nothing)"
    )
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="ranking figures: global, cpu, memory, disk, network, gpu",
    )
    hardware = CompareHardwareSerializer(help_text="from the device's latest snapshot")
    last_benchmark_at = serializers.DateTimeField(allow_null=True)
    latest_validity = serializers.CharField(allow_null=True)
    latest_validity_reasons = serializers.ListField(child=serializers.CharField())
    ranking_excluded_categories = serializers.ListField(
        child=serializers.CharField(),
        help_text="figures its run left out of the global score (a network measured on "
        "loopback): shown, never the best",
    )
    ranking_run_at = serializers.DateTimeField(
        allow_null=True, help_text="when the run the scores are from ran"
    )
    ranking_validity = serializers.CharField(
        allow_null=True,
        help_text="that run's validity (it is suspect only when the device has no valid run "
        "with scores); null without scores",
    )
    ranking_validity_reasons = serializers.ListField(child=serializers.CharField())


class CompareSerializer(serializers.Serializer):
    devices = CompareDeviceSerializer(many=True)
    differences = serializers.ListField(
        child=serializers.CharField(), help_text="hardware fields whose values differ"
    )


class CompareView(APIView):
    """GET /api/compare?devices=1,2,3 (read scope)."""

    @staticmethod
    def permission_models(request) -> list:
        return list(COMPARED_MODELS)

    @extend_schema(
        operation_id="compare",
        summary="Machines side by side: ranking figures and latest hardware",
        parameters=[
            OpenApiParameter(
                "devices",
                str,
                required=True,
                description="2 to 10 device ids, e.g. 1,2,3",
                pattern=r"^\s*[0-9]+\s*(,\s*[0-9]+\s*){1,9}$",
            )
        ],
        responses={
            200: CompareSerializer,
            400: OpenApiResponse(description="Bad `devices`: the body names it."),
            404: OpenApiResponse(description="An unknown device id."),
        },
    )
    def get(self, request):
        try:
            ids = parse_ids(request.query_params.getlist("devices"))
        except CompareError as exc:
            return Response({"devices": [str(exc)]}, status=400)
        return Response(CompareSerializer(compare_devices(ids)).data)
