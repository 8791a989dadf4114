"""The inventory's own admin: links, tags, and the device page's links inline (its list's
filters: inventory.list_filters). The device page itself is composed in
benchsite.device_admin, where the runs and documents of a device are importable too, and a
snapshot's in benchsite.snapshot_admin, with the device page's hardware tables."""

from django.contrib import admin
from django.contrib.admin.widgets import AdminURLFieldWidget
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.html import format_html

from benchsite.auth import may_view
from benchsite.records_admin import BlankNamedFilter, NamedRowsFormSet

from . import changelog, services
from .models import Device, ManufacturerLink, Tag
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
