"""Import CSV: the export imports back unchanged; the admin page previews, then applies."""

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from benchsite.tests.fleet import make_fleet
from inventory.models import Device, Tag
from inventory.services import device_update, devices_latest_snapshot_refresh
from inventory.summary import COLUMNS as HARDWARE_COLUMNS
from inventory.tests.factories import DeviceFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/inventory/device/import/"


def device_state():
    return sorted(
        (d.hostname, d.fqdn, d.description, d.asset_tag, d.location, d.owner, d.updated_at)
        + (tuple(sorted(t.name for t in d.tags.all())),)
        for d in Device.objects.all()
    )


def test_the_devices_csv_export_imports_back_unchanged(tmp_path):
    make_fleet()  # awkward text: quotes, commas, CRLF inside a cell, a formula, ünïcode tags
    # and their latest hardware, which the export ends with and the import leaves alone
    devices_latest_snapshot_refresh(device_ids=Device.objects.values_list("pk", flat=True))
    before = device_state()
    exported = tmp_path / "devices.csv"
    call_command("export", "--what", "devices", "--format", "csv", "--output", str(exported))
    assert (
        ",EliteDesk 800 G3,Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz,4,8,64," in exported.read_text()
    )

    out = io.StringIO()
    call_command("import_devices", str(exported), stdout=out)

    assert "0 new, 0 changed, 3 unchanged" in out.getvalue()
    assert ", ".join(HARDWARE_COLUMNS) + "." in out.getvalue()  # named as not imported
    assert device_state() == before
    assert not LogEntry.objects.exists()


# values a person may keep that begin with the apostrophe a spreadsheet download puts before a
# formula-like value (and the import drops): only these get one more apostrophe in a CSV
APOSTROPHES = {
    "hostname": "'-dash-host",
    "owner": "'=SUM(A1)",
    "description": "''+two",
    "location": "'plain",  # no formula after it: left as it is
}


def test_values_that_begin_with_an_apostrophe_import_back_unchanged(tmp_path):
    """An owner "'=SUM(A1)" came back "=SUM(A1)", and a device named "'-dash-host" as a new
    device "-dash-host": the import took their apostrophe for the spreadsheet's protection."""
    DeviceFactory(**APOSTROPHES)
    before = device_state()
    exported = tmp_path / "devices.csv"
    call_command("export", "--what", "devices", "--format", "csv", "--output", str(exported))
    assert ",'''+two," in exported.read_text()  # the one kind of value written otherwise

    out = io.StringIO()
    call_command("import_devices", str(exported), stdout=out)

    assert "0 new, 0 changed, 1 unchanged" in out.getvalue()
    assert device_state() == before


def test_the_admins_spreadsheet_download_imports_back_unchanged_too(admin_client, tmp_path):
    device = DeviceFactory(**APOSTROPHES)
    SnapshotFactory(device=device, system_model="=cmd|' /C calc'!A0")
    devices_latest_snapshot_refresh(device_ids=[device.pk])
    before = device_state()
    response = admin_client.post(
        "/admin/inventory/device/", {"action": "export_csv", "_selected_action": [device.pk]}
    )
    exported = tmp_path / "devices.csv"
    exported.write_bytes(b"".join(response.streaming_content))
    assert ",'=cmd|' /C calc'!A0,AMD Ryzen 5 5600G," in exported.read_text()  # as text

    out = io.StringIO()
    call_command("import_devices", str(exported), stdout=out)

    assert "0 new, 0 changed, 1 unchanged" in out.getvalue()
    assert device_state() == before


def test_an_edited_export_changes_only_what_was_edited(tmp_path):
    make_fleet()
    exported = tmp_path / "devices.csv"
    call_command("export", "--what", "devices", "--format", "csv", "--output", str(exported))
    # bytes: a text round trip would turn the CRLF inside a quoted cell into LF
    exported.write_bytes(exported.read_bytes().replace(b",shelf,", b",attic,"))

    out = io.StringIO()
    call_command("import_devices", str(exported), stdout=out)

    assert "0 new, 1 changed, 2 unchanged" in out.getvalue()
    assert Device.objects.get(hostname="spare").location == "attic"


