"""Issue 14's year, as a small fleet's weekly bench.sh runs send it: a NAS's SATA disk that dies
slowly and is replaced, a workstation's NVMe wearing out, a closet server's sound disk hot every
summer, and three machines with nothing to tell. `year(example)` yields each week's submissions
in the order the machines send them; the story's tests and a person's walk through the admin
replay it."""

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

WEEKS = 52
# a night's cron, weekly, its last run this week: the year is always the one before today
START = datetime.now(UTC).replace(hour=3, minute=0, second=0, microsecond=0) - timedelta(weeks=52)
OLD_DISK, NEW_DISK = "WD-WCC7K1234567", "WD-WX12D80NEW01"
NAS_SLOT = "/dev/sda"
FAILED_FROM, REPLACED_AT = 44, 48  # the weeks its disk reads FAILED, and the one it is replaced
# the dying disk's counters from the week they reach each value: pending sectors 0 → 2 → 8 → 40
PENDING = {0: 0, 20: 2, 30: 8, 38: 40}
REALLOCATED = {0: 0, 24: 4, 33: 16, 40: 48}
UNCORRECTABLE = {0: 0, 36: 3}
MEDIA_ERRORS = {0: 0, 40: 1, 47: 3}  # the workstation's NVMe
SOUND = ("pc-01", "pc-02", "pc-03")


def at(steps: dict[int, int], week: int) -> int:
    return steps[max(w for w in steps if w <= week)]


def run_at(week: int) -> datetime:
    return START + timedelta(weeks=week)


def summer(week: int) -> float:
    """0 in winter, 1 at the height of summer (week 30 of a year begun in December)."""
    return max(0.0, 1 - abs(week - 30) / 12)


def _disk(name, model, serial, **readings) -> dict:
    kind = "NVMe" if name.startswith("/dev/nvme") else "HDD"
    return {"name": name, "type": kind, "interface": "SATA" if kind == "HDD" else "PCIe 3.0 x4",
            "capacity_gb": 4000 if kind == "HDD" else 1000, "vendor": "WDC" if kind == "HDD"
            else "Samsung", "model": model, "serial": serial, **readings}  # fmt: skip


def nas_disks(week: int) -> list[dict]:
    system = _disk("/dev/nvme0n1", "970 EVO Plus", "S4EWNX0R100001", smart_health="PASSED",
                   temperature_c=40, power_on_hours=9000 + 168 * week, media_errors=0,
                   percent_used=4)  # fmt: skip
    if week >= REPLACED_AT:  # a new disk of the same model in the same slot
        data = _disk(NAS_SLOT, "WD40EFRX", NEW_DISK, smart_health="PASSED", temperature_c=36,
                     power_on_hours=168 * (week - REPLACED_AT), reallocated_sectors=0,
                     pending_sectors=0, offline_uncorrectable=0)  # fmt: skip
    else:
        data = _disk(NAS_SLOT, "WD40EFRX", OLD_DISK,
                     smart_health="FAILED" if week >= FAILED_FROM else "PASSED",
                     temperature_c=38 + round(14 * week / (REPLACED_AT - 1)),  # 38 → 52 °C
                     power_on_hours=31000 + 168 * week,
                     reallocated_sectors=at(REALLOCATED, week),
                     pending_sectors=at(PENDING, week),
                     offline_uncorrectable=at(UNCORRECTABLE, week))  # fmt: skip
    return [system, data]


def workstation_disks(week: int) -> list[dict]:
    return [_disk("/dev/nvme0n1", "PM981", "S3W8NX0M300002", smart_health="PASSED",
                  temperature_c=45, power_on_hours=20000 + 168 * week,
                  percent_used=60 + round(41 * week / (WEEKS - 1)),  # 60 → 101
                  media_errors=at(MEDIA_ERRORS, week))]  # fmt: skip


def closet_disks(week: int) -> list[dict]:
    """Sound all year; 35 °C in winter, 58 °C in the hottest week: under DISK_HOT_C (60)."""
    return [_disk("/dev/sda", "ST4000VN008", "ZDH1CLOSET", smart_health="PASSED",
                  temperature_c=35 + round(23 * summer(week)), power_on_hours=12000 + 168 * week,
                  reallocated_sectors=0, pending_sectors=0, offline_uncorrectable=0)]  # fmt: skip


def sound_disks(host: str) -> list[dict]:
    return [_disk("/dev/nvme0n1", "970 EVO Plus", f"S4EWNX0R{host.upper()}", smart_health="PASSED",
                  temperature_c=38, media_errors=0, percent_used=5)]  # fmt: skip


def disk_score(week: int) -> float:
    """The NAS's disk score: 130 while its disk is sound, slower as it retries its sectors,
    130 again with the new one."""
    if week >= REPLACED_AT:
        return 131.0
    return round(130.0 - 0.5 * at(PENDING, week) - 0.3 * at(REALLOCATED, week), 1)


def submission(example: dict, host: str, week: int, disks: list[dict], disk: float) -> dict:
    document = copy.deepcopy(example)
    document["device_identifier"] = host
    document["submission_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{host}/{week}"))
    document["hardware"]["system"] = {"machine_id": f"{host}-machine-id"}
    document["hardware"]["storage"]["devices"] = disks
    document["hardware"]["storage"]["partitions"] = []
    document["hardware"]["network"] = None
    for name in ("network", "gpu"):
        document["results"][name] = None
    document["results"]["disk"]["score"] = disk
    document["results"]["global_score"] = None
    document["results"]["conditions"] = {"started_at": run_at(week).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return document


def week_runs(example: dict, week: int) -> Iterator[dict]:
    """The week's six runs: the NAS, the workstation, the closet server, the sound ones."""
    yield submission(example, "nas", week, nas_disks(week), disk_score(week))
    yield submission(example, "ws", week, workstation_disks(week), 130.0)
    yield submission(example, "closet", week, closet_disks(week), 120.0)
    for host in SOUND:
        yield submission(example, host, week, sound_disks(host), 130.0)
