"""Django's Paginator, by keys first: the admin's lists and the API's pages (benchsite.pagination)
alike. Apart from the API's pagination, which imports DRF, because the admin imports it at start.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet, Subquery


class KeysFirstPaginator(Paginator):
    """Django's Paginator, except that a page of a queryset is found by its primary keys first:
    the database walks the ordering's index alone to the page (an index-only scan where the
    index covers the ordering) and reads whole rows for that page only, where OFFSET alone
    reads and drops every row before it. Page 200 of the ranking of 10,000 devices on
    PostgreSQL: 28 ms of SQL before, 1-8 ms after (perf/reads.py measures the whole request).
    One statement still: the keys are a subquery with LIMIT/OFFSET, which SQLite and PostgreSQL
    take (MySQL would not). A DISTINCT or combined queryset is sliced as Django does."""

    def page(self, number):
        page = super().page(number)
        rows = self.object_list
        if (
            isinstance(rows, QuerySet)
            and self.count
            and not rows.query.distinct
            and not rows.query.combinator
        ):
            keys = rows.values("pk")[page.start_index() - 1 : page.end_index()]
            page.object_list = rows.filter(pk__in=Subquery(keys))
        return page
