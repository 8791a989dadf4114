"""What the numbers mean (CONTRACT Part 2, "Insights"): plain functions over plain data.

A machine against its own past (baseline) and against the machines like it (peers); and from
those, the conditions that need a person's attention (its disks' are insights.disk_rules'). No
ORM: selectors gather the data, services store what these decide.
"""

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from benchmarks.scoring import round_score
from inventory.columns import one_line
from inventory.schema import CATEGORY_NAMES

from .figures import deviation, median, midpoint, pct_beyond

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


def medians_alike(
    methods: Mapping[str, str | None],
    measured: Sequence[Measured],
    *,
    take: int | None = None,
    minimum: int = 1,
    names: Sequence[str] = FIGURE_NAMES,
) -> tuple[dict[str, float], dict[str, int]]:
    """Per category, the median of the first `take` scores of `measured` measured the same way
    as `methods` says (same method; absent equals absent), given at least `minimum` of them;
    the global median over the first `take` global scores whose every method equals. Returns
    the medians and how many scores each is drawn from ("global": the global one's, given or
    not; a category's may count machines the global one does not, measured alike in that
    category and not in every one). `names`: the figures wanted ("global", "cpu", …), all by
    default; `measured` need carry only those."""
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
    counts: dict[str, int] = {}
    for i, name in enumerate(CATEGORY_NAMES):
        if name in names and len(same := first(name, i)) >= minimum:
            medians[name], counts[name] = median(same), len(same)
    alike = first("global", None)
    if len(alike) >= minimum and "global" in names:
        medians["global"] = median(alike)
    counts["global"] = len(alike)
    return medians, counts


def baseline(latest: Run, earlier: Sequence[Run], *, runs: int) -> dict[str, Any] | None:
    """Per category, the median of the newest `runs` earlier valid runs measured the same way
    as `latest`, given at least MIN_RUNS of them; the global baseline from the runs whose every
    method equals the latest's. None when nothing has one.

    `earlier` are the device's valid runs before `latest`, newest first.
    """
    measured = [Measured.of(run) for run in earlier]
    scores, counts = medians_alike(latest.methods, measured, take=runs, minimum=MIN_RUNS)
    if not scores:
        return None
    return {"runs": counts["global"], "scores": scores}


