"""A disk's SMART history on the device page, over the machine's whole life: its readings as
rows that change when its health does, and charts of its temperature and of its counters.

A disk read twice a day for years is thousands of readings: a dying one's counters move at many
of them. The table shows the newest SPANS_SHOWN rows and one that sums up the ones before; the
charts draw at most CHART_POINTS points, each the worst of the readings it stands for (the
hottest, the highest counts), so a peak or a first reallocated sector is never averaged away.
"""

from collections.abc import Sequence

from inventory.columns import SMART_COUNTERS, SMART_FIELDS

from .charts import Chart, score_history_chart
from .records_admin import local_time

SPANS_SHOWN = 12
CHART_POINTS = 120
# the counters' names in a chart's legend, each a series of its own (benchsite.charts colours)
COUNTER_SERIES = {
    "reallocated_sectors": "reallocated",
    "pending_sectors": "pending",
    "offline_uncorrectable": "uncorrectable",
    "media_errors": "media errors",
}
assert set(COUNTER_SERIES) == set(SMART_COUNTERS)  # noqa: S101 (one list of counters)

# what tells a disk's health: a reading that differs from the one before in any of these starts
# a row of its own; its temperature and power-on hours, which move at every reading, do not
_SPAN_KEY = tuple(name for name in SMART_FIELDS if name not in ("temperature_c", "power_on_hours"))


def smart_disk(history: list[dict], disk: str, *, charts: bool = True) -> dict:
    """What the device page shows of one disk's readings (oldest first): its table's rows,
    newest first (`spans`, at most SPANS_SHOWN, then `earlier`: the ones before summed up in
    one row, or None) and its charts (`chart`: temperature, `counters_chart`: the counters,
    each "" when there is nothing to draw, or not `charts`)."""
    spans = smart_spans(history)
    earlier = None
    if len(spans) > SPANS_SHOWN:
        # the rows are newest first, each row's readings oldest first
        older = [r for span in reversed(spans[SPANS_SHOWN:]) for r in span["readings"]]
        earlier = {**_summary(older), "periods": len(spans) - SPANS_SHOWN}
    return {
        "spans": spans[:SPANS_SHOWN],
        "earlier": earlier,
        "chart": _chart(history, {"temperature_c": "temp. °C"}, f"Temperature of {disk} in °C")
        if charts
        else "",
        "counters_chart": _chart(history, COUNTER_SERIES, f"SMART counters of {disk}")
        if charts
        else "",
    }


def smart_spans(history: list[dict]) -> list[dict]:
    """A disk's readings (oldest first) as rows for its SMART history table, newest first: the
    readings one after the other that say the same of its health are one row, from the first
    to the last, with the range of their temperatures and power-on hours. A sound disk read
    every day for 50 days was 50 equal rows; the day a counter moved was one row among them."""
    spans: list[list[dict]] = []
    for reading in history:
        if spans and all(reading[name] == spans[-1][0][name] for name in _SPAN_KEY):
            spans[-1].append(reading)
        else:
            spans.append([reading])
    return [{**_summary(readings), "readings": readings} for readings in reversed(spans)]


def _summary(readings: list[dict]) -> dict:
    """Readings (oldest first) as one row: the last one's values, when the first was read, how
    many, and the range of each value that moved ("34–41 °C", "0–1514")."""
    row = {
        **readings[-1],
        "since": readings[0]["captured_at"] if len(readings) > 1 else None,
        "count": len(readings),
        "temperature": _spread(readings, "temperature_c", " °C"),
        "hours": _spread(readings, "power_on_hours", ""),
    }
    for name in (*SMART_COUNTERS, "percent_used"):
        row[name] = _spread(readings, name, "") if _moved(readings, name) else row[name]
    healths = list(dict.fromkeys(r["smart_health"] for r in readings if r["smart_health"]))
    row["smart_health"] = ", ".join(healths) or None
    return row


def _moved(readings: list[dict], name: str) -> bool:
    return len({reading[name] for reading in readings if reading[name] is not None}) > 1


def _spread(readings: list[dict], name: str, unit: str) -> str:
    """The lowest and highest of a reading over a span ("34–41 °C"), one value when they are
    the same, "–" without any."""
    values = [reading[name] for reading in readings if reading[name] is not None]
    if not values:
        return "–"
    low, high = min(values), max(values)
    return f"{low}{unit}" if low == high else f"{low}–{high}{unit}"


def _chart(history: list[dict], series: dict[str, str], label: str) -> Chart:
    """`series` (reading name → its name in the legend) over time, when one of them has two
    readings or more and is not always 0 (a sound disk's counters draw no chart)."""
    drawn = {
        name: shown
        for name, shown in series.items()
        if sum(reading[name] is not None for reading in history) >= 2
        and (name == "temperature_c" or any(reading[name] for reading in history))
    }
    if not drawn:
        return Chart()
    points = _worst_of(history, tuple(drawn))
    titles = {
        when: f"{local_time(first)} → {local_time(when)} (the highest of {count} readings)"
        if count > 1
        else local_time(when)
        for when, _, first, count in points
    }
    return score_history_chart(
        [(when, {drawn[name]: v for name, v in values.items()}) for when, values, _, _ in points],
        series=tuple(drawn.values()),
        label=f"{label} over time",
        when_label=lambda when: titles.get(when) or local_time(when),
    )


def _worst_of(history: list[dict], names: Sequence[str]) -> list[tuple]:
    """At most CHART_POINTS points, each (when, values, first, count): the highest value of
    each reading over the `count` consecutive readings it stands for, from `first` to `when`."""
    size = -(-len(history) // CHART_POINTS)  # readings per point, rounded up
    points = []
    for start in range(0, len(history), size):
        group = history[start : start + size]
        values = {}
        for name in names:
            read = [reading[name] for reading in group if reading[name] is not None]
            values[name] = max(read) if read else None
        points.append((group[-1]["captured_at"], values, group[0]["captured_at"], len(group)))
    return points
