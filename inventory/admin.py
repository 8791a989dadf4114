"""The inventory's own admin: links, tags, and the pieces of the device page (links inline,
hardware filters). The device page itself is composed in benchsite.device_admin, where the runs
and documents of a device are importable too, and a snapshot's in benchsite.snapshot_admin,
with the device page's hardware tables."""

import datetime

from django.contrib import admin
from django.contrib.admin.widgets import AdminURLFieldWidget
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from benchsite.auth import may_view
from benchsite.records_admin import BlankNamedFilter, NamedRowsFormSet

from . import changelog, disk_wear, lifecycle, quiet, releases, services
from .models import Device, HardwareSnapshot, ManufacturerLink, Tag
from .validators import LinkURLValidator


def link_changed(before: dict, link: ManufacturerLink) -> str:
    """'Changed manufacturer link "Support": url "https://a" → "https://b".', "" for no change."""
    changes = changelog.field_changes(before, {"label": link.label, "url": link.url})
    if not changes:
        return ""
    said = changelog.describe_changes(changes)
    return f"Changed manufacturer link {changelog.shown(before['label'])}: {said}."


class ManufacturerLinkFormSet(NamedRowsFormSet):
    """The device page's links, written through the link services like the API's, and said in
    its history in the API's words with their old and new values (`history`): Django's said
    "Changed URL for manufacturer link “Support”." alone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.history: list[str] = []

    def save_new(self, form, commit=True):
        if not commit:
            return super().save_new(form, commit=commit)
        data = form.cleaned_data
        link = services.link_create(device=self.instance, label=data["label"], url=data["url"])
        self.history.append(f"Added {changelog.link_text(link.label, link.url)}.")
        return link

    def save_existing(self, form, obj, commit=True):
        if not commit:
            return super().save_existing(form, obj, commit=commit)
        before = {name: form.initial.get(name) for name in ("label", "url")}
        link = services.link_update(link=obj, data=form.cleaned_data)
        self.history += filter(None, [link_changed(before, link)])
        return link

    def delete_existing(self, obj, commit=True):
        if commit:
            services.link_delete(link=obj)
            self.history.append(f"Deleted {changelog.link_text(obj.label, obj.url)}.")

    @classmethod
    def history_of(cls, formsets) -> list[str]:
        """What a page's save did to the device's links, a sentence each."""
        return [
            line for formset in formsets if isinstance(formset, cls) for line in formset.history
        ]


# The admin's URL input, which shows the stored URL as a link when its validator takes it: the
# links' own validator, so that a LAN machine's bare name (http://nas:5000/) is a link too. A
# URL typed without a scheme is taken as https (inventory.validators.LinkURLFormField).
class LinkURLWidget(AdminURLFieldWidget):
    """Without the input's maxlength: a browser cut a pasted URL longer than the column to its
    first 2,000 characters, and the link saved broken without a word; the form's check names
    the length, as the API's does."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("maxlength", None)
        return context


LINK_FORMFIELDS = {models.URLField: {"widget": LinkURLWidget(validator_class=LinkURLValidator)}}


class ManufacturerLinkInline(admin.TabularInline):
    model = ManufacturerLink
    formset = ManufacturerLinkFormSet
    fields = ("label", "url")
    extra = 0
    formfield_overrides = LINK_FORMFIELDS


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
        return [(value, value) for value in values]

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
        run = [((n, v), releases.release_name(n, v)) for n, v in releases.releases_run()]
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


@admin.register(ManufacturerLink)
class ManufacturerLinkAdmin(admin.ModelAdmin):
    list_display = ("label", "device", "link", "updated_at")
    # a device without a location is "(none)", as the device list's filter says it (Django's
    # choice for it was an empty link)
    list_filter = (("device__location", BlankNamedFilter), "updated_at")
    search_fields = ("label__folded__icontains", "url", "device__hostname")  # "Pilotes vidéo"
    list_select_related = ("device",)
    autocomplete_fields = ("device",)
    readonly_fields = ("created_at", "updated_at")
    formfield_overrides = LINK_FORMFIELDS

    def get_readonly_fields(self, request, obj=None):
        # a link stays with its device (link_update edits label and URL)
        return (*self.readonly_fields, "device") if obj else self.readonly_fields

    # each change is a line in its device's history too, in the API's words (README, "History"):
    # a link edited or deleted on these pages left none there
    def save_model(self, request, obj, form, change):
        if change:
            before = {name: form.initial.get(name) for name in ("label", "url")}
            if said := link_changed(before, services.link_update(link=obj, data=form.cleaned_data)):
                self._history(request, (obj, said))
            return
        link = services.link_create(device=obj.device, label=obj.label, url=obj.url)
        # the admin goes on with `obj` (its message, its redirect): make it the created link
        obj.pk, obj.created_at, obj.updated_at = link.pk, link.created_at, link.updated_at
        obj._state.adding = False
        self._history(request, (obj, f"Added {changelog.link_text(obj.label, obj.url)}."))

    @staticmethod
    def _history(request, *links_said) -> None:
        changelog.device_history_log(
            actor=request.user,
            entries=[changelog.Entry(link.device, said) for link, said in links_said],
        )

    @admin.display(description="URL", ordering="url")
    def link(self, obj):
        # clickable as the admin makes a URL, by this field's own rule: the admin's would leave
        # a LAN host's bare name (http://nas/) as text; anything else stays text
        try:
            LinkURLValidator()(obj.url)
        except ValidationError:
            return obj.url
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', obj.url, obj.url)

    def delete_model(self, request, obj):
        services.link_delete(link=obj)
        self._history(request, (obj, f"Deleted {changelog.link_text(obj.label, obj.url)}."))

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        gone = list(queryset.select_related("device"))
        services.links_delete(links=queryset)
        self._history(
            request,
            *((link, f"Deleted {changelog.link_text(link.label, link.url)}.") for link in gone),
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "machines")
    search_fields = ("name",)
    # by name, whatever its case: with the count below Django drops Meta.ordering (a GROUP
    # BY), and the tags' picker listed them as created, paged without an order
    ordering = (Lower("name"), "pk")

    def get_queryset(self, request):
        # the count links to the device list for who may open it (said per row: the admin is
        # one object for every request)
        may_open = may_view(request.user, Device)
        return (
            super()
            .get_queryset(request)
            .annotate(device_count=models.Count("devices"), devices_linked=models.Value(may_open))
        )

    @admin.display(description="devices", ordering="device_count")
    def machines(self, tag):
        # how many machines carry it, a click from the device list filtered by it
        if not tag.device_count or not tag.devices_linked:
            return str(tag.device_count)
        url = reverse("admin:inventory_device_changelist")
        return format_html('<a href="{}?tags__id__exact={}">{}</a>', url, tag.pk, tag.device_count)
