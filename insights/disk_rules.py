"""What a machine's disks say (CONTRACT Part 2, "Insights"): smart_failing, disk_hot and
smart_degrading from their SMART readings, as plain functions over plain data (insights.rules
holds the conditions and the score rules)."""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from inventory.columns import (
    SMART_COUNTERS,
    disk_failing,
    disk_label,
    disk_temperature,
    one_line,
    smart_count,
)

from .rules import Assessment, Condition, Thresholds


def disk_named(disk: Mapping[str, Any]) -> str:
    """ "/dev/sda WD40EFRX (WD-WCC7K1234567)": its name, model and serial, what a person finds
    it by in the machine, where "/dev/sda (WD-…)" left them to look its model up."""
    label = disk_label(disk)  # "/dev/sda (WD-1)", "/dev/sda", "WD-1" or "disk"
    name, model = one_line(disk.get("name")), one_line(disk.get("model"))
    if not model:
        return label
    if name:
        return f"{name} {model}{label[len(name) :]}"
    return f"{model} ({label})" if disk.get("serial") else model


def disk_conditions(
    assessment: Assessment,
    *,
    latest: Mapping[str, Mapping[str, Any]],
    open_disks: Sequence[tuple[str, str, str]],
    thresholds: Thresholds,
    snapshot: bool = True,
    earlier: Sequence[Mapping[str, Mapping[str, Any]]] = (),
) -> None:
    """smart_failing and disk_hot for each disk of the latest snapshot; `open_disks` the
    (kind, disk, message) of open items, so that a disk gone closes them (a disk missing from
    a snapshot that lists others; one that lists none did not read them), their messages
    saying it is gone, or replaced (gone_words; `earlier` as degrading_disks_gone's).
    `snapshot`: False when the device has none left (deleted): no reading says a disk fails
    or is hot."""
    for key, disk in latest.items():
        label = disk_named(disk)
        failing = disk_failing(disk)
        if failing:
            what = one_line(disk.get("smart_health"))
            assessment.holding.append(
                Condition(
                    "smart_failing", "critical", f"disk {label} reports SMART {what}", disk=key
                )
            )
        elif failing is False:
            assessment.over.add(("smart_failing", "", key))
        temperature = disk_temperature(disk)
        if temperature is not None and temperature >= thresholds.disk_hot_c:
            assessment.holding.append(
                Condition(
                    "disk_hot",
                    "warning",
                    f"disk {label} is at {temperature:g} °C (limit {thresholds.disk_hot_c:g} °C)",
                    disk=key,
                )
            )
        elif temperature is not None:
            assessment.over.add(("disk_hot", "", key))
    if not latest and snapshot:  # no disk at all: not read (a partial capture), not removed
        return
    for kind, key, _ in open_disks:
        if key not in latest and kind in ("smart_failing", "disk_hot"):
            assessment.over.add((kind, "", key))  # the disk is gone
            if latest:  # what a notification of its closing says
                words = gone_words(key, latest=latest, earlier=earlier)
                assessment.said_over[(kind, "", key)] = words + ")"


DEALT_WITH = ": acknowledge this once it is dealt with)"


def gone_words(key: str, *, latest: Mapping[str, Mapping[str, Any]], earlier: Sequence) -> str:
    """How a message says that disk `key` is no longer in the machine: replaced, by the disk
    its slot (its name) holds now, when the snapshots `earlier` (each's disks by key, newest
    first) still name it; else gone. Open, a smart_degrading item adds DEALT_WITH to it;
    closing, a smart_failing or disk_hot one ")". "No longer in the machine" of a disk swapped
    for a new one of the same model in the same bay read as a disk lost, and the item about the
    FAILED one closed as "this no longer holds"."""
    before = next((disks[key] for disks in earlier if key in disks), None)
    name = one_line(before.get("name")) if before else ""
    now = next((d for d in latest.values() if name and one_line(d.get("name")) == name), None)
    if now is None:
        return " (no longer in the machine"
    model, serial = one_line(now.get("model")), one_line(now.get("serial"))
    return f" (replaced by {' '.join(filter(None, (model, serial))) or 'another disk'} in {name}"


