"""The device list's bulk edits: *Set location…*, *Set owner…*, *Add tags…*, *Remove tags…*.

Actions with a page between, as Django's "Delete selected": the action's first POST (from the
list) answers a page listing the machines that will change with their current value, and a
form; that form posts back to the list with the selection and `apply`, and the edit is made
(inventory.bulk) and told in a message. Offered to who may change devices only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.template.response import TemplateResponse
from django.utils.text import capfirst

from inventory import bulk, changelog
from inventory.models import Device, Tag
from inventory.selectors import tag_names_refused

from .selection import selection_passed_on
from .tags_field import tags_found

SHOWN = 100  # machines listed on the page (every selected one is edited)
SEPARATOR = ";"  # between new tags' names, as in the import's tags column

MSG_NO_TAG = "Choose a tag or name a new one."
MSG_NO_TAG_TO_REMOVE = "Choose the tags to remove."
MSG_TAG_NAME = "Tag {name}: {error}"


class ValueForm(forms.Form):
    """One text field of the device (location, owner), checked by the model field's own form
    field and validators, as the device form checks it: its length, no NUL character, no
    invisible one (inventory.validators.NoInvisibleCharacters); empty clears it."""

    def __init__(self, *args, name: str, **kwargs):
        super().__init__(*args, **kwargs)
        model_field = Device._meta.get_field(name)
        self.fields[name] = model_field.formfield(
            required=False,
            help_text=f"Leave it empty to clear the {model_field.verbose_name} of these devices.",
        )
        self.fields[name].widget.attrs["class"] = "vTextField"  # as wide as the device form's
        self.field_name = name

    def clean(self):
        cleaned = super().clean()
        if value := cleaned.get(self.field_name):
            try:
                Device._meta.get_field(self.field_name).run_validators(value)
            except forms.ValidationError as error:
                self.add_error(self.field_name, error)
        return cleaned

    @property
    def value(self) -> str:
        return self.cleaned_data[self.field_name]


class TagsForm(forms.Form):
    """Tags picked with the device form's tag field (found by typing, Select2, where the
    account may view tags: benchsite.tags_field); to add, new
    tags named too, for who may add tags (the device form's + beside the field)."""

    def __init__(self, *args, modeladmin, request, adding: bool, **kwargs):
        super().__init__(*args, **kwargs)
        tags = modeladmin.formfield_for_manytomany(Device._meta.get_field("tags"), request)
        tags.required, tags.label = False, "Tags"
        if tags_found(modeladmin, request):  # else a list, with Django's help to pick several
            tags.help_text = "Type to find a tag."
        self.fields["tags"] = tags
        self.adding = adding
        if adding and request.user.has_perm("inventory.add_tag"):
            self.fields["new_tags"] = forms.CharField(
                label="New tags",
                required=False,
                widget=forms.TextInput(attrs={"class": "vTextField"}),
                help_text=(
                    f"Names separated by “{SEPARATOR}”. A name that is already a tag's (whatever "
                    "its case) adds that tag; any other is created."
                ),
            )

    def clean_new_tags(self) -> list[str]:
        names = self.cleaned_data["new_tags"].split(SEPARATOR)
        names = list(dict.fromkeys(name.strip() for name in names if name.strip()))
        # the limits of a tag's name, as its own form checks them
        name_field = Tag._meta.get_field("name").formfield()
        errors = []
        for name in names:
            try:
                name_field.clean(name)
            except ValidationError as error:
                shown = changelog.shown(name)
                errors += [MSG_TAG_NAME.format(name=shown, error=e) for e in error.messages]
        for name, why in tag_names_refused(names).items():  # a new tag's name
            errors.append(MSG_TAG_NAME.format(name=changelog.shown(name), error=why))
        if errors:
            raise ValidationError(errors)
        return names

    def clean(self):
        data = super().clean()
        if "tags" in self.errors or "new_tags" in self.errors:
            return data
        if not data.get("tags") and not data.get("new_tags"):
            raise ValidationError(MSG_NO_TAG if self.adding else MSG_NO_TAG_TO_REMOVE)
        return data


def _devices(rows: list[dict], column: str) -> list[dict]:
    """The rows the page lists: each machine's pk, hostname and its current value (`now`):
    the column's, or its tags' names."""
    if column != "tags":
        return [{**row, "now": row[column]} for row in rows]
    tags: dict[int, list[str]] = {row["pk"]: [] for row in rows}
    pairs = Device.tags.through.objects.filter(device_id__in=list(tags))
    for device_id, name in pairs.values_list("device_id", "tag__name"):
        tags[device_id].append(name)
    return [{**row, "now": changelog.tag_names(tags[row["pk"]])} for row in rows]


def _page(
    modeladmin, request, queryset, *, form, action: str, title: str, column: str, submit: str
):
    """The page between the list and the edit (Django's delete_selected_confirmation's)."""
    value = [column] if column != "tags" else []
    rows = list(queryset.order_by(Lower("hostname"), "pk").values("pk", "hostname", *value))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title.format(count=len(rows), s="" if len(rows) == 1 else "s"),
        "subtitle": None,
        "opts": modeladmin.opts,
        "form": form,
        "media": modeladmin.media + form.media,
        "column": column,
        "devices": _devices(rows[:SHOWN], column),
        "count": len(rows),
        "more": max(0, len(rows) - SHOWN),
        # "Select all N devices" posted on as such (benchsite.selection)
        **selection_passed_on(request, lambda: [row["pk"] for row in rows]),
        "action": action,
        "submit": submit,
        "changelist_url": request.get_full_path(),  # with the list's filters and search
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/inventory/device/bulk_edit.html", context)


def _devices_word(count: int) -> str:
    return f"{count} device{'' if count == 1 else 's'}"


def _told(request, done: bulk.BulkEdit, sentence: str, others: str, none: str = "") -> None:
    """The message of an edit: what was done to how many devices, how many were so already
    (left as they were: no history line), and the tags it created. Nothing done: "the device
    had it already", "both devices had none", "all 3 devices…", or `none` ("none of the 3
    devices had it", "neither device", where "all 3 devices did not have it" reads otherwise)."""
    if not done.changed:
        count = done.unchanged
        if count == 1:
            said = f"the device {others}"
        elif none:
            said = none.format(
                devices="neither device" if count == 2 else f"none of the {count} devices"
            )
        else:
            said = f"{'both' if count == 2 else f'all {count}'} devices {others}"
        messages.info(request, f"Nothing changed: {said}.")
        return
    text = sentence.format(devices=_devices_word(done.changed))
    if done.unchanged:
        text += f" ({done.unchanged} other{'' if done.unchanged == 1 else 's'} {others})"
    if done.created:
        text += f". New {_named(done.created)} created"
    messages.success(request, text + ".")


def _named(tags) -> str:
    """'tag "lab"', 'tags "lab", "rack-2"'."""
    names = changelog.tag_names(tags)
    return f"tag{'' if len(names) == 1 else 's'} {changelog.shown(names)}"


def _set_field(modeladmin, request, queryset, name: str):
    verbose = str(Device._meta.get_field(name).verbose_name)
    form = ValueForm(request.POST if "apply" in request.POST else None, name=name)
    if not form.is_bound or not form.is_valid():
        return _page(
            modeladmin,
            request,
            queryset,
            form=form,
            action=f"set_{name}",
            title=f"Set the {verbose} of {{count}} device{{s}}",
            column=name,
            submit=f"Set {verbose}",
        )
    ids = queryset.values_list("pk", flat=True)
    done = bulk.devices_field_set(device_ids=ids, name=name, value=form.value, actor=request.user)
    if form.value:
        value = changelog.shown(form.value)
        _told(request, done, f"{capfirst(verbose)} set to {value} on {{devices}}", "had it already")
    else:
        _told(request, done, f"{capfirst(verbose)} cleared on {{devices}}", "had none")
    return None


def _tags_edit(modeladmin, request, queryset, *, adding: bool):
    bound = request.POST if "apply" in request.POST else None
    form = TagsForm(bound, modeladmin=modeladmin, request=request, adding=adding)
    if not form.is_bound or not form.is_valid():
        return _page(
            modeladmin,
            request,
            queryset,
            form=form,
            action="add_tags" if adding else "remove_tags",
            title=("Add tags to" if adding else "Remove tags from") + " {count} device{s}",
            column="tags",
            submit="Add tags" if adding else "Remove tags",
        )
    ids = queryset.values_list("pk", flat=True)
    tags, actor = list(form.cleaned_data["tags"]), request.user
    if not adding:
        done = bulk.devices_tags_remove(device_ids=ids, tags=tags, actor=actor)
        _told(
            request,
            done,
            f"{capfirst(_named(done.tags))} removed from {{devices}}",
            "did not have " + ("it" if len(done.tags) == 1 else "them"),
            "{devices} had " + ("it" if len(done.tags) == 1 else "any of them"),
        )
        return None
    names = form.cleaned_data.get("new_tags") or []
    done = bulk.devices_tags_add(device_ids=ids, tags=tags, names=names, actor=actor)
    have = "had it" if len(done.tags) == 1 else "had them"
    _told(request, done, f"{capfirst(_named(done.tags))} added to {{devices}}", f"{have} already")
    return None


@admin.action(description="Set location…", permissions=("change",))
def set_location(modeladmin, request, queryset):
    """The selected devices' location set (or cleared) at once."""
    return _set_field(modeladmin, request, queryset, "location")


@admin.action(description="Set owner…", permissions=("change",))
def set_owner(modeladmin, request, queryset):
    """The selected devices' owner set (or cleared) at once."""
    return _set_field(modeladmin, request, queryset, "owner")


@admin.action(description="Add tags…", permissions=("change",))
def add_tags(modeladmin, request, queryset):
    """Tags added to the selected devices at once, their other tags kept."""
    return _tags_edit(modeladmin, request, queryset, adding=True)


@admin.action(description="Remove tags…", permissions=("change",))
def remove_tags(modeladmin, request, queryset):
    """Tags taken off the selected devices at once, their other tags kept."""
    return _tags_edit(modeladmin, request, queryset, adding=False)


BULK_ACTIONS = (set_location, set_owner, add_tags, remove_tags)
