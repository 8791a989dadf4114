"""Devices get `former_hostnames` (inventory.renames): the hostnames a machine had, found by a
search and said on its page. Filled from the devices' admin history, whose lines of a rename
(by a submission, through the API, in the admin's form) name the old and the new hostname, in
the order they were written; a line that cut a name short (over 77 characters) is left out.
The snapshots keep no hostname: the history is where the old names are."""

from django.db import migrations, models

from inventory.renames import former_hostnames_after, rename_in_history

CHANGE = 2  # django.contrib.admin.models.CHANGE


def fill(apps, schema_editor):
    content_type = (
        apps.get_model("contenttypes", "ContentType")
        .objects.filter(app_label="inventory", model="device")
        .first()
    )
    if content_type is None:  # a new database: no history yet
        return
    lines = (
        apps.get_model("admin", "LogEntry")
        .objects.filter(
            content_type_id=content_type.pk,
            action_flag=CHANGE,
            change_message__contains='hostname "',
        )
        .order_by("action_time", "id")
        .values_list("object_id", "change_message")
    )
    former: dict[int, str] = {}
    for object_id, message in lines.iterator():
        renamed = rename_in_history(message)
        if renamed and object_id.isdigit():
            device = int(object_id)
            former[device] = former_hostnames_after(former.get(device, ""), *renamed)
    device_model = apps.get_model("inventory", "Device")
    devices = list(device_model.objects.filter(pk__in=former).only("id", "hostname"))
    for device in devices:  # a name it has again is no former one
        device.former_hostnames = former_hostnames_after(former[device.pk], "", device.hostname)
    device_model.objects.bulk_update(devices, ["former_hostnames"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0028_snapshot_key_without_virtual_nics"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="former_hostnames",
            field=models.TextField(blank=True, db_default="", default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
