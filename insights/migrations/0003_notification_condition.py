"""Notifications keep their item's condition (insights.models.condition_key): an earlier one of
that condition still to be sent holds the later ones back (insights.notify.behind_earlier).
That order was read through the item, which a deleted device takes with it: a receiver that was
down got the deleted machine's "resolved" first and its "opened" after. The notifications of
items still there are given theirs; those of items already gone keep none, and hold none."""

from django.db import migrations, models

from insights.models import condition_key


def fill_conditions(apps, schema_editor):
    Notification = apps.get_model("insights", "Notification")
    rows = list(Notification.objects.filter(item__isnull=False).select_related("item"))
    for row in rows:
        row.condition = condition_key(row.item)
    Notification.objects.bulk_update(rows, ["condition"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("insights", "0002_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="condition",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                fields=["condition", "target", "id"], name="insights_notify_condition"
            ),
        ),
        migrations.RunPython(fill_conditions, migrations.RunPython.noop),
    ]
