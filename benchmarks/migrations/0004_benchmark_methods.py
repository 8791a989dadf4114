"""Benchmarks get `methods`: results.<category>.method, derived when stored
(benchmarks.scoring.methods_of), so that the baselines and the devices' ranking methods read it
without decoding or querying into the results. Existing benchmarks are filled in batches."""

from django.db import migrations, models

from benchmarks.scoring import methods_of

BATCH = 2000


def fill_methods(apps, schema_editor):
    benchmark_model = apps.get_model("benchmarks", "Benchmark")
    changed = []
    rows = benchmark_model.objects.only("id", "results").order_by("id")
    for benchmark in rows.iterator(chunk_size=BATCH):
        benchmark.methods = methods_of(benchmark.results)
        if benchmark.methods:
            changed.append(benchmark)
        if len(changed) >= BATCH:
            benchmark_model.objects.bulk_update(changed, ["methods"])
            changed = []
    benchmark_model.objects.bulk_update(changed, ["methods"])


class Migration(migrations.Migration):
    dependencies = [
        ("benchmarks", "0003_run_time_and_validity"),
    ]

    operations = [
        migrations.AddField(
            model_name="benchmark",
            name="methods",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(fill_methods, migrations.RunPython.noop),
    ]
