"""Several files chosen at once in one of the device page's upload rows: a document each."""

import html

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Document

from . import files
from .test_admin import add_upload, change_form_data, device_url

pytestmark = pytest.mark.django_db


def with_files(data: dict, index: int, *named: tuple[bytes, str]) -> dict:
    """Row `index` of the documents holding these files, as a browser sends one file input's
    several files: the same field, once a file."""
    add_upload(data, index, *named[0], doc_type="")
    data[f"documents-{index}-file"] = [SimpleUploadedFile(n, c) for c, n in named]
    return data


def test_several_files_chosen_in_one_row_are_a_document_each_of_its_own_type(
    admin_client, device, stored_files
):
    """Filing a fleet's papers was one row, one "Add another Document" and one file dialog per
    file: 30 clicks and 30 dialogs for 30 papers."""
    page = admin_client.get(device_url(device)).content.decode()
    assert 'name="documents-0-file" multiple' in page
    # the page is one request: past MAX_UPLOAD_MB it is refused whole, every file with it
    assert "At most 50 MB a save, all the page&#x27;s files together." in page
    data = with_files(
        change_form_data(admin_client, device),
        0,
        (files.pdf_bytes("f"), "Facture_2024-118.pdf"),
        (files.JPEG, "IMG_20240301_1022.jpg"),
        (files.TEXT, "notes.txt"),
    )
    data["documents-TOTAL_FORMS"] = "2"  # and a row left empty, which is no error

    response = admin_client.post(device_url(device), data)

    assert response.status_code == 302
    filed = Document.objects.order_by("original_filename")
    assert [f"{d.original_filename} {d.doc_type}" for d in filed] == [
        "Facture_2024-118.pdf invoice",
        "IMG_20240301_1022.jpg photo",
        "notes.txt other",
    ]
    assert len(stored_files()) == 3
    assert LogEntry.objects.get().change_message == (
        'Added document "Facture_2024-118.pdf" (invoice).\n'
        'Added document "IMG_20240301_1022.jpg" (photo).\n'
        'Added document "notes.txt" (other).'
    )


def test_a_refused_file_among_several_is_named_and_none_of_the_row_is_stored(
    admin_client, device, stored_files
):
    data = with_files(
        change_form_data(admin_client, device),
        0,
        (files.pdf_bytes("m"), "manual.pdf"),
        (files.HTML, "notes.txt"),
    )

    response = admin_client.post(device_url(device), data)

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "notes.txt: " in page and "not accepted" in page
    assert "manual.pdf: " not in page
    assert Document.objects.count() == 0 and stored_files() == []


def test_an_empty_file_among_several_is_named(admin_client, device, stored_files):
    """ "The submitted file is empty." of a row of three files said none of their names."""
    data = with_files(
        change_form_data(admin_client, device),
        0,
        (files.pdf_bytes("m"), "manual.pdf"),
        (b"", "empty.pdf"),
    )

    response = admin_client.post(device_url(device), data)

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "empty.pdf: The submitted file is empty." in page
    assert "manual.pdf: " not in page
    assert Document.objects.count() == 0 and stored_files() == []
