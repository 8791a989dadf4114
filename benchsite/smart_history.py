"""A disk's SMART history on the device page, over the machine's whole life: its readings as
rows that change when its health does, and charts of its temperature and of its counters.

A disk read twice a day for years is thousands of readings: a dying one's counters move at many
of them. The table shows the newest SPANS_SHOWN rows and one that sums up the ones before; the
charts draw at most CHART_POINTS points, each the worst of the readings it stands for (the
hottest, the highest counts), so a peak or a first reallocated sector is never averaged away.
The rows and charts read the newest SMART_READ snapshots one by one; the readings before them
are summed up by the database (insights.smart_selectors) into each disk's last row, and a disk
read only then is listed with that row alone: a failing disk replaced long ago stays told.

A disk sound throughout (PASSED at every reading, no counter above 0, its temperature within
QUIET_SPREAD_C and never hot, no open item) is said in a line instead of its chart, which is a
click away (`?all=charts`): its chart and its data were ~18 KB of a long history's page for a
flat line that tells nothing its line does not.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from insights.insight import device_insights
from insights.smart_selectors import NUMBERS, bound, older_readings
from inventory.columns import SMART_COUNTERS, SMART_FIELDS, disk_key

from .charts import Chart, score_history_chart
from .disk_life import disk_life_told
from .hardware_tables import SHOWN, needs_look, smart_first
from .records_admin import local_time

SPANS_SHOWN = 12
CHART_POINTS = 120
# the snapshots whose readings are read one by one: ten years of a weekly cron, as they were;
# 5,000 weekly runs were 0.4 s of the page, read and walked in Python at every view
SMART_READ = 520
QUIET_SPREAD_C = 10  # a sound disk's temperatures within this many degrees: said, not drawn
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


def smart_section(
    device: Any, attention: Mapping[str, list[str]], hot_c: float, *, whole: str, snapshots: int
) -> dict[str, Any]:
    """The device page's SMART history of a device of `snapshots` snapshots: its insights (the
    readings of the newest SMART_READ snapshots, all of them when the SMART history is asked
    for whole, `whole` "smart"), its disks read by SMART ranked (`smart_disks`, the first
    SHOWN of `smart_read` unless whole), those that never gave a reading (`smart_unread`), and
    over how many snapshots the rows and charts read each reading (`smart_window`: 0, all)."""
    window = 0 if whole == "smart" or snapshots <= SMART_READ else SMART_READ
    # exact: the page's sentences judge a category off as the attention rules do
    insights = device_insights(device, snapshots=window or None, exact=True)
    # each disk's table keeps its anchor (#smart-2) wherever its rank puts it
    disks = [{**d, "position": n} for n, d in enumerate(insights["disks"], 1)]
    known = {disk_key(disk): disk for disk in disks}
    for key, before in (older_readings(device.pk, skipped=window) if window else {}).items():
        disk = known.get(key)
        if disk is None:  # read only before the window: replaced, or removed, long ago
            identity = {name: before[name] for name in ("serial", "name", "model")}
            disk = {**identity, "history": [], "position": len(disks) + 1}
            disks.append(disk)
        disk["before"] = before
        disk["worst"] = [
            {"smart_health": health, **before["high"]} for health in before["healths"] or [None]
        ]
    for disk in disks:
        disk["last_read"] = disk["history"][-1]["captured_at"] if disk["history"] else None
        disk["last_read"] = disk["last_read"] or disk["before"]["last"]
    # the newest snapshot that read the disks: one not in it was removed, or replaced
    newest = max((disk["last_read"] for disk in disks), default=None)
    ranked = smart_first(disks, attention, hot_c, newest)
    read = [disk for disk in ranked if _was_read(disk)]
    # a disk that never gave a SMART reading (a virtual disk, smartctl not installed) is named
    # once instead of a table of dashes
    unread = [d["name"] or d["serial"] or "a disk" for d in ranked if not _was_read(d)]
    shown = read if whole == "smart" else read[:SHOWN]
    # "none of them failing" of the disks left out: each looked at (ranked, the machine's own
    # come before removed ones, and a failing disk replaced since comes after them)
    left_out = read[len(shown) :]
    smart_disks = []
    for index, disk in enumerate(shown):
        # not in the newest snapshot that read the disks: removed, or replaced
        gone = disk["last_read"] if disk["last_read"] != newest else None
        # charts for the first disks, and past them for those with something to show
        charts = index < SHOWN or needs_look(disk, hot_c)
        key = str(disk.get("serial") or disk.get("name") or "")
        # said in a line where its chart would have been drawn
        quiet = "" if attention.get(key) or not charts else sound_throughout(disk, hot_c)
        name = disk["name"] or disk["serial"] or "the disk"
        drawn = smart_disk(
            disk["history"],
            name,
            charts=charts and (not quiet or whole == "charts"),
            before=disk.get("before"),
        )
        quiet_chart = bool(quiet) and whole != "charts"  # its chart a click away
        smart_disks.append(
            {
                **disk,
                **drawn,
                "gone_since": gone,
                "replaced_by": gone and _in_slot(disk, disks, newest),
                "quiet": quiet,
                "quiet_chart": quiet_chart,
                # worn or old by its latest reading (benchsite.disk_life), while in the machine
                "life": disk_life_told(disk["history"][-1]) if disk["history"] and not gone else [],
            }
        )
    return {
        "insights": insights,
        "smart_disks": smart_disks,
        "smart_read": len(read),
        "smart_more": len(read) - len(shown),
        "smart_more_sound": bool(left_out) and not any(needs_look(d, hot_c) for d in left_out),
        "smart_unread": unread[:SHOWN],
        "smart_unread_more": max(0, len(unread) - SHOWN),
        "smart_window": window,
        "smart_quiet": any(disk["quiet"] for disk in smart_disks),
        "smart_quiet_c": QUIET_SPREAD_C,
    }


def _in_slot(gone: dict, disks: list[dict], newest: Any) -> str:
    """The disk that holds a gone disk's slot (its name) in the newest snapshot that read the
    disks, "WD40EFRX WD-WX12D80NEW01": it was replaced by that one; "" when none does."""
    now = next(
        (
            d
            for d in disks
            if gone["name"] and d["name"] == gone["name"] and d["last_read"] == newest
        ),
        None,
    )
    return " ".join(filter(None, (now["model"], now["serial"]))) if now else ""


def sound_throughout(disk: dict, hot_c: float) -> str:
    """What a disk whose readings never changed in a way that matters says in a line ("PASSED
    in all 260 readings, 33–37 °C, no reallocated, pending or uncorrectable sector"): each of
    its readings PASSED (or OK), no counter above 0, never hot and its temperatures within
    QUIET_SPREAD_C; "" for a disk with a story, or whose temperature was read fewer than twice
    (no chart)."""
    history, before = disk["history"], disk.get("before")
    if len(_values(history, "temperature_c")) < 2 or needs_look(disk, hot_c):
        return ""
    healths = [r["smart_health"] for r in history] + list(before["healths"] if before else [])
    if not all(str(health).upper() in ("PASSED", "OK") for health in healths):
        return ""
    temperatures = _values(history, "temperature_c")
    if before and before["low"]["temperature_c"] is not None:
        temperatures += [before["low"]["temperature_c"], before["high"]["temperature_c"]]
    if not temperatures or max(temperatures) - min(temperatures) > QUIET_SPREAD_C:
        return ""
    count = len(history) + (before["count"] if before else 0)
    read = [
        shown
        for name, shown in COUNTER_SERIES.items()
        if _values(history, name) or (before and before["high"][name] is not None)
    ]
    sectors = [name for name in read if name != "media errors"]
    said = [f"no {_either(sectors)} sector"] if sectors else []
    said += ["no media error"] if "media errors" in read else []
    temperature = _range(min(temperatures), max(temperatures), " °C")
    return ", ".join(
        [f"{history[-1]['smart_health']} in all {count:,} readings", temperature, *said]
    )


def _either(names: list[str]) -> str:
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]


def _was_read(disk: dict) -> bool:
    readings = (reading[name] for reading in disk["history"] for name in SMART_FIELDS)
    before = disk.get("before") or {"healths": (), "high": {}}
    return any(value is not None for value in readings) or any(
        (*before["healths"], *(v is not None for v in before["high"].values()))
    )


def smart_disk(
    history: list[dict], disk: str, *, charts: bool = True, before: dict | None = None
) -> dict:
    """What the device page shows of one disk's readings (oldest first): its table's rows,
    newest first (`spans`, at most SPANS_SHOWN, then `earlier`: the ones before summed up in
    one row, or None) and its charts (`chart`: temperature, `counters_chart`: the counters,
    each "" when there is nothing to draw, or not `charts`). `before`: its readings before
    `history`'s, summed up (insights.smart_selectors), which `earlier` sums up too."""
    spans = smart_spans(history)
    # the rows are newest first, each row's readings oldest first
    older = [r for span in reversed(spans[SPANS_SHOWN:]) for r in span["readings"]]
    earlier = None
    if before and not spans:  # read only before the newest snapshots: its one row
        spans = [{**_row(before), "readings": []}]
    elif before and not older and _continues(before, spans[-1]):
        # the oldest row's health and counters since long before: one row, as before
        spans[-1] = {**_row(_merged(before, _sum(spans[-1]["readings"]))), "readings": []}
    elif before:  # how many rows they would be is not counted
        earlier = {**_row(_merged(before, _sum(older)) if older else before), "periods": None}
    elif older:
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


def _continues(before: dict[str, Any], span: dict[str, Any]) -> bool:
    """Whether readings summed up (`before`) all said of the disk's health what `span`, the
    row after them, says."""
    reading = span["readings"][0]
    healths = [health or None for health in before["healths"]] or [None]
    return healths == [reading["smart_health"] or None] and all(
        before["low"][name] == before["high"][name] == reading[name]
        for name in _SPAN_KEY
        if name != "smart_health"
    )


def _sum(readings: list[dict]) -> dict[str, Any]:
    """Readings (oldest first) summed up as insights.smart_selectors sums up a disk's."""
    return {
        "count": len(readings),
        "first": readings[0]["captured_at"],
        "last": readings[-1]["captured_at"],
        "healths": list(dict.fromkeys(r["smart_health"] for r in readings if r["smart_health"])),
        "low": {name: min(_values(readings, name), default=None) for name in NUMBERS},
        "high": {name: max(_values(readings, name), default=None) for name in NUMBERS},
    }


def _merged(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    return {
        "count": older["count"] + newer["count"],
        "first": older["first"],
        "last": newer["last"],
        "healths": list(dict.fromkeys((*older["healths"], *newer["healths"]))),
        "low": {n: bound(older["low"][n], newer["low"][n], min) for n in NUMBERS},
        "high": {n: bound(older["high"][n], newer["high"][n], max) for n in NUMBERS},
    }


def _row(summed: dict[str, Any]) -> dict[str, Any]:
    """Readings summed up (_sum, _merged) as one row, as _summary makes one of readings."""
    low, high = summed["low"], summed["high"]
    row = {
        "captured_at": summed["last"],
        "since": summed["first"] if summed["count"] > 1 else None,
        "count": summed["count"],
        "temperature": _range(low["temperature_c"], high["temperature_c"], " °C"),
        "hours": _range(low["power_on_hours"], high["power_on_hours"], ""),
        "smart_health": ", ".join(h for h in summed["healths"] if h) or None,
    }
    for name in (*SMART_COUNTERS, "percent_used"):
        row[name] = _range(low[name], high[name], "") if low[name] != high[name] else low[name]
    return row


def _values(readings: Iterable[dict], name: str) -> list:
    return [reading[name] for reading in readings if reading[name] is not None]


def _moved(readings: list[dict], name: str) -> bool:
    return len({reading[name] for reading in readings if reading[name] is not None}) > 1


def _spread(readings: list[dict], name: str, unit: str) -> str:
    """The lowest and highest of a reading over a span ("34–41 °C"), one value when they are
    the same, "–" without any."""
    values = _values(readings, name)
    return _range(min(values), max(values), unit) if values else "–"


def _range(low: Any, high: Any, unit: str) -> str:
    if low is None:
        return "–"
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
