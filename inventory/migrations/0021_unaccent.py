"""PostgreSQL's `unaccent` extension, for the device search that ignores accents
(inventory.folding). It ships with PostgreSQL and is trusted since PostgreSQL 13: an account
that owns the database (or may create in it) creates it. One that may not is told so, and the
upgrade goes on: its search compares the text as stored, as before (README, "Moving to
PostgreSQL")."""

import sys

from django.db import migrations

from inventory import folding


def create_unaccent(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    why = folding.create_unaccent(connection)
    if why is not None:
        print(
            f"\n  PostgreSQL's unaccent extension could not be created ({why}): the device "
            "search will not ignore accents. A superuser can run CREATE EXTENSION unaccent; in "
            "this database, then restart the server.",
            file=sys.stderr,
        )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0020_device_latest_snapshot_at")]

    operations = [migrations.RunPython(create_unaccent, migrations.RunPython.noop, elidable=True)]
