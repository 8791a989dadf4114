"""A machine gone quiet: in service, it has run bench.sh, and its latest run is older than
QUIET_AFTER_DAYS (its cron line removed, its token revoked, the machine dead or its disk full).
Nothing tells it otherwise: the ranking keeps its old figures. Read off the device row's
`last_benchmark_at` (kept by every submission, indexed: inventory_device_last_run) and
`last_received_at` (when its latest run arrived), never the runs: a run's time is the
machine's clock, and one far behind dated a run that had just arrived years back, the machine
"not heard from" for 1,069 days on a dashboard that listed it under "Recent submissions". The
dashboard's "Not heard from", the device list's "Last run" filter, the device page's "No run
for 23 days." and /api/devices?quiet= share these rules; alerting is Prometheus' job (README,
"Metrics")."""

import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import lifecycle
from .models import Device


def now() -> datetime.datetime:
    """The time a machine's silence is measured to; tests patch it (inventory.quiet.now), as
    lifecycle.today for the dates."""
    return timezone.now()


def quiet_after_days() -> int:
    """QUIET_AFTER_DAYS: 0 when the feature is off."""
    return settings.QUIET_AFTER_DAYS


def quiet_since(*, at: datetime.datetime) -> datetime.datetime | None:
    """A latest run before this moment is a quiet machine's; None when the feature is off. Whole
    days of 24 hours, as the README's Prometheus rule counts them."""
    days = quiet_after_days()
    return at - datetime.timedelta(days=days) if days else None


def quiet_condition(*, at: datetime.datetime) -> Q:
    """The quiet machines as a filter (one that matches none when the feature is off)."""
    since = quiet_since(at=at)
    if since is None:
        return Q(pk__in=[])
    # the run time's index bounds it; a run that arrived since, whatever its time, was heard
    heard = Q(last_received_at__gte=since)
    return Q(retired_on__isnull=True, last_benchmark_at__lt=since) & ~heard


def devices_quiet(
    devices: QuerySet[Device], *, quiet: bool = True, at: datetime.datetime | None = None
) -> QuerySet[Device]:
    """Those of `devices` that have gone quiet by `at` (now) (quiet=False: the others: retired,
    never run, heard from lately, or every one when the feature is off)."""
    condition = quiet_condition(at=at or now())
    return devices.filter(condition) if quiet else devices.exclude(condition)


def device_quiet_longest(*, limit: int, at: datetime.datetime) -> tuple[list[Device], int]:
    """Up to `limit` machines quiet by `at`, the longest silent first, and how many there are:
    one query when they are fewer than the limit (the dashboard's "Not heard from")."""
    if not quiet_after_days():
        return [], 0
    quiet = devices_quiet(Device.objects.all(), at=at)
    # by when each was heard from, its latest run's arrival: by the run's time, a machine whose
    # clock is years behind came first, "20 days" before ones silent for 120 days, which the
    # panel then left out. The arrivals' index (inventory_device_last_heard) walked in its own
    # order, bounded by the same moment (every run keeps its arrival, inventory.runs; migration
    # inventory 0033 gave one to rows without), stops at `limit` with the whole fleet quiet:
    # the dashboard's p50 doubled at 10,000 machines when SQLite sorted them
    shown = quiet.filter(last_received_at__lt=quiet_since(at=at))
    shown = shown.only("hostname", "last_benchmark_at", "last_received_at").order_by(
        "last_received_at", "hostname", "id"
    )
    devices = list(shown[:limit])
    if len(devices) < limit:
        return devices, len(devices)
    return devices, quiet.count()


def days_silent(last_run: datetime.datetime, *, at: datetime.datetime) -> int:
    """Whole days from `last_run` to `at` (0 for a run dated ahead of the clock)."""
    return max(0, (at - last_run).days)


def days_said(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''}"


def heard_at(device: Device) -> datetime.datetime | None:
    """When the machine was last heard from: its latest run's arrival, or that run's time when
    later (a clock ahead, within the five minutes it may be)."""
    times = [when for when in (device.last_benchmark_at, device.last_received_at) if when]
    return max(times, default=None)


def silence(device: Device, *, at: datetime.datetime) -> str:
    """How long the machine has not run, as said: "23 days"."""
    return days_said(days_silent(heard_at(device), at=at))


def quiet_sentence(device: Device, *, at: datetime.datetime) -> str | None:
    """What the device page says of a quiet machine: "No run for 23 days: its last bench.sh run
    was on 2026-11-12." None when it is not quiet."""
    since, last_run = quiet_since(at=at), heard_at(device)
    if since is None or device.retired_on is not None or last_run is None or last_run >= since:
        return None
    day = lifecycle.day_of(last_run).isoformat()
    return f"No run for {silence(device, at=at)}: its last bench.sh run was on {day}."
