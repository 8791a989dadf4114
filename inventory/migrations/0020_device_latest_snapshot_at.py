"""Devices get `latest_snapshot_at`, when their latest snapshot was captured: a run brings
newer hardware only when its snapshot is at least as new. Until now the runs' times decided, and
a deleted run keeps its snapshot: a capture replayed after the deletion pointed the device at an
older snapshot than its newest, so its device page, `/metrics` and peers read one snapshot and
the disk judgments another.

Filled from each device's newest snapshot by capture time; a device pointed at another one is
pointed at its newest, with that snapshot's peer keys (inventory.columns.model_keys), and named:
`manage.py rescore` then judges its attention items again."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from inventory.columns import MODEL_KEYS, model_keys


def fill(apps, schema_editor):
    device_model = apps.get_model("inventory", "Device")
    snapshot_model = apps.get_model("inventory", "HardwareSnapshot")
    newest = snapshot_model.objects.filter(device_id=OuterRef("pk")).order_by("-captured_at", "-id")
    rows = device_model.objects.annotate(newest_id=Subquery(newest.values("id")[:1]))
    moved = []
    for pk, pointed, newest_id in rows.values_list("pk", "latest_snapshot_id", "newest_id"):
        if newest_id is not None and pointed != newest_id:
            snapshot = snapshot_model.objects.only("id", *MODEL_KEYS).get(pk=newest_id)
            device_model.objects.filter(pk=pk).update(
                latest_snapshot_id=newest_id, **model_keys(snapshot)
            )
            moved.append(pk)
    device_model.objects.update(latest_snapshot_at=Subquery(newest.values("captured_at")[:1]))
    if moved:
        names = device_model.objects.filter(pk__in=moved).values_list("hostname", flat=True)
        print(  # noqa: T201 (said to whoever migrates)
            f"\n  {len(moved)} device(s) pointed at an older snapshot than their newest now "
            f"point at it ({', '.join(sorted(names)[:10])}): run manage.py rescore to judge "
            "their attention items again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0019_device_ranking_methods_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="latest_snapshot_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
