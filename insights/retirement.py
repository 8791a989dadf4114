"""A retired machine leaves the fleet's live views (README, "A machine's life"): its open
attention items close when it is retired, and its runs open none while it stays retired
(services.attention_evaluate); back in service, what its retirement closed is open again."""

from django.db.models import Max
from django.utils import timezone

from . import notify
from .delivery import DEVICE_RETIRED
from .models import AttentionItem
from .services import OPENED, RESOLVED, Event


def attention_close_retired(*, device_ids: list[int]) -> list[Event]:
    """Retired machines leave the fleet's live views: their open items close, in the
    transaction that retired them, each notified "resolved" with why (a receiver that pairs
    "opened" with "resolved", an incident tool, kept them open for ever; the deletion of a
    device does the same). closed_by says it: such a condition is not opened again before the
    machine's next run, as an acknowledged one."""
    items = list(
        AttentionItem.objects.select_for_update()
        .filter(device_id__in=device_ids, closed_at__isnull=True)
        .select_related("device")
        .order_by("pk")
    )
    now = timezone.now()
    for item in items:
        item.closed_at, item.closed_by = now, DEVICE_RETIRED
        item.save(update_fields=("closed_at", "closed_by", "updated_at"))
    notify.announce((item, True) for item in items)
    return [Event(RESOLVED, item) for item in items]


def attention_reopen_returned(*, device_ids: list[int]) -> list[Event]:
    """Machines back in service, put back by a person (a retirement by mistake, undone) or by
    a bench.sh run dated on or after the retirement (inventory.runs, in the submission's
    transaction): what their retirement closed is open again, each notified as reopened, so
    that a failing disk is not forgotten until the machine's next run, nor ever a
    smart_degrading item (judged once, when its rise arrived). Per condition, the newest item
    only, and only if a retirement closed it: one closed since (by a run, by a person) stays
    closed. The run's own evaluation then judges them (services.attention_evaluate): what no
    longer holds closes, smart_degrading waits for a person as ever."""
    newest = (
        AttentionItem.objects.filter(device_id__in=device_ids)
        .order_by()
        .values("device_id", "kind", "category", "disk")
        .annotate(newest=Max("pk"))
        .values_list("newest", flat=True)
    )
    items = list(
        AttentionItem.objects.select_for_update()
        .filter(pk__in=list(newest), closed_by=DEVICE_RETIRED)
        .select_related("device")
        .order_by("pk")
    )
    for item in items:
        item.closed_at, item.closed_by = None, ""
        item.save(update_fields=("closed_at", "closed_by", "updated_at"))
    notify.announce(((item, False) for item in items), reopened=True)
    return [Event(OPENED, item) for item in items]
