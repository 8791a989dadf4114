"""The device list's orderings are read from an index on both databases, never sorted: the
default list (the ranking) and a deep page of it at 10,000 devices stay as fast as page one."""

import pytest
from django.db import connection
from django.test import RequestFactory
from rest_framework.request import Request

from inventory.filters import DeviceOrdering
from inventory.models import Device
from inventory.tests.factories import DeviceFactory


def plan(ordering: str) -> str:
    """The database's plan for a deep page of the device list in this ?ordering=, with sorting
    made as costly as it can be (PostgreSQL then sorts only where no index gives the order)."""
    request = Request(RequestFactory().get("/api/devices", {"ordering": ordering}))
    queryset = DeviceOrdering().filter_queryset(request, Device.objects.all(), view=None)
    sql, params = queryset[4900:5000].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ["-global_score", "-last_benchmark_at"])
def test_the_ranking_is_read_in_index_order_not_sorted(ordering):
    DeviceFactory.create_batch(3)
    found = plan(ordering)
    assert "Sort" not in found  # PostgreSQL: Sort, Incremental Sort
    assert "TEMP B-TREE" not in found  # SQLite: USE TEMP B-TREE FOR ORDER BY
