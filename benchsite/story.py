"""A device's story for its admin page: its hardware, its runs and what changed between them,
its open attention items and how it compares.

The composition layer: it reads inventory (snapshots, hardware diff), benchmarks (runs) and
insights (items, baselines, peers, SMART history).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import TruncMonth
from django.utils import timezone

from benchmarks.models import Benchmark, Validity
from benchmarks.selectors import benchmark_history
from benchmarks.validity import counted, measured_alike
from insights import selectors as insights_selectors
from insights.insight import insight_sentences
from insights.models import AttentionItem
from insights.mute import muted_list
from inventory import lifecycle, quiet
from inventory.columns import disk_key
from inventory.history import snapshot_sections, snapshot_told
from inventory.lifecycle import LIFECYCLE_FIELDS, lifecycle_sentences
from inventory.models import Device, HardwareSnapshot
from inventory.schema import CATEGORIES, CATEGORY_NAMES

from .auth import may_view
from .charts import Chart, Point, score_history_chart
from .hardware_life import PERIODS_SHOWN, changes_folded, folded_said, hardware_life
from .hardware_tables import SHOWN, WHOLE, bounded, hardware_tables
from .smart_history import SPANS_SHOWN, smart_section
from .templatetags.humanize_scores import validity_reasons

HISTORY_LIMIT = 100
# the history's table: its newest runs (the chart above draws HISTORY_LIMIT), so that a machine
# with a long past does not push the fields a person edits thousands of pixels down
HISTORY_ROWS = 20
RECEIVED_LATE = timedelta(days=1)  # a run received this long after its date says when it was


@dataclass
class HistoryRow:
    """One benchmark of the device's history, with what changed since the previous run."""

    benchmark: Benchmark
    scores: dict[str, float | None]
    cpu_single: float | None
    cpu_multi: float | None
    changes: list[str] = field(default_factory=list)
    parts: bool = False  # its changes are more than a BIOS, OS or kernel update
    # the categories it and the run before both measured, each by another method (a new
    # bench.sh test): a step in their scores there is the test's, not the machine's
    measured_otherwise: list[str] = field(default_factory=list)

    @property
    def run_at(self) -> datetime:
        return self.benchmark.run_at

    @property
    def received_late(self) -> datetime | None:
        """When the run arrived, if a day or more after the time it is dated by: a capture sent
        again later, or a machine whose clock was behind (a flat CMOS battery reads 1970; the
        contract dates a run by its started_at however far back), which the row then says."""
        received = self.benchmark.received_at
        return received if received - self.benchmark.run_at >= RECEIVED_LATE else None

    @property
    def category_scores(self) -> list[tuple[Any, float | None]]:
        return [(category, self.scores[category.name]) for category in CATEGORIES]


def _result(results: dict, category: str, key: str) -> float | None:
    value = (results or {}).get(category)
    if not isinstance(value, dict):
        return None
    number = value.get(key)
    return number if isinstance(number, int | float) and not isinstance(number, bool) else None


def device_history(device: Device, *, limit: int = HISTORY_LIMIT) -> list[HistoryRow]:
    """The newest `limit` benchmarks, newest first, each with its hardware changes.

    One query: benchmarks with their snapshot (its raw copy deferred, it can be large).
    """
    benchmarks = list(
        benchmark_history(device_id=device.pk)
        .select_related("snapshot")
        .defer("snapshot__raw", "extra")[: limit + 1]  # one more: the oldest needs its predecessor
    )
    rows = []
    for index, benchmark in enumerate(benchmarks[:limit]):
        previous = benchmarks[index + 1] if index + 1 < len(benchmarks) else None
        told = snapshot_told(previous.snapshot if previous else None, benchmark.snapshot)
        rows.append(
            HistoryRow(
                benchmark=benchmark,
                scores={"global": benchmark.global_score, **benchmark.category_scores},
                cpu_single=_result(benchmark.results, "cpu", "score_single"),
                cpu_multi=_result(benchmark.results, "cpu", "score_multi"),
                changes=told.phrases,
                parts=told.parts,
                measured_otherwise=_measured_otherwise(previous, benchmark) if previous else [],
            )
        )
    return rows


def _measured_otherwise(before: Benchmark, after: Benchmark) -> list[str]:
    """The categories both runs scored, each another way (validity.measured_alike)."""
    return [
        category.label
        for category in CATEGORIES
        if before.category_scores.get(category.name) is not None
        and after.category_scores.get(category.name) is not None
        and not measured_alike(before, after, category.name)
    ]


