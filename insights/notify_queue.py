"""The notifications' table as a queue (insights.notify sends from it): which rows are due to
this server's URLs, in their order, and a row claimed by one sender of every process of every
server on the database."""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .delivery import target_of
from .models import Notification as Row


def our_targets() -> list[str]:
    return [target_of(url) for url in settings.NOTIFY_URLS]


def due_now():
    """Now, and the notifications due then that no sender has claimed, in sending order. A
    notification waits while an earlier one of its condition to the same URL is still to be sent
    (retried): a receiver never gets "resolved" before the "opened" it closes."""
    now = timezone.now()
    # only to this server's URLs: another server, whose NOTIFY_URLS may differ, sends the others
    due = (
        Row.objects.filter(next_attempt_at__lte=now, target__in=our_targets())
        .filter(unclaimed(now))
        .exclude(behind_earlier())
    )
    return now, due.order_by("next_attempt_at", "id")


def claim_row(row: Row, now, lease) -> bool:
    """Whether this sender got the row (read due at `now`) until `lease`: one UPDATE whose
    conditions are the row's own columns, which PostgreSQL checks again on the row as a claim
    that locked it first left it. The due query's conditions through the items (behind_earlier)
    made the UPDATE `WHERE id IN (subquery)`, which it does not check again: two senders that
    read a row due at once both claimed it, and its receiver got it twice (168 deliveries of
    160 notifications from one server of two workers)."""
    claimed = (
        Row.objects.filter(pk=row.pk, target=row.target, next_attempt_at__lte=now)
        .filter(unclaimed(now))
        .update(lease_until=lease)
    )
    return bool(claimed)


def unclaimed(now) -> Q:
    """No sender holds it: never claimed, or its claim lapsed (that sender died)."""
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def behind_earlier() -> Exists:
    """Whether an earlier notification of the same condition (device, kind, category, disk:
    the item, or an earlier item of it since closed, or deleted with its device) to the same
    URL is still to be sent: the receiver's last word on a disk is never an old item's
    "resolved" retried after the new item's "opened", nor a deleted machine's "opened" retried
    after its "resolved"."""
    return Exists(
        Row.objects.filter(
            condition=OuterRef("condition"),
            target=OuterRef("target"),
            id__lt=OuterRef("id"),
            next_attempt_at__isnull=False,
        ).exclude(condition="")  # a notification of no item (notify_test's) holds none back
    )
