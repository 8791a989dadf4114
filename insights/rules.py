"""What the numbers mean (CONTRACT Part 2, "Insights"): plain functions over plain data.

A machine against its own past (baseline) and against the machines like it (peers); and from
those, the conditions that need a person's attention (its disks' are insights.disk_rules'). No
ORM: selectors gather the data, services store what these decide.
"""

import bisect
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from inventory.columns import one_line
from inventory.schema import CATEGORY_NAMES

# counters that only grow on a dying disk; a rise is worth a person's attention at once
MIN_RUNS = 3  # fewer runs than this make no baseline
BELOW_PEERS = ("below_peers", "global", "")  # its one condition per device (kind, category, disk)
FIGURE_NAMES = ("global", *CATEGORY_NAMES)  # a run's figures: its global score, its categories


@dataclass(frozen=True)
class Thresholds:
    baseline_runs: int = 5
    regression_pct: float = 10.0
    peer_gap_pct: float = 15.0
    disk_hot_c: float = 60.0


class Run(NamedTuple):
    """A run as the rules see it: its scores and the method of each category."""

    id: int
    run_at: Any
    scores: Mapping[str, float | None]  # "global", "cpu", ...
    methods: Mapping[str, str | None]
    valid: bool = True  # a suspect run is shown where a device has no valid one, never judged


class Measured(NamedTuple):
    """Figures measured one way: one run's, or those of all the peers measured with the same
    methods (a CPU model's thousands of machines make a few of these, not thousands)."""

    methods: Mapping[str, str | None]
    figures: Mapping[str, Sequence[float | None]]  # "global", "cpu", …: values, in order

    @classmethod
    def of(cls, run: Run) -> "Measured":
        return cls(run.methods, {name: (value,) for name, value in run.scores.items()})


class Peers(NamedTuple):
    """The other machines alike: how many, and their ranking figures by methods."""

    count: int
    measured: Sequence[Measured]


def _median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 2)


def deviation(value: float | None, reference: float | None, *, exact: bool = False) -> float | None:
    """(value − reference) / reference × 100, to one decimal (`exact`: unrounded, as the
    thresholds judge it: 10.01 % below is more than 10 %, though it reads 10 %)."""
    if value is None or not reference:
        return None
    gap = (value - reference) / reference * 100
    return gap if exact else round(gap, 1)


def medians_alike(
    methods: Mapping[str, str | None],
    measured: Sequence[Measured],
    *,
    take: int | None = None,
    minimum: int = 1,
    names: Sequence[str] = FIGURE_NAMES,
) -> tuple[dict[str, float], int]:
    """Per category, the median of the first `take` scores of `measured` measured the same way
    as `methods` says (same method; absent equals absent), given at least `minimum` of them;
    the global median over the first `take` global scores whose every method equals. Returns
    the medians and how many scores the global one is drawn from. `names`: the figures wanted
    ("global", "cpu", …), all by default; `measured` need carry only those."""
    wanted = [(name, methods.get(name)) for name in CATEGORY_NAMES]
    flags = [tuple(m.methods.get(name) == method for name, method in wanted) for m in measured]

    def first(name: str, category: int | None) -> list[float]:
        # the first `take` values of `name` measured alike: in that category, or in all
        values = [
            value
            for m, flag in zip(measured, flags, strict=True)
            if (all(flag) if category is None else flag[category])
            for value in m.figures.get(name, ())
            if value is not None
        ]
        return values[:take]

    medians: dict[str, float] = {}
    for i, name in enumerate(CATEGORY_NAMES):
        if name in names and len(same := first(name, i)) >= minimum:
            medians[name] = _median(same)
    alike = first("global", None)
    if len(alike) >= minimum and "global" in names:
        medians["global"] = _median(alike)
    return medians, len(alike)


