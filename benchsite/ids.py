"""Integer ids and page numbers as URLs and query strings write them: anything that is not the id
of a row (not a number, zero, beyond any database integer) is a 404, never a 500. Without DRF,
which the API's views (benchsite.lookup) add: the admin's pages import this at start.
"""

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404


def whole_number(text: str) -> int | None:
    """The number `text` writes in ASCII digits alone, else None: int() also takes "+1", " 1",
    "1_0" and a fullwidth "１" for 1, which no id, page or page size is written as."""
    return int(text) if text.isascii() and text.isdecimal() else None


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
