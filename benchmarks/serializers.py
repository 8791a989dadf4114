"""The benchmark read shapes of the API (the submission itself: inventory.schema)."""

from rest_framework import serializers

from inventory.schema import CATEGORY_NAMES

from .models import Validity


class BenchmarkSummarySerializer(serializers.Serializer):
    """A benchmark's scores, as listed in a device's history and as its `last_benchmark`."""

    id = serializers.IntegerField(read_only=True)
    run_at = serializers.DateTimeField(read_only=True)
    received_at = serializers.DateTimeField(read_only=True)
    bench_script_version = serializers.CharField(read_only=True)
    validity = serializers.ChoiceField(choices=Validity.choices, read_only=True)
    validity_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    excluded_categories = serializers.ListField(child=serializers.CharField(), read_only=True)
    global_score = serializers.FloatField(read_only=True, allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        for name in CATEGORY_NAMES:  # one per category of the schema
            fields[f"{name}_score"] = serializers.FloatField(read_only=True, allow_null=True)
        return fields


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
    # beyond the contract: whether the run ranks the machine, as its detail says
    validity = serializers.ChoiceField(choices=("valid", "suspect"))
    validity_reasons = serializers.ListField(child=serializers.CharField())
    validity_detail = serializers.CharField(
        help_text="the reasons as people read them, with what was measured: 'repeats disagree "
        "(memory 9.42 %)'; empty for a valid run"
    )
    excluded_categories = serializers.ListField(child=serializers.CharField())
    # beyond the contract: the device the run was filed under (false and null for a repeated
    # submission_id, whose first answer said it)
    device_created = serializers.BooleanField()
    renamed_from = serializers.CharField(allow_null=True)
