"""Notifications across a restore: the archive holds the ones still to send when it was made,
some of which the server delivered (or gave up on) afterwards. Restored as archived, they were
due again, and the sender sent them a second time while they were younger than
NOTIFY_RETRY_HOURS: "restore last night's backup" told the night's failing disk again."""

from datetime import datetime

from django.db import DatabaseError

from insights.models import Notification

# (created_at, sent_at, failed_at) of a notification delivered or given up, by id
Done = dict[int, tuple[datetime, datetime | None, datetime | None]]


def notifications_done(alias: str) -> Done:
    """Read from the database a restore is about to replace: its notifications that are
    delivered or given up (none when it has no such table yet: a new server)."""
    try:
        rows = (
            Notification.objects.using(alias)
            .filter(next_attempt_at__isnull=True)
            .values_list("pk", "created_at", "sent_at", "failed_at")
        )
        return {pk: (created, sent, failed) for pk, created, sent, failed in rows}
    except DatabaseError:
        return {}


def keep_done(done: Done, alias: str) -> int:
    """After the restore: each notification the archive holds as still to send that `done`
    has as delivered or given up, the same row (its id and its creation time), stays so and is
    not sent again. Returns how many."""
    kept = 0
    due = Notification.objects.using(alias).filter(next_attempt_at__isnull=False)
    for pk, created in due.values_list("pk", "created_at"):
        was = done.get(pk)
        if was is None or was[0] != created:
            continue
        Notification.objects.using(alias).filter(pk=pk).update(
            next_attempt_at=None, lease_until=None, sent_at=was[1], failed_at=was[2]
        )
        kept += 1
    return kept
