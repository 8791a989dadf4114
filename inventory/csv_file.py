"""Reading a spreadsheet of devices (the first half of inventory.csv_import): the file
decoded (inventory.csv_text), split into records and each row checked, every bad line named
at once.

Columns: `hostname` (required), `fqdn`, `description`, `asset_tag`, `location`, `owner`, `tags`
(names separated by `;`, or a JSON list as the devices CSV export writes it), `purchased_on`,
`warranty_until`, `retired_on` (dates, YYYY-MM-DD), named in any case, with spaces or hyphens
for the underscore ("Asset Tag"). Others are ignored, and named: the export imports back."""

import csv
import datetime
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from . import lifecycle
from .csv_text import (  # noqa: F401 (MSG_WINDOWS_1252: the command's)
    MSG_WINDOWS_1252,
    ImportFileError,
    decoded,
    separator_hinted,
)
from .models import Device, Tag
from .selectors import tag_names_refused
from .validators import NoInvisibleCharacters, validate_hostname

# what a spreadsheet takes for the start of a formula in a text cell (OWASP, "CSV injection"):
# the admin's spreadsheet download (benchsite.export) keeps such a value as text with an
# apostrophe in front, which the import drops
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _quoted_formula(text: str) -> bool:
    # apostrophes, then what a spreadsheet would run: '=SUM(A1), ''-x
    return text.startswith("'") and text.lstrip("'").startswith(FORMULA_START)


def cell_escaped(text: str, *, spreadsheet: bool) -> str:
    """A text value as a CSV cell that the import reads back as that value. For a spreadsheet,
    a formula-like value gets an apostrophe in front (kept as text); in any CSV, so does a value
    that already has one there (an owner "'=SUM(A1)" as stored), which the import would
    otherwise take for that protection and drop."""
    if _quoted_formula(text) or (spreadsheet and text.startswith(FORMULA_START)):
        return "'" + text
    return text


def cell_unescaped(text: str) -> str:
    """The value of a (trimmed) cell: cell_escaped's apostrophe dropped; one a spreadsheet user
    typed to keep a formula-like value as text too."""
    return text[1:] if _quoted_formula(text) else text


# A cell may be as long as a device's description (a TextField): past csv's default 128 KiB
# limit, the devices export would not import back. Process-wide: csv keeps one limit.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

TEXT_COLUMNS = ("fqdn", "description", "asset_tag", "location", "owner")
DATE_COLUMNS = lifecycle.LIFECYCLE_FIELDS  # ISO dates, as the export writes them
COLUMNS = ("hostname", *TEXT_COLUMNS, "tags", *DATE_COLUMNS)
# The largest file taken at once, in rows: an office's inventory is hundreds of machines; past
# this a file is refused whole (perf/import_devices.py: 10,000 rows import in a few seconds, an
# admin request's worth). Split a larger file.
MAX_ROWS = 10_000
MAX_TAGS = 100  # per device, as PATCH /api/devices accepts

MSG_IGNORED = "Columns not imported (not known here): {names}."
# `{first}`: "the first line", or "line 2" below Excel's "sep=;" (csv_text.separator_hinted)
MSG_NO_ROWS = "No device below {first}: nothing to import."
MSG_EMPTY = "The file is empty: {first} must name the columns, with hostname among them."
MSG_BLANK_FIRST = "{First} is blank: it must name the columns, with hostname among them."
MSG_NO_HOSTNAME = "No hostname column: {first} must name the columns (hostname, {known})."
MSG_JSON = (
    "This is JSON, not a CSV file: export the devices as CSV (manage.py export --what devices "
    "--format csv, or /api/export?format=csv)."
)
MSG_DUPLICATE_COLUMN = "The column {name!r} appears twice."
MSG_TOO_MANY_ROWS = "More than {limit:,} devices: split the file (at most {limit:,} rows a file)."
MSG_HOSTNAME_EMPTY = "hostname is empty."
MSG_HOSTNAME_REPEATED = "hostname {hostname!r} already appears on line {line} (case-insensitive)."
MSG_TOO_LONG = "{name} is {length} characters long; at most {limit}."
MSG_NUL = "{name} contains a NUL character."
MSG_EXTRA_CELLS = (
    "{count} cells where {first} names {columns} columns: is a value with the "
    "separator in it unquoted? ({quoted})"
)
# the cells past the last column empty: a separator left at the line's end, or one unquoted
MSG_EXTRA_EMPTY = (
    "{count} cells where {first} names {columns} columns, those past the last empty: a "
    "separator left at the end of the line, or a value with the separator in it unquoted? "
    "({quoted})"
)
# how a value holding the file's separator is written (a semicolon file's hint showed a comma)
QUOTED = {
    ",": 'write "Building 3, Floor 2" in quotes',
    ";": 'write "Building 3; Floor 2" in quotes',
    "\t": "a value with a tab in it goes in quotes",
}
MSG_TAGS_JSON = "tags starts with '[' but is not a JSON list of names ({problem})."
MSG_TAG_TOO_LONG = "tag {tag!r} is longer than {limit} characters."
MSG_TOO_MANY_TAGS = "more than {limit} tags."
MSG_DATE = "{name} is not a date written YYYY-MM-DD: {value!r}."
MSG_NO_DAY = "{name} is written YYYY-MM-DD but is no day of the calendar: {value!r}."


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts in the file (the header is line 1)
    values: dict[str, Any]  # hostname and the other columns the file has; tags as a list