SCHEDULES = ("daily", "weekly", "monthly")


def _scheduled(benchmark: Benchmark) -> str:
    """The schedule a run was one of (results.conditions.scheduled, bench.sh 1.3.0), or ""."""
    conditions = (benchmark.results or {}).get("conditions")
    said = conditions.get("scheduled") if isinstance(conditions, dict) else None
    return said if said in SCHEDULES else ""


def schedules_of(device_ids: list[int]) -> dict[int, str]:
    """The schedule of the newest scheduled run of each of these devices ("weekly"), for those
    that ran on one: one query, a row per device and schedule (the dashboard's few quiet ones)."""
    rows = (
        Benchmark.objects.filter(
            device_id__in=device_ids, results__conditions__scheduled__in=SCHEDULES
        )
        .annotate(schedule=KT("results__conditions__scheduled"))
        .values_list("device_id", "schedule")
        .annotate(newest=Max("run_at"))
        .order_by("device_id", "newest")
    )
    return {device_id: schedule for device_id, schedule, _ in rows}  # the newest last


def device_story(device: Device) -> dict[str, Any]:
    """Everything the device page shows about the machine, in a handful of queries."""
    history = device_history(device)
    # its older snapshots are told as stretches of one hardware (hardware_life)
    latest_snapshot = device.snapshots.defer("raw").order_by("-captured_at", "-id").first()
    latest = history[0].benchmark if history else None
    benchmarks_count = len(history) if len(history) < HISTORY_LIMIT else device.benchmarks.count()
    storage = (latest_snapshot.storage or {}) if latest_snapshot else {}
    network = (latest_snapshot.network or {}) if latest_snapshot else {}
    return {
        "snapshot": latest_snapshot,
        "sections": snapshot_sections(latest_snapshot) if latest_snapshot else [],
        "disks": [d for d in storage.get("devices") or [] if isinstance(d, dict)],
        "partitions": [p for p in storage.get("partitions") or [] if isinstance(p, dict)],
        "interfaces": [i for i in network.get("interfaces") or [] if isinstance(i, dict)],
        "latest": latest,
        # "weekly": its newest run of bench.sh --schedule's timer or cron job (a run by hand
        # since does not stop the schedule)
        "scheduled": next(filter(None, (_scheduled(row.benchmark) for row in history)), ""),
        # the figures that rank the device, as the dashboard and the device list show them:
        # the device's own ranking columns (benchmarks.services keeps them with each run)
        "ranking_scores": [
            (category, getattr(device, f"{category.name}_score")) for category in CATEGORIES
        ],
        # the latest run ranks the device unless it is suspect and an older run is valid
        "ranked_by_latest": latest is not None
        and (latest.validity == Validity.VALID or not device.ranking_run_valid),
        "history": history,
        "history_truncated": benchmarks_count > len(history),
        "benchmarks_count": benchmarks_count,
        "categories": CATEGORIES,
    }


def can_acknowledge(user) -> bool:
    """Whether the account may acknowledge attention items: their admin's change permission, as
    on the items' own pages and in the API."""
    return user.has_perm("insights.change_attentionitem")


