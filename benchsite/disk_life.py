"""Disks near the end of their life (inventory.disk_wear: worn, old), told where a person plans
their replacement: the dashboard's panel and the device page's SMART history. A workstation's
NVMe wore from 60 to 101 % of its rated life over a year with nothing saying it but the
device list's *disks* filter, which one must think of opening. No attention kind says it
(the contract's five are fixed): these pages do.
"""

from typing import Any

from django.urls import reverse

from benchsite.auth import may_view
from inventory.columns import disk_label, one_line
from inventory.disk_wear import (
    OLD_POWER_ON_HOURS,
    WORN_PERCENT_USED,
    disk_reading,
    disks_wearing_out,
)
from inventory.models import Device, HardwareSnapshot

PANEL_ROWS = 3  # per choice: the worst few, the others a link away
HOURS_A_YEAR = 365.25 * 24


def life_said(choice: str, value: float) -> str:
    """How far through its life a disk is, by the reading `choice` reads: "101 % of its
    rated life", "52,000 hours powered on, 5.9 years"."""
    if choice == "worn":
        return f"{value:,} % of its rated life"
    return f"{value:,} hours powered on, {value / HOURS_A_YEAR:.1f} years"


def disk_life_told(reading: dict[str, Any]) -> list[tuple[str, str]]:
    """What the device page says beside a disk's SMART history of its latest reading, worn
    first, each with its badge: ("Worn", "used 101 % of its rated life: plan its
    replacement"); none for a disk neither worn nor old."""
    told = []
    if (used := disk_reading(reading, "worn")) is not None:
        told.append(("Worn", f"used {life_said('worn', used)}: plan its replacement"))
    if (hours := disk_reading(reading, "old")) is not None:
        said = f"{life_said('old', hours)}, past most drives' warranty (3 to 5 years)"
        told.append(("Old", f"{said}: plan its replacement"))
    return told


def disk_life_panel(user) -> dict:
    """The dashboard's panel, for an account that may view the devices and their hardware (as
    the device list's *disks* filter): per choice how many machines in service have such a
    disk, a link to them, and the PANEL_ROWS worst ("ws-03: Samsung 970 EVO Plus at 101 % of
    its rated life"). Nothing when no machine has one. Three queries at most."""
    if not may_view(user, Device, HardwareSnapshot):
        return {}
    told = disks_wearing_out(limit=PANEL_ROWS)
    if not any(count for count, _ in told.values()):
        return {}
    devices_url = reverse("admin:inventory_device_changelist")
    return {
        "disk_life": [
            {
                "choice": choice,
                "count": count,
                "url": f"{devices_url}?disks={choice}&retired=no",
                "worst": [
                    (pk, hostname, f"{_disk_said(disk)} at {life_said(choice, value)}")
                    for pk, hostname, disk, value in worst
                ],
            }
            for choice, (count, worst) in told.items()
            if count
        ],
        "disk_life_worn": WORN_PERCENT_USED,
        "disk_life_old": OLD_POWER_ON_HOURS,
    }


def _disk_said(disk: dict[str, Any]) -> str:
    """A disk by its model ("Samsung SSD 970 EVO Plus 1TB"), else its name and serial."""
    return one_line(disk.get("model")) or disk_label(disk)
