"""The device page and the device list of the admin: the machine with its hardware, its runs,
its links and its documents, composed here because this layer may import every app."""

import json

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.db.models.functions import Lower
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from documents.admin import DocumentInline, DocumentUploads
from documents.models import Document
from insights import services as services_insights
from insights.models import AttentionItem
from inventory import changelog, services
from inventory.admin import ManufacturerLinkFormSet, ManufacturerLinkInline
from inventory.lifecycle import LIFECYCLE_FIELDS
from inventory.list_filters import (
    LIFE_FILTERS,
    CpuVendorFilter,
    DiskWearFilter,
    OsFilter,
    TagsFilter,
    VirtualizationFilter,
)
from inventory.models import Device, HardwareSnapshot, ManufacturerLink
from inventory.schema import CATEGORIES
from inventory.search import (
    MAX_SEARCH_TERMS,
    MSG_TOO_MANY_TERMS,
    each_term,
    names_first,
    search_terms,
)
from inventory.selectors import SNAPSHOT_SIZED_FIELDS, device_search_fields

from . import device_services
from .auth import may_view
from .bulk_delete import deleted_objects
from .bulk_edit import BULK_ACTIONS
from .compare import COMPARED_MODELS
from .compare_admin import compare_selected, compare_view, snapshots_compare_view
from .device_attention import AttentionFilter, hostname_marked, unmute_view, with_attention
from .device_form_errors import form_errors
from .hardware_changes_admin import hardware_changes_view, hardware_changes_visible
from .hardware_tables import table_links
from .import_admin import import_view
from .paginator import KeysFirstPaginator
from .records_admin import BlankNamedFilter, cpu_model_cell, score_text
from .sites import export_csv
from .story import can_acknowledge, device_page_story
from .tags_field import TagsField
from .templatetags.humanize_scores import latest_run_cell, partial_mark, uncounted


def history_hidden_kinds(user) -> set[str]:
    """What the history (a device's, the log) does not tell this account of documents and links
    it may not open: a file name, a title, a label, a URL (changelog.history_hidden)."""
    hidden = (("document", Document), ("manufacturer link", ManufacturerLink))
    return {kind for kind, model in hidden if not may_view(user, model)}


def _score_column(name: str, label: str, *, strong: bool = False):
    """A ranking figure of the device as a sortable changelist column."""
    category = name.removesuffix("_score")

    @admin.display(description=label, ordering=name)
    def column(device):
        value = getattr(device, name)
        if value is None:
            return "–"
        if category in (device.ranking_excluded or ()):
            return uncounted(value)
        if not strong:
            return score_text(value)
        return format_html("<strong>{}</strong>{}", score_text(value), partial_mark(device))

    column.__name__ = name
    return column


SCORE_COLUMNS = (
    _score_column("global_score", "global", strong=True),
    *(_score_column(f"{c.name}_score", c.label) for c in CATEGORIES),
)


# a submission names its device by the machine's hostname (README, "Device matching"): a rename
# in the admin alone was undone by the machine's next run without a word (an audit)
HOSTNAME_HELP = (
    "The machine's own hostname, which bench.sh sends: renamed here only, the device is renamed "
    "back by the machine's next run (found by its machine-id, UUID or serial). Rename the "
    "machine itself, or run bench.sh there with --device NAME."
)


