"""Read queries shared by the admin and the API; each carries its own query shape."""

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet

from . import schema
from .models import Device, HardwareSnapshot, ManufacturerLink, Tag
from .validators import validate_tag_name

# What a device search matches of what people record (the API's ?search= and the admin's):
# the name and the names it had (inventory.renames), the notes, where it is, whose it is, its
# tags, its asset tag
DEVICE_SEARCH_FIELDS = (
    "hostname",
    "former_hostnames",
    "description",
    "location",
    "owner",
    "tags__name",
    "asset_tag",
)
# of those, what people write in words, matched with accents ignored (inventory.folding)
FOLDED_SEARCH_FIELDS = ("description", "location", "owner", "tags__name")
# What the machine says it is: the serial on its label, its machine-id, its DMI UUID, its FQDN
IDENTITY_SEARCH_FIELDS = ("serial", "machine_id", "system_uuid", "fqdn")
ADDRESSES_FIELD = "latest_snapshot__addresses"  # a whole IP address is matched whole there
# What "search by hardware" matches (the API's ?search= and the admin's device search): the
# latest snapshot's CPU, system, GPU and disk models, what a security advisory names (the CPU's
# microarchitecture, the board, its BIOS, the OS and its kernel), its disks' serials, its MAC
# and IP addresses.
HARDWARE_SEARCH_FIELDS = (
    "latest_snapshot__cpu_model",
    "latest_snapshot__system_vendor",
    "latest_snapshot__system_model",
    "latest_snapshot__gpu_model",
    "latest_snapshot__disk_models",
    "latest_snapshot__cpu_microarchitecture",
    "latest_snapshot__motherboard_model",
    "latest_snapshot__bios_version",
    "latest_snapshot__os_name",
    "latest_snapshot__os_version",
    "latest_snapshot__kernel_version",
    # what identifies its parts: a disk's serial, an interface's MAC or IP address
    "latest_snapshot__disk_serials",
    ADDRESSES_FIELD,
)

# A snapshot's columns whose size grows with the machine's disks and interfaces (4,096 of each
# at most: its storage 1.5 MB, its network 0.3 MB, its JSON as received 1.8 MB, its disks'
# readings 0.7 MB): a list that shows its other columns, or its device's, leaves these unread.
SNAPSHOT_SIZED_FIELDS = (
    "storage",
    "network",
    "raw",
    "disk_readings",
    "disk_models",
    "disk_serials",
    "addresses",
)


def device_search_fields(*, hardware: bool = True) -> tuple[str, ...]:
    """What a device search matches (the API's ?search= and the admin's): the hardware only for
    who may view it (benchsite.auth), as a match would tell a serial or an address the device
    page hides."""
    return (
        *DEVICE_SEARCH_FIELDS,
        *IDENTITY_SEARCH_FIELDS,
        *(HARDWARE_SEARCH_FIELDS if hardware else ()),
    )


def device_list() -> QuerySet[Device]:
    """Devices with their ranking figures (columns of the device row); the page shown gets its
    tags from `with_tag_names`. Query count is independent of the page size (perf/reads.py)."""
    return Device.objects.all()


def with_tag_names(devices: Sequence[Device]) -> Sequence[Device]:
    """Sets each device's `tag_names` (in the tags' order, by name) with one query for all of
    them, which reads names, not Tag rows: a page of 100 devices in ~2 ms where
    prefetch_related("tags") took ~8 (perf/reads.py, the ranking)."""
    names: dict[int, list[str]] = {device.pk: [] for device in devices}
    if names:
        pairs = (
            Device.tags.through.objects.filter(device_id__in=names)
            .order_by(*(f"tag__{field}" for field in Tag._meta.ordering), "tag_id")
            .values_list("device_id", "tag__name")
        )
        for device_id, name in pairs:
            names[device_id].append(name)
    for device in devices:
        device.tag_names = names[device.pk]
    return devices


def device_ranking() -> QuerySet[Device]:
    """Devices by latest global score, best first; never-benchmarked devices last."""
    return device_list().order_by(F("global_score").desc(nulls_last=True), "hostname", "id")


def _measured() -> Q:
    """A device with a ranking figure: its global score, or a category's that its global score
    leaves out (a network measured against the machine itself, a weight of 0)."""
    measured = Q(global_score__isnull=False)
    for name in schema.CATEGORY_NAMES:
        measured |= Q(**{f"{name}_score__isnull": False})
    return measured


def device_ranked() -> QuerySet[Device]:
    """The machines the dashboard ranks, in its order: in service and measured (a retired
    machine is counted under the ranking, one that was not measured named). A machine whose
    runs measured nothing (inventory only, every benchmark skipped) had a place and "–"
    figures."""
    return device_ranking().filter(_measured(), retired_on__isnull=True)


def device_unbenchmarked(*, limit: int) -> tuple[list[Device], int]:
    """Up to `limit` devices in service not measured, never benchmarked or with runs that
    measured nothing (by hostname; `last_benchmark_at` tells which), and how many there are:
    one query when they are fewer than the limit."""
    never = Device.objects.filter(~_measured(), retired_on__isnull=True)
    devices = list(never.only("hostname", "last_benchmark_at").order_by("hostname", "id")[:limit])
    if len(devices) < limit:
        return devices, len(devices)
    return devices, never.count()


def snapshot_latest(*, device: Device) -> HardwareSnapshot | None:
    return device.snapshots.order_by("-captured_at", "-id").first()


def snapshot_list(*, device: Device) -> QuerySet[HardwareSnapshot]:
    return device.snapshots.order_by("-captured_at", "-id")


def link_list(*, device: Device) -> QuerySet[ManufacturerLink]:
    """A device's manufacturer links by label (one query; the device FK index serves it)."""
    return ManufacturerLink.objects.filter(device=device).order_by("label", "id")


def tags_unknown(names: Iterable[str]) -> list[str]:
    """Those of `names` that no tag has yet, compared as services.tags_resolve finds them
    (trimmed, case-insensitively): the tags that naming them would create."""
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    known = Tag.objects.named(wanted)
    return [name for name in wanted if name not in known]


def tag_names_refused(names: Iterable[str]) -> dict[str, str]:
    """Those of `names` that would make a new tag with a control or invisible character in its
    name (validators.validate_tag_name), each with why. The name of a tag that exists, made
    before the rule, is taken as it is: a device's tags sent back by a script, an export
    imported back, were refused whole. No query unless a name has such a character."""
    suspect = {}
    for name in names:
        try:
            validate_tag_name(name)
        except ValidationError as error:
            suspect[name] = error.messages[0]
    unknown = set(tags_unknown(suspect)) if suspect else set()
    return {name: why for name, why in suspect.items() if name.strip() in unknown}
