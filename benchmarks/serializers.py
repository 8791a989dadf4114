"""The benchmark read shapes of the API (the submission itself: inventory.schema)."""

from rest_framework import serializers

from inventory.serializers import BenchmarkSummarySerializer

# --- read shapes ---------------------------------------------------------------------------


class BenchmarkDetailSerializer(BenchmarkSummarySerializer):
    """GET /api/benchmarks/{id}: the summary plus the raw results and how it was scored."""

    device = serializers.IntegerField(source="device_id", read_only=True)
    snapshot = serializers.IntegerField(source="snapshot_id", read_only=True, allow_null=True)
    scoring_version = serializers.IntegerField(read_only=True)
    weights = serializers.DictField(child=serializers.FloatField(), read_only=True)
    submission_id = serializers.UUIDField(read_only=True, allow_null=True)
    results = serializers.DictField(read_only=True)
    extra = serializers.DictField(read_only=True)


class IngestResponseSerializer(serializers.Serializer):
    """The answer to a submission (documents the contract in the OpenAPI schema)."""

    status = serializers.CharField()
    device_id = serializers.IntegerField()
    snapshot_id = serializers.IntegerField()
    benchmark_id = serializers.IntegerField()
    global_score = serializers.FloatField(allow_null=True)
    device_url = serializers.URLField()
