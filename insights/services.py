"""Attention items: opened, updated and closed by the rules on each submission, closed by a
person's acknowledgement."""

import logging
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from inventory.columns import model_key
from inventory.models import Device, HardwareSnapshot
from inventory.runs import PeerPlace

from . import disk_rules, notify, peer_selectors, rules, selectors
from .acknowledge import attention_acknowledge_many
from .batch_selectors import SNAPSHOTS_JUDGED, Read
from .models import AttentionItem, Kind
from .mute import leave_muted
from .seen import seen_again

logger = logging.getLogger(__name__)

OPENED, RESOLVED = "opened", "resolved"


@dataclass(frozen=True)
class Event:
    """An item that opened or closed: what a notification tells."""

    kind: str  # OPENED or RESOLVED
    item: AttentionItem


def device_assessment(
    device: Device,
    open_disks: list[tuple[str, str, str]],
    cpu_model: str,
    *,
    rises_of: int | None,
    group: rules.Group | None = None,
    read: Read | None = None,
) -> rules.Assessment:
    """The conditions that hold for the device now, by the rules and the thresholds in force;
    `open_disks` are the (kind, disk, message) of its open items (a disk gone closes them),
    `cpu_model` its latest snapshot's; `rises_of`: the snapshot just submitted, which was the
    device's latest when stored, whose SMART counters' rises are news
    (disk_rules.rise_conditions), against the snapshots before it even when a newer one was
    stored meanwhile (two submissions at once: each judged the newest, the second against the
    first, and the rise was lost); `group`: the machines with its CPU model
    (peer_selectors.peer_group), read here when not given; `read`: its runs and newest snapshots,
    read with many devices' (insights.batch_selectors), read here when not given."""
    thresholds = selectors.thresholds()
    latest, earlier = read.runs if read else selectors.device_runs(device.pk)
    assessment = rules.Assessment()
    # the score rules judge the latest valid run: a device with none has nothing to judge yet
    if latest is not None and latest.valid:
        own = rules.baseline(latest, earlier, runs=thresholds.baseline_runs)
        # below_peers reads the global figure only: the peers' other figures are not read
        if group is None:
            group, _ = peer_selectors.peer_group(cpu_model, device_id=device.pk, judging=False)
        # the peers measured as this run was: the ones its median and its message count
        medians, alike = rules.peer_median(group, device.pk, latest.methods)
        rules.score_conditions(
            assessment,
            latest=latest.scores,
            own=own["scores"] if own else None,
            peers_by_cpu=medians,
            peer_count=alike,
            cpu_model=cpu_model,
            thresholds=thresholds,
        )
    else:  # no valid figure to be below anyone with
        assessment.over.add(rules.BELOW_PEERS)
    snapshots = (
        read.snapshots if read else selectors.device_snapshots(device.pk, limit=SNAPSHOTS_JUDGED)
    )
    more = len(snapshots) == SNAPSHOTS_JUDGED
    disks, *before = [snapshot["disks"] for snapshot in snapshots] or [{}]
    disk_rules.disk_conditions(
        assessment,
        latest=disks,
        open_disks=open_disks,
        thresholds=thresholds,
        snapshot=bool(snapshots),
        earlier=before,
    )
    at = next((i for i, snapshot in enumerate(snapshots) if snapshot["id"] == rises_of), None)
    if at is not None:
        disk_rules.rise_conditions(
            assessment,
            latest=snapshots[at]["disks"],
            previous=selectors.previous_readings(snapshots[at:], device_id=device.pk, more=more),
            open_disks=open_disks,
        )
    disk_rules.degrading_disks_gone(assessment, latest=disks, earlier=before, open_disks=open_disks)
    leave_muted(assessment, device.attention_muted)  # read with its row: no query
    return assessment


