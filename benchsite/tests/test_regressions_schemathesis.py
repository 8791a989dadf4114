"""What schema-based fuzzing (perf/fuzz.py, test_schemathesis.py) found, kept as plain tests."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from inventory import services
from inventory.models import Device

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield f"{method.upper()} {path}", operation


def test_every_operation_with_an_id_describes_its_404(schema):
    missing = [
        label
        for label, operation in operations(schema)
        if any(p["in"] == "path" for p in operation.get("parameters", []))
        and "404" not in operation["responses"]
    ]
    assert missing == []


def test_every_authenticated_operation_describes_401_403_and_429(schema):
    missing = [
        (label, code)
        for label, operation in operations(schema)
        if any(operation.get("security", []))
        for code in ("401", "403", "429")
        if code not in operation["responses"]
    ]
    assert missing == []


def test_paginated_lists_describe_the_404_of_a_page_past_the_end(schema):
    for label in ("GET /api/devices", "GET /api/devices/{id}/snapshots"):
        assert "404" in dict(operations(schema))[label]["responses"], label


def test_stats_is_described_as_one_object_not_a_list(schema):
    body = dict(operations(schema))["GET /api/stats"]["responses"]["200"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/Stats"}


def test_snapshots_are_described_as_a_paginated_list(schema):
    body = dict(operations(schema))["GET /api/devices/{id}/snapshots"]["responses"]["200"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/PaginatedSnapshotList"


def test_the_json_export_is_described_as_an_array(schema):
    body = dict(operations(schema))["GET /api/export"]["responses"]["200"]["content"]
    assert body["application/json"]["schema"]["type"] == "array"


@pytest.mark.parametrize("parameter", ["search", "location", "tag"])
def test_a_nul_character_in_a_device_filter_is_a_400_naming_it(api, parameter):
    # DRF's search answered a bare list; PostgreSQL refuses NUL in a query (a 500 there).
    response = api.get(f"/api/devices?{parameter}=a%00b")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_editing_a_device_deleted_meanwhile_is_a_404_not_a_500(api, submit, monkeypatch):
    device_id = submit({"device_identifier": "doomed"}).json()["device_id"]
    real_update = services.device_update

    def update_after_a_concurrent_delete(*, device, data):
        Device.objects.filter(pk=device.pk).delete()  # another request's DELETE won the race
        return real_update(device=device, data=data)

    monkeypatch.setattr(services, "device_update", update_after_a_concurrent_delete)

    response = api.patch(f"/api/devices/{device_id}", {"location": "lab"}, format="json")

    assert response.status_code == 404
    assert not Device.objects.exists()


def test_device_update_refuses_a_stale_instance_of_a_deleted_device(submit):
    device = Device.objects.get(pk=submit({"device_identifier": "gone"}).json()["device_id"])
    Device.objects.filter(pk=device.pk).delete()

    with pytest.raises(Device.DoesNotExist):
        services.device_update(device=device, data={"location": "lab"})
