"""A retired machine leaves the fleet's live views (README, "A machine's life"): its open
attention items close when it is retired, and its runs open none while it stays retired
(services.attention_evaluate); back in service, what its retirement closed is open again."""

from django.db.models import Max, Q
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
        .filter(_closed(device_ids))
        .select_related("device")
        .order_by("pk")
    )
    now = timezone.now()
    for item in items:
        item.closed_at, item.closed_by = now, DEVICE_RETIRED
        item.save(update_fields=("closed_at", "closed_by", "updated_at"))
    notify.announce((item, True) for item in items)
    return [Event(RESOLVED, item) for item in items]


def _closed(device_ids) -> Q:
    """The items a retirement of these devices closes: their open ones."""
    return Q(device_id__in=device_ids, closed_at__isnull=True)


def _newest(device_ids):
    """The pk of each condition's newest item, of these devices (a query, not run here)."""
    return (
        AttentionItem.objects.filter(device_id__in=device_ids)
        .order_by()
        .values("device_id", "kind", "category", "disk")
        .annotate(newest=Max("pk"))
        .values_list("newest", flat=True)
    )


def _reopened(newest) -> Q:
    """Of the newest items (`newest`: their pks), those a bringing back reopens: closed by a
    retirement, not since by a run or a person."""
    return Q(pk__in=newest, closed_by=DEVICE_RETIRED)


def attention_reopen_returned(*, device_ids: list[int], held: bool = False) -> list[Event]:
    """Machines back in service, put back by a person (a retirement by mistake, undone) or by
    a bench.sh run dated on or after the retirement (inventory.runs, in the submission's
    transaction): what their retirement closed is open again, each notified as reopened, so
    that a failing disk is not forgotten until the machine's next run, nor ever a
    smart_degrading item (judged once, when its rise arrived). Per condition, the newest item
    only, and only if a retirement closed it: one closed since (by a run, by a person) stays
    closed. The run's own evaluation then judges them (services.attention_evaluate): what no
    longer holds closes, smart_degrading waits for a person as ever. `held` (a run's): their
    notifications wait for that evaluation, and one it closes is told neither way
    (notify_hold)."""
    items = list(
        AttentionItem.objects.select_for_update()
        .filter(_reopened(list(_newest(device_ids))))
        .select_related("device")
        .order_by("pk")
    )
    for item in items:
        item.closed_at, item.closed_by = None, ""
        item.save(update_fields=("closed_at", "closed_by", "updated_at"))
    notify.announce(((item, False) for item in items), reopened=True, held=held)
    return [Event(OPENED, item) for item in items]


def attention_foreseen(*, retiring: list[int], returning: list[int]) -> dict[int, str]:
    """What retiring these devices, and bringing those back, would do to their attention items,
    by device, for the CSV import's preview (inventory.signals.devices_service_foreseen):
    "closes 2 open attention items: smart_failing (WD-1), disk_hot (WD-2)", "reopens 1
    attention item its retirement closed: smart_degrading (WD-1)". The items
    attention_close_retired and attention_reopen_returned would take, read in one query for
    all the devices; nothing is written."""
    items = (
        AttentionItem.objects.filter(_closed(retiring) | _reopened(_newest(returning)))
        .order_by("device_id", "pk")
        .values_list("device_id", "kind", "disk")
    )
    found: dict[int, list[str]] = {}
    for device_id, kind, disk in items:
        found.setdefault(device_id, []).append(f"{kind} ({disk})" if disk else kind)
    said, back = {}, set(returning)
    for device_id, names in found.items():
        count = len(names)
        if device_id in back:
            what = (
                f"reopens {count} attention item{'s' if count != 1 else ''} its retirement closed"
            )
        else:
            what = f"closes {count} open attention item{'s' if count != 1 else ''}"
        said[device_id] = f"{what}: {', '.join(names)}"
    return said
