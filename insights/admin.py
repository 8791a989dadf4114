from django.contrib import admin, messages

from . import services
from .models import AttentionItem


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("open", "open"), ("closed", "closed"))

    def queryset(self, request, queryset):
        if self.value() in ("open", "closed"):
            return queryset.filter(closed_at__isnull=self.value() == "open")
        return queryset


@admin.register(AttentionItem)
class AttentionItemAdmin(admin.ModelAdmin):
    list_display = ("device", "severity", "kind", "message", "opened_at", "closed_at", "closed_by")
    list_display_links = ("message",)
    list_filter = (StateFilter, "severity", "kind", "opened_at")
    search_fields = ("device__hostname", "message", "disk")
    list_select_related = ("device",)
    readonly_fields = (
        "device",
        "kind",
        "severity",
        "category",
        "disk",
        "message",
        "opened_at",
        "updated_at",
        "closed_at",
        "closed_by",
    )
    actions = ("acknowledge",)

    def has_add_permission(self, request):
        return False  # the rules open items; people acknowledge them

    @admin.action(description="Acknowledge selected items (close them)")
    def acknowledge(self, request, queryset):
        by = request.user.get_username()
        count = 0
        for item in queryset.filter(closed_at__isnull=True):
            services.attention_acknowledge(item=item, by=by)
            count += 1
        self.message_user(request, f"Acknowledged {count} item(s).", messages.SUCCESS)
