"""The admin's Hardware changes page (/admin/inventory/device/hardware-changes/): the fleet's
hardware changes since a date (inventory.hardware_changes), each machine a link to its page and
each change to the two snapshots compared; and the dashboard's panel of the last 30 days. For
an account that may view the devices and their hardware snapshots only, as the device page
shows the hardware."""

from datetime import date
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.dateparse import parse_date

from inventory.hardware_changes import SINCE_DAYS, FleetChanges, since_default
from inventory.models import Device, HardwareSnapshot

from .auth import may_view
from .ids import MAX_ID, whole_number

PAGE_ROWS = 50
PANEL_ROWS = 5  # the dashboard's newest changed machines
MSG_SINCE = "Not a date (YYYY-MM-DD): the changes of the last 30 days are shown."


def hardware_changes_visible(user) -> bool:
    """Whether the account may see the fleet's hardware changes (the page, the panel)."""
    return may_view(user, Device, HardwareSnapshot)


def hardware_changes_panel(user) -> dict:
    """The dashboard's panel: how many machines in service had a part changed in the last
    SINCE_DAYS days (RAM, a disk, the CPU, a NIC, a GPU, the board), the newest PANEL_ROWS of
    them with their newest such change, and how many more had only BIOS, OS or kernel updates:
    a weekly cron's kernel updates counted as hardware changes said "23 machines" of a month
    without a part changed. Two queries, one for the words of the changes (each 500), one
    for the words of those shown."""
    if not hardware_changes_visible(user):
        return {}
    changes = FleetChanges(since_default(), per_device=1, parts=True)
    url = reverse("admin:inventory_device_hardware_changes")
    return {
        "hardware_changes": changes[:PANEL_ROWS],
        "hardware_changed": changes.count(),
        "hardware_updated": changes.machines_updated(),
        "hardware_changes_days": SINCE_DAYS,
        "hardware_changes_url": url,
        "hardware_parts_url": f"{url}?parts=1",
    }


def _since(value: str | None) -> tuple[date, str]:
    """The page's ?since= as a date, with what it says of a bad one."""
    if not value:
        return since_default(), ""
    try:
        parsed = parse_date(value)
    except ValueError:  # a date's shape, not a day of the calendar (2026-13-01)
        parsed = None
    return (parsed, "") if parsed else (since_default(), MSG_SINCE)


def hardware_changes_view(model_admin: admin.ModelAdmin, request):
    """The page, newest first, PAGE_ROWS a page (?page=): ?since=YYYY-MM-DD, ?device=<id> (all
    of one machine's changes, the list having its newest few), ?retired=1 (retired machines
    too), ?parts=1 (a part's changes only: no BIOS, OS or kernel update alone)."""
    if not (model_admin.has_view_permission(request) and hardware_changes_visible(request.user)):
        raise PermissionDenied
    since, since_error = _since(request.GET.get("since"))
    device_id = whole_number(request.GET.get("device", ""))
    device_id = device_id if device_id and device_id <= MAX_ID else None
    device = Device.objects.filter(pk=device_id).first() if device_id else None
    retired = request.GET.get("retired") == "1"
    parts = request.GET.get("parts") == "1"
    changes = FleetChanges(since, device_id=device and device.pk, retired=retired, parts=parts)
    page = Paginator(changes, PAGE_ROWS).get_page(request.GET.get("page"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Hardware changes of {device}" if device else "Hardware changes",
        "since": since,
        "since_error": since_error,
        "device": device,
        "retired": retired,
        "parts": parts,
        "page": page,
        "per_device": None if device else changes.per_device,
        # the pages' links keep the page's filters
        "kept": urlencode(
            {"since": since.isoformat(), **({"device": device.pk} if device else {})}
            | ({"retired": 1} if retired else {})
            | ({"parts": 1} if parts else {})
        ),
    }
    return TemplateResponse(request, "admin/inventory/device/hardware_changes.html", context)
