"""A device's admin history tells who changed what: API edits and renames by a submission."""

import copy
import html
import json
import uuid

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType

from inventory.models import Device, Tag
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def history(admin_client, device) -> str:
    response = admin_client.get(f"/admin/inventory/device/{device.pk}/history/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_an_api_edit_is_in_the_history_with_old_and_new_values_and_the_token(
    admin_client, token_client
):
    device = DeviceFactory(hostname="nas", location="lab", owner="ops")
    Tag.objects.create(name="old-tag")
    device.tags.set(Tag.objects.all())
    editor = token_client("read", "write", name="inventory script")

    response = editor.patch(
        f"/api/devices/{device.pk}",
        {"location": "rack-2", "owner": "ops", "tags": ["backup", "old-tag"]},
        format="json",
    )

    assert response.status_code == 200
    entry = LogEntry.objects.get(object_id=str(device.pk))
    assert entry.action_flag == CHANGE
    assert entry.change_message == (
        'Changed through the API: location "lab" → "rack-2"; tags "old-tag" → "backup", "old-tag"'
    )
    assert entry.user.username == "token:inventory script"
    assert not entry.user.is_active and not entry.user.has_usable_password()
    page = history(admin_client, device)
    assert 'location "lab" → "rack-2"' in page and "token:inventory script" in page


def test_each_token_keeps_its_own_name_and_one_user(api, token_client):
    device = DeviceFactory(location="lab")
    api.patch(f"/api/devices/{device.pk}", {"location": "a"}, format="json")
    api.patch(f"/api/devices/{device.pk}", {"location": "b"}, format="json")
    token_client("read", "write", name="ci").patch(
        f"/api/devices/{device.pk}", {"location": "c"}, format="json"
    )
    users = list(
        LogEntry.objects.filter(object_id=str(device.pk))
        .order_by("pk")
        .values_list("user__username", flat=True)
    )
    assert users == ["API_TOKEN", "API_TOKEN", "token:ci"]


def test_one_tag_given_in_several_cases_is_one_tag_in_the_history_too(api):
    """The device got one tag, and its history said "prod, prod"."""
    device = DeviceFactory()
    Tag.objects.create(name="web")
    device.tags.set(Tag.objects.all())

    response = api.patch(
        f"/api/devices/{device.pk}", {"tags": ["prod", "prod", "PROD"]}, format="json"
    )

    assert response.status_code == 200
    assert list(device.tags.values_list("name", flat=True)) == ["prod"]
    entry = LogEntry.objects.get(object_id=str(device.pk))
    assert entry.change_message == 'Changed through the API: tags "web" → "prod"'


def test_links_documents_and_a_deletion_through_the_api_are_in_the_history(
    token_client, settings, tmp_path
):
    """Links and documents added, changed or removed through the API, and the device deleted,
    left no line: only the admin's own inline edits were in the device's history."""
    from django.contrib.admin.models import DELETION

    from documents.tests.files import pdf_bytes, upload

    settings.UPLOAD_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    device = DeviceFactory(hostname="nas")
    editor = token_client("read", "write", name="ops-bot")
    link = editor.post(
        f"/api/devices/{device.pk}/links",
        {"label": "BIOS", "url": "https://example.com/bios"},
        format="json",
    ).json()
    editor.patch(f"/api/links/{link['id']}", {"url": "https://example.com/bios-v2"}, format="json")
    editor.delete(f"/api/links/{link['id']}")
    doc = editor.post(
        f"/api/devices/{device.pk}/docs",
        {"file": upload(pdf_bytes("invoice"), "invoice.pdf"), "doc_type": "invoice"},
        format="multipart",
    ).json()
    editor.delete(f"/api/docs/{doc['id']}")
    assert editor.delete(f"/api/devices/{device.pk}").status_code == 204

    entries = LogEntry.objects.filter(object_id=str(device.pk)).order_by("pk")
    assert [(e.user.username, e.change_message) for e in entries] == [
        (
            "token:ops-bot",
            'Added through the API: manufacturer link "BIOS" (https://example.com/bios).',
        ),
        (
            "token:ops-bot",
            'Changed through the API: manufacturer link "BIOS": '
            'url "https://example.com/bios" → "https://example.com/bios-v2"',
        ),
        (
            "token:ops-bot",
            'Deleted through the API: manufacturer link "BIOS" (https://example.com/bios-v2).',
        ),
        ("token:ops-bot", 'Added through the API: document "invoice.pdf" (invoice).'),
        ("token:ops-bot", 'Deleted through the API: document "invoice.pdf" (invoice).'),
        ("token:ops-bot", "Deleted through the API."),
    ]
    assert entries.last().action_flag == DELETION and entries.last().object_repr == "nas"


