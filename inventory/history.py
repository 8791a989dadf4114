"""A machine's hardware over time: what a snapshot says, for people, and what changed between
two snapshots. Sections, labels, units and which fields count as a change come from
inventory/schema.py; the story that mixes runs and snapshots is benchsite.story's."""

from collections.abc import Iterable
from typing import Any

from . import columns
from .models import HardwareSnapshot


def _gb(mb: int | None) -> str:
    if mb is None:
        return "?"
    gb = mb / 1024
    return f"{gb:.0f}" if gb >= 10 or gb.is_integer() else f"{gb:.1f}"


def _disk_entries(snapshot: HardwareSnapshot) -> list[tuple[str, str, str]]:
    """Each disk of the snapshot as (what it is: vendor, model and capacity; its serial, "" when
    not read; its device name, "" when not read), sorted."""
    devices = (snapshot.storage or {}).get("devices") or []
    entries = []
    for disk in devices:
        if not isinstance(disk, dict):
            continue
        name = columns.one_line(disk.get("name"))
        label = " ".join(str(disk.get(k)) for k in ("vendor", "model") if disk.get(k))
        capacity = disk.get("capacity_gb")
        if capacity:
            label = f"{label or name or 'disk'} {capacity:g} GB"
        entries.append((label or name or "disk", columns.one_line(disk.get("serial")), name))
    return sorted(entries)


def _disk_identities(snapshot: HardwareSnapshot) -> list[tuple]:
    """What _disk_entries reads of each disk, as sent: two snapshots alike here have the same
    entries."""
    devices = (snapshot.storage or {}).get("devices") or []
    return [
        (d.get("vendor"), d.get("model"), d.get("capacity_gb"), d.get("serial"), d.get("name"))
        for d in devices
        if isinstance(d, dict)
    ]


def _disks(snapshot: HardwareSnapshot) -> list[str]:
    """The disks as the compare page lists them: what each is, with its serial when read."""
    return [
        f"{label} ({serial})" if serial else label for label, serial, _ in _disk_entries(snapshot)
    ]


def _disk_changes(old: HardwareSnapshot, new: HardwareSnapshot) -> list[str]:
    """Disks added, removed or replaced: the same disk is the same serial (or, where a run did
    not read serials, the same model and capacity); one of a model and capacity gone while
    another of them, with another serial, came is a replacement (a warranty swap), and so is
    one gone while another model came under its device name (a dying disk swapped for a
    bigger one). A snapshot that lists no disk did not read them (bench.sh without lsblk sent
    none, and every disk read as removed), as the attention rules take it."""
    if _disk_identities(old) == _disk_identities(new):
        # the same disks listed the same way, the usual next run: a storage server's 4,096
        # were sorted and matched at each pair of snapshots the device page compares
        return []
    before, after = _disk_entries(old), _disk_entries(new)
    if not before or not after:
        return []
    for entry in list(after):  # the same serial: the same disk, whatever it read as
        match = next((b for b in before if entry[1] and b[1] == entry[1]), None)
        if match is not None:
            before.remove(match)
            after.remove(entry)
    for entry in list(after):  # a side that read no serial: the same model and capacity
        match = next((b for b in before if b[0] == entry[0] and not (b[1] and entry[1])), None)
        if match is not None:
            before.remove(match)
            after.remove(entry)
    changes = []
    for entry in list(after):
        label, serial, name = entry
        if match := next((b for b in before if b[0] == label), None):
            changes.append(f"disk replaced: {label} ({match[1]} → {serial})")
        elif name and (match := next((b for b in before if b[2] == name), None)):
            # a disk read without its model is labelled by its name: said once
            old, new = (text.removeprefix(f"{name} ") for text in (match[0], label))
            changes.append(f"disk replaced: {name} {old} → {new}")
        else:
            continue
        before.remove(match)
        after.remove(entry)
    changes += [f"disk added: {label}" for label, _, _ in after]
    changes += [f"disk removed: {label}" for label, _, _ in before]
    return changes


