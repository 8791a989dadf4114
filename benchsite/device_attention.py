"""The device list's word of the attention items: a mark beside a machine with an open item
(its worst severity) and a filter by it. The list showed a machine with a FAILED disk like
every other row; the dashboard's panel was the only place that said so. And the device page's
Unmute button of a kind muted on the machine (insights.mute)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from insights.models import AttentionItem, Kind, Severity
from insights.mute import MUTABLE, attention_mute_change
from insights.selectors import CRITICAL_FIRST

from .auth import may_view


def with_attention(queryset: QuerySet, request) -> QuerySet:
    """Each device with `attention`: the severity of its worst open item, None without one
    (one subquery a row, on the open items' unique index), for an account that may see them."""
    if not may_view(request.user, AttentionItem):
        return queryset
    worst = AttentionItem.objects.filter(device=OuterRef("pk"), closed_at__isnull=True)
    return queryset.annotate(
        attention=Subquery(worst.order_by(CRITICAL_FIRST).values("severity")[:1])
    )


# the mark of each severity, told apart by its shape as well as its colour (red, amber): the
# same "!" in both said "critical" only in red
MARKS = {Severity.CRITICAL: "!!", Severity.WARNING: "!"}


def retired_mark(device) -> str:
    """A retired machine's word beside its name (in words, not a colour): it is not ranked."""
    if device.retired_on is None:
        return ""
    return format_html(
        ' <span class="bt-badge bt-retired" title="retired on {}: not ranked">retired</span>',
        device.retired_on.isoformat(),
    )


def formerly_mark(device) -> str:
    """The hostnames a renamed machine had, under its name: found by a search of one, the row
    says why ("formerly pc-07")."""
    if not device.former_hostnames:
        return ""
    said = ", ".join(device.former_hostname_list)
    return format_html(' <span class="bt-quiet bt-formerly">formerly {}</span>', said)


@admin.display(description="hostname", ordering="hostname")
def hostname_marked(device) -> str:
    """The hostname, a mark of its worst open item (inside the link to its page, where the
    items are listed first), "retired" for a retired machine, and the names it had."""
    marks = format_html("{}{}", retired_mark(device), formerly_mark(device))
    severity = getattr(device, "attention", None)
    if not severity:
        return format_html("{}{}", device.hostname, marks)
    return format_html(
        '{} <span class="bt-badge bt-{}" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">needs attention: {}</span></span>{}',
        device.hostname,
        severity,
        f"needs attention ({severity}): its page lists what",
        MARKS.get(severity, "!"),
        severity,
        marks,
    )


class AttentionFilter(admin.SimpleListFilter):
    title = "attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        if not may_view(request.user, AttentionItem):
            return ()
        return (("critical", "a critical item open"), ("any", "an item open"), ("none", "none"))

    def queryset(self, request, queryset):
        open_items = AttentionItem.objects.filter(device=OuterRef("pk"), closed_at__isnull=True)
        if self.value() == "critical":
            return queryset.filter(Exists(open_items.filter(severity=Severity.CRITICAL)))
        if self.value() == "any":
            return queryset.filter(Exists(open_items))
        if self.value() == "none":
            return queryset.exclude(Exists(open_items))
        return queryset


# what the page says once the kind is unmuted and judged again on the machine's latest run
MSG_UNMUTED_OPENED = "Unmuted {kind}: {messages}, {opened} opened."
MSG_UNMUTED_NOTHING = "Unmuted {kind}: nothing to tell now (its latest run shows none)."
MSG_UNMUTED_RETIRED = "Unmuted {kind}: a retired machine opens no item until it runs again."


def unmute_view(model_admin, request, object_id: str, kind: str):
    """The device page's Unmute button: the kind judged again at once on the machine's
    latest run (insights.mute), back to the page, which says what opened. Unmuting changes
    the machine: its change permission."""
    if request.method != "POST":
        return HttpResponseNotAllowed(("POST",))
    device = model_admin.get_object(request, admin.utils.unquote(object_id))
    if (
        device is None
        or not model_admin.has_view_permission(request, device)
        or kind not in MUTABLE
    ):
        raise Http404
    if not model_admin.has_change_permission(request, device):
        raise PermissionDenied
    opened = attention_mute_change(device_ids=[device.pk], unmute=[kind], actor=request.user).opened
    said = (MSG_UNMUTED_RETIRED if device.retired_on else MSG_UNMUTED_NOTHING).format(
        kind=Kind(kind).label
    )
    if opened:
        said = MSG_UNMUTED_OPENED.format(
            kind=Kind(kind).label,
            messages="; ".join(item.message for item in opened),
            opened="item" if len(opened) == 1 else f"{len(opened)} items",
        )
    model_admin.message_user(request, said)
    return HttpResponseRedirect(reverse("admin:inventory_device_change", args=(device.pk,)))
