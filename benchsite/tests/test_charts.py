"""The admin's charts (benchsite.charts) as a person reads them over a machine's years."""

import copy
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from benchsite.charts import score_history_chart
from benchsite.tests.chart_titles import hover_titles


def _axis_labels(svg: str) -> list[str]:
    """The time axis' labels, left to right (the score axis' are right-aligned at its left)."""
    found = re.findall(
        r'<text x="([\d.]+)" y="[\d.]+" class="bt-axis"( [^>]*)?>([^<]*)</text>', svg
    )
    return [
        label for x, attrs, label in sorted(found, key=lambda f: float(f[0])) if "end" not in attrs
    ] + [label for x, attrs, label in found if "end" in attrs and float(x) > 100]


def _weekly(weeks: int, start: datetime) -> list[tuple[datetime, dict]]:
    return [(start + timedelta(weeks=k), {"global": 100.0 + k % 5}) for k in range(weeks)]


def test_two_years_of_weekly_runs_have_a_dated_tick_each_quarter():
    """104 weekly runs from mid-December 2024: the axis read 2024-12-15 and 2026-12-06 alone,
    836 px apart, and a RAM upgrade's marker or a drop could not be put to a month. A tick
    too near an end (2026-10) is left out: the end's date is written there."""
    svg = str(score_history_chart(_weekly(104, datetime(2024, 12, 15, 3, tzinfo=UTC))).svg)
    assert _axis_labels(svg) == [
        "2024-12-15",
        "2025-04",
        "2025-07",
        "2025-10",
        "2026-01",
        "2026-04",
        "2026-07",
        "2026-12-06",
    ]


def test_ten_years_are_ticked_by_year_two_months_by_week_and_a_day_not_at_all():
    decade = str(score_history_chart(_weekly(520, datetime(2016, 12, 4, tzinfo=UTC))).svg)
    assert _axis_labels(decade)[1:-1] == [str(year) for year in range(2019, 2026)]
    weeks = str(score_history_chart(_weekly(9, datetime(2026, 10, 7, tzinfo=UTC))).svg)
    assert _axis_labels(weeks) == [
        "2026-10-07",
        "10-19",
        "10-26",
        "11-02",
        "11-09",
        "11-16",
        "11-23",
        "2026-12-02",
    ]

    day = [(datetime(2026, 12, 1, h, tzinfo=UTC), {"global": 100.0}) for h in range(0, 24, 4)]
    assert "bt-tick" not in str(score_history_chart(day).svg)  # its two ends' times alone


@pytest.mark.django_db
def test_a_kernel_update_is_marked_apart_from_the_ram_upgrade(admin_client, submit, example):
    """pc-03's two years: 17 dashed "hardware changed" lines alike, 16 of them kernel updates,
    and the RAM upgrade among them, found only by hovering each."""
    first = submit(example).json()
    kernel = copy.deepcopy(example)
    kernel["submission_id"] = str(uuid.uuid4())
    kernel["hardware"]["os"]["kernel_version"] = "6.1.0-29-amd64"
    submit(kernel)
    ram = copy.deepcopy(kernel)
    ram["submission_id"] = str(uuid.uuid4())
    ram["hardware"]["ram"]["total_mb"] = 131072
    submit(ram)

    html = admin_client.get(f"/admin/inventory/device/{first['device_id']}/change/").content
    history = html.decode().split('id="score-history"', 1)[1].split("</fieldset>", 1)[0]
    svg = history.split("<svg", 1)[1].split("</svg>", 1)[0]
    markers = re.findall(r'<g class="(bt-marker[^"]*)">.*?<title>[^:]*:[^:]*: ([^<]*)</title>', svg)
    assert sorted(markers) == [
        ("bt-marker", "RAM 64→128 GB"),
        ("bt-marker bt-marker-update", "kernel 6.1.0-28-amd64→6.1.0-29-amd64"),
    ]
    legend = history.split('class="bt-chart-legend"', 1)[1].split("</ul>", 1)[0]
    assert "hardware changed" in legend and "BIOS, OS or kernel updated" in legend


def test_a_point_costs_its_place_not_its_title_nor_its_series_style_again():
    """A device page's score chart of 100 weekly runs was 104 KB of its 409 KB: each of its
    points repeated its series' colour and shape (600 points, 131 KB here), then its title (600
    of them, 27 KB of 70). Each point is now its place, in a group of its series' colour and
    shape that names its column and first row of the chart's data table, from which charts.js
    titles it when hovered; a suspect run's is hollow, its title says why."""
    start = datetime(2025, 1, 5, 3, tzinfo=UTC)
    series = ("global", "cpu", "memory", "disk", "network", "gpu")
    points = [
        (start + timedelta(weeks=i), {name: 100.0 + i % 7 + n for n, name in enumerate(series)})
        for i in range(100)
    ]
    points[40] = (*points[40], "too fast")
    chart = score_history_chart(points)
    svg = str(chart.svg)
    titles = [title for _, title in hover_titles(svg, str(chart.table))]
    assert len(titles) == 600 and "global 105.0 — " in titles[40]
    assert titles[40].endswith(" — suspect: too fast") and "<title>" not in svg
    groups = re.findall(r'<g class="bt-points bt-shape-([\w-]+)" style="fill: ([^;]+);', svg)
    assert len({shape for shape, _ in groups}) == len({color for _, color in groups}) == 6
    assert svg.count('class="bt-point-suspect"') == 6  # hollow, in each series
    # 131 KB, then 72 KB with a title each, 45 KB with an end tag each (</circle>)
    assert len(svg) < 42_000, len(svg)
    assert "</circle>" not in svg and "</path>" not in svg
    assert len(str(chart.table)) < 16_000, len(str(chart.table))  # 25 KB: a class on each cell
