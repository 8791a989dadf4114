"""Which device a submission belongs to (README "Device matching"): by hostname,
case-insensitively, else by the machine's identity keys (a renamed machine), else a new one.
Runs inside the submission's transaction."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Value
from django.db.models.functions import Lower

from benchsite.prepared import Prepared

from . import changelog, schema
from .models import Device, HardwareSnapshot
from .renames import former_hostnames_after

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

# what `systemd-detect-virt` (bench.sh's virtualization_type) names a container: it shares the
# kernel, and the DMI tables, of its host
CONTAINERS = frozenset(
    {
        "openvz",
        "lxc",
        "lxc-libvirt",
        "systemd-nspawn",
        "docker",
        "podman",
        "rkt",
        "wsl",
        "proot",
        "pouch",
        # what bench.sh names one systemd-detect-virt does not know (a container manager's
        # file): its serial was a key, and a Pi's container renamed the host's device
        "container-other",
    }
)


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

    @classmethod
    def from_hardware(cls, hardware: schema.Hardware | None) -> "IdentityKeys":
        """The keys of a submission's hardware. A container (LXC on Proxmox, Docker) reads its
        host's DMI: the UUID and serial it sends are the host's, and matched the host's device
        and renamed it after the container; its own machine-id is its only key."""
        keys = cls.from_system(hardware.system if hardware else None)
        virtualization = (hardware.os.virtualization_type or "") if hardware and hardware.os else ""
        if virtualization.strip().lower() in CONTAINERS:
            return cls(machine_id=keys.machine_id)
        return keys

    def items(self) -> Iterable[tuple[str, str]]:
        return ((name, getattr(self, name)) for name in ("machine_id", "system_uuid", "serial"))


def device_get_by_hostname(hostname: str) -> Device | None:
    """The device of this hostname, case-insensitively; None for a name holding a NUL, which
    no hostname holds and PostgreSQL refuses in a query (`rescore --device` was a traceback)."""
    if "\x00" in hostname:
        return None
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
    "last_received_at",  # heard from (inventory.quiet)
    "ranking_run_at",
    "ranking_run_valid",
    "global_score",
    "cpu_model_key",  # the CPU model it leaves, should the run bring another
    # with the above, its place among that model's machines (inventory.runs.PeerPlace)
    "ranking_methods_key",
    "latest_snapshot_id",
    "latest_snapshot_at",
    "retired_on",  # a run on or after it brings the machine back into service
    "attention_muted",  # the kinds its judgment opens no item of (insights.mute)
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


def _device_match_identity(
    keys: IdentityKeys, identifier: str, run_at, clones: list[Device]
) -> Device | None:
    """The one device that shares a stable key, strongest key first, and whose keys do not
    say it is another machine; None if none or ambiguous. A device refused as a clone's
    (_a_clone_back) is added to `clones`.

    Cloned VMs share a machine-id: a key held by several devices identifies none of them, and
    a clone with a DMI UUID of its own is not its template. Two boards that share a serial
    (a vendor's batch, one not on the placeholder list) but not a UUID are two machines.
    """
    for name, value in keys.items():
        if not value:
            continue
        # in id order, as every other lock of device rows is taken: two clones' submissions
        # that both find the pair lock it one after the other, never each one half of it
        candidates = list(_for_ingest().filter(**{name: value}).order_by("pk")[:2])
        if len(candidates) != 1 or _another_machine(candidates[0], keys):
            continue
        if _of_the_past(candidates[0], run_at) or not _a_clone_back(
            candidates[0], keys, identifier
        ):
            return candidates[0]
        if candidates[0] not in clones:  # by its UUID, then by its serial
            clones.append(candidates[0])
    return None


def _a_clone_back(device: Device, keys: IdentityKeys, identifier: str) -> bool:
    """A machine under one of the device's former names with a machine-id the device had before
    and has no more: the name's machine, not the device's. VMs cloned from one template share
    its DMI UUID: the clone's first run, under a name and machine-id of its own, is told from a
    reinstalled and renamed machine by nothing and renames the device; the template's next run
    comes back under its old name and machine-id, and renamed the device back, and the clone's
    each time again. A machine reinstalled under a former name has a machine-id never seen: the
    device's (read off its snapshots, on this rare path only). (A capture of the past under a
    former name is the device's: _of_the_past.)"""
    return bool(
        keys.machine_id
        and device.machine_id
        and keys.machine_id != device.machine_id
        and identifier.lower() in (name.lower() for name in device.former_hostname_list)
        and HardwareSnapshot.objects.filter(
            # as sent: in any case, with the spaces around it a client may have left
            device=device,
            raw__system__machine_id__iregex=rf"^\s*{re.escape(keys.machine_id)}\s*$",
        ).exists()
    )


def _identity_lock(keys: IdentityKeys) -> None:
    """PostgreSQL: wait for a transaction creating a device of these keys (until it commits),
    so that the match that follows finds it. One machine submitting under two new hostnames
    at once was two devices sharing every key, and each later rename of it a third. SQLite's
    writers take turns already."""
    values = sorted(f"{name}:{value}" for name, value in keys.items() if value)
    if not values or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for value in values:  # in their order: two submissions never wait on each other
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"benchtools:{value}"]
            )


