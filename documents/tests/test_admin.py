"""Documents in the admin: uploads on the device page, the changelist, deletes via services."""

import errno
import html

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents import services, storage
from documents.models import DocType, Document
from inventory.models import Device
from inventory.tests.factories import DeviceFactory

from . import files
from .files import upload

pytestmark = pytest.mark.django_db


def device_url(device) -> str:
    return reverse("admin:inventory_device_change", args=(device.pk,))


def posted(value):
    """A form value as a browser posts it."""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value)


def change_form_data(admin_client, device) -> dict:
    """What a browser posts back from the device page untouched: the device form and every
    inline's management form and existing rows (extra rows left out)."""
    response = admin_client.get(device_url(device))
    assert response.status_code == 200
    data = {}

    def put(form, names):
        for name in names:
            value = form[name].value()
            if value is None or name == "file":
                continue
            data[form.add_prefix(name)] = posted(value)

    form = response.context["adminform"].form
    put(form, form.fields)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        initial = formset.initial_form_count()
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(initial)
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(initial)
        for row in formset.forms[:initial]:
            put(row, row.fields)
    return {key: value for key, value in data.items() if value != ""}


def add_upload(data: dict, index: int, content: bytes, name: str, **fields) -> dict:
    """The device page's documents inline with one more row holding an upload."""
    data["documents-TOTAL_FORMS"] = str(int(data["documents-TOTAL_FORMS"]) + 1)
    data[f"documents-{index}-file"] = SimpleUploadedFile(name, content)
    data[f"documents-{index}-doc_type"] = fields.get("doc_type", DocType.OTHER)
    data[f"documents-{index}-title"] = fields.get("title", "")
    return data


def test_a_document_is_uploaded_from_the_device_page(admin_client, device, upload_dir):
    data = add_upload(
        change_form_data(admin_client, device),
        0,
        files.pdf_bytes(),
        "../manual.pdf",
        doc_type=DocType.MANUAL,
        title="User manual",
    )

    response = admin_client.post(device_url(device), data)

    assert response.status_code == 302, response.context["inline_admin_formsets"]
    document = Document.objects.get(device=device)
    assert (document.doc_type, document.title, document.original_filename) == (
        "manual",
        "User manual",
        "manual.pdf",
    )
    assert document.mime_type == "application/pdf"
    assert (upload_dir / document.stored_name).read_bytes() == files.pdf_bytes()


def test_a_storage_that_fails_while_the_page_is_saved_is_a_message_and_leaves_nothing(
    admin_client, device, monkeypatch, stored_files
):
    """Two uploads in one save, the second on a full disk: a bare "Server Error (500)" page,
    the edits lost without a word, and the first file left in the storage with no document."""
    real_put = storage.put
    calls = []

    def second_fails(name, file, *, size_bytes):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_put(name, file, size_bytes=size_bytes)

    monkeypatch.setattr(storage, "put", second_fails)
    data = change_form_data(admin_client, device)
    data["location"] = "rack-9"
    add_upload(data, 0, files.pdf_bytes("small"), "small.pdf")
    add_upload(data, 1, files.pdf_bytes("big"), "big.pdf")

    response = admin_client.post(device_url(device), data, follow=True)

    assert response.status_code == 200
    # the disk's own words and the setting: a full UPLOAD_DIR "did not answer" (audit)
    assert (
        f"The document storage failed: No space left on device (UPLOAD_DIR {storage.local_path()}"
        "); nothing on this page was saved." in html.unescape(response.content.decode())
    )
    assert not Document.objects.exists()
    assert Device.objects.get(pk=device.pk).location != "rack-9"
    assert len(calls) == 2 and stored_files() == []  # the first file given back