def _interfaces(snapshot: HardwareSnapshot) -> list[str]:
    interfaces = (snapshot.network or {}).get("interfaces") or []
    return sorted(str(i.get("name")) for i in interfaces if isinstance(i, dict) and i.get("name"))


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
CHANGE_COLUMNS = ("captured_at", *(f.column.name for f in _CHANGING_FIELDS), "storage", "network")


def snapshot_changes(old: HardwareSnapshot | None, new: HardwareSnapshot | None) -> list[str]:
    """What a person would call a hardware change between two snapshots, in short phrases."""
    if old is None or new is None:
        return []
    changes = []
    for stored in _CHANGING_FIELDS:
        name = stored.column.name
        if name == "cpu_threads" and old.cpu_model != new.cpu_model:
            continue  # a new CPU model already says it
        if phrase := _field_change(stored, getattr(old, name), getattr(new, name)):
            changes.append(phrase)
    changes += _disk_changes(old, new)
    old_nics, new_nics = _interfaces(old), _interfaces(new)
    if old_nics and new_nics and old_nics != new_nics:
        changes.append(f"NICs {', '.join(old_nics)}→{', '.join(new_nics)}")
    # on one line, without the direction characters a machine may send: a CPU model ending in
    # U+202E turned the rest of the chart's tooltip ("RAM 64→128 GB") around
    return [columns.one_line(phrase) for phrase in changes]


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


def snapshot_compare(
    a: HardwareSnapshot, b: HardwareSnapshot
) -> list[tuple[str, list[tuple[str, Any, Any, bool]]]]:
    """Both snapshots side by side, by component: (label, value a, value b, differs)."""
    sections = []
    for title, fields in SNAPSHOT_SECTIONS:
        rows = []
        for stored in fields:
            left, right = getattr(a, stored.column.name), getattr(b, stored.column.name)
            if left in (None, "") and right in (None, ""):
                continue
            label, shown_left = _display(stored, left)
            rows.append((label, shown_left, _display(stored, right)[1], left != right))
        sections.append((title, rows))
    extra = [
        ("disks", ", ".join(_disks(a)), ", ".join(_disks(b))),
        ("network interfaces", ", ".join(_interfaces(a)), ", ".join(_interfaces(b))),
        ("DIMMs", _dimms(a.ram_layout), _dimms(b.ram_layout)),
    ]
    rows = [(label, x, y, x != y) for label, x, y in extra if x or y]
    flags_a, flags_b = set(a.cpu_flags or ()), set(b.cpu_flags or ())
    if flags_a or flags_b:
        rows.append(("CPU flags", *_flags_compared(flags_a, flags_b), flags_a != flags_b))
    # "Components", not "Devices": everywhere else a device is a machine
    sections.append(("Components", rows))
    # each disk's health under its own heading: its name and serial are too long for every row
    sections += [(f"Disk {label}", rows) for label, rows in _disk_health_sections(a, b)]
    return sections


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
    for label, left, right in _disk_pairs(a, b):
        rows = []
        for name in _HEALTH_READINGS:
            x, y = left.get(name), right.get(name)
            if x is not None or y is not None:
                reading = _READING_LABELS.get(name, name.replace("_", " "))
                rows.append((reading, _reading(name, x), _reading(name, y), x != y))
        if rows:
            yield label, rows


def disk_health_changes(a: HardwareSnapshot, b: HardwareSnapshot) -> list[str]:
    """What changed in the health of the disks both snapshots read (SMART status and counters,
    not the temperature, which moves with the room), e.g. "/dev/sdb (WD-1) SMART health
    PASSED→FAILED": the compared rows that differ, read on both sides."""
    return [
        f"{label} {reading} {x}→{y}"
        for label, rows in _disk_health_sections(a, b)
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
