"""The admin's log: every change of every object, by whom and when, read after the object is
gone (a device's History page goes with the device)."""

import html

import pytest

from benchsite.tests.accounts import staff_client
from inventory.models import Device

pytestmark = pytest.mark.django_db

LOG = "/admin/admin/logentry/"


def test_a_deleted_machine_and_a_renamed_one_are_told_in_the_log(
    api, submit, example, admin_client
):
    example["device_identifier"] = "nas-07"
    example["hardware"]["system"] = {"machine_id": "3f2a9c0e5b7d41e8a6c2f0d9e8b7a615"}
    submit(example)
    example.pop("submission_id", None)
    example["device_identifier"] = "nas-08"  # the machine renamed
    submit(example)
    device = Device.objects.get()
    assert api.delete(f"/api/devices/{device.pk}").status_code == 204

    page = html.unescape(admin_client.get(LOG).content.decode())

    assert "deleted" in page and "Deleted through the API." in page
    assert 'nas-07" → "nas-08"' in page  # the rename, with its earlier name
    assert "API_TOKEN" in page  # who did both
    found = admin_client.get(LOG, {"q": "nas-07"}).content.decode()
    assert "Renamed by a submission" in found


def test_the_log_is_read_only_and_shown_by_permission(admin_client):
    device = Device.objects.create(hostname="web-1")
    admin_client.post(f"/admin/inventory/device/{device.pk}/delete/", {"post": "yes"})
    (entry_id,) = admin_client.get(LOG).context["cl"].result_list.values_list("pk", flat=True)

    assert admin_client.get(f"{LOG}add/").status_code == 403
    assert admin_client.post(f"{LOG}{entry_id}/delete/", {"post": "yes"}).status_code == 403
    assert staff_client().get(LOG).status_code == 403
    # with the permission, the entries of objects the account may view
    devices_only = staff_client("admin.view_logentry", "inventory.view_device")
    assert devices_only.get(LOG).context["cl"].result_count == 1
    assert staff_client("admin.view_logentry").get(LOG).context["cl"].result_count == 0


def test_the_log_hides_documents_and_links_from_who_may_not_view_them(api, admin_client):
    """A device's History page hid a document's name and title and a link's label and URL from
    an account that may not view them; the log said them in full, found them by its search,
    and each entry's own page too."""
    device = Device.objects.create(hostname="acct-01")
    link = api.post(
        f"/api/devices/{device.pk}/links",
        {"label": "HP warranty", "url": "https://support.hp.test/warranty?serial=SECRET-SN-01"},
        format="json",
    )
    assert link.status_code == 201, link.content
    viewer = staff_client("admin.view_logentry", "inventory.view_device")

    page = html.unescape(viewer.get(LOG).content.decode())
    assert "SECRET-SN-01" not in page and "HP warranty" not in page
    assert "Added through the API: manufacturer link “…”." in page
    assert viewer.get(LOG, {"q": "SECRET-SN"}).context["cl"].result_count == 0
    (entry_id,) = viewer.get(LOG).context["cl"].result_list.values_list("pk", flat=True)
    assert viewer.get(f"{LOG}{entry_id}/change/").status_code == 403

    # an account that may view links and documents reads them, as the admin does
    links = staff_client(
        "admin.view_logentry",
        "inventory.view_device",
        "inventory.view_manufacturerlink",
        "documents.view_document",
    )
    assert "SECRET-SN-01" in links.get(LOG).content.decode()
    assert links.get(LOG, {"q": "SECRET-SN"}).context["cl"].result_count == 1
    assert links.get(f"{LOG}{entry_id}/change/").status_code == 200
    assert "SECRET-SN-01" in admin_client.get(LOG).content.decode()
