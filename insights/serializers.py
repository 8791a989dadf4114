from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from .delivery import CLOSED_REASONS, reason_closed
from .models import AttentionItem


def closed_reason(item: AttentionItem) -> str | None:
    """None while the item is open; else why it closed (CLOSED_REASONS). Who acknowledged it
    is not said: an admin account's name, which a read token on every machine would read."""
    return reason_closed(item.closed_at, item.closed_by)


class AttentionItemSerializer(serializers.ModelSerializer):
    """An attention item (CONTRACT Part 2): `message` is one sentence a person reads;
    `closed_reason` an extension (README)."""

    hostname = serializers.CharField(source="device.hostname", read_only=True)
    closed_reason = serializers.SerializerMethodField(
        help_text="null while open; resolved (the rules found it over), acknowledged (by a "
        "person) or device_retired (closed with its device's retirement, not checked since)"
    )

    @extend_schema_field(serializers.ChoiceField(choices=CLOSED_REASONS, allow_null=True))
    def get_closed_reason(self, item: AttentionItem) -> str | None:
        return closed_reason(item)

    class Meta:
        model = AttentionItem
        fields = (
            "id",
            "device",
            "hostname",
            "kind",
            "severity",
            "category",
            "disk",
            "message",
            "opened_at",
            "updated_at",
            "closed_at",
            "closed_reason",
        )
        read_only_fields = fields


class AnyCaseChoiceField(serializers.ChoiceField):
    """A choice whatever its case (`?state=ALL`, `?kind=DISK_HOT`), as the device list's
    `?disks=` and `?retired=` take theirs: one helper of a script's for every list."""

    def __init__(self, **kwargs):
        # blank allowed, so that the OpenAPI document has no minLength: `?state=` is taken
        super().__init__(allow_blank=True, **kwargs)

    def get_value(self, dictionary):
        # a query's `?state=`: not given (its default), as DRF takes a field's blank value
        # when blank is not allowed, rather than the blank choice
        value = super().get_value(dictionary)
        return serializers.empty if value == "" else value

    def to_internal_value(self, data):
        return super().to_internal_value(data.lower() if isinstance(data, str) else data)


class AttentionQuerySerializer(serializers.Serializer):
    """GET /api/attention's filters."""

    device = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Items of this device."
    )
    kind = AnyCaseChoiceField(choices=AttentionItem._meta.get_field("kind").choices, required=False)
    state = AnyCaseChoiceField(
        choices=("open", "closed", "all"), default="open", help_text="Default open."
    )


# GET /api/devices/{id}/insights' SMART history: the device's newest snapshots it is read over,
# unless asked otherwise (a compatible extension, README): every snapshot's grew the answer by
# 0.5 KB a week of a weekly cron, forever; about four years of one, half a year of daily runs
SMART_POINTS = 200
SMART_POINTS_MAX = 5000


class InsightsQuerySerializer(serializers.Serializer):
    """GET /api/devices/{id}/insights' parameter."""

    smart_points = serializers.IntegerField(
        min_value=1,
        max_value=SMART_POINTS_MAX,
        default=SMART_POINTS,
        help_text=f"Each disk's SMART history over the device's newest N snapshots (default "
        f"{SMART_POINTS}, at most {SMART_POINTS_MAX}): its newest N readings; a disk not read "
        "in them is left out.",
    )


# GET /api/devices/{id}/insights, described for the OpenAPI document (insights.insight builds
# the answer; benchsite/tests/test_api_answers_match_the_schema.py holds the two together)
def _scores(help_text: str):
    return serializers.DictField(child=serializers.FloatField(), help_text=help_text)


class InsightRunSerializer(serializers.Serializer):
    benchmark_id = serializers.IntegerField()
    run_at = serializers.DateTimeField()
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="by category, and global"
    )


class InsightBaselineSerializer(serializers.Serializer):
    runs = serializers.IntegerField(help_text="the earlier valid runs the global median is of")
    scores = _scores("the median of those runs, by category and global")


class InsightPeersSerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=("cpu_model", "system_model"))
    value = serializers.CharField()
    devices = serializers.IntegerField(help_text="other machines with that value")
    median_devices = serializers.IntegerField(
        help_text="of those, the ones measured as the latest run was (the global median's)"
    )
    median_devices_by_category = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="of those, the ones each category's median is drawn from (an extension)",
    )
    median = _scores("their ranking figures' median, by category and global")
    deviation_pct = _scores("(latest − median) / median × 100")


class SmartReadingSerializer(serializers.Serializer):
    snapshot_id = serializers.IntegerField()
    captured_at = serializers.DateTimeField()
    smart_health = serializers.CharField(allow_null=True)
    temperature_c = serializers.FloatField(allow_null=True)
    power_on_hours = serializers.IntegerField(allow_null=True)
    reallocated_sectors = serializers.IntegerField(allow_null=True)
    pending_sectors = serializers.IntegerField(allow_null=True)
    offline_uncorrectable = serializers.IntegerField(allow_null=True)
    media_errors = serializers.IntegerField(allow_null=True)
    percent_used = serializers.IntegerField(allow_null=True)


class InsightDiskSerializer(serializers.Serializer):
    serial = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    model = serializers.CharField(allow_null=True)
    history = SmartReadingSerializer(many=True, help_text="oldest first")


@extend_schema_serializer(many=False)  # one object, though the view's action is "list"
class InsightsSerializer(serializers.Serializer):
    latest = InsightRunSerializer(allow_null=True, help_text="the latest valid run, else latest")
    baseline = InsightBaselineSerializer(allow_null=True)
    deviation_pct = _scores("(latest − baseline) / baseline × 100")
    peers = InsightPeersSerializer(many=True)
    disks = InsightDiskSerializer(many=True)
    attention = AttentionItemSerializer(many=True, help_text="the device's open items")
