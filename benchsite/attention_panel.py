"""The dashboard's *Needs attention* panel, sized for an office: every critical item said on
a line of its machine's, the warnings a line per kind naming their machines. A line per item
(20 of them) filled the first screen at 1366 px with 30 open items, the ranking under it."""

from collections import Counter
from urllib.parse import urlencode

from django.urls import reverse

from insights.models import AttentionItem, Kind, Severity
from insights.selectors import attention_board

from .auth import may_view

CRITICAL_ITEMS = 60  # the newest critical items read; their machines a line each
CRITICAL_LINES = 30  # more machines with a critical item: a count and a link to them all
WARNING_NAMED = 8  # a warning kind's machines named on its line; more: a count and a link


def by_device(items: list[AttentionItem]) -> list[tuple[AttentionItem, list[AttentionItem], str]]:
    """The critical items, one line per device: its first (the newest), the others it has
    among those read, and what they are ("SMART degrading ×2"), newest first. One machine's
    items each on its own line pushed the other machines down."""
    groups: dict[int, tuple[AttentionItem, list[AttentionItem]]] = {}
    for item in items:
        if item.device_id in groups:
            groups[item.device_id][1].append(item)
        else:
            groups[item.device_id] = (item, [])
    lines = []
    for first, others in groups.values():
        kinds = Counter(item.get_kind_display() for item in others)
        said = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in kinds.items())
        lines.append((first, others, said))
    return lines


def attention_panel(user) -> dict:
    """The panel's context, for an account that may view the attention items (as their admin
    page); three queries whatever is open (one when nothing is)."""
    if not may_view(user, AttentionItem):
        return {"attention_visible": False}
    board = attention_board(critical=CRITICAL_ITEMS, named=WARNING_NAMED)
    listed = reverse("admin:insights_attentionitem_changelist")

    def open_ones(**only) -> str:
        return f"{listed}?{urlencode({'state': 'open', **only})}"

    critical = by_device(board.critical)[:CRITICAL_LINES]
    labels = dict(Kind.choices)
    return {
        "attention_visible": True,
        "attention_total": board.total,
        "attention_url": open_ones(),
        "attention_critical": critical,
        "attention_critical_more": board.critical_machines - len(critical),
        "attention_critical_url": open_ones(severity__exact=Severity.CRITICAL),
        "attention_warnings": [
            {
                "kind": kind,
                "label": labels[kind],
                "machines": machines,
                "named": named,
                "more": machines - len(named),
                "url": open_ones(kind__exact=kind),
            }
            for kind, machines, named in board.warnings
        ],
    }