def upload(client, text: str | bytes, name="devices.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})


def test_the_device_list_links_to_the_import_page(admin_client):
    html = admin_client.get("/admin/inventory/device/").content.decode()
    assert f'href="{IMPORT_URL}"' in html and "Import CSV" in html


def test_upload_previews_the_changes_and_writes_nothing(admin_client):
    DeviceFactory(hostname="nas-01", location="lab", owner="ops")
    response = upload(admin_client, "hostname,location,tags\nnas-01,rack-2,backup\nws-07,desk,\n")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>1</strong> new device, <strong>1</strong> changed, 0 unchanged" in html
    updated = html.split('id="import-updated"', 1)[1].split("</table>", 1)[0]
    assert '<td class="bt-old">lab</td><td class="bt-new">rack-2</td>' in updated
    assert (
        '<td>tags</td><td class="bt-old">–</td><td class="bt-new"><span class="bt-tag">backup'
        "</span></td>" in updated
    )
    assert "ws-07" in html.split('id="import-created"', 1)[1].split("</table>", 1)[0]
    assert Device.objects.get().location == "lab" and not Tag.objects.exists()


def test_a_row_of_a_machines_former_name_says_it_adds_another_device(admin_client, tmp_path):
    """An older sheet's row of pc-10, renamed acct-10 since: the preview said "pc-10 (new)"
    and nothing more, where the search and the device list call acct-10 "formerly pc-10"."""
    device_update(device=DeviceFactory(hostname="pc-10"), data={"hostname": "acct-10"})
    html = upload(admin_client, "hostname,location\nPC-10,Room 4\n").content.decode()
    created = html.split('id="import-created"', 1)[1].split("</table>", 1)[0]
    said = "PC-10 is a former name of acct-10: this row adds another device (write acct-10"
    assert f'<div class="bt-consequence">{said}' in created

    path = tmp_path / "devices.csv"
    path.write_text("hostname,location\npc-10,Room 4\n")
    out = io.StringIO()
    call_command("import_devices", str(path), "--dry-run", stdout=out)
    assert '"Room 4"; pc-10 is a former name of acct-10: this row adds' in out.getvalue()


def test_the_preview_tells_one_tag_with_a_comma_from_two_tags(admin_client):
    """'atelier, rh' (one tag: ';' separates them) previewed as "atelier, rh", and two tags as
    "atelier; rh": one read as the other (the fleet admin's audit)."""
    DeviceFactory(hostname="ws-14")
    DeviceFactory(hostname="ws-15")

    response = upload(admin_client, 'hostname,tags\nws-14,"atelier, rh"\nws-15,atelier; rh\n')

    updated = response.content.decode().split('id="import-updated"', 1)[1].split("</table>")[0]
    assert '<span class="bt-tag">atelier, rh</span></td>' in updated
    assert '<span class="bt-tag">atelier</span><span class="bt-tag">rh</span></td>' in updated


def test_confirm_applies_the_previewed_file_and_logs_it_as_the_admin(admin_client, admin_user):
    nas = DeviceFactory(hostname="nas-01", location="lab")
    preview = upload(admin_client, "hostname,location\nnas-01,rack-2\nws-07,desk\n")
    fingerprint = preview.context["fingerprint"]

    response = admin_client.post(IMPORT_URL, {"confirm": "1", "fingerprint": fingerprint})

    assert response.status_code == 302
    assert response["Location"] == "/admin/inventory/device/"
    nas.refresh_from_db()
    assert nas.location == "rack-2"
    assert Device.objects.get(hostname="ws-07").location == "desk"
    entry = LogEntry.objects.get(object_id=str(nas.pk))
    assert entry.user == admin_user
    assert entry.change_message == 'Changed by CSV import: location "lab" → "rack-2"'
    # the file is gone from the session: a second confirmation applies nothing
    again = admin_client.post(IMPORT_URL, {"confirm": "1", "fingerprint": fingerprint})
    assert "Nothing to confirm: upload the file again." in again.content.decode()


def test_a_windows_1252_file_is_previewed_with_its_notes_and_imported_as_previewed(
    admin_client,
):
    data = "Hostname;Lieu;Location\r\npc-helene;x;Bureau d’Hélène\r\n".encode("cp1252")
    preview = upload(admin_client, data)
    notes = preview.content.decode().split('id="import-notes"', 1)[1].split("</ul>", 1)[0]
    assert "read as Windows-1252" in notes
    assert "Columns not imported (not known here): Lieu." in notes

    admin_client.post(IMPORT_URL, {"confirm": "1", "fingerprint": preview.context["fingerprint"]})

    assert Device.objects.get().location == "Bureau d’Hélène"


def test_confirm_refuses_when_the_devices_changed_since_the_preview(admin_client):
    nas = DeviceFactory(hostname="nas-01", location="lab")
    fingerprint = upload(admin_client, "hostname,location\nnas-01,rack-2\n").context["fingerprint"]
    Device.objects.filter(pk=nas.pk).update(location="rack-2")  # someone else did it meanwhile

    response = admin_client.post(IMPORT_URL, {"confirm": "1", "fingerprint": fingerprint})

    assert "The devices changed since the preview" in response.content.decode()
    assert not LogEntry.objects.exists()


def test_confirm_refuses_when_a_previewed_devices_value_changed_since(admin_client):
    """The preview said 'location "lab" → "rack-2"'; someone else moved the device to "shelf"
    meanwhile: confirmed, the import overwrote that edit unseen."""
    nas = DeviceFactory(hostname="nas-01", location="lab")
    fingerprint = upload(admin_client, "hostname,location\nnas-01,rack-2\n").context["fingerprint"]
    Device.objects.filter(pk=nas.pk).update(location="shelf")

    response = admin_client.post(IMPORT_URL, {"confirm": "1", "fingerprint": fingerprint})

    assert "The devices changed since the preview" in response.content.decode()
    nas.refresh_from_db()
    assert nas.location == "shelf"


def test_a_bad_file_shows_its_errors_by_line_and_offers_the_form_again(admin_client):
    response = upload(admin_client, "hostname,owner\nnas,ops\nNAS,ops\n", name="inv.csv")
    html = response.content.decode()
    assert "inv.csv: nothing imported" in html
    assert "line 3: hostname &#x27;NAS&#x27; already appears on line 2" in html
    assert 'type="file"' in html
    assert not Device.objects.exists()
    assert "benchsite.device_import" not in admin_client.session


def test_the_import_page_needs_the_change_permission(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(IMPORT_URL + "?download=devices").status_code == 403


def test_the_import_page_offers_every_device_as_a_sheet_that_uploads_back_unchanged(
    admin_client,
):
    make_fleet()
    DeviceFactory(**APOSTROPHES)
    before = device_state()
    html = admin_client.get(IMPORT_URL).content.decode()
    link = html.split('id="import-start"', 1)[1].split("</p>", 1)[0]
    assert 'href="?download=devices"' in link

    response = admin_client.get(IMPORT_URL + "?download=devices")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    sheet = b"".join(response.streaming_content)
    assert sheet.startswith(b"\xef\xbb\xbf")  # a BOM: a spreadsheet reads it as UTF-8

    preview = upload(admin_client, sheet).content.decode()
    count = Device.objects.count()
    summary = f"<strong>0</strong> new devices, <strong>0</strong> changed, {count} unchanged"
    assert summary in preview
    assert device_state() == before


def test_an_account_that_may_not_add_tags_imports_existing_tags_only():
    """The device form's + and the bulk edit's "New tags" are offered to who may add tags:
    the import made any tag a file named for an account that could edit devices."""
    from .accounts import staff_client

    editor = staff_client(
        "inventory.view_device", "inventory.add_device", "inventory.change_device"
    )
    Tag.objects.create(name="Backup")
    nas = DeviceFactory(hostname="nas-01")

    refused = upload(editor, "hostname,tags\nnas-01,backup; rack-2; lab\n")

    html = refused.content.decode()
    assert "nothing imported" in html
    assert "No tag is named &quot;lab&quot;, &quot;rack-2&quot; yet" in html
    assert "benchsite.device_import" not in editor.session
    assert list(Tag.objects.values_list("name", flat=True)) == ["Backup"]

    preview = upload(editor, "hostname,tags\nnas-01,backup\n")  # an existing tag, any case
    editor.post(IMPORT_URL, {"confirm": "1", "fingerprint": preview.context["fingerprint"]})
    assert [tag.name for tag in nas.tags.all()] == ["Backup"]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "The submitted file is empty."),
        (b"hostname,location\r\n", "No device below the first line: nothing to import."),
        (
            "hostname\r\nnas\r\n".encode("utf-16"),
            "The file is not UTF-8 text (it is UTF-16). Save it as CSV UTF-8",
        ),
        (
            "hostname\r\nnas\r\n".encode("utf-16-le"),  # without its byte order mark
            "The file is not UTF-8 text (it is UTF-16). Save it as CSV UTF-8",
        ),
        # 10 MB on one line: the page quoted its column's name whole, 10 MB of HTML
        (b"hostname," + b"x" * 10_000_000, "No device below the first line"),
        (b"hostname,x" + b"x" * 10_000_000 + b"\nnas,1\n", "Columns not imported"),
    ],
    ids=["empty", "header-only", "utf-16", "utf-16-no-bom", "10-mb-header", "10-mb-column"],
)
def test_an_odd_file_is_answered_in_one_clear_line_on_a_page_of_its_size(admin_client, data, said):
    response = upload(admin_client, data, name="odd.csv")

    assert response.status_code == 200
    html = response.content.decode()
    assert said in html
    assert len(html) < 100_000
    assert not Device.objects.exists()