def attention_evaluate(
    *,
    device: Device,
    snapshot: HardwareSnapshot | None = None,
    newest_run_id: int | None = None,
    reevaluating: bool = False,
    peers_too: bool = False,
    previous_cpu_key: str = "",
    place_before: PeerPlace | None = None,
    returned: bool = False,
) -> list[Event]:
    """Open an item for each new condition, update the open ones that still hold, close the
    ones that are over (smart_degrading waits for a person). Returns what opened and closed,
    each notified (NOTIFY_URLS) once its transaction commits.

    Called right after a submission's transaction, not inside it: the rules read the runs, the
    peers and the snapshots without a transaction, so on SQLite no other submission waits for
    the write lock meanwhile (perf/ingest.py). A device with no open item and no condition
    writes nothing; one whose open items still hold as they are, one UPDATE of their
    `updated_at`, which spares an item closed meanwhile. Whatever opens, changes or closes is
    written in one short transaction that locks the device's row, as a submission does, and
    its open items; if the device got or lost a run since the reads (another submission, a
    deletion) or its open items changed (an acknowledgement), the rules read again under the
    lock.

    `snapshot`: the one a submission just stored, which spares reading it again when it is the
    device's latest. `newest_run_id`: that submission's run, the newest of its device when it
    committed (a device's submissions are stored one after the other); read when not given.
    `reevaluating`: no new run came (rescore): a condition a person acknowledged since the
    device's newest run arrived stays closed until its next submission, as acknowledging
    promises. `peers_too`: the device's run moved the median the other machines of its CPU
    model are judged against: their below_peers is judged again (attention_rejudge_peers),
    from the same read of them; and those of `previous_cpu_key`, the CPU model the device had
    before the run (inventory.columns.model_key), when it is another (a CPU replaced: its old
    peers lost a peer). `place_before`: the device's place among its peers before the run;
    given, they are judged again only if the run may have moved their median
    (rules.median_moved: a machine that runs as fast as before leaves them be). `returned`:
    the run brought the machine back into service and reopened what its retirement closed,
    told once judged here (notify.release): what the run shows over is told neither way."""
    if newest_run_id is None:
        newest_run_id = selectors.newest_run_id(device.pk)
    # a snapshot just submitted that was the device's latest when stored: its counters' rises
    # are news (a capture of before replayed into its past is not)
    fresh = snapshot is not None and device.latest_snapshot_id == snapshot.pk
    rises_of = snapshot.pk if fresh else None
    cpu_model = snapshot.cpu_model if fresh else selectors.latest_cpu_model(device.pk)
    key = model_key(cpu_model)
    group, below = None, None
    if peers_too:
        judging = place_before is None or peer_selectors.median_moved(
            key, place_before, PeerPlace.of(device)
        )
        group, below = peer_selectors.peer_group(cpu_model, device_id=device.pk, judging=judging)
    events = []
    # a retired machine opens nothing (its items closed with its retirement; a run after it
    # brought it back into service first, and reopened what the retirement closed, judged
    # here as any open item): only its peers are judged, its figures among theirs
    if device.retired_on is None:
        current = _open_items(device)
        assessment = _assessment(device, cpu_model, current, rises_of=rises_of, group=group)
        if reevaluating:
            assessment.leave_closed(selectors.acknowledged_since_newest_run(device.pk))
        events = _settle(device, key, assessment, current, newest_run_id, rises_of, reevaluating)
    if below is not None:
        # PostgreSQL's transactions write at once: there the other machines are read again
        # and judged after the judgments of their model that started before have written (its
        # lock; _settle holds it while it opens or closes the device's own item), or one that
        # read halfway through another's writes left an item it should have closed. SQLite's
        # write transactions take turns: the read above serves (each change is judged again
        # under one).
        apart = connection.vendor == "postgresql"
        read = None if apart else (group, below)
        events += attention_rejudge_peers(device=device, key=key, read=read)
    if peers_too and previous_cpu_key and previous_cpu_key != key:  # CPU replaced: one fewer
        events += attention_rejudge_peers(device=device, key=previous_cpu_key)
    if returned:
        notify.release(device.pk)
    return events


