from django.contrib import admin
from django.db import models
from django.db.models import F
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from benchsite.charts import score_history_svg

from . import history, services
from .models import Device, HardwareSnapshot, ManufacturerLink, Tag


class ManufacturerLinkFormSet(BaseInlineFormSet):
    """The device page's links, written through the link services like the API's."""

    def save_new(self, form, commit=True):
        if not commit:
            return super().save_new(form, commit=commit)
        data = form.cleaned_data
        return services.link_create(device=self.instance, label=data["label"], url=data["url"])

    def save_existing(self, form, obj, commit=True):
        if not commit:
            return super().save_existing(form, obj, commit=commit)
        return services.link_update(link=obj, data=form.cleaned_data)

    def delete_existing(self, obj, commit=True):
        if commit:
            services.link_delete(link=obj)


# A URL typed without a scheme ("vendor.example/drivers") is taken as https.
LINK_FORMFIELDS = {models.URLField: {"assume_scheme": "https"}}
# snapshots offered by the compare page's picker, newest first (years of daily runs stay a list)
COMPARE_CHOICES = 1000


class ManufacturerLinkInline(admin.TabularInline):
    model = ManufacturerLink
    formset = ManufacturerLinkFormSet
    fields = ("label", "url")
    extra = 0
    formfield_overrides = LINK_FORMFIELDS


def _score(device, name: str, *, strong: bool = False):
    value = getattr(device.latest_benchmark, name) if device.latest_benchmark else None
    if value is None:
        return "–"
    return format_html("<strong>{}</strong>", f"{value:.1f}") if strong else f"{value:.1f}"


class _LatestSnapshotFilter(admin.SimpleListFilter):
    """Devices whose latest benchmarked snapshot has a given value of `field`."""

    field = ""

    def lookups(self, request, model_admin):
        values = (
            HardwareSnapshot.objects.exclude(**{self.field: ""})
            .order_by(self.field)
            .values_list(self.field, flat=True)
            .distinct()[:50]
        )
        return [(value, value) for value in values]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"latest_benchmark__snapshot__{self.field}": self.value()})
        return queryset


class CpuVendorFilter(_LatestSnapshotFilter):
    title = "CPU vendor"
    parameter_name = "cpu_vendor"
    field = "cpu_vendor"


class OsFilter(_LatestSnapshotFilter):
    title = "OS"
    parameter_name = "os"
    field = "os_name"


