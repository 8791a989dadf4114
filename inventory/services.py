"""Writes of inventory objects. Callers own the transaction unless a function says otherwise."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower
from django.utils import timezone

from benchsite.prepared import Prepared

from . import changelog, columns, schema, signals
from .models import Device, HardwareSnapshot, ManufacturerLink, Tag

MSG_HOSTNAME_TAKEN = "Another device already has this hostname (hostnames are case-insensitive)."

# Values firmware and VM images put where a serial or UUID should be. They are shared by many
# machines, so matching on them would merge unrelated devices.
_PLACEHOLDERS = frozenset(
    {
        "",
        "none",
        "null",
        "n/a",
        "na",
        "unknown",
        "default string",
        "to be filled by o.e.m.",
        "to be filled by oem",
        "not specified",
        "not applicable",
        "not available",
        "system serial number",
        "system product name",
        "chassis serial number",
        "base board serial number",
        "serial number",
        "invalid",
        "o.e.m.",
        "oem",
        "123456789",
        "0123456789",
        "1234567890",
        "03000200-0400-0500-0006-000700080009",  # AMI's template UUID
    }
)
_REPEATED_CHAR = re.compile(r"^(.)\1*$")  # 000000, FFFFFF, xxxxxxxx


def identity_value(value: str | None) -> str:
    """The identity key without surrounding space, or "" when missing or a known placeholder."""
    if not value:
        return ""
    value = value.strip()
    folded = value.lower()
    if folded in _PLACEHOLDERS:
        return ""
    if _REPEATED_CHAR.match(folded.replace("-", "").replace(" ", "")):
        return ""
    return value


@dataclass(frozen=True)
class IdentityKeys:
    """Stable keys a machine reports about itself, normalised; "" when unusable."""

    machine_id: str = ""
    system_uuid: str = ""
    serial: str = ""

    @classmethod
    def from_system(cls, system: schema.System | None) -> "IdentityKeys":
        if system is None:
            return cls()
        return cls(
            # hex identifiers: one canonical case; a serial is kept as the firmware spells it
            machine_id=identity_value(system.machine_id).lower(),
            system_uuid=identity_value(system.system_uuid).lower(),
            serial=identity_value(system.system_serial),
        )

    def items(self) -> Iterable[tuple[str, str]]:
        return ((name, getattr(self, name)) for name in ("machine_id", "system_uuid", "serial"))


def device_get_by_hostname(hostname: str) -> Device | None:
    """The device of this hostname, case-insensitively."""
    return _by_hostname(Device.objects.all(), hostname).first()


def _by_hostname(devices, hostname: str):
    # LOWER() on both sides, like the unique index: the database decides what "same" means.
    return devices.alias(hostname_ci=Lower("hostname")).filter(hostname_ci=Lower(Value(hostname)))


# What a submission reads of its device (matching, identity keys, device_run_changes): the rest
# of the row is neither read nor compiled into the query on every submission.
INGEST_FIELDS = (
    "hostname",
    "machine_id",
    "system_uuid",
    "serial",
    "last_benchmark_at",
    "ranking_run_at",
    "ranking_run_valid",
    "global_score",
    "cpu_model_key",  # the CPU model it leaves, should the run bring another
    # with the above, its place among that model's machines (inventory.runs.PeerPlace)
    "ranking_methods_key",
    "latest_snapshot_id",
)


def _for_ingest():
    # Locked until the commit (PostgreSQL; SQLite's immediate transactions already exclude
    # other writers): two submissions of one machine decide one after the other.
    return Device.objects.select_for_update().only(*INGEST_FIELDS).order_by()


# every submission's first query, compiled once (benchsite.prepared)
_BY_HOSTNAME = Prepared(
    lambda hostname: _by_hostname(_for_ingest(), hostname).values_list("id", *INGEST_FIELDS)[:1],
    hostname=str,
)


def _device_for_ingest(hostname: str) -> Device | None:
    # the device row as only(*INGEST_FIELDS) reads it, locked
    return next(iter(_BY_HOSTNAME.instances(hostname=hostname)), None)


# what the firmware says of the hardware: a machine reinstalled gets a new machine-id, but
# keeps these
HARDWARE_KEYS = ("system_uuid", "serial")


def _device_match_identity(keys: IdentityKeys) -> Device | None:
    """The one device that shares a stable key, strongest key first, and whose hardware keys
    do not say it is another machine; None if none or ambiguous.

    Cloned VMs share a machine-id: a key held by several devices identifies none of them, and
    a clone with a DMI UUID of its own is not its template. Two boards that share a serial
    (a vendor's batch, one not on the placeholder list) but not a UUID are two machines.
    """
    for name, value in keys.items():
        if not value:
            continue
        candidates = list(_for_ingest().filter(**{name: value})[:2])
        if len(candidates) == 1 and not _another_machine(candidates[0], keys):
            return candidates[0]
    return None


def _another_machine(device: Device, keys: IdentityKeys) -> bool:
    return any(
        (ours := getattr(keys, name)) and (theirs := getattr(device, name)) and ours != theirs
        for name in HARDWARE_KEYS
    )


class FoundDevice(NamedTuple):
    device: Device
    created: bool
    renamed_from: str | None  # the hostname it had, when found by its keys and renamed


def device_find_or_create(*, identifier: str, keys: IdentityKeys, actor: Any = None) -> FoundDevice:
    """The device a submission belongs to: by hostname, else by identity keys (a renamed
    machine, whose hostname is then updated, and the rename logged in its history as done by
    `actor`, the submitting token), else a new device.

    Must run inside a transaction; a concurrent creation of the same hostname surfaces as an
    IntegrityError that the caller retries (benchmark_ingest does).
    """
    device = _device_for_ingest(identifier)
    created = False
    renamed_from = None
    changed: list[str] = []
    if device is None:
        device = _device_match_identity(keys)
        # the machine was renamed; unless a submission of the new name renamed it meanwhile
        # (PostgreSQL: the row is read locked, after that submission committed)
        if device is not None and device.hostname.lower() != identifier.lower():
            renamed_from = device.hostname
            matched_by = next(n for n, v in keys.items() if v and getattr(device, n) == v)
            device.hostname = identifier
            changed.append("hostname")
    if device is None:
        device = Device(hostname=identifier)
        created = True
    for name, value in keys.items():
        # A reinstalled machine gets a new machine-id: the newest valid key wins.
        if value and getattr(device, name) != value:
            setattr(device, name, value)
            changed.append(name)
    if created:
        device.save()
    elif changed:
        device.save(update_fields=(*changed, "updated_at"))
    if "hostname" in changed:
        message = f"Renamed by a submission (same {matched_by}): " + changelog.describe_changes(
            {"hostname": (renamed_from, identifier)}
        )
        changelog.device_history_log(actor=actor, entries=[changelog.Entry(device, message)])
    return FoundDevice(device, created, renamed_from)


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
    return HardwareSnapshot.objects.create(
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


def tags_resolve(names: Iterable[str]) -> list[Tag]:
    """Tag objects for these names (case-insensitive), creating the missing ones."""
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        tag = Tag.objects.alias(name_ci=Lower("name")).filter(name_ci=Lower(Value(name))).first()
        tags.append(tag or Tag.objects.create(name=name))
    return tags


DEVICE_EDITABLE_FIELDS = ("hostname", "fqdn", "description", "asset_tag", "location", "owner")


@transaction.atomic
def device_update(*, device: Device, data: Mapping[str, Any], actor: Any = None) -> Device:
    """Edit a device's metadata (API PATCH/PUT and the admin form go through here).

    With an `actor` (the API's caller), what changed goes into the device's admin history with
    its old and new values (inventory.changelog); the admin form writes its own entry.
    Raises Device.DoesNotExist when the device was deleted since `device` was read.
    """
    fields = [name for name in DEVICE_EDITABLE_FIELDS if name in data]
    # Locked (PostgreSQL; SQLite's immediate transaction already excludes other writers): a
    # concurrent DELETE makes this a clean "not found", not a failed save. The row as stored
    # is what the history compares with, not the possibly stale instance.
    before = Device.objects.select_for_update().filter(pk=device.pk).values(*fields).first()
    if before is None:
        raise Device.DoesNotExist(f"Device {device.pk} no longer exists.")
    for name in fields:
        setattr(device, name, data[name])
    # Only the edited columns: a stale instance must not overwrite the ranking figures, which
    # submissions move concurrently.
    device.save(update_fields=(*fields, "updated_at"))
    after = {name: data[name] for name in fields}
    if "tags" in data:
        if actor is not None:
            before["tags"] = changelog.tag_names(device.tags.all())
        # "prod" and "PROD" are one tag: once in the device's tags and in its history
        tags = list(dict.fromkeys(tags_resolve(data["tags"])))
        device.tags.set(tags)
        after["tags"] = changelog.tag_names(tags)
    changes = changelog.field_changes(before, after)
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


LINK_EDITABLE_FIELDS = ("label", "url")


@transaction.atomic
def link_create(*, device: Device, label: str, url: str) -> ManufacturerLink:
    """Attach a manufacturer link (http/https only: the model's validator) to a device."""
    link = ManufacturerLink(device=device, label=label, url=url)
    link.full_clean(exclude=("device",))
    link.save()
    return link


@transaction.atomic
def link_update(*, link: ManufacturerLink, data: Mapping[str, Any]) -> ManufacturerLink:
    """Edit a link's label and URL (API PATCH/PUT and the admin go through here)."""
    for name in LINK_EDITABLE_FIELDS:
        if name in data:
            setattr(link, name, data[name])
    link.full_clean(exclude=("device",))
    # UPDATE only, never INSERT: a link deleted meanwhile must not come back.
    fields = [name for name in LINK_EDITABLE_FIELDS if name in data]
    if not ManufacturerLink.objects.filter(pk=link.pk).exists():
        raise ManufacturerLink.DoesNotExist("The link was deleted.")
    link.save(update_fields=(*fields, "updated_at"), force_update=True)
    return link


@transaction.atomic
def devices_latest_snapshot_refresh(*, device_ids: Iterable[int]) -> None:
    """Point each of these devices at its newest snapshot by capture time (none without one),
    with the peer keys of that one: its hardware columns, filters, search and peers follow.
    Each device's row is locked first, as a submission locks it: one storing a newer snapshot
    meanwhile is waited for, not overwritten with the older one read before it committed."""
    for device_id in sorted(set(device_ids)):
        if not Device.objects.select_for_update().filter(pk=device_id).values_list("pk"):
            continue  # deleted meanwhile
        newest = (
            HardwareSnapshot.objects.filter(device_id=device_id)
            .order_by("-captured_at", "-id")
            .only("pk", *columns.MODEL_KEYS)
            .first()
        )
        Device.objects.filter(pk=device_id).update(
            latest_snapshot=newest, **columns.model_keys(newest)
        )


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
