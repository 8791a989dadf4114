from django import template

register = template.Library()


@register.filter
def score(value) -> str:
    """A score for people: one decimal, an en dash when not measured."""
    if value is None or value == "":
        return "–"
    return f"{float(value):.1f}"


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
