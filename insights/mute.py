"""Warning kinds muted on a machine: a condition known and accepted (the Atom NAS always below
its peers, a closet server's disk warm all summer) opens no attention item for it, on a
submission or in rescore's judgment, while the machine still counts among its peers and its
insights still give its deviations. The critical SMART kinds are never muted: a dying disk is
always told."""

import datetime
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inventory.changelog import Entry, device_history_log
from inventory.models import Device
from inventory.rows import rows_update

from . import rules
from .acknowledge import attention_acknowledge_many
from .models import AttentionItem, Kind
from .peer_selectors import models_locked, models_needed

# the warnings; smart_failing and smart_degrading are always told
MUTABLE = (Kind.SCORE_REGRESSION, Kind.BELOW_PEERS, Kind.DISK_HOT)
MSG_NOT_MUTABLE = (
    "{kind} cannot be muted: only the warnings {kinds} can (a failing disk is always told)."
)


def not_mutable(kinds: Iterable[Any]) -> list[str]:
    """The error of each of these kinds that cannot be muted (unknown, or critical)."""
    return [
        MSG_NOT_MUTABLE.format(kind=repr(kind), kinds=", ".join(MUTABLE))
        for kind in kinds
        if kind not in MUTABLE
    ]


def leave_muted(assessment: rules.Assessment, muted: Iterable[str]) -> None:
    """Hold none of the device's muted kinds: no item opens, an open one (there is none: the
    muting closed them) is left as it is."""
    muted = set(muted or ())
    if muted:
        assessment.holding = [c for c in assessment.holding if c.kind not in muted]


def muted_list(device: Device) -> list[dict]:
    """What the device page says of each muted kind: its label, who muted it and when."""
    return [
        {
            "kind": kind,
            "label": Kind(kind).label,
            "by": what.get("by", ""),
            "at": datetime.datetime.fromisoformat(what["at"]) if what.get("at") else None,
        }
        for kind, what in sorted((device.attention_muted or {}).items())
        if kind in MUTABLE
    ]


class Changed(NamedTuple):
    """What a muting or unmuting did to the devices' items."""

    closed: int  # open items of the kinds muted, closed as acknowledged
    opened: list[AttentionItem]  # items of the kinds unmuted whose condition holds now


def _name(actor: Any) -> str:
    """Who a device's muting names: a person's username, a token's name."""
    get_username = getattr(actor, "get_username", None)
    return (get_username() if get_username else str(actor or "unknown"))[:150]


def _locked(device_ids: Iterable[int]):
    """The devices, their rows locked in the order of their ids (then their items), as a
    judgment locks them."""
    return Device.objects.select_for_update().filter(pk__in=list(device_ids)).order_by("pk")


@transaction.atomic
def attention_mute_kinds(*, kinds: dict[str, Iterable[int]], actor: Any) -> int:
    """Each kind muted on its devices (the admin's action: each selected item's kind on its
    machine), as attention_mute_change mutes them; every device locked first, in the order of
    their ids: one kind's machines locked before the next kind's took the rows out of order,
    and against a submission or a muting that locks them in order each waited on the other's
    (a deadlock, the admin's action a 500). Their open items of those kinds are locked next,
    in the order of their ids, as an acknowledgement locks them: closed kind by kind, below_peers
    first, they met a person's acknowledgement of the same items the other way round (a
    deadlock, one of them rolled back). Returns how many items closed."""
    kinds = {kind: list(pks) for kind, pks in kinds.items()}
    list(_locked({pk for pks in kinds.values() for pk in pks}).values_list("pk", flat=True))
    closing = Q(pk__in=[])
    for kind, pks in kinds.items():
        closing |= Q(kind=kind, device_id__in=pks)
    items = AttentionItem.objects.select_for_update().filter(closing, closed_at__isnull=True)
    list(items.order_by("pk").values_list("pk", flat=True))
    return sum(
        attention_mute_change(device_ids=pks, mute=[kind], actor=actor).closed
        for kind, pks in sorted(kinds.items())
    )