def test_an_edit_with_an_upload_is_one_history_entry_telling_both(admin_client, device, upload_dir):
    data = change_form_data(admin_client, device)
    data["location"] = "rack-2"
    data = add_upload(data, 0, files.pdf_bytes(), "manual.pdf", title="User manual")

    assert admin_client.post(device_url(device), data).status_code == 302

    entry = LogEntry.objects.get(object_id=str(device.pk))
    message = entry.get_change_message()
    assert message.startswith(f'Changed location "{device.location}" → "rack-2".')
    assert message.endswith('Added document "manual.pdf" (other).')  # the API's words


def test_a_document_is_uploaded_while_adding_a_device(admin_client, stored_files):
    data = {
        "hostname": "new-nas",
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    }
    add_upload(data, 0, files.png_bytes(), "label.png", doc_type=DocType.PHOTO)

    response = admin_client.post(reverse("admin:inventory_device_add"), data)

    assert response.status_code == 302
    document = Document.objects.get(device__hostname="new-nas")
    assert (document.doc_type, document.mime_type) == ("photo", "image/png")
    assert stored_files() == [document.stored_name]
    # its history names the document's type, as the API's does
    assert LogEntry.objects.get().get_change_message() == (
        'Added.\nAdded document "label.png" (photo).'
    )


def test_a_type_left_blank_on_the_device_page_is_guessed_and_a_type_chosen_is_kept(
    admin_client, device
):
    """Every upload left at the type the page offered was "other", an invoice as a photo."""
    page = admin_client.get(device_url(device)).content.decode()
    assert '<option value="" selected>guess</option>' in page
    data = change_form_data(admin_client, device)
    add_upload(data, 0, files.pdf_bytes("f"), "Facture_2024-118.pdf", doc_type="")
    add_upload(data, 1, files.JPEG, "IMG_20240301_1022.jpg", doc_type="")
    add_upload(data, 2, files.pdf_bytes("m"), "manual.pdf", doc_type=DocType.OTHER)

    response = admin_client.post(device_url(device), data)

    assert response.status_code == 302
    assert dict(Document.objects.values_list("original_filename", "doc_type")) == {
        "Facture_2024-118.pdf": "invoice",
        "IMG_20240301_1022.jpg": "photo",
        "manual.pdf": "other",
    }


def test_the_device_page_shows_each_document_with_its_download_link_type_and_size(
    admin_client, device
):
    document = services.document_store(device=device, upload=upload(files.png_bytes(), "a.png"))

    html = admin_client.get(device_url(device)).content.decode()

    assert f'href="/api/docs/{document.pk}/download"' in html
    assert "image/png" in html and f"{document.size_bytes}\xa0bytes" in html


def test_the_device_page_sends_files_once_the_device_has_documents(admin_client, device):
    """The page's form asked for multipart encoding only while the device had no document:
    after the first, a browser sent a file's name alone and the upload was lost (the test
    client always posts multipart; benchsite/tests/test_browser.py uploads twice in Chromium)."""
    html = admin_client.get(device_url(device)).content.decode()
    assert 'enctype="multipart/form-data"' in html
    services.document_store(device=device, upload=upload(files.png_bytes(), "a.png"))

    html = admin_client.get(device_url(device)).content.decode()

    assert 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize(
    ("content", "name"),
    [(files.pe_bytes(), "setup.pdf"), (files.SVG, "logo.png"), (files.SHELL, "fix.txt")],
)
def test_a_refused_upload_is_a_form_error_and_stores_nothing(
    admin_client, device, stored_files, content, name
):
    data = add_upload(change_form_data(admin_client, device), 0, content, name)

    response = admin_client.post(device_url(device), data)

    assert response.status_code == 200
    assert "not accepted" in response.content.decode()
    assert Document.objects.count() == 0 and stored_files() == []
    # the message at the page's top names the row and the field, as a person sees it
    (said, *_) = [str(message) for message in response.context["messages"]]
    assert said.startswith("Documents, row 1, File: ") and "not accepted" in said


