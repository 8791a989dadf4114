from django import template

register = template.Library()


@register.filter
def score(value) -> str:
    """A score for people: one decimal, an en dash when not measured."""
    if value is None or value == "":
        return "–"
    return f"{float(value):.1f}"
