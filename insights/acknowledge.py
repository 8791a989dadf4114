"""Attention items acknowledged many at once (the admin's *Acknowledge* on "Select all N")."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import notify
from .models import AttentionItem

CHUNK = 500  # items per statement: within every database's parameter limit


@transaction.atomic
def attention_acknowledge_many(*, items: QuerySet[AttentionItem], by: str) -> int:
    """Close these items, those still open, as services.attention_acknowledge closes one: each
    locked, closed by `by`, and notified "resolved" (a row per item and URL); statements per
    CHUNK items, where one item at a time took 1,830 queries for 1,400. An item closed
    meanwhile (its condition over, the device retired) is left as it is. Returns how many
    closed."""
    ids = list(items.filter(closed_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    now, by, closed = timezone.now(), by[:150], 0
    for start in range(0, len(ids), CHUNK):
        # locked in one order, the pks', as an evaluation locks a device's open items
        chunk = list(
            AttentionItem.objects.select_for_update(of=("self",))
            .filter(pk__in=ids[start : start + CHUNK], closed_at__isnull=True)
            .select_related("device")
            .order_by("pk")
        )
        AttentionItem.objects.filter(pk__in=[item.pk for item in chunk]).update(
            closed_at=now, closed_by=by, updated_at=now
        )
        for item in chunk:
            item.closed_at, item.closed_by, item.updated_at = now, by, now
        notify.announce((item, True) for item in chunk)
        closed += len(chunk)
    return closed
