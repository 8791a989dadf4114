"""document_store / document_delete: one stored file per content, released with the last row."""

import hashlib
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from documents import services, storage
from documents.models import DocType, Document
from inventory.services import device_delete
from inventory.tests.factories import DeviceFactory

from . import files
from .files import upload

pytestmark = pytest.mark.django_db


def stored_path(upload_dir, document):
    return upload_dir / document.stored_name


def test_store_keeps_the_bytes_under_their_hash_and_records_what_was_sniffed(device, upload_dir):
    content = files.pdf_bytes()

    document = services.document_store(
        device=device, upload=upload(content, "manual.pdf"), doc_type=DocType.MANUAL, title="Manual"
    )

    digest = hashlib.sha256(content).hexdigest()
    assert (document.device, document.doc_type, document.title) == (device, "manual", "Manual")
    assert document.original_filename == "manual.pdf"
    assert (document.mime_type, document.size_bytes, document.sha256) == (
        "application/pdf",
        len(content),
        digest,
    )
    assert document.stored_name == f"{digest[:2]}/{digest}.pdf"
    assert stored_path(upload_dir, document).read_bytes() == content


def test_the_type_comes_from_the_content_not_the_name(device):
    document = services.document_store(device=device, upload=upload(files.png_bytes(), "scan.pdf"))
    assert document.mime_type == "image/png" and document.stored_name.endswith(".png")
    assert document.original_filename == "scan.pdf"


def test_identical_content_is_stored_once_and_kept_while_referenced(
    device, stored_files, upload_dir, django_capture_on_commit_callbacks
):
    content = files.png_bytes()
    first = services.document_store(device=device, upload=upload(content, "a.png"))
    second = services.document_store(device=DeviceFactory(), upload=upload(content, "b.png"))
    assert first.stored_name == second.stored_name
    assert stored_files() == [first.stored_name]

    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=first)
    assert stored_files() == [second.stored_name]
    assert stored_path(upload_dir, second).read_bytes() == content

    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=second)
    assert stored_files() == []


def test_a_file_is_removed_only_after_the_deletion_commits(
    device, stored_files, django_capture_on_commit_callbacks
):
    document = services.document_store(device=device, upload=upload(files.TEXT, "notes.txt"))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.document_delete(document=document)
        assert stored_files() == [document.stored_name]  # not yet: the deletion may roll back
    assert len(callbacks) == 1


def test_a_rolled_back_deletion_keeps_the_file(
    device, stored_files, django_capture_on_commit_callbacks
):
    document = services.document_store(device=device, upload=upload(files.TEXT, "notes.txt"))
    pk, name = document.pk, document.stored_name

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError, match="the request failed"), transaction.atomic():
            services.document_delete(document=document)
            raise RuntimeError("the request failed after the deletion")

    assert callbacks == []
    assert Document.objects.filter(pk=pk).exists()
    assert stored_files() == [name]


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "..\\..\\x.pdf", "/etc/passwd.pdf", "/tmp/a\x00.pdf", ".."]
)
def test_a_traversal_filename_is_display_text_only(device, upload_dir, tmp_path, name):
    document = services.document_store(device=device, upload=upload(files.pdf_bytes(), name))

    assert "/" not in document.original_filename and "\\" not in document.original_filename
    assert "\x00" not in document.original_filename and document.original_filename != ".."
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert written == [upload_dir / document.stored_name]


def test_a_refused_upload_stores_nothing(device, stored_files):
    with pytest.raises(storage.UnsupportedContent):
        services.document_store(device=device, upload=upload(files.pe_bytes(), "manual.pdf"))
    assert Document.objects.count() == 0 and stored_files() == []


def test_an_upload_over_max_upload_mb_stores_nothing(device, settings, stored_files):
    settings.MAX_UPLOAD_MB = 1
    content = b"a" * (1024 * 1024 + 1)
    with pytest.raises(storage.UploadTooLarge, match="limit of 1 MB"):
        services.document_store(device=device, upload=upload(content, "big.txt"))
    assert Document.objects.count() == 0 and stored_files() == []


def test_when_the_row_cannot_be_written_the_new_file_is_given_back(
    device, stored_files, monkeypatch
):
    kept = services.document_store(device=device, upload=upload(files.TEXT, "kept.txt"))

    def fail(**kwargs):
        raise IntegrityError("the device was deleted meanwhile")

    monkeypatch.setattr(Document.objects, "create", fail)
    with pytest.raises(IntegrityError):
        services.document_store(device=device, upload=upload(files.pdf_bytes(), "new.pdf"))
    with pytest.raises(IntegrityError):  # content stored before: its file stays
        services.document_store(device=device, upload=upload(files.TEXT, "again.txt"))

    assert stored_files() == [kept.stored_name]


