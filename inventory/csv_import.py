"""Devices from a spreadsheet: `manage.py import_devices FILE.csv` and the admin's Import CSV
page. A file is read whole and checked (`csv_read`), what it would change is worked out against
the database (`import_plan`), and only then written, all or nothing (`devices_import`).

Columns: `hostname` (required), `fqdn`, `description`, `asset_tag`, `location`, `owner`, `tags`
(names separated by `;`, or a JSON list as the devices CSV export writes it), `purchased_on`,
`warranty_until`, `retired_on` (YYYY-MM-DD). A device is found
by hostname, case-insensitively, and updated; a missing one is created. Only the columns the
file has are written: a file of hostnames and locations leaves owners alone, and an empty cell
of a present column clears that field. Other columns are ignored, so the devices export
(`manage.py export --what devices --format csv`) imports back unchanged.
"""

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import changelog, lifecycle
from .csv_file import (  # noqa: F401 (the import's API, for its command and its admin page)
    COLUMNS,
    DATE_COLUMNS,
    MAX_ROWS,
    TEXT_COLUMNS,
    ImportFileError,
    Row,
    csv_read,
)
from .models import Device, Tag, tag_key
from .renames import former_hostnames_list
from .selectors import tags_unknown
from .services import devices_service_foreseen, devices_service_told, tags_resolve

MSG_AMBIGUOUS = "hostname {hostname!r} matches several devices: {names}."
MSG_STALE = "The devices changed since the preview: review the import again."
MSG_NO_NEW_TAGS = (
    "No tag is named {names} yet, and your account may not add tags: use the existing tags, "
    "or ask for the permission to add tags."
)
MSG_CONFLICT = (
    "The database refused a device: its hostname is already taken once the database folds its "
    "case ({detail}). Write that device's hostname as it is stored."
)


@dataclass(frozen=True)
class DeviceChange:
    """What the import does to one device: created with these values, or these changes."""

    line: int
    hostname: str
    device_id: int | None  # None: a new device
    changes: dict[str, tuple[Any, Any]]  # field: (old, new)
    # what else the change does, said by the apps above in the preview (a retirement date set
    # "closes 2 open attention items: …"); not part of the fingerprint: not what is written
    consequences: tuple[str, ...] = ()


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
        [name for name in ("hostname", *TEXT_COLUMNS, *DATE_COLUMNS) if name in rows[0].values]
        if rows
        else []
    )
    # a file with some of the dates: the others as stored, for checking them together
    dated = [name for name in DATE_COLUMNS if name in columns]
    stored_dates = [name for name in DATE_COLUMNS if name not in columns] if dated else []
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
    # locked in the order of their ids, as a rescore's batch and an unmuting lock them: in the
    # table's order each waited for the other's (a deadlock, one of them rolled back)
    ids = sorted(matched)
    for chunk in _chunks(ids):
        devices = Device.objects.filter(pk__in=chunk).order_by("pk")
        if lock:
            devices = devices.select_for_update()
        for values in devices.values("pk", *columns, *stored_dates):
            current[values.pop("pk")] = values
        if with_tags:
            pairs = Device.tags.through.objects.filter(device_id__in=chunk)
            for pk in chunk:
                current.setdefault(pk, {})["tags"] = []
            for device_id, name in pairs.values_list("device_id", "tag__name"):
                current[device_id]["tags"].append(name)
    plan = ImportPlan()
    matched_rows = {id(row): pk for pk, row in matched.items()}
    # a name an existing tag has, whatever its case, is that tag, as stored (the preview said
    # "tags – → Compta" of the tag "compta", which the device then had); a new one written in
    # two cases is the one tag the import makes, of the first spelling in sorted order (as
    # services.tags_resolve is given them)
    names = sorted({n for row in rows for n in row.values["tags"]}) if with_tags else []
    stored = {name: tag.name for name, tag in Tag.objects.named(names).items()}
    made = {}
    for name in names:
        made.setdefault(tag_key(name), name)
    for row in rows:
        after = dict(row.values)
        if with_tags:
            tags = (stored.get(name) or made[tag_key(name)] for name in after["tags"])
            after["tags"] = changelog.tag_names(dict.fromkeys(tags))
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
        for name in TEXT_COLUMNS:  # a spreadsheet saves a cell's line breaks as LF alone
            value = before.get(name)
            if isinstance(value, str) and _lines(value) == _lines(after.get(name)):
                after[name] = value  # a browser's CRLF (the admin's description): no change
        if stored_dates:  # the file's dates with the stored ones (csv_file checked its own)
            together = {**before, **after}
            problems = lifecycle.lifecycle_errors(together, today=lifecycle.today())
            errors += [f"line {row.line}: {problem}" for problem in problems.values()]
        changes = changelog.field_changes(before, after)
        if changes:
            plan.updated.append(DeviceChange(row.line, after["hostname"], pk, changes))
        else:
            plan.unchanged += 1
    if errors:
        raise ImportFileError(errors)
    _former_names(plan)
    return plan


