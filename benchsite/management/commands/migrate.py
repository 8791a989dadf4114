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
migrate runs it when the rules in force were not applied whole (benchmarks.RulesApplied: a
rescore cut short, by a stop or a failure, is run again) or a run was scored by an earlier
version (a server of it still submitting) or dated year 1 by one; two queries when neither.
Its failure is said and leaves the server to start: `manage.py rescore` by hand once its cause
is fixed.

It also puts right the devices' `ranking_methods_key` that a server of a version before it
left (one still serving while the database was upgraded under it stores runs without it), or
made by its rules (before 0.14.2, a run's network left out on loopback was not in the key): the
peers' index would count such a machine with the methods of its run before.
"""

import io
import logging

from django.core.management import call_command
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q

from benchmarks.models import Benchmark, RulesApplied
from benchmarks.scoring import SCORING_VERSION
from benchmarks.validity import EARLIEST_RUN_TIME
from insights.receivers import judge_again
from inventory.models import Device
from inventory.runs import device_methods_keys_refresh

logger = logging.getLogger(__name__)

# an application-wide key of pg_advisory_lock: the same on every server of one database
LOCK_KEY = 0x42656E6368  # "Bench"


class Command(MigrateCommand):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        # what a server started with MIGRATE_ON_START=false asks until the database is migrated
        # (scripts/serve): answered without waiting for the rescore that follows a migration
        asking = options["check_unapplied"] or options["plan"]
        if connection.vendor != "postgresql" or asking:
            self.migrate(*args, **options)
            return
        with connection.cursor() as cursor:
            # a session lock: held by this connection until released, whatever migrate commits
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                self.stdout.write("Another server is migrating this database: waiting for it…")
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
        repaired = device_methods_keys_refresh(Device.objects.all())
        if repaired:
            self.stdout.write(
                f"{sum(repaired.values())} device(s) had a peers' key of an earlier version "
                "(ranked by a run whose network was measured on loopback, or stored by a server "
                "of an earlier version): put right, and their CPU models' machines judged again "
                "(below_peers)."
            )
        outdated = rules_outdated()
        if not outdated:  # the rescore below judges every machine; else those whose peers moved
            failed = judge_again(cpu_keys=repaired.keys())
            if failed:
                self.stderr.write(
                    f"judging below_peers again failed for CPU model(s) "
                    f"{', '.join(map(repr, failed))} (the log says why): run manage.py rescore "
                    "once the cause is fixed."
                )
            return
        # said at any verbosity (restore migrates quietly): what it changes, people are told of
        self.stdout.write(
            "This version's scoring, validity and attention rules are not applied to every "
            "stored run yet: applying them (manage.py rescore)."
        )
        shown = self.stdout if options["verbosity"] > 0 else io.StringIO()
        try:
            call_command("rescore", stdout=shown)
        except Exception as error:
            logger.exception("rescore after migrate failed")
            self.stderr.write(
                f"manage.py rescore failed ({error}): the server starts with runs judged by "
                "the earlier rules; run manage.py rescore once the cause is fixed."
            )
            return
        if shown is not self.stdout:  # its summary, the last line
            self.stdout.write(shown.getvalue().strip().rsplit("\n", 1)[-1])


def rules_outdated() -> bool:
    """Whether a run was scored by an earlier version, or dated as none has been since 0.4.1
    (a clock that said year 1: versions before it kept that date, under the scoring version
    of today, and the admin west of UTC answered 500), or the rules in force were not applied
    whole since this version's first start (a database with no run has nothing to apply)."""
    earlier = Q(scoring_version__lt=SCORING_VERSION) | Q(run_at__lt=EARLIEST_RUN_TIME)
    if Benchmark.objects.filter(earlier).exists():
        return True
    applied = RulesApplied.objects.filter(pk=1).values_list("scoring_version", flat=True)
    if applied and applied[0] >= SCORING_VERSION:
        return False
    if Benchmark.objects.exists():
        return True
    RulesApplied.objects.update_or_create(pk=1, defaults={"scoring_version": SCORING_VERSION})
    return False