@admin.register(Device)
class DeviceAdmin(DocumentUploads, TagsField, admin.ModelAdmin):
    # owner is a filter and a search field, not a column: the list fits 1400 px with the
    # navigation sidebar open (benchsite/tests/test_browser_fleet.py)
    # the ranking, never-benchmarked devices last; as a class attribute (not get_ordering) so
    # that the changelist marks the global column as the one sorted by, not the model's hostname.
    # Ties by name, as an expression: a second marked column widens the header past 1400 px.
    ordering = (F("global_score").desc(nulls_last=True), Lower("hostname"))
    list_display = (hostname_marked, "location_cut", *SCORE_COLUMNS, "cpu_model", "last_run")
    list_display_links = (hostname_marked,)
    list_filter = (
        AttentionFilter,
        ("location", BlankNamedFilter),
        ("owner", BlankNamedFilter),
        ("tags", TagsFilter),
        CpuVendorFilter,
        OsFilter,
        VirtualizationFilter,
        DiskWearFilter,
        *LIFE_FILTERS,
    )
    search_fields = device_search_fields()
    search_help_text = (
        "Hostname (or one it had), description, location, owner, tag, asset tag, serial, or "
        "hardware: CPU, "
        "system, GPU or disk model, CPU microarchitecture, motherboard model, BIOS version, OS "
        "name or version (a release: debian 11), kernel version, a disk's serial, a MAC or IP "
        "address."
    )

    def get_search_results(self, request, queryset, search_term):
        """Each term in any field or tag, as the API's ?search= (inventory.search.each_term);
        terms split and quoted as there (inventory.search.search_terms)."""
        terms = search_terms(search_term)
        if not terms:
            return queryset, False
        if len(terms) > MAX_SEARCH_TERMS:
            messages.warning(
                request, f"{MSG_TOO_MANY_TERMS} The first {MAX_SEARCH_TERMS} searched."
            )
            terms = terms[:MAX_SEARCH_TERMS]
        fields = self.get_search_fields(request)
        own = [f"{f}__icontains" for f in fields if not f.startswith("tags__")]
        related = [f"{f}__icontains" for f in fields if f.startswith("tags__")]
        found = queryset.filter(*each_term(Device, terms, own, related))
        if request.path == reverse("admin:autocomplete"):
            # a device picked by typing its name (a link's or a document's device): the names
            # that match first, not the fastest machine whose system model matched ("elite"
            # and Enter picked pve-node1, an EliteDesk too)
            found = names_first(found, " ".join(terms))  # as parsed: quotes read as such
        return found, False

    list_select_related = ("latest_snapshot",)
    list_per_page = 50
    paginator = KeysFirstPaginator  # a deep page reads the ranking's index to it
    readonly_fields = ("machine_id", "system_uuid", "serial", "created_at", "updated_at")
    fieldsets = (
        # titled: under the story that heads the page, the fields need a heading of their own
        ("Details", {"fields": ("hostname", "fqdn", "description", "tags")}),
        ("Inventory", {"fields": ("asset_tag", "location", "owner")}),
        ("Life", {"fields": LIFECYCLE_FIELDS}),  # a retired machine leaves the fleet's views
        ("Identity (reported by the machine)", {"fields": ("machine_id", "system_uuid", "serial")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (ManufacturerLinkInline, DocumentInline)
    actions = (export_csv, compare_selected, *BULK_ACTIONS)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "hostname":
            kwargs["help_text"] = HOSTNAME_HELP
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    class Media:
        js = ("benchsite/search_names.js", "benchsite/unsaved.js")

    # the hardware (the CPU model's column, a search by a serial or an address) is shown to who
    # may view it, as the device page shows it
    def get_search_fields(self, request):
        return device_search_fields(hardware=may_view(request.user, HardwareSnapshot))

    def get_list_display(self, request):
        if may_view(request.user, HardwareSnapshot):
            return self.list_display
        return tuple(column for column in self.list_display if column != "cpu_model")

    def has_compare_permission(self, request):
        # "Compare selected" shows the machines' latest hardware (compare.COMPARED_MODELS)
        return self.has_view_permission(request) and may_view(request.user, *COMPARED_MODELS)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # a device added by hand: what the machine reports comes with its first run, and
            # its record with its saving; two sections of dashes read as fields to fill in
            return self.fieldsets[:3]
        return super().get_fieldsets(request, obj)

    def get_queryset(self, request):
        # the latest snapshot rides along for its CPU model; what grows with its disks (its
        # JSON, its disks' readings, serials and models, its addresses) stays unread
        sized = (f"latest_snapshot__{name}" for name in SNAPSHOT_SIZED_FIELDS)
        return with_attention(super().get_queryset(request).defer(*sized), request)

    @admin.display(description="CPU model", ordering="latest_snapshot__cpu_model")
    def cpu_model(self, device):
        snapshot = device.latest_snapshot
        return cpu_model_cell(snapshot.cpu_model if snapshot else "")

    # not named last_benchmark_at: the admin would show the model field of that name instead
    @admin.display(description="last benchmark", ordering="last_benchmark_at")
    def last_run(self, device):
        return latest_run_cell(device)

    @admin.display(description="location", ordering="location")
    def location_cut(self, device):
        if not device.location:
            return "–"
        return format_html(
            '<span class="bt-cut" title="{}">{}</span>', device.location, device.location
        )

    def changelist_view(self, request, extra_context=None):
        # an import adds and changes devices (import_view): offered to who may do both
        can_import = self.has_add_permission(request) and self.has_change_permission(request)
        context = {
            "can_import": can_import,
            "hardware_changes": hardware_changes_visible(request.user),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        device = self.get_object(request, admin.utils.unquote(object_id))
        extra_context = dict(extra_context or {})
        if device is not None:
            whole = request.GET.get("all", "")  # ?all=disks: that table whole
            extra_context["story"] = device_page_story(device, request.user, whole=whole)
            extra_context["table_links"] = table_links(request.GET)
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if request.method == "POST" and context.get("errors"):
            # The admin says "Please correct the errors below" at the top, and an inline's
            # error can be a few screens down: say here what and where. A browser never keeps
            # a file chosen for upload across such a page: say that too.
            for section, error in form_errors(context):
                messages.error(request, f"{section}: {error}")
            if request.FILES:
                messages.warning(
                    request,
                    "The files chosen for upload were not stored: choose them again once the "
                    "errors are corrected.",
                )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        def view(function):  # function(model_admin, request, **the URL's parts), as an admin view
            return self.admin_site.admin_view(lambda *args, **kw: function(self, *args, **kw))

        # before the admin's own "<path:object_id>/" patterns, which would take these words
        fleet = [
            path("compare/", view(compare_view), name="inventory_device_compare_devices"),
            path(
                "hardware-changes/",
                view(hardware_changes_view),
                name="inventory_device_hardware_changes",
            ),
            path("import/", view(import_view), name="inventory_device_import"),
        ]
        one = "<path:object_id>/"  # a device's own
        own = [
            path(f"{one}compare/", view(snapshots_compare_view), name="inventory_device_compare"),
            path(
                f"{one}attention/<int:item_id>/acknowledge/",
                self.admin_site.admin_view(self.acknowledge_view),
                name="inventory_device_acknowledge",
            ),
            path(
                f"{one}attention/unmute/<str:kind>/",
                view(unmute_view),
                name="inventory_device_unmute",
            ),
        ]
        return [*fleet, *own, *super().get_urls()]

    def acknowledge_view(self, request, object_id, item_id):
        """The device page's Acknowledge button: the item closes, back to the page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(("POST",))
        device = self.get_object(request, admin.utils.unquote(object_id))
        if device is None or not self.has_view_permission(request, device):
            raise Http404
        if not can_acknowledge(request.user):
            raise PermissionDenied
        item = get_object_or_404(AttentionItem, pk=item_id, device=device)
        services_insights.attention_acknowledge(item=item, by=request.user.get_username())
        self.message_user(request, f"Acknowledged: {item.message}")
        # the page's top, where the message is, its open items right under it (scrolled to
        # the items, the message was out of sight above them; UX audit); at the message, the
        # keyboard's next Tab goes on from there (it began again at the page's top, 11 to 38
        # Tabs from the next Acknowledge)
        page = reverse("admin:inventory_device_change", args=(device.pk,))
        return HttpResponseRedirect(f"{page}#messages")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if change:
            # the page sends back what it showed: a field the person did not change is not
            # written, so a page opened before a bulk edit, an API edit or a retirement does
            # not undo it when saved for another field (save_model, save_related); a POST
            # without it (a script's: no initial-hostname) is compared with the device stored
            if request.method != "POST" or "initial-hostname" in request.POST:
                for name in (*services.DEVICE_EDITABLE_FIELDS, "tags"):
                    if name in form.base_fields:
                        form.base_fields[name].show_hidden_initial = True
        return form

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # The form already set the values on obj; the service saves only the changed columns.
        edited = (name for name in services.DEVICE_EDITABLE_FIELDS if name in form.changed_data)
        services.device_update(
            device=obj,
            data={name: getattr(obj, name) for name in edited},
            touched="tags" in form.changed_data,  # saved by save_related: updated_at moves
        )

    def save_related(self, request, form, formsets, change):
        if not change or "tags" in form.changed_data:
            form.save_m2m()
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def construct_change_message(self, request, form, formsets, add=False):
        """An edit's history entry names each field with its old and new value, as the API's and
        the import's do ('Changed location "lab" → "rack-2"'); what the links' and documents'
        rows did follows in the API's words, with their values and type (their formsets'
        history: Django said "Changed URL for manufacturer link “Support”." alone)."""
        message = super().construct_change_message(request, form, formsets, add)
        rows = [*ManufacturerLinkFormSet.history_of(formsets), *self.documents_history(formsets)]
        message = [part for part in message if part == {"added": {}}]  # the device's own "Added."
        said = []
        if not add and form.changed_data:
            fields = {}
            for name in form.changed_data:
                old, new = form.initial.get(name), form.cleaned_data.get(name)
                if name == "tags":
                    old, new = changelog.tag_names(old or ()), changelog.tag_names(new or ())
                fields[name] = (old, new)
            said.append(f"Changed {changelog.describe_changes(fields)}.")
        if not said and not rows:
            return message
        if message:
            said.insert(0, LogEntry(change_message=json.dumps(message)).get_change_message())
        return changelog.SENTENCES.join([*said, *rows])  # each told apart (history_hidden)

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        actions = getattr(response, "context_data", {}).get("action_list") or ()
        if kinds := history_hidden_kinds(request.user):
            for entry in actions:
                entry.change_message = changelog.history_hidden(entry.get_change_message(), kinds)
        return response

    # the devices' CPU peers are judged again once the deletion commits
    def get_deleted_objects(self, objs, request):
        """What the delete page lists (bulk_delete: cut to a page, without a row per tag a
        device carries), saying that the documents' files go from the storage too."""
        objs = list(objs)
        listed, counts, perms_needed, protected = deleted_objects(objs, request, self.admin_site)
        documents = Document.objects.filter(device__in=objs).count()
        if documents:
            listed.append(
                f"The files of their {documents} document(s), deleted from the storage (a file "
                "another device's document has too stays)"
            )
        return listed, counts, perms_needed, protected

    def delete_model(self, request, obj):
        device_services.devices_delete(devices=(obj,))

    def delete_queryset(self, request, queryset):
        device_services.devices_delete(devices=queryset)
