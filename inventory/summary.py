"""A machine's latest hardware in the few plain values an inventory spreadsheet reads: the
devices export's `hw_` columns (its system, CPU, RAM in GB, GPU, disks as one text, OS release,
kernel and BIOS). The devices export gave every field of the device row and none of its
hardware, which only the snapshots export had: a row per snapshot, its disks as JSON text.

Read with the devices themselves, in the same query: the latest snapshot's stored columns
through the device's `latest_snapshot` (one join), and of its `storage` only each disk's model
and capacity, taken out inside the database (inventory.readings_sql), never the JSON whole.
The names begin with `hw_`: no device field has one, so none is ever mistaken for a device's
own, and the CSV import ignores them (the devices CSV export imports back unchanged).
"""

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db.models import F, Func, JSONField

from . import readings_sql
from .columns import one_line
from .history import gb
from .releases import release_name

PREFIX = "hw_"
# the latest snapshot's stored columns given as they are, in the sheet's order with the others
STORED = ("system_vendor", "system_model", "cpu_model", "cpu_cores", "cpu_threads")
FIRMWARE = ("kernel_version", "bios_version")
# the columns, in order: the RAM in GB as the device page reads it (a spreadsheet's column of
# 15842 MB read as nothing anyone bought), the disks ("Samsung SSD 980 (1 TB); 2 × WD Red
# (4 TB)"), the OS release as the device list's OS filter names it
COLUMNS = tuple(
    PREFIX + name for name in (*STORED, "ram_gb", "gpu_model", "disks", "os", *FIRMWARE)
)
_READ = (*STORED, "gpu_model", *FIRMWARE, "ram_total_mb", "os_name", "os_version")
_DISKS = "disks"


class DiskSizes(Func):
    """Each disk of a snapshot's `storage` as [model, capacity_gb] (a JSON list), read inside
    the database: the rest of the storage (its partitions, SMART attributes, 4,096 disks' worth
    on a storage server) stays there. NULL or [] without a disk."""

    output_field = JSONField()

    def as_sql(self, compiler, connection, **extra):
        vendor = connection.vendor
        disk = ", ".join(readings_sql.value(vendor, name) for name in ("model", "capacity_gb"))
        listed = (
            "(%(expressions)s -> 'devices')"
            if vendor == "postgresql"
            else "json_extract(%(expressions)s, '$.devices')"
        )
        aggregate = (
            f"jsonb_agg(jsonb_build_array({disk}))"
            if vendor == "postgresql"
            else f"json_group_array(json_array({disk}))"
        )
        # every name here is this module's or Django's own column: no request text
        template = (
            f"(SELECT {aggregate} FROM {readings_sql.disks_from(vendor, listed)}"  # noqa: S608
            f" WHERE {readings_sql.is_object(vendor)})"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


def summary_read() -> dict[str, Any]:
    """What a devices query's .values() reads for the summary (summarised() turns it into the
    columns): its latest snapshot's few columns and its disks, NULL without a snapshot."""
    return {
        **{PREFIX + name: F(f"latest_snapshot__{name}") for name in _READ},
        PREFIX + _DISKS: DiskSizes("latest_snapshot__storage"),
    }


def summarised(row: dict[str, Any]) -> None:
    """The row's summary_read() values made its COLUMNS, in place (a missing value None)."""
    read = {name: row.pop(PREFIX + name) for name in (*_READ, _DISKS)}
    mb, os = read["ram_total_mb"], release_name(read["os_name"] or "", read["os_version"] or "")
    values = {
        **{name: read[name] for name in (*STORED, "gpu_model", *FIRMWARE)},
        "ram_gb": None if mb is None else gb(mb),
        "disks": disks_text(read[_DISKS] or ()) or None,
        "os": os,
    }
    for name in COLUMNS:
        value = values[name.removeprefix(PREFIX)]
        row[name] = None if value == "" else value


def disk_size(capacity_gb: float) -> str:
    """A disk's capacity as it is sold, in decimal units: 1000.2 → "1 TB", 1920.4 → "1.9 TB",
    500.1 → "500 GB"."""
    if capacity_gb >= 1000:
        return f"{capacity_gb / 1000:.1f}".removesuffix(".0") + " TB"
    if capacity_gb >= 10:
        return f"{capacity_gb:.0f} GB"
    return f"{capacity_gb:.1f}".removesuffix(".0") + " GB"


def sold_size(capacity_gb: Any) -> str | None:
    """disk_size() of a capacity as a snapshot holds it; None for none, 0 or no number."""
    number = isinstance(capacity_gb, int | float) and not isinstance(capacity_gb, bool)
    return disk_size(capacity_gb) if number and capacity_gb > 0 else None


def disk_label(model: str, size: str | None) -> str:
    """A disk as people tell it apart: "WD Red (4 TB)", "disk (50 GB)" of a VM's, its model."""
    return f"{model or 'disk'} ({size})" if size else model


def disks_text(disks: Iterable[Any]) -> str:
    """The disks as one text, alike ones counted: "Samsung SSD 980 1TB (1 TB); 2 × WD Red
    (4 TB)"; a disk without a model (a VM's) by its size alone, "disk (50 GB)"."""
    labels: Counter[str] = Counter()
    for disk in disks:
        model, capacity = disk if isinstance(disk, list) and len(disk) == 2 else (None, None)
        model = one_line(model) if isinstance(model, str) else ""
        size = sold_size(capacity)
        if model or size:
            labels[disk_label(model, size)] += 1
    return "; ".join(
        f"{count} × {label}" if count > 1 else label for label, count in sorted(labels.items())
    )
