"""Query-string filters of GET /api/devices (contract: search, location, tag, ordering)."""

from django.db.models import F
from rest_framework import filters, serializers


def query_text(request, name: str) -> str:
    """A text query parameter; one the database cannot take (a NUL character: PostgreSQL
    refuses it) is a 400 naming the parameter, like every other validation error."""
    value = request.query_params.get(name, "")
    try:
        return serializers.CharField(trim_whitespace=False, allow_blank=True).run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


class DeviceSearch(filters.SearchFilter):
    """DRF's `?search=`, its refusal worded {"search": [...]} (DRF's own is a bare list)."""

    def get_search_terms(self, request):
        query_text(request, self.search_param)
        return super().get_search_terms(request)


class DeviceFilter(filters.BaseFilterBackend):
    """`?location=` and `?tag=`, both case-insensitive exact matches."""

    def filter_queryset(self, request, queryset, view):
        if location := query_text(request, "location"):
            queryset = queryset.filter(location__iexact=location)
        if tag := query_text(request, "tag"):
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
                ("tag", "Devices carrying this tag (case-insensitive)."),
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
