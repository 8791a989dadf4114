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


@transaction.atomic
def devices_delete(*, devices: Iterable[Device]) -> None:
    """Delete devices (inventory.services.device_delete: their runs, snapshots, links and
    documents go with them) and, once that commits, judge below_peers again for the machines
    left with their CPU models, once per model: a machine below a twin that is gone, or whose
    item counted it among its peers, is told at once, not at its model's next run. A judgment
    that fails is logged and leaves the deletion done. Each open item of a deleted device is
    notified "resolved" first (a receiver that pairs each "opened" with its "resolved", an
    incident tool, kept them open for ever)."""
    keys = set()
    # in one order, the rows' (rescore and the ranking refresh lock them by pk): a bulk delete
    # in the list's order could deadlock with them on PostgreSQL
    for device in sorted(devices, key=lambda device: device.pk):
        # its row first, as an evaluation locks it to write the device's items: an item that
        # one is closing is read closed, not told "resolved" a second time
        if not Device.objects.select_for_update().filter(pk=device.pk).exists():
            continue  # deleted meanwhile
        keys.add(device.cpu_model_key)
        _close_items_of(device)
        inventory_services.device_delete(device=device)
    if keys - {""}:
        transaction.on_commit(partial(judge_again, cpu_keys=keys))


def _close_items_of(device: Device) -> None:
    items = list(
        AttentionItem.objects.filter(device=device, closed_at__isnull=True).select_related("device")
    )
    now = timezone.now()
    for item in items:  # told as closed; the rows go with the device
        item.closed_at, item.closed_by = now, DEVICE_DELETED
    notify.announce((item, True) for item in items)


def device_delete(*, device: Device) -> None:
    devices_delete(devices=(device,))
