"""*Delete selected* of every list of the admin, for a selection of any size.

Django's action listed every object it would delete, and every related one (a machine's runs,
snapshots, documents, links, attention items), and passed the selection on as an id a hidden
field: 1,200 retired machines made a page of 45,000 lines and 5 MB, ten seconds to make, and
its "Yes, I'm sure" posted 1,203 fields, past DATA_UPLOAD_MAX_NUMBER_FIELDS: a 400 "Bad
Request" page, nothing deleted. Here the page says how many of each kind go (Django's
"Summary"), lists the first objects with a few of their related ones and "… and N more", and
passes "Select all N" on as the list's query string (benchsite.selection, as the bulk edits
do). Django's checks are kept: an account that may not delete some kind of related object is
refused, and so is a deletion that would take protected objects. The deletion and its history
entries (Django's: one "Deleted" line per object, a device's in its History) are one
transaction; each admin's delete_queryset deletes, with the signals it sends (a run's device
judged again once it commits).

Neither the page nor the deletion reads a row's JSON or texts (LightObjects, light): a snapshot
of a machine with 4,096 disks is 4.4 MB of JSON, and 20 machines' 600 snapshots were read whole
twice over (the selection, the collector's reads of what goes with it) to name and count them."""

from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects, model_ngettext
from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .selection import TEMPLATE as SELECTION_TEMPLATE
from .selection import selection_passed_on

SHOWN = 50  # the selected objects listed on the page (the summary counts every one)
RELATED_SHOWN = 5  # the related objects listed under each of them


def unread(model) -> list[str]:
    """The columns of `model` left unread by the page and the deletion: its JSON and its texts
    (a snapshot's storage, network, raw… 4.4 MB at 4,096 disks; a run's results), none of which
    names an object (its __str__) or is followed by a relation."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.JSONField | models.TextField) and not field.primary_key
    ]


def _unread_along(model, paths) -> list[str]:
    """unread() of the rows that `paths` (select_related's) read along with `model`'s."""
    names = []
    for path in paths:
        related = model
        for part in path.split("__"):
            related = related._meta.get_field(part).related_model
        names += [f"{path}__{name}" for name in unread(related)]
    return names


def light(queryset, modeladmin):
    """The selection as the page names it and the deletion deletes it: with the rows its list
    names its objects by (list_select_related: a snapshot's device, read once, not once per
    snapshot), without the columns unread() leaves."""
    along = modeladmin.list_select_related
    if along is True:  # Django's every non-null foreign key: left as the list reads it
        return queryset.defer(*unread(queryset.model))
    along = tuple(along or ())
    return queryset.select_related(*along).defer(
        *unread(queryset.model), *_unread_along(queryset.model, along)
    )


class LightObjects(NestedObjects):
    """Django's collector of what goes with the deleted objects, reading each related row (and
    the row it names it by, select_related's) without its JSON and texts."""

    def related_objects(self, related_model, related_fields, objs):
        queryset = super().related_objects(related_model, related_fields, objs)
        along = [field.name for field in related_fields]
        return queryset.defer(*unread(related_model), *_unread_along(related_model, along))


def _name(obj, *, admin_site, linked: bool) -> str:
    """ "Device: nas-01", linked to its admin page (Django's delete page's line)."""
    opts = obj._meta
    if linked and admin_site.is_registered(obj.__class__):
        try:
            url = reverse(
                f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=(obj.pk,)
            )
        except NoReverseMatch:
            pass
        else:
            return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)
    return f"{capfirst(opts.verbose_name)}: {obj}"


def _more(count: int, what: str = "") -> str:
    return f"… and {count} more{' ' + what if what else ''}"


def _listed_kind(obj) -> bool:
    # the rows of a many-to-many field (a device's tags): the tags stay, a line each said
    # "Device-tag relationship: Device_tags object (4)"
    return not obj._meta.auto_created


def _under(collector, root, seen: set) -> list:
    """The objects that go with `root` (its related ones, theirs…), depth first."""
    found, stack = [], list(reversed(collector.edges.get(root, ())))
    while stack:
        obj = stack.pop()
        if obj in seen:
            continue
        seen.add(obj)
        if _listed_kind(obj):
            found.append(obj)
        stack.extend(reversed(collector.edges.get(obj, ())))
    return found


def _listing(collector, name) -> list:
    """The page's nested list: the first SHOWN selected objects, each with its first
    RELATED_SHOWN related ones and how many more; then how many more selected."""
    roots = [obj for obj in collector.edges.get(None, ()) if _listed_kind(obj)]
    listed, seen = [], set(roots)
    for root in roots[:SHOWN]:
        related = _under(collector, root, seen)
        lines = [name(obj) for obj in related[:RELATED_SHOWN]]
        if len(related) > RELATED_SHOWN:
            lines.append(_more(len(related) - RELATED_SHOWN))
        listed += [name(root), lines] if lines else [name(root)]
    if len(roots) > SHOWN:
        rest = roots[SHOWN:]
        listed.append(
            _more(len(rest), f"{model_ngettext(rest[0], len(rest))} and what goes with them")
        )
    return listed


