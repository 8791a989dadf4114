"""Writes of inventory objects. Callers own the transaction unless a function says otherwise."""

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Lower
from django.utils import timezone

from . import changelog, columns, history, lifecycle, schema, signals
from .matching import MSG_HOSTNAME_TAKEN
from .models import Device, HardwareSnapshot, ManufacturerLink, Tag, tag_key
from .renames import former_hostnames_after
from .rows import rows_update


def _snapshot_columns(hardware: schema.Hardware | None) -> dict[str, Any]:
    """The validated hardware fields that have a column of their own (inventory.schema)."""
    values: dict[str, Any] = {}
    if hardware is None:
        return values
    for field in columns.stored_fields():
        section = getattr(hardware, field.section)
        value = getattr(section, field.key) if section is not None else None
        if value is None:
            continue  # model defaults: "" for text, NULL for numbers, [] for lists
        if isinstance(value, list):
            # a list of objects (DIMMs) is stored as the keys that were sent
            value = [
                item.model_dump(exclude_unset=True) if isinstance(item, schema.Section) else item
                for item in value
            ]
        values[field.column.name] = value
    return values


def snapshot_record(
    *,
    device: Device,
    hardware: schema.Hardware | None,
    raw: Mapping[str, Any] | None,
    bench_script_version: str = "",
    captured_at=None,
) -> HardwareSnapshot:
    """Store what a submission said about the hardware: validated columns plus the raw object."""
    raw = raw if isinstance(raw, Mapping) else {}
    snapshot = HardwareSnapshot(
        device=device,
        captured_at=captured_at or timezone.now(),
        bench_script_version=bench_script_version,
        # storage and network keep their per-item extras (SMART attributes, …) as sent
        storage=raw.get("storage") or {},
        disk_models=columns.disk_models(raw.get("storage")),
        disk_serials=columns.disk_serials(raw.get("storage")),
        addresses=columns.addresses(raw.get("network")),
        disk_readings=columns.disk_readings(raw.get("storage")),
        network=raw.get("network") or {},
        raw=dict(raw),
        **_snapshot_columns(hardware),
    )
    snapshot.hardware_key = history.hardware_key(snapshot)
    snapshot.save(force_insert=True)
    return snapshot


def tags_resolve(names: Iterable[str], *, created: list[Tag] | None = None) -> list[Tag]:
    """Tag objects for these names (case-insensitive, Tag.objects.named), creating the missing
    ones (appended to `created` when given). A tag another request creates meanwhile is taken:
    a script tagging a rack's machines in parallel had one request in four answered 500."""
    tags = []
    # as one character each accent (NFC), as a tag_key tells them: a name stored as typed
    wanted = list(
        dict.fromkeys(unicodedata.normalize("NFC", n.strip()) for n in names if n.strip())
    )
    existing = Tag.objects.named(wanted)
    for name in wanted:
        tag = existing.get(name)
        if tag is None:
            try:
                with transaction.atomic():  # a savepoint: the caller's transaction goes on
                    tag = Tag.objects.create(name=name)
            except IntegrityError:  # inventory_tag_name_ci_unique: created by another since
                tag = Tag.objects.named([name]).get(name) or _tag_folded_as_stored(name)
            else:
                if created is not None:
                    created.append(tag)
            existing.update({o: tag for o in wanted if tag_key(o) == tag_key(name)})
        tags.append(tag)
    return tags


def _tag_folded_as_stored(name: str) -> Tag:
    """The tag the database's LOWER() takes for `name` where Python's case folding does not."""
    return Tag.objects.alias(name_ci=Lower("name")).get(name_ci=Lower(Value(name)))


def service_changes(retirements: Mapping[int, tuple[Any, Any]]) -> tuple[list[int], list[int]]:
    """The devices that leave service and those that come back, from each device's (old, new)
    retirement date: none → a date retires it, a date → none brings it back, one date for
    another does neither."""
    retired = [pk for pk, (old, new) in retirements.items() if old is None and new is not None]
    returned = [pk for pk, (old, new) in retirements.items() if old is not None and new is None]
    return retired, returned


def devices_service_told(
    retirements: Mapping[int, tuple[Any, Any]], *, by_run: bool = False
) -> None:
    """Tell the apps above which devices left service or came back (signals), from each
    device's (old, new) retirement date (service_changes); `by_run`: brought back by a
    submission's run, which the apps above judge next."""
    retired, returned = service_changes(retirements)
    if retired:
        signals.devices_retired.send(sender=Device, device_ids=retired)
    if returned:
        signals.devices_returned.send(sender=Device, device_ids=returned, by_run=by_run)


def devices_service_foreseen(retirements: Mapping[int, tuple[Any, Any]]) -> dict[int, list[str]]:
    """What retiring or bringing back these devices would do in the apps above, by device, as
    sentences a person reads before confirming ("closes 2 open attention items: …"), from
    each device's (old, new) retirement date; nothing is written. One question to each app
    for all of them (signals.devices_service_foreseen)."""
    retiring, returning = service_changes(retirements)
    said: dict[int, list[str]] = {}
    if not (retiring or returning):
        return said
    answers = signals.devices_service_foreseen.send(
        sender=Device, retiring=retiring, returning=returning
    )
    for _, answer in answers:
        for pk, sentence in (answer or {}).items():
            said.setdefault(pk, []).append(sentence)
    return said


