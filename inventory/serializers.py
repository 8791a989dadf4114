"""Device, snapshot and tag shapes of the read/edit API."""

from django.core.validators import URLValidator
from rest_framework import serializers

from . import schema
from .models import Device, HardwareSnapshot, ManufacturerLink
from .services import MSG_HOSTNAME_TAKEN, MSG_LINK_URL, device_get_by_hostname

DEVICE_FIELDS = (
    "id",
    "hostname",
    "fqdn",
    "description",
    "asset_tag",
    "location",
    "owner",
    "tags",
    "machine_id",
    "system_uuid",
    "serial",
    "created_at",
    "updated_at",
)
SCORE_FIELDS = ("global_score", *(f"{name}_score" for name in schema.CATEGORY_NAMES))


class TagListField(serializers.ListField):
    """Tags as a list of names (stored as Tag rows)."""

    child = serializers.CharField(max_length=50)

    def to_representation(self, data):
        return [tag.name for tag in data.all()]


class BenchmarkSummarySerializer(serializers.Serializer):
    """A benchmark's scores, as listed in a device's history and as its `last_benchmark`.

    Declared here (not in benchmarks) because the device detail embeds it and inventory must
    not import benchmarks; benchmarks.serializers extends it.
    """

    id = serializers.IntegerField(read_only=True)
    run_at = serializers.DateTimeField(read_only=True)
    bench_script_version = serializers.CharField(read_only=True)
    global_score = serializers.FloatField(read_only=True, allow_null=True)
    cpu_score = serializers.FloatField(read_only=True, allow_null=True)
    memory_score = serializers.FloatField(read_only=True, allow_null=True)
    disk_score = serializers.FloatField(read_only=True, allow_null=True)
    network_score = serializers.FloatField(read_only=True, allow_null=True)
    gpu_score = serializers.FloatField(read_only=True, allow_null=True)


class DeviceListSerializer(serializers.ModelSerializer):
    """A device with the scores of its latest benchmark (device_list() annotates them)."""

    tags = TagListField(read_only=True)
    global_score = serializers.FloatField(read_only=True, allow_null=True)
    cpu_score = serializers.SerializerMethodField()
    memory_score = serializers.SerializerMethodField()
    disk_score = serializers.SerializerMethodField()
    network_score = serializers.SerializerMethodField()
    gpu_score = serializers.SerializerMethodField()
    last_benchmark_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Device
        fields = (*DEVICE_FIELDS, *SCORE_FIELDS, "last_benchmark_at")

    def _score(self, device, name) -> float | None:
        benchmark = device.latest_benchmark
        return getattr(benchmark, name) if benchmark else None

    def get_cpu_score(self, device) -> float | None:
        return self._score(device, "cpu_score")

    def get_memory_score(self, device) -> float | None:
        return self._score(device, "memory_score")

    def get_disk_score(self, device) -> float | None:
        return self._score(device, "disk_score")

    def get_network_score(self, device) -> float | None:
        return self._score(device, "network_score")

    def get_gpu_score(self, device) -> float | None:
        return self._score(device, "gpu_score")


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = HardwareSnapshot
        fields = (
            "id",
            "device",
            "captured_at",
            "bench_script_version",
            *(field.column.name for field in schema.stored_fields()),
            "storage",
            "network",
            "raw",
        )
        read_only_fields = fields


class DeviceDetailSerializer(DeviceListSerializer):
    """One device: its metadata, latest snapshot and benchmark, and what is attached to it."""

    last_snapshot = SnapshotSerializer(read_only=True, allow_null=True)
    last_benchmark = BenchmarkSummarySerializer(
        source="latest_benchmark", read_only=True, allow_null=True
    )
    benchmarks_count = serializers.IntegerField(read_only=True)
    snapshots_count = serializers.IntegerField(read_only=True)
    links_count = serializers.IntegerField(read_only=True)
    documents_count = serializers.IntegerField(read_only=True)

    class Meta(DeviceListSerializer.Meta):
        fields = (
            *DeviceListSerializer.Meta.fields,
            "last_snapshot",
            "last_benchmark",
            "benchmarks_count",
            "snapshots_count",
            "links_count",
            "documents_count",
        )


class DeviceUpdateSerializer(serializers.ModelSerializer):
    """PATCH/PUT /api/devices/{id}: the metadata people edit."""

    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=100
    )

    class Meta:
        model = Device
        fields = ("hostname", "fqdn", "description", "asset_tag", "location", "owner", "tags")
        extra_kwargs = {"hostname": {"validators": []}}

    def validate_hostname(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        other = device_get_by_hostname(value)
        if other is not None and other.pk != getattr(self.instance, "pk", None):
            raise serializers.ValidationError(MSG_HOSTNAME_TAKEN)
        return value


class HttpUrlField(serializers.URLField):
    """A URL whose scheme is http or https, nothing else (no javascript:, file:, ftp:)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # in place of URLField's own URL validator, which also accepts ftp and ftps
        self.validators = [
            *(v for v in self.validators if not isinstance(v, URLValidator)),
            URLValidator(schemes=("http", "https"), message=MSG_LINK_URL),
        ]


class LinkSerializer(serializers.ModelSerializer):
    """A manufacturer link: GET/POST /api/devices/{id}/links, GET/PATCH/PUT /api/links/{id}."""

    url = HttpUrlField(max_length=ManufacturerLink._meta.get_field("url").max_length)

    class Meta:
        model = ManufacturerLink
        fields = ("id", "label", "url", "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")
