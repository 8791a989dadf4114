"""What the schema's Column markers make: the snapshot's columns, in the schema's order, grouped
by hardware section (inventory.models builds the model fields from them, inventory.history the
admin's sections and the snapshot diff, the API its snapshot fields)."""

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .schema import CATEGORY_NAMES, Column, Hardware, Section


@dataclass(frozen=True)
class StoredField:
    """A hardware field with a column: where it is in the submission and what it holds."""

    section: str  # key in `hardware`
    key: str  # key in the section
    column: Column
    json_schema: dict[str, Any]  # the field's JSON Schema without null: its type and limits


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    return options[0]


def stored_fields() -> tuple[StoredField, ...]:
    """Every hardware field stored in a snapshot column, section by section, in order."""
    return _STORED


def _stored() -> tuple[StoredField, ...]:
    found = []
    for section_name, section_field in Hardware.model_fields.items():
        section = _section_model(section_field.annotation)
        properties = section.model_json_schema()["properties"]
        for key, info in section.model_fields.items():
            for marker in info.metadata:
                if isinstance(marker, Column):
                    found.append(StoredField(section_name, key, marker, _non_null(properties[key])))
    return tuple(found)


def _section_model(annotation) -> type[Section]:
    # `System | None` → System
    return next(t for t in getattr(annotation, "__args__", (annotation,)) if t is not type(None))


def hardware_sections() -> tuple[tuple[str, tuple[StoredField, ...]], ...]:
    """The stored fields grouped by hardware section, with the section's title for people."""
    grouped: dict[str, list[StoredField]] = {}
    for field in _STORED:
        grouped.setdefault(field.section, []).append(field)
    return tuple(
        (_section_model(Hardware.model_fields[name].annotation).model_config["title"], tuple(fs))
        for name, fs in grouped.items()
    )


_STORED = _stored()


def _lines(section: Mapping[str, Any] | None, items: str, *keys: str) -> str:
    """The distinct values of `keys` in the list `items` of a section as sent, in their order,
    one per line: a searchable text the device search matches."""
    listed = section.get(items) if isinstance(section, Mapping) else None
    found: dict[str, None] = {}
    for item in listed if isinstance(listed, list) else ():
        for key in keys:
            value = item.get(key) if isinstance(item, Mapping) else None
            if isinstance(value, str) and value.strip():
                found[value.strip()] = None
    return "\n".join(found)


def disk_models(storage: Mapping[str, Any] | None) -> str:
    """The snapshot's disk models ("search by hardware" matches them), one per line."""
    return _lines(storage, "devices", "model")


def disk_serials(storage: Mapping[str, Any] | None) -> str:
    """The serials of the snapshot's disks, one per line: "which machine is disk S4EWNX0R…
    in?", the question a failed disk's label asks."""
    return _lines(storage, "devices", "serial")


def addresses(network: Mapping[str, Any] | None) -> str:
    """The MAC and IP addresses of the snapshot's interfaces, one per line: "which machine has
    3c:52:82:0a:1b:2c?", the question a DHCP lease or a switch port asks. Not those every
    machine has (127.0.0.1, fe80::…, the loopback's 00:00:00:00:00:00): a search for one
    found the whole fleet."""
    return "\n".join(
        line
        for line in _lines(network, "interfaces", "mac", "ip").lower().splitlines()
        if not _everyones(line)
    )


def _everyones(address: str) -> bool:
    if address.strip("0:") == "":
        return True
    try:
        ip = ipaddress.ip_interface(address).ip
    except ValueError:
        return False  # a MAC
    return ip.is_loopback or ip.is_link_local or ip.is_unspecified


# What a snapshot keeps of each disk beside `storage` as sent: what the disk is and its SMART
# readings, which the insights, the attention rules and /metrics read without decoding the rest
DISK_IDENTITY = ("name", "serial", "model")
SMART_FIELDS = (
    "smart_health",
    "temperature_c",
    "power_on_hours",
    "reallocated_sectors",
    "pending_sectors",
    "offline_uncorrectable",
    "media_errors",
    "percent_used",
)


# what a disk's smart_health says when it is sound (insights.disk_rules: anything else fails)
HEALTHY = frozenset({"PASSED", "OK"})
SMART_COUNTERS = ("reallocated_sectors", "pending_sectors", "offline_uncorrectable", "media_errors")


def disk_key(disk: Mapping[str, Any]) -> str:
    """A disk across snapshots: its serial, or its name where it has none."""
    return str(disk.get("serial") or disk.get("name") or "")


def disks_of(disks: Any) -> dict[str, Mapping[str, Any]]:
    """A snapshot's disks (its `disk_readings`) by disk_key; a disk with neither is left out.
    Disks that share a serial (a USB enclosure's bays, NVMe namespaces, multipath's one disk
    seen twice) are one disk by that serial, read as the worst of them: the last listed hid a
    FAILED one before it, and no item opened; keyed by serial and name instead, a bay not read
    in one run closed its item and the next run opened it again."""
    kept: dict[str, Mapping[str, Any]] = {}
    for disk in disks if isinstance(disks, list) else ():
        if isinstance(disk, Mapping) and (key := disk_key(disk)):
            if key not in kept or _worse(disk, kept[key]):
                kept[key] = disk
    return kept


