"""The device list's filters in the admin: the hardware its machines have now (for who may view
it), their tags, their service and life. Composed into the device list in
benchsite.device_admin."""

import datetime
from collections.abc import Callable

from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from benchsite.auth import may_view

from . import disk_wear, lifecycle, quiet, releases
from .models import Device, HardwareSnapshot


def once_per_request(request, key: str, read: Callable[[], list]) -> list:
    """`read()` once per request: Django's "Show counts" makes every filter of the list again
    for each filter's counts, each reading its choices again (61 queries, 1.6 s at 10,000
    machines, where 31 tell the same)."""
    memo = request.__dict__.setdefault("_filter_choices", {})
    if key not in memo:
        memo[key] = read()
    return memo[key]


class _LatestSnapshotFilter(admin.SimpleListFilter):
    """Devices whose latest snapshot has a given value of `field`, for who may view the
    hardware (an account that may view devices only was offered every OS, CPU vendor and
    virtualisation of the fleet, and which machines have each, that the page hid from it)."""

    field = ""

    def lookups(self, request, model_admin):
        if not may_view(request.user, HardwareSnapshot):
            return ()
        # what the machines have now (their latest snapshots): every snapshot's values offered
        # ones only a machine's past had, which listed no device, and read every snapshot
        # (380 ms of the list's 434 at 88,000 snapshots)
        column = f"latest_snapshot__{self.field}"
        values = (
            Device.objects.filter(latest_snapshot__isnull=False)
            .exclude(**{column: ""})
            .order_by(column)
            .values_list(column, flat=True)
            .distinct()[:50]
        )
        return once_per_request(request, column, lambda: [(value, value) for value in values])

    def queryset(self, request, queryset):
        if self.value() and may_view(request.user, HardwareSnapshot):
            return queryset.filter(**{f"latest_snapshot__{self.field}": self.value()})
        return queryset


class TagsFilter(admin.RelatedFieldListFilter):
    """The tags, the devices without any named "(none)" as the blank location and owner are
    (Django names it with the list's empty value, "–")."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.empty_value_display = "(none)"
        self.title = "tag"  # as its neighbours: "By location", "By owner" (not "By tags")

    def field_choices(self, field, request, model_admin):
        read = super().field_choices
        return once_per_request(request, "tags", lambda: read(field, request, model_admin))


class CpuVendorFilter(_LatestSnapshotFilter):
    title = "CPU vendor"
    parameter_name = "cpu_vendor"
    field = "cpu_vendor"


class OsFilter(admin.SimpleListFilter):
    """By OS release, "Debian GNU/Linux 11 (bullseye)" (inventory.releases), for who may view
    the hardware: `?os=NAME&os_version=VERSION`. It offered OS names only, which told nobody
    which machines still run Debian 11; a link saved then (`?os=NAME`) still lists every
    machine running that OS, which the filter then names as its choice."""

    title = "OS"
    parameter_name = "os"
    version_parameter = "os_version"

    def __init__(self, request, params, model, model_admin):
        # what this filter reads besides `os`: the changelist refuses a parameter no filter took
        self.version = params.pop(self.version_parameter, [None])[-1]
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        if not may_view(request.user, HardwareSnapshot):
            return ()
        run = [
            ((n, v), releases.release_name(n, v))
            for n, v in once_per_request(request, "os", releases.releases_run)
        ]
        if self.value() and self.version is None:  # a saved link's, every version of an OS
            return [((self.value(), None), f"{self.value()}, any version"), *run]
        return run

    def expected_parameters(self):
        return [self.parameter_name, self.version_parameter]

    def queryset(self, request, queryset):
        if (self.value() or self.version is not None) and may_view(request.user, HardwareSnapshot):
            return releases.devices_running(queryset, name=self.value(), version=self.version)
        return queryset

    def get_facet_counts(self, pk_attname, filtered_qs):
        chosen, counts = (self.value(), self.version), {}
        for i, ((name, version), _title) in enumerate(self.lookup_choices):
            self.used_parameters[self.parameter_name], self.version = name, version
            matching = self.queryset(self.request, filtered_qs)
            counts[f"{i}__c"] = models.Count(pk_attname, filter=Q(pk__in=matching))
        self.used_parameters[self.parameter_name], self.version = chosen
        return counts

    def choices(self, changelist):
        # Django's, each choice two parameters: an "any version" choice leaves out the second
        counts = self.get_facet_queryset(changelist) if changelist.add_facets else None
        both = [self.parameter_name, self.version_parameter]
        yield {
            "selected": self.value() is None and self.version is None,
            "query_string": changelist.get_query_string(remove=both),
            "display": _("All"),
        }
        for i, ((name, version), title) in enumerate(self.lookup_choices):
            params = {self.parameter_name: name, self.version_parameter: version}
            yield {
                "selected": (name, version) == (self.value(), self.version),
                "query_string": changelist.get_query_string(params),
                "display": title if counts is None else f"{title} ({counts[f'{i}__c']})",
            }


class VirtualizationFilter(_LatestSnapshotFilter):
    title = "virtualisation"
    parameter_name = "virtualization"
    field = "virtualization_type"


class DiskWearFilter(admin.SimpleListFilter):
    """The machines with an old or worn disk (inventory.disk_wear), for who may view the
    hardware, as the filters above."""

    title = "disks"
    parameter_name = "disks"

    def lookups(self, request, model_admin):
        if not may_view(request.user, HardwareSnapshot):
            return ()
        return [(value, choice[0]) for value, choice in disk_wear.DISK_CHOICES.items()]

    def queryset(self, request, queryset):
        if self.value() in disk_wear.DISK_CHOICES and may_view(request.user, HardwareSnapshot):
            return disk_wear.devices_with_disks(queryset, self.value())
        return queryset


class RetiredFilter(admin.SimpleListFilter):
    """In service (no retirement date) or retired; the dashboard's "not ranked" links here."""

    title = "service"
    parameter_name = "retired"

    def lookups(self, request, model_admin):
        return (("no", "In service"), ("yes", "Retired"))

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(retired_on__isnull=self.value() == "no")
        return queryset


