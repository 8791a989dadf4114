"""Objects by the integer id in a URL, one rule for every API view: anything that is not the
id of a row (not a number, zero, beyond any database integer) is a 404, never a 500."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404
from rest_framework import viewsets

from .pagination import whole_number

MAX_ID = 2**63 - 1  # the largest BigAutoField value on every database
M = TypeVar("M", bound=Model)


def object_or_404(queryset: QuerySet[M], value) -> M:
    pk = whole_number(str(value)) if isinstance(value, str | int) else None
    if pk is None or not 0 < pk <= MAX_ID:
        raise Http404
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise Http404 from None


class IdViewSet(viewsets.GenericViewSet):
    """A viewset whose objects are looked up by integer id (`object_or_404`)."""

    lookup_value_regex = r"[0-9]+"  # \d would take any script's digits

    def get_object(self):
        instance = object_or_404(self.get_queryset(), self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, instance)
        return instance
