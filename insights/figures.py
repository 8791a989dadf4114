"""Figures against figures: a median, a deviation in percent, a gap said past its limit.
insights.rules judges with them, insights.insight and the pages say them."""

import statistics
from collections.abc import Mapping, Sequence
from decimal import Decimal

from benchmarks.scoring import round_score


def median(values: Sequence[float]) -> float:
    # judged as it is: 100.025, the median of 100.02 and 100.03, was judged as 100.03, and a
    # run 9.9975 % below it "more than 10 % below" (the answers show it to 0.01: insight.py)
    ordered = sorted(values)
    if not ordered:
        raise statistics.StatisticsError("no median for an empty list")
    size = len(ordered)
    return ordered[size // 2] if size % 2 else midpoint(ordered[size // 2 - 1], ordered[size // 2])


def midpoint(a: float, b: float) -> float:
    """The mean of two scores, in decimal: the floats' (46.16 + 46.51) / 2 is 46.334999…, shown
    46.33 where the 46.335 of every other figure's rounding half up is 46.34."""
    return float((Decimal(repr(a)) + Decimal(repr(b))) / 2)


def deviation(value: float | None, reference: float | None, *, exact: bool = False) -> float | None:
    """(value − reference) / reference × 100, to one decimal (`exact`: as the thresholds judge
    it, 10.01 % below more than 10 %, to 1e-9 %, past which a float's error lies: 125.1 against
    139 is 10 % below, not the 10.000000000000005 % of the floats, more than 10 %)."""
    if value is None or not reference:
        return None
    gap = round((value - reference) / reference * 100, 9)
    return gap if exact else round_score(gap, 1)  # half up, as an item says it: 10.55 is 10.6


def pct_beyond(amount: float, limit: float) -> str:
    """How far off (a gap's size), as a message says it: to 0.1 %, as the insights read it, or
    to as many decimals as it takes not to read as the limit itself ("10 % below" for 10.004 %,
    where the rule is "more than 10 %"); half up (10.55 is 10.6, as the insights say it)."""
    for decimals in range(1, 10):
        if (shown := round_score(amount, decimals)) > limit:
            return f"{shown:g}"
    return f"{amount!r}"


def deviations(latest: Mapping, reference: Mapping[str, float], *, exact: bool = False) -> dict:
    return {
        name: d
        for name, value in reference.items()
        if (d := deviation(latest.get(name), value, exact=exact)) is not None
    }