def gone_said(message: str) -> str:
    """What a closed smart_failing or disk_hot item's message says became of its disk
    (disk_conditions added gone_words): "replaced", "gone", or "" when it was read again."""
    if message.endswith(")") and not message.endswith(DEALT_WITH):
        if " (replaced by " in message:
            return "replaced"
        if message.endswith(" (no longer in the machine)"):
            return "gone"
    return ""


def _unsaid(message: str) -> str:
    """The message without the words gone_words and DEALT_WITH added to it."""
    if message.endswith(DEALT_WITH):
        cut = max(message.rfind(" (no longer in the machine"), message.rfind(" (replaced by "))
        return message[:cut] if cut >= 0 else message
    return message


def degrading_disks_gone(
    assessment: Assessment,
    *,
    latest: Mapping[str, Mapping[str, Any]],
    earlier: Sequence[Mapping[str, Mapping[str, Any]]],
    open_disks: Sequence[tuple[str, str, str]],
) -> None:
    """smart_degrading waits for a person (CONTRACT): an open one whose disk is no longer in
    the machine says so (replaced, and by which disk, when another holds its slot: gone_words),
    and no more once the disk is back. A disk replaced months ago kept a critical item at the
    top of the dashboard about a disk the device page no longer showed anywhere. After the
    rises (rise_conditions): a new rise's message wins. `earlier`: the disks of the snapshots
    before the latest, newest first."""
    if not latest:  # the disks were not read
        return
    holding = {condition.key for condition in assessment.holding}
    for kind, key, message in open_disks:
        if kind != "smart_degrading" or (kind, "", key) in holding:
            continue
        bare = _unsaid(message)
        if key in latest:
            said = bare
        elif bare != message:  # said gone already: as it was said
            said = message
        else:
            said = bare + gone_words(key, latest=latest, earlier=earlier) + DEALT_WITH
        if said != message:
            assessment.holding.append(Condition(kind, "critical", said, disk=key))


_RISE = re.compile(r"([a-z ]+) (\d+) → (\d+)")


def _rises_told(message: str) -> dict[str, tuple[str, str]]:
    """The rises an open smart_degrading item's message tells: per counter as it names it,
    the reading it first rose from and the one it rose to."""
    told = _unsaid(message).rpartition(" is degrading: ")[2]
    return {m[1]: (m[2], m[3]) for part in told.split(", ") if (m := _RISE.fullmatch(part))}


def rise_conditions(
    assessment: Assessment,
    *,
    latest: Mapping[str, Mapping[str, Any]],
    previous: Mapping[str, Mapping[str, Any]],
    open_disks: Sequence[tuple[str, str, str]] = (),
) -> None:
    """smart_degrading for each disk of a snapshot whose counters rose: `previous` holds, per
    disk, its readings at the previous snapshot that had it. Judged once, when the snapshot
    that shows the rise arrives: judged again later (a capture of before replayed into its
    past, a rescore), a rise already acknowledged would open a second item. While its item is
    open (`open_disks` as disk_conditions'), each rise is told from the reading the counter
    first rose from, with the rises told before: "pending sectors 0 → 40, reallocated sectors
    0 → 48" where the item said the last rise alone ("reallocated sectors 16 → 48"), and a
    person who looked once saw no more that 40 sectors were pending."""
    told = {key: message for kind, key, message in open_disks if kind == "smart_degrading"}
    for key, disk in latest.items():
        before = previous.get(key)
        if before is None:
            continue
        rose, said = False, []
        earlier = _rises_told(told.get(key, ""))
        for name in SMART_COUNTERS:
            named = name.replace("_", " ")
            new, old = smart_count(disk.get(name)), smart_count(before.get(name))
            rises = new is not None and old is not None and new > old
            rose = rose or rises
            first, last = earlier.get(named, (old, new))
            if rises or named in earlier:
                said.append(f"{named} {first} → {last if new is None else new}")
        if rose:
            assessment.holding.append(
                Condition(
                    "smart_degrading",
                    "critical",
                    f"disk {disk_named(disk)} is degrading: {', '.join(said)}",
                    disk=key,
                )
            )
