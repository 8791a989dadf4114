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


def test_0005_marks_the_figures_each_devices_ranking_run_left_out(migrate_to):
    apps = migrate_to(
        ("benchmarks", "0004_benchmark_methods"),
        ("inventory", "0010_device_list_indexes_nulls_last"),
    )
    device_model = apps.get_model("inventory", "Device")
    benchmark = apps.get_model("benchmarks", "Benchmark")
    now = timezone.now()
    on_loopback = device_model.objects.create(hostname="a", last_benchmark_at=now)
    valid_before = device_model.objects.create(hostname="b", last_benchmark_at=now)
    device_model.objects.create(hostname="c")  # never benchmarked
    benchmark.objects.create(device=on_loopback, run_at=now, excluded_categories=["network"])
    # b ranks by its valid run, not by its newer suspect one on loopback
    benchmark.objects.create(device=valid_before, run_at=now - timezone.timedelta(days=1))
    benchmark.objects.create(
        device=valid_before, run_at=now, validity="suspect", excluded_categories=["network"]
    )

    migrate_to(("benchmarks", "0005_device_ranking_excluded"))

    from inventory.models import Device

    excluded = dict(Device.objects.values_list("hostname", "ranking_excluded"))
    assert excluded == {"a": ["network"], "b": [], "c": []}
