"""/api/devices/{id}/docs, /api/docs/{id}, /api/docs/{id}/download: the contract's documents."""

import errno
import hashlib
import io
import warnings
from pathlib import Path
from urllib.parse import unquote

import pytest
from asgiref.sync import async_to_sync
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient, Client

from benchsite.testing import TEST_API_TOKEN
from documents import http, storage
from documents.models import Document
from inventory.tests.factories import DeviceFactory

from .. import files

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "doc_type",
    "title",
    "filename",
    "mime_type",
    "size_bytes",
    "sha256",
    "uploaded_at",
    "download_url",
}


def docs_url(device) -> str:
    return f"/api/devices/{device.pk}/docs"


def post_file(client, device, content: bytes, name: str, content_type="application/pdf", **data):
    data["file"] = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(docs_url(device), data, format="multipart")


def streamed(response) -> bytes:
    """The body of a streamed response, read whole (which also closes the stored file)."""
    if not hasattr(response, "downloaded"):
        assert response.streaming
        response.downloaded = b"".join(response.streaming_content)
    return response.downloaded


def download(client, body_or_id):
    pk = body_or_id["id"] if isinstance(body_or_id, dict) else body_or_id
    response = client.get(f"/api/docs/{pk}/download")
    if response.streaming:
        streamed(response)
    return response


# each accepted kind but text: (content, name, mime type), by its kind
EACH_BINARY_KIND = pytest.mark.parametrize(
    ("content", "name", "mime_type"),
    [
        (files.pdf_bytes(), "manual.pdf", "application/pdf"),
        (files.png_bytes(4, 3), "label.png", "image/png"),
        (files.JPEG, "photo.jpg", "image/jpeg"),
        (files.WEBP, "photo.webp", "image/webp"),
        (files.gif_bytes(), "anim.gif", "image/gif"),
    ],
    ids=["pdf", "png", "jpeg", "webp", "gif"],
)


