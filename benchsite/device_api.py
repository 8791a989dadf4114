"""GET/PATCH/PUT /api/devices/{id}: a device with what the other apps attach to it.

inventory serves the device's own fields; this composition layer adds its latest snapshot, its
latest run (benchmarks) and the counts of its runs, snapshots, links and documents.
"""

from functools import partial

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from benchmarks.models import Benchmark
from benchmarks.selectors import benchmark_latest
from benchmarks.serializers import BenchmarkSummarySerializer
from documents.models import Document
from insights.mute import MUTABLE, attention_mute_change, not_mutable
from inventory import changelog, lifecycle
from inventory import views as inventory_views
from inventory.models import Device, HardwareSnapshot, ManufacturerLink
from inventory.selectors import device_search_fields, tags_unknown
from inventory.serializers import DeviceListSerializer, DeviceUpdateSerializer, SnapshotSerializer

from . import device_services
from .auth import TokenClient, may_read

MSG_NO_NEW_TAGS = "Your account's admin permissions do not allow adding tags: {names}."
MSG_NO_MUTING = "Your account's admin permissions do not allow muting attention items."
MSG_MUTED_LIST = "A list of attention kinds: none, or some of {kinds}."


class DeviceDetailSerializer(DeviceListSerializer):
    """One device: its metadata, latest snapshot and benchmark, and what is attached to it."""

    last_snapshot = SnapshotSerializer(source="latest_snapshot", read_only=True, allow_null=True)
    last_benchmark = BenchmarkSummarySerializer(read_only=True, allow_null=True)
    # null to a staff session that may not view those (as last_snapshot and last_benchmark)
    benchmarks_count = serializers.IntegerField(read_only=True, allow_null=True)
    snapshots_count = serializers.IntegerField(read_only=True, allow_null=True)
    links_count = serializers.IntegerField(read_only=True, allow_null=True)
    documents_count = serializers.IntegerField(read_only=True, allow_null=True)
    # the warning kinds it opens no attention item of (insights.mute): an extension
    attention_muted = serializers.SerializerMethodField()

    class Meta(DeviceListSerializer.Meta):
        fields = (
            *DeviceListSerializer.Meta.fields,
            "last_snapshot",
            "last_benchmark",
            "benchmarks_count",
            "snapshots_count",
            "links_count",
            "documents_count",
            "attention_muted",
        )

    def get_attention_muted(self, device) -> list[str]:
        return sorted(device.attention_muted or {})


class DeviceMuteSerializer(DeviceUpdateSerializer):
    """PATCH/PUT /api/devices/{id}: the metadata people edit, and the kinds muted (an
    extension: the whole list, the kinds left out unmuted; not sent, left as they are)."""

    attention_muted = serializers.ListField(
        child=serializers.ChoiceField(choices=MUTABLE), required=False, max_length=len(MUTABLE)
    )

    class Meta(DeviceUpdateSerializer.Meta):
        fields = (*DeviceUpdateSerializer.Meta.fields, "attention_muted")


def device_detail(
    device: Device,
    *,
    hardware: bool = True,
    runs: bool = True,
    links: bool = True,
    documents: bool = True,
) -> Device:
    """The device with its latest snapshot and run and its attachment counts; without
    `hardware`, `runs`, `links` or `documents` (what the caller may not view) its snapshot,
    its run or that count is None, unread (a device viewer read how many documents it has).

    Counts are separate indexed COUNTs: joining the relations in one query would multiply rows.
    """
    snapshot_id = device.latest_snapshot_id
    device.latest_snapshot = None  # not saved: the answer's alone
    if hardware and snapshot_id is not None:
        device.latest_snapshot = HardwareSnapshot.objects.filter(pk=snapshot_id).first()
    device.last_benchmark = benchmark_latest(device_id=device.pk) if runs else None
    for name, model, shown in (
        ("benchmarks", Benchmark, runs),
        ("snapshots", HardwareSnapshot, hardware),
        ("links", ManufacturerLink, links),
        ("documents", Document, documents),
    ):
        count = model.objects.filter(device_id=device.pk).count() if shown else None
        setattr(device, f"{name}_count", count)
    return device