class VirtualizationFilter(_LatestSnapshotFilter):
    title = "virtualisation"
    parameter_name = "virtualization"
    field = "virtualization_type"


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = (
        "hostname",
        "location",
        "owner",
        "global_score",
        "cpu_score",
        "memory_score",
        "disk_score",
        "network_score",
        "gpu_score",
        "cpu_model",
        "last_benchmark_at",
    )
    list_display_links = ("hostname",)
    list_filter = (
        "location",
        "owner",
        "tags",
        CpuVendorFilter,
        OsFilter,
        VirtualizationFilter,
    )
    search_fields = (
        "hostname",
        "asset_tag",
        "description",
        "serial",
        "machine_id",
        "system_uuid",
        "fqdn",
    )
    list_select_related = ("latest_benchmark",)
    list_per_page = 50
    autocomplete_fields = ("tags",)
    readonly_fields = ("machine_id", "system_uuid", "serial", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("hostname", "fqdn", "description", "tags")}),
        ("Inventory", {"fields": ("asset_tag", "location", "owner")}),
        ("Identity (reported by the machine)", {"fields": ("machine_id", "system_uuid", "serial")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (ManufacturerLinkInline,)
    actions = ("export_csv",)

    def get_queryset(self, request):
        # The hardware columns come from the latest benchmark's snapshot, annotated rather
        # than joined whole (a snapshot row carries its raw JSON).
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_cpu_model=F("latest_benchmark__snapshot__cpu_model"),
            )
        )

    def get_ordering(self, request):
        return (F("latest_benchmark__global_score").desc(nulls_last=True), "hostname")

    @admin.display(description="global", ordering="latest_benchmark__global_score")
    def global_score(self, device):
        return _score(device, "global_score", strong=True)

    @admin.display(description="CPU", ordering="latest_benchmark__cpu_score")
    def cpu_score(self, device):
        return _score(device, "cpu_score")

    @admin.display(description="memory", ordering="latest_benchmark__memory_score")
    def memory_score(self, device):
        return _score(device, "memory_score")

    @admin.display(description="disk", ordering="latest_benchmark__disk_score")
    def disk_score(self, device):
        return _score(device, "disk_score")

    @admin.display(description="network", ordering="latest_benchmark__network_score")
    def network_score(self, device):
        return _score(device, "network_score")

    @admin.display(description="GPU", ordering="latest_benchmark__gpu_score")
    def gpu_score(self, device):
        return _score(device, "gpu_score")

    @admin.display(description="CPU model", ordering="latest_cpu_model")
    def cpu_model(self, device):
        return device.latest_cpu_model or "–"

    @admin.display(description="last benchmark", ordering="latest_benchmark__run_at")
    def last_benchmark_at(self, device):
        return device.latest_benchmark.run_at if device.latest_benchmark else None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        device = self.get_object(request, admin.utils.unquote(object_id))
        extra_context = dict(extra_context or {})
        if device is not None:
            story = history.device_story(device)
            story["chart"] = score_history_svg(
                [(row.run_at, row.scores) for row in story["history"]],
                markers=[
                    (row.run_at, "; ".join(row.changes)) for row in story["history"] if row.changes
                ],
            )
            extra_context["story"] = story
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        compare = path(
            "<path:object_id>/compare/",
            self.admin_site.admin_view(self.compare_view),
            name="inventory_device_compare",
        )
        return [compare, *super().get_urls()]

    def compare_view(self, request, object_id):
        """Two snapshots of the device side by side (?a=<id>&b=<id>; without them the two
        newest), with a picker of every snapshot of the device."""
        device = self.get_object(request, admin.utils.unquote(object_id))
        if device is None or not self.has_view_permission(request, device):
            raise Http404
        choices = list(
            device.snapshots.order_by("-captured_at", "-pk").values_list("pk", "captured_at")[
                :COMPARE_CHOICES
            ]
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": device,
            "title": f"{device}: hardware compared",
            "choices": choices,
        }
        if "a" not in request.GET and "b" not in request.GET:
            if len(choices) < 2:  # nothing to compare yet: say so on the page
                return TemplateResponse(request, "admin/inventory/device/compare.html", context)
            ids = [choices[1][0], choices[0][0]]
        else:
            try:
                ids = [int(request.GET[key]) for key in ("a", "b")]
            except (KeyError, ValueError):
                raise Http404("Choose two snapshots: ?a=<id>&b=<id>") from None
            if not all(0 < pk < 2**63 for pk in ids):  # a database integer, or no snapshot
                raise Http404("No such snapshot.")
        snapshots = {s.pk: s for s in device.snapshots.filter(pk__in=ids)}
        if len(snapshots) != len(set(ids)):
            raise Http404("Both snapshots must belong to this device.")
        a, b = sorted((snapshots[i] for i in ids), key=lambda s: (s.captured_at, s.pk))
        context.update(
            a=a,
            b=b,
            sections=history.snapshot_compare(a, b),
            changes=history.snapshot_changes(a, b),
        )
        return TemplateResponse(request, "admin/inventory/device/compare.html", context)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # The form already set the values on obj; the service saves only those columns.
        editable = (name for name in services.DEVICE_EDITABLE_FIELDS if name in form.cleaned_data)
        services.device_update(device=obj, data={name: getattr(obj, name) for name in editable})

    def delete_model(self, request, obj):
        services.device_delete(device=obj)

    def delete_queryset(self, request, queryset):
        for device in queryset:
            services.device_delete(device=device)


@admin.register(HardwareSnapshot)
class HardwareSnapshotAdmin(admin.ModelAdmin):
    actions = ("export_csv",)
    list_display = (
        "device",
        "captured_at",
        "cpu_model",
        "ram_total_mb",
        "os_name",
        "kernel_version",
    )
    # a date filter, not date_hierarchy: its SELECT DISTINCT over every captured_at is slow on
    # SQLite at 100k snapshots, as on the benchmark changelist (perf/reads.py)
    list_filter = ("captured_at", "cpu_vendor", "os_name", "virtualization_type", "architecture")
    search_fields = ("device__hostname", "cpu_model", "gpu_model", "motherboard_model")
    list_select_related = ("device",)

    def has_add_permission(self, request):
        return False  # snapshots come from submissions

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ManufacturerLink)
class ManufacturerLinkAdmin(admin.ModelAdmin):
    list_display = ("label", "device", "url", "updated_at")
    list_filter = ("device__location", "updated_at")
    search_fields = ("label", "url", "device__hostname")
    list_select_related = ("device",)
    autocomplete_fields = ("device",)
    readonly_fields = ("created_at", "updated_at")
    formfield_overrides = LINK_FORMFIELDS

    def get_readonly_fields(self, request, obj=None):
        # a link stays with its device (link_update edits label and URL)
        return (*self.readonly_fields, "device") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            services.link_update(link=obj, data=form.cleaned_data)
            return
        link = services.link_create(device=obj.device, label=obj.label, url=obj.url)
        # the admin goes on with `obj` (its message, its redirect): make it the created link
        obj.pk, obj.created_at, obj.updated_at = link.pk, link.created_at, link.updated_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.link_delete(link=obj)

    def delete_queryset(self, request, queryset):
        for link in queryset:
            services.link_delete(link=link)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