def test_a_stored_file_that_went_missing_is_written_again_by_the_next_upload(device, upload_dir):
    first = services.document_store(device=device, upload=upload(files.gif_bytes(), "a.gif"))
    stored_path(upload_dir, first).unlink()

    second = services.document_store(device=device, upload=upload(files.gif_bytes(), "b.gif"))

    assert stored_path(upload_dir, second).read_bytes() == files.gif_bytes()


def test_a_stored_file_damaged_in_place_is_repaired_by_uploading_the_same_content(
    device, upload_dir
):
    """Same size, one byte changed (check_documents --verify names it): uploading the file
    again writes the good bytes, it does not keep the damaged ones."""
    first = services.document_store(device=device, upload=upload(files.gif_bytes(), "a.gif"))
    path = stored_path(upload_dir, first)
    damaged = bytearray(path.read_bytes())
    damaged[-2] ^= 0xFF
    path.write_bytes(bytes(damaged))

    second = services.document_store(device=device, upload=upload(files.gif_bytes(), "b.gif"))

    assert stored_path(upload_dir, second).read_bytes() == files.gif_bytes()


def test_release_keeps_a_file_that_a_document_references_again(device, stored_files):
    document = services.document_store(device=device, upload=upload(files.WEBP, "a.webp"))

    assert (
        services.document_file_release(sha256=document.sha256, stored_name=document.stored_name)
        is False
    )
    assert stored_files() == [document.stored_name]


def test_document_update_edits_type_and_title_only(device):
    document = services.document_store(device=device, upload=upload(files.JPEG, "label.jpg"))

    services.document_update(document=document, doc_type=DocType.PHOTO, title="Rear label")

    document.refresh_from_db()
    assert (document.doc_type, document.title, document.mime_type) == (
        "photo",
        "Rear label",
        "image/jpeg",
    )


def test_deleting_a_device_removes_the_files_nothing_else_references(
    device, stored_files, upload_dir, django_capture_on_commit_callbacks
):
    other = DeviceFactory()
    own = services.document_store(device=device, upload=upload(files.pdf_bytes(), "own.pdf"))
    shared = services.document_store(device=device, upload=upload(files.png_bytes(), "s.png"))
    services.document_store(device=other, upload=upload(files.png_bytes(), "same.png"))

    with django_capture_on_commit_callbacks(execute=True):
        device_delete(device=device)

    assert not Document.objects.filter(device_id=device.pk).exists()
    assert stored_files() == [shared.stored_name]
    assert not stored_path(upload_dir, own).exists()


@pytest.mark.django_db(transaction=True)
def test_a_release_waits_for_a_concurrent_upload_of_the_same_content(
    upload_dir, stored_files, monkeypatch
):
    """The race the content lock exists for: the last reference to a content is deleted while
    another upload of that content is between writing (or finding) its file and its row."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write transaction (BEGIN IMMEDIATE) by itself")
    device = DeviceFactory()
    content = files.pdf_bytes()
    old = services.document_store(device=device, upload=upload(content, "old.pdf"))
    in_put, go_on = threading.Event(), threading.Event()
    put = storage.put

    def paused_put(name, file, *, size_bytes):
        written = put(name, file, size_bytes=size_bytes)
        in_put.set()
        assert go_on.wait(10)
        return written

    monkeypatch.setattr(storage, "put", paused_put)
    errors = []

    def run(work):
        try:
            work()
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    uploader = threading.Thread(
        target=run,
        args=(lambda: services.document_store(device=device, upload=upload(content, "new.pdf")),),
    )
    deleter = threading.Thread(target=run, args=(lambda: services.document_delete(document=old),))
    uploader.start()
    try:
        assert in_put.wait(10)
        deleter.start()
        deleter.join(0.5)
        assert deleter.is_alive(), "the release did not wait for the upload holding the content"
    finally:
        go_on.set()
        uploader.join(10)
        if deleter.ident is not None:
            deleter.join(10)

    assert errors == []
    new = Document.objects.get()
    assert new.original_filename == "new.pdf"
    assert stored_files() == [new.stored_name]


def test_an_edit_of_a_document_deleted_meanwhile_is_a_does_not_exist(device, upload_dir):
    """The API's PATCH racing its DELETE: "Save with update_fields did not affect any rows", a
    500; the API answers 404 for a DoesNotExist."""
    document = services.document_store(device=device, upload=upload(files.pdf_bytes(), "a.pdf"))
    Document.objects.filter(pk=document.pk).delete()
    with pytest.raises(Document.DoesNotExist):
        services.document_update(document=document, doc_type=DocType.MANUAL, title="Manual")
