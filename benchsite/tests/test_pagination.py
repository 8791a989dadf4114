"""The API's pages, found by their primary keys first (KeysFirstPaginator): the same rows in the
same order as slicing the ordered list, on every page, whatever ties and NULLs the order has."""

import pytest
from django.db.models import F

from benchsite.pagination import KeysFirstPaginator
from inventory.models import Device, Tag
from inventory.tests.factories import DeviceFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet():
    # ties on the score, never-benchmarked devices (NULL) and names out of insertion order
    scores = [50.0, None, 80.0, 50.0, None, 120.0, 80.0, 50.0, 10.0, None, 99.5, 50.0, 80.0]
    lab = TagFactory(name="lab")
    for i, score in enumerate(scores):
        device = DeviceFactory(hostname=f"host-{(i * 7) % 13:02d}", global_score=score)
        if i % 3 == 0:
            device.tags.add(lab)


def ranking():
    return Device.objects.order_by(F("global_score").desc(nulls_last=True), "hostname", "id")


@pytest.mark.parametrize("per_page, orphans", [(1, 0), (4, 0), (5, 2), (13, 0), (50, 0)])
def test_every_page_holds_what_slicing_the_ordered_list_gives(fleet, per_page, orphans):
    everything = [device.pk for device in ranking()]
    paginator = KeysFirstPaginator(ranking(), per_page, orphans=orphans)
    pages = [[device.pk for device in paginator.page(n)] for n in paginator.page_range]
    expected = [everything[i : i + per_page] for i in range(0, len(everything), per_page)]
    if orphans and len(expected) > 1 and len(expected[-1]) <= orphans:
        expected[-2:] = [expected[-2] + expected[-1]]
    assert pages == expected
    assert sum(pages, []) == everything


def test_a_distinct_list_is_paged_like_any_other(fleet):
    tagged = ranking().filter(tags__in=Tag.objects.all()).distinct()
    everything = [device.pk for device in tagged]
    paginator = KeysFirstPaginator(tagged, 2)
    pages = [[device.pk for device in paginator.page(n)] for n in paginator.page_range]
    assert sum(pages, []) == everything and len(everything) == 5


def test_an_empty_list_has_one_empty_page():
    paginator = KeysFirstPaginator(ranking(), 25)
    assert list(paginator.page(1)) == []


def test_a_deep_page_of_the_api_ranking(api, fleet, django_assert_max_num_queries):
    everything = [device.hostname for device in ranking()]
    with django_assert_max_num_queries(3):  # count, the page, its tags
        body = api.get("/api/devices", {"page_size": 4, "page": 3}).json()
    assert [item["hostname"] for item in body["results"]] == everything[8:12]
    assert body["count"] == 13
