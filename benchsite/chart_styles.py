"""How the charts draw each series: its colour, the dash pattern of its line and the shape of
its points, the same in a chart and in its legend. Colour alone told the lines apart, and the
CPU's hid under the global score's; a series' dashes and shapes say which it is without it.

The score categories' are declared with them (inventory/schema.py CATEGORIES); the global
score's and a disk's SMART counters' here. Every colour is 3:1 or more on the admin's white and
on its dark mode's #121212 (WCAG's non-text contrast)."""

from collections.abc import Sequence
from itertools import pairwise
from typing import NamedTuple

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from inventory.schema import CATEGORIES


class SeriesStyle(NamedTuple):
    color: str
    dash: str = ""  # an SVG stroke-dasharray; solid without
    marker: str = "circle"  # a shape of _SHAPES
    label: str = ""  # the series' name where people read it (its key otherwise)


SERIES_STYLES: dict[str, SeriesStyle] = {
    "global": SeriesStyle("var(--body-loud-color)", "", "circle", "global"),
    **{c.name: SeriesStyle(c.color, c.dash, c.marker, c.label) for c in CATEGORIES},
    # a disk's SMART counters (benchsite.smart_history): the worst the reddest
    "reallocated": SeriesStyle("#c9302c", "", "square"),
    "pending": SeriesStyle("#b8730a", "9 4", "triangle"),
    "uncorrectable": SeriesStyle("#8e44ad", "2 3", "diamond"),
    "media errors": SeriesStyle("#8d6e63", "9 3 2 3", "triangle-down"),
}
_PLAIN = SeriesStyle("var(--body-fg)")  # a series of its own (a disk's temperature)


def series_style(name: str) -> SeriesStyle:
    return SERIES_STYLES.get(name) or _PLAIN._replace(label=name)


def series_label(name: str) -> str:
    return series_style(name).label or name


def _polygon(x: float, y: float, r: float, corners: Sequence[tuple[float, float]]) -> str:
    """The shape's path: its first corner, then each from the one before (relative, "l": half
    the bytes of a chart's hundreds of points), at a tenth of a unit."""
    at = [(round((x + dx * r) * 10), round((y + dy * r) * 10)) for dx, dy in corners]
    steps = " ".join(f"{_t(bx - ax)},{_t(by - ay)}" for (ax, ay), (bx, by) in pairwise(at))
    return f"M{_t(at[0][0])},{_t(at[0][1])}l{steps}z"


def _t(tenths: int) -> str:
    """A length in tenths of a unit, as few characters as it takes: 12.5, 3, -0.4."""
    whole, tenth = divmod(abs(tenths), 10)
    return f"{'-' if tenths < 0 else ''}{whole}{f'.{tenth}' if tenth else ''}"


# each shape's corners around its centre, in units of its size (a circle of radius 1 is as big)
_SHAPES = {
    "square": ((-0.9, -0.9), (0.9, -0.9), (0.9, 0.9), (-0.9, 0.9)),
    "triangle": ((0, -1.3), (1.2, 0.8), (-1.2, 0.8)),
    "triangle-down": ((0, 1.3), (1.2, -0.8), (-1.2, -0.8)),
    "diamond": ((0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)),
    "plus": (
        *((-0.4, -1.2), (0.4, -1.2), (0.4, -0.4), (1.2, -0.4), (1.2, 0.4), (0.4, 0.4)),
        *((0.4, 1.2), (-0.4, 1.2), (-0.4, 0.4), (-1.2, 0.4), (-1.2, -0.4), (-0.4, -0.4)),
    ),
}
MARKERS = frozenset({"circle", *_SHAPES})


def shape(marker: str, x: float, y: float, r: float, attributes: str) -> str:
    """A point's shape at (x, y), `r` its size (a circle's radius); `attributes` already
    escaped. An empty element, closed by itself (charts.js gives a point its title): an end
    tag each was 9 KB of the 1,176 points of a long history's page."""
    attributes = f" {attributes}" if attributes else ""  # a chart's point: its group's
    if marker in _SHAPES:
        return f'<path d="{_polygon(x, y, r, _SHAPES[marker])}"{attributes}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}"{attributes}/>'


def line_attributes(style: SeriesStyle, width: float) -> SafeString:
    return format_html(
        'style="stroke: {}" stroke-width="{}"{}',
        style.color,
        width,
        format_html(' stroke-dasharray="{}"', style.dash) if style.dash else "",
    )


def series_width(name: str) -> float:
    return 3 if name == "global" else 1.6


def legend(
    series: Sequence[str], *, suspect: bool, markers: bool, updates: bool = False
) -> SafeString:
    """The legend of a chart, in the page beside its drawing: in it, at the drawing's right, a
    narrow screen (where the drawing scrolls in its box) cut it off. Each series' line and
    point as the chart draws them, then what a hollow point and a dashed marker say."""
    items = []
    for name in series:
        style = series_style(name)
        drawn = format_html(
            '<line x1="1" x2="33" y1="7" y2="7" {}/>', line_attributes(style, series_width(name))
        )
        point = mark_safe(  # noqa: S308 (format_html's escaped attributes)
            shape(
                style.marker,
                17,
                7,
                3.6,
                format_html('style="fill: {}" class="bt-shape-{}"', style.color, style.marker),
            )
        )
        items.append((drawn + point, series_label(name)))
    if suspect:
        hollow = mark_safe(  # noqa: S308 (a constant)
            '<circle cx="17" cy="7" r="4.5" style="fill: var(--body-bg); '
            'stroke: var(--body-loud-color)"/>'
        )
        items.append((hollow, "suspect run (hollow)"))
    if markers:
        marker = mark_safe('<g class="bt-marker"><line x1="17" x2="17" y1="0" y2="14"/></g>')  # noqa: S308
        items.append((marker, "hardware changed"))
    if updates:  # a kernel updated every few weeks: told apart from a part changed
        update = mark_safe(  # noqa: S308 (a constant)
            '<g class="bt-marker bt-marker-update"><line x1="17" x2="17" y1="0" y2="14"/></g>'
        )
        items.append((update, "BIOS, OS or kernel updated"))
    return format_html(
        '<ul class="bt-chart-legend">{}</ul>',
        format_html_join(
            "",
            '<li><svg class="bt-swatch" viewBox="0 0 34 14" width="34" height="14" '
            'aria-hidden="true" focusable="false">{}</svg>{}</li>',
            items,
        ),
    )
