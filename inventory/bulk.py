"""Edits of many devices at once (the device list's Set location…, Set owner…, Add tags… and
Remove tags… in the admin): each kind of write one statement per 500 devices, whatever their
number, and each device that changes told in its history with its old and new value, as an
edit in the device's form is. A device that already has the value is left as it is: no write,
no history line, its `updated_at` kept.

Each function locks the devices' rows first, in one order (as device_update locks one): an
edit of one of them meanwhile is waited for, and the history compares with what is stored.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import changelog
from .models import Device, Tag
from .services import tags_resolve

FIELDS = ("location", "owner")  # the text fields set on many devices at once
HISTORY_PREFIX = "Changed by a bulk edit: "
CHUNK = 500  # ids per IN (...) query: within every database's parameter limit


@dataclass(frozen=True)
class BulkEdit:
    """What an edit did: how many of the devices changed, how many were so already; the tags
    it added or removed, and the ones it created (Add tags…)."""

    changed: int
    unchanged: int
    tags: list[Tag] = field(default_factory=list)
    created: list[Tag] = field(default_factory=list)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _locked(device_ids: Iterable[int], *fields: str) -> dict[int, dict[str, Any]]:
    """{pk: {"hostname": …, field: …}} of these devices (those deleted meanwhile left out),
    their rows locked in the order of their keys."""
    current = {}
    for chunk in _chunks(sorted(set(device_ids))):
        rows = Device.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
        for row in rows.values("pk", "hostname", *fields):
            current[row.pop("pk")] = row
    return current


def _tags_of(device_ids: Sequence[int]) -> dict[int, dict[int, str]]:
    """{device pk: {tag pk: tag name}} of these devices."""
    tags: dict[int, dict[int, str]] = {pk: {} for pk in device_ids}
    through = Device.tags.through.objects
    for chunk in _chunks(list(device_ids)):
        pairs = through.filter(device_id__in=chunk).values_list("device_id", "tag_id", "tag__name")
        for device_id, tag_id, name in pairs:
            tags[device_id][tag_id] = name
    return tags


def _record(
    current: dict[int, dict[str, Any]],
    changes: dict[int, dict[str, tuple[Any, Any]]],
    actor: Any,
    **values: Any,
) -> None:
    """The changed devices' `values` and `updated_at` (one UPDATE per 500) and their history
    lines (one INSERT), attributed to `actor`."""
    now = timezone.now()
    for chunk in _chunks(sorted(changes)):
        Device.objects.filter(pk__in=chunk).update(**values, updated_at=now)
    changelog.device_history_log(
        actor=actor,
        entries=[
            changelog.Entry(
                Device(pk=pk, hostname=current[pk]["hostname"]),
                HISTORY_PREFIX + changelog.describe_changes(change),
            )
            for pk, change in changes.items()
        ],
    )


@transaction.atomic
def devices_field_set(*, device_ids: Iterable[int], name: str, value: str, actor: Any) -> BulkEdit:
    """Set one text field (`FIELDS`: location, owner) to `value` on these devices ("" clears
    it). `value` is checked by the caller, as the device form checks it."""
    if name not in FIELDS:
        raise ValueError(f"{name!r} is not set in bulk (one of {', '.join(FIELDS)}).")
    current = _locked(device_ids, name)
    changes = {pk: {name: (row[name], value)} for pk, row in current.items() if row[name] != value}
    _record(current, changes, actor, **{name: value})
    return BulkEdit(changed=len(changes), unchanged=len(current) - len(changes))


@transaction.atomic
def devices_tags_add(
    *, device_ids: Iterable[int], tags: Iterable[Tag] = (), names: Iterable[str] = (), actor: Any
) -> BulkEdit:
    """Add these tags, and the tags named `names` (a name matches a tag whatever its case; a
    missing one is created), to these devices; their other tags stay."""
    created: list[Tag] = []
    # "prod" picked and "PROD" typed are one tag
    adding = {tag.pk: tag for tag in (*tags, *tags_resolve(names, created=created))}
    current = _locked(device_ids)
    before = _tags_of(list(current))
    through = Device.tags.through
    changes = {}
    pairs = []
    for pk, had in before.items():
        missing = [tag_id for tag_id in adding if tag_id not in had]
        if missing:
            pairs += [through(device_id=pk, tag_id=tag_id) for tag_id in missing]
            after = [*had.values(), *(adding[tag_id].name for tag_id in missing)]
            old, new = changelog.tag_names(had.values()), changelog.tag_names(after)
            changes[pk] = {"tags": (old, new)}
    through.objects.bulk_create(pairs, batch_size=CHUNK)
    _record(current, changes, actor)
    return BulkEdit(len(changes), len(current) - len(changes), list(adding.values()), created)


@transaction.atomic
def devices_tags_remove(*, device_ids: Iterable[int], tags: Iterable[Tag], actor: Any) -> BulkEdit:
    """Take these tags off these devices; their other tags stay, and so do the tags (a tag no
    device carries any more is still offered)."""
    removing = {tag.pk: tag for tag in tags}
    current = _locked(device_ids)
    before = _tags_of(list(current))
    changes = {}
    for pk, had in before.items():
        if removing.keys() & had.keys():
            kept = [name for tag_id, name in had.items() if tag_id not in removing]
            changes[pk] = {"tags": (changelog.tag_names(had.values()), changelog.tag_names(kept))}
    through = Device.tags.through.objects
    for chunk in _chunks(sorted(changes)):
        through.filter(device_id__in=chunk, tag_id__in=list(removing)).delete()
    _record(current, changes, actor)
    return BulkEdit(len(changes), len(current) - len(changes), list(removing.values()))
