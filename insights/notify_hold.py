"""Notifications held until the judgment that follows them (README, "Notifications").

A bench.sh run that brings a retired machine back into service reopens what its retirement
closed in the submission's transaction (insights.retirement), and the run's evaluation judges
those items right after it commits: one the run shows over closes again at once. Told as they
happened, a receiver got "reopened", then "resolved" a moment later: two notifications about
nothing. So the notifications of such a reopening are held, due only HOLD_S later, until that
evaluation: an item it closes is told neither way (its held notifications deleted, no "resolved"
stored for them), the others are released, due at once (notify.release). An evaluation that
fails and is never tried again leaves them held until HOLD_S, then they are sent as any.

A held notification is one never tried, unclaimed, due in the future (a retry has attempts).
One of a condition still to be sent keeps the later ones of that condition to the same URL
waiting behind it (notify_queue.behind_earlier), held or not, so a receiver reads them in order."""

import datetime

from django.db import transaction
from django.db.models import Q

from .models import Notification as Row

# past the submission's evaluation and its tries after a failure (benchsite.submission_api's
# RETRY_AFTER_S: 5 + 30 + 120 + 600 s): a reopening is told at the latest this long after it
HOLD_S = 900


def held_until(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(seconds=HOLD_S)


def held(now: datetime.datetime) -> Q:
    """The notifications held at `now`."""
    return Q(attempts=0, sent_at__isnull=True, lease_until__isnull=True, next_attempt_at__gt=now)


def unsaid(item_ids: list[int], now: datetime.datetime) -> set[tuple[int, str]]:
    """The (item, target) of the held notifications of these items, which close now: deleted,
    so that the receiver is told neither their reopening nor their closing. Locked before they
    are deleted (PostgreSQL): one a sender claimed meanwhile, its hold run out, is its, and
    its closing is told."""
    rows = Row.objects.filter(held(now), item_id__in=item_ids)
    if transaction.get_connection().in_atomic_block:
        rows = rows.select_for_update()
    found = list(rows.values_list("pk", "item_id", "target"))
    if found:
        Row.objects.filter(pk__in=[pk for pk, *_ in found]).delete()
    return {(item_id, target) for _, item_id, target in found}
