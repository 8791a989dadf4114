"""Open attention items seen to hold again (services.seen_again): their updated_at written in
one statement."""

from django.db import connection
from django.utils import timezone

from .models import AttentionItem

# the rows locked first, in the order of their ids, by the same statement
_IN_ORDER = (
    "UPDATE insights_attentionitem SET updated_at = %s WHERE id IN (SELECT id FROM"
    " insights_attentionitem WHERE id = ANY(%s) AND closed_at IS NULL ORDER BY id FOR UPDATE)"
)


def seen_again(ids: list[int]) -> None:
    """updated_at says when an item's condition was last seen to hold; one closed since it was
    read (acknowledged) stays as it was closed. One statement; on PostgreSQL its rows locked
    in the order of their ids, as an acknowledgement and an evaluation lock them: the UPDATE
    took them in the order of the index of open items, by kind, and against a person
    acknowledging the same items each waited for the other (a deadlock: the submission's
    evaluation failed, its machine's CPU twins not judged)."""
    if not ids:
        return
    now = timezone.now()
    if connection.vendor == "postgresql" and len(ids) > 1:
        with connection.cursor() as cursor:
            cursor.execute(_IN_ORDER, [now, sorted(ids)])
        return
    AttentionItem.objects.filter(pk__in=ids, closed_at__isnull=True).update(updated_at=now)