def test_the_size_limit_applies_to_admin_uploads(admin_client, device, settings, stored_files):
    settings.MAX_UPLOAD_MB = 1
    data = add_upload(change_form_data(admin_client, device), 0, b"x" * (2 * 1024 * 1024), "l.txt")

    response = admin_client.post(device_url(device), data)

    assert response.status_code == 200
    assert storage.MSG_TOO_LARGE.format(limit="1 MB") in response.content.decode()
    assert Document.objects.count() == 0 and stored_files() == []


def test_the_inline_delete_box_removes_the_document_and_its_unshared_file(
    admin_client, device, stored_files, django_capture_on_commit_callbacks
):
    gone = services.document_store(device=device, upload=upload(files.pdf_bytes(), "gone.pdf"))
    kept = services.document_store(device=device, upload=upload(files.TEXT, "kept.txt"))
    data = change_form_data(admin_client, device)
    row = next(k for k, v in data.items() if k.endswith("-id") and v == str(gone.pk))
    data[row.replace("-id", "-DELETE")] = "on"
    data[row.replace("-id", "-title")] = "edited"  # ignored: the row is deleted

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(device_url(device), data)

    assert response.status_code == 302
    assert list(Document.objects.values_list("pk", flat=True)) == [kept.pk]
    assert stored_files() == [kept.stored_name]


def test_editing_a_document_in_the_inline_changes_type_and_title_only(admin_client, device):
    document = services.document_store(device=device, upload=upload(files.JPEG, "label.jpg"))
    data = change_form_data(admin_client, device)
    row = next(k for k, v in data.items() if k.endswith("-id") and v == str(document.pk))
    data[row.replace("-id", "-title")] = "Rear label"
    data[row.replace("-id", "-doc_type")] = DocType.PHOTO

    assert admin_client.post(device_url(device), data).status_code == 302

    document.refresh_from_db()
    assert (document.title, document.doc_type, document.mime_type) == (
        "Rear label",
        "photo",
        "image/jpeg",
    )


def test_the_documents_pages_say_where_a_file_is_uploaded_and_replaced(admin_client, device):
    """The documents list has no Add button and a document's page no file field: nothing said
    that uploads, and replacing a file, happen on the device's page."""
    document = services.document_store(device=device, upload=upload(files.JPEG, "label.jpg"))

    listed = admin_client.get("/admin/documents/document/").content.decode()
    page = admin_client.get(f"/admin/documents/document/{document.pk}/change/").content.decode()

    assert "Documents are uploaded on their device's page" in listed
    assert "To replace a file, upload the new one there and delete the old one." in listed
    assert "To replace the file, upload the new one on the device's page" in page


def test_the_bulk_delete_action_goes_through_the_service(
    admin_client, device, stored_files, django_capture_on_commit_callbacks
):
    other = DeviceFactory()
    shared = files.png_bytes()
    selected = [
        services.document_store(device=device, upload=upload(shared, "a.png")),
        services.document_store(device=device, upload=upload(files.pdf_bytes(), "b.pdf")),
    ]
    survivor = services.document_store(device=other, upload=upload(shared, "c.png"))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:documents_document_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [d.pk for d in selected],
                "post": "yes",
            },
        )

    assert response.status_code == 302
    assert list(Document.objects.all()) == [survivor]
    assert stored_files() == [survivor.stored_name]


def test_deleting_one_document_in_the_admin_releases_its_file(
    admin_client, device, stored_files, django_capture_on_commit_callbacks
):
    document = services.document_store(device=device, upload=upload(files.WEBP, "a.webp"))
    url = reverse("admin:documents_document_delete", args=(document.pk,))

    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, {"post": "yes"}).status_code == 302

    assert Document.objects.count() == 0 and stored_files() == []


def test_deleting_a_device_in_the_admin_releases_its_files(
    admin_client, device, stored_files, django_capture_on_commit_callbacks
):
    services.document_store(device=device, upload=upload(files.pdf_bytes(), "a.pdf"))
    url = reverse("admin:inventory_device_delete", args=(device.pk,))

    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, {"post": "yes"}).status_code == 302

    assert not Device.objects.filter(pk=device.pk).exists()
    assert stored_files() == []


