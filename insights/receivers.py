"""Runs, snapshots or devices deleted (the admin, the API, a script): the devices they belonged
to, and the machines of their CPU models, are judged again once the deletion commits. Devices
retired (the admin, the API, the import): their open items close at once, and open again
when they are back in service; the import's preview says which beforehand. A run
deleted as bogus (measured during a backup, say) takes the item it opened with it, not at the
machine's next run; a run that was the peers' median moves their judgment; a deleted device's
twins are judged without it."""

import logging
from collections.abc import Iterable, Mapping

from django.db import transaction

from inventory.models import Device

from .reevaluation import attention_evaluate_all
from .retirement import attention_close_retired, attention_foreseen, attention_reopen_returned
from .services import attention_evaluate, attention_rejudge_peers

log = logging.getLogger(__name__)


def runs_deleted(*, device_ids: Iterable[int], **kwargs) -> None:
    ids = list(device_ids)
    transaction.on_commit(lambda: judge_again(device_ids=ids))


def runs_rescored(*, device_ids: Iterable[int], **kwargs) -> None:
    ids = list(device_ids)
    transaction.on_commit(lambda: attention_evaluate_all(devices=_devices(ids)))


def _devices(ids: list[int]):
    """These devices, read 500 at a time (a select-across rescore names thousands)."""
    for start in range(0, len(ids), 500):
        yield from Device.objects.filter(pk__in=ids[start : start + 500]).order_by("pk")


def devices_retired(*, device_ids: Iterable[int], **kwargs) -> None:
    attention_close_retired(device_ids=list(device_ids))


def devices_returned(*, device_ids: Iterable[int], by_run: bool = False, **kwargs) -> None:
    # brought back by a run: its evaluation follows, and tells what it keeps open
    attention_reopen_returned(device_ids=list(device_ids), held=by_run)


def devices_service_foreseen(*, retiring, returning, **kwargs) -> dict[int, str]:
    return attention_foreseen(retiring=list(retiring), returning=list(returning))


def snapshots_deleted(*, cpu_model_keys: Mapping[int, str], **kwargs) -> None:
    before = dict(cpu_model_keys)
    transaction.on_commit(lambda: judge_again(device_ids=sorted(before), cpu_keys=before.values()))


def judge_again(*, device_ids: Iterable[int] = (), cpu_keys: Iterable[str] = ()) -> list[str]:
    """Each device still there, as rescore judges it (what a person acknowledged since its
    newest run stays closed); then the machines of each CPU model these devices have, and of
    `cpu_keys` (models a deletion took a machine from, or migrate's repair of the peers' key
    moved one in), once per model: a bulk deletion across a model's machines judged its group
    once per device. A judgment that fails is logged; the others are made, and the deletion
    stays done. Returns the CPU model keys whose machines' judgment failed."""
    keys, failed = set(cpu_keys), []
    for device in Device.objects.filter(pk__in=list(device_ids)).order_by("pk"):
        try:
            attention_evaluate(device=device, reevaluating=True)
        except Exception:
            log.exception("judging %s again after a deletion failed", device.hostname)
        keys.add(device.cpu_model_key)
    for key in sorted(keys - {""}):
        try:
            attention_rejudge_peers(key=key)
        except Exception:
            failed.append(key)
            log.exception(
                "judging the machines of CPU model key %r again failed (manage.py rescore "
                "judges them; a run that leaves their median where it is does not)",
                key,
            )
    return failed
