"""The admin of records that submissions write (runs, hardware snapshots): viewed and deleted
in the admin, never added or edited there."""

import datetime
import functools
import re
from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from benchmarks.scoring import round_score
from benchmarks.services import score_weights
from inventory.schema import CATEGORIES

from .auth import may_view


def local_time(value, *, seconds: bool = False, zoned: bool = False, tz=None) -> str:
    """A time as the admin shows it, to the minute (or the second) in TIME_ZONE (or `tz`),
    with its zone where the hour is one the clocks go through twice (autumn's DST change:
    "02:30 CEST", then "02:15 CET", which read unsorted without it), or always (`zoned`)."""
    if value is None:
        return "–"
    local = timezone.localtime(value, tz)
    # Django's date format "Y-m-d H:i", written directly: a device page with years of runs
    # shows a thousand of these (its charts' points), and DateFormat cost 0.1 ms each
    shown = f"{local.year:04d}-{local:%m-%d %H:%M}" + (f":{local:%S}" if seconds else "")
    return shown + (f" {local.tzname()}" if zoned else zone_if_twice(local))


def zone_if_twice(local) -> str:
    """ " CET" after a local time the clocks go through twice, else nothing: Django's date
    format "T" is blank for exactly these times (a notification said "Opened 02:25:18 .")."""
    wall = local.replace(fold=0)
    if wall.utcoffset() != wall.replace(fold=1).utcoffset():
        return f" {local.tzname()}"
    return ""


def score_text(value) -> str:
    """A score for people: one decimal, an en dash when not measured (the `score` filter of
    the templates, the lists' columns), rounded half up as the stored scores are."""
    if value is None or value == "":
        return "–"
    return f"{round_score(value, 1):.1f}"


# what a CPU model says twice, or that a narrow column can do without
# (Intel's "11th Gen" is also in the model number: i7-1165G7)
_CPU_NOISE = re.compile(
    r"\((?:R|TM)\)|\bCPU\b|\bProcessor\b|\b\d+-Core\b|\b\d+(?:st|nd|rd|th) Gen\b|@.*$",
    re.IGNORECASE,
)


def partial_global(scores, excluded=()) -> str:
    """Beside a global score drawn from fewer than every category ("3 of 5"): the global score
    weighs the categories measured among themselves, so a machine run with --skip-network
    --skip-gpu ranks beside machines measured in all five; this says so where it is ranked,
    and why each category is not counted. `scores`: "global" and each category's figure;
    `excluded`: those its run left out (a network measured on loopback). A category
    SCORE_WEIGHTS weighs 0 counts in no global score: it is not counted either (`rescore`
    gives every run the weights in force)."""
    if scores.get("global") is None:
        return ""
    weights = score_weights()
    why = {}
    for category in CATEGORIES:
        if scores.get(category.name) is None:
            why.setdefault("not measured", []).append(category.label)
        elif category.name in excluded:
            why.setdefault("measured on loopback", []).append(category.label)
        elif not weights.get(category.name):
            why.setdefault("weighted 0 by SCORE_WEIGHTS", []).append(category.label)
    missing = [label for labels in why.values() for label in labels]
    if not missing:
        return ""
    counted, total = len(CATEGORIES) - len(missing), len(CATEGORIES)
    lacks = f"{', '.join(missing)} not counted"
    reasons = "; ".join(f"{', '.join(labels)} {reason}" for reason, labels in why.items())
    # which categories it lacks, in its tooltip and, for a screen reader, after it
    return format_html(
        '<abbr class="bt-partial" title="{}">{} of {}</abbr><span class="visually-hidden">: {}'
        "</span>",
        f"a global score of {counted} of {total} categories, weighted among themselves: {reasons}",
        counted,
        total,
        lacks,
    )


def cpu_short(model: str) -> str:
    """A CPU model for a narrow column: "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz" → "Intel Core
    i7-6700", "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz" → "Intel Core i7-1165G7" (the
    whole model goes in a tooltip)."""
    return " ".join(_CPU_NOISE.sub(" ", model or "").split()) or model


def cpu_model_cell(model: str) -> str:
    """A CPU model in a list's column, which must fit 1400 px with the sidebar open: without its
    trademarks and clock, broken between words only ("i7-6700" whole), on two lines at the
    most, the whole model in its tooltip."""
    if not model:
        return "–"
    words = format_html_join(
        " ", '<span class="bt-word">{}</span>', ((word,) for word in cpu_short(model).split())
    )
    return format_html('<span class="bt-cut" title="{}">{}</span>', model, words)


@functools.cache
def _unlinked(field) -> Callable:
    """A foreign key shown as its object's name, without the link to its admin page."""

    @admin.display(description=field.verbose_name)
    def shown(obj):
        value = getattr(obj, field.name)
        return "–" if value is None else str(value)

    shown.__name__ = f"{field.name}_unlinked"
    return shown


def _swapped(fields, swaps: dict[str, Callable]) -> list:
    shown = [swaps.get(name, name) if isinstance(name, str) else name for name in fields]
    return list(dict.fromkeys(shown))  # a swapped field may be listed as read-only too


@functools.cache
def _local(field) -> Callable:
    """A time shown as local_time shows it: Django's read-only field gave "2026-10-25 02:30"
    twice, an hour apart, in autumn's DST change."""

    @admin.display(description=field.verbose_name)
    def shown(obj):
        return local_time(getattr(obj, field.name))

    shown.__name__ = f"{field.name}_local"
    return shown


