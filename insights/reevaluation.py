"""Every device's attention evaluated again: after `manage.py rescore` (new weights or
thresholds) and the rules an upgrade applies; and the kinds unmuted on a device, at once."""

import itertools
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

from django.utils import timezone

from inventory.columns import model_key
from inventory.models import Device
from inventory.rows import rows_update

from . import batch_selectors, notify, peer_selectors
from .models import AttentionItem, Kind
from .rules import Assessment
from .services import (
    OPENED,
    RESOLVED,
    Event,
    OpenItems,
    Plan,
    device_assessment,
    new_item,
    plan_changes,
    seen_again,
)


@dataclass
class Reevaluated:
    devices: int = 0
    opened: int = 0
    resolved: int = 0


EVALUATED_TOLD = 1000  # attention_evaluate_all's progress: told every this many devices
BATCH = 500  # devices read, judged and written together (a divisor of EVALUATED_TOLD)


def attention_evaluate_all(
    *, devices: Iterable[Device] | None = None, progress: Callable[[int], None] | None = None
) -> Reevaluated:
    """Re-evaluate every benchmarked device, or these `devices` (after `rescore`: new weights
    or thresholds): how many, and how many items opened and resolved; `progress` is told the
    count every EVALUATED_TOLD devices.

    Each device is judged as attention_evaluate judges it with `reevaluating` (no new run: a
    condition a person acknowledged since its newest run stays closed), BATCH devices at a
    time: their runs, snapshots, items and peers read in a fixed number of queries
    (insights.batch_selectors), 16 a device before (perf/rescore.py). The open items that still
    hold as they are get their `updated_at` in one UPDATE; the devices whose items open, change
    or close are written in one short transaction that locks their CPU models' judgments
    (peer_selectors.peer_group_lock), then their rows in order of their ids, as a submission
    locks its device's row, and their open items; and judged again there, from what they read
    under the locks, as attention_evaluate judges a device again under its lock."""
    if devices is None:
        devices = _benchmarked()
    done = Reevaluated()
    devices = iter(devices)
    while batch := list(itertools.islice(devices, BATCH)):
        if progress is not None and done.devices and done.devices % EVALUATED_TOLD == 0:
            progress(done.devices)
        events = _evaluate_batch([device for device in batch if device.retired_on is None])
        done.devices += len(batch)
        done.opened += sum(event.kind == OPENED for event in events)
        done.resolved += sum(event.kind == RESOLVED for event in events)
    return done


def _benchmarked() -> Iterable[Device]:
    """The benchmarked devices, BATCH at a time, in the order of their ids (keyset pages, not
    one open cursor: writes between reads are safe everywhere)."""
    last = 0
    while page := list(
        Device.objects.filter(last_benchmark_at__isnull=False, pk__gt=last).order_by("pk")[:BATCH]
    ):
        yield from page
        last = page[-1].pk


def _judged(devices: list[Device], read: batch_selectors.Devices) -> dict[int, tuple[str, Plan]]:
    """Each device's CPU model key and plan (services.plan_changes) against its open items, by the
    rules in force, from what `read` read of it."""
    plans = {}
    for device, key, assessment, current in _assessed(devices, read):
        assessment.leave_closed(read.acknowledged[device.pk])
        plans[device.pk] = (key, plan_changes(assessment, current))
    return plans


def _assessed(
    devices: list[Device], read: batch_selectors.Devices
) -> Iterator[tuple[Device, str, Assessment, OpenItems]]:
    """Each device, its CPU model key, its assessment (services.device_assessment) and its open
    items, from what `read` read of it."""
    keys = {device.pk: model_key(read.cpu_models.get(device.pk, "")) for device in devices}
    groups = batch_selectors.groups_read(keys.values())
    for device in devices:
        key = keys[device.pk]
        current = {(i.kind, i.category, i.disk): i for i in read.open_items[device.pk]}
        key_of, member = read.members.get(device.pk, ("", None))
        group = groups[key]._replace(members=[member] if key and key_of == key else [])
        open_disks = [
            (kind, disk, item.message) for (kind, _, disk), item in current.items() if disk
        ]
        assessment = device_assessment(
            device,
            open_disks,
            read.cpu_models.get(device.pk, ""),
            rises_of=None,
            group=group,
            read=read.reads[device.pk],
        )
        yield device, key, assessment, current


def _evaluate_batch(devices: list[Device]) -> list[Event]:
    if not devices:
        return []
    plans = _judged(devices, batch_selectors.devices_read(devices))
    # one UPDATE for the items that hold as they are (services.seen_again)
    seen_again([pk for _, plan in plans.values() if plan.only_seen for pk in plan.seen])
    changing = [device for device in devices if not plans[device.pk][1].only_seen]
    if not changing:
        return []
    # judged again below, after the judgments of their CPU models that started before
    # (services._settle), their locks taken in one order, in one statement whatever their
    # number (peer_group_lock): every changing machine's model, not only those whose
    # below_peers the first reads opened or closed (a peer's run moving the median between
    # the two reads opened or closed it, unlocked, for another)
    keys = {plans[device.pk][0] for device in changing}
    return peer_selectors.models_locked(keys, lambda locked: _written(changing, locked))