def test_the_document_changelist_searches_filters_and_pins_its_queries(
    admin_client, django_assert_max_num_queries
):
    for index in range(6):
        services.document_store(
            device=DeviceFactory(hostname=f"node-{index}"),
            upload=upload(files.png_bytes(index + 1, 1) if index % 2 else files.TEXT, f"{index}"),
            doc_type=DocType.PHOTO if index % 2 else DocType.INVOICE,
        )
    url = reverse("admin:documents_document_changelist")

    # session, user, counts, rows with their devices, filter choices (the devices' locations
    # and owners too): none per row
    with django_assert_max_num_queries(10):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 6

    assert admin_client.get(url, {"q": "node-3"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"doc_type": "invoice"}).context["cl"].result_count == 3
    assert admin_client.get(url, {"mime_type": "image/png"}).context["cl"].result_count == 3
    # accents and case ignored, as the device list's search does ("electricite" found nothing)
    services.document_store(
        device=DeviceFactory(), upload=upload(files.TEXT, "Facture_Électricité.pdf")
    )
    for term in ("electricite", "ÉLECTRICITÉ facture"):
        assert admin_client.get(url, {"q": term}).context["cl"].result_count == 1, term


def test_the_documents_filed_before_the_guess_are_typed_by_an_action_of_the_list(
    admin_client, device, django_assert_max_num_queries
):
    """Every document filed before the guess was "other" whatever it was, and retyping a
    fleet's papers was a page each. A type a person chose is kept."""
    filed = {
        "Rechnung-4711.pdf": (files.pdf_bytes("r"), DocType.OTHER),
        "IMG_20240301_1022.jpg": (files.JPEG, DocType.OTHER),
        "scan0001.pdf": (files.pdf_bytes("s"), DocType.OTHER),
        "Benutzerhandbuch.pdf": (files.pdf_bytes("b"), DocType.WARRANTY),
    }
    for name, (content, doc_type) in filed.items():
        services.document_store(device=device, upload=upload(content, name), doc_type=doc_type)
    url = reverse("admin:documents_document_changelist")
    selected = [str(pk) for pk in Document.objects.values_list("pk", flat=True)]

    # session, user, the list's two counts, the selection read, the types written in one
    # UPDATE, the content type and the history lines in one INSERT, the devices' lines in
    # another, two savepoints: whatever the number of documents
    with django_assert_max_num_queries(13):
        response = admin_client.post(
            url, {"action": "guess_types", "_selected_action": selected}, follow=False
        )

    assert response.status_code == 302
    assert dict(Document.objects.values_list("original_filename", "doc_type")) == {
        "Rechnung-4711.pdf": "invoice",
        "IMG_20240301_1022.jpg": "photo",
        "scan0001.pdf": "other",
        "Benutzerhandbuch.pdf": "warranty",
    }
    page = admin_client.get(url).content.decode()
    assert "Typed 2 of the 3 selected documents typed other: 1 invoice, 1 photo." in page
    entries = LogEntry.objects.filter(content_type__model="document")
    assert sorted(entry.object_repr for entry in entries) == [
        "IMG_20240301_1022.jpg",
        "Rechnung-4711.pdf",
    ]
    assert {entry.get_change_message() for entry in entries} == {"Changed type."}


def test_guessing_the_type_of_documents_none_typed_other_says_so(admin_client):
    """It said "None of the 0 selected documents typed other has a title…" of 2 invoices."""
    device = DeviceFactory(hostname="nas")
    for name in ("Rechnung-1.pdf", "Rechnung-2.pdf"):
        services.document_store(
            device=device, upload=upload(files.pdf_bytes(name), name), doc_type=DocType.INVOICE
        )
    selected = [str(pk) for pk in Document.objects.values_list("pk", flat=True)]

    page = admin_client.post(
        reverse("admin:documents_document_changelist"),
        {"action": "guess_types", "_selected_action": selected},
        follow=True,
    ).content.decode()

    assert "None of the selected documents is typed other." in page
    assert "0 selected" not in page


