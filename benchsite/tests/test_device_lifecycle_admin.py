"""The admin shows a machine's life: its dates in a section of their own, the list's filters by
service and warranty, a retired machine marked, and the device page's "Retired on …" and
warranty sentence."""

import io
import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from benchsite.tests.fleet import make_fleet
from inventory.models import Device
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/inventory/device/"


def listed(admin_client, **params) -> set[str]:
    html = admin_client.get(LIST, params).content.decode()
    names = re.findall(r'/admin/inventory/device/\d+/change/[^"]*">([^<]+)<', html)
    return {name.strip() for name in names}


def _form(device, **changes) -> dict:
    return {
        "hostname": device.hostname,
        "location": device.location,
        "owner": device.owner,
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        **changes,
    }


def test_the_list_filters_by_service_and_by_warranty(admin_client):
    today = timezone.localdate()
    DeviceFactory(hostname="old-box", retired_on=today - timedelta(days=3))
    DeviceFactory(hostname="ended", warranty_until=today - timedelta(days=1))
    DeviceFactory(hostname="ending", warranty_until=today + timedelta(days=90))
    DeviceFactory(hostname="covered", warranty_until=today + timedelta(days=91))

    assert listed(admin_client, retired="yes") == {"old-box"}
    assert listed(admin_client, retired="no") == {"ended", "ending", "covered"}
    assert listed(admin_client, warranty="ended") == {"ended"}
    assert listed(admin_client, warranty="ending") == {"ending"}
    assert listed(admin_client, warranty="under") == {"ending", "covered"}  # still covered
    assert listed(admin_client, warranty="unknown") == {"old-box"}
    html = admin_client.get(LIST).content.decode()
    assert "By service" in html and "ends within 90 days" in html


def test_a_retired_machine_is_marked_in_the_list_in_words(admin_client):
    DeviceFactory(hostname="old-nas", retired_on=date(2026, 1, 5))
    DeviceFactory(hostname="new-nas")

    html = admin_client.get(LIST).content.decode()

    row = html.split(">old-nas", 1)[1].split("</tr>", 1)[0]
    assert 'class="bt-badge bt-retired" title="retired on 2026-01-05: not ranked">retired<' in row
    assert "bt-retired" not in html.split(">new-nas", 1)[1].split("</tr>", 1)[0]


def test_the_device_page_tells_its_retirement_and_its_warranty(admin_client):
    today = timezone.localdate()
    retired = DeviceFactory(retired_on=date(2026, 1, 5), warranty_until=date(2024, 3, 1))
    covered = DeviceFactory(warranty_until=today + timedelta(days=130))

    html = unescape(
        admin_client.get(
            reverse("admin:inventory_device_change", args=(retired.pk,))
        ).content.decode()
    )
    lifecycle = html.split('id="lifecycle"', 1)[1].split("</p>", 1)[0]
    assert "Retired on 2026-01-05." in lifecycle and "Warranty ended on 2024-03-01." in lifecycle
    html = unescape(
        admin_client.get(
            reverse("admin:inventory_device_change", args=(covered.pk,))
        ).content.decode()
    )
    assert f"Under warranty until {covered.warranty_until.isoformat()} (in 4 months)." in html
    assert "Retired on" not in html
    assert 'id="fieldset-0-2-heading"' in html and ">Life<" in html  # its own section


def test_the_form_saves_the_dates_and_refuses_a_warranty_before_the_purchase(admin_client):
    device = DeviceFactory(hostname="nas")
    url = reverse("admin:inventory_device_change", args=(device.pk,))

    refused = admin_client.post(
        url, _form(device, purchased_on="2021-03-02", warranty_until="2020-03-02")
    )
    assert refused.status_code == 200
    assert "Warranty end cannot be before the purchase date (2021-03-02)." in unescape(
        refused.content.decode()
    )
    saved = admin_client.post(
        url, _form(device, purchased_on="2021-03-02", warranty_until="2024-03-02")
    )
    assert saved.status_code == 302
    device.refresh_from_db()
    assert (device.purchased_on, device.warranty_until) == (date(2021, 3, 2), date(2024, 3, 2))


def test_a_device_added_by_hand_may_be_given_its_dates(admin_client):
    response = admin_client.post(
        reverse("admin:inventory_device_add"),
        _form(Device(hostname="bought-today"), purchased_on=timezone.localdate().isoformat()),
    )
    assert response.status_code == 302
    assert Device.objects.get().purchased_on == timezone.localdate()


def test_the_devices_csv_export_with_dates_imports_back_unchanged(tmp_path):
    make_fleet()
    Device.objects.filter(hostname="nas-01").update(
        purchased_on=date(2019, 5, 1), warranty_until=date(2022, 5, 1), retired_on=date(2026, 1, 5)
    )
    before = list(Device.objects.order_by("pk").values())
    exported = tmp_path / "devices.csv"
    call_command("export", "--what", "devices", "--format", "csv", "--output", str(exported))
    assert ",2019-05-01,2022-05-01,2026-01-05," in exported.read_text()

    out = io.StringIO()
    call_command("import_devices", str(exported), stdout=out)

    assert "0 new, 0 changed, 3 unchanged" in out.getvalue()
    assert list(Device.objects.order_by("pk").values()) == before


def test_an_empty_fleets_devices_csv_imports_back_doing_nothing(tmp_path):
    """Its header alone: a nightly export of one server imported into another, the fleet not
    yet there, ends well (the import said "No device below the first line" and failed)."""
    exported = tmp_path / "devices.csv"
    call_command("export", "--what", "devices", "--format", "csv", "--output", str(exported))
    out = io.StringIO()

    call_command("import_devices", str(exported), stdout=out)

    assert "Imported 0 row(s): 0 new, 0 changed, 0 unchanged." in out.getvalue()
    assert not Device.objects.exists()
