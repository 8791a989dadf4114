"""The device's history of what its page's documents rows did, in the API's words."""

import pytest
from django.contrib.admin.models import LogEntry

from documents import services
from documents.models import DocType, Document
from inventory.tests.factories import DeviceFactory

from . import files
from .files import upload
from .test_admin import add_upload, change_form_data, device_url

pytestmark = pytest.mark.django_db


def last_line(device) -> str:
    lines = LogEntry.objects.filter(content_type__model="device", object_id=str(device.pk))
    return lines.order_by("pk").last().change_message


def test_the_device_page_names_each_documents_type_in_the_history_as_the_api_does(
    admin_client, api, device
):
    """An upload on the device page was 'Added document “Facture 2024”.' (Django's words, the
    title alone), where one through the API says its file and type: a fleet's history could not
    tell an invoice from a photo, nor the page's lines from the API's."""
    label = services.document_store(
        device=device, upload=upload(files.JPEG, "label.jpg"), doc_type=DocType.OTHER
    )
    gone = services.document_store(device=device, upload=upload(files.TEXT, "notes.txt"))
    data = change_form_data(admin_client, device)
    rows = {v: k.removesuffix("-id") for k, v in data.items() if k.endswith("-id")}
    data[f"{rows[str(label.pk)]}-doc_type"] = DocType.PHOTO
    data[f"{rows[str(gone.pk)]}-DELETE"] = "on"
    add_upload(data, 2, files.pdf_bytes("f"), "Facture_2024-118.pdf", doc_type="", title="2024")

    assert admin_client.post(device_url(device), data).status_code == 302

    assert last_line(device) == (
        'Deleted document "notes.txt" (other).\n'
        'Changed document "label.jpg": type "other" → "photo".\n'
        'Added document "Facture_2024-118.pdf" (invoice).'
    )
    # the API's lines, for the same acts
    posted = api.post(
        f"/api/devices/{device.pk}/docs",
        {"file": upload(files.pdf_bytes("g"), "Facture_2024-119.pdf"), "doc_type": "guess"},
        format="multipart",
    ).json()
    assert last_line(device) == (
        'Added through the API: document "Facture_2024-119.pdf" (invoice).'
    )
    api.patch(f"/api/docs/{posted['id']}", {"doc_type": "other"}, format="json")
    assert last_line(device) == (
        'Changed through the API: document "Facture_2024-119.pdf": type "invoice" → "other"'
    )


def test_an_edit_or_a_deletion_away_from_the_device_page_is_in_its_history(admin_client, device):
    """The documents' list and a document's own page wrote their edits and deletions in the
    document's log alone: the device's history never said who deleted its warranty paper."""
    label = services.document_store(
        device=device, upload=upload(files.JPEG, "label.jpg"), doc_type=DocType.OTHER
    )
    notes = services.document_store(device=device, upload=upload(files.TEXT, "notes.txt"))
    other = DeviceFactory()
    manual = services.document_store(device=other, upload=upload(files.pdf_bytes(), "m.pdf"))
    page = f"/admin/documents/document/{label.pk}/"

    admin_client.post(f"{page}change/", {"doc_type": DocType.PHOTO, "title": "Rear label"})
    assert last_line(device) == (
        'Changed document "label.jpg": type "other" → "photo"; title "" → "Rear label".'
    )
    assert admin_client.post(f"{page}delete/", {"post": "yes"}).status_code == 302
    assert last_line(device) == 'Deleted document "label.jpg" (photo).'

    selected = [str(notes.pk), str(manual.pk)]
    admin_client.post(
        "/admin/documents/document/",
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )
    assert not Document.objects.exists()
    assert last_line(device) == 'Deleted document "notes.txt" (other).'
    assert last_line(other) == 'Deleted document "m.pdf" (other).'
