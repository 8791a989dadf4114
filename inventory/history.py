"""A machine's hardware over time: what a snapshot says, for people, and what changed between
two snapshots. Sections, labels, units and which fields count as a change come from
inventory/schema.py; the story that mixes runs and snapshots is benchsite.story's."""

import hashlib
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.utils.text import slugify

from . import columns, dimms, hardware_diff, nics
from .models import HardwareSnapshot


def gb(mb: int) -> int | float:
    """A size in MB as the GB people read (the device page, the devices export's RAM): whole
    from 10 GB, to a tenth below (65536 → 64, 15842 → 15, 1536 → 1.5)."""
    size = mb / 1024
    return round(size) if size >= 10 or size.is_integer() else round(size, 1)


def _gb(mb: int | None) -> str:
    return "?" if mb is None else str(gb(mb))


def _interfaces(snapshot: HardwareSnapshot, *, virtual: bool = False) -> list[str]:
    """The names of the snapshot's ports, sorted; with `virtual`, of its virtual interfaces
    too (a VM's tap, a container's veth: inventory.nics), which are no hardware change."""
    interfaces = hardware_diff.listed(snapshot.network, "interfaces")
    return sorted(
        str(i["name"]) for i in interfaces if i.get("name") and (virtual or not nics.is_virtual(i))
    )


def _field_change(field: columns.StoredField, before: Any, after: Any) -> str | None:
    """A Column's change between two snapshots as a phrase, per its `change` kind."""
    label = field.column.short or field.column.label
    kind = field.column.change
    if kind == "presence" and bool(before) != bool(after):
        # a component fitted or pulled (a GPU); other fields missing on one run were unreadable
        return f"{label} added: {after}" if after else f"{label} removed: {before}"
    if before in (None, "") or after in (None, "") or before == after:
        return None
    if kind == "amount":
        # free RAM varies and VMs balloon: a change of installed RAM is more than rounding
        if abs(before - after) <= max(256, before * 0.05):
            return None
        return f"{label} {_gb(before)}→{_gb(after)} GB"
    return f"{label} {before}→{after}"


_CHANGING_FIELDS = tuple(f for f in columns.stored_fields() if f.column.change)
# what snapshot_changes reads of a snapshot: a device's years of them are read with these only
CHANGE_COLUMNS = (
    "captured_at",
    *(f.column.name for f in _CHANGING_FIELDS),
    "ram_layout",
    "storage",
    "network",
)
_LISTS = ("ram_layout", "storage", "network")  # read by what they list, not as they are


class Told(NamedTuple):
    """What changed between two snapshots, in words, and whether a part did."""

    phrases: list[str]
    parts: bool  # more than a BIOS, OS or kernel update (a chart's marker says which)


def snapshot_told(old: HardwareSnapshot | None, new: HardwareSnapshot | None) -> Told:
    """What a person would call a hardware change between two snapshots, in short phrases, and
    whether a part changed (a BIOS, OS or kernel update alone is none), in one pass: a page
    that tells both read each pair's disks and interfaces once."""
    if old is None or new is None:
        return Told([], False)
    changes, parts, said = [], False, set()
    for stored in _CHANGING_FIELDS:
        name = stored.column.name
        if name == "cpu_threads" and old.cpu_model != new.cpu_model:
            continue  # a new CPU model already says it
        if phrase := _field_change(stored, getattr(old, name), getattr(new, name)):
            changes.append(phrase)
            parts = parts or stored.column.change != "update"
            said.add(name)
    if not said & {"ram_total_mb", "ram_slots_used"}:  # modules of the same size and count
        phrase, swapped = dimms.change(old.ram_layout, new.ram_layout)
        changes += [phrase] if phrase else []
        parts = parts or swapped
    fields = len(changes)
    changes += hardware_diff.disk_changes(old, new)  # a disk or a NIC is a part
    if nics := hardware_diff.nics_change(_interfaces(old), _interfaces(new)):
        changes.append(nics)
    changes += hardware_diff.nics_replaced(old, new)  # the same name, another card's MAC
    parts = parts or len(changes) > fields
    # on one line, without the direction characters a machine may send: a CPU model ending in
    # U+202E turned the rest of the chart's tooltip ("RAM 64→128 GB") around
    return Told([columns.one_line(phrase) for phrase in changes], parts)


