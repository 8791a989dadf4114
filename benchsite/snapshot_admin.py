"""A hardware snapshot's admin page: its fields, and its disks, partitions and interfaces as
the device page tells them (benchsite/hardware_tables.py: the first rows, those that need a
look first, the rest a click away), with its JSON as received to download, not written out on
the page: a storage server's 4,096 disks made a page of 6 MB."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import TextField
from django.db.models.functions import Cast, Length
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from inventory import services
from inventory.hardware_diff import listed
from inventory.history import size_mb
from inventory.models import HardwareSnapshot
from inventory.selectors import SNAPSHOT_SIZED_FIELDS

from .hardware_tables import SHOWN, WHOLE, hardware_tables, table_links
from .paginator import KeysFirstPaginator
from .records_admin import ListsWhatItShows, RecordAdmin, cpu_model_cell


def raw_bytes_said(size: int | None) -> str:
    """ "6.1 MB", "840 KB": the size of a snapshot's JSON, as a download link says it."""
    if size is None:
        return ""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


@admin.register(HardwareSnapshot)
class HardwareSnapshotAdmin(ListsWhatItShows, RecordAdmin):
    actions = ("export_csv",)
    list_display = (
        "device",
        "captured_at",
        "cpu",
        "ram",
        "os_name",
        "kernel_version",
    )
    # a date filter, not date_hierarchy: its SELECT DISTINCT over every captured_at is slow on
    # SQLite at 100k snapshots, as on the benchmark changelist (perf/reads.py)
    list_filter = ("captured_at", "cpu_vendor", "os_name", "virtualization_type", "architecture")
    search_fields = ("device__hostname", "cpu_model", "gpu_model", "motherboard_model")
    list_select_related = ("device",)
    # the list shows none of its JSON (a page of 100 snapshots of 4,096 disks read 440 MB)
    list_deferred = SNAPSHOT_SIZED_FIELDS
    paginator = KeysFirstPaginator  # a deep page reads the index to it, not every row before
    # its lists told as tables under the fields (the template), its JSON as received a download
    exclude = ("storage", "network", "raw")
    change_form_template = "admin/inventory/hardwaresnapshot/change_form.html"

    @admin.display(description="CPU model", ordering="cpu_model")
    def cpu(self, snapshot):
        # as the device list shows it: the list fits 1400 px with the sidebar open
        return cpu_model_cell(snapshot.cpu_model)

    @admin.display(description="RAM", ordering="ram_total_mb")
    def ram(self, snapshot):
        # as the device page and the compare page say it: "64 GB", not 65536
        return size_mb(snapshot.ram_total_mb) if snapshot.ram_total_mb is not None else "–"

    def get_queryset(self, request):
        # its JSON as received is 6 MB for 4,096 disks: read by its download only
        return super().get_queryset(request).defer("raw", "disk_readings")

    def get_object(self, request, object_id, from_field=None):
        # read once a request: change_view reads it for its tables, then Django's form
        cached = getattr(request, "_snapshot_read", None)
        if cached is not None and from_field is None and str(cached.pk) == str(object_id):
            return cached
        return super().get_object(request, object_id, from_field)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        snapshot = self.get_object(request, unquote(object_id))
        request._snapshot_read = snapshot
        extra_context = dict(extra_context or {})
        if snapshot is not None:
            whole = request.GET.get("all", "")  # ?all=disks: that table whole
            storage, network = snapshot.storage, snapshot.network
            tables = hardware_tables(
                listed(storage, "devices"),
                listed(storage, "partitions"),
                listed(network, "interfaces"),
                hot_c=settings.DISK_HOT_C,
                whole=whole if whole in WHOLE else "",
            )
            size = (
                HardwareSnapshot.objects.filter(pk=snapshot.pk)
                .values_list(Length(Cast("raw", TextField())), flat=True)
                .first()
            )
            extra_context.update(
                tables=tables,
                table_links=table_links(request.GET),
                shown=SHOWN,
                raw_url=reverse("admin:inventory_hardwaresnapshot_raw", args=(snapshot.pk,)),
                raw_said=raw_bytes_said(size),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def raw_view(self, request, object_id):
        """The snapshot's hardware object as received, a JSON file to download."""
        snapshot = self.get_object(request, unquote(object_id))
        if snapshot is None:
            raise Http404
        if not self.has_view_permission(request, snapshot):
            raise PermissionDenied
        text = (
            HardwareSnapshot.objects.filter(pk=snapshot.pk)
            .values_list(Cast("raw", TextField()), flat=True)
            .get()
        )
        name = f"snapshot-{snapshot.pk}-{slugify(snapshot.device.hostname) or 'device'}"
        name += f"-{snapshot.captured_at:%Y%m%d-%H%M%S}.json"
        response = HttpResponse(text, content_type="application/json")
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response

    def get_urls(self):
        raw = path(
            "<path:object_id>/raw/",
            self.admin_site.admin_view(self.raw_view),
            name="inventory_hardwaresnapshot_raw",
        )
        return [raw, *super().get_urls()]

    def delete_model(self, request, obj):
        services.snapshot_delete(snapshots=HardwareSnapshot.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.snapshot_delete(snapshots=queryset)
