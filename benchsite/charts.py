"""Server-rendered SVG charts for the admin: no JavaScript library, no CDN."""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from inventory.schema import CATEGORY_NAMES

from .chart_styles import legend, line_attributes, series_label, series_style, series_width, shape
from .records_admin import local_time, score_text

SERIES = ("global", *CATEGORY_NAMES)
WIDTH, HEIGHT = 900, 280
# the legend is beside the drawing, in the page (chart_styles.legend): no room kept for it
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 32


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


def _value_text(value: float) -> str:
    """A point's value for people: a count or a temperature as read (7, not 7.0), a score to
    one decimal."""
    return (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else score_text(value)
    )


@dataclass(frozen=True)
class Chart:
    """A chart as a page shows it (benchsite/templates/benchsite/chart.html): its drawing,
    its legend beside it, and its data, a table of every point it draws (`table`: the table's
    head and body) for whoever cannot see the drawing or hover its points. One drawing of no
    point is nothing to show (false)."""

    svg: SafeString = mark_safe("")  # noqa: S308 (a constant)
    legend: SafeString = mark_safe("")  # noqa: S308 (a constant)
    table: SafeString = mark_safe("")  # noqa: S308 (a constant)
    label: str = ""
    points: int = 0

    def __bool__(self) -> bool:
        return bool(self.svg)


def score_history_chart(
    points: Sequence[Point | tuple],
    *,
    markers: Sequence[tuple[datetime, str]] = (),
    series: Sequence[str] = SERIES,
    label: str = "Score history",
    when_label: Callable[[datetime], str] = local_time,
) -> Chart:
    """A line per series over time; a dashed vertical marker where the hardware changed; a
    hollow point, titled with its reasons, for each suspect run. Its legend and its data table
    list the same points, series and markers as it draws.

    `points`: Point (or (when, scores[, suspect]) tuples) in any order, placed by their instant;
    None scores leave a gap. `label`: what the chart shows, for whoever cannot see it.
    `when_label`: a point's time in its title and its row of the table (the admin's local time
    by default)."""
    points = sorted((Point(*point) for point in points), key=lambda point: _instant(point.when))
    if not points:
        return Chart()
    whens = [when_label(point.when) for point in points]  # each point's, once
    # (when, what changed[, a part changed]): false, a BIOS, OS or kernel update alone
    markers = sorted(
        ((when, change, *(parts[:1] or [True])) for when, change, *parts in markers),
        key=lambda marker: _instant(marker[0]),
    )
    drawn = [name for name in series if any(p.scores.get(name) is not None for p in points)]
    return Chart(
        svg=_drawing(points, whens, markers, drawn, label),
        legend=legend(
            drawn,
            suspect=any(p.suspect for p in points),
            markers=any(parts for *_, parts in markers),
            updates=not all(parts for *_, parts in markers),
        ),
        table=_table(points, whens, markers, drawn),
        label=label,
        points=len(points),
    )


def _drawing(points: list[Point], whens: list[str], markers, series, label: str) -> SafeString:
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
            _day(points[0].when) if span > 2 * 86400 else whens[0],
            WIDTH - RIGHT,
            HEIGHT - 8,
            _day(points[-1].when) if span > 2 * 86400 else whens[-1],
        )
    )
    parts.extend(_ticks(start, end, x))
    for when, change, changed_parts in markers:
        parts.append(
            format_html(
                '<g class="{}"><line x1="{}" x2="{}" y1="{}" y2="{}"/><title>{}</title></g>',
                "bt-marker" if changed_parts else "bt-marker bt-marker-update",
                _n(x(when)),
                _n(x(when)),
                TOP,
                HEIGHT - BOTTOM,
                f"{local_time(when)}: {change}",
            )
        )
    for column, name in enumerate(series, 1):
        parts.extend(_series(name, column, points, x, y))
    # the scale again at the newest end, over its grid lines and the lines drawn: a phone's
    # chart opens scrolled there (charts.js), its left edge and the scale out of sight (admin.css
    # shows these on a phone only)
    parts.extend(
        format_html(
            '<text x="{}" y="{}" class="bt-axis bt-axis-end" text-anchor="end">{}</text>',
            WIDTH - RIGHT,
            _n(y(y_max * fraction) - 4),
            f"{y_max * fraction:g}",
        )
        for fraction in (0.25, 0.5, 0.75, 1)
    )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped by format_html)


# a tick's step, months or days, the first whose ticks fit the plot at about this far apart
TICK_SPACING = 80
END_ROOM = 105  # an end's date and half a tick's label, at a small chart's 14 px
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)
DAY_STEPS = (1, 2, 7, 14)