@EACH_BINARY_KIND
def test_an_upload_downloads_byte_identical_with_its_sniffed_type(
    api, device, content, name, mime_type
):
    response = post_file(api, device, content, name, doc_type="manual", title="The manual")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["filename"] == name and body["mime_type"] == mime_type
    assert (body["doc_type"], body["title"]) == ("manual", "The manual")
    assert body["size_bytes"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["download_url"] == f"http://testserver/api/docs/{body['id']}/download"
    assert response["Location"] == f"/api/docs/{body['id']}"

    got = download(api, body)
    assert got.status_code == 200
    assert streamed(got) == content
    assert got["Content-Type"] == mime_type
    assert got["Content-Length"] == str(len(content))
    assert got["Content-Disposition"] == f'attachment; filename="{name}"'
    assert got["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got["Content-Security-Policy"]
    assert got["Cache-Control"] == "private, no-cache"  # no shared cache keeps a person's file


def test_plain_text_is_served_as_utf8_text(api, device):
    body = post_file(api, device, files.TEXT, "notes.txt", content_type="text/plain").json()

    got = download(api, body)
    assert got["Content-Type"] == "text/plain; charset=utf-8"
    assert streamed(got) == files.TEXT


def test_doc_type_defaults_to_other_and_title_to_empty(api, device):
    body = post_file(api, device, files.pdf_bytes(), "x.pdf").json()
    assert (body["doc_type"], body["title"]) == ("other", "")


def test_an_upload_asking_for_a_guess_is_given_the_type_its_words_or_content_suggest(api, device):
    """Every upload was "other" unless its client named a type: a fleet's invoices, manuals
    and photos could not be told apart in the list or its type filter. `guess` (an extension)
    asks for the admin's guess; without doc_type it is other, as the contract says."""
    sent = [
        ({"doc_type": "guess"}, files.pdf_bytes(), "Rechnung-4711.pdf", "invoice"),
        ({"doc_type": "guess", "title": "User guide"}, files.pdf_bytes("g"), "s.pdf", "manual"),
        ({"doc_type": "guess"}, files.JPEG, "IMG_20240301_1022.jpg", "photo"),
        ({}, files.pdf_bytes("i"), "invoice-2024.pdf", "other"),
        ({"doc_type": ""}, files.pdf_bytes("j"), "invoice-2025.pdf", "other"),
        ({"doc_type": "other"}, files.pdf_bytes("w"), "warranty.pdf", "other"),
        ({"doc_type": "invoice"}, files.png_bytes(), "front.png", "invoice"),
    ]
    for data, content, name, expected in sent:
        response = post_file(api, device, content, name, **data)
        assert response.status_code == 201, response.content
        assert response.json()["doc_type"] == expected, name
        assert Document.objects.get(pk=response.json()["id"]).doc_type == expected


def test_a_documents_type_and_title_are_changed_through_the_api(api, token_client, device):
    """A type guessed wrong, or given wrong, was put right in the admin only, or the file was
    deleted and sent again."""
    document = post_file(api, device, files.pdf_bytes(), "scan0001.pdf").json()
    url = f"/api/docs/{document['id']}"

    response = api.patch(url, {"doc_type": "invoice"}, format="json")

    assert response.status_code == 200
    assert {key: response.json()[key] for key in ("doc_type", "title", "sha256")} == {
        "doc_type": "invoice",
        "title": "",
        "sha256": document["sha256"],
    }
    assert api.patch(url, {"title": "Invoice 2024-07"}, format="json").json()["doc_type"] == (
        "invoice"
    )
    entry = LogEntry.objects.filter(object_id=str(device.pk)).order_by("pk").last()
    assert entry.change_message == (
        'Changed through the API: document "scan0001.pdf": title "" → "Invoice 2024-07"'
    )
    for body, field in (({"doc_type": "poster"}, "doc_type"), ({"title": 5}, "title")):
        response = api.patch(url, body, format="json")
        assert response.status_code == 400 and field in response.json()
    assert api.put(url, {"doc_type": "manual"}, format="json").status_code == 405
    # a misspelt key was a 200 that changed nothing; the answer's keys, sent back, are taken
    misspelt = api.patch(url, {"titel": "x", "doc_type": "manual"}, format="json")
    assert misspelt.status_code == 400
    assert misspelt.json() == {
        "titel": ["Not a field of a document; those an edit takes: doc_type, title."]
    }
    read = api.get(url).json()
    assert api.patch(url, read, format="json").json() == read
    assert token_client("read").patch(url, {"title": "x"}, format="json").status_code == 403
    assert Document.objects.values_list("doc_type", "title").get() == ("invoice", "Invoice 2024-07")


def test_a_type_changed_through_the_api_is_kept_only_with_its_line_in_the_history(
    api, device, monkeypatch
):
    """The change and the device's history line of it are one write: a history that could not
    be written left the type changed with no word of who changed it."""
    document = post_file(api, device, files.pdf_bytes(), "scan0001.pdf").json()

    def broken(*args, **kwargs):
        raise RuntimeError("the history could not be written")

    monkeypatch.setattr("inventory.changelog.api_change_log", broken)
    with pytest.raises(RuntimeError):
        api.patch(f"/api/docs/{document['id']}", {"doc_type": "invoice"}, format="json")

    assert Document.objects.get(pk=document["id"]).doc_type == "other"


def test_the_declared_content_type_and_name_do_not_decide_the_type(api, device):
    body = post_file(api, device, files.png_bytes(), "scan.pdf", content_type="application/pdf")
    assert body.json()["mime_type"] == "image/png"
    got = download(api, body.json())
    assert got["Content-Type"] == "image/png"
    # the original name, with an extension of the type the content has
    assert got["Content-Disposition"] == 'attachment; filename="scan.pdf.png"'


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (files.pe_bytes(), "manual.pdf", "application/pdf"),
        (files.elf_bytes(), "photo.jpg", "image/jpeg"),
        (files.macho_bytes(), "datasheet.pdf", "application/pdf"),
        (files.HTML, "notes.txt", "text/plain"),
        (files.SVG, "logo.png", "image/png"),
        (files.SHELL, "readme.txt", "text/plain"),
        (files.zip_bytes(), "drivers.pdf", "application/pdf"),
    ],
    ids=["pe-as-pdf", "elf-as-jpg", "macho-as-pdf", "html-as-txt", "svg-as-png", "sh", "zip"],
)
def test_dangerous_content_is_refused_with_415_whatever_its_name(
    api, device, stored_files, content, name, content_type
):
    response = post_file(api, device, content, name, content_type=content_type)

    assert response.status_code == 415, response.content
    assert "not accepted" in response.json()["detail"]
    assert Document.objects.count() == 0 and stored_files() == []