def _another_machine(device: Device, keys: IdentityKeys) -> bool:
    return any(
        (ours := getattr(keys, name)) and (theirs := getattr(device, name)) and ours != theirs
        for name in HARDWARE_KEYS
    )


class FoundDevice(NamedTuple):
    device: Device
    created: bool
    renamed_from: str | None  # the hostname it had, when found by its keys and renamed


def device_find_or_create(
    *, identifier: str, keys: IdentityKeys, actor: Any = None, run_at=None
) -> FoundDevice:
    """The device a submission belongs to: by hostname, else by identity keys (a renamed
    machine, whose hostname is then updated, and the rename logged in its history as done by
    `actor`, the submitting token), else a new device.

    A run older than the device's latest (`run_at`: a capture replayed into the past) tells
    what the machine was called and keyed then, not now: it is attached to its device, whose
    hostname and keys stay as its newer runs left them (an old capture re-sent renamed a
    machine back to its former name, and the next live run renamed it again).

    Must run inside a transaction; a concurrent creation of the same hostname surfaces as an
    IntegrityError that the caller retries (benchmark_ingest does).
    """
    device = _device_for_ingest(identifier)
    by_keys = device is None
    clones: list[Device] = []  # devices of a former name, not its machine's (_a_clone_back)
    if by_keys:
        _identity_lock(keys)
        device = _device_match_identity(keys, identifier, run_at, clones)
    created = device is None
    if created:
        device = Device(hostname=identifier)
    renamed_from = None
    changed: list[str] = []
    olds: dict[str, str] = {}
    if not _of_the_past(device, run_at):  # an older run tells what the machine was called
        # the machine was renamed; unless a submission of the new name renamed it meanwhile
        # (PostgreSQL: the row is read locked, after that submission committed)
        if by_keys and not created and device.hostname.lower() != identifier.lower():
            renamed_from = device.hostname
            matched_by = next(n for n, v in keys.items() if v and getattr(device, n) == v)
            device.hostname = identifier
            # read on a rename alone (a query more): every submission's row leaves it unread
            device.former_hostnames = former_hostnames_after(
                device.former_hostnames, renamed_from, identifier
            )
            changed.extend(("hostname", "former_hostnames"))
        for name, value in keys.items():
            # A reinstalled machine gets a new machine-id: the newest valid key wins.
            olds[name] = getattr(device, name)
            if value and getattr(device, name) != value:
                setattr(device, name, value)
                changed.append(name)
    if created:
        device.save()
    elif changed:
        device.save(update_fields=(*changed, "updated_at"))
    entries = []
    if "hostname" in changed:
        message = f"Renamed by a submission (same {matched_by}): " + changelog.describe_changes(
            {"hostname": (renamed_from, identifier)}
        )
        entries.append(changelog.Entry(device, message))
    if replaced := {name: olds[name] for name in HARDWARE_KEYS if name in changed and olds[name]}:
        # the name came first (a board replaced, or another machine under the name): said
        entries.append(changelog.Entry(device, _replaced_message(device, replaced)))
    entries += [changelog.Entry(clone, _clone_message(clone, identifier)) for clone in clones]
    changelog.device_history_log(actor=actor, entries=entries)
    return FoundDevice(device, created, renamed_from)


def _replaced_message(device: Device, replaced: dict[str, str]) -> str:
    changes = {name: (old, getattr(device, name)) for name, old in replaced.items()}
    return (
        f"Another {' and '.join(replaced)} reported under this name by a submission: "
        f"{changelog.describe_changes(changes)} (its motherboard replaced, or another machine "
        "given this name)."
    )


def _clone_message(device: Device, identifier: str) -> str:
    return (
        f'A machine named "{identifier}", a former name of this device, sent a run with its '
        f"{_shared_keys(device)} and another machine-id: another machine (a VM cloned from "
        "one template?), now a device of its own. Runs of this device under that name may be "
        "that machine's."
    )


def _shared_keys(device: Device) -> str:
    return " and ".join(name for name in HARDWARE_KEYS if getattr(device, name)) or "keys"


def _of_the_past(device: Device, run_at) -> bool:
    """A run older than the device's latest: its hostname and keys are the machine's past."""
    return (
        run_at is not None
        and device.last_benchmark_at is not None
        and run_at < device.last_benchmark_at
    )
