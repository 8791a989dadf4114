"""Devices, snapshots, benchmarks, documents, links and attention items as JSON or CSV, streamed
in constant memory.

One code path for `manage.py export` and `GET /api/export`: `export_stream()` yields text
chunks read from the database with `.iterator(chunk_size=…)`, so memory stays flat whatever
the size of the fleet's history.

Columns are every concrete field of the model (`device_id`, not `device`), plus `tags` (a list
of names) for devices and `device_hostname` for the others; the devices' latest hardware
last, in plain values (inventory.summary's `hw_` columns), for who may read the hardware (and
only then the device's own columns that copy it, OF_HARDWARE). JSON
is one array of objects, JSON-typed fields as JSON values. CSV has a header row; a cell holds
a JSON-typed field (tags, cpu_flags, ram_layout, storage, network, raw, results, …) as JSON
text, a boolean as `true`/`false`, a missing value (NULL) as an empty cell, a date-time in
ISO 8601 in UTC (Z). Values are exported exactly as stored (no spreadsheet formula escaping):
open a CSV in a spreadsheet as text if untrusted machines submit data.
"""

import csv
import datetime
import functools
import json
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

from django.db import models

from benchmarks.models import Benchmark
from documents.models import Document
from insights.delivery import reason_closed
from insights.models import AttentionItem
from inventory.csv_file import cell_escaped
from inventory.models import Device, HardwareSnapshot, ManufacturerLink
from inventory.summary import COLUMNS as HARDWARE_COLUMNS
from inventory.summary import summarised, summary_read

FORMATS = ("json", "csv")
# what else is exported, each row with its device's id and hostname: a document's metadata
# (its file is in the backups), a manufacturer link, an attention item open or closed
OF_DEVICES = {
    "snapshots": HardwareSnapshot,
    "benchmarks": Benchmark,
    "documents": Document,
    "links": ManufacturerLink,
    "attention": AttentionItem,
}
WHATS = ("devices", *OF_DEVICES)
# the device's own columns that copy its latest hardware (its CPU and system model, as the peers
# are matched, and which snapshot is the latest): exported with that hardware, to who may read it
OF_HARDWARE = {"cpu_model_key", "system_model_key", "latest_snapshot_id", "latest_snapshot_at"}
# left out, as the API leaves them out: who closed an item (an admin account's name, which a
# read token on every benchmarked machine would read) and where a file is stored
NOT_EXPORTED = {"attention": {"closed_by"}, "documents": {"stored_name"}}
CONTENT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}

CHUNK_SIZE = 2000  # rows per database round trip
FLUSH_BYTES = 64 * 1024  # text handed to the writer (file, socket) at a time

MSG_BAD_FORMAT = "Unknown format {value!r}: expected one of " + ", ".join(FORMATS) + "."
MSG_BAD_WHAT = "Unknown what {value!r}: expected one of " + ", ".join(WHATS) + "."


class ExportError(ValueError):
    """A bad export request; `parameter` names the offending argument."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "json", "datetime", "bool", "uuid" or "plain"


def _kind(field: models.Field) -> str:
    if isinstance(field, models.JSONField):
        return "json"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.UUIDField):
        return "uuid"
    return "plain"


def _model_columns(model: type[models.Model]) -> list[Column]:
    return [Column(f.attname, _kind(f)) for f in model._meta.concrete_fields]


def columns(what: str, *, hardware: bool = False) -> list[Column]:
    """The exported columns of `what`, in order (the CSV header); `hardware`: the devices'
    latest hardware after them."""
    if what == "devices":
        # the name a person looks for first, right after the id (a spreadsheet's column B)
        cols = [c for c in _model_columns(Device) if hardware or c.name not in OF_HARDWARE]
        first = [c for c in cols if c.name in ("id", "hostname")]
        summary = [Column(name, "plain") for name in HARDWARE_COLUMNS] if hardware else []
        return [*first, *(c for c in cols if c not in first), Column("tags", "json"), *summary]
    left_out = NOT_EXPORTED.get(what, ())
    cols = [c for c in _model_columns(OF_DEVICES[what]) if c.name not in left_out]
    if what == "attention":
        # why it closed, as the API says it (acknowledged, resolved, device_retired), in place
        # of who closed it: an export told an acknowledged item from a resolved one no way
        at = [c.name for c in cols].index("closed_at") + 1
        cols = [*cols[:at], Column("closed_reason", "plain"), *cols[at:]]
    at = [c.name for c in cols].index("device_id") + 1
    return [*cols[:at], Column("device_hostname", "plain"), *cols[at:]]


def _chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _device_rows(
    chunk_size: int, ids: Collection[int] | None = None, *, hardware: bool = False
) -> Iterator[dict]:
    names = [c.name for c in _model_columns(Device) if hardware or c.name not in OF_HARDWARE]
    devices = Device.objects.order_by("pk")
    if ids is not None:
        devices = devices.filter(pk__in=ids)
    # the latest hardware in the same query: a join, and of the storage the disks' sizes alone
    rows = devices.values(*names, **(summary_read() if hardware else {})).iterator(
        chunk_size=chunk_size
    )
    through = Device.tags.through
    for batch in _chunks(rows, chunk_size):
        # one query per chunk for the tags of its devices (prefetching, kept flat)
        tags: dict[int, list[str]] = {}
        pairs = (
            through.objects.filter(device_id__in=[row["id"] for row in batch])
            .order_by("tag__name")
            .values_list("device_id", "tag__name")
        )
        for device_id, name in pairs:
            tags.setdefault(device_id, []).append(name)
        for row in batch:
            row["tags"] = tags.get(row["id"], [])
            if hardware:
                summarised(row)
            yield row


def _related_rows(what: str, chunk_size: int, ids: Collection[int] | None = None) -> Iterator[dict]:
    computed = {"device_hostname", "closed_reason"}
    names = [c.name for c in columns(what) if c.name not in computed]
    objects = OF_DEVICES[what].objects.order_by("pk")
    if ids is not None:
        objects = objects.filter(pk__in=ids)
    if what == "attention":
        names.append("closed_by")
    rows = objects.values(*names, device_hostname=models.F("device__hostname")).iterator(
        chunk_size=chunk_size
    )
    if what != "attention":
        yield from rows
        return
    for row in rows:
        row["closed_reason"] = reason_closed(row["closed_at"], row.pop("closed_by"))
        yield row


def export_rows(
    *,
    what: str,
    chunk_size: int = CHUNK_SIZE,
    ids: Collection[int] | None = None,
    hardware: bool = False,
) -> Iterator[dict]:
    """Every row of `what` (or those with these ids: an admin selection) as dicts, by id;
    `hardware`: the devices' latest hardware too (columns(hardware=True))."""
    if what == "devices":
        return _device_rows(chunk_size, ids, hardware=hardware)
    if what in OF_DEVICES:
        return _related_rows(what, chunk_size, ids)
    raise ExportError("what", MSG_BAD_WHAT.format(value=what))