def test_a_body_that_is_not_multipart_is_refused_with_415(api, device):
    response = api.post(docs_url(device), {"file": "x"}, format="json")
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "file"),
        ({"file": b"", "name": "empty.pdf"}, "file"),
        ({"doc_type": "poster"}, "doc_type"),
    ],
)
def test_invalid_fields_are_named_in_a_400(api, device, data, field):
    payload = {"doc_type": data.get("doc_type", "other")}
    if "file" in data:
        payload["file"] = SimpleUploadedFile(data["name"], data["file"])
    elif field != "file":
        payload["file"] = SimpleUploadedFile("a.pdf", files.pdf_bytes())
    response = api.post(docs_url(device), payload, format="multipart")

    assert response.status_code == 400
    assert field in response.json()


def test_two_files_in_one_upload_are_a_400_and_neither_is_stored(api, device):
    """The last was stored as the document and the first dropped without a word."""
    two = [
        SimpleUploadedFile("manual.pdf", files.pdf_bytes()),
        SimpleUploadedFile("notes.txt", b"plain text\n"),
    ]
    response = api.post(docs_url(device), {"file": two}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"file": ["Send one file per request (2 were sent)."]}
    assert not Document.objects.exists()


def test_a_misspelt_key_of_an_upload_is_a_400_naming_it_and_nothing_is_stored(api, device):
    """`-F doctype=invoice` was a 201 of a document typed "other", the type dropped unsaid."""
    response = post_file(api, device, files.pdf_bytes(), "bill.pdf", doctype="invoice")

    assert response.status_code == 400
    assert response.json() == {
        "doctype": ["Not a field of a document; those an upload takes: file, doc_type, title."]
    }
    assert not Document.objects.exists()


def test_a_form_of_a_signed_in_page_uploads_with_its_csrf_token_among_the_fields(
    admin_user, device
):
    """A page's form posts the CSRF token as a field: refused as a misspelt key, where a
    session's upload with the token in its header was taken."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.get("/admin/")  # the CSRF cookie, as a page of the admin sets it
    token = client.cookies["csrftoken"].value
    upload = SimpleUploadedFile("bill.pdf", files.pdf_bytes(), content_type="application/pdf")

    response = client.post(
        docs_url(device), {"file": upload, "doc_type": "invoice", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 201, response.content
    assert Document.objects.get().doc_type == "invoice"


def test_a_type_or_title_given_twice_is_a_400_naming_it_and_nothing_is_stored(api, device):
    """The last one was taken without a word: a client that sent photo then invoice got an
    invoice, or the other way round."""
    for name, values in (("doc_type", ["photo", "invoice"]), ("title", ["Front", "Back"])):
        response = post_file(api, device, files.png_bytes(), "front.png", **{name: values})

        assert response.status_code == 400
        assert response.json() == {name: ["Give it once: it was given 2 times."]}
    assert not Document.objects.exists()


def test_a_device_deleted_while_its_document_is_uploaded_is_a_404(
    api, device, monkeypatch, stored_files
):
    """The device was read before the body, and deleted before the document's row was written:
    a foreign key error at commit, answered 500."""
    from documents.views import DeviceDocumentViewSet
    from inventory.models import Device

    read = DeviceDocumentViewSet._device

    def read_then_deleted(view):
        found = read(view)
        Device.objects.filter(pk=found.pk).delete()  # DELETE /api/devices/{id} meanwhile
        return found

    monkeypatch.setattr(DeviceDocumentViewSet, "_device", read_then_deleted)

    response = post_file(api, device, files.pdf_bytes("manual"), "manual.pdf")

    assert response.status_code == 404, response.content
    assert Document.objects.count() == 0 and stored_files() == []


def test_a_full_disk_is_a_503_that_says_so(api, device, monkeypatch, stored_files):
    """A full or read-only UPLOAD_DIR answered "The document storage did not answer", which
    sends a person looking for a server that is down; only the log said "No space left"."""

    def full(name, file, *, size_bytes):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "put", full)

    response = post_file(api, device, files.pdf_bytes("manual"), "manual.pdf")

    assert response.status_code == 503
    assert response.json()["detail"] == (
        f"The document storage failed: No space left on device (UPLOAD_DIR "
        f"{storage.local_path()}); nothing was changed. Try again once it is fixed."
    )
    assert Document.objects.count() == 0 and stored_files() == []


def test_an_upload_dir_that_is_no_directory_is_named_in_the_503(api, device, settings, tmp_path):
    """UPLOAD_DIR set to a file: every upload was "The document storage failed: Not a
    directory (DOCUMENT_STORAGE)", naming no setting that could be fixed (audit)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "uploads")},
        },
    }

    response = post_file(api, device, files.pdf_bytes("manual"), "manual.pdf")

    assert response.status_code == 503
    assert response.json()["detail"] == (
        f"The document storage failed: Not a directory (UPLOAD_DIR {blocker / 'uploads'}); "
        "nothing was changed. Try again once it is fixed."
    )
    assert Document.objects.count() == 0