def _written(changing: list[Device], locked: frozenset[str]) -> list[Event]:
    """_evaluate_batch's writes, the judgments of the models `locked` locked: the rows locked
    in order, the devices judged again from what is read under them."""
    rows = {
        pk: (retired_on, muted)
        for pk, retired_on, muted in Device.objects.select_for_update()
        .filter(pk__in=[device.pk for device in changing])
        .order_by("pk")
        .values_list("pk", "retired_on", "attention_muted")
    }
    # deleted meanwhile, with their items, or retired, their items closed
    changing = [device for device in changing if device.pk in rows and rows[device.pk][0] is None]
    for device in changing:  # muted or unmuted meanwhile: judged as it is now
        device.attention_muted = rows[device.pk][1]
    read = batch_selectors.devices_read(changing, lock=True)
    # a machine whose run on another CPU was stored since the first read: judged under its
    # new model's lock too
    peer_selectors.models_needed(locked, lambda: map(model_key, read.cpu_models.values()))
    plans = _judged(changing, read)
    return _apply([(device, plans[device.pk][1]) for device in changing])


def unmuting_models(device_ids: Collection[int], kinds: Collection[str]) -> set[str]:
    """The CPU models (their keys) whose judgments an unmuting of these kinds on these devices
    locks before their rows (insights.mute, through peer_selectors.models_locked): when it
    unmutes below_peers, the models of those it is muted on, as a submission's evaluation and
    a rescore take them before a device's row. One query, none for the other kinds."""
    if Kind.BELOW_PEERS not in kinds:
        return set()
    models = Device.objects.filter(
        pk__in=device_ids, attention_muted__has_key=Kind.BELOW_PEERS
    ).values_list("latest_snapshot__cpu_model", flat=True)
    return {model_key(model) for model in models}


def attention_evaluate_unmuted(*, unmuted: list[tuple[Device, Collection[str]]]) -> list[Event]:
    """The kinds just unmuted on each device judged at once, in the unmuting's transaction,
    which locked the rows (after the models' judgments, unmuting_models): its latest valid run
    and newest snapshots as attention_evaluate_all judges them, with the same reads and rules,
    and only these kinds' items opened (or rewritten, closed), each notified once the
    transaction commits. No acknowledgement since the machine's newest run keeps one closed, as
    a rescore's would: the muting closed them so, and the person who unmutes asks what holds
    now. A retired machine opens nothing. Returns what opened and closed, in a fixed number of
    queries per BATCH devices whatever the size of the fleet."""
    kinds = {device.pk: set(unmuted_kinds) for device, unmuted_kinds in unmuted if unmuted_kinds}
    judged = [device for device, _ in unmuted if device.pk in kinds and device.retired_on is None]
    plans = []
    for start in range(0, len(judged), BATCH):
        batch = judged[start : start + BATCH]
        for device, _, assessment, current in _assessed(
            batch, batch_selectors.devices_read(batch, lock=True)
        ):
            wanted = kinds[device.pk]
            assessment.holding = [c for c in assessment.holding if c.kind in wanted]
            current = {key: item for key, item in current.items() if key[0] in wanted}
            plans.append((device, plan_changes(assessment, current)))
    return _apply(plans) if plans else []


def _apply(plans: list[tuple[Device, Plan]]) -> list[Event]:
    """services._apply for many devices: their items opened, rewritten, seen and closed, and
    notified, in a fixed number of statements."""
    opened = AttentionItem.objects.bulk_create(
        new_item(device, condition) for device, plan in plans for condition in plan.opens
    )
    now = timezone.now()
    rewritten = []
    for _, plan in plans:
        for item, condition in plan.rewrites:
            item.message, item.severity, item.updated_at = (
                condition.message,
                condition.severity,
                now,
            )
            rewritten.append(item)
    rows_update(AttentionItem, rewritten, ("message", "severity", "updated_at"))
    seen_again([pk for _, plan in plans for pk in plan.seen])
    closed = [item for _, plan in plans for item in plan.closes]
    for item in closed:
        item.closed_at = item.updated_at = now
    rows_update(AttentionItem, closed, ("closed_at", "updated_at"))
    # in the order services._apply tells them: each device's opened, then its closed
    events, new = [], iter(opened)
    for _, plan in plans:
        events += [Event(OPENED, next(new)) for _ in plan.opens]
        events += [Event(RESOLVED, item) for item in plan.closes]
    # a rescore's: what closes was judged again with the settings in force, the runs as they were
    notify.announce(((event.item, event.kind == RESOLVED) for event in events), rescored=True)
    return events
