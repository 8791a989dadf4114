"""Writes composed of several apps' writes: a device's deletion and the judgment of the
machines left with its CPU model (inventory knows nothing of the insights)."""

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone

from insights import notify
from insights.delivery import DEVICE_DELETED
from insights.models import AttentionItem
from insights.receivers import judge_again
from inventory import services as inventory_services
from inventory.models import Device

DELETE_CHUNK = 500  # devices locked and deleted at once: within every database's limit


@transaction.atomic
def devices_delete(*, devices: Iterable[Device]) -> None:
    """Delete devices (inventory.services.devices_delete: their runs, snapshots, links and
    documents go with them) and, once that commits, judge below_peers again for the machines
    left with their CPU models, once per model: a machine below a twin that is gone, or whose
    item counted it among its peers, is told at once, not at its model's next run. A judgment
    that fails is logged and leaves the deletion done. Each open item of a deleted device is
    notified "resolved" first (a receiver that pairs each "opened" with its "resolved", an
    incident tool, kept them open for ever).

    DELETE_CHUNK devices at a time, in statements per chunk (Django's collector, per batch of
    related rows), where one device at a time took 8.65 s for 1,200."""
    ids, keys = sorted({device.pk for device in devices}), set()
    for start in range(0, len(ids), DELETE_CHUNK):
        # the rows first, in one order, the pks' (rescore and the ranking refresh lock them so:
        # a bulk delete in the list's order could deadlock with them on PostgreSQL), as an
        # evaluation locks one to write the device's items: an item that one is closing is
        # read closed, not told "resolved" a second time; those deleted meanwhile are left
        locked = dict(
            Device.objects.select_for_update()
            .filter(pk__in=ids[start : start + DELETE_CHUNK])
            .order_by("pk")
            .values_list("pk", "cpu_model_key")
        )
        if not locked:
            continue
        keys.update(locked.values())
        _close_items_of(list(locked))
        inventory_services.devices_delete(device_ids=list(locked))
    if keys - {""}:
        transaction.on_commit(partial(judge_again, cpu_keys=keys))


def _close_items_of(device_ids: list[int]) -> None:
    # locked in the order of their ids, as an acknowledgement locks them: one a person closes
    # meanwhile is read closed (it was told "resolved" twice), and the DELETE that follows
    # took them in the table's order, each waiting for the other (a deadlock)
    items = list(
        AttentionItem.objects.select_for_update(of=("self",))
        .filter(device_id__in=device_ids, closed_at__isnull=True)
        .select_related("device")
        .order_by("pk")
    )
    now = timezone.now()
    for item in items:  # told as closed; the rows go with the device
        item.closed_at, item.closed_by = now, DEVICE_DELETED
    notify.announce((item, True) for item in items)


def device_delete(*, device: Device) -> None:
    devices_delete(devices=(device,))
