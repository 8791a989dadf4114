"""Objects by the integer id in a URL, one rule for every API view: anything that is not the
id of a row (not a number, zero, beyond any database integer) is a 404, never a 500
(benchsite.ids)."""

from rest_framework import viewsets

from .ids import object_or_404

__all__ = ["IdViewSet", "object_or_404"]


class IdViewSet(viewsets.GenericViewSet):
    """A viewset whose objects are looked up by integer id (`object_or_404`)."""

    lookup_value_regex = r"[0-9]+"  # \d would take any script's digits

    def get_object(self):
        instance = object_or_404(self.get_queryset(), self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, instance)
        return instance
