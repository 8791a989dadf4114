"""Machines side by side: GET /api/compare?devices=1,2,3 (compare_api) and the admin's page of
it and of two snapshots (compare_admin).

Each device's ranking figures (columns of its row) and its latest snapshot's hardware (one
join): the whole comparison is one query, whatever the number of devices.
"""

from collections.abc import Sequence
from typing import Any

from django.http import Http404

from benchmarks.models import Validity
from benchmarks.selectors import ranking_suspect_reasons
from inventory.columns import model_key
from inventory.history import gb
from inventory.models import Device, HardwareSnapshot
from inventory.releases import release_name
from inventory.schema import CATEGORIES
from inventory.summary import sold_size

from .ids import MAX_ID, whole_number

MIN_DEVICES, MAX_DEVICES = 2, 10
HARDWARE_KEYS = ("cpu_model", "cores", "threads", "ram_total_mb", "gpu_model", "disks", "os")
# beyond the contract's keys: what tells twins apart when their parts are the same (a slow
# twin's BIOS or kernel), each in `differences` too
FIRMWARE_KEYS = ("bios_version", "kernel_version")
SCORE_KEYS = ("global", *(c.name for c in CATEGORIES))

MSG_COUNT = (
    f"Give {MIN_DEVICES} to {MAX_DEVICES} device ids separated by commas, e.g. devices=1,2,3."
)
MSG_NOT_ID = "{value!r} is not a device id."
MSG_REPEATED = "Device {value} is given twice."
MSG_TWICE = "Give devices once: devices=1,2,3."
MSG_UNKNOWN = "No device with id {ids}."


class CompareError(ValueError):
    """Bad `devices`: the API answers 400 naming it."""


def parse_ids(given: list[str]) -> list[int]:
    """The device ids of `devices=1,2,3` (the parameter's values: one), in the order given (2
    to 10, each once)."""
    if len(given) > 1:  # which list was meant is not for the server to guess
        raise CompareError(MSG_TWICE)
    raw = given[0] if given else ""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not MIN_DEVICES <= len(parts) <= MAX_DEVICES:
        raise CompareError(MSG_COUNT)
    ids: list[int] = []
    for part in parts:
        pk = whole_number(part)
        if pk is None or not 0 < pk <= MAX_ID:
            # a long one cut, said so: "'99999999999999999999…'", not as if it had been sent
            shown = part if len(part) <= 20 else part[:20] + "…"
            raise CompareError(MSG_NOT_ID.format(value=shown))
        if pk in ids:
            raise CompareError(MSG_REPEATED.format(value=part))
        ids.append(pk)
    return ids


def _disks(snapshot: HardwareSnapshot) -> list[tuple[str, str | None]]:
    """The snapshot's disks that have a model (a VM's virtual disk has none: its device name,
    /dev/vda or /dev/sda, says nothing of the hardware), as search reads them, each with its
    capacity as it is sold ("2 TB"; None unknown): a 500 GB and a 2 TB disk of one model
    compared alike."""
    disks = (snapshot.storage or {}).get("devices") if isinstance(snapshot.storage, dict) else None
    return [
        (str(disk["model"]), sold_size(disk.get("capacity_gb")))
        for disk in (disks if isinstance(disks, list) else ())
        if isinstance(disk, dict) and disk.get("model")
    ]


def _comparable(key: str, hardware: dict[str, Any]) -> Any:
    """What two machines' `key` is compared by: a model as peers match them (case and runs of
    spaces aside, inventory.columns.model_key), disks whatever their order, RAM in the GB the
    page shows (twins' MemTotal differ by a few MB: "64 GB ≠ 64 GB")."""
    value = hardware[key]
    if key == "disks":
        pairs = zip(value, hardware["disk_sizes"], strict=True)
        return sorted((model_key(model), size or "") for model, size in pairs)
    if key == "ram_total_mb" and value is not None:
        return gb(value)
    return model_key(value) if isinstance(value, str) else value