MSG_FORMER_NAME = (
    "{hostname} is a former name of {device}: this row adds another device (write {device} "
    "to change that one)"
)


def _former_names(plan: ImportPlan) -> None:
    """A new device named as a device was before its rename (an older spreadsheet's row of
    pc-10, renamed acct-10 since) says so: the search and the device list call acct-10
    "formerly pc-10", and the preview said "pc-10 (new)" of a second machine. One query, of the
    devices renamed once at least."""
    if not plan.created:
        return
    renamed = Device.objects.exclude(former_hostnames="").values_list(
        "hostname", "former_hostnames"
    )
    formerly = {
        name.lower(): hostname
        for hostname, former in renamed.iterator(chunk_size=2000)
        for name in former_hostnames_list(former)
    }
    for index, change in enumerate(plan.created):
        if (device := formerly.get(change.hostname.lower())) is not None:
            said = MSG_FORMER_NAME.format(hostname=change.hostname, device=device)
            plan.created[index] = replace(change, consequences=(said,))


def _lines(text: str | None) -> str | None:
    return text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else text


def _tag_names(plan: ImportPlan) -> set[str]:
    """Every tag the plan assigns, by name as written."""
    return {
        name
        for change in (*plan.created, *plan.updated)
        if "tags" in change.changes
        for name in change.changes["tags"][1]
    }


def _tag_ids(plan: ImportPlan) -> dict[str, int]:
    """Every tag the plan assigns, by name as written, resolved once (created when missing)."""
    names = _tag_names(plan)
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
    # a new device's values, not old → new (there was no "" before it: 'hostname "" → "pc-9"')
    entries = [
        changelog.Entry(
            device,
            "Created by CSV import: "
            + "; ".join(
                f"{name} {changelog.shown(new)}" for name, (_, new) in change.changes.items()
            ),
            True,
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
    devices_service_told(
        {c.device_id: c.changes["retired_on"] for c in plan.updated if "retired_on" in c.changes}
    )


def _foreseen(plan: ImportPlan) -> None:
    """Each change of a retirement date with what it will do beyond the device's row (its
    attention items closed or reopened): one question to the apps above per 500 such devices,
    whatever the number of rows."""
    dated = [index for index, c in enumerate(plan.updated) if "retired_on" in c.changes]
    for chunk in _chunks(dated):
        changes = [plan.updated[index] for index in chunk]
        said = devices_service_foreseen({c.device_id: c.changes["retired_on"] for c in changes})
        for index, change in zip(chunk, changes, strict=True):
            if change.device_id in said:
                plan.updated[index] = replace(change, consequences=tuple(said[change.device_id]))


def foreseen_beyond(changes: Sequence[DeviceChange], shown: int) -> list[DeviceChange]:
    """Of `changes` past the first `shown` (the ones a preview lists), those that do more than
    their row (their consequences: attention items a retirement date closes or reopens), which
    a preview names all the same: counted only, they went unsaid."""
    return [change for change in changes[shown:] if change.consequences]


def devices_import(
    *,
    rows: Sequence[Row],
    actor: Any,
    dry_run: bool = False,
    expected: str | None = None,
    may_add_tags: bool = True,
) -> ImportPlan:
    """Create and update devices from `rows` (csv_read's), all or nothing in one transaction,
    each change in the device's history as done by `actor`. With `dry_run`, nothing is
    written, and each change says what else it will do (DeviceChange.consequences). With
    `expected` (the fingerprint of a preview), refuses with ImportFileError when the plan is
    no longer the one previewed. Without `may_add_tags`, refuses a tag name no tag has yet
    (the admin's account that may not add tags)."""
    try:
        with transaction.atomic():
            plan = import_plan(rows, lock=not dry_run)
            if expected is not None and plan.fingerprint != expected:
                raise ImportFileError([MSG_STALE])
            if not may_add_tags and (unknown := tags_unknown(sorted(_tag_names(plan)))):
                raise ImportFileError([MSG_NO_NEW_TAGS.format(names=changelog.shown(unknown))])
            if dry_run:
                _foreseen(plan)
            else:
                _apply(plan, actor=actor)
    except IntegrityError as error:
        # hostnames are matched here as Python folds case; the unique index folds it as the
        # database does (PostgreSQL's LOWER() and Python's lower() differ on a few letters,
        # Greek final sigma among them): a clash the plan did not see, rolled back whole
        detail = str(error).strip().splitlines()[-1]
        raise ImportFileError([MSG_CONFLICT.format(detail=detail)]) from None
    return plan
