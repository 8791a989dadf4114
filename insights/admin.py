from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from . import services
from .models import AttentionItem


class StateFilter(admin.SimpleListFilter):
    """Open items unless asked otherwise, as GET /api/attention answers."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("open", "open"), ("closed", "closed"), ("all", "all"))

    def value(self):
        return super().value() or "open"

    def queryset(self, request, queryset):
        if self.value() in ("open", "closed"):
            return queryset.filter(closed_at__isnull=self.value() == "open")
        return queryset

    def choices(self, changelist):
        # no "All" of Django's own (it would mean the default, open): "all" is a lookup here
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(AttentionItem)
class AttentionItemAdmin(admin.ModelAdmin):
    list_display = (
        "device_link",
        "severity",
        "kind",
        "message",
        "opened_at",
        "closed_at",
        "closed_by",
    )
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

    @admin.display(description="device", ordering="device__hostname")
    def device_link(self, item):
        url = reverse("admin:inventory_device_change", args=(item.device_id,))
        return format_html('<a href="{}">{}</a>', url, item.device)

    def has_add_permission(self, request):
        return False  # the rules open items; people acknowledge them

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Nothing on an item is edited: its page acknowledges it (an open one) or deletes it."""
        if request.method == "POST" and "_acknowledge" in request.POST:
            item = self.get_object(request, object_id)
            if item is None or not self.has_change_permission(request, item):
                raise PermissionDenied
            services.attention_acknowledge(item=item, by=request.user.get_username())
            self.message_user(request, f"Acknowledged: {item.message}", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:insights_attentionitem_changelist"))
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Acknowledge selected items (close them)")
    def acknowledge(self, request, queryset):
        by = request.user.get_username()
        count = 0
        for item in queryset.filter(closed_at__isnull=True):
            services.attention_acknowledge(item=item, by=by)
            count += 1
        self.message_user(request, f"Acknowledged {count} item(s).", messages.SUCCESS)