def _worse(disk: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    return _badness(disk) > _badness(other)


def _badness(disk: Mapping[str, Any]) -> tuple:
    errors = sum(filter(None, (smart_count(disk.get(name)) for name in SMART_COUNTERS)))
    temperature = disk_temperature(disk)
    return (disk_failing(disk) is True, errors, -1 if temperature is None else temperature)


def disk_failing(disk: Mapping[str, Any]) -> bool | None:
    """Whether the disk's SMART health says it fails (anything but PASSED or OK); None when it
    was not read."""
    health = disk.get("smart_health")
    if not isinstance(health, str) or not health.strip():
        return None
    return health.strip().upper() not in HEALTHY


def disk_temperature(disk: Mapping[str, Any]) -> float | None:
    temperature = disk.get("temperature_c")
    number = isinstance(temperature, int | float) and not isinstance(temperature, bool)
    return temperature if number else None


def smart_count(value: Any) -> int | None:
    """A SMART counter's reading, None when it is not a count (not read, or not a number)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def disk_label(disk: Mapping[str, Any]) -> str:
    """ "/dev/sda (WD-1)", on one line whatever a machine sent: a name with line breaks made a
    notification's body look like it had other lines (another link beside the device's)."""
    name, serial = one_line(disk.get("name")), one_line(disk.get("serial"))
    if name and serial:
        return f"{name} ({serial})"
    return name or serial or "disk"


# what a message never shows of a machine's strings: the other C0 and C1 controls (an ANSI
# escape a terminal runs) and the direction marks, overrides and isolates (a right-to-left
# override showed a disk's serial backwards in the admin and in notifications)
_UNSHOWN = dict.fromkeys(
    [*range(0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F)]
    + [*range(0x2066, 0x206A)]
    # zero-width characters: two serials that read alike but differ ("CD\u200bE")
    + [*range(0x200B, 0x200E), *range(0x2060, 0x2065), 0xFEFF]
)


def one_line(value: Any) -> str:
    """A text value with its runs of whitespace (line breaks included) made one space, and the
    controls and direction characters taken out."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    # isprintable() is False for each of them: the usual value costs that test alone
    return text if text.isprintable() else " ".join(text.translate(_UNSHOWN).split())


def disk_readings(storage: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The snapshot's `disk_readings`: per disk of `storage.devices`, in the order sent, its
    identity and SMART fields that have a value (the submission's validation typed them)."""
    devices = storage.get("devices") if isinstance(storage, Mapping) else None
    return [
        {name: disk[name] for name in (*DISK_IDENTITY, *SMART_FIELDS) if disk.get(name) is not None}
        for disk in (devices if isinstance(devices, list) else ())
        if isinstance(disk, Mapping)
    ]


# The snapshot columns a device keeps normalised from its latest snapshot, as `<name>_key`, to
# find the machines alike (CONTRACT Part 2, "Insights": peers) through an index.
MODEL_KEYS = ("cpu_model", "system_model")
MODEL_KEY_LENGTH = 255  # the columns' length (lower-casing may lengthen a text: "İ" is 2)
_SPACES = re.compile(r"\s+")


def model_key(value: str | None) -> str:
    """Two models name the same part when they match case-insensitively, runs of spaces
    collapsed ("Intel(R) Core(TM) i7-6700  CPU" is "intel(r) core(tm) i7-6700 cpu")."""
    return _SPACES.sub(" ", value or "").strip().lower()[:MODEL_KEY_LENGTH]


def model_keys(snapshot: Any) -> dict[str, str]:
    """The device's `<name>_key` columns for this latest snapshot (none: empty keys)."""
    return {f"{name}_key": model_key(getattr(snapshot, name, "")) for name in MODEL_KEYS}


# the mark of a category left out of its run's global score (a network measured on loopback)
LEFT_OUT = " (left out)"


def methods_compared(
    methods: Mapping[str, Any] | None, excluded: Iterable[str] | None = ()
) -> dict[str, Any]:
    """A run's methods as runs are told alike by them (the insights' baselines and peers, the
    ranking_methods_key): a category its global score left out is marked so, unlike the same
    method counted. A global score without the network is another measurement (CONTRACT Part
    2): a run on loopback compared with the runs before it opened a score_regression of 53 %
    with every category level, and a drop of its own could be hidden."""
    methods = dict(methods or {})
    for name in excluded or ():
        methods[name] = f"{methods.get(name) or ''}{LEFT_OUT}"
    return methods


def method_measured(method: str | None) -> str | None:
    """A method of methods_compared as the run stored it (None: none said)."""
    if method is not None and method.endswith(LEFT_OUT):
        return method.removesuffix(LEFT_OUT) or None
    return method


def methods_key(methods: Mapping[str, Any] | None, excluded: Iterable[str] | None = ()) -> str:
    """The device's `ranking_methods_key`: its ranking run's methods (methods_compared, with
    the categories it left out) as one text, equal for two runs measured alike in every
    category (a method absent equals absent), "" for none. Its machines measured alike are an
    index range (insights.peer_selectors), whatever order or spelling the methods' JSON was
    stored in."""
    methods = methods_compared(methods, excluded)
    if not methods:
        return ""
    return json.dumps([methods.get(name) for name in CATEGORY_NAMES], separators=(",", ":"))


def methods_of_key(key: str) -> tuple[str | None, ...]:
    """The methods of a `methods_key`, per category of CATEGORY_NAMES."""
    return tuple(json.loads(key)) if key else (None,) * len(CATEGORY_NAMES)
