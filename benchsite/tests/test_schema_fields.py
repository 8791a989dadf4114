"""A hardware field declared once in inventory/schema.py reaches every place that shows it:
validation, its snapshot column, the API and the device page (cpu.sockets was added so)."""

import pytest

from inventory.models import HardwareSnapshot

pytestmark = pytest.mark.django_db


def test_a_declared_field_is_validated_stored_served_and_shown(submit, example, api, admin_client):
    example["hardware"]["cpu"]["sockets"] = 2

    body = submit(example).json()

    assert HardwareSnapshot.objects.get().cpu_sockets == 2
    snapshots = api.get(f"/api/devices/{body['device_id']}/snapshots").json()["results"]
    assert snapshots[0]["cpu_sockets"] == 2
    page = admin_client.get(f"/admin/inventory/device/{body['device_id']}/change/")
    cpu_section = page.content.decode().split('id="hw-cpu"', 1)[1].split("</table>", 1)[0]
    assert "Sockets" in cpu_section and ">2<" in cpu_section


def test_a_declared_field_is_typed_like_the_others(submit, example):
    example["hardware"]["cpu"]["sockets"] = "two"
    response = submit(example)
    assert response.status_code == 400
    assert "sockets" in response.json()["hardware"]["cpu"]