def _ticks(start: datetime, end: datetime, x) -> list[SafeString]:
    """The time axis between its two ends: a dated line at each 1st of a month (of a year
    past a few years, each 1st or each Monday over a month or two), local days, so a drop or a
    marker in two years of weekly runs is read against a date, not against two dates 836 px
    apart. None within a tick's width of an end, whose own date is written there."""
    aware = timezone.is_aware(start)
    first, last = (timezone.localtime(t).date() if aware else t.date() for t in (start, end))
    room = (WIDTH - LEFT - RIGHT) / TICK_SPACING
    days = (last - first).days
    if days < 3:
        return []
    dates: list[date] = []
    if days > 62:
        months = (last.year - first.year) * 12 + last.month - first.month
        step = next((s for s in MONTH_STEPS if months / s <= room), MONTH_STEPS[-1])
        index = first.year * 12 + first.month  # the month after the first day's
        index += -index % step  # on a multiple of the step: January with yearly ticks
        while (when := date(index // 12, index % 12 + 1, 1)) <= last:
            dates.append(when)
            index += step
        label = "%Y" if step >= 12 else "%Y-%m"
    else:
        step = next((s for s in DAY_STEPS if days / s <= room), DAY_STEPS[-1])
        when = first + timedelta(days=1 if step < 7 else -first.weekday() % 7 or 7)
        while when <= last:
            dates.append(when)
            when += timedelta(days=step)
        label = "%m-%d"
    ticks = []
    for when in dates:
        midnight = datetime.combine(when, datetime.min.time())
        at = x(timezone.make_aware(midnight) if aware else midnight)
        if not LEFT + END_ROOM <= at <= WIDTH - RIGHT - END_ROOM:
            continue  # the end's date is written there
        ticks.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="bt-grid bt-tick"/>'
                '<text x="{}" y="{}" class="bt-axis" text-anchor="middle">{}</text>',
                _n(at),
                _n(at),
                TOP,
                HEIGHT - BOTTOM,
                _n(at),
                HEIGHT - 8,
                f"{when:{label}}",
            )
        )
    return ticks


def _series(name: str, column: int, points: list[Point], x, y) -> list[str]:
    """A series' lines (broken where it has no value) and points, in its colour, dashes and
    shape; a suspect run's point hollow. `column`: the series' in the chart's data table.

    A point has no title of its own: each segment's group says its series' column and its
    first point's row of the data table (`data-col`, `data-from`), and charts.js titles a
    point from its row when the pointer is on it, as it was titled ("global 104.2 — 2026-12-06
    16:17 — suspect: …"). A title each was 40 % of a device page's charts (1,693 of them, 110
    KB of 412 for a machine of 5,000 weekly runs)."""
    style, width = series_style(name), series_width(name)
    segments, current = [], []
    for index, point in enumerate(points):
        value = point.scores.get(name)
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        current.append((x(point.when), y(value), point, index))
    if current:
        segments.append(current)
    parts = []
    line = line_attributes(style, width)
    for segment in segments:
        coordinates = " ".join(f"{px:.1f},{py:.1f}" for px, py, *_ in segment)
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" {} class="bt-series bt-series-{}"/>',
                coordinates,
                line,
                name,
            )
        )
        # a segment's points in a group of the series' colour and shape: each point's own style
        # and class were 110 bytes of 200, half a device page of two years' weekly runs
        parts.append(
            format_html(
                '<g class="bt-points bt-shape-{}" style="fill: {}; stroke: {}" data-col="{}" '
                'data-from="{}">',
                style.marker,
                style.color,
                style.color,
                column,
                segment[0][3],
            )
        )
        for px, py, point, _index in segment:
            # a suspect run's point hollow
            attributes = 'style="fill: var(--body-bg)" class="bt-point-suspect"' * bool(
                point.suspect
            )
            size = (4 if point.suspect else 3.2) if name == "global" else 2.4
            parts.append(shape(style.marker, px, py, size, attributes))
        parts.append(mark_safe("</g>"))  # noqa: S308 (a constant)
    return parts


@dataclass
class _Row:
    """A row of a chart's data table: a point, or a hardware change at no point's instant."""

    instant: datetime
    when: str
    values: list[str]
    suspect: str = ""
    changes: list[str] = field(default_factory=list)
    point: bool = True  # a hardware change's row of its own is no point's (charts.js skips it)


def _table(points: list[Point], whens: list[str], markers, series) -> SafeString:
    """The chart's data: a row per point, oldest first as drawn left to right, its time, each
    series' value ("–" where its line has a gap), whether it is a suspect run and why, and a
    hardware change marked at its time (in the row of a point of that instant, else in a row
    of its own). Charts.js titles a point hovered from its row."""
    rows = [
        _Row(
            _instant(p.when), when, [_value_text(p.scores.get(name)) for name in series], p.suspect
        )
        for p, when in zip(points, whens, strict=True)
    ]
    at: dict[datetime, _Row] = {}
    for row in rows:
        at.setdefault(row.instant, row)
    for when, change, _parts in markers:
        if (row := at.get(_instant(when))) is None:
            rows.append(
                row := _Row(_instant(when), local_time(when), ["" for _ in series], point=False)
            )
        row.changes.append(change)
    rows.sort(key=lambda row: row.instant)
    suspect = any(point.suspect for point in points)
    head = [("bt-num", series_label(name)) for name in series]
    head += [("bt-wrap bt-suspect", "Suspect run")] if suspect else []
    head += [("bt-wrap", "Hardware changed")] if markers else []
    body = []
    for (
        row
    ) in rows:  # a value's cell right-aligned by the table's style (a class each was 17 bytes)
        cells = format_html_join("", "<td>{}</td>", ((value,) for value in row.values))
        words = [f"suspect: {row.suspect}" if row.suspect else ""] if suspect else []
        words += ["; ".join(row.changes)] if markers else []
        body.append(
            format_html(
                '<tr{}><th scope="row">{}</th>{}{}</tr>',
                "" if row.point else mark_safe(' class="bt-change-row"'),  # noqa: S308 (a constant)
                row.when,
                cells,
                format_html_join("", '<td class="bt-wrap">{}</td>', ((w,) for w in words)),
            )
        )
    return format_html(
        '<thead><tr><th scope="col">Time</th>{}</tr></thead><tbody>{}</tbody>',
        format_html_join("", '<th scope="col" class="{}">{}</th>', head),
        mark_safe("".join(body)),  # noqa: S308 (each row by format_html)
    )