def test_documents_are_not_added_from_their_changelist(admin_client):
    response = admin_client.get(reverse("admin:documents_document_add"))
    assert response.status_code == 403


def test_the_guess_of_the_list_writes_a_line_in_each_devices_history(
    admin_client, admin_user, django_assert_max_num_queries
):
    """The action wrote "Changed type." in the document's own log alone: the device's history,
    where every other edit of a document is, said nothing of it."""
    first, second = DeviceFactory(hostname="node-a"), DeviceFactory(hostname="node-b")
    services.document_store(device=first, upload=upload(files.pdf_bytes("r"), "Rechnung-1.pdf"))
    services.document_store(device=first, upload=upload(files.JPEG, "IMG_20240301_1022.jpg"))
    services.document_store(device=second, upload=upload(files.pdf_bytes("m"), "manual-x1.pdf"))
    Document.objects.update(doc_type=DocType.OTHER)  # filed before the guess
    selected = [str(pk) for pk in Document.objects.values_list("pk", flat=True)]
    device_lines = LogEntry.objects.filter(content_type__model="device")
    device_lines.delete()

    # as before, and the device's lines in one INSERT, whatever the number of documents
    with django_assert_max_num_queries(13):
        admin_client.post(
            reverse("admin:documents_document_changelist"),
            {"action": "guess_types", "_selected_action": selected},
        )

    said = sorted((e.object_id, e.user_id, e.get_change_message()) for e in device_lines)
    assert said == sorted(
        [
            (
                str(first.pk),
                admin_user.pk,
                'Changed document "IMG_20240301_1022.jpg": type "other" → "photo".',
            ),
            (
                str(first.pk),
                admin_user.pk,
                'Changed document "Rechnung-1.pdf": type "other" → "invoice".',
            ),
            (
                str(second.pk),
                admin_user.pk,
                'Changed document "manual-x1.pdf": type "other" → "manual".',
            ),
        ]
    )


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("m\x00.pdf", "m.pdf"),
        ("\x00.pdf", "document.pdf"),
        ("\x00\x00.pdf", "document.pdf"),
        ("\x00", None),
        ("\x00\x01\x7f", None),
    ],
)
def test_a_file_name_with_a_nul_is_taken_alike_by_the_device_page_and_the_api(
    admin_client, api, device, name, stored
):
    """A NUL in an upload's name is dropped, as every control character is (Django's parser
    drops them before the server reads the name), on the device page as through the API, whose
    answer names the file as stored and its download alike; a name of only an extension is
    "document" with it, not ".pdf"; a name of nothing else is no file, refused by both."""
    answer = api.post(
        f"/api/devices/{device.pk}/docs",
        {"file": SimpleUploadedFile(name, files.pdf_bytes("a"))},
        format="multipart",
    )
    row = Document.objects.count()  # the page's new row comes after the API's document
    data = add_upload(change_form_data(admin_client, device), row, files.pdf_bytes("b"), name)
    page = admin_client.post(device_url(device), data)

    documents = list(Document.objects.order_by("pk"))
    if stored:
        assert (answer.status_code, answer.json()["filename"]) == (201, stored)
        assert page.status_code == 302
        assert [document.original_filename for document in documents] == [stored, stored]
        for document in documents:
            download = admin_client.get(reverse("document-download", args=(document.pk,)))
            assert f'filename="{stored}"' in download["Content-Disposition"]
    else:
        assert answer.status_code == 400 and list(answer.json()) == ["file"]
        assert page.status_code == 200 and "This field is required." in page.content.decode()
        assert documents == []
