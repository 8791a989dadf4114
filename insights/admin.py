from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from benchsite.auth import may_view
from benchsite.records_admin import LinksItMayOpen, ListsWhatItShows, local_time, zone_if_twice
from inventory.models import Device

from . import notify, notify_queue, services
from .acknowledge import attention_acknowledge_many
from .delivery import DEVICE_RETIRED
from .models import AttentionItem, Kind, Notification
from .mute import MUTABLE, attention_mute_kinds
from .selectors import CRITICAL_FIRST


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
class AttentionItemAdmin(LinksItMayOpen, admin.ModelAdmin):
    list_display = ("device_link", "severity_badge", "kind", "message", "opened", "closed")
    list_display_links = ("message",)
    list_filter = (StateFilter, "severity", "kind", "opened_at")
    search_fields = ("device__hostname", "message", "disk")
    list_select_related = ("device",)
    # as the dashboard lists them: a failing disk is not below last week's warnings
    ordering = (CRITICAL_FIRST.asc(), "-opened_at", "-id")
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
    actions = ("acknowledge", "mute_kind")

    def get_list_display(self, request):
        # the device's page only for an account that may open it (it was a link to a 403)
        if may_view(request.user, Device):
            return self.list_display
        return tuple("device" if name == "device_link" else name for name in self.list_display)

    @admin.display(description="device", ordering="device__hostname")
    def device_link(self, item):
        url = reverse("admin:inventory_device_change", args=(item.device_id,))
        return format_html('<a href="{}">{}</a>', url, item.device)

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, item):
        # as the dashboard's panel shows it: a critical item stands out in a long list
        return format_html(
            '<span class="bt-badge bt-{}">{}</span>', item.severity, item.get_severity_display()
        )

    @admin.display(description="opened at", ordering="opened_at")
    def opened(self, item):
        return local_time(item.opened_at)  # autumn's repeated hour with its zone, as elsewhere

    @admin.display(description="closed", ordering="closed_at")
    def closed(self, item):
        """When and how it closed, one column: "open" lists leave it to a dash."""
        if item.closed_at is None:  # marked: a phone's card of the item leaves it out
            return format_html('<span class="bt-still-open">{}</span>', "–")
        when = local_time(item.closed_at)
        if item.closed_by == DEVICE_RETIRED:
            return f"{when}, its device retired"
        return (
            f"{when}, acknowledged by {item.closed_by}" if item.closed_by else f"{when}, resolved"
        )

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
        extra_context = {**(extra_context or {}), "may_view_device": may_view(request.user, Device)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Acknowledge selected items (close them)", permissions=("change",))
    def acknowledge(self, request, queryset):
        count = attention_acknowledge_many(items=queryset, by=request.user.get_username())
        self.message_user(request, f"Acknowledged {count} item(s).", messages.SUCCESS)

    def has_mute_permission(self, request):
        # muting closes the machines' items (their change) and is kept on the machines (theirs)
        user = request.user
        return user.has_perm("insights.change_attentionitem") and user.has_perm(
            "inventory.change_device"
        )

    @admin.action(
        description="Mute this kind on these machines (no item of it opens again)",
        permissions=("mute",),
    )
    def mute_kind(self, request, queryset):
        """Each selected item's kind muted on its machine (insights.mute): its open items of
        that kind close as acknowledged; a critical kind is never muted, said."""
        by_kind: dict[str, set[int]] = {}
        for device_id, kind in queryset.order_by().values_list("device_id", "kind").distinct():
            by_kind.setdefault(kind, set()).add(device_id)
        closed = attention_mute_kinds(
            kinds={kind: ids for kind, ids in by_kind.items() if kind in MUTABLE},
            actor=request.user,
        )
        for kind, ids in sorted(by_kind.items()):
            label, count = Kind(kind).label, len(ids)
            if kind in MUTABLE:
                self.message_user(
                    request,
                    f"Muted {label} on {count} machine(s): no item of it opens for them until "
                    "unmuted on their pages.",
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    f"Not muted: {label} (critical: a failing disk is always told).",
                    messages.WARNING,
                )
        if closed:
            self.message_user(request, f"Closed {closed} open item(s) of the muted kinds.")


class DeliveryFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"
    STATES = {
        "waiting": Q(sent_at__isnull=True, failed_at__isnull=True),
        "sent": Q(sent_at__isnull=False),
        "given_up": Q(failed_at__isnull=False),
    }

    def lookups(self, request, model_admin):
        return (("waiting", "waiting or retrying"), ("sent", "sent"), ("given_up", "given up"))

    def queryset(self, request, queryset):
        state = self.STATES.get(self.value())
        return queryset.filter(state) if state is not None else queryset


@admin.register(Notification)
class NotificationAdmin(ListsWhatItShows, admin.ModelAdmin):
    """What was told to whom, and what could not be: each notification to each NOTIFY_URLS
    address, read-only; one that waits or was given up can be sent again."""

    list_display = ("created", "title", "target_label", "state", "last_error")
    list_display_links = ("title",)
    list_filter = (DeliveryFilter, "created_at")
    search_fields = ("title", "body", "target_label")
    readonly_fields = (
        "item",
        "title",
        "body",
        "type",
        "target_label",
        "created_at",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "failed_at",
        "last_error",
    )
    exclude = ("target", "lease_until")
    list_deferred = ("body",)  # its title is listed; the body is on its page
    actions = ("send_again",)

    def has_add_permission(self, request):
        return False  # made by the attention items

    def has_view_permission(self, request, obj=None):
        # a notification tells an item of a machine: the permissions to view those as well
        # (with "view notification" alone its page showed what /api/attention refused)
        return super().has_view_permission(request, obj) and may_view(
            request.user, AttentionItem, Device
        )

    @admin.display(description="created at", ordering="created_at")
    def created(self, notification):
        return local_time(notification.created_at)

    def has_change_permission(self, request, obj=None):
        return False  # what was sent stays as it was: its page shows it

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(behind=notify_queue.behind_earlier())

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and not settings.NOTIFY_URLS:
            # an empty list could mean nothing happened: say that nothing is sent at all
            messages.info(
                request,
                "Notifications are off: NOTIFY_URLS is not set. Set it (Apprise URLs: ntfy://, "
                "mailto://, json://…) and SITE_URL in the server's .env, then restart it; "
                'manage.py notify_test tries them (README, "Notifications").',
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="state")
    def state(self, row):
        """What happened and when (the time alone today), and the attempts past the first."""
        when = row.sent_at or row.failed_at or row.next_attempt_at
        if when is None:
            return row.state
        if row.behind and not row.attempts:
            return "after the earlier one"  # of its item to this URL, still retried
        when = timezone.localtime(when)
        today = when.date() == timezone.localdate()
        label = {"waiting": "due", "retrying": "next try"}.get(row.state, row.state)
        shown = f"{when:%H:%M:%S}{zone_if_twice(when)}" if today else local_time(when)
        text = f"{label} {shown}"
        return f"{text} ({row.attempts} attempts)" if row.attempts > 1 else text

    def has_send_again_permission(self, request):
        # what was sent stays as it was (no change page), but sending it again is a change
        return request.user.has_perm("insights.change_notification")

    @admin.action(
        description="Send selected notifications again (those not sent)",
        permissions=("send_again",),
    )
    def send_again(self, request, queryset):
        count = queryset.filter(sent_at__isnull=True).update(
            next_attempt_at=timezone.now(), failed_at=None, lease_until=None
        )
        transaction.on_commit(notify.sender.wake)
        self.message_user(
            request, f"{count} notification(s) due again: sent in a moment.", messages.SUCCESS
        )