def device_page_story(device: Device, user, *, whole: str = "") -> dict[str, Any]:
    """What the device page tells, each part to an account that may view what it comes from,
    as the API answers it: the runs (history, chart, latest run) with the benchmarks' view
    permission, the hardware with the snapshots', the open items with the attention items',
    how it compares and its disks' SMART history with all of them (its insights). Its hardware
    tables each show their first rows, the one named by `whole` (hardware_tables.WHOLE) all."""
    story = device_story(device)
    whole = whole if whole in WHOLE else ""
    # its life, heading the page: "Retired on …", "Under warranty until … (in 4 months)"
    dates = {name: getattr(device, name) for name in LIFECYCLE_FIELDS}
    story["lifecycle"] = lifecycle_sentences(**dates, today=lifecycle.today())
    # a machine in service that stopped running bench.sh: "No run for 23 days: …"
    story["quiet"] = quiet.quiet_sentence(device, at=quiet.now())
    runs = may_view(user, Benchmark)
    hardware = may_view(user, HardwareSnapshot)
    attention = may_view(user, AttentionItem)
    if not runs:
        story.update(
            history=[], latest=None, scheduled="", history_truncated=False, runs_hidden=True
        )
    if hardware:
        life = hardware_life(device)
        story.update(timeline=life.changes, timeline_truncated=life.truncated)
        # its newest SHOWN changes, all of them a click away (?all=changes): a kernel updated
        # twice a year was 195 rows at 5,000 weekly runs
        story["changes"] = bounded(life.changes, "changes", whole)
        # and a run of updates alone as one row: a part's change shows
        rows, told = changes_folded(life.changes, SHOWN)
        if whole != "changes":
            more = len(life.changes) - told
            story["changes"].update(rows=rows, more=more, more_said=f"{more:,}")
        elif len(rows) < len(life.changes):  # all of them, a link back to those rows
            back = folded_said(rows, told, len(life.changes))
            story["changes"].update(whole=True, back_said=back)
        story["timeline_limit"] = life.covered  # "Over the newest 5,120 snapshots."
        # its snapshots as stretches of one hardware, the newest PERIODS_SHOWN of them: a
        # weekly cron's 20 newest rows were 20 weeks of the same machine, its years nowhere
        story["periods"] = life.periods[:PERIODS_SHOWN]
        story["periods_count"] = len(life.periods)
        story["snapshots_count"] = device.snapshots.count() if life.truncated else life.covered
    else:
        story.update(snapshot=None, sections=[], disks=[], partitions=[], interfaces=[])
        story.update(periods=[], hardware_hidden=True)
        for row in story["history"]:  # its runs' "changed: RAM 16→32 GB" come from snapshots
            row.changes = []
    story["chart"] = _score_chart(story["history"])
    story["history_rows"] = story["history"][:HISTORY_ROWS]
    # a column of CPU mono or multi scores that no row shown has ("–" on every row: a bench.sh
    # that sends neither) is left out
    story["cpu_single_shown"] = any(row.cpu_single is not None for row in story["history_rows"])
    story["cpu_multi_shown"] = any(row.cpu_multi is not None for row in story["history_rows"])
    # more runs than the history shows: the whole of them, month by month, with the hardware
    # changes the timeline read (a RAM upgrade three years back, its step in the scores)
    story["whole_chart"] = Chart()
    if runs and story["history_truncated"]:
        whole = _monthly_chart(device, story.get("timeline") or [])
        story["whole_chart"], story["whole_by"], story["whole_point"] = whole
    story["open_items"] = insights_selectors.open_items(device.pk) if attention else []
    # each disk of the latest snapshot with the kinds of its open items: a degrading disk's row
    # read PASSED in green, with nothing beside it
    by_disk: dict[str, list[str]] = {}
    for item in story["open_items"]:
        if item.disk:
            by_disk.setdefault(item.disk, []).append(item.get_kind_display())
    story["disks"] = [
        {**disk, "attention": by_disk.get(disk_key(disk), [])} for disk in story["disks"]
    ]
    # a storage server's 60 disks, a Proxmox node's tap interfaces: the rows that matter first,
    # the first SHOWN of each table, the rest a click away
    hot_c = insights_selectors.thresholds().disk_hot_c
    story["tables"] = hardware_tables(
        story["disks"], story["partitions"], story["interfaces"], hot_c=hot_c, whole=whole
    )
    # its past: a disk that failed and was replaced, a regression that passed
    # and those its retirement closed, said as such: not over, only no longer watched
    closed = insights_selectors.closed_counts(device.pk) if attention else (0, 0)
    story["closed_items"], story["retirement_closed"] = closed
    story["can_acknowledge"] = can_acknowledge(user)
    story["muted"] = muted_list(device) if attention else []
    story["can_unmute"] = user.has_perm("inventory.change_device")
    story.update(insights={}, smart_disks=[], smart_unread=[], insight_sentences=[])
    story.update(smart_more=0, smart_read=0, smart_unread_more=0, whole=whole, shown=SHOWN)
    story.update(smart_rows=SPANS_SHOWN, smart_window=0)
    if runs and hardware and attention:
        smart = smart_section(
            device, by_disk, hot_c, whole=whole, snapshots=story["snapshots_count"]
        )
        story.update(smart, insight_sentences=insight_sentences(smart["insights"]))
    return story


