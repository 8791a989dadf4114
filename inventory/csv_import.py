"""Devices from a spreadsheet: `manage.py import_devices FILE.csv` and the admin's Import CSV
page. A file is read whole and checked (`csv_read`), what it would change is worked out against
the database (`import_plan`), and only then written, all or nothing (`devices_import`).

Columns: `hostname` (required), `fqdn`, `description`, `asset_tag`, `location`, `owner`, `tags`
(names separated by `;`, or a JSON list as the devices CSV export writes it). A device is found
by hostname, case-insensitively, and updated; a missing one is created. Only the columns the
file has are written: a file of hostnames and locations leaves owners alone, and an empty cell
of a present column clears that field. Other columns are ignored, so the devices export
(`manage.py export --what devices --format csv`) imports back unchanged.
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import changelog
from .models import Device, Tag
from .services import tags_resolve
from .validators import validate_hostname

# A cell may be as long as a device's description (a TextField): past csv's default 128 KiB
# limit, the devices export would not import back. Process-wide: csv keeps one limit.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

TEXT_COLUMNS = ("fqdn", "description", "asset_tag", "location", "owner")
COLUMNS = ("hostname", *TEXT_COLUMNS, "tags")
# The largest file taken at once, in rows: an office's inventory is hundreds of machines; past
# this a file is refused whole (perf/import_devices.py: 10,000 rows import in a few seconds, an
# admin request's worth). Split a larger file.
MAX_ROWS = 10_000
MAX_TAGS = 100  # per device, as PATCH /api/devices accepts
MAX_ERRORS = 50  # reported at once: a file wrong on every line is wrong for one reason

MSG_ENCODING = (
    "The file is not UTF-8 text ({detail}). Save it as CSV UTF-8 (with or without a BOM)."
)
MSG_EMPTY = "The file is empty: the first line must name the columns, with hostname among them."
MSG_NO_HOSTNAME = "No hostname column: the first line must name the columns (hostname, {known})."
MSG_DUPLICATE_COLUMN = "The column {name!r} appears twice."
MSG_TOO_MANY_ROWS = "More than {limit:,} devices: split the file (at most {limit:,} rows a file)."
MSG_HOSTNAME_EMPTY = "hostname is empty."
MSG_HOSTNAME_REPEATED = "hostname {hostname!r} already appears on line {line} (case-insensitive)."
MSG_TOO_LONG = "{name} is {length} characters long; at most {limit}."
MSG_NUL = "{name} contains a NUL character."
MSG_EXTRA_CELLS = (
    "{count} cells where the first line names {columns} columns: is a value with the "
    'separator in it unquoted? (write "Building 3, Floor 2" in quotes)'
)
MSG_TAGS_JSON = "tags starts with '[' but is not a JSON list of names ({problem})."
MSG_TAG_TOO_LONG = "tag {tag!r} is longer than {limit} characters."
MSG_TOO_MANY_TAGS = "more than {limit} tags."
MSG_AMBIGUOUS = "hostname {hostname!r} matches several devices: {names}."
MSG_MORE_ERRORS = "... and {count} more errors."
MSG_STALE = "The devices changed since the preview: review the import again."
MSG_CONFLICT = (
    "The database refused a device: its hostname is already taken once the database folds its "
    "case ({detail}). Write that device's hostname as it is stored."
)


class ImportFileError(ValueError):
    """A file that cannot be imported; `errors` name the line of each problem."""

    def __init__(self, errors: Sequence[str]):
        shown = list(errors[:MAX_ERRORS])
        if len(errors) > MAX_ERRORS:
            shown.append(MSG_MORE_ERRORS.format(count=len(errors) - MAX_ERRORS))
        super().__init__("\n".join(shown))
        self.errors = shown


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts in the file (the header is line 1)
    values: dict[str, Any]  # hostname and the other columns the file has; tags as a list


def _max_length(name: str) -> int | None:
    return Device._meta.get_field(name).max_length


TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError([MSG_ENCODING.format(detail="it is UTF-16")])
    try:
        return data.decode("utf-8-sig")  # the BOM spreadsheets write is dropped
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        detail = f"line {line}: byte 0x{data[error.start]:02x} is not UTF-8"
        raise ImportFileError([MSG_ENCODING.format(detail=detail)]) from None


def _delimiter(text: str) -> str:
    """The header's separator: a comma, or what a spreadsheet saves otherwise (a semicolon
    where the comma is the decimal mark, as European Excel does; a tab) when the header,
    read with commas, is one column naming hostname with one of those in it."""
    first = text.split("\n", 1)[0]
    if "," not in first and "hostname" in first.lower():
        for other in (";", "\t"):
            if other in first:
                return other
    return ","


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each CSV record; a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFileError([f"line {start}: not valid CSV ({error})."]) from None
        yield start, cells
        start = reader.line_num + 1


def _until_unreadable(
    records: Iterator[tuple[int, list[str]]], errors: list[str]
) -> Iterator[tuple[int, list[str]]]:
    """The records up to one that is not valid CSV (an unclosed quote), whose error joins
    the errors of the lines before it: all of them are reported at once."""
    try:
        yield from records
    except ImportFileError as error:
        errors.extend(error.errors)


def _tags(cell: str) -> list[str]:
    cell = cell.strip()
    if cell.startswith("["):
        try:
            names = json.loads(cell)
        except ValueError as error:
            raise ValueError(MSG_TAGS_JSON.format(problem=f"invalid JSON: {error}")) from None
        if not isinstance(names, list):
            raise ValueError(MSG_TAGS_JSON.format(problem="not a list"))
        for position, name in enumerate(names, 1):
            if not isinstance(name, str):
                problem = f"item {position}, {json.dumps(name)}, is not a name in quotes"
                raise ValueError(MSG_TAGS_JSON.format(problem=problem))
    else:
        names = cell.split(";")
    # one tag per name whatever its case, as tags are matched ("GPU;gpu" is one tag)
    names = list({n.strip().lower(): n.strip() for n in reversed(names) if n.strip()}.values())[
        ::-1
    ]
    for name in names:
        if len(name) > TAG_MAX_LENGTH:
            raise ValueError(MSG_TAG_TOO_LONG.format(tag=name, limit=TAG_MAX_LENGTH))
    if len(names) > MAX_TAGS:
        raise ValueError(MSG_TOO_MANY_TAGS.format(limit=MAX_TAGS))
    return names


def _row_values(cells: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    problems = []
    for name, cell in cells.items():
        if "\x00" in cell:
            problems.append(MSG_NUL.format(name=name))
            continue
        if name == "tags":
            try:
                values["tags"] = _tags(cell)
            except ValueError as error:
                problems.append(str(error))
            continue
        # trimmed, as the admin's forms and the API trim what they are given
        value = cell.strip()
        limit = _max_length(name)
        if limit is not None and len(value) > limit:
            problems.append(MSG_TOO_LONG.format(name=name, length=len(value), limit=limit))
        values[name] = value
    if "hostname" in values and not values["hostname"]:
        problems.append(MSG_HOSTNAME_EMPTY)
    elif "hostname" in values:
        try:
            validate_hostname(values["hostname"])  # as the API and the admin check it
        except ValidationError as error:
            problems.extend(error.messages)
    return values, problems


def csv_read(data: bytes, *, max_rows: int | None = None) -> list[Row]:
    """The rows of a CSV file, checked; ImportFileError naming every bad line otherwise."""
    max_rows = MAX_ROWS if max_rows is None else max_rows
    records = _records(_decode(data))
    header = next(records, None)
    if header is None or not any(cell.strip() for cell in header[1]):
        raise ImportFileError([f"line 1: {MSG_EMPTY}"])
    names = [cell.strip().lower() for cell in header[1]]
    for name in COLUMNS:
        if names.count(name) > 1:
            raise ImportFileError([f"line 1: {MSG_DUPLICATE_COLUMN.format(name=name)}"])
    if "hostname" not in names:
        known = ", ".join(COLUMNS[1:])
        raise ImportFileError([f"line 1: {MSG_NO_HOSTNAME.format(known=known)}"])
    wanted = [(index, name) for index, name in enumerate(names) if name in COLUMNS]
    rows: list[Row] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for line, cells in _until_unreadable(records, errors):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or a row of empty cells a spreadsheet left behind
        if len(rows) >= max_rows:
            raise ImportFileError([MSG_TOO_MANY_ROWS.format(limit=max_rows)])
        # a spreadsheet drops trailing empty cells: a missing cell is an empty one
        values, problems = _row_values(
            {name: cells[index] if index < len(cells) else "" for index, name in wanted}
        )
        if any(cell.strip() for cell in cells[len(names) :]):  # and may leave empty ones
            problems.insert(0, MSG_EXTRA_CELLS.format(count=len(cells), columns=len(names)))
        key = values.get("hostname", "").lower()
        if key and key in seen:
            problems.append(
                MSG_HOSTNAME_REPEATED.format(hostname=values["hostname"], line=seen[key])
            )
        elif key:
            seen[key] = line
        errors.extend(f"line {line}: {problem}" for problem in problems)
        rows.append(Row(line, values))
    if errors:
        raise ImportFileError(errors)
    return rows


@dataclass(frozen=True)
class DeviceChange:
    """What the import does to one device: created with these values, or these changes."""

    line: int
    hostname: str
    device_id: int | None  # None: a new device
    changes: dict[str, tuple[Any, Any]]  # field: (old, new)


@dataclass
class ImportPlan:
    created: list[DeviceChange] = field(default_factory=list)
    updated: list[DeviceChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def fingerprint(self) -> str:
        """Identifies what the plan writes: the preview and its confirmation must agree."""
        digest = hashlib.sha256()
        for change in (*self.created, *self.updated):
            text = repr((change.device_id, change.hostname, sorted(change.changes.items())))
            digest.update(text.encode())
        return digest.hexdigest()


CHUNK = 500  # ids per IN (...) query: within every database's parameter limit


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_plan(rows: Sequence[Row], *, lock: bool = False) -> ImportPlan:
    """What importing `rows` changes now: one query for the fleet's hostnames, then one per
    500 matched devices for their current values (locked when `lock`) and their tags."""
    # matched in Python, like the file's own duplicates: SQLite's LOWER() folds ASCII only
    by_name: dict[str, list[tuple[int, str]]] = {}
    for pk, hostname in Device.objects.order_by().values_list("pk", "hostname"):
        by_name.setdefault(hostname.lower(), []).append((pk, hostname))
    columns = (
        [name for name in ("hostname", *TEXT_COLUMNS) if name in rows[0].values] if rows else []
    )
    with_tags = bool(rows) and "tags" in rows[0].values
    errors, matched = [], {}
    for row in rows:
        found = by_name.get(row.values["hostname"].lower(), [])
        if len(found) > 1:
            names = ", ".join(sorted(hostname for _, hostname in found))
            errors.append(
                f"line {row.line}: "
                + MSG_AMBIGUOUS.format(hostname=row.values["hostname"], names=names)
            )
        elif found:
            matched[found[0][0]] = row
    if errors:
        raise ImportFileError(errors)
    current: dict[int, dict[str, Any]] = {}
    ids = list(matched)
    for chunk in _chunks(ids):
        devices = Device.objects.filter(pk__in=chunk).order_by()
        if lock:
            devices = devices.select_for_update()
        for values in devices.values("pk", *columns):
            current[values.pop("pk")] = values
        if with_tags:
            pairs = Device.tags.through.objects.filter(device_id__in=chunk)
            for pk in chunk:
                current.setdefault(pk, {})["tags"] = []
            for device_id, name in pairs.values_list("device_id", "tag__name"):
                current[device_id]["tags"].append(name)
    plan = ImportPlan()
    matched_rows = {id(row): pk for pk, row in matched.items()}
    for row in rows:
        after = dict(row.values)
        if with_tags:
            after["tags"] = changelog.tag_names(after["tags"])
        pk = matched_rows.get(id(row))
        before = current.get(pk) if pk is not None else None
        if before is None:  # a new device (or one deleted since the hostnames were read)
            shown = {name: ("", value) for name, value in after.items() if value}
            plan.created.append(DeviceChange(row.line, after["hostname"], None, shown))
            continue
        if with_tags:
            before["tags"] = changelog.tag_names(before["tags"])
            if [n.lower() for n in before["tags"]] == [n.lower() for n in after["tags"]]:
                after["tags"] = before["tags"]  # tags match case-insensitively: no change
        changes = changelog.field_changes(before, after)
        if changes:
            plan.updated.append(DeviceChange(row.line, after["hostname"], pk, changes))
        else:
            plan.unchanged += 1
    return plan


def _tag_ids(plan: ImportPlan) -> dict[str, int]:
    """Every tag the plan assigns, by name as written, resolved once (created when missing)."""
    names = {
        name
        for change in (*plan.created, *plan.updated)
        if "tags" in change.changes
        for name in change.changes["tags"][1]
    }
    return {
        name: tag.pk for name, tag in zip(sorted(names), tags_resolve(sorted(names)), strict=True)
    }


def _apply(plan: ImportPlan, *, actor: Any) -> None:
    now = timezone.now()
    tag_ids = _tag_ids(plan)
    new = [
        Device(**{name: new for name, (_, new) in change.changes.items() if name != "tags"})
        for change in plan.created
    ]
    # bulk: one INSERT per 500 devices; the ids come back (RETURNING) for tags and history
    Device.objects.bulk_create(new, batch_size=CHUNK)
    edited: dict[frozenset, list[Device]] = {}
    for change in plan.updated:
        names = frozenset(name for name in change.changes if name != "tags")
        device = Device(pk=change.device_id, updated_at=now)
        for name in names:
            setattr(device, name, change.changes[name][1])
        edited.setdefault(names, []).append(device)
    for names, devices in edited.items():
        # one UPDATE per 500 devices that change the same columns: a column a row does not
        # change is not written. Django builds bulk_update's CASE WHEN in Python, one clause
        # per row and column: most of an update's time (perf/import_devices.py)
        Device.objects.bulk_update(devices, fields=(*sorted(names), "updated_at"), batch_size=CHUNK)
    through = Device.tags.through
    retagged = [
        (device.pk, change.changes["tags"][1])
        for device, change in (
            *zip(new, plan.created, strict=True),
            *((Device(pk=c.device_id), c) for c in plan.updated),
        )
        if "tags" in change.changes
    ]
    for chunk in _chunks([pk for pk, _ in retagged]):
        through.objects.filter(device_id__in=chunk).delete()
    through.objects.bulk_create(
        [through(device_id=pk, tag_id=tag_ids[name]) for pk, names in retagged for name in names],
        batch_size=CHUNK,
    )
    entries = [
        changelog.Entry(
            device, "Created by CSV import: " + changelog.describe_changes(change.changes), True
        )
        for device, change in zip(new, plan.created, strict=True)
    ]
    entries += [
        changelog.Entry(
            Device(pk=change.device_id, hostname=change.hostname),
            "Changed by CSV import: " + changelog.describe_changes(change.changes),
        )
        for change in plan.updated
    ]
    changelog.device_history_log(actor=actor, entries=entries)


def devices_import(
    *, rows: Sequence[Row], actor: Any, dry_run: bool = False, expected: str | None = None
) -> ImportPlan:
    """Create and update devices from `rows` (csv_read's), all or nothing in one transaction,
    each change in the device's history as done by `actor`. With `dry_run`, nothing is
    written. With `expected` (the fingerprint of a preview), refuses with ImportFileError when
    the plan is no longer the one previewed."""
    try:
        with transaction.atomic():
            plan = import_plan(rows, lock=not dry_run)
            if expected is not None and plan.fingerprint != expected:
                raise ImportFileError([MSG_STALE])
            if not dry_run:
                _apply(plan, actor=actor)
    except IntegrityError as error:
        # hostnames are matched here as Python folds case; the unique index folds it as the
        # database does (PostgreSQL's LOWER() and Python's lower() differ on a few letters,
        # Greek final sigma among them): a clash the plan did not see, rolled back whole
        detail = str(error).strip().splitlines()[-1]
        raise ImportFileError([MSG_CONFLICT.format(detail=detail)]) from None
    return plan