def peer_medians(
    latest_methods: Mapping[str, str | None],
    peers: Peers,
    *,
    names: Sequence[str] = FIGURE_NAMES,
) -> tuple[dict[str, float], dict[str, int]]:
    """Per category, the median of the peers' ranking figures measured the same way as the
    device's latest run; global over the peers whose every method equals (each peer's figures
    are those of the run that ranks it); and how many peers each median is drawn from
    ("global": the global one's). `names` as for medians_alike."""
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
    said_over: dict[tuple[str, str, str], str] = field(default_factory=dict)  # closing, added

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
            off = pct_beyond(-gap, thresholds.regression_pct)
            assessment.holding.append(
                Condition(
                    "score_regression",
                    "warning",
                    f"{what} {off} % below its own baseline "
                    f"({round_score(reference, 2):g} → {latest[name]:g})",
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
                f"global score {pct_beyond(-gap, thresholds.peer_gap_pct)} % below "
                f"{peer_count} other machines with the same CPU ({one_line(cpu_model)}: "
                f"median {round_score(reference, 2):g})",
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


class Group(NamedTuple):
    """The machines of one CPU model as below_peers judges them, per methods they were measured
    with: how many there are, and the figures around the middle of their order (the median of
    them all, or of all but any one, is read off those); and the machines that may be judged,
    lowest figure first — every one (`whole`), or as peer_selectors.peer_group reads them: the
    ones low enough to be below, the ones asked about and the one whose run is evaluated."""

    sizes: Mapping[tuple, int]  # methods → how many machines were measured so
    middles: Mapping[tuple, tuple[int, tuple[float, ...]]]  # methods → (first's position, figures)
    members: Sequence[Member]

    @classmethod
    def whole(cls, members: Sequence[Member]) -> "Group":
        """The group of these machines, every one of them, lowest figure first."""
        scores: dict[tuple, list[float]] = {}
        for member in members:
            scores.setdefault(member.methods, []).append(member.score)
        middles = {}
        for methods, ordered in scores.items():
            start, count = middle(len(ordered))
            middles[methods] = (start, tuple(ordered[start : start + count]))
        return cls({methods: len(ordered) for methods, ordered in scores.items()}, middles, members)


def middle(size: int) -> tuple[int, int]:
    """Where the figures a median reads start among `size` figures in order, and how many: the
    median of them all and of all but any one of them are read off those."""
    start = max(0, (size - 1) // 2 - 1)
    return start, min(3, size - start)


def _median_in(group: Group, methods: tuple, without: float | None = None) -> float | None:
    """statistics.median of the figures measured with `methods`, less one occurrence of
    `without` (one of them) when given; None when none is left."""
    size = group.sizes.get(methods, 0) - (without is not None)
    if size <= 0:
        return None
    start, figures = group.middles[methods]
    # where the figure left out stands: the figures from there on are one place further
    if without is None or without > figures[-1]:
        skip = start + len(figures)
    elif without < figures[0]:
        skip = start - 1
    else:  # any occurrence of an equal figure leaves the same figures
        skip = start + bisect.bisect_left(figures, without)

    def at(i: int) -> float:
        return figures[(i if i < skip else i + 1) - start]

    return at(size // 2) if size % 2 else midpoint(at(size // 2 - 1), at(size // 2))


def peer_median(
    group: Group, device_id: int, methods: Mapping[str, str | None]
) -> tuple[dict[str, float], int]:
    """The global median of the machines of `group` measured as `methods` says (a device's
    latest valid run), the device itself left out, and how many they are."""
    wanted = tuple(methods.get(name) for name in CATEGORY_NAMES)
    own = next((m for m in group.members if m.id == device_id and m.methods == wanted), None)
    median = _median_in(group, wanted, own.score if own is not None else None)
    alike = group.sizes.get(wanted, 0) - (own is not None)
    return ({"global": median} if median is not None else {}), alike


def below_peers_in_group(
    group: Group, *, thresholds: Thresholds, of: set[int] | None = None
) -> dict[int, bool]:
    """Whether below_peers holds for the machines of one CPU model, each against the others, as
    score_conditions judges one machine (True: it holds, False: it is over), for every machine
    of `group.members` it holds for and for those `of` names (all when None); one `of` names
    whose figure is not a valid run's, or that has fewer than 2 others measured alike, is over
    too (False); other machines not judged are absent.

    A machine's median of the others is the same for every machine below the middle, so the
    machines it holds for are the lowest ones: they are judged from the lowest up until one is
    not below (a CPU model's thousands of machines cost a few, not thousands of judgments)."""
    judged: dict[int, bool] = {}
    alike: dict[tuple, list[Member]] = {}
    for member in group.members:
        alike.setdefault(member.methods, []).append(member)
    for methods, members in alike.items():
        asked = members if of is None else [member for member in members if member.id in of]
        if group.sizes.get(methods, 0) < 3:  # two others at least for anyone
            judged.update((member.id, False) for member in asked)
            continue
        for member in members:
            if not _below(group, member, thresholds):
                break
            if member.valid:
                judged[member.id] = True
        for member in asked:
            if member.id not in judged:
                judged[member.id] = bool(member.valid and _below(group, member, thresholds))
    return judged


def _below(group: Group, member: Member, thresholds: Thresholds) -> bool | None:
    """Whether the member's figure is below the median of the others (None: no median)."""
    median = _median_in(group, member.methods, member.score)
    gap = deviation(member.score, median, exact=True)
    return None if gap is None else gap < -thresholds.peer_gap_pct


def median_moved(
    group: Group, before: tuple[tuple, float] | None, after: tuple[tuple, float] | None
) -> bool:
    """Whether one machine's figure going from `before` to `after` — its (methods, figure)
    among the group's, None when it was not or is no longer among them — may have moved the
    median of the others that any machine of `group` (read after the change) is judged against.
    It has not when the figure stayed on one side of the group's middle figures, beyond them:
    every figure from there to the other end keeps its place, and every such median is read off
    the middle (_median_in); nor when nothing changed. A machine joining, leaving or measured
    another way changes a count: moved."""
    if before == after:
        return False
    if before is None or after is None or before[0] != after[0]:
        return True
    _, figures = group.middles.get(after[0], (0, ()))
    if not figures:  # the group emptied meanwhile: judged again
        return True
    was, now = before[1], after[1]
    return not (min(was, now) > figures[-1] or max(was, now) < figures[0])


def below_peers_bound(group: Group, thresholds: Thresholds, methods: tuple | None = None) -> float:
    """A figure under which every machine of the group (of those measured with `methods`, when
    given) that below_peers may hold for lies (peer_selectors.peer_group reads those): below
    the highest median of the others, by the gap, with 0.01 to spare (more than the 1e-9 %
    a gap is judged to); -inf when no methods has three machines."""
    tops = [
        figures[-1]
        for measured, (_, figures) in group.middles.items()
        if group.sizes.get(measured, 0) >= 3 and methods in (None, measured)
    ]
    if not tops:
        return float("-inf")
    return (max(tops) + 0.01) * max(0.0, 1 - thresholds.peer_gap_pct / 100) + 0.01


def below_peers_condition(
    member: Member, group: Group, *, cpu_model: str, thresholds: Thresholds
) -> Condition | None:
    """The below_peers condition of one machine of `group` as its own evaluation words it."""
    median = _median_in(group, member.methods, member.score)
    assessment = Assessment()
    score_conditions(
        assessment,
        latest={"global": member.score},
        own=None,
        peers_by_cpu={"global": median} if median is not None else {},
        peer_count=group.sizes.get(member.methods, 0) - 1,
        cpu_model=cpu_model,
        thresholds=thresholds,
    )
    return next(iter(assessment.holding), None)
