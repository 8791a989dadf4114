import io

import pytest
from django.core.management import CommandError, call_command

from benchmarks.models import Benchmark
from benchmarks.tests.factories import BenchmarkFactory

pytestmark = pytest.mark.django_db


def rescore(*args) -> str:
    out = io.StringIO()
    call_command("rescore", *args, stdout=out)
    return out.getvalue()


def test_rescore_applies_new_weights_and_records_them(settings):
    benchmark = BenchmarkFactory(cpu_score=200.0, memory_score=100.0, disk_score=None)
    assert benchmark.global_score == 160.0  # (200·0.3 + 100·0.2) / 0.5
    settings.SCORE_WEIGHTS = "cpu=0.5,memory=0.5"

    output = rescore()

    benchmark.refresh_from_db()
    assert benchmark.global_score == 150.0
    assert benchmark.weights["cpu"] == 0.5 and benchmark.weights["memory"] == 0.5
    assert "Rescored 1 benchmark(s); 1 changed." in output


def test_rescore_with_unchanged_weights_changes_nothing():
    BenchmarkFactory.create_batch(3)
    assert "Rescored 3 benchmark(s); 0 changed." in rescore()


def test_rescore_walks_histories_larger_than_one_batch(monkeypatch):
    from benchmarks import rescoring

    monkeypatch.setattr(rescoring, "RESCORE_BATCH", 7)
    BenchmarkFactory.create_batch(20, cpu_score=50.0, memory_score=None, disk_score=None)

    output = rescore("--weights", "cpu=1")

    assert "Rescored 20 benchmark(s); 20 changed." in output
    assert set(Benchmark.objects.values_list("global_score", flat=True)) == {50.0}


def test_rescore_can_be_limited_to_a_device():
    mine = BenchmarkFactory(device__hostname="mine", cpu_score=10.0)
    other = BenchmarkFactory(device__hostname="other", cpu_score=10.0)

    rescore("--device", "mine", "--weights", "cpu=1,memory=0,disk=0")

    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.global_score == 10.0
    assert other.global_score != 10.0


def test_rescore_refuses_bad_weights():
    with pytest.raises(CommandError, match="SCORE_WEIGHTS"):
        rescore("--weights", "cpu=-1")