class LinksItMayOpen:
    """A ModelAdmin whose read-only foreign keys link to their object's admin page only for an
    account that may view it: Django links them whatever the account may open (a 403). Its
    read-only times are written by local_time, as in the lists and the device page."""

    def _unlinked_fields(self, request, obj, readonly) -> dict[str, Callable]:
        shown = {}
        for field in self.model._meta.get_fields():
            if not field.concrete or not (
                field.name in readonly or not self.has_change_permission(request, obj)
            ):
                continue
            if field.many_to_one and not may_view(request.user, field.related_model):
                shown[field.name] = _unlinked(field)
            elif isinstance(field, models.DateTimeField):
                shown[field.name] = _local(field)
        return shown

    def get_fieldsets(self, request, obj=None):
        # declared fieldsets (the documents' page) or Django's one of get_fields
        swaps = self._unlinked_fields(request, obj, super().get_readonly_fields(request, obj))
        return [
            (name, {**options, "fields": _swapped(options["fields"], swaps)})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        swaps = self._unlinked_fields(request, obj, readonly)
        kept = [swaps.get(name, name) if isinstance(name, str) else name for name in readonly]
        return (*kept, *(shown for shown in swaps.values() if shown not in kept))


class ListedChangeList(ChangeList):
    """A changelist whose page reads of each row what its columns show: the columns its model
    admin's `list_deferred` names are left in the database (the count, the filters and the
    actions' selection are the model admin's queryset as it is)."""

    def get_results(self, request):
        self.queryset = self.queryset.defer(*self.model_admin.list_deferred)
        super().get_results(request)


class DatedChangeList(ChangeList):
    """A changelist whose date hierarchy answers a year no calendar reaches as Django answers
    `?uploaded_at__year=abc`, with its page for a filter it cannot apply: a year of 9999 (whose
    next year is past Python's dates) or of 20 digits raised past Django's own check, a 500 on
    every database."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class ListsByDate:
    """A ModelAdmin with a `date_hierarchy`: its list is a DatedChangeList."""

    def get_changelist(self, request, **kwargs):
        return DatedChangeList


class ListsWhatItShows:
    """A ModelAdmin whose list leaves unread the columns it does not show that may be large (a
    snapshot's JSON: 4.4 MB at 4,096 disks, and a page of 100 of them read and decoded it all,
    12 s and 890 MB of memory); its object's page, actions and exports read them as before."""

    list_deferred: tuple[str, ...] = ()

    def get_changelist(self, request, **kwargs):
        return ListedChangeList


class RecordAdmin(LinksItMayOpen, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False  # written by submissions

    def has_change_permission(self, request, obj=None):
        return False  # a record as measured: its page is a view, with no Save button

    def response_delete(self, request, obj_display, obj_id):
        # Django sends whoever cannot change the model to the admin's index after a deletion;
        # here deleting is allowed, so back to the list it was deleted from
        response = super().response_delete(request, obj_display, obj_id)
        if isinstance(response, HttpResponseRedirect) and self.has_view_permission(request):
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_changelist",
                current_app=self.admin_site.name,
            )
            context = {"preserved_filters": self.get_preserved_filters(request), "opts": opts}
            return HttpResponseRedirect(add_preserved_filters(context, url))
        return response


class NamedRowsFormSet(forms.BaseInlineFormSet):
    """A tabular inline whose controls are each named by their column and their row ("Title,
    new document", "Delete, Service manual"): the table's head names none of them, and a
    screen reader read "edit text", "combo box", "checkbox" with nothing to tell them apart."""

    def add_fields(self, form, index):
        super().add_fields(form, index)  # the Delete box too
        row = str(form.instance) if form.instance.pk else f"new {self.model._meta.verbose_name}"
        for name, field in form.fields.items():
            if not field.widget.is_hidden:  # its column's head, as the bound field says it
                field.widget.attrs.setdefault("aria-label", f"{form[name].label}, {row}")


class BlankNamedFilter(admin.AllValuesFieldListFilter):
    """A text field's values as the filter lists them, the blank one named "(none)": Django
    lists it as an empty link, which a screen reader reads as "link" and nobody can see."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": "(none)"} if choice["display"] == "" else choice


class DateFilter(admin.DateFieldListFilter):
    """The admin's date filter (Today, Past 7 days…), its values checked before they are
    used: a date the server's time zone puts out of range once in UTC ("?run_at__gte=0001-01-01"
    in Europe/Paris, an hour before year 1) was a 500 where any other bad value is the list's
    "?e=1". Registered for every date and time field a list filters by."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        for name, values in self.used_parameters.items():
            if name.endswith("__isnull"):
                continue
            for value in values if isinstance(values, list) else [values]:
                try:
                    moment = field.to_python(value)
                    if isinstance(moment, datetime.datetime):
                        if timezone.is_naive(moment):
                            moment = timezone.make_aware(moment)
                        moment.astimezone(datetime.UTC)
                except (ValidationError, OverflowError) as exc:
                    raise IncorrectLookupParameters(exc) from exc


admin.FieldListFilter.register(
    lambda field: isinstance(field, models.DateField), DateFilter, take_priority=True
)
