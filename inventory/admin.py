from django.contrib import admin

from . import services
from .models import Device, HardwareSnapshot, ManufacturerLink, Tag


class ManufacturerLinkInline(admin.TabularInline):
    model = ManufacturerLink
    fields = ("label", "url")
    extra = 0


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = (
        "hostname",
        "location",
        "owner",
        "asset_tag",
        "global_score",
        "last_benchmark_at",
    )
    list_filter = ("location", "tags")
    search_fields = ("hostname", "asset_tag", "description", "serial", "machine_id", "system_uuid")
    list_select_related = ("latest_benchmark",)
    filter_horizontal = ("tags",)
    readonly_fields = ("machine_id", "system_uuid", "serial", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("hostname", "fqdn", "description", "tags")}),
        ("Inventory", {"fields": ("asset_tag", "location", "owner")}),
        ("Identity (reported by the machine)", {"fields": ("machine_id", "system_uuid", "serial")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (ManufacturerLinkInline,)

    @admin.display(description="global score", ordering="latest_benchmark__global_score")
    def global_score(self, device):
        return device.latest_benchmark.global_score if device.latest_benchmark else None

    @admin.display(description="last benchmark", ordering="latest_benchmark__run_at")
    def last_benchmark_at(self, device):
        return device.latest_benchmark.run_at if device.latest_benchmark else None

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
    list_display = (
        "device",
        "captured_at",
        "cpu_model",
        "ram_total_mb",
        "os_name",
        "kernel_version",
    )
    list_filter = ("cpu_vendor", "os_name", "virtualization_type", "architecture")
    search_fields = ("device__hostname", "cpu_model", "gpu_model", "motherboard_model")
    list_select_related = ("device",)
    date_hierarchy = "captured_at"

    def has_add_permission(self, request):
        return False  # snapshots come from submissions

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ManufacturerLink)
class ManufacturerLinkAdmin(admin.ModelAdmin):
    list_display = ("label", "device", "url", "updated_at")
    search_fields = ("label", "url", "device__hostname")
    list_select_related = ("device",)
    autocomplete_fields = ("device",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