def test_an_api_edit_that_changes_nothing_leaves_no_entry(api):
    device = DeviceFactory(location="lab")
    response = api.patch(f"/api/devices/{device.pk}", {"location": "lab"}, format="json")
    assert response.status_code == 200
    assert not LogEntry.objects.exists()


def test_an_edit_by_an_admin_session_through_the_api_names_the_admin(admin_client, admin_user):
    device = DeviceFactory(location="lab")
    response = admin_client.patch(
        f"/api/devices/{device.pk}", {"location": "rack"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert LogEntry.objects.get().user == admin_user


def test_a_rename_by_a_submission_is_in_the_history(admin_client, submit, example, token_client):
    example["hardware"]["system"]["machine_id"] = uuid.uuid4().hex
    example["device_identifier"] = "old-name"
    device_id = submit(example).json()["device_id"]
    assert not LogEntry.objects.exists()  # a new device, not a rename
    renamed = copy.deepcopy(example)
    renamed.update(device_identifier="new-name", submission_id=str(uuid.uuid4()))
    bench = token_client("submit", name="rack bench.sh")

    assert submit(renamed, client=bench).json()["device_id"] == device_id

    device = Device.objects.get(pk=device_id)
    assert device.hostname == "new-name"
    entry = LogEntry.objects.get(object_id=str(device_id))
    assert entry.change_message == (
        'Renamed by a submission (same machine_id): hostname "old-name" → "new-name"'
    )
    assert entry.user.username == "token:rack bench.sh"
    assert "Renamed by a submission" in history(admin_client, device)


def test_the_history_of_a_device_bench_sh_created_says_where_its_runs_are(
    admin_client, submit, example
):
    """A device made by its first bench.sh run had an empty history that read Django's "This
    object doesn't have a change history. It probably wasn't added via this admin site.": as
    if the machine were not where it should be."""
    device = Device.objects.get(pk=submit(example).json()["device_id"])

    page = history(admin_client, device)

    assert "probably wasn’t added via this admin site" not in page
    said = page.split('id="no-history">', 1)[1].split("</p>", 1)[0]
    assert said.startswith("No change yet.") and "a bench.sh run changes" in said
    assert f'href="/admin/inventory/device/{device.pk}/change/#score-history"' in said

    # once something changed it, the history lists that as before
    admin_client.post(
        f"/admin/inventory/device/{device.pk}/change/",
        {
            "hostname": device.hostname,
            "location": "rack 2",
            **{
                f"{inline}-{count}_FORMS": "0"
                for inline in ("links", "documents")
                for count in ("TOTAL", "INITIAL")
            },
        },
    )
    page = history(admin_client, device)
    assert 'id="no-history"' not in page and 'location "" → "rack 2"' in page


def test_a_submission_under_the_same_name_leaves_no_entry(submit, example):
    submit(example)
    again = copy.deepcopy(example)
    again["submission_id"] = str(uuid.uuid4())
    submit(again)
    assert not LogEntry.objects.exists()


def test_the_history_tells_no_document_or_link_to_an_account_that_may_not_view_them(admin_client):
    """A device viewer read every invoice's and warranty's file name in the device's history,
    though the documents' pages were closed to it."""
    from django.contrib.admin.models import ADDITION

    from benchsite.tests.accounts import staff_client

    device = DeviceFactory(hostname="nas")
    for message in (
        'Added through the API: document "invoice-2025-ACME.pdf" (invoice).',
        json.dumps([{"added": {"name": "document", "object": "warranty-NAS.pdf"}}]),
        'Changed through the API: location "lab" → "rack".',
        # a title (which a '"' inside cut short), a link's label and URL: none was hidden
        'Changed through the API: document "c.pdf": title "Contrat "maintenance" ACME" → "n° 5".',
        'Changed owner "" → "ops". Changed Label and URL for manufacturer link “iDRAC”. '
        'Added document "bios.pdf" (manual).',
        'Added through the API: manufacturer link "Support" (https://dell.test/tag/ABC123).',
    ):
        LogEntry.objects.create(
            user_id=User.objects.create_user(f"u{LogEntry.objects.count()}").pk,
            content_type=ContentType.objects.get_for_model(Device),
            object_id=str(device.pk),
            object_repr="nas",
            action_flag=ADDITION,
            change_message=message,
        )
    viewer = staff_client("inventory.view_device")

    page = html.unescape(
        viewer.get(f"/admin/inventory/device/{device.pk}/history/").content.decode()
    )

    for secret in ("invoice-2025-ACME", "warranty-NAS", "maintenance", "n° 5", "bios.pdf"):
        assert secret not in page
    for secret in ("iDRAC", "Support", "ABC123"):  # nor the links, closed to it too
        assert secret not in page
    assert "Added through the API: document “…”." in page
    assert "Added document “…”." in page
    assert "Changed through the API: document “…”." in page
    assert 'Changed owner "" → "ops". Changed manufacturer link “…”. …' in page
    assert "Added through the API: manufacturer link “…”." in page
    assert 'location "lab" → "rack"' in page
    everything = history(admin_client, device)
    assert "invoice-2025-ACME.pdf" in everything and "warranty-NAS.pdf" in everything
    assert "ABC123" in everything and "maintenance" in everything

    # one that may view the links reads them, and not the documents after them
    links = staff_client("inventory.view_device", "inventory.view_manufacturerlink")
    page = html.unescape(
        links.get(f"/admin/inventory/device/{device.pk}/history/").content.decode()
    )
    assert "ABC123" in page and "iDRAC" in page and "bios.pdf" not in page
    assert "Changed Label and URL for manufacturer link “iDRAC”. Added document “…”." in page


def test_each_sentence_of_a_line_is_hidden_alone_and_a_value_is_no_sentence(api):
    """A device page's save with a link and a document: an account that may view documents, not
    links, lost the document's sentence with the link's; and a location written like a
    sentence ("Bldg. Changed document B") hid the owner changed after it from one that may not
    view documents."""
    from benchsite.tests.accounts import staff_client
    from inventory.changelog import SENTENCES, Entry, device_history_log

    device = DeviceFactory(hostname="acct-02")
    saved = SENTENCES.join(
        [
            'Changed location "" → "HR office".',
            'Added manufacturer link "iDRAC" (https://idrac.test/?serial=SECRET-SN).',
            'Added document "payslips-2026.pdf" (other).',
        ]
    )
    device_history_log(actor=None, entries=[Entry(device, saved)])
    edited = {"location": "Bldg. Changed document B", "owner": "mallory"}
    assert api.patch(f"/api/devices/{device.pk}", edited, format="json").status_code == 200

    documents = staff_client("inventory.view_device", "documents.view_document")
    page = html.unescape(
        documents.get(f"/admin/inventory/device/{device.pk}/history/").content.decode()
    )
    assert "SECRET-SN" not in page and "Added manufacturer link “…”." in page
    assert 'Added document "payslips-2026.pdf" (other).' in page

    devices = staff_client("inventory.view_device")
    page = html.unescape(
        devices.get(f"/admin/inventory/device/{device.pk}/history/").content.decode()
    )
    assert "payslips" not in page and "Added document “…”." in page
    assert '→ "mallory"' in page and "Bldg. Changed document B" in page


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (3, "cpu a; cpu b; cpu c"),
        (4, "cpu a; cpu b; cpu c; and 1 more change"),
        (5, "cpu a; cpu b; cpu c; and 2 more changes"),
    ],
)
def test_a_markers_title_names_three_changes_and_counts_the_others_in_words(count, said):
    from types import SimpleNamespace

    from benchsite.story import _changes_said

    changes = [SimpleNamespace(changes=[f"cpu {letter}"]) for letter in "abcde"[:count]]
    assert _changes_said(changes) == said
