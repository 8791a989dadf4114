from rest_framework import pagination, serializers

from .ids import whole_number
from .paginator import KeysFirstPaginator


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (at most 500), per the contract. A value that is not a page
    number or a page size is a 400 naming its parameter, as every other bad input is (DRF
    answered `?page=abc` 404 "Invalid page." and took `?page_size=abc` for the default); a page
    past the last stays a 404, a page that does not exist."""

    django_paginator_class = KeysFirstPaginator
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        _number_parameter(request, self.page_query_param, allow=self.last_page_strings)
        _number_parameter(request, self.page_size_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        # the bound the 400 above keeps, told to clients (and to schemathesis); a larger page
        # size is not refused but capped (DRF's way): said in words, as a "maximum" would
        # tell a client that 501 is a 400
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows per page, at most {self.max_page_size}: a larger number gives "
                    f"{self.max_page_size}."
                )
        return parameters

    def get_paginated_response_schema(self, schema):
        # OpenAPI 3.1 (the document's version): null is a type; "nullable" is 3.0's, and a
        # validator of 3.1 read next and previous as strings that are never null
        wrapped = super().get_paginated_response_schema(schema)
        for name in ("next", "previous"):
            link = wrapped["properties"][name]
            link.pop("nullable", None)
            link["type"] = ["string", "null"]
        return wrapped


MSG_ONCE = "Give it once: it was given {count} times."


def query_once(request, name: str, default: str | None = None) -> str | None:
    """A query parameter that takes one value: given twice (`?ordering=a&ordering=b`) is a 400
    naming it, as `devices=` is; the last one was taken without a word."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise serializers.ValidationError({name: [MSG_ONCE.format(count=len(values))]})
    return values[0] if values else default


def _number_parameter(request, name: str, *, allow: tuple[str, ...] = ()) -> None:
    value = query_once(request, name)
    if value is None or value in allow:
        return
    if not whole_number(value):  # None, or 0
        raise serializers.ValidationError({name: ["A whole number from 1."]})
