"""Deleting snapshots in the admin: a device whose newest one went keeps its latest hardware."""

import pytest
from django.urls import reverse

from inventory.models import Device, HardwareSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(submit, example):
    # three runs of one machine: an i5, then an i7, then an i9 (the latest)
    for n, cpu in enumerate(("Intel Core i5-8500", "Intel Core i7-8700", "Intel Core i9-9900")):
        example["hardware"]["cpu"]["model"] = cpu
        conditions = example["results"].setdefault("conditions", {})
        conditions["started_at"] = f"2026-11-0{n + 1}T10:00:00Z"
        example.pop("submission_id", None)
        assert submit(example).status_code == 201
    return Device.objects.get()


def _snapshot(device, cpu):
    return HardwareSnapshot.objects.get(device=device, cpu_model=cpu)


def _hardware(api, device):
    answer = api.get(f"/api/devices/{device.pk}").json()
    return (answer["last_snapshot"] or {}).get("cpu_model")


def test_deleting_the_newest_snapshot_moves_the_device_to_the_one_before(admin_client, api, device):
    newest = _snapshot(device, "Intel Core i9-9900")
    url = reverse("admin:inventory_hardwaresnapshot_delete", args=(newest.pk,))
    response = admin_client.post(url, {"post": "yes"})
    # back to the list it was deleted from, not the admin's index
    assert response.status_code == 302
    assert response.url == reverse("admin:inventory_hardwaresnapshot_changelist")

    device.refresh_from_db()
    assert device.latest_snapshot == _snapshot(device, "Intel Core i7-8700")
    assert device.cpu_model_key == "intel core i7-8700"  # its peers are the i7's now
    assert _hardware(api, device) == "Intel Core i7-8700"
    # found by its hardware in the device list's search, as before the deletion
    found = api.get("/api/devices", {"search": "i7-8700"}).json()["results"]
    assert [row["hostname"] for row in found] == [device.hostname]


def test_deleting_older_snapshots_in_bulk_leaves_the_latest_alone(admin_client, device):
    latest = device.latest_snapshot_id
    older = HardwareSnapshot.objects.filter(device=device).exclude(pk=latest)
    data = {
        "action": "delete_selected",
        "post": "yes",
        "_selected_action": list(older.values_list("pk", flat=True)),
    }
    response = admin_client.post(reverse("admin:inventory_hardwaresnapshot_changelist"), data)
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.latest_snapshot_id == latest
    assert HardwareSnapshot.objects.filter(device=device).count() == 1


def test_deleting_every_snapshot_leaves_no_hardware_and_no_peer_key(admin_client, device):
    data = {
        "action": "delete_selected",
        "post": "yes",
        "_selected_action": list(HardwareSnapshot.objects.values_list("pk", flat=True)),
    }
    admin_client.post(reverse("admin:inventory_hardwaresnapshot_changelist"), data)
    device.refresh_from_db()
    assert device.latest_snapshot is None
    assert (device.cpu_model_key, device.system_model_key) == ("", "")
    assert device.benchmarks.count() == 3  # the runs stay, without their snapshots


def _run(submit, example, cpu, started_at):
    example["hardware"]["cpu"]["model"] = cpu
    example["results"].setdefault("conditions", {})["started_at"] = started_at
    example.pop("submission_id", None)
    assert submit(example).status_code == 201


def test_after_the_newest_snapshot_went_runs_are_placed_by_the_one_left(
    admin_client, api, device, submit, example
):
    """The device keeps the time of the snapshot it now shows: a run of before it, sent late
    (a laptop back on the network), is its past; one of after it is its hardware now, though
    older than the snapshot deleted."""
    newest = _snapshot(device, "Intel Core i9-9900")
    url = reverse("admin:inventory_hardwaresnapshot_delete", args=(newest.pk,))
    assert admin_client.post(url, {"post": "yes"}).status_code == 302

    _run(submit, example, "Intel Core i3-8100", "2026-10-15T10:00:00Z")
    assert _hardware(api, device) == "Intel Core i7-8700"

    _run(submit, example, "Intel Core i7-9700", "2026-11-02T12:00:00Z")
    assert _hardware(api, device) == "Intel Core i7-9700"


def test_of_two_snapshots_of_one_time_the_device_goes_back_to_the_one_received_last(
    admin_client, api, submit, example
):
    """Two runs that started at one time: the device showed the one received last, and shows
    it again once a newer snapshot is deleted."""
    _run(submit, example, "Intel Core i5-8500", "2026-11-01T10:00:00Z")
    _run(submit, example, "Intel Core i7-8700", "2026-11-01T10:00:00Z")
    device = Device.objects.get()
    assert _hardware(api, device) == "Intel Core i7-8700"
    _run(submit, example, "Intel Core i9-9900", "2026-11-02T10:00:00Z")

    newest = _snapshot(device, "Intel Core i9-9900")
    url = reverse("admin:inventory_hardwaresnapshot_delete", args=(newest.pk,))
    assert admin_client.post(url, {"post": "yes"}).status_code == 302

    assert _hardware(api, device) == "Intel Core i7-8700"
    device.refresh_from_db()
    assert device.latest_snapshot == _snapshot(device, "Intel Core i7-8700")
