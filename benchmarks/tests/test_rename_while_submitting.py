"""A device renamed (the admin, PATCH /api/devices/{id}) while its machine's submissions arrive
under the old name, on PostgreSQL: a submission waiting for the device's row under that name
and another that took the machine's identity lock before it deadlocked, and PostgreSQL broke
the deadlock by failing one of them, a 503 (bench.sh sent the run again 30 s later; a run
without retries was lost). The submission is run again, and stored."""

import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from benchmarks.models import Benchmark
from benchmarks.services import benchmark_ingest
from benchmarks.validation import submission_validate
from benchsite.tests.markers import postgresql_only
from benchsite.tests.threads import in_thread
from inventory.models import Device

pytestmark = [
    pytest.mark.django_db(transaction=True),
    postgresql_only("a deadlock between PostgreSQL's row and advisory locks"),
]

MACHINE_ID = "5e" * 16


def run(hostname: str):
    document = {
        "device_identifier": hostname,
        "submission_id": str(uuid.uuid4()),
        "hardware": {"system": {"machine_id": MACHINE_ID}},
        "results": {"cpu": {"score": 100.0}},
    }
    return benchmark_ingest(submission=submission_validate(document), document=document)


def waiting(count: int) -> None:
    """Until `count` transactions of this database wait for a lock (10 s at most): the suite's
    other workers' databases are in the same cluster, whose pg_locks has their waits too."""
    with connection.cursor() as cursor:
        for _ in range(200):
            # the activity is read once a transaction, unless asked again
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            threading.Event().wait(0.05)
    raise AssertionError(f"{count} transaction(s) never waited for a lock")


def test_a_submission_that_deadlocks_with_a_rename_is_run_again_and_stored(caplog):
    device = Device.objects.get(pk=run("pc-07").device_id)
    other = connections.create_connection("default")  # the identity lock's holder
    other.inc_thread_sharing()  # its wait for the row on a thread of its own
    try:
        with transaction.atomic():  # the rename, not committed yet
            Device.objects.filter(pk=device.pk).update(hostname="pc-07-renamed")
            thread, failures = in_thread(lambda: run("pc-07"))  # waits for the row
            waiting(1)
            with other.cursor() as cursor:
                # another submission of the machine: the identity lock, then the row (it is
                # the one that waits longer before looking for a deadlock)
                cursor.execute("BEGIN")
                cursor.execute("SET LOCAL deadlock_timeout = '10s'")
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    [f"benchtools:machine_id:{MACHINE_ID}"],
                )
            second = threading.Thread(
                target=lambda: other.cursor().execute(
                    "SELECT id FROM inventory_device WHERE id = %s FOR UPDATE", [device.pk]
                )
            )
            second.start()
            waiting(2)
        # the rename committed: the first goes on under the old name, finds none, and waits for
        # the identity lock the other holds, which waits for the row the first holds
        second.join(timeout=15)
        other.cursor().execute("COMMIT")
        thread.join(timeout=15)
    finally:
        other.dec_thread_sharing()
        other.close()

    assert not failures, failures
    assert Benchmark.objects.filter(device=device).count() == 2
    assert Device.objects.get().hostname == "pc-07"  # its machine's name, as README says
    assert "run again" in caplog.text
