"""PostgreSQL's `unaccent` extension, for the device search that ignores accents
(inventory.folding). It ships with PostgreSQL and is trusted since PostgreSQL 13: an account
that owns the database (or may create in it) creates it. One that may not is told so, and the
upgrade goes on: its search compares the text as stored, as before (README, "Moving to
PostgreSQL")."""

import sys

from django.db import DatabaseError, migrations, transaction


def create_unaccent(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias):  # a failure leaves the migration's own
            with connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    except DatabaseError as exc:
        print(
            "\n  PostgreSQL's unaccent extension could not be created "
            f"({str(exc).strip().splitlines()[0]}): the device search will not ignore accents. "
            "A superuser can run CREATE EXTENSION unaccent; in this database, then restart the "
            "server.",
            file=sys.stderr,
        )
        return
    connection.bt_unaccent = True  # this connection was made before: it has it now


class Migration(migrations.Migration):
    dependencies = [("inventory", "0020_device_latest_snapshot_at")]

    operations = [migrations.RunPython(create_unaccent, migrations.RunPython.noop, elidable=True)]
