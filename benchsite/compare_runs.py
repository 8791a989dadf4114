"""The scores of two snapshots' runs side by side, above the hardware on the snapshot compare
page: "12 % below its own baseline", and what changed between two of its runs.

A score is compared only with one measured alike (CONTRACT Part 2, "Insights"): the same
method (absent equals absent), and, as the global score leaves it out, on loopback on both
sides or neither; the global score where every category is.
"""

from dataclasses import dataclass

from benchmarks.models import Benchmark
from benchmarks.selectors import benchmark_of_snapshots
from benchmarks.validity import measured_alike
from insights.figures import deviation
from inventory.models import HardwareSnapshot
from inventory.schema import CATEGORIES

from .templatetags.humanize_scores import partial_global


@dataclass(frozen=True)
class Side:
    """One snapshot's run (None: no run was taken with it, or it was deleted), and how many
    runs were taken with that snapshot (the newest is shown)."""

    run: Benchmark | None
    runs: int


@dataclass(frozen=True)
class Cell:
    score: float | None
    method: str = ""
    excluded: bool = False  # left out of its run's global score (a network on loopback)
    partial: str = ""  # a global score of fewer categories says so ("4 of 5")


@dataclass(frozen=True)
class ScoreRow:
    name: str  # "global", "cpu", …
    label: str
    cells: tuple[Cell, Cell]
    change: str = ""  # "+4.0 %", "−12.5 %"; "" where not compared
    # the categories measured another way, for the global score; for a category, its label
    otherwise: tuple[str, ...] = ()


def change_said(before: float | None, after: float | None) -> str:
    """How far the second score is from the first, as people read it: "+4.0 %", "−12.5 %"
    (one decimal each: a column of "+2 %" beside "+4.4 %" read as figures of two precisions)."""
    gap = deviation(after, before)
    if gap is None:
        return ""
    sign = "+" if gap > 0 else "−" if gap < 0 else ""
    return f"{sign}{abs(gap):.1f} %"


def _cells(sides: tuple[Side, Side], name: str) -> tuple[Cell, Cell]:
    cells = []
    for side in sides:
        run = side.run
        if run is None:
            cells.append(Cell(None))
        elif name == "global":
            scores = {"global": run.global_score, **run.category_scores}
            partial = partial_global(scores, run.excluded_categories or ())
            cells.append(Cell(run.global_score, partial=partial))
        else:
            excluded = name in (run.excluded_categories or ())
            method = (run.methods or {}).get(name) or ""
            cells.append(Cell(getattr(run, f"{name}_score"), method, excluded))
    return cells[0], cells[1]


def score_rows(sides: tuple[Side, Side]) -> list[ScoreRow]:
    """The global score and each category's, each side's with its method, and the change
    from the first to the second where both measured it alike."""
    a, b = (side.run for side in sides)
    rows = []
    for name, label in (("global", "global"), *((c.name, c.label) for c in CATEGORIES)):
        cells = _cells(sides, name)
        measured = a is not None and b is not None and None not in (cells[0].score, cells[1].score)
        if not measured:
            rows.append(ScoreRow(name, label, cells))
            continue
        if name == "global":
            otherwise = tuple(c.label for c in CATEGORIES if not measured_alike(a, b, c.name))
        else:
            otherwise = () if measured_alike(a, b, name) else (label,)
        change = "" if otherwise else change_said(cells[0].score, cells[1].score)
        rows.append(ScoreRow(name, label, cells, change, otherwise))
    return rows


def runs_compared(a: HardwareSnapshot, b: HardwareSnapshot) -> dict:
    """The runs of two snapshots and their scores side by side (one query)."""
    found = benchmark_of_snapshots(snapshot_ids=(a.pk, b.pk))
    sides = tuple(Side(*found.get(snapshot.pk, (None, 0))) for snapshot in (a, b))
    return {"sides": sides, "rows": score_rows(sides)}
