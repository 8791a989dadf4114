"""What an admin account that is not a superuser may do: what its model permissions allow, and
not one action more (a view-only colleague, a token issuer, the person who handles alerts)."""

import datetime
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from benchmarks.tests.factories import BenchmarkFactory
from benchsite.models import ApiToken
from benchsite.services import api_token_issue
from documents.models import Document
from insights.models import AttentionItem, Notification
from inventory.models import HardwareSnapshot
from inventory.tests.factories import DeviceFactory

from .accounts import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return staff_client


def _action(client: Client, changelist: str, action: str, pk: int):
    return client.post(changelist, {"action": action, "_selected_action": [pk]})


def test_a_view_only_account_cannot_revoke_tokens(staff):
    token, _ = api_token_issue(name="fleet", can_submit=True)
    changelist = "/admin/benchsite/apitoken/"
    viewer = staff("benchsite.view_apitoken")

    assert 'value="revoke"' not in viewer.get(changelist).content.decode()
    _action(viewer, changelist, "revoke", token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None

    revoker = staff("benchsite.view_apitoken", "benchsite.change_apitoken")
    assert 'value="revoke"' in revoker.get(changelist).content.decode()
    _action(revoker, changelist, "revoke", token.pk)
    token.refresh_from_db()
    assert token.revoked_at is not None
    # in the token's history, as a revocation from its own page
    from django.contrib.admin.models import LogEntry

    (entry,) = LogEntry.objects.filter(object_id=str(token.pk))
    assert entry.get_change_message() == "Revoked."


def test_a_token_is_revoked_from_its_own_page_which_then_reads_revoked(staff, admin_client):
    """Revoking was a bulk action of the list only; a revoked token's page said so nowhere but
    in "Revoked at", its scopes still editable under an active Save."""
    token, _ = api_token_issue(name="leaked", can_submit=True)
    page = f"/admin/benchsite/apitoken/{token.pk}/change/"
    revoke = f"/admin/benchsite/apitoken/{token.pk}/revoke/"

    viewer = staff("benchsite.view_apitoken")
    assert 'id="revoke-token"' not in viewer.get(page).content.decode()
    assert viewer.post(revoke).status_code == 403
    revoker = staff("benchsite.view_apitoken", "benchsite.change_apitoken")
    assert f'action="{revoke}"' in revoker.get(page).content.decode()
    assert admin_client.get(revoke).status_code == 405

    response = revoker.post(revoke)

    assert response.status_code == 302 and response["Location"] == page
    token.refresh_from_db()
    assert token.revoked_at is not None
    after = admin_client.get(page).content.decode()
    assert re.search(r'<div class="readonly">revoked</div>', after)
    assert 'id="revoke-token"' not in after and 'name="_save"' not in after
    assert 'name="can_write"' not in after  # a record now: its scopes are not edited
    form = {"name": "leaked", "can_submit": "on", "can_read": "on", "can_write": "on"}
    assert admin_client.post(page, form).status_code == 403
    token.refresh_from_db()
    assert not token.can_write


def test_only_a_superuser_issues_a_token_or_widens_one(staff, admin_client):
    issuer = staff("benchsite.add_apitoken", "benchsite.change_apitoken")
    form = {"name": "mine", "can_submit": "on", "can_read": "on", "can_write": "on"}

    assert issuer.post("/admin/benchsite/apitoken/add/", form).status_code == 403
    assert not ApiToken.objects.exists()
    token, _ = api_token_issue(name="bench", can_submit=True)
    issuer.post(f"/admin/benchsite/apitoken/{token.pk}/change/", {**form, "name": "bench"})
    token.refresh_from_db()
    assert not token.can_write and not token.can_read
    # the dashboard's "issue one" is offered to whoever may issue one
    assert "/admin/benchsite/apitoken/add/" not in issuer.get("/admin/").content.decode()

    assert admin_client.post("/admin/benchsite/apitoken/add/", form).status_code == 302
    issued = ApiToken.objects.get(name="mine")
    assert issuer.get(f"/admin/benchsite/apitoken/{issued.pk}/issued/").status_code == 403
    assert ApiToken.objects.filter(name="mine", can_write=True).exists()
    assert "/admin/benchsite/apitoken/add/" in admin_client.get("/admin/").content.decode()


def test_rescoring_runs_needs_the_permission_to_change_them(staff):
    run = BenchmarkFactory(global_score=1.0)  # not what the weights in force give
    changelist = "/admin/benchmarks/benchmark/"
    viewer = staff("benchmarks.view_benchmark")

    assert 'value="rescore"' not in viewer.get(changelist).content.decode()
    _action(viewer, changelist, "rescore", run.pk)
    run.refresh_from_db()
    assert run.global_score == 1.0

    _action(
        staff("benchmarks.view_benchmark", "benchmarks.change_benchmark"),
        changelist,
        "rescore",
        run.pk,
    )
    run.refresh_from_db()
    assert run.global_score == 100.0


def test_notifications_are_seen_with_their_items_and_sent_again_with_the_change_permission(
    staff,
):
    given_up = Notification.objects.create(
        title="nas: disk_hot",
        body="b",
        type="failure",
        target="0" * 64,
        target_label="json://127.0.0.1:9/",
        attempts=9,
        failed_at=timezone.now(),
    )
    changelist = "/admin/insights/notification/"
    # a notification tells an attention item of a machine: viewing it asks to view those too
    # (with "view notification" alone its page showed what /api/attention refused)
    items = ("insights.view_attentionitem", "inventory.view_device")
    blind = staff("insights.view_notification", "insights.change_notification")
    assert blind.get(changelist).status_code == 403
    assert blind.get(f"{changelist}{given_up.pk}/change/").status_code in (302, 403)
    _action(blind, changelist, "send_again", given_up.pk)
    given_up.refresh_from_db()
    assert given_up.failed_at is not None
    viewer = staff("insights.view_notification", *items)

    assert 'value="send_again"' not in viewer.get(changelist).content.decode()
    _action(viewer, changelist, "send_again", given_up.pk)
    given_up.refresh_from_db()
    assert given_up.failed_at is not None

    sender = staff("insights.view_notification", "insights.change_notification", *items)
    _action(sender, changelist, "send_again", given_up.pk)
    given_up.refresh_from_db()
    assert given_up.failed_at is None


@pytest.fixture
def failing_nas(submit, example):
    """A machine whose disk fails SMART: a run, a snapshot and an open critical item."""
    example["hardware"]["storage"]["devices"][0]["smart_health"] = "FAILED"
    response = submit(example)
    assert response.status_code == 201
    return response.json()["device_id"]


def test_the_dashboard_shows_each_panel_to_who_may_view_what_it_shows(staff, failing_nas):
    devices_only = staff("inventory.view_device").get("/admin/").content.decode()
    assert 'id="ranking"' in devices_only
    assert "reports SMART FAILED" not in devices_only and 'id="attention"' not in devices_only
    assert 'id="recent-submissions-module"' not in devices_only  # runs

    items_only = staff("insights.view_attentionitem").get("/admin/").content.decode()
    assert "reports SMART FAILED" in items_only and 'id="fleet-hidden"' in items_only
    # the hostname leads to the item's page, which this account may open, not the device's
    assert f"/admin/inventory/device/{failing_nas}/change/" not in items_only
    assert "/admin/insights/attentionitem/" in items_only

    everything = staff(
        "inventory.view_device", "insights.view_attentionitem", "benchmarks.view_benchmark"
    ).get("/admin/")
    html = everything.content.decode()
    assert "reports SMART FAILED" in html and 'id="recent-submissions-module"' in html


def test_the_device_page_tells_each_part_to_who_may_view_it(staff, failing_nas):
    page = f"/admin/inventory/device/{failing_nas}/change/"
    devices_only = staff("inventory.view_device").get(page).content.decode()
    assert "reports SMART FAILED" not in devices_only  # its open item
    assert "/admin/benchmarks/benchmark/" not in devices_only and 'id="runs-hidden"' in devices_only
    # the ranking's figures are the device's, which the dashboard showed it: not said withheld
    assert "Its scores and last run date, which the ranking shows, are the device" in devices_only
    assert 'id="hardware"' not in devices_only and 'id="hardware-hidden"' in devices_only
    assert 'id="insights"' not in devices_only

    everything = staff(
        "inventory.view_device",
        "insights.view_attentionitem",
        "benchmarks.view_benchmark",
        "inventory.view_hardwaresnapshot",
    ).get(page)
    html = everything.content.decode()
    assert "reports SMART FAILED" in html and 'id="history"' in html and 'id="hardware"' in html
    assert 'id="runs-hidden"' not in html and 'id="hardware-hidden"' not in html


def test_a_devices_snapshots_and_the_metrics_need_what_they_show(staff, failing_nas):
    devices_only = staff("inventory.view_device")
    snapshots = f"/api/devices/{failing_nas}/snapshots"
    one = f"/api/snapshots/{HardwareSnapshot.objects.filter(device=failing_nas).first().pk}"
    assert devices_only.get(snapshots).status_code == 403  # as /api/export?what=snapshots
    assert devices_only.get(one).status_code == 403
    assert staff("inventory.view_hardwaresnapshot").get(one).status_code == 403  # and devices
    assert devices_only.get("/metrics").status_code == 403

    everything = staff(
        "inventory.view_device",
        "insights.view_attentionitem",
        "benchmarks.view_benchmark",
        "inventory.view_hardwaresnapshot",
    )
    assert everything.get(snapshots).status_code == 200
    assert everything.get(one).status_code == 200
    assert everything.get("/metrics").status_code == 200


def test_a_view_only_account_downloads_documents_from_the_device_page(staff, api):
    device = DeviceFactory(hostname="nas")
    upload = api.post(
        f"/api/devices/{device.pk}/docs",
        {"file": SimpleUploadedFile("manual.txt", b"RTFM"), "doc_type": "manual"},
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    download = f"/api/docs/{upload.json()['id']}/download"

    viewer = staff("inventory.view_device", "documents.view_document")
    page = viewer.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()

    assert f'<a href="{download}">manual.txt</a>' in page  # it read "None"
    assert viewer.get(download).status_code == 200


@pytest.mark.parametrize("device_permission", ["view_device", "change_device"])
def test_an_account_that_may_add_documents_but_not_change_them_opens_the_device_page(
    staff, api, device_permission
):
    """Its empty upload row was shown as the download link of a document not stored: every
    device page a 500 (NoReverseMatch). Its stored documents are download links; it uploads
    where it may change the device (the page's Save), and is offered no upload row it could
    not send where it may not."""
    device = DeviceFactory(hostname="nas")
    upload = api.post(
        f"/api/devices/{device.pk}/docs",
        {"file": SimpleUploadedFile("manual.txt", b"RTFM"), "doc_type": "manual"},
        format="multipart",
    )
    download = f"/api/docs/{upload.json()['id']}/download"
    clerk = staff(
        f"inventory.{device_permission}", "documents.view_document", "documents.add_document"
    )

    response = clerk.get(f"/admin/inventory/device/{device.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<a href="{download}">manual.txt</a>' in page
    uploads = 'type="file" name="documents-1-file"' in page
    assert uploads == (device_permission == "change_device")
    assert ('name="_save"' in page) == uploads


def test_an_account_that_may_add_devices_and_documents_uploads_on_the_add_page(staff):
    """The upload row of the add page, whose Save takes the permission to add devices, was
    gone with the device page's rule (the permission to change the device)."""
    clerk = staff("inventory.add_device", "inventory.view_device", "documents.add_document")
    page = clerk.get("/admin/inventory/device/add/").content.decode()
    assert 'type="file" name="documents-0-file"' in page


def test_the_documents_list_tells_no_device_detail_to_an_account_that_may_not_view_devices(
    staff,
):
    """An account that may view documents but not devices saw the devices' owners and rooms
    (the list's filters) and warranty ends on the documents' list, which the device page
    refused it; and was told to upload on a device page it may not save."""
    device = DeviceFactory(
        hostname="pc-alpha",
        owner="Alice Martin (CFO)",
        location="Safe room B12",
        warranty_until=datetime.date(2027, 1, 15),
    )
    Document.objects.create(
        device=device,
        doc_type="invoice",
        original_filename="real.pdf",
        stored_name=f"{'ab' * 32}.pdf",
        mime_type="application/pdf",
        size_bytes=45,
        sha256="ab" * 32,
    )
    clerk = staff("documents.view_document", "documents.add_document")
    colleague = staff(
        "documents.view_document", "documents.add_document", "inventory.change_device"
    )

    shown = clerk.get("/admin/documents/document/").content.decode()
    clerk.raise_request_exception = False  # a filter it is not offered, typed in: refused
    probed = clerk.get("/admin/documents/document/", {"device__owner": "Alice Martin (CFO)"})
    told = colleague.get("/admin/documents/document/").content.decode()

    assert "pc-alpha" in shown and "real.pdf" in shown  # whose document it is, as before
    for detail in ("Alice Martin", "Safe room B12", "2027-01-15", "field-warranty"):
        assert detail not in shown
        assert detail in told
    assert probed.status_code == 400
    assert "by an account that may change devices" in shown
    assert "by an account that may change devices" not in told


def test_a_document_page_lists_no_device_to_an_account_that_may_not_view_devices(staff, api):
    """The document's page named its device in a select of every device of the fleet (the
    page's fieldsets kept the field Django links, which the account may not open)."""
    device = DeviceFactory(hostname="nas")
    DeviceFactory(hostname="secret-box")
    upload = api.post(
        f"/api/devices/{device.pk}/docs",
        {"file": SimpleUploadedFile("manual.txt", b"RTFM"), "doc_type": "manual"},
        format="multipart",
    )
    editor = staff("documents.view_document", "documents.change_document")

    page = editor.get(f"/admin/documents/document/{upload.json()['id']}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="device"' not in html and "secret-box" not in html
    assert re.search(r'<div class="readonly">nas</div>', html)


def test_no_link_leads_an_account_to_a_page_it_may_not_open(staff, failing_nas):
    item = "/admin/insights/attentionitem/"
    items_only = staff("insights.view_attentionitem", "insights.change_attentionitem")
    device_page = f"/admin/inventory/device/{failing_nas}/change/"
    assert device_page not in items_only.get(item).content.decode()
    pk = AttentionItem.objects.get().pk
    assert device_page not in items_only.get(f"{item}{pk}/change/").content.decode()
    assert items_only.get(device_page).status_code == 403

    viewer = staff("inventory.view_device")
    assert (
        "/admin/inventory/device/import/"
        not in viewer.get("/admin/inventory/device/").content.decode()
    )
    assert viewer.get("/admin/inventory/device/import/").status_code == 403
    importer = staff("inventory.view_device", "inventory.add_device", "inventory.change_device")
    assert (
        "/admin/inventory/device/import/"
        in importer.get("/admin/inventory/device/").content.decode()
    )

    both = staff("insights.view_attentionitem", "inventory.view_device")
    assert device_page in both.get(item).content.decode()


def test_runs_tell_no_hardware_change_to_an_account_that_may_not_view_the_hardware(
    staff, submit, example
):
    first = submit(example).json()
    example["submission_id"] = "5b0b2c8e-1d7f-4c8e-9a51-6f0d2b7e9c11"
    example["hardware"]["ram"]["total_mb"] *= 2
    assert submit(example).status_code == 201
    page = f"/admin/inventory/device/{first['device_id']}/change/"

    runs_only = staff("inventory.view_device", "benchmarks.view_benchmark").get(page)
    assert 'id="history"' in runs_only.content.decode()
    assert "changed: RAM" not in runs_only.content.decode()
    both = staff(
        "inventory.view_device", "benchmarks.view_benchmark", "inventory.view_hardwaresnapshot"
    ).get(page)
    assert "changed: RAM" in both.content.decode()


def test_a_record_links_to_what_the_account_may_open_only(staff, failing_nas):
    run = BenchmarkFactory._meta.model.objects.get()
    device, snapshot = (
        f"/admin/inventory/device/{failing_nas}/change/",
        (f"/admin/inventory/hardwaresnapshot/{run.snapshot_id}/change/"),
    )
    runs_only = staff("benchmarks.view_benchmark")
    html = runs_only.get(f"/admin/benchmarks/benchmark/{run.pk}/change/").content.decode()
    assert device not in html and snapshot not in html  # both were links to a 403
    assert "elitedesk-800g3" in html  # named, not linked

    snapshots_only = staff("inventory.view_hardwaresnapshot")
    html = snapshots_only.get(snapshot).content.decode()
    assert device not in html and "elitedesk-800g3" in html

    everything = staff(
        "benchmarks.view_benchmark", "inventory.view_device", "inventory.view_hardwaresnapshot"
    )
    html = everything.get(f"/admin/benchmarks/benchmark/{run.pk}/change/").content.decode()
    assert device in html and snapshot in html


def test_comparing_shows_the_hardware_to_who_may_view_it_only(staff, submit, example):
    """The device page hid the hardware from an account that may view devices only; both
    compare pages, the "Compare selected" action and /api/compare showed it (disk serials,
    DIMMs, SMART)."""
    first = submit(example).json()
    example["submission_id"] = str(uuid.uuid4())
    example["hardware"]["ram"]["total_mb"] = 32768
    submit(example)
    other = DeviceFactory(hostname="other")
    pair = f"{first['device_id']},{other.pk}"
    pages = (
        f"/admin/inventory/device/{first['device_id']}/compare/",
        f"/admin/inventory/device/compare/?devices={pair}",
        f"/api/compare?devices={pair}",
    )
    changelist = "/admin/inventory/device/"

    devices_only = staff("inventory.view_device")
    assert [devices_only.get(page).status_code for page in pages] == [403, 403, 403]
    assert 'value="compare_selected"' not in devices_only.get(changelist).content.decode()

    hardware_too = staff("inventory.view_device", "inventory.view_hardwaresnapshot")
    assert [hardware_too.get(page).status_code for page in pages] == [200, 200, 200]
    assert 'value="compare_selected"' in hardware_too.get(changelist).content.decode()


def test_a_page_not_allowed_or_not_there_is_a_page_of_the_admin_that_says_why(
    staff, admin_client, client, failing_nas
):
    """A view-only account opening Import CSV got a bare "403 Forbidden", and a snapshot
    compare without its snapshots a bare "Not Found": no header, no way back, and the reason
    the code gave ("Choose two snapshots") never shown."""
    viewer = staff("inventory.view_device")
    denied = viewer.get("/admin/inventory/device/import/")
    assert denied.status_code == 403
    page = denied.content.decode()
    assert "<title>Not allowed | Linux BenchTools</title>" in page
    assert "Your account's admin permissions do not allow this page or action." in page
    assert 'href="/admin/"' in page

    missing = admin_client.get(f"/admin/inventory/device/{failing_nas}/compare/?a=abc&b=1")
    assert missing.status_code == 404
    reason = missing.content.decode().split('id="error-reason">', 1)[1].split("</p>", 1)[0]
    assert reason == "Choose two snapshots: ?a=&lt;id&gt;&amp;b=&lt;id&gt;"
    nowhere = admin_client.get("/admin/inventory/nothing-here/")
    assert (
        nowhere.status_code == 404
        and "<title>Not found | Linux BenchTools" in nowhere.content.decode()
    )
    # outside the admin, Django's plain page (no session read for a missing static file); the
    # API's stay JSON
    outside = client.get("/nothing-here")
    assert outside.status_code == 404 and "There is no page" not in outside.content.decode()
    assert client.get("/api/nothing-here").json() == {"detail": "Not found."}


def test_an_admin_page_not_found_stays_a_404_when_its_page_cannot_be_made(
    admin_client, monkeypatch
):
    """The admin's 404 page reads the account (its session, in the database): with the
    database away, the page failing turned the 404 into a 500."""
    from django.contrib import admin

    def away(request):
        raise OperationalError("database is locked")

    monkeypatch.setattr(admin.site, "each_context", away)
    response = admin_client.get("/admin/inventory/nothing-here/")
    assert response.status_code == 404


def test_the_hardware_is_shown_and_searched_for_who_may_view_it_only(staff, submit, example):
    """The device page hid the hardware from an account that may view devices only; the API's
    device detail gave it whole (its latest snapshot, its latest run), the device list its CPU
    model, and a search by a disk's serial or a MAC address told which machine holds it."""
    device_id = submit(example).json()["device_id"]
    detail, listing = f"/api/devices/{device_id}", "/admin/inventory/device/"
    serial, mac = "S4EWNX0R123456", "3c:52:82:0a:1b:2c"

    devices_only = staff("inventory.view_device")
    body = devices_only.get(detail).json()
    assert body["last_snapshot"] is None and body["last_benchmark"] is None
    assert body["hostname"] == "elitedesk-800g3" and body["global_score"] is not None
    # nor how many runs, snapshots, links and documents it has (a count each, to it too)
    counts = ("benchmarks_count", "snapshots_count", "links_count", "documents_count")
    assert [body[name] for name in counts] == [None] * 4
    everything = staff(
        "inventory.view_device",
        "benchmarks.view_benchmark",
        "inventory.view_hardwaresnapshot",
        "inventory.view_manufacturerlink",
        "documents.view_document",
    )
    assert [everything.get(detail).json()[name] for name in counts] == [1, 1, 0, 0]
    assert devices_only.get("/api/devices", {"search": serial}).json()["count"] == 0
    page = devices_only.get(listing, {"q": mac}).content.decode()
    assert "elitedesk-800g3</a>" not in page and "column-cpu_model" not in page
    # nor do the hardware's filters offer what the machines run, or list the machines by it
    page = devices_only.get(listing).content.decode()
    assert "?os=" not in page and "?cpu_vendor=" not in page and "Debian" not in page
    page = devices_only.get(listing, {"os": "Ubuntu"}).content.decode()
    assert "elitedesk-800g3</a>" in page  # not a filter for it: every machine

    everything = staff(
        "inventory.view_device", "inventory.view_hardwaresnapshot", "benchmarks.view_benchmark"
    )
    body = everything.get(detail).json()
    assert body["last_snapshot"]["cpu_model"] and body["last_benchmark"]["id"]
    assert everything.get("/api/devices", {"search": serial}).json()["count"] == 1
    page = everything.get(listing, {"q": mac}).content.decode()
    assert "elitedesk-800g3</a>" in page and "column-cpu_model" in page
    assert "?os=Debian+GNU%2FLinux" in everything.get(listing).content.decode()
    page = everything.get(listing, {"os": "Ubuntu"}).content.decode()
    assert "elitedesk-800g3</a>" not in page


def test_the_hardware_changes_are_shown_to_who_may_view_the_hardware_only(staff):
    """The fleet's hardware changes are the snapshots' (the device page hides them from an
    account that may view devices only): the page, the dashboard's panel and the device
    list's link alike."""
    page = "/admin/inventory/device/hardware-changes/"
    devices_only = staff("inventory.view_device")
    assert devices_only.get(page).status_code == 403
    assert 'id="hardware-changed"' not in devices_only.get("/admin/").content.decode()
    assert page not in devices_only.get("/admin/inventory/device/").content.decode()
    snapshots_only = staff("inventory.view_hardwaresnapshot")
    assert snapshots_only.get(page).status_code == 403
    hardware_too = staff("inventory.view_device", "inventory.view_hardwaresnapshot")
    assert hardware_too.get(page).status_code == 200
    assert 'id="hardware-changed"' in hardware_too.get("/admin/").content.decode()
    assert page in hardware_too.get("/admin/inventory/device/").content.decode()


def test_an_account_that_may_change_devices_but_not_view_tags_picks_tags_in_a_list(staff):
    """The tags' search box asked the tags' own list, which took the permission to view tags:
    "The results could not be loaded", where a tag's id posted by hand was taken."""
    from inventory.models import Tag

    lab = Tag.objects.create(name="lab")
    device = DeviceFactory(hostname="ws-3")
    tech = staff("inventory.view_device", "inventory.change_device")
    page = tech.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    field = page.split('name="tags"', 1)[1].split("</select>", 1)[0]
    assert "admin-autocomplete" not in field and f'<option value="{lab.pk}">lab</option>' in field
    assert "Type to find a tag" not in page
    bulk = tech.post(
        "/admin/inventory/device/",
        {"action": "add_tags", "_selected_action": [device.pk]},
    ).content.decode()
    assert "Type to find a tag" not in bulk and f'<option value="{lab.pk}">lab</option>' in bulk
    # one that may view tags finds them by typing
    viewer = staff("inventory.view_device", "inventory.change_device", "inventory.view_tag")
    page = viewer.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    assert "admin-autocomplete" in page.split('name="tags"', 1)[1].split("</select>", 1)[0]


def test_a_session_whose_account_lost_its_staff_status_is_told_so_not_about_a_token(staff):
    """It read "This token does not have the 'read' scope.", of a token it never sent."""
    from django.contrib.auth import get_user_model

    device = DeviceFactory(hostname="ws-4")
    session = staff("inventory.view_device", "inventory.change_device")
    assert session.get(f"/api/devices/{device.pk}").status_code == 200
    get_user_model().objects.filter(is_superuser=False).update(is_staff=False)

    for response in (
        session.get(f"/api/devices/{device.pk}"),
        session.patch(
            f"/api/devices/{device.pk}", {"location": "lab"}, content_type="application/json"
        ),
    ):
        assert response.status_code == 403
        assert response.json()["detail"].startswith("Your account may not use the admin")
