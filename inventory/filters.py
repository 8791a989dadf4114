"""Query-string filters of GET /api/devices (contract: search, location, tag, ordering)."""

import operator
from functools import reduce

from django.db.models import F, Q
from rest_framework import filters, serializers


def query_text(request, name: str) -> str:
    """A text query parameter (its last value); one the database cannot take (a NUL
    character: PostgreSQL refuses it) is a 400 naming the parameter, like every other
    validation error."""
    return _checked(name, request.query_params.get(name, ""))


def query_texts(request, name: str) -> list[str]:
    """Every non-empty value of a repeated text query parameter (`?tag=a&tag=b`), checked as
    query_text checks one."""
    return [_checked(name, value) for value in request.query_params.getlist(name) if value]


def _checked(name: str, value: str) -> str:
    try:
        return serializers.CharField(trim_whitespace=False, allow_blank=True).run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


class DeviceSearch(filters.SearchFilter):
    """DRF's `?search=`, its refusal worded {"search": [...]} (DRF's own is a bare list), and
    its query shaped so that the tags do not multiply the work.

    DRF puts every field in one filter over a join with the tags (a device once per tag) and,
    against the duplicates, wraps it in an EXISTS for each device: the count, then the page's
    keys, each matched every field of every device once per tag (p95 288 ms on PostgreSQL at
    10,000 devices, perf/reads.py). Here a device is found by its own fields (its row and its
    latest snapshot's: one row each, no EXISTS), or by `pk IN (...)` over the join with only
    the tags whose name has a term: the tags are matched once, and the page's keys walk the
    ranking's index until the page is full.

    The devices found are DRF's. DRF's rule: one row of the join, one tag (or none), has each
    term in the device's own fields or in that tag's name. A row whose tag has none of the
    terms is one where the device's own fields have them all (the first part); with one term,
    a tag that has it is the whole rule. inventory/tests/api/test_devices.py compares both.
    """

    def get_search_terms(self, request):
        query_text(request, self.search_param)
        return super().get_search_terms(request)

    def filter_queryset(self, request, queryset, view):
        fields = [str(field) for field in self.get_search_fields(view, request) or ()]
        terms = self.get_search_terms(request)
        many = [field for field in fields if self.must_call_distinct(queryset, [field])]
        own = [field for field in fields if field not in many]
        if not terms or not many or not own:
            return super().filter_queryset(request, queryset, view)

        def found(fields, term):
            lookups = (self.construct_search(field, queryset) for field in fields)
            return reduce(operator.or_, (Q(**{lookup: term}) for lookup in lookups))

        # the related fields first: a row found by its tag's name stops there
        by_row = [found(many + own, term) for term in terms] if len(terms) > 1 else []
        by_tag = reduce(operator.or_, (found(many, term) for term in terms))
        joined = queryset.filter(by_tag, *by_row).values("pk")  # one filter: one tag per row
        return queryset.filter(
            reduce(operator.and_, (found(own, term) for term in terms)) | Q(pk__in=joined)
        )


class DeviceFilter(filters.BaseFilterBackend):
    """`?location=` and `?tag=`, both case-insensitive exact matches; `?tag=` repeated
    (`?tag=rack-a&tag=backup`): the devices carrying every one of these tags."""

    def filter_queryset(self, request, queryset, view):
        if location := query_text(request, "location"):
            queryset = queryset.filter(location__iexact=location)
        for tag in dict.fromkeys(query_texts(request, "tag")):
            # one filter per tag: a device must carry each (tag names are unique, whatever
            # their case, so no device is listed twice)
            queryset = queryset.filter(tags__name__iexact=tag)
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": "string"},
            }
            for name, description in (
                ("location", "Devices at this location (case-insensitive)."),
                (
                    "tag",
                    "Devices carrying this tag (case-insensitive); repeated, every one of them.",
                ),
            )
        ]


class DeviceOrdering(filters.OrderingFilter):
    """hostname, global_score, last_benchmark_at (each may be prefixed with '-').

    Devices never benchmarked sort last in both directions, on every database (PostgreSQL
    would put NULLs first in descending order).
    """

    ordering_fields = ("hostname", "global_score", "last_benchmark_at")

    def get_default_ordering(self, view):
        return ("-global_score",)

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view) or ()
        expressions = []
        for term in ordering:
            name = term.lstrip("-")
            expression = (
                F(name).desc(nulls_last=True)
                if term.startswith("-")
                else F(name).asc(nulls_last=True)
            )
            expressions.append(expression)
        return queryset.order_by(*expressions, "hostname", "id")

    def get_valid_fields(self, queryset, view, context=None):
        return [(name, name) for name in self.ordering_fields]