def _score_chart(history: list[HistoryRow]) -> Chart:
    return score_history_chart(
        # a category left out of a run's global score (a network measured on loopback, many
        # times a real one) is not drawn: it would flatten every other line
        [
            Point(
                row.run_at,
                counted(row.scores, row.benchmark.excluded_categories),
                # a run's own mark, not its time's: two runs may share an instant
                (validity_reasons(row.benchmark.validity_reasons) or "suspect")
                if row.benchmark.validity == Validity.SUSPECT
                else "",
            )
            for row in history
        ],
        markers=[(row.run_at, "; ".join(row.changes), row.parts) for row in history if row.changes],
    )


# the whole-history chart's points at most: month by month up to five years, then by quarter,
# half-year or year, so that a page stops growing with a machine's age (a point a month was
# 120 at ten years, 1.4 KB of the page each with its row of Chart data)
WHOLE_POINTS = 60
MARKED = 3  # the changes a marker of the whole-history chart names; the others counted
# months a point of the whole-history chart stands for, how its heading and its points say it
PERIODS = (
    (1, "month by month", "month", lambda t: f"{t:%Y-%m}"),
    (3, "quarter by quarter", "quarter", lambda t: f"{t:%Y} Q{(t.month - 1) // 3 + 1}"),
    (6, "half-year by half-year", "half-year", lambda t: f"{t:%Y} H{(t.month - 1) // 6 + 1}"),
    (12, "year by year", "year", lambda t: f"{t:%Y}"),
)


def _monthly_chart(device: Device, timeline: list) -> tuple[Chart, str, str]:
    """Each month's mean of the device's valid runs, per category and global, a point on its
    first day (the 15th put this month's in the future), a category left out of a run's global
    score (a loopback network) not counted; past WHOLE_POINTS months, each quarter's (or
    half-year's, or year's) mean. With how it is drawn ("month by month") and what a point is.
    The database takes the sums, a row per month (and per set of categories left out): ten
    years of weekly runs were 520 rows read into Python, 120 now."""
    names = ("global", *CATEGORY_NAMES)
    columns = {"global": "global_score", **{c.name: f"{c.name}_score" for c in CATEGORIES}}
    rows = list(
        Benchmark.objects.filter(device_id=device.pk, validity=Validity.VALID)
        .annotate(month=TruncMonth("run_at"))
        .values("month", "excluded_categories")
        .annotate(
            **{f"{name}_sum": Sum(column) for name, column in columns.items()},
            **{f"{name}_n": Count(column) for name, column in columns.items()},
        )
        .order_by("month")
    )
    local = {row["month"]: timezone.localtime(row["month"]) for row in rows}
    months, by, point, said = next(
        period
        for period in PERIODS
        if len({(t.year, (t.month - 1) // period[0]) for t in local.values()}) <= WHOLE_POINTS
        or period is PERIODS[-1]
    )
    sums: dict[datetime, dict[str, tuple[float, int]]] = {}
    for row in rows:
        month = local[row["month"]]  # its first day, in the server's TIME_ZONE
        into = sums.setdefault(month.replace(month=(month.month - 1) // months * months + 1), {})
        kept = counted({name: row[f"{name}_sum"] for name in names}, row["excluded_categories"])
        for name, total in kept.items():
            if total is not None:
                before, count = into.get(name, (0.0, 0))
                into[name] = (before + total, count + row[f"{name}_n"])
    if len(sums) < 2:
        return Chart(), by, point
    points = [
        (start, {name: total / count for name, (total, count) in means.items()})
        for start, means in sums.items()
    ]
    # a marker per point that saw changes, at its first: a kernel updated twice a year for 96
    # years was 195 markers drawn on 96 yearly points, ~0.6 KB each with its row of Chart data
    grouped: dict[str, list] = {}
    for change in reversed(timeline):  # oldest first
        grouped.setdefault(said(timezone.localtime(change.at)), []).append(change)
    markers = [
        (changes[0].at, _changes_said(changes), any(change.parts for change in changes))
        for changes in grouped.values()
    ]
    chart = score_history_chart(
        points,
        markers=markers,
        label=f"Score history, {by}",
        when_label=lambda when: f"{said(timezone.localtime(when))} (the {point}'s mean)",
    )
    return chart, by, point


def _changes_said(changes: list) -> str:
    """Hardware changes (oldest first) as a marker's title: the first MARKED named."""
    said = "; ".join("; ".join(change.changes) for change in changes[:MARKED])
    more = len(changes) - MARKED
    return f"{said}; and {more} more change{'s' if more > 1 else ''}" if more > 0 else said
