"""A device's location, owner, asset tag and description hold no control or invisible
character (a right-to-left override, a zero-width or no-break space), as its hostname and its
tags do not: whatever edits them (the API, the admin's form, the CSV import) refuses one, and
takes back a value a device already has, stored before the rule."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.models import Device
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

REFUSED = [
    ("location", "Rack 1 \u202e2 kcaR"),  # shows as "Rack 1 Rack 2"
    ("location", "Rack\u00a0A"),  # "Rack A" to the eye, another location to ?location=
    ("owner", "anna\u200b"),
    ("asset_tag", "A\t17"),
    ("description", "NAS of the \u202ecolleague"),
    ("description", "backup box\u2028second line"),  # a line separator, not a line break
]


@pytest.mark.parametrize(("field", "value"), REFUSED)
def test_an_edit_with_an_invisible_character_is_a_400_naming_the_field(api, field, value):
    device = DeviceFactory(location="lab", owner="ops", asset_tag="", description="")

    response = api.patch(f"/api/devices/{device.pk}", {field: value}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert "control or invisible character" in response.json()[field][0]
    device.refresh_from_db()
    assert (device.location, device.owner, device.asset_tag, device.description) == (
        "lab",
        "ops",
        "",
        "",
    )


def test_a_description_keeps_its_lines_and_tabs_and_any_script(api):
    device = DeviceFactory()
    text = "Büro 2, étagère\n\tUPS: APC 1500 — 北京\r\nsecond shelf"

    response = api.patch(f"/api/devices/{device.pk}", {"description": text}, format="json")

    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert device.description == text


def test_a_value_stored_before_the_rule_is_taken_back_by_the_api_and_the_import(api, tmp_path):
    """A script sending a device's fields back, an export imported back: refused whole for a
    location typed with a no-break space before 0.14.9."""
    nas = DeviceFactory(hostname="nas", location="Rack\u00a0A", owner="ops")
    other = DeviceFactory(hostname="other", location="lab")

    sent_back = {"location": "Rack\u00a0A", "owner": "backup team"}
    response = api.patch(f"/api/devices/{nas.pk}", sent_back, format="json")
    assert response.status_code == 200, response.content
    # a location another machine has already is one of the fleet's: the same rule as a tag's
    response = api.patch(f"/api/devices/{other.pk}", {"location": "Rack\u00a0A"}, format="json")
    assert response.status_code == 200, response.content

    path = tmp_path / "devices.csv"
    path.write_text("hostname,location,owner\nnas,Rack\u00a0A,ops\n")
    call_command("import_devices", str(path), stdout=io.StringIO())
    assert Device.objects.get(hostname="nas").owner == "ops"


def test_the_import_names_the_line_and_column_of_an_invisible_character(tmp_path):
    DeviceFactory(hostname="nas", location="lab")
    path = tmp_path / "devices.csv"
    path.write_text("hostname,location,owner\nnas,Rack 1 \u202e2 kcaR,ops\npc,lab,anna\u200b\n")

    with pytest.raises(CommandError) as refused:
        call_command("import_devices", str(path), stdout=io.StringIO())

    lines = [line for line in str(refused.value).splitlines() if line.startswith("line ")]
    assert [line.split(": ")[1].split(" ")[0] for line in lines] == ["location", "owner"], lines
    assert lines[0].startswith("line 2: location 'Rack 1 \\u202e2 kcaR': Enter it without")
    assert Device.objects.get(hostname="nas").location == "lab"
    assert not Device.objects.filter(hostname="pc").exists()


def test_the_admin_form_refuses_it_on_the_field(admin_client):
    device = DeviceFactory(hostname="nas", location="lab")
    page = admin_client.get(f"/admin/inventory/device/{device.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(location="Rack 1 \u202e2 kcaR", hostname="nas")

    response = admin_client.post(f"/admin/inventory/device/{device.pk}/change/", data)

    assert response.status_code == 200
    assert "location" in response.context["adminform"].form.errors
    device.refresh_from_db()
    assert device.location == "lab"


def test_the_import_checks_a_column_of_such_values_in_one_query(django_assert_max_num_queries):
    """A query a cell: 20 s to read back an export of 10,000 devices whose location was typed
    with a no-break space before the rule (the import reads the file twice: preview, apply)."""
    from inventory.csv_file import csv_read

    DeviceFactory(hostname="nas", location="Rack\u00a0A")
    lines = [f"pc-{i},Rack\u00a0A,anna\u200b,Büro {i}" for i in range(200)]
    data = "\n".join(["hostname,location,owner,description", *lines]).encode()

    with django_assert_max_num_queries(2):  # the location column's, the owner column's
        with pytest.raises(Exception) as refused:
            csv_read(data)

    said = [line for line in str(refused.value).splitlines() if line.startswith("line ")]
    assert said[0].startswith("line 2: owner 'anna\\u200b': Enter it without")
    assert all(": owner 'anna\\u200b'" in line for line in said)  # the location: taken


@pytest.mark.parametrize("field", ["location", "owner", "asset_tag", "description"])
def test_a_nul_is_a_400_on_every_database(api, field):
    """The check asked the database whether a device has the value already: PostgreSQL
    refuses a NUL in a query, and an edit with one was a 500 there."""
    device = DeviceFactory(location="lab", owner="ops", asset_tag="", description="")

    response = api.patch(f"/api/devices/{device.pk}", {field: "Rack\x00A"}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    device.refresh_from_db()
    assert device.location == "lab"
