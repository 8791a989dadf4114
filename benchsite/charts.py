"""Server-rendered SVG charts for the admin: no JavaScript library, no CDN."""

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from inventory.schema import CATEGORIES, CATEGORY_NAMES

from .records_admin import local_time, score_text

# The categories' colours (inventory/schema.py), as on the dashboard's bars.
SERIES_COLORS = {
    "global": "var(--body-loud-color)",
    **{category.name: category.color for category in CATEGORIES},
    # a disk's SMART counters (benchsite.smart_history): the worst the reddest
    "reallocated": "#c9302c",
    "pending": "#e08e0b",
    "uncorrectable": "#8e44ad",
    "media errors": "#795548",
}
SERIES = ("global", *CATEGORY_NAMES)
WIDTH, HEIGHT = 900, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 110, 16, 32


def _instant(when: datetime) -> datetime:
    """A time to place on the axis: in UTC, where the hour of autumn's DST change that the
    local clocks go through twice is two hours (local times in one zone compare and subtract
    by the wall clock: 02:30 CEST, then 02:15 CET, sorted the wrong way round)."""
    return when.astimezone(UTC) if timezone.is_aware(when) else when


def _day(when: datetime) -> str:
    return f"{timezone.localtime(when) if timezone.is_aware(when) else when:%Y-%m-%d}"


class Point(NamedTuple):
    """One point of every series: when, the series' values (None: a gap), and for a suspect
    run its reasons (drawn hollow, titled with them)."""

    when: datetime
    scores: Mapping[str, float | None]
    suspect: str = ""


def _n(value: float) -> str:
    """A coordinate as text (format_html escapes its arguments to strings first)."""
    return f"{value:.1f}"


def _nice_ceiling(value: float) -> float:
    """A round axis maximum at or above value (50, 100, 200, 250, 500, 1000…)."""
    if value <= 0:
        return 100.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def score_history_svg(
    points: Sequence[Point | tuple],
    *,
    markers: Sequence[tuple[datetime, str]] = (),
    series: Sequence[str] = SERIES,
    label: str = "Score history",
    when_label: Callable[[datetime], str] = local_time,
) -> SafeString:
    """A line per series over time; a dashed vertical marker where the hardware changed; a
    hollow point, titled with its reasons, for each suspect run.

    `points`: Point (or (when, scores[, suspect]) tuples) in any order, placed by their instant;
    None scores leave a gap. `label`: what the chart shows, for whoever cannot see it.
    `when_label`: a point's time in its title (the admin's local time by default)."""
    points = sorted((Point(*point) for point in points), key=lambda point: _instant(point.when))
    if not points:
        return mark_safe("")  # noqa: S308 (a constant)
    values = [v for p in points for name in series if (v := p.scores.get(name)) is not None]
    y_max = _nice_ceiling(max(values, default=100.0))
    start, end = _instant(points[0].when), _instant(points[-1].when)
    span = (end - start).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(when: datetime) -> float:
        if len(points) == 1:
            return LEFT + plot_w / 2
        # within the plot: a marker after the last point (a month's mean drawn on its 1st)
        fraction = min(max((_instant(when) - start).total_seconds() / span, 0.0), 1.0)
        return LEFT + plot_w * fraction

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / y_max)

    parts = [
        format_html(
            '<svg class="bt-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
            'xmlns="http://www.w3.org/2000/svg">',
            WIDTH,
            HEIGHT,
            label,
        )
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        level = y_max * fraction
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="bt-grid"/>'
                '<text x="{}" y="{}" class="bt-axis" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                _n(y(level)),
                _n(y(level)),
                LEFT - 6,
                _n(y(level) + 4),
                f"{level:g}",
            )
        )
    parts.append(
        format_html(
            '<text x="{}" y="{}" class="bt-axis">{}</text>'
            '<text x="{}" y="{}" class="bt-axis" text-anchor="end">{}</text>',
            LEFT,
            HEIGHT - 8,
            _day(points[0].when) if span > 2 * 86400 else when_label(points[0].when),
            WIDTH - RIGHT,
            HEIGHT - 8,
            _day(points[-1].when) if span > 2 * 86400 else when_label(points[-1].when),
        )
    )
    for when, change in markers:
        parts.append(
            format_html(
                '<g class="bt-marker"><line x1="{}" x2="{}" y1="{}" y2="{}"/><title>{}</title></g>',
                _n(x(when)),
                _n(x(when)),
                TOP,
                HEIGHT - BOTTOM,
                f"{local_time(when)}: {change}",
            )
        )
    for index, name in enumerate(series):
        color = SERIES_COLORS.get(name, "var(--body-fg)")
        segments, current = [], []
        for point in points:
            value = point.scores.get(name)
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            current.append((x(point.when), y(value), point, value))
        if current:
            segments.append(current)
        if not segments:
            continue
        width = 3 if name == "global" else 1.6
        for segment in segments:
            coordinates = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in segment)
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" style="stroke: {}" stroke-width="{}" '
                    'class="bt-series bt-series-{}"/>',
                    coordinates,
                    color,
                    width,
                    name,
                )
            )
            for px, py, point, value in segment:
                title = f"{name} {score_text(value)} — {when_label(point.when)}"
                if point.suspect:
                    title += f" — suspect: {point.suspect}"
                parts.append(
                    format_html(
                        '<circle cx="{}" cy="{}" r="{}" style="fill: {}; stroke: {}" class="{}">'
                        "<title>{}</title></circle>",
                        _n(px),
                        _n(py),
                        (4 if point.suspect else 3.2) if name == "global" else 2.4,
                        "var(--body-bg)" if point.suspect else color,
                        color,
                        "bt-point bt-point-suspect" if point.suspect else "bt-point",
                        title,
                    )
                )
        legend_y = TOP + 14 + index * 18
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" style="stroke: {}" stroke-width="{}"/>'
                '<text x="{}" y="{}" class="bt-legend">{}</text>',
                WIDTH - RIGHT + 12,
                WIDTH - RIGHT + 32,
                legend_y,
                legend_y,
                color,
                width,
                WIDTH - RIGHT + 38,
                legend_y + 4,
                escape(name),
            )
        )
    legend_rows = len(series)
    if any(point.suspect for point in points):
        legend_y = TOP + 14 + legend_rows * 18
        legend_rows += 1
        parts.append(
            format_html(
                '<circle cx="{}" cy="{}" r="4" style="fill: var(--body-bg); '
                'stroke: var(--body-loud-color)"/>'
                '<text x="{}" y="{}" class="bt-legend">suspect run</text>',
                WIDTH - RIGHT + 22,
                legend_y,
                WIDTH - RIGHT + 38,
                legend_y + 4,
            )
        )
    if markers:
        legend_y = TOP + 14 + legend_rows * 18
        parts.append(
            format_html(
                '<g class="bt-marker"><line x1="{}" x2="{}" y1="{}" y2="{}"/></g>'
                '<text x="{}" y="{}" class="bt-legend">hw changed</text>',
                WIDTH - RIGHT + 22,
                WIDTH - RIGHT + 22,
                legend_y - 7,
                legend_y + 7,
                WIDTH - RIGHT + 38,
                legend_y + 4,
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped by format_html)