DEVICE_EDITABLE_FIELDS = (
    "hostname",
    "fqdn",
    "description",
    "asset_tag",
    "location",
    "owner",
    *lifecycle.LIFECYCLE_FIELDS,
)


@transaction.atomic
def device_update(
    *, device: Device, data: Mapping[str, Any], actor: Any = None, touched: bool = False
) -> Device:
    """Edit a device's metadata (API PATCH/PUT and the admin form go through here).

    With an `actor` (the API's caller), what changed goes into the device's admin history with
    its old and new values (inventory.changelog); the admin form writes its own entry. A device
    given a retirement date, or back in service, is told to the apps above (signals).
    `touched`: the caller changes what it saves itself (the admin form's tags), so
    `updated_at` moves whatever `data` changes.
    Raises Device.DoesNotExist when the device was deleted since `device` was read, and
    ValidationError naming `hostname` when another device took its new name meanwhile.
    """
    fields = [name for name in DEVICE_EDITABLE_FIELDS if name in data]
    # Locked (PostgreSQL; SQLite's immediate transaction already excludes other writers): a
    # concurrent DELETE makes this a clean "not found", not a failed save. The row as stored
    # is what the history compares with, not the possibly stale instance.
    stored = Device.objects.select_for_update().filter(pk=device.pk)
    before = stored.values(*fields, "former_hostnames").first()
    if before is None:
        raise Device.DoesNotExist(f"Device {device.pk} no longer exists.")
    former = before.pop("former_hostnames")
    for name in fields:
        setattr(device, name, data[name])
    # the columns whose value changes: an edit that changes nothing (the device sent back as
    # read) leaves `updated_at` as it was, which a script that syncs by it reads as a change
    edited = [name for name in fields if before[name] != data[name]]
    renamed = "hostname" in edited
    if renamed:  # its former name found by a search, said on its page (inventory.renames)
        device.former_hostnames = former_hostnames_after(
            former, before["hostname"], data["hostname"]
        )
    after = {name: data[name] for name in fields}
    if "tags" in data:
        held = list(device.tags.all())
        before["tags"] = changelog.tag_names(held)
        # "prod" and "PROD" are one tag: once in the device's tags and in its history
        tags = list(dict.fromkeys(tags_resolve(data["tags"])))
        if {tag.pk for tag in tags} != {tag.pk for tag in held}:
            device.tags.set(tags)
            edited.append("tags")
        after["tags"] = changelog.tag_names(tags)
    columns = [name for name in edited if name != "tags"]
    # Only the edited columns: a stale instance must not overwrite the ranking figures, which
    # submissions move concurrently.
    try:
        if edited or touched:
            with transaction.atomic():  # a savepoint: the name taken meanwhile is refused
                device.save(
                    update_fields=(
                        *columns,
                        *(("former_hostnames",) if renamed else ()),
                        "updated_at",
                    )
                )
    except IntegrityError:
        # inventory_device_hostname_ci_unique: another device renamed so, or a new machine of
        # that name submitted, since the name was checked (a 500 where it was a 400 in turn)
        if not renamed:
            raise
        raise ValidationError({"hostname": [MSG_HOSTNAME_TAKEN]}) from None
    changes = changelog.field_changes(before, after)
    if "retired_on" in changes:
        devices_service_told({device.pk: changes["retired_on"]})
    if actor is not None and changes:
        message = "Changed through the API: " + changelog.describe_changes(changes)
        changelog.device_history_log(actor=actor, entries=[changelog.Entry(device, message)])
    return device


@transaction.atomic
def device_delete(*, device: Device) -> None:
    """Remove a device with its snapshots, benchmarks, links and documents.

    The device's row is locked first, as a submission and the attention evaluation lock it:
    a submission of the device being stored is waited for and goes with it (the deletion
    then reads its rows; without the lock it missed them and failed on their foreign keys, a
    500, or deadlocked against it on PostgreSQL). A device deleted meanwhile is left as it is.

    The documents' stored files go after the commit, each unless another document references
    its content (documents.signals: inventory itself knows nothing of documents).
    """
    if Device.objects.select_for_update().filter(pk=device.pk).values_list("pk").first():
        device.delete()