def _iso(value: datetime.datetime | datetime.date) -> str:
    """A time as the API writes it, UTC with a Z (…T20:02:09.726436Z: it read +00:00 here and
    Z there), to the microsecond (DjangoJSONEncoder would cut them): an export round-trips."""
    text = value.isoformat()
    if isinstance(value, datetime.datetime) and value.utcoffset() == datetime.timedelta(0):
        return text.removesuffix("+00:00") + "Z"
    return text


def _json_default(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return _iso(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json_chunks(rows: Iterable[dict], cols: list[Column]) -> Iterator[str]:
    names = [c.name for c in cols]
    encoder = json.JSONEncoder(ensure_ascii=False, default=_json_default, allow_nan=False)
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + encoder.encode({name: row[name] for name in names})
        separator = ",\n"
    yield "\n]\n" if separator != "\n" else "]\n"


def _csv_cell(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "datetime":
        return _iso(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


class _Line:
    """A file-like object for csv.writer that hands back what it is given."""

    def write(self, value: str) -> str:
        return value


def _csv_chunks(
    rows: Iterable[dict], cols: list[Column], *, spreadsheet: bool = False
) -> Iterator[str]:
    """Text values as stored, but for one that starts with an apostrophe before a formula-like
    character, which gets one more (inventory.csv_file.cell_escaped), so that the devices CSV
    imports back unchanged. `spreadsheet`: a UTF-8 BOM first (Excel reads UTF-8 only after one),
    and a text cell that a spreadsheet would run as a formula (a hostname `=HYPERLINK(…)` sent
    by a machine) kept as text by a leading apostrophe, which the import drops. Numbers are left
    alone: -3 stays a number."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield ("\ufeff" if spreadsheet else "") + writer.writerow([c.name for c in cols])
    for row in rows:
        cells = []
        for c in cols:
            value = row[c.name]
            cell = _csv_cell(value, c.kind)
            if isinstance(value, str) and c.kind == "plain":
                cell = cell_escaped(cell, spreadsheet=spreadsheet)
            cells.append(cell)
        yield writer.writerow(cells)


def _buffered(pieces: Iterable[str], size: int) -> Iterator[str]:
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)


def validate(*, fmt: str, what: str) -> None:
    if fmt not in FORMATS:
        raise ExportError("format", MSG_BAD_FORMAT.format(value=fmt))
    if what not in WHATS:
        raise ExportError("what", MSG_BAD_WHAT.format(value=what))


class ExportStream:
    """The whole export as text chunks of about FLUSH_BYTES; `rows` counts the rows emitted.

    Raises ExportError at construction for a bad format or `what`, before any output.
    """

    def __init__(
        self,
        *,
        fmt: str,
        what: str,
        chunk_size: int = CHUNK_SIZE,
        ids: Collection[int] | None = None,
        spreadsheet: bool = False,
        hardware: bool = False,
    ):
        """`spreadsheet`: CSV for a spreadsheet (_csv_chunks), as the admin downloads.
        `hardware`: the devices' latest hardware in their last columns, for who may read it
        (a token, an account that may view the snapshots, the command)."""
        validate(fmt=fmt, what=what)
        self.fmt, self.what, self.chunk_size, self.ids = fmt, what, chunk_size, ids
        self.spreadsheet = spreadsheet
        self.hardware = hardware and what == "devices"
        self.rows = 0

    def _counted(self, rows: Iterable[dict]) -> Iterator[dict]:
        for row in rows:
            self.rows += 1
            yield row

    def __iter__(self) -> Iterator[str]:
        render: Callable[[Iterable[dict], list[Column]], Iterator[str]] = (
            _json_chunks
            if self.fmt == "json"
            else functools.partial(_csv_chunks, spreadsheet=self.spreadsheet)
        )
        rows = self._counted(
            export_rows(
                what=self.what, chunk_size=self.chunk_size, ids=self.ids, hardware=self.hardware
            )
        )
        return _buffered(render(rows, columns(self.what, hardware=self.hardware)), FLUSH_BYTES)


def export_filename(*, fmt: str, what: str, now: datetime.datetime) -> str:
    return f"benchtools-{what}-{now:%Y%m%d-%H%M%S}.{fmt}"