def baseline(latest: Run, earlier: Sequence[Run], *, runs: int) -> dict[str, Any] | None:
    """Per category, the median of the newest `runs` earlier valid runs measured the same way
    as `latest`, given at least MIN_RUNS of them; the global baseline from the runs whose every
    method equals the latest's. None when nothing has one.

    `earlier` are the device's valid runs before `latest`, newest first.
    """
    measured = [Measured.of(run) for run in earlier]
    scores, alike = medians_alike(latest.methods, measured, take=runs, minimum=MIN_RUNS)
    if not scores:
        return None
    return {"runs": alike, "scores": scores}


def _pct_below(gap: float, limit: float) -> str:
    """How far below, as a message says it: to 0.1 %, as the insights read it, or to as many
    decimals as it takes not to read as the limit itself ("10 % below" for 10.004 %, where
    the rule is "more than 10 %")."""
    for decimals in range(1, 10):
        if (shown := round(-gap, decimals)) > limit:
            return f"{shown:g}"
    return f"{-gap!r}"


def deviations(latest: Mapping[str, float | None], reference: Mapping[str, float]) -> dict:
    return {
        name: d
        for name, value in reference.items()
        if (d := deviation(latest.get(name), value)) is not None
    }


def peer_medians(
    latest_methods: Mapping[str, str | None],
    peers: Peers,
    *,
    names: Sequence[str] = FIGURE_NAMES,
) -> tuple[dict[str, float], int]:
    """Per category, the median of the peers' ranking figures measured the same way as the
    device's latest run; global over the peers whose every method equals (each peer's figures
    are those of the run that ranks it); and how many peers that global median is drawn from.
    `names` as for medians_alike."""
    return medians_alike(latest_methods, peers.measured, names=names)


@dataclass(frozen=True)
class Condition:
    """Something that needs a person's attention, as it stands now."""

    kind: str
    severity: str
    message: str
    category: str = ""
    disk: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.category, self.disk)


@dataclass
class Assessment:
    """The conditions holding now, and the keys of open items whose condition is over."""

    holding: list[Condition] = field(default_factory=list)
    over: set[tuple[str, str, str]] = field(default_factory=set)

    def leave_closed(self, keys: set[tuple[str, str, str]]) -> None:
        """Hold none of these conditions: acknowledged since the device's newest run, only
        its next run opens them again."""
        self.holding = [condition for condition in self.holding if condition.key not in keys]


def score_conditions(
    assessment: Assessment,
    *,
    latest: Mapping[str, float | None] | None,
    own: Mapping[str, float] | None,
    peers_by_cpu: Mapping[str, float] | None,
    peer_count: int,
    cpu_model: str,
    thresholds: Thresholds,
) -> None:
    """score_regression per category and global, below_peers on the global score; `peer_count`:
    how many peers the global median `peers_by_cpu` is drawn from."""
    for name, reference in (own or {}).items():
        gap = deviation((latest or {}).get(name), reference, exact=True)
        if gap is None:
            continue
        key = ("score_regression", name, "")
        if gap < -thresholds.regression_pct:
            what = "global score" if name == "global" else f"{name} score"
            assessment.holding.append(
                Condition(
                    "score_regression",
                    "warning",
                    f"{what} {_pct_below(gap, thresholds.regression_pct)} % below its own baseline "
                    f"({reference:g} → {latest[name]:g})",
                    category=name,
                )
            )
        else:
            assessment.over.add(key)
    reference = (peers_by_cpu or {}).get("global")
    gap = deviation((latest or {}).get("global"), reference, exact=True)
    if gap is not None and peer_count >= 2 and gap < -thresholds.peer_gap_pct:
        assessment.holding.append(
            Condition(
                "below_peers",
                "warning",
                f"global score {_pct_below(gap, thresholds.peer_gap_pct)} % below "
                f"{peer_count} other machines with the same CPU ({one_line(cpu_model)}: "
                f"median {reference:g})",
                category="global",
            )
        )
    else:  # within the median, or no longer two peers measured alike to be below
        assessment.over.add(BELOW_PEERS)


