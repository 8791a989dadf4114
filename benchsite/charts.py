"""Server-rendered SVG charts for the admin: no JavaScript library, no CDN."""

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from inventory.schema import CATEGORIES, CATEGORY_NAMES

# The categories' colours (inventory/schema.py), as on the dashboard's bars.
SERIES_COLORS = {
    "global": "var(--body-loud-color)",
    **{category.name: category.color for category in CATEGORIES},
}
SERIES = ("global", *CATEGORY_NAMES)
WIDTH, HEIGHT = 900, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 110, 16, 32


def _local(when: datetime) -> datetime:
    return timezone.localtime(when) if timezone.is_aware(when) else when


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
    points: Sequence[tuple[datetime, Mapping[str, float | None]]],
    *,
    markers: Sequence[tuple[datetime, str]] = (),
    suspect: Sequence[tuple[datetime, str]] = (),
    series: Sequence[str] = SERIES,
) -> SafeString:
    """A line per series over time; a dashed vertical marker where the hardware changed; a
    hollow point, titled with its reasons, for each suspect run.

    `points` are (time, {series: score}) pairs in any order; None scores leave a gap.
    """
    points = sorted(((_local(when), scores) for when, scores in points), key=lambda p: p[0])
    markers = [(_local(when), label) for when, label in markers]
    suspect_at = {_local(when): reasons for when, reasons in suspect}
    if not points:
        return mark_safe("")  # noqa: S308 (a constant)
    values = [v for _, scores in points for name in series if (v := scores.get(name)) is not None]
    y_max = _nice_ceiling(max(values, default=100.0))
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    date_format = "%Y-%m-%d" if span > 2 * 86400 else "%Y-%m-%d %H:%M"

    def x(when: datetime) -> float:
        if len(points) == 1:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (when - start).total_seconds() / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / y_max)

    parts = [
        format_html(
            '<svg class="bt-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
            'xmlns="http://www.w3.org/2000/svg">',
            WIDTH,
            HEIGHT,
            "Score history",
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
            f"{start:{date_format}}",
            WIDTH - RIGHT,
            HEIGHT - 8,
            f"{end:{date_format}}",
        )
    )
    for when, label in markers:
        parts.append(
            format_html(
                '<g class="bt-marker"><line x1="{}" x2="{}" y1="{}" y2="{}"/><title>{}</title></g>',
                _n(x(when)),
                _n(x(when)),
                TOP,
                HEIGHT - BOTTOM,
                f"{when:%Y-%m-%d %H:%M}: {label}",
            )
        )
    for index, name in enumerate(series):
        color = SERIES_COLORS.get(name, "var(--body-fg)")
        segments, current = [], []
        for when, scores in points:
            value = scores.get(name)
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            current.append((x(when), y(value), when, value))
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
            for px, py, when, value in segment:
                title = f"{name} {value:.1f} — {when:%Y-%m-%d %H:%M}"
                if when in suspect_at:
                    title += f" — suspect: {suspect_at[when]}"
                parts.append(
                    format_html(
                        '<circle cx="{}" cy="{}" r="{}" style="fill: {}; stroke: {}" class="{}">'
                        "<title>{}</title></circle>",
                        _n(px),
                        _n(py),
                        (4 if when in suspect_at else 3.2) if name == "global" else 2.4,
                        "var(--body-bg)" if when in suspect_at else color,
                        color,
                        "bt-point bt-point-suspect" if when in suspect_at else "bt-point",
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
    if suspect_at:
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
