"""Data migrations of benchmarks fill what existing rows need, on the schema of the time."""

import pytest
from django.utils import timezone

from benchmarks.models import Benchmark

pytestmark = pytest.mark.django_db(transaction=True)


def test_0004_reads_each_existing_runs_methods_out_of_its_results(migrate_to):
    apps = migrate_to(("benchmarks", "0003_run_time_and_validity"))
    device = apps.get_model("inventory", "Device").objects.create(hostname="nas")
    benchmark = apps.get_model("benchmarks", "Benchmark")
    results = {
        "cpu": {"score": 90.0, "method": "sysbench-1.0-cpu-prime20000-1t+allt-v1"},
        "memory": {"score": 80.0},  # a run of a bench.sh that named no method
        "disk": {"score": 70.0, "method": 3},  # not a method
        "network": None,
    }
    named = benchmark.objects.create(device=device, run_at=timezone.now(), results=results)
    older = benchmark.objects.create(device=device, run_at=timezone.now(), results={})

    migrate_to(("benchmarks", "0004_benchmark_methods"))

    methods = Benchmark.objects.values_list("methods", flat=True)
    assert methods.get(pk=named.pk) == {"cpu": "sysbench-1.0-cpu-prime20000-1t+allt-v1"}
    assert methods.get(pk=older.pk) == {}
