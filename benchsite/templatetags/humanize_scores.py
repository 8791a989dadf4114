from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.timesince import timesince

from benchmarks.validity import SUSPECT, badge, reasons_text
from benchsite.records_admin import cpu_short, local_time, partial_global, score_text
from inventory.schema import CATEGORIES

register = template.Library()


@register.filter
def validity_reasons(reasons) -> str:
    """A run's validity reasons as people read them: "machine busy, repeats disagree"."""
    return reasons_text(reasons)


@register.simple_tag
def run_badge(validity: str, reasons=()) -> str:
    """A suspect run's badge with its reasons (the run is trusted otherwise: no badge)."""
    return badge(validity, reasons)


def latest_run_cell(device) -> str:
    """A device's latest run where it is listed: its day (the minute in the tooltip), its
    badge if suspect and, when its scores are those of an earlier valid run, which: the
    device list showed a trusted global score beside "suspect", read as the suspect run's."""
    if device.last_benchmark_at is None:
        return "–"
    local = timezone.localtime(device.last_benchmark_at)
    ranked = device.ranking_run_at
    note = ""
    if device.latest_validity == SUSPECT and device.ranking_run_valid and ranked is not None:
        ranked = timezone.localtime(ranked)
        note = format_html(
            ' <span class="bt-suspect-note" title="its scores are from its latest valid run, '
            'of {}">not counted: scores of {}</span>',
            local_time(ranked),
            date_format(ranked, "Y-m-d"),
        )
    return format_html(
        '<span class="bt-when" title="{}">{}</span> {}{}',
        local_time(local),
        date_format(local, "Y-m-d"),
        badge(device.latest_validity, device.latest_validity_reasons),
        note,
    )


# why a score its run left out of the global score is shown without counting (validity.counted)
NOT_COUNTED = "measured on loopback: not in the global score"


@register.simple_tag
def not_counted_reason() -> str:
    return NOT_COUNTED


# what a score left out of the global score says after it: why, in a word (its tooltip and a
# screen reader say the rest)
LOOPBACK = " (loopback)"


@register.simple_tag
def uncounted(value, suffix=LOOPBACK) -> str:
    """A score its run left out of the global score: greyed, said "(loopback)", the reason in
    its tooltip and, for a screen reader, after it."""
    return format_html(
        '<span class="bt-skipped" title="{}">{}{}<span class="visually-hidden">: {}</span></span>',
        NOT_COUNTED,
        score(value),
        suffix,
        "not in the global score",
    )


@register.simple_tag
def partial_mark(device) -> str:
    """partial_global for a device's ranking figures."""
    scores = {c.name: getattr(device, f"{c.name}_score") for c in CATEGORIES}
    scores["global"] = device.global_score
    return partial_global(scores, device.ranking_excluded or ())


# a score for people: one decimal, an en dash when not measured (records_admin.score_text)
score = register.filter("score", score_text)


@register.filter
def filesizeformat_mb(value) -> str:
    """Megabytes for people: 16384 → "16 GB", 512 → "512 MB"."""
    try:
        mb = float(value)
    except (TypeError, ValueError):
        return "–"
    if mb >= 1024:
        gb = mb / 1024
        return f"{gb:.0f} GB" if gb >= 10 or gb.is_integer() else f"{gb:.1f} GB"
    return f"{mb:.0f} MB"


register.filter(cpu_short)  # benchsite.records_admin's


@register.filter
def thousands(value) -> str:
    """A count for people, its thousands apart: 7200 → "7,200" (an office's two years of
    monthly runs read "7200" on the dashboard)."""
    return f"{value:,}" if isinstance(value, int) else str(value)


@register.filter
def ago(when) -> str:
    """How long ago, for people: "just now" under a minute (Django's timesince says "0 minutes"),
    else "3 hours, 5 minutes ago"."""
    if not when:
        return "never"
    if (timezone.now() - when).total_seconds() < 60:
        return "just now"
    return f"{timesince(when)} ago"


@register.filter
def when(value) -> str:
    return local_time(value)
