"""Per-request work that perf/ingest.py measured and removed, pinned so it stays removed."""

import uuid

import pytest

from benchmarks import scoring, services
from benchsite.tests.markers import DATABASE_URL, ordered

pytestmark = pytest.mark.django_db


def test_a_submission_for_a_known_device_costs_twelve_statements(
    submit, example, django_assert_max_num_queries
):
    submit(example)
    example["submission_id"] = str(uuid.uuid4())
    # BEGIN/SAVEPOINT, the device, the snapshot, the benchmark, the device's figures,
    # COMMIT/RELEASE: no look-up of the submission_id; then, after the commit, its attention
    # (benchsite's submission view): open items, runs, recent snapshots, and of the machines of
    # its CPU model how many were measured alike, their middle figures and its own row, none
    # written; its figure as before, the others' median did not move: none of them is read
    # (insights.tests.test_evaluation: the lowest ones and their items when it did)
    with django_assert_max_num_queries(12 + ordered()):
        assert submit(example).status_code == 201


def test_a_first_submission_creates_its_device_in_the_same_budget_plus_identity_lookups(
    submit, example, django_assert_max_num_queries
):
    # PostgreSQL: a lock per identity key the example sends (machine-id, UUID, serial), which a
    # submission of another new name of the machine waits on (inventory.matching)
    locks = 3 if DATABASE_URL.startswith(("postgres://", "postgresql://")) else 0
    with django_assert_max_num_queries(17 + ordered() + locks):
        assert submit(example).status_code == 201


def test_score_weights_are_parsed_once_per_value(monkeypatch, settings):
    calls = []
    real = scoring.parse_weights
    monkeypatch.setattr(scoring, "parse_weights", lambda spec: calls.append(spec) or real(spec))
    services._parsed_weights.cache_clear()
    settings.SCORE_WEIGHTS = "cpu=0.5"

    first, second = services.score_weights(), services.score_weights()

    assert calls == ["cpu=0.5"]
    assert first == second and first is not second  # callers may not alter the cached one
    settings.SCORE_WEIGHTS = "cpu=0.6"
    assert services.score_weights()["cpu"] == 0.6