def _max_length(name: str) -> int | None:
    return Device._meta.get_field(name).max_length


TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
# the text columns' own rule (inventory.validators.NoInvisibleCharacters), by column
TEXT_CHECKS = {
    field.name: check
    for field in Device._meta.fields
    if field.name in TEXT_COLUMNS
    for check in field.validators
    if isinstance(check, NoInvisibleCharacters)
}


SHOWN_IGNORED = 100  # columns not imported, named (the export has 38); the others counted
SHOWN_LENGTH = 80  # characters of a value a message quotes: a 10 MB line was quoted whole


def _shown(text: str) -> str:
    """A value as a message quotes it: its first SHOWN_LENGTH characters and "…" past them."""
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH] + "…"


def _column(cell: str) -> str:
    """A header cell as the column it names: "Asset Tag", " asset-tag " and "ASSET_TAG" are
    asset_tag; "Purchase date", as the device form labels purchased_on, is purchased_on."""
    name = "_".join(cell.replace("-", " ").split()).lower()
    return _LABELED.get(name, name)


# each column by its label on the device form ("Purchase date", "Warranty end", "Retirement
# date"): a spreadsheet headed as the form reads had its dates left out, "not known here"
_LABELED = {
    "_".join(str(Device._meta.get_field(name).verbose_name).split()).lower(): name
    for name in COLUMNS
}


def _delimiter(text: str) -> str:
    """The separator of the first record that names hostname among its columns: a comma, or
    what a spreadsheet saves otherwise (a semicolon where the comma is the decimal mark, as
    European Excel does; a tab). Read as CSV, whatever ends the lines (Excel for the Mac
    ends them with CR) and whatever the header's texts hold (a comma in a column's name)."""
    for delimiter in (",", ";", "\t"):
        first = next(_reader(text, delimiter), [])
        if "hostname" in (_column(cell) for cell in first):
            return delimiter
    return ","


