"""The scoring model: category scores in, global score out. Plain Python, no ORM.

Category scores arrive normalised by the client (100 = a typical 4-core 2020 desktop); the
server never trusts a client's global score. The global score is the weighted mean over the
categories present, so a skipped category (a headless server's GPU) does not sink a machine:

    global = Σ wᵢ·scoreᵢ / Σ wᵢ   over present categories with wᵢ > 0, rounded to 2 decimals.
"""

from collections.abc import Collection, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from inventory.schema import CATEGORIES as _CATEGORIES
from inventory.schema import CATEGORY_NAMES as CATEGORIES

DEFAULT_WEIGHTS: dict[str, float] = {category.name: category.weight for category in _CATEGORIES}
# Stored on every benchmark. Bump when what a stored run is given changes (the formula, the
# default weights or thresholds, validity, the loopback rule, the run time): migrate applies
# the rules again to runs of an earlier version only. benchmarks/tests/test_rules_recorded.py
# fails on such a change until it is bumped (SCORE_WEIGHTS set by a person: manage.py rescore).
# 2: a category listed as excluded (a network measured on loopback) is left out.
SCORING_VERSION = 2


class WeightsError(ValueError):
    pass


def parse_weights(spec: str) -> dict[str, float]:
    """Parse "cpu=0.30,memory=0.20,…"; categories left out keep their default weight."""
    weights = dict(DEFAULT_WEIGHTS)
    given = set()
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not sep or name not in CATEGORIES:
            raise WeightsError(
                f"SCORE_WEIGHTS: {item!r} is not <category>=<weight> with a category among "
                f"{', '.join(CATEGORIES)}"
            )
        if name in given:
            raise WeightsError(f"SCORE_WEIGHTS: {name!r} is given twice")
        given.add(name)
        try:
            weight = float(value)
        except ValueError:
            raise WeightsError(f"SCORE_WEIGHTS: weight of {name!r} is not a number") from None
        if not (weight >= 0 and weight != float("inf")):
            raise WeightsError(f"SCORE_WEIGHTS: weight of {name!r} must be a finite number >= 0")
        weights[name] = weight
    if not any(weights.values()):
        raise WeightsError("SCORE_WEIGHTS: at least one weight must be positive")
    return weights


def _decimal(value: float) -> Decimal:
    # repr() is the shortest string that round-trips: 0.3 stays 0.3, not 0.299999…
    return Decimal(repr(float(value)))


def round_score(value: float | Decimal, places: int = 2) -> float:
    """Round half up to `places` decimals, as a person would (Python's round() and "%.1f" are
    half-to-even on binary floats: 104.25 gave 104.2)."""
    value = value if isinstance(value, Decimal) else _decimal(value)
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def global_score(
    scores: Mapping[str, float | None],
    weights: Mapping[str, float],
    excluded: Collection[str] = (),
) -> float | None:
    """The weighted mean of the present category scores, `excluded` ones left out; None when
    none is left.

    Computed in decimal arithmetic so that the documented example (a mean of exactly 105.645)
    rounds to 105.65 as a person would, not to 105.64 through binary float error.
    """
    total = weight_sum = Decimal(0)
    for name in CATEGORIES:
        score, weight = scores.get(name), weights.get(name, 0.0)
        if score is None or weight <= 0 or name in excluded:
            continue
        total += _decimal(weight) * _decimal(score)
        weight_sum += _decimal(weight)
    if weight_sum == 0:
        return None
    return round_score(total / weight_sum)


def methods_of(results: Mapping[str, Any] | None) -> dict[str, str]:
    """How each category was measured (results.<category>.method), where the run says: a
    benchmark's `methods`, compared before two runs' scores are (CONTRACT Part 2)."""
    methods = {}
    for name in CATEGORIES:
        section = (results or {}).get(name)
        method = section.get("method") if isinstance(section, Mapping) else None
        if isinstance(method, str):
            methods[name] = method
    return methods