def test_a_stored_file_is_readable_by_the_servers_account_only(api, device, upload_dir):
    """Files were 0644, readable by every account of the machine, where README promises what
    the server writes is its account's alone (failure-injection audit)."""
    response = post_file(api, device, files.pdf_bytes("invoice"), "invoice.pdf")
    assert response.status_code == 201
    [stored] = [path for path in upload_dir.rglob("*") if path.is_file()]
    assert stored.stat().st_mode & 0o777 == 0o600
    for directory in stored.relative_to(upload_dir).parents:
        if directory != Path("."):
            assert (upload_dir / directory).stat().st_mode & 0o777 == 0o700, directory


def test_a_file_over_max_upload_mb_is_refused_with_413(api, device, settings, stored_files):
    settings.MAX_UPLOAD_MB = 1
    content = b"a" * (1024 * 1024 + 1)

    response = post_file(api, device, content, "big.txt", content_type="text/plain")

    assert response.status_code == 413
    assert response.json()["detail"] == storage.MSG_TOO_LARGE.format(limit="1 MB")
    assert Document.objects.count() == 0 and stored_files() == []


def test_a_file_exactly_at_max_upload_mb_is_accepted(api, device, settings):
    settings.MAX_UPLOAD_MB = 1
    response = post_file(api, device, b"a" * (1024 * 1024), "log.txt", content_type="text/plain")
    assert response.status_code == 201
    assert streamed(download(api, response.json())) == b"a" * (1024 * 1024)


class CountingStream(io.BytesIO):
    """wsgi.input that remembers how much of the body the server read."""

    def read(self, size=-1):
        data = super().read(size)
        self.consumed = getattr(self, "consumed", 0) + len(data)
        return data


def multipart_body(content: bytes, name: str) -> tuple[bytes, str]:
    boundary = "BenchToolsBoundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_declared_length_over_the_limit_is_refused_before_reading_the_body(api, device, settings):
    settings.MAX_UPLOAD_MB = 1
    body, content_type = multipart_body(b"a" * 1000, "a.txt")
    stream = CountingStream(body)

    response = api.generic(
        "POST",
        docs_url(device),
        content_type=content_type,
        CONTENT_LENGTH=str(10 * 1024**3),  # a client announcing 10 GiB
        **{"wsgi.input": stream},
    )

    assert response.status_code == 413
    assert getattr(stream, "consumed", 0) == 0


def test_an_oversized_file_stops_being_read_soon_after_the_limit(
    api, device, settings, monkeypatch, stored_files
):
    # As if no Content-Length had warned us: only the upload handler can stop the body.
    monkeypatch.setattr(http, "MULTIPART_ENVELOPE_BYTES", 10 * 1024**3)
    settings.MAX_UPLOAD_MB = 1
    body, content_type = multipart_body(b"a" * (8 * 1024 * 1024), "huge.txt")
    stream = CountingStream(body)

    response = api.generic(
        "POST",
        docs_url(device),
        content_type=content_type,
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": stream},
    )

    assert response.status_code == 413
    assert stream.consumed < 1.5 * 1024 * 1024  # of 8 MiB sent
    assert Document.objects.count() == 0 and stored_files() == []


