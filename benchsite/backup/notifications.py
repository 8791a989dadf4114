"""Notifications across a restore: the archive holds the ones still to send when it was made,
some of which the server delivered (or gave up on) afterwards. Restored as archived, they were
due again, and the sender sent them a second time while they were younger than
NOTIFY_RETRY_HOURS: "restore last night's backup" told the night's failing disk again."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError

from insights.models import Notification


@dataclass
class Before:
    """The notifications of the database a restore replaces, each known by its id and its
    creation time: (created_at, sent_at, failed_at) of those delivered or given up, and
    those still to send."""

    done: dict[int, tuple[datetime, datetime | None, datetime | None]] = field(default_factory=dict)
    waiting: set[tuple[int, datetime]] = field(default_factory=set)


@dataclass
class Kept:
    # still to send in the archive, delivered (or given up) since it was made: not sent again
    not_sent_again: int = 0
    # still to send in the archive and in the database it replaced: sent once, as they were
    waiting_before_too: int = 0


def notifications_before(alias: str) -> Before:
    """Read from the database a restore is about to replace (nothing when it has no such
    table yet: a new server)."""
    before = Before()
    try:
        rows = Notification.objects.using(alias).values_list(
            "pk", "created_at", "sent_at", "failed_at", "next_attempt_at"
        )
        for pk, created, sent, failed, due in rows:
            if due is None:
                before.done[pk] = (created, sent, failed)
            else:
                before.waiting.add((pk, created))
    except DatabaseError:
        return Before()
    return before


def keep_done(before: Before, alias: str) -> Kept:
    """After the restore: each notification the archive holds as still to send that `before`
    has as delivered or given up, the same row (its id and its creation time), stays so and is
    not sent again; those it has as still to send are counted (nothing to undo)."""
    kept = Kept()
    due = Notification.objects.using(alias).filter(next_attempt_at__isnull=False)
    for pk, created in due.values_list("pk", "created_at"):
        if (pk, created) in before.waiting:
            kept.waiting_before_too += 1
            continue
        was = before.done.get(pk)
        if was is None or was[0] != created:
            continue
        Notification.objects.using(alias).filter(pk=pk).update(
            next_attempt_at=None, lease_until=None, sent_at=was[1], failed_at=was[2]
        )
        kept.not_sent_again += 1
    return kept
