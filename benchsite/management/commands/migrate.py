"""Django's migrate, one at a time on PostgreSQL, then `rescore` when runs were scored by an
earlier version.

Every server starts with `migrate` unless MIGRATE_ON_START=false (scripts/serve, the Docker
entry point). Two servers started at once on an empty database both created the tables and one
failed ("relation auth_permission already exists"), so that server did not start. Here the
second waits on a PostgreSQL advisory lock while the first migrates, then finds nothing to do.
SQLite needs none: its writers take turns on the file.

A database from an earlier version (an upgrade, a restored archive) holds runs scored, dated
and judged by that version's rules, and no attention items for them: a failing disk stayed
unmarked until someone ran `manage.py rescore`, which the upgrade notes asked for. A full
migrate runs it when any run's scoring_version is older than this version's (one query when
none is), on the server that migrates, before the servers answer.
"""

import io

from django.core.management import call_command
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS, connections

from benchmarks.models import Benchmark
from benchmarks.scoring import SCORING_VERSION

# an application-wide key of pg_advisory_lock: the same on every server of one database
LOCK_KEY = 0x42656E6368  # "Bench"


class Command(MigrateCommand):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            self.migrate(*args, **options)
            return
        with connection.cursor() as cursor:
            # a session lock: held by this connection until released, whatever migrate commits
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            # the rescore too: a second server finds it done
            self.migrate(*args, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])

    def migrate(self, *args, **options) -> None:
        super().handle(*args, **options)
        whole = options["app_label"] is None and options["database"] == DEFAULT_DB_ALIAS
        if not whole or options["plan"] or options["check_unapplied"] or options["prune"]:
            return
        if not Benchmark.objects.filter(scoring_version__lt=SCORING_VERSION).exists():
            return
        shown = options["verbosity"] > 0
        if shown:
            self.stdout.write(
                "Runs scored by an earlier version: applying this version's scoring, validity "
                "and attention rules to every run (manage.py rescore)."
            )
        call_command("rescore", stdout=self.stdout if shown else io.StringIO())