def attention_mute_change(
    *,
    device_ids: Iterable[int],
    mute: Iterable[str] = (),
    unmute: Iterable[str] = (),
    actor: Any,
    first: Callable[[], Any] | None = None,
) -> Changed:
    """Mute these kinds on these devices and unmute those, each change a line of the device's
    history attributed to `actor`; a kind muted already keeps who muted it and when. The
    devices' open items of a kind muted here close as an acknowledgement by `actor` closes
    them (acknowledge.attention_acknowledge_many: "resolved" notified). The kinds unmuted
    are judged again at once, on the device's latest run and snapshot, in this transaction
    (reevaluation.attention_evaluate_unmuted): a condition that still holds opens its item,
    notified once it commits, where it waited for the machine's next run, days away for a
    weekly cron. Returns how many items closed and the items opened. Kinds not in MUTABLE are
    refused (ValueError): the callers check them first, naming their field.

    Unmuting below_peers, the transaction locks the judgments of the CPU models of the machines
    first, then their rows, as every judgment takes them: a machine whose run on another CPU
    was stored meanwhile is judged among its new model's machines under that model's lock
    (peer_selectors.models_locked), where it was judged unlocked and a judgment of that model
    left the item the unmuting opened open for good. `first`: a write of the devices done in
    the same transaction before they are judged (the API's edit of a device's other fields, a
    retirement or a return among them), under the models' locks and before the rows are
    locked here, as every judgment takes them; done again if the transaction is."""
    # here, not at import: services, which the judgment runs through, imports this module
    from . import reevaluation

    mute, unmute = list(dict.fromkeys(mute)), set(unmute)
    if errors := not_mutable([*mute, *unmute]):
        raise ValueError(errors[0])
    device_ids = list(device_ids)

    def change(locked: frozenset[str]) -> Changed:
        if first is not None:
            first()
        devices = list(
            _locked(device_ids).only(
                "hostname", "attention_muted", "attention_unmuted", "retired_on"
            )
        )
        # a run on another CPU, or a muting, stored before the rows were locked
        models_needed(locked, lambda: reevaluation.unmuting_models(device_ids, unmute))
        return _change(devices, mute, unmute, actor)

    # in one transaction, the models' judgments locked first
    return models_locked(reevaluation.unmuting_models(device_ids, unmute), change)


def _change(devices: list[Device], mute: list[str], unmute: set[str], actor: Any) -> Changed:
    """attention_mute_change's work on its devices, their rows locked."""
    from . import reevaluation

    now = timezone.now()
    by, at = _name(actor), now.isoformat(timespec="seconds")
    changed, entries, closing, muting, unmuted = [], [], Q(pk__in=[]), False, []
    for device in devices:
        before = device.attention_muted or {}
        after = {kind: what for kind, what in before.items() if kind not in unmute}
        added = [kind for kind in mute if kind not in after]
        after.update({kind: {"by": by, "at": at} for kind in added})
        removed = [kind for kind in before if kind not in after]
        if not (added or removed):
            continue
        device.attention_muted = after
        changed.append(device)
        if added:
            closing, muting = closing | Q(device_id=device.pk, kind__in=added), True
        if removed:
            unmuted.append((device, removed))
            # an acknowledgement before this no longer keeps the kind's item closed
            # (selectors.still_acknowledged), to the microsecond: the muting's own closing of
            # it may be of the same second
            device.attention_unmuted = {
                **(device.attention_unmuted or {}),
                **{kind: now.isoformat() for kind in removed},
            }
        said = [
            f"{verb} attention items: {', '.join(Kind(kind).label for kind in kinds)}."
            for verb, kinds in (("Muted", added), ("Unmuted", removed))
            if kinds
        ]
        entries.append(Entry(device, " ".join(said)))
    rows_update(Device, changed, ("attention_muted", "attention_unmuted"))
    device_history_log(actor=actor, entries=entries)
    closed = (
        attention_acknowledge_many(items=AttentionItem.objects.filter(closing), by=by)
        if muting
        else 0
    )
    events = reevaluation.attention_evaluate_unmuted(unmuted=unmuted)
    return Changed(closed, [event.item for event in events if event.kind == reevaluation.OPENED])