def _settle(device, key, assessment, current, newest_run_id, rises_of, reevaluating) -> list[Event]:
    """What the assessment opens, changes and closes, written (attention_evaluate); `key`: the
    device's CPU model key."""
    plan = plan_changes(assessment, current)
    if plan.only_seen:
        seen_again(plan.seen)
        return []
    # below_peers opened or closed from reads made before another machine's run moved the
    # median (a false alert): judged again below, after the judgments of its CPU model that
    # started before (their lock, before the device's row, as attention_rejudge_peers takes
    # them); so too when the reads under the row open or close it (on the model read there)
    peers_judged = _opens_or_closes(plan, Kind.BELOW_PEERS)

    def settled(locked: frozenset[str]) -> list[Event]:
        # The device's row first, as a submission's transaction locks it: another submission
        # of the device waits until these writes commit, and its own evaluation then reads
        # them (PostgreSQL; SQLite's immediate transactions already take turns).
        locked_row = selectors.device_lock(device.pk)
        if locked_row is None or locked_row.retired_on is not None:
            return []  # deleted meanwhile, with its items, or retired, its items closed
        locked_items = _open_items(device, lock=True)
        muted, device.attention_muted = device.attention_muted, locked_row.attention_muted
        if not (
            peers_judged
            or locked
            or muted != locked_row.attention_muted  # muted or unmuted meanwhile
            or _ids(locked_items) != _ids(current)
            or selectors.newest_run_id(device.pk) != newest_run_id
        ):
            return _apply(device, plan_changes(assessment, locked_items))
        cpu_model = selectors.latest_cpu_model(device.pk)
        judged = _assessment(device, cpu_model, locked_items, rises_of=rises_of)
        if reevaluating:
            judged.leave_closed(selectors.acknowledged_since_newest_run(device.pk))
        changes = plan_changes(judged, locked_items)
        if _opens_or_closes(changes, Kind.BELOW_PEERS):
            peer_selectors.models_needed(locked, lambda: [model_key(cpu_model)])
        return _apply(device, changes)

    return peer_selectors.models_locked({key} if peers_judged else (), settled)


OpenItems = dict[tuple[str, str, str], AttentionItem]  # by (kind, category, disk)


def _opens_or_closes(plan: "Plan", kind: str) -> bool:
    return any(c.kind == kind for c in plan.opens) or any(i.kind == kind for i in plan.closes)


def _open_items(device: Device, *, lock: bool = False) -> OpenItems:
    items = selectors.device_open_items(device, lock=lock)
    return {(item.kind, item.category, item.disk): item for item in items}


def _ids(items: OpenItems) -> dict[tuple[str, str, str], int]:
    return {key: item.pk for key, item in items.items()}


def _assessment(
    device: Device,
    cpu_model: str,
    current: OpenItems,
    *,
    rises_of: int | None,
    group: rules.Group | None = None,
) -> rules.Assessment:
    open_disks = [(kind, disk, item.message) for (kind, _, disk), item in current.items() if disk]
    return device_assessment(device, open_disks, cpu_model, rises_of=rises_of, group=group)


@dataclass
class Plan:
    """What an assessment does to a device's open items, one entry per condition."""

    opens: list[rules.Condition] = field(default_factory=list)  # no open item yet
    rewrites: list[tuple[AttentionItem, rules.Condition]] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)  # open items holding as they are
    closes: list[AttentionItem] = field(default_factory=list)  # over (smart_degrading waits)

    @property
    def only_seen(self) -> bool:
        return not (self.opens or self.rewrites or self.closes)


def plan_changes(assessment: rules.Assessment, current: OpenItems) -> Plan:
    plan, planned = Plan(), set()
    for condition in assessment.holding:
        if condition.key in planned:
            continue
        planned.add(condition.key)
        item = current.get(condition.key)
        if item is None:
            plan.opens.append(condition)
        elif (item.message, item.severity) != (condition.message, condition.severity):
            plan.rewrites.append((item, condition))
        else:
            plan.seen.append(item.pk)
    plan.closes = [
        item
        for key in assessment.over - planned
        if (item := current.get(key)) is not None and item.kind != Kind.SMART_DEGRADING
    ]
    for item in plan.closes:  # its disk gone, or replaced: said
        item.message += assessment.said_over.get((item.kind, item.category, item.disk), "")
    return plan


def new_item(device: Device, condition: rules.Condition) -> AttentionItem:
    """The item `condition` opens on the device, not saved yet."""
    return AttentionItem(
        device=device, kind=condition.kind, severity=condition.severity,
        category=condition.category, disk=condition.disk, message=condition.message,
    )  # fmt: skip


def _apply(device: Device, plan: Plan) -> list[Event]:
    events = []
    for condition in plan.opens:
        item = new_item(device, condition)
        item.save(force_insert=True)
        events.append(Event(OPENED, item))
    for item, condition in plan.rewrites:
        item.message, item.severity = condition.message, condition.severity
        item.save(update_fields=("message", "severity", "updated_at"))
    seen_again(plan.seen)
    now = timezone.now()
    for item in plan.closes:
        item.closed_at = now
        item.save(update_fields=("closed_at", "message", "updated_at"))
        events.append(Event(RESOLVED, item))
    notify.announce((event.item, event.kind == RESOLVED) for event in events)
    return events


