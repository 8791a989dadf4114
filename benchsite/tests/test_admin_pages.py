"""Every model is managed in the admin: its pages render with data present."""

import pytest
from django.contrib import admin
from django.urls import reverse

from benchmarks.tests.factories import BenchmarkFactory
from inventory.tests.factories import LinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(example, submit):
    submit(example)
    LinkFactory()
    BenchmarkFactory()


@pytest.mark.parametrize(
    "model",
    [
        m
        for m in admin.site._registry
        if m._meta.app_label in ("benchsite", "inventory", "benchmarks", "documents")
    ],
    ids=lambda m: m._meta.label,
)
def test_changelist_search_and_change_pages_render(admin_client, data, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "elitedesk"}).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=(obj.pk,))
        assert admin_client.get(change).status_code == 200


def test_device_edit_in_the_admin_keeps_the_ranking_figures(admin_client, data):
    from inventory.models import Device

    device = Device.objects.get(hostname="elitedesk-800g3")
    figures = (device.global_score, device.last_benchmark_at, device.latest_snapshot_id)
    assert figures[0] is not None
    response = admin_client.post(
        reverse("admin:inventory_device_change", args=(device.pk,)),
        {
            "hostname": device.hostname,
            "fqdn": "",
            "description": "desk",
            "asset_tag": "A-7",
            "location": "office",
            "owner": "me",
            "links-TOTAL_FORMS": "0",
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    device.refresh_from_db()
    assert device.asset_tag == "A-7"
    assert (device.global_score, device.last_benchmark_at, device.latest_snapshot_id) == figures
