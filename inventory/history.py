"""A device's story: what its hardware was, what changed, and how it scored over time.

Reads benchmarks through the `device.benchmarks` relation by name: inventory never imports
the benchmarks app (it depends on us, not the reverse).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import schema
from .models import Device, HardwareSnapshot

HISTORY_LIMIT = 100
CATEGORIES = schema.CATEGORY_NAMES


def _gb(mb: int | None) -> str:
    if mb is None:
        return "?"
    gb = mb / 1024
    return f"{gb:.0f}" if gb >= 10 or gb.is_integer() else f"{gb:.1f}"


def _disks(snapshot: HardwareSnapshot) -> list[str]:
    devices = (snapshot.storage or {}).get("devices") or []
    names = []
    for disk in devices:
        if not isinstance(disk, dict):
            continue
        label = " ".join(str(disk.get(k)) for k in ("vendor", "model") if disk.get(k))
        capacity = disk.get("capacity_gb")
        if capacity:
            label = f"{label or disk.get('name') or 'disk'} {capacity:g} GB"
        names.append(label or str(disk.get("name") or "disk"))
    return sorted(names)


def _interfaces(snapshot: HardwareSnapshot) -> list[str]:
    interfaces = (snapshot.network or {}).get("interfaces") or []
    return sorted(str(i.get("name")) for i in interfaces if isinstance(i, dict) and i.get("name"))


def _field_change(field: schema.StoredField, before: Any, after: Any) -> str | None:
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


_CHANGING_FIELDS = tuple(f for f in schema.stored_fields() if f.column.change)


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
    old_disks, new_disks = _disks(old), _disks(new)
    for disk in sorted(set(new_disks) - set(old_disks)):
        changes.append(f"disk added: {disk}")
    for disk in sorted(set(old_disks) - set(new_disks)):
        changes.append(f"disk removed: {disk}")
    old_nics, new_nics = _interfaces(old), _interfaces(new)
    if old_nics and new_nics and old_nics != new_nics:
        changes.append(f"NICs {', '.join(old_nics)}→{', '.join(new_nics)}")
    return changes


@dataclass
class HistoryRow:
    """One benchmark of the device's history, with what changed since the previous run."""

    benchmark: Any
    scores: dict[str, float | None]
    cpu_single: float | None
    cpu_multi: float | None
    changes: list[str] = field(default_factory=list)

    @property
    def run_at(self) -> datetime:
        return self.benchmark.run_at


def _result(results: dict, category: str, key: str) -> float | None:
    value = (results or {}).get(category)
    if not isinstance(value, dict):
        return None
    number = value.get(key)
    return number if isinstance(number, int | float) and not isinstance(number, bool) else None


def device_history(device: Device, *, limit: int = HISTORY_LIMIT) -> list[HistoryRow]:
    """The newest `limit` benchmarks, newest first, each with its hardware changes.

    One query: benchmarks with their snapshot (its raw copy deferred, it can be large).
    """
    benchmarks = list(
        device.benchmarks.select_related("snapshot")
        .defer("snapshot__raw", "extra")
        .order_by("-run_at", "-id")[: limit + 1]  # one more: the oldest shown needs its predecessor
    )
    rows = []
    for index, benchmark in enumerate(benchmarks[:limit]):
        previous = benchmarks[index + 1] if index + 1 < len(benchmarks) else None
        rows.append(
            HistoryRow(
                benchmark=benchmark,
                scores={
                    "global": benchmark.global_score,
                    **{name: getattr(benchmark, f"{name}_score") for name in CATEGORIES},
                },
                cpu_single=_result(benchmark.results, "cpu", "score_single"),
                cpu_multi=_result(benchmark.results, "cpu", "score_multi"),
                changes=snapshot_changes(
                    previous.snapshot if previous else None, benchmark.snapshot
                ),
            )
        )
    return rows


# The admin's hardware sections: the scalar columns of each schema section (lists, such as
# CPU flags and DIMMs, are shown as tables of their own).
SNAPSHOT_SECTIONS: tuple[tuple[str, tuple[schema.StoredField, ...]], ...] = tuple(
    (title, tuple(f for f in fields if f.json_schema["type"] != "array"))
    for title, fields in schema.hardware_sections()
)


def _size_mb(mb: int) -> str:
    return f"{_gb(mb)} GB" if mb >= 1024 else f"{mb} MB"


def _size_kb(kb: int) -> str:
    return f"{kb / 1024:g} MB" if kb >= 1024 else f"{kb} KB"


_UNITS = {
    "mb": _size_mb,
    "kb": _size_kb,
    "ghz": lambda v: f"{v:g} GHz",
    "w": lambda v: f"{v:g} W",
}


def _display(field: schema.StoredField, value: Any) -> tuple[str, Any]:
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
        ("CPU flags", len(a.cpu_flags or []), len(b.cpu_flags or [])),
    ]
    sections.append(("Devices", [(label, x, y, x != y) for label, x, y in extra if x or y]))
    return sections


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


SNAPSHOT_LIST_LIMIT = 20


def device_story(device: Device) -> dict[str, Any]:
    """Everything the device page shows about the machine, in a handful of queries."""
    history = device_history(device)
    snapshots = list(
        device.snapshots.defer("raw").order_by("-captured_at", "-id")[: SNAPSHOT_LIST_LIMIT + 1]
    )
    for index, snapshot in enumerate(snapshots):
        following = snapshots[index + 1] if index + 1 < len(snapshots) else None
        snapshot.previous_id = following.pk if following else None
    latest_snapshot = snapshots[0] if snapshots else None
    latest = history[0].benchmark if history else None
    benchmarks_count = len(history) if len(history) < HISTORY_LIMIT else device.benchmarks.count()
    storage = (latest_snapshot.storage or {}) if latest_snapshot else {}
    network = (latest_snapshot.network or {}) if latest_snapshot else {}
    return {
        "snapshot": latest_snapshot,
        "sections": snapshot_sections(latest_snapshot) if latest_snapshot else [],
        "disks": [d for d in storage.get("devices") or [] if isinstance(d, dict)],
        "partitions": [p for p in storage.get("partitions") or [] if isinstance(p, dict)],
        "interfaces": [i for i in network.get("interfaces") or [] if isinstance(i, dict)],
        "latest": latest,
        "latest_scores": [(name, getattr(latest, f"{name}_score")) for name in CATEGORIES]
        if latest
        else [],
        "history": history,
        "history_truncated": benchmarks_count > len(history),
        "benchmarks_count": benchmarks_count,
        "snapshots": snapshots[:SNAPSHOT_LIST_LIMIT],
    }