def device_hardware(snapshot: HardwareSnapshot | None) -> dict[str, Any]:
    """The compared hardware of a snapshot; every value None (disks []) without one."""
    if snapshot is None:
        lists = ("disks", "disk_sizes")
        keys = (*HARDWARE_KEYS, "disk_sizes", *FIRMWARE_KEYS)
        return {key: [] if key in lists else None for key in keys}
    disks = _disks(snapshot)
    os_name = release_name(snapshot.os_name, snapshot.os_version)  # as the OS filter names it
    return {
        "cpu_model": snapshot.cpu_model or None,
        "cores": snapshot.cpu_cores,
        "threads": snapshot.cpu_threads,
        "ram_total_mb": snapshot.ram_total_mb,
        "gpu_model": snapshot.gpu_model or None,
        "disks": [model for model, _ in disks],
        "disk_sizes": [size for _, size in disks],  # an extension, the disks' in turn
        "os": os_name or None,
        "bios_version": snapshot.bios_version or None,
        "kernel_version": snapshot.kernel_version or None,
    }


def device_scores(device: Device) -> dict[str, float | None]:
    """The device's ranking figures by category name, "global" first."""
    return {
        "global": device.global_score,
        **{c.name: getattr(device, f"{c.name}_score") for c in CATEGORIES},
    }


def differs(key: str, item: dict[str, Any], other: dict[str, Any]) -> bool:
    return _comparable(key, item["hardware"]) != _comparable(key, other["hardware"])


def _ranking_run(device: Device, suspect: list[str] | None) -> dict[str, Any]:
    if device.global_score is None:  # no figures: no run to tell of
        validity = None
    else:
        validity = Validity.SUSPECT if suspect is not None else Validity.VALID
    return {
        "ranking_run_at": device.ranking_run_at if validity else None,
        "ranking_validity": validity,
        "ranking_validity_reasons": suspect or [],
    }


def compare_devices(ids: Sequence[int]) -> dict[str, Any]:
    """The comparison of these devices, in this order; Http404 naming any unknown id."""
    devices = {
        device.pk: device
        for device in Device.objects.filter(pk__in=ids)
        .select_related("latest_snapshot")
        .defer("latest_snapshot__raw", "latest_snapshot__network")
    }
    missing = [pk for pk in ids if pk not in devices]
    if missing:
        raise Http404(MSG_UNKNOWN.format(ids=", ".join(map(str, missing))))
    suspect = ranking_suspect_reasons(devices.values())
    items = [
        {
            "id": pk,
            "hostname": devices[pk].hostname,
            # an extension: a retired machine's figures are its last (it is in no ranking)
            "retired_on": devices[pk].retired_on,
            # an extension: hardware is compared from a snapshot, which a device made by hand
            # or imported has not yet (two such read "no differences", as twins)
            "has_snapshot": devices[pk].latest_snapshot_id is not None,
            "scores": device_scores(devices[pk]),
            "hardware": device_hardware(devices[pk].latest_snapshot),
            "last_benchmark_at": devices[pk].last_benchmark_at,
            "latest_validity": devices[pk].latest_validity or None,
            "latest_validity_reasons": list(devices[pk].latest_validity_reasons or ()),
            # a figure its run left out of the global score (a network measured on loopback)
            "ranking_excluded_categories": list(devices[pk].ranking_excluded or ()),
            # the run the scores are from, which is not always the latest
            **_ranking_run(devices[pk], suspect.get(pk)),
        }
        for pk in ids
    ]
    differences = [
        f"hardware.{key}"
        for key in (*HARDWARE_KEYS, *FIRMWARE_KEYS)
        if any(differs(key, item, items[0]) for item in items)
    ]
    return {"devices": items, "differences": differences}


# what a comparison shows: the devices' ranking figures and their latest hardware (a staff
# session needs the view permission of both, as the device page asks to show the hardware)
COMPARED_MODELS = (Device, HardwareSnapshot)
