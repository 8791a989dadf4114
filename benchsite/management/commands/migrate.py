"""Django's migrate, one at a time on PostgreSQL.

Every server starts with `migrate` unless MIGRATE_ON_START=false (scripts/serve, the Docker
entry point). Two servers started at once on an empty database both created the tables and one
failed ("relation auth_permission already exists"), so that server did not start. Here the
second waits on a PostgreSQL advisory lock while the first migrates, then finds nothing to do.
SQLite needs none: its writers take turns on the file.
"""

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

# an application-wide key of pg_advisory_lock: the same on every server of one database
LOCK_KEY = 0x42656E6368  # "Bench"


class Command(MigrateCommand):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        with connection.cursor() as cursor:
            # a session lock: held by this connection until released, whatever migrate commits
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            return super().handle(*args, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