def test_a_staff_session_uploads_and_its_size_limit_applies_while_authenticating(
    admin_client, device, settings, monkeypatch
):
    response = admin_client.post(
        docs_url(device), {"file": SimpleUploadedFile("a.pdf", files.pdf_bytes())}
    )
    assert response.status_code == 201

    # The session's CSRF check reads the form before the view runs: the limit holds there too.
    monkeypatch.setattr(http, "MULTIPART_ENVELOPE_BYTES", 10 * 1024**3)
    settings.MAX_UPLOAD_MB = 1
    body, content_type = multipart_body(b"b" * (8 * 1024 * 1024), "b.txt")
    stream = CountingStream(body)
    response = admin_client.generic(
        "POST",
        docs_url(device),
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": stream},
    )
    assert response.status_code == 413
    assert stream.consumed < 1.5 * 1024 * 1024
    assert Document.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/devices/{device}/docs"),
        ("post", "/api/devices/{device}/docs"),
        ("get", "/api/docs/{doc}"),
        ("delete", "/api/docs/{doc}"),
        ("get", "/api/docs/{doc}/download"),
    ],
)
def test_every_documents_endpoint_needs_a_token(anon, api, device, method, path):
    doc = post_file(api, device, files.pdf_bytes(), "a.pdf").json()["id"]

    response = getattr(anon, method)(path.format(device=device.pk, doc=doc))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_read_token_lists_and_downloads_but_cannot_upload_or_delete(api, token_client, device):
    doc = post_file(api, device, files.pdf_bytes(), "a.pdf").json()
    reader = token_client("read")

    assert reader.get(docs_url(device)).status_code == 200
    assert reader.get(f"/api/docs/{doc['id']}").status_code == 200
    assert streamed(download(reader, doc)) == files.pdf_bytes()
    assert post_file(reader, device, files.png_bytes(), "b.png").status_code == 403
    assert reader.delete(f"/api/docs/{doc['id']}").status_code == 403
    assert Document.objects.count() == 1


def test_a_write_token_uploads_and_deletes(token_client, device):
    writer = token_client("write")
    doc = post_file(writer, device, files.pdf_bytes(), "a.pdf")
    assert doc.status_code == 201
    assert Document.objects.get().device_id == device.pk
    assert writer.delete(f"/api/docs/{doc.json()['id']}").status_code == 204
    assert not Document.objects.exists()


def test_a_submit_token_can_neither_read_nor_write_documents(token_client, device):
    submitter = token_client("submit")
    assert submitter.get(docs_url(device)).status_code == 403
    assert post_file(submitter, device, files.pdf_bytes(), "a.pdf").status_code == 403


def test_the_same_bytes_twice_are_stored_once_and_deleted_with_the_last_document(
    api, device, stored_files, django_capture_on_commit_callbacks
):
    content = files.pdf_bytes()
    first = post_file(api, device, content, "first.pdf").json()
    second = post_file(api, DeviceFactory(), content, "second.pdf").json()
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]
    assert len(stored_files()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/docs/{first['id']}").status_code == 204
    assert api.get(f"/api/docs/{first['id']}").status_code == 404
    assert streamed(download(api, second)) == content
    assert len(stored_files()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/docs/{second['id']}").status_code == 204
    assert stored_files() == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("/var/lib/benchtools/data.db.pdf", "data.db.pdf"),
        ("nul\x00byte.pdf", "nulbyte.pdf"),
    ],
)
def test_a_traversal_filename_is_harmless(api, device, upload_dir, tmp_path, name, shown):
    response = post_file(api, device, files.pdf_bytes(), name)

    assert response.status_code == 201
    assert response.json()["filename"] == shown
    document = Document.objects.get()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [upload_dir / document.stored_name]
    got = download(api, response.json())
    assert got["Content-Disposition"] == f'attachment; filename="{shown}"'