class WarrantyFilter(admin.SimpleListFilter):
    """By warranty end, as of today: "under warranty" includes those that end within 90 days
    (still covered; that choice lists them alone)."""

    title = "warranty"
    parameter_name = "warranty"

    def lookups(self, request, model_admin):
        return (
            (lifecycle.ENDED, "ended"),
            (lifecycle.ENDING, f"ends within {lifecycle.ENDING_SOON_DAYS} days"),
            (lifecycle.UNDER, "under warranty"),
            (lifecycle.UNKNOWN, "unknown"),
        )

    def queryset(self, request, queryset):
        today = lifecycle.today()
        soon = today + datetime.timedelta(days=lifecycle.ENDING_SOON_DAYS)
        return {
            lifecycle.ENDED: lambda: queryset.filter(warranty_until__lt=today),
            lifecycle.ENDING: lambda: queryset.filter(warranty_until__range=(today, soon)),
            lifecycle.UNDER: lambda: queryset.filter(warranty_until__gte=today),
            lifecycle.UNKNOWN: lambda: queryset.filter(warranty_until__isnull=True),
        }.get(self.value(), lambda: queryset)()


class LastRunFilter(admin.SimpleListFilter):
    """By the latest run's time (the device row's last_benchmark_at, indexed): heard from within
    a week or a month, gone quiet (in service, no run for QUIET_AFTER_DAYS: the dashboard's "Not
    heard from" links here; offered while the setting is not 0), or never run."""

    title = "last run"
    parameter_name = "last_run"

    def lookups(self, request, model_admin):
        days = quiet.quiet_after_days()
        quiet_choice = [("quiet", f"quiet: over {quiet.days_said(days)}, in service")]
        return (
            ("7d", "within 7 days"),
            ("30d", "within 30 days"),
            *(quiet_choice if days else ()),
            ("never", "never"),
        )

    def queryset(self, request, queryset):
        value, now = self.value(), quiet.now()
        if value in ("7d", "30d"):
            since = now - datetime.timedelta(days=int(value[:-1]))
            # heard from: a run dated so, or one that arrived so (a clock behind dates it back)
            return queryset.filter(Q(last_benchmark_at__gte=since) | Q(last_received_at__gte=since))
        if value == "quiet":
            return quiet.devices_quiet(queryset, at=now)
        if value == "never":
            return queryset.filter(last_benchmark_at__isnull=True)
        return queryset


# a machine's service and life: in service or retired, heard from lately, under warranty
LIFE_FILTERS = (RetiredFilter, LastRunFilter, WarrantyFilter)