def snapshot_changes(old: HardwareSnapshot | None, new: HardwareSnapshot | None) -> list[str]:
    """What a person would call a hardware change between two snapshots, in short phrases."""
    return snapshot_told(old, new).phrases


# what a stretch of one hardware shows of it besides (benchsite.hardware_life): its row on the
# device page
STRETCH_COLUMNS = ("cpu_model", "ram_total_mb", "os_name", "os_version", "kernel_version")
# what hardware_key reads of a snapshot
KEY_COLUMNS = tuple(dict.fromkeys((*CHANGE_COLUMNS[1:], *STRETCH_COLUMNS)))


def hardware_key(
    snapshot: HardwareSnapshot,
    *,
    virtual: bool = False,
    macs: bool = True,
    shared: bool = False,
    modules: bool = True,
) -> str:
    """A digest of what snapshot_changes reads of a snapshot (its disks and interfaces as
    hardware_diff.disk_identities, _interfaces and port_macs read them) and what its stretch
    shows: two snapshots with the same key tell no change and show alike, so a device's years
    are told from the snapshots whose key is not the one before's (benchsite.hardware_life).
    Stored with each snapshot; what it reads changed, the stored keys want filling again (a
    migration). Without `macs`, the key as it was before 0030, its ports' names only (a
    snapshot whose ports tell no card's MAC keeps that key); with `virtual`, as it was before
    0028: the names of its virtual interfaces read too; with `shared`, as it was before 0032:
    the MACs two ports carry (a bond's) read too; without `modules`, as it was before 0034: the
    DIMMs' modules (inventory.dimms) not read."""
    values = [getattr(snapshot, name) for name in KEY_COLUMNS if name not in _LISTS]
    values += [hardware_diff.disk_identities(snapshot), _interfaces(snapshot, virtual=virtual)]
    if macs and not virtual and (ports := hardware_diff.port_macs(snapshot, shared=shared)):
        values.append(sorted(ports.items()))
    if modules and (found := dimms.modules(snapshot.ram_layout)):
        values.append(found)  # none read: the key as before, where no module could be told
    text = json.dumps(values, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# The admin's hardware sections: the scalar columns of each schema section (lists, such as
# CPU flags and DIMMs, are shown as tables of their own).
SNAPSHOT_SECTIONS: tuple[tuple[str, tuple[columns.StoredField, ...]], ...] = tuple(
    (title, tuple(f for f in fields if f.json_schema["type"] != "array"))
    for title, fields in columns.hardware_sections()
)


def size_mb(mb: int) -> str:
    """A size in MB for people: 65536 → "64 GB", 512 → "512 MB"."""
    return f"{_gb(mb)} GB" if mb >= 1024 else f"{mb} MB"


def _size_kb(kb: int) -> str:
    return f"{kb / 1024:g} MB" if kb >= 1024 else f"{kb} KB"


_UNITS = {
    "mb": size_mb,
    "kb": _size_kb,
    "ghz": lambda v: f"{v:g} GHz",
    "w": lambda v: f"{v:g} W",
}


def _display(field: columns.StoredField, value: Any) -> tuple[str, Any]:
    """A snapshot field's label and value as a person reads them."""
    label = field.column.label
    if value is None or value == "":
        return label, None
    if isinstance(value, bool):
        return label, "yes" if value else "no"
    if formatter := _UNITS.get(field.column.unit):
        return label, formatter(value)
    return label, value


def snapshot_sections(snapshot: HardwareSnapshot) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The snapshot's scalar fields grouped by component, as (label, value) pairs for people."""
    sections = []
    for title, fields in SNAPSHOT_SECTIONS:
        rows = []
        for stored in fields:
            value = getattr(snapshot, stored.column.name)
            if value in (None, ""):
                continue
            rows.append(_display(stored, value))
        sections.append((title, rows))
    return sections


# the compare page's tables of disks, partitions and interfaces, by the name ?all= gives them
COMPARED_TABLES = (
    ("disks", "Disks", "disks"),
    ("partitions", "Partitions", "partitions"),
    ("interfaces", "Network interfaces", "interfaces"),
)
READINGS = "readings"  # ?all=readings: every disk's readings compared


def _more(rows: list, shown: list, table: str, what: str, *, whole: str, pair: str, heading: str):
    """What a bounded table of the compare page says under its rows: "… and 4,084 more disks,
    the same on both: all 4,096 disks" linking to the page with it whole (`pair`: ?a=…&b=…,
    to the section of `heading`), or, shown whole, the way back; None when shown whole."""
    anchor = f"compare-{slugify(heading)}"
    if len(shown) < len(rows):
        changed = sum(1 for row in rows[len(shown) :] if _changed(row))
        same, more = len(rows) - len(shown) - changed, len(rows) - len(shown)
        if not changed:
            said = f"… and {more:,} more {what}, the same on both"
        elif not same:
            said = f"… and {more:,} more {what}, each of them changed"
        else:
            said = f"… and {more:,} more {what}: {changed:,} changed, {same:,} the same on both"
        link = (f"{pair}&all={table}#{anchor}", f"all {len(rows):,} {what}")
        return {"said": said, "href": link[0], "link": link[1]}
    if whole == table:
        said = f"All {len(rows):,} {what}, the changed ones first"
        return {"said": said, "href": f"{pair}#{anchor}", "link": "the first ones only"}
    return None


def snapshot_compare(
    a: HardwareSnapshot, b: HardwareSnapshot, *, shown: int | None = None, whole: str = ""
) -> list[tuple[str, list[tuple[str, Any, Any, bool]], dict | None]]:
    """Both snapshots side by side, by component: (title, its rows (label, value a, value b,
    differs), what it says under them). Each disk, partition and network interface is a row of
    its table, and each disk's readings a section: those that changed first, the first `shown`
    of each (None: all), unless `whole` names it (COMPARED_TABLES, READINGS), then how many
    more and a link to them all."""
    sections: list = []
    for title, fields in SNAPSHOT_SECTIONS:
        rows = []
        for stored in fields:
            left, right = getattr(a, stored.column.name), getattr(b, stored.column.name)
            if left in (None, "") and right in (None, ""):
                continue
            label, shown_left = _display(stored, left)
            rows.append((label, shown_left, _display(stored, right)[1], left != right))
        sections.append((title, rows, None))
    rows = []
    if (dimms := (_dimms(a.ram_layout), _dimms(b.ram_layout))) and any(dimms):
        rows.append(("DIMMs", *dimms, dimms[0] != dimms[1]))
    flags_a, flags_b = set(a.cpu_flags or ()), set(b.cpu_flags or ())
    if flags_a or flags_b:
        rows.append(("CPU flags", *_flags_compared(flags_a, flags_b), flags_a != flags_b))
    # "Components", not "Devices": everywhere else a device is a machine
    sections.append(("Components", rows, None))
    pair = f"?a={a.pk}&b={b.pk}"
    compared = hardware_diff.compared_items(a, b)
    for table, title, what in COMPARED_TABLES:
        rows = compared[table]
        cut = rows if shown is None or whole == table else rows[:shown]
        more = _more(rows, cut, table, what, whole=whole, pair=pair, heading=title)
        sections.append((title, cut, more))
    # each disk's health under its own heading: its name and serial are too long for every row
    health = sorted(_disk_health_sections(a, b), key=_health_rank)
    cut = health if shown is None or whole == READINGS else health[:shown]
    sections += [(f"Disk {label}", rows, None) for label, rows, _ in cut]
    said = {"whole": whole, "pair": pair, "heading": f"Disk {cut[0][0]}" if cut else ""}
    if cut and (more := _more(health, cut, READINGS, "disks' readings", **said)):
        sections[-1] = (*sections[-1][:2], more)
    return sections


def _changed(row: tuple) -> bool:
    """Whether a row of a compared table (label, a, b, differs) or a disk's readings compared
    (label, rows, its readings in b) changed."""
    return row[3] if len(row) == 4 else _health_rank(row) < 3


def _health_rank(section: tuple) -> int:
    """A disk's readings compared, ranked: failing in the later snapshot, then its health or
    counters changed, then its temperature, then the others (as listed)."""
    _, rows, right = section
    if columns.disk_failing(right):
        return 0
    if any(differs and reading != "temperature" for reading, _, _, differs in rows):
        return 1
    return 2 if any(row[3] for row in rows) else 3


# a disk's SMART readings compared: its health, temperature and counters; not its power-on
# hours, which every later snapshot has more of
_HEALTH_READINGS = tuple(name for name in columns.SMART_FIELDS if name != "power_on_hours")
_READING_LABELS = {"smart_health": "SMART health", "temperature_c": "temperature"}
_READING_UNITS = {"temperature_c": " °C", "percent_used": " %"}


def _reading(name: str, value: Any) -> Any:
    return value if value is None else f"{value}{_READING_UNITS.get(name, '')}"


def _disk_pairs(a: HardwareSnapshot, b: HardwareSnapshot):
    """Each disk of either snapshot (by serial, else name) with its readings in a and in b."""
    disks_a, disks_b = columns.disks_of(a.disk_readings), columns.disks_of(b.disk_readings)
    for key in dict.fromkeys([*disks_a, *disks_b]):
        left, right = disks_a.get(key, {}), disks_b.get(key, {})
        yield columns.disk_label(right or left), left, right


def _disk_health_sections(a: HardwareSnapshot, b: HardwareSnapshot):
    """Each disk's readings compared: (its label, its rows, its readings in b), as read."""
    for label, left, right in _disk_pairs(a, b):
        rows = []
        for name in _HEALTH_READINGS:
            x, y = left.get(name), right.get(name)
            if x is not None or y is not None:
                reading = _READING_LABELS.get(name, name.replace("_", " "))
                rows.append((reading, _reading(name, x), _reading(name, y), x != y))
        if rows:
            yield label, rows, right


def disk_health_changes(a: HardwareSnapshot, b: HardwareSnapshot) -> list[str]:
    """What changed in the health of the disks both snapshots read (SMART status and counters,
    not the temperature, which moves with the room), e.g. "/dev/sdb (WD-1) SMART health
    PASSED→FAILED": the compared rows that differ, read on both sides."""
    return [
        f"{label} {reading} {x}→{y}"
        # a failing disk's first: a storage server's page says the first SHOWN of them
        for label, rows, _ in sorted(_disk_health_sections(a, b), key=_health_rank)
        for reading, x, y, differs in rows
        if differs and reading != _READING_LABELS["temperature_c"] and None not in (x, y)
    ]


FLAGS_NAMED = 12  # a CPU swapped for another changes dozens: the first few say enough


def _flags_compared(a: set[str], b: set[str]) -> tuple[str, str]:
    """Each side's count of CPU flags, the later one with the flags it gained (+) and lost (−):
    a kernel or microcode update that swaps one flag shows, even at the same count."""
    changes = [f"+{flag}" for flag in sorted(b - a)] + [f"−{flag}" for flag in sorted(a - b)]
    shown = ", ".join(changes[:FLAGS_NAMED]) + (", …" if len(changes) > FLAGS_NAMED else "")
    return f"{len(a)} flags", f"{len(b)} flags" + (f" ({shown})" if changes else "")


def _dimms(layout: Iterable | None) -> str:
    parts = []
    for dimm in layout or []:
        if isinstance(dimm, dict):
            size = dimm.get("size_mb")
            parts.append(
                " ".join(
                    str(p)
                    for p in (
                        dimm.get("slot"),
                        f"{_gb(size)} GB" if size else None,
                        dimm.get("type"),
                        dimm.get("speed_mhz") and f"{dimm['speed_mhz']} MHz",
                    )
                    if p
                )
            )
    return "; ".join(parts)
