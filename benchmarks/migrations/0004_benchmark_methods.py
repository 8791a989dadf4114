"""Benchmarks get `methods`: results.<category>.method, derived when stored
(benchmarks.scoring.methods_of), so that the baselines and the devices' ranking methods read it
without decoding or querying into the results. Existing benchmarks are filled in batches."""

from django.db import migrations, models

from benchmarks.scoring import methods_of
from inventory.backfill import fill_derived


def fill_methods(apps, schema_editor):
    fill_derived(
        apps.get_model("benchmarks", "Benchmark"),
        source="results",
        target="methods",
        derive=methods_of,
    )


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