def test_a_non_ascii_filename_round_trips_in_content_disposition(api, device):
    name = "Übersicht – 日本語 manual.pdf"
    body = post_file(api, device, files.pdf_bytes(), name).json()
    assert body["filename"] == name

    header = download(api, body)["Content-Disposition"]

    assert header.startswith('attachment; filename="Ubersicht')
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == name


def test_documents_are_listed_newest_first_with_a_pinned_query_count(
    api, device, django_assert_max_num_queries
):
    for index in range(5):
        post_file(api, device, files.png_bytes(index + 1, 1), f"{index}.png")
    DeviceFactory()  # another device's documents never show up

    with django_assert_max_num_queries(2):  # the device, its documents
        response = api.get(docs_url(device))

    assert response.status_code == 200
    body = response.json()
    assert [item["filename"] for item in body] == [f"{i}.png" for i in reversed(range(5))]
    assert all(set(item) == FIELDS for item in body)


def test_the_device_detail_counts_documents(api, device):
    post_file(api, device, files.pdf_bytes(), "a.pdf")
    assert api.get(f"/api/devices/{device.pk}").json()["documents_count"] == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/devices/999999/docs"),
        ("post", "/api/devices/999999/docs"),
        ("get", "/api/docs/999999"),
        ("delete", "/api/docs/999999"),
        ("get", "/api/docs/999999/download"),
        ("get", "/api/docs/99999999999999999999999999"),
        ("get", "/api/devices/99999999999999999999999999/docs"),
    ],
)
def test_unknown_ids_are_404_in_json(api, method, path):
    response = getattr(api, method)(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_missing_stored_file_is_a_404_not_a_500(api, device, upload_dir):
    body = post_file(api, device, files.pdf_bytes(), "a.pdf").json()
    (upload_dir / Document.objects.get().stored_name).unlink()

    response = download(api, body)

    assert response.status_code == 404
    assert response.json()["detail"] == "The stored file of this document is missing."


def test_a_stored_copy_cut_short_is_refused_not_downloaded_short(api, device, upload_dir, caplog):
    """A copy cut short (a crash in a write, a disk that lost blocks) was sent as a 200 with the
    shorter length: a client saved a truncated file as complete."""
    body = post_file(api, device, files.pdf_bytes(), "a.pdf").json()
    stored = upload_dir / Document.objects.get().stored_name
    stored.write_bytes(stored.read_bytes()[:10])

    response = download(api, body)

    assert response.status_code == 500
    assert response.json()["detail"].startswith("The stored copy of this document is damaged")
    assert f"10 bytes stored of {body['size_bytes']}" in caplog.text
    # uploading the same file again repairs it (README)
    post_file(api, device, files.pdf_bytes(), "again.pdf")
    assert streamed(download(api, body)) == files.pdf_bytes()


def test_a_download_answers_whatever_the_accept_header(api, device):
    body = post_file(api, device, files.pdf_bytes(), "a.pdf").json()
    response = api.get(f"/api/docs/{body['id']}/download", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and streamed(response) == files.pdf_bytes()


def test_under_asgi_a_download_streams_asynchronously(api, device):
    content = files.TEXT * 5000  # several blocks
    body = post_file(api, device, content, "big.txt", content_type="text/plain").json()

    async def fetch():
        response = await AsyncClient().get(
            f"/api/docs/{body['id']}/download",
            headers={"Authorization": f"Bearer {TEST_API_TOKEN}"},
        )
        chunks = [chunk async for chunk in response.streaming_content]
        return response, chunks

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Django warns when it must buffer a sync iterator
        response, chunks = async_to_sync(fetch)()

    assert response.status_code == 200 and response.is_async
    assert len(chunks) > 1 and b"".join(chunks) == content
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Disposition"] == 'attachment; filename="big.txt"'


def test_the_schema_describes_the_documents_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    upload = paths["/api/devices/{device_pk}/docs"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "413", "415"} <= set(upload["responses"])
    # the types a document can have, as the download's Content-Type says
    assert (
        "application/pdf"
        in (paths["/api/docs/{id}/download"]["get"]["responses"]["200"]["content"])
    )
    assert {"get", "delete"} <= set(paths["/api/docs/{id}"])
