"""The device list's word of the attention items: a mark beside a machine with an open item
(its worst severity) and a filter by it. The list showed a machine with a FAILED disk like
every other row; the dashboard's panel was the only place that said so."""

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.html import format_html

from insights.models import AttentionItem, Severity
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


@admin.display(description="hostname", ordering="hostname")
def hostname_marked(device) -> str:
    """The hostname, a mark of its worst open item (inside the link to its page, where the
    items are listed first), and "retired" for a retired machine."""
    severity = getattr(device, "attention", None)
    if not severity:
        return format_html("{}{}", device.hostname, retired_mark(device))
    return format_html(
        '{} <span class="bt-badge bt-{}" title="{}"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">needs attention: {}</span></span>{}',
        device.hostname,
        severity,
        f"needs attention ({severity}): its page lists what",
        MARKS.get(severity, "!"),
        severity,
        retired_mark(device),
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