@transaction.atomic
def devices_delete(*, device_ids: Iterable[int]) -> int:
    """Remove these devices as device_delete removes one, their rows locked first in the
    order of their pks; Django's collector deletes what goes with them in statements per batch
    of rows, not per device. A device deleted meanwhile is left as it is. Returns how many
    devices went."""
    locked = list(
        Device.objects.select_for_update()
        .filter(pk__in=list(device_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    _, deleted = Device.objects.filter(pk__in=locked).delete()
    return deleted.get(Device._meta.label, 0)


LINK_EDITABLE_FIELDS = ("label", "url")


@transaction.atomic
def link_create(*, device: Device, label: str, url: str) -> ManufacturerLink:
    """Attach a manufacturer link (http/https only: the model's validator) to a device. Raises
    Device.DoesNotExist when the device was deleted meanwhile (its row is locked first: a
    deletion at the same moment made the INSERT fail on its foreign key, a 500)."""
    if not Device.objects.select_for_update().filter(pk=device.pk).exists():
        raise Device.DoesNotExist(f"Device {device.pk} no longer exists.")
    link = ManufacturerLink(device=device, label=label, url=url)
    link.full_clean(exclude=("device",))
    link.save()
    return link


@transaction.atomic
def link_update(*, link: ManufacturerLink, data: Mapping[str, Any]) -> ManufacturerLink:
    """Edit a link's label and URL (API PATCH/PUT and the admin go through here); an edit
    that changes nothing writes nothing, its `updated_at` kept (a sync job saw a change)."""
    sent = [name for name in LINK_EDITABLE_FIELDS if name in data]
    for name in sent:
        setattr(link, name, data[name])
    link.full_clean(exclude=("device",))
    # locked: a deletion at the same moment is waited for, then said (a 404, not a 500); what
    # is stored, against which the edit is told (the admin's form has set it on `link`)
    locked = ManufacturerLink.objects.select_for_update().filter(pk=link.pk)
    if (stored := locked.values("pk", *sent).first()) is None:
        raise ManufacturerLink.DoesNotExist("The link was deleted.")
    if fields := [name for name in sent if stored[name] != getattr(link, name)]:
        # UPDATE only, never INSERT: a link deleted meanwhile must not come back
        link.save(update_fields=(*fields, "updated_at"), force_update=True)
    return link


@transaction.atomic
def devices_latest_snapshot_refresh(*, device_ids: Iterable[int]) -> None:
    """Point each of these devices at its newest snapshot by capture time (none without one),
    with the peer keys of that one: its hardware columns, filters, search and peers follow.
    Each device's row is locked first, as a submission locks it: one storing a newer snapshot
    meanwhile is waited for, not overwritten with the older one read before it committed.

    Three statements per REFRESH_CHUNK devices, in the order of their pks (rescore and the
    ranking refresh lock them in that order): the rows locked, their newest snapshots read, the
    devices written. It took three per device, 4,500 for the admin's rescore of 1,500 machines'
    runs (perf/admin_actions.py)."""
    ids = sorted(set(device_ids))
    newest = HardwareSnapshot.objects.filter(device_id=OuterRef("pk")).order_by(
        "-captured_at", "-id"
    )
    for start in range(0, len(ids), REFRESH_CHUNK):
        with transaction.atomic():
            locked = (  # those deleted meanwhile are left out
                Device.objects.select_for_update()
                .filter(pk__in=ids[start : start + REFRESH_CHUNK])
                .order_by("pk")
                .annotate(newest=Subquery(newest.values("pk")[:1]))
                .values_list("pk", "newest")
            )
            pointers = dict(locked)
            snapshots = HardwareSnapshot.objects.only("pk", "captured_at", *columns.MODEL_KEYS)
            found = snapshots.in_bulk([pk for pk in pointers.values() if pk is not None])
            devices = []
            for pk, snapshot_pk in pointers.items():
                snapshot = found.get(snapshot_pk)
                devices.append(
                    Device(
                        pk=pk,
                        latest_snapshot=snapshot,
                        latest_snapshot_at=snapshot.captured_at if snapshot else None,
                        **columns.model_keys(snapshot),
                    )
                )
            rows_update(Device, devices, REFRESHED_FIELDS)


REFRESH_CHUNK = 500  # devices per statement: within every database's parameter limit
REFRESHED_FIELDS = ("latest_snapshot", "latest_snapshot_at", *columns.model_keys(None))


@transaction.atomic
def snapshot_delete(*, snapshots: QuerySet[HardwareSnapshot]) -> int:
    """Delete snapshots (their runs stay, without one). A device whose latest snapshot went
    points at its newest remaining one, with the peer keys of that one: its hardware columns,
    filters, search and peers follow. Returns how many snapshots were deleted."""
    device_ids = set(snapshots.values_list("device_id", flat=True))
    keys_before = dict(Device.objects.filter(pk__in=device_ids).values_list("pk", "cpu_model_key"))
    _, deleted = snapshots.delete()
    # the foreign key's SET_NULL left these without one
    devices_latest_snapshot_refresh(
        device_ids=Device.objects.filter(
            pk__in=device_ids, latest_snapshot__isnull=True
        ).values_list("pk", flat=True)
    )
    count = deleted.get(HardwareSnapshot._meta.label, 0)
    if count:
        signals.snapshots_deleted.send(sender=HardwareSnapshot, cpu_model_keys=keys_before)
    return count


@transaction.atomic
def link_delete(*, link: ManufacturerLink) -> None:
    link.delete()


@transaction.atomic
def links_delete(*, links: QuerySet[ManufacturerLink]) -> int:
    """Delete these links (the admin's *Delete selected*): one statement for them all, where a
    deletion each took 4,519 queries for 1,500. Returns how many went."""
    deleted, _ = links.delete()
    return deleted
