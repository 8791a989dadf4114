"""The scoring model, table-driven, without the database."""

import pytest

from benchmarks.scoring import (
    DEFAULT_WEIGHTS,
    WeightsError,
    global_score,
    parse_weights,
    round_score,
)

EXAMPLE = {"cpu": 104.4, "memory": 98.6, "disk": 134.5, "network": 94.0, "gpu": 68.8}


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        # the contract's example: 31.32 + 19.72 + 33.625 + 14.1 + 6.88 = 105.645 → half up
        (EXAMPLE, 105.65),
        ({"cpu": 100, "memory": 100, "disk": 100, "network": 100, "gpu": 100}, 100.0),
        # a headless server: GPU skipped, the other weights renormalised (sum 0.9)
        # (31.32 + 19.72 + 33.625 + 14.1) / 0.9 = 109.7389
        ({**EXAMPLE, "gpu": None}, 109.74),
        ({"cpu": 250.0}, 250.0),  # one category: its own score
        ({"cpu": 200.0, "disk": 100.0}, 154.55),  # (60 + 25) / 0.55 = 154.5454
        ({"cpu": 9999.99, "memory": 10000}, 9999.99),  # (2999.997 + 2000) / 0.5 = 9999.994
        ({"cpu": 0.0, "memory": 0.0}, 0.0),
        ({}, None),
        ({"cpu": None, "gpu": None}, None),
    ],
)
def test_global_score_is_the_weighted_mean_of_present_categories(scores, expected):
    assert global_score(scores, DEFAULT_WEIGHTS) == expected


def test_global_score_ignores_zero_weight_categories():
    weights = {**DEFAULT_WEIGHTS, "gpu": 0.0}
    assert global_score({"cpu": 100, "gpu": 5000}, weights) == 100.0
    assert global_score({"gpu": 5000}, weights) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.005, 1.01), (2.675, 2.68), (105.645, 105.65), (0.004, 0.0), (99.994999, 99.99)],
)
def test_round_score_rounds_half_up_on_the_decimal_value(value, expected):
    assert round_score(value) == expected


def test_parse_weights_reads_the_default_spec():
    assert parse_weights("cpu=0.30,memory=0.20,disk=0.25,network=0.15,gpu=0.10") == DEFAULT_WEIGHTS


def test_parse_weights_keeps_defaults_for_categories_left_out():
    assert parse_weights(" cpu = 0.5 , GPU=0 ") == {**DEFAULT_WEIGHTS, "cpu": 0.5, "gpu": 0.0}


@pytest.mark.parametrize(
    "spec",
    [
        "cpu",
        "cpu=abc",
        "cpu=-1",
        "cpu=inf",
        "cpu=nan",
        "ram=0.2",
        "cpu=0,memory=0,disk=0,network=0,gpu=0",
    ],
)
def test_parse_weights_rejects_bad_specs_naming_the_variable(spec):
    with pytest.raises(WeightsError, match="SCORE_WEIGHTS"):
        parse_weights(spec)


@pytest.mark.parametrize("spec", ["cpu", "cpu=0.3,memory"])
def test_a_category_without_its_weight_is_refused_as_not_category_equals_weight(spec):
    """Not as a weight that "is not a number": no weight was given."""
    with pytest.raises(WeightsError, match=r"is not <category>=<weight> with a category among"):
        parse_weights(spec)
