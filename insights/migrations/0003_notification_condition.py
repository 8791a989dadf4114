"""Notifications keep their item's condition (insights.models.condition_key): an earlier one of
that condition still to be sent holds the later ones back (insights.notify.behind_earlier).
That order was read through the item, which a deleted device takes with it: a receiver that was
down got the deleted machine's "resolved" first and its "opened" after. The notifications still
to be sent are given theirs; those of an item already gone (its device deleted before the
upgrade) one made of their title without its " resolved" (the machine and the kind), so that
its "opened" still holds back its "resolved". Those sent or given up keep none: they hold
nothing back. The column has a database default, "": a server of the version before, which
writes none, serves the upgraded database (several servers upgraded one at a time)."""

import hashlib

from django.db import migrations, models

from insights.models import condition_key

RESOLVED = " resolved"


def fill_conditions(apps, schema_editor):
    Notification = apps.get_model("insights", "Notification")
    rows = list(Notification.objects.filter(next_attempt_at__isnull=False).select_related("item"))
    for row in rows:
        if row.item is not None:
            row.condition = condition_key(row.item)
        else:
            said = "\x1f".join(("gone", row.title.removesuffix(RESOLVED)))
            row.condition = hashlib.sha256(said.encode()).hexdigest()
    Notification.objects.bulk_update(rows, ["condition"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("insights", "0002_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="condition",
            field=models.CharField(blank=True, db_default="", editable=False, max_length=64),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                fields=["condition", "target", "id"], name="insights_notify_condition"
            ),
        ),
        migrations.RunPython(fill_conditions, migrations.RunPython.noop),
    ]