class Member(NamedTuple):
    """A machine of a CPU model as its peers see it: its ranking figure, whether that is its
    latest valid run's (only then is it judged), and the methods it was measured with."""

    id: int
    valid: bool
    score: float
    methods: tuple[str | None, ...]  # per category of CATEGORY_NAMES


def below_peers_in_group(
    members: Sequence[Member], *, thresholds: Thresholds, of: set[int] | None = None
) -> dict[int, bool]:
    """Whether below_peers holds for the machines of one CPU model, each against the others, as
    score_conditions judges one machine (True: it holds, False: it is over), for every machine
    it holds for and for those `of` names (all when None); one `of` names whose figure is not
    a valid run's, or that has fewer than 2 others measured alike, is over too (False); other
    machines not judged are absent. `members` come lowest figure first (peer_selectors.peer_group).

    A machine's median of the others is read off the sorted figures, and is the same for every
    machine below the middle, so the machines it holds for are the lowest ones: they are
    judged from the lowest up until one is not below (a CPU model's thousands of machines cost
    a pass, not thousands of judgments)."""
    judged: dict[int, bool] = {}
    alike: dict[tuple, list[Member]] = {}
    for member in members:
        alike.setdefault(member.methods, []).append(member)
    for group in alike.values():
        asked = group if of is None else [member for member in group if member.id in of]
        if len(group) < 3:  # two others at least for anyone
            judged.update((member.id, False) for member in asked)
            continue
        scores = [member.score for member in group]
        for member in group:
            if not _below(scores, member.score, thresholds):
                break
            if member.valid:
                judged[member.id] = True
        for member in asked:
            if member.id not in judged:
                judged[member.id] = bool(member.valid and _below(scores, member.score, thresholds))
    return judged


def _below(ordered: Sequence[float], score: float, thresholds: Thresholds) -> bool | None:
    """Whether `score`, one of `ordered`, is below the median of the others (None: no median)."""
    reference = round(_median_without(ordered, score), 2)  # as _median rounds it
    gap = deviation(score, reference, exact=True)
    return None if gap is None else gap < -thresholds.peer_gap_pct


def below_peers_condition(
    member: Member, group: Sequence[Member], *, cpu_model: str, thresholds: Thresholds
) -> Condition | None:
    """The below_peers condition of one machine of `group` as its own evaluation words it."""
    medians, alike = peer_medians(
        dict(zip(CATEGORY_NAMES, member.methods, strict=True)),
        others(member.id, group),
        names=("global",),
    )
    assessment = Assessment()
    score_conditions(
        assessment,
        latest={"global": member.score},
        own=None,
        peers_by_cpu=medians,
        peer_count=alike,
        cpu_model=cpu_model,
        thresholds=thresholds,
    )
    return next(iter(assessment.holding), None)


def _median_without(ordered: Sequence[float], value: float) -> float:
    """statistics.median of `ordered` (sorted) less one occurrence of `value`."""
    skip = bisect.bisect_left(ordered, value)
    n = len(ordered) - 1

    def at(i: int) -> float:
        return ordered[i if i < skip else i + 1]

    return at(n // 2) if n % 2 else (at(n // 2 - 1) + at(n // 2)) / 2


def others(device_id: int, group: Sequence[Member]) -> Peers:
    """The peers of one machine of `group` (peer_selectors.peer_group): the others, by methods."""
    by_methods: dict[tuple, list[float]] = {}
    for member in group:
        if member.id != device_id:
            by_methods.setdefault(member.methods, []).append(member.score)
    return Peers(
        sum(len(scores) for scores in by_methods.values()),
        [
            Measured(dict(zip(CATEGORY_NAMES, methods, strict=True)), {"global": tuple(scores)})
            for methods, scores in by_methods.items()
        ],
    )