def _reader(text: str, delimiter: str, **options):  # `pc-12, "Room 5"`: its quotes were kept
    return csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True, **options
    )


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each CSV record; a quoted cell may span lines."""
    reader = _reader(text, delimiter, strict=True)
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
            raise ValueError(MSG_TAG_TOO_LONG.format(tag=_shown(name), limit=TAG_MAX_LENGTH))
    if len(names) > MAX_TAGS:
        raise ValueError(MSG_TOO_MANY_TAGS.format(limit=MAX_TAGS))
    return names


def _date(name: str, cell: str) -> datetime.date | None:
    """A date cell: empty is none (it clears the date); else YYYY-MM-DD, as the export and the
    API write it (a spreadsheet's 03/02/2021 is one day here and another there)."""
    text = cell.strip()
    if not text:
        return None
    if not lifecycle.ISO_DATE.fullmatch(text):
        raise ValueError(MSG_DATE.format(name=name, value=_shown(text)))
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:  # 2021-02-30: "not written YYYY-MM-DD" sent people looking at the format
        raise ValueError(MSG_NO_DAY.format(name=name, value=text)) from None


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
        if name in DATE_COLUMNS:
            try:
                values[name] = _date(name, cell)
            except ValueError as error:
                problems.append(str(error))
            continue
        # trimmed, as the admin's forms and the API trim what they are given; the apostrophe
        # that kept a formula-like value as text in the admin's spreadsheet download dropped
        value = cell_unescaped(cell.strip())
        limit = _max_length(name)
        if limit is not None and len(value) > limit:
            problems.append(MSG_TOO_LONG.format(name=name, length=len(value), limit=limit))
        values[name] = value
    # the dates this row has, checked as the admin and the API check them (against the stored
    # ones where the file lacks a column: inventory.csv_import)
    dates = {name: values[name] for name in DATE_COLUMNS if name in values}
    problems += lifecycle.lifecycle_errors(dates, today=lifecycle.today()).values()
    if "hostname" in values and not values["hostname"]:
        problems.append(MSG_HOSTNAME_EMPTY)
    elif "hostname" in values:
        try:
            validate_hostname(values["hostname"])  # as the API and the admin check it
        except ValidationError as error:
            problems.extend(error.messages)
    return values, problems


@dataclass(frozen=True)
class Sheet:
    rows: list[Row]
    notes: list[str]  # what was read otherwise than asked: the encoding, columns left out
    text: str  # the file as read


def csv_read(data: bytes, *, max_rows: int | None = None) -> Sheet:
    """The rows of a CSV file, checked; ImportFileError naming every bad line otherwise."""
    max_rows = MAX_ROWS if max_rows is None else max_rows
    text, notes = decoded(data)
    hinted = separator_hinted(text)
    delimiter = hinted or _delimiter(text)
    records = _records(text, delimiter)
    if hinted:
        next(records)  # the hint's line: the columns are named on the next
    head = f"line {2 if hinted else 1}"
    first = head if hinted else "the first line"  # the line that names the columns
    said = {"first": first, "First": first[0].upper() + first[1:]}
    header = next(records, None)
    if header is None or not any(cell.strip() for cell in header[1]):
        blank = hinted or (header is not None and text.strip())
        raise ImportFileError(
            [f"{head}: {(MSG_BLANK_FIRST if blank else MSG_EMPTY).format(**said)}"]
        )
    names = [_column(cell) for cell in header[1]]
    for name in COLUMNS:
        if names.count(name) > 1:
            raise ImportFileError([f"{head}: {MSG_DUPLICATE_COLUMN.format(name=name)}"])
    if "hostname" not in names:
        if text.lstrip().startswith(("[", "{")):  # the export's default format, given back
            raise ImportFileError([f"line 1: {MSG_JSON}"])
        known = ", ".join(COLUMNS[1:])
        raise ImportFileError([f"{head}: {MSG_NO_HOSTNAME.format(known=known, **said)}"])
    wanted = [(index, name) for index, name in enumerate(names) if name in COLUMNS]
    ignored = [
        cell.strip()
        for cell, name in zip(header[1], names, strict=True)
        if name and name not in COLUMNS
    ]
    if ignored:
        shown = ", ".join(_shown(name) for name in ignored[:SHOWN_IGNORED])
        if len(ignored) > SHOWN_IGNORED:
            shown += f" and {len(ignored) - SHOWN_IGNORED:,} more"
        notes.append(MSG_IGNORED.format(names=shown))
    rows: list[Row] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    padded: list[tuple[int, int, int]] = []  # (its place among the errors, line, cells)
    tagged: list[tuple[int, Row]] = []  # (the place after its errors, row)

    def extra_cells(count: int, *, empty: bool = False) -> str:
        return (MSG_EXTRA_EMPTY if empty else MSG_EXTRA_CELLS).format(
            count=count, columns=len(names), quoted=QUOTED[delimiter], **said
        )

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
            problems.insert(0, extra_cells(len(cells)))
        elif len(cells) > len(names):  # empty ones: a padding if every row has some
            padded.append((len(errors), line, len(cells)))
        key = values.get("hostname", "").lower()
        if key and key in seen:
            problems.append(
                MSG_HOSTNAME_REPEATED.format(hostname=_shown(values["hostname"]), line=seen[key])
            )
        elif key:
            seen[key] = line
        errors.extend(f"line {line}: {problem}" for problem in problems)
        rows.append(Row(line, values))
        tagged.append((len(errors), rows[-1]))
    # what is known once every row is read, said among the rows' other errors, in the file's
    # order (the first MAX_ERRORS are shown): (place, line, its order in the line, error)
    later: list[tuple[int, int, int, str]] = []
    # a new tag's name with an invisible character (an existing tag's, made before the rule,
    # is taken: an export imports back), on each line that names it
    refused = tag_names_refused(name for row in rows for name in row.values.get("tags", ()))
    for place, row in tagged if refused else ():
        later += [
            (place, row.line, i, f"line {row.line}: tag {_shown(name)!r}: {refused[name]}")
            for i, name in enumerate(row.values.get("tags", ()), 1)
            if name in refused
        ]
    # a location, owner, asset tag or description with an invisible character, as the admin's
    # form refuses it (one some device has, stored before the rule, is taken): one query a
    # column, where a query a cell took 20 s for an export of 10,000 such devices
    for name, check in TEXT_CHECKS.items():
        refused_text = check.refused_among(row.values.get(name) for row in rows)
        later += [
            (place, row.line, 0, f"line {row.line}: {name} {_shown(value)!r}: {check.message}")
            for place, row in (tagged if refused_text else ())
            if (value := row.values.get(name)) in refused_text
        ]
    # empty cells past the last column in some rows only, not all: an unquoted separator moved
    # the cells along (`Building 3, Floor 2,,` of 4 columns: "Floor 2" was its asset tag)
    if len(padded) < len(rows):
        later += [
            (at, line, 0, f"line {line}: {extra_cells(n, empty=True)}") for at, line, n in padded
        ]
    # from the last back, so that none moves another's place
    for place, *_, error in sorted(later, reverse=True):
        errors.insert(place, error)
    if errors:
        raise ImportFileError(errors)
    if not rows:  # it was said to match the devices as they are; no error: an empty fleet's
        # export (its header alone) imports back, doing nothing
        notes.append(MSG_NO_ROWS.format(**said))
    return Sheet(rows, notes, text)
