"""Odd input is never a 500: the admin's lists with a date hierarchy, given a year no calendar
reaches."""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def changelists() -> dict:
    """Every list of the admin, by its path: each app's models, Django's own included."""
    return {
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"): m
        for m in admin.site._registry
    }


DATED_LISTS = {
    path: admin.site._registry[model].date_hierarchy
    for path, model in changelists().items()
    if admin.site._registry[model].date_hierarchy
}


@pytest.mark.parametrize("path", DATED_LISTS)
@pytest.mark.parametrize("year", ["9999", "99999999999999999999"])
def test_a_year_past_the_calendar_answers_as_a_year_that_is_no_number(admin_client, path, year):
    """Django's page for a filter it cannot apply (`?e=1`), as `?…__year=abc` has it: a year
    whose next one is past Python's dates raised past Django's check, a 500 on every database."""
    field = DATED_LISTS[path]
    expected = admin_client.get(path, {f"{field}__year": "abc"}, follow=True)
    response = admin_client.get(path, {f"{field}__year": year}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == expected.redirect_chain == [(f"{path}?e=1", 302)]