# what the OpenAPI document cannot say as a schema (schemathesis: "mostly rejected")
EDIT_RULES = (
    "A key that is neither a field below nor one of the device's detail (its scores, its "
    "counts…, sent back as read and let be) is a 400 naming it. Text takes no NUL character. "
    f"Dates: none before {lifecycle.EARLIEST.isoformat()}; purchased_on and retired_on not "
    f"in the future, warranty_until not after {lifecycle.LATEST_WARRANTY.isoformat()}; "
    "warranty_until and retired_on not before purchased_on (sent or stored)."
)


class DeviceViewSet(inventory_views.DeviceViewSet):
    muting: list[str] | None = None  # the kinds a PATCH/PUT's attention_muted names
    detail_serializer_class = DeviceDetailSerializer
    edited_besides = ("attention_muted",)
    device_delete = staticmethod(device_services.device_delete)  # and its peers judged again

    def detail_object(self, device: Device) -> Device:
        # a staff session reads what its admin permissions show, as the device page does
        return device_detail(
            device,
            hardware=may_read(self.request, HardwareSnapshot),
            runs=may_read(self.request, Benchmark),
            links=may_read(self.request, ManufacturerLink),
            documents=may_read(self.request, Document),
        )

    def reads_hardware(self) -> bool:
        # ?disks= (inventory.filters): the disks' readings, for who may read the hardware
        return may_read(self.request, HardwareSnapshot)

    @property
    def search_fields(self):
        request = getattr(self, "request", None)  # None: the OpenAPI document's generation
        return device_search_fields(hardware=request is None or may_read(request, HardwareSnapshot))

    @extend_schema(responses=DeviceDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=DeviceMuteSerializer, responses=DeviceDetailSerializer, description=EDIT_RULES
    )
    def update(self, request, *args, **kwargs):
        self.refuse_new_tags(request)
        # checked before anything is written: a 400 of another field mutes and opens nothing
        self.muting = self.muted_sent(request)
        return super().update(request, *args, **kwargs)

    def device_write(self, device: Device, data: dict) -> None:
        """The device's fields written, then the kinds muted and unmuted, in one transaction:
        the unmuted ones judged on the machine as the request leaves it (one brought back into
        service by it opens what holds; one retired by it, nothing), a kind muted closing what
        its return reopened. The fields are written after the CPU models' judgments are locked
        (insights.mute), as every judgment takes them before the device's row."""
        if self.muting is None:
            super().device_write(device, data)
            return
        attention_mute_change(
            device_ids=[device.pk],
            mute=self.muting,
            unmute=[kind for kind in MUTABLE if kind not in self.muting],
            actor=self.request.user,
            first=partial(super().device_write, device, data),
        )

    def muted_sent(self, request) -> list[str] | None:
        """The kinds `attention_muted` names (None when not sent): a 400 naming the field for
        anything but a list of warning kinds; a staff session needs the permission to
        acknowledge items (muting closes them), else 403."""
        if not isinstance(request.data, dict) or "attention_muted" not in request.data:
            return None
        self.get_object()  # an unknown device is a 404 first, whatever the list says
        muted = request.data["attention_muted"]
        if not isinstance(muted, list) or not all(isinstance(kind, str) for kind in muted):
            kinds = ", ".join(MUTABLE)
            raise serializers.ValidationError(
                {"attention_muted": [MSG_MUTED_LIST.format(kinds=kinds)]}
            )
        if errors := not_mutable(muted):
            raise serializers.ValidationError({"attention_muted": errors})
        user = request.user
        if not isinstance(user, TokenClient) and not user.has_perm("insights.change_attentionitem"):
            raise PermissionDenied(MSG_NO_MUTING)
        return muted

    def refuse_new_tags(self, request) -> None:
        """A staff session names no tag that does not exist yet without the permission to add
        tags (the device form's + and the bulk edit's "New tags" are its only): 403. A token's
        write scope may."""
        tags = request.data.get("tags") if isinstance(request.data, dict) else None
        user = request.user
        if not isinstance(tags, list) or isinstance(user, TokenClient):
            return
        if user.has_perm("inventory.add_tag"):
            return
        self.get_object()  # an unknown device is a 404 first
        if unknown := tags_unknown(tag for tag in tags if isinstance(tag, str)):
            raise PermissionDenied(MSG_NO_NEW_TAGS.format(names=changelog.shown(unknown)))

    @extend_schema(
        request=DeviceMuteSerializer, responses=DeviceDetailSerializer, description=EDIT_RULES
    )
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)