def attention_rejudge_peers(
    *,
    key: str,
    device: Device | None = None,
    read: tuple[rules.Group, set[int]] | None = None,
) -> list[Event]:
    """below_peers of the other machines with the device's CPU, whose peers' median its new run
    moved: a machine that ran before its twins did is flagged once they have run (and its item
    closes when they bring the median to it), not only at its own next run. Only what opens or
    closes is written, each in a transaction of its own that locks its device and judges it
    again there; an open item's figures are brought up to date by its own device's runs. A
    condition a person acknowledged since the machine's last run stays closed until its next
    run, as acknowledging promises. One query when nothing changes (none with `read`, what
    peer_selectors.peer_group gave under the model's lock on PostgreSQL), one more when a
    machine it holds for was acknowledged. `key`: the CPU model's key
    (inventory.columns.model_key); `device`: the machine whose run it follows, judged by its
    own evaluation (None after a deletion: every machine of the model is judged here)."""
    if read is None:  # read after the model's judgments that started before (attention_evaluate)
        with peer_selectors.peer_group_judged(key):
            return _rejudge_group(device, key, peer_selectors.peer_group(key=key))
    return _rejudge_group(device, key, read)


def _rejudge_group(
    device: Device | None, key: str, read: tuple[rules.Group, set[int]]
) -> list[Event]:
    group, below = read
    thresholds = selectors.thresholds()
    judged = rules.below_peers_in_group(group, thresholds=thresholds, of=below)
    # an open item of a machine no longer in the group's figures (no run left) is over too
    judged.update((device_id, False) for device_id in below - judged.keys())
    changed = {
        device_id
        for device_id, holds in judged.items()
        if (device is None or device_id != device.pk) and holds != (device_id in below)
    }
    to_open = {device_id for device_id in changed if judged[device_id]}
    if to_open:  # those a person acknowledged since their last run stay closed
        changed -= peer_selectors.below_peers_acknowledged(to_open)
    events = []
    for device_id in sorted(changed):
        events += _rejudge_below_peers(device_id, key, thresholds)
    return events


def _rejudge_below_peers(device_id: int, model: str, thresholds: rules.Thresholds) -> list[Event]:
    with transaction.atomic():
        # a retired machine's figure stays among its peers' (the contract's peers), but it
        # opens nothing (its item, if any, closed with its retirement)
        locked_row = selectors.device_lock(device_id)
        if locked_row is None or locked_row.retired_on is not None:
            return []  # deleted meanwhile, or retired
        if rules.BELOW_PEERS in locked_row.attention_muted:
            return []  # muted: its muting closed the item, none opens
        # under the lock: as it stands now
        group, _ = peer_selectors.peer_group(key=model, device_id=device_id, judging=False)
        holds = rules.below_peers_in_group(group, thresholds=thresholds, of={device_id})
        condition = None
        if holds.get(device_id):
            member = next(member for member in group.members if member.id == device_id)
            cpu_model = selectors.latest_cpu_model(device_id)  # its own words for its message
            condition = rules.below_peers_condition(
                member, group, cpu_model=cpu_model, thresholds=thresholds
            )
        device = Device.objects.get(pk=device_id)
        item = _open_items(device, lock=True).get(rules.BELOW_PEERS)
        if condition is not None and item is None:
            if rules.BELOW_PEERS in selectors.acknowledged_since_newest_run(device_id):
                return []
            return _apply(device, Plan(opens=[condition]))
        if condition is None and item is not None:
            return _apply(device, Plan(closes=[item]))
        return []


@transaction.atomic
def attention_acknowledge(*, item: AttentionItem, by: str) -> AttentionItem:
    """A person saw it: the item closes, with a "resolved" notification (a condition that still
    holds opens a new one on the device's next submission). The admin's action on many items
    closes them the same way (acknowledge.attention_acknowledge_many); this is one of them."""
    attention_acknowledge_many(items=AttentionItem.objects.filter(pk=item.pk), by=by)
    return AttentionItem.objects.get(pk=item.pk)