def deleted_objects(objs, request, admin_site) -> tuple[list, dict, set, list]:
    """Django's get_deleted_objects (the same collector, the same four answers), its listing
    cut to a page a person reads: `to_delete` the nested list, `model_count` every object of
    each kind, `perms_needed` the kinds the account may not delete (any object of them),
    `protected` the objects that forbid it."""
    objs = list(objs)
    if not objs:
        return [], {}, set(), []
    collector = LightObjects(using=router.db_for_write(objs[0]._meta.model), origin=objs)
    collector.collect(objs)
    perms_needed = set()
    for model, found in collector.model_objs.items():
        if admin_site.is_registered(model):
            model_admin = admin_site.get_model_admin(model)
            if not all(model_admin.has_delete_permission(request, obj) for obj in found):
                perms_needed.add(model._meta.verbose_name)
    name = partial(_name, admin_site=admin_site, linked=True)
    protected = list(collector.protected)
    for obj in protected:
        if admin_site.is_registered(type(obj)):
            if not admin_site.get_model_admin(type(obj)).has_delete_permission(request, obj):
                perms_needed.add(obj._meta.verbose_name)
    protected_listed = [name(obj) for obj in protected[:SHOWN]]
    if len(protected) > SHOWN:
        protected_listed.append(_more(len(protected) - SHOWN))
    model_count = {
        model._meta.verbose_name_plural: len(found)
        for model, found in collector.model_objs.items()
        if not model._meta.auto_created
    }
    return _listing(collector, name), model_count, perms_needed, protected_listed


MSG_SELECTION_CHANGED = (
    "The selection changed since its page was shown: {then} then, {now} now. Nothing "
    "was deleted; look at it again before you confirm."
)
MSG_NONE_LEFT = "None of the selected {what} is left (deleted meanwhile): nothing to delete."


def _selection_changed(request, selected: int) -> str | None:
    """What the page counted, when "Select all N" of the list selects another number now (a
    machine retired or added meanwhile, on a list filtered by it): the list is selected again at
    confirmation, not a fixed set of ids, so a deletion never takes what the person was not
    shown. None when it is the same, or the selection is ids (those are what is deleted)."""
    shown = request.POST.get("selected_count")
    if request.POST.get("select_across") != "1" or shown is None or shown == str(selected):
        return None
    return shown


@admin.action(
    permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s")
)
def delete_selected(modeladmin, request, queryset):
    """Django's action (django.contrib.admin.actions), its page summarised and its selection
    passed on as the bulk edits pass theirs."""
    queryset = light(queryset, modeladmin)
    if type(modeladmin).get_deleted_objects is admin.ModelAdmin.get_deleted_objects:
        found = deleted_objects(queryset, request, modeladmin.admin_site)
    else:  # an admin's own (the device's: the documents' files), on deleted_objects
        found = modeladmin.get_deleted_objects(queryset, request)
    listed, model_count, perms_needed, protected = found
    selected = model_count.get(modeladmin.opts.verbose_name_plural, 0)
    if not selected:  # all gone since the list was shown: no page of nothing to confirm
        what = modeladmin.opts.verbose_name_plural
        modeladmin.message_user(request, MSG_NONE_LEFT.format(what=what), messages.WARNING)
        return None  # the list again
    changed = _selection_changed(request, selected)
    if changed:
        # each count with its own noun: "2 devices then, 1 now" (it read "2 device then")
        number = int(changed) if changed.isdecimal() else 2  # a number, unless forged
        then = f"{changed} {model_ngettext(modeladmin.opts, number)}"
        modeladmin.message_user(
            request, MSG_SELECTION_CHANGED.format(then=then, now=selected), messages.WARNING
        )
    elif request.POST.get("post") and not protected:
        if perms_needed:
            raise PermissionDenied
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            count = len(queryset)
            if count:
                modeladmin.log_deletions(request, queryset)
                modeladmin.delete_queryset(request, queryset)
        if count:
            modeladmin.message_user(
                request,
                _("Successfully deleted %(count)d %(items)s.")
                % {"count": count, "items": model_ngettext(modeladmin.opts, count)},
                messages.SUCCESS,
            )
        return None  # the list again
    objects_name = model_ngettext(modeladmin.opts, selected)
    cannot = perms_needed or protected
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Cannot delete %(name)s") % {"name": objects_name}
        if cannot
        else _("Delete multiple objects"),
        "subtitle": None,
        "objects_name": str(objects_name),
        "deletable_objects": [listed],
        "model_count": model_count.items(),
        "perms_lacking": perms_needed,
        "protected": protected,
        "opts": modeladmin.opts,
        "media": modeladmin.media,
        "selection_template": SELECTION_TEMPLATE,
        "selected_count": selected,
        # "No, take me back": the list as it was (its filters, search, order and page); the
        # browser's Back after a page shown again read "Confirm Form Resubmission"
        "changelist_url": request.get_full_path(),
        **selection_passed_on(request, lambda: queryset.values_list("pk", flat=True)),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/benchsite/delete_selected_confirmation.html", context)
