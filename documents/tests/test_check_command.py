"""manage.py check_documents: the stored files against the rows that reference them."""

import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from documents import services
from documents.models import Document

from . import files
from .files import upload

pytestmark = pytest.mark.django_db


def check(*args: str) -> str:
    out = StringIO()
    call_command("check_documents", *args, stdout=out)
    return out.getvalue()


def check_failing(*args: str) -> tuple[str, str]:
    """(what it printed on stderr, the error) of a check that fails."""
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("check_documents", *args, stdout=out, stderr=err)
    return err.getvalue(), str(failure.value)


def store(device, content: bytes, name: str = "manual.pdf") -> Document:
    return services.document_store(device=device, upload=upload(content, name))


def age(path, minutes: float) -> None:
    then = time.time() - minutes * 60
    os.utime(path, (then, then))


def test_a_healthy_store_passes(device):
    store(device, files.pdf_bytes("one"))
    store(device, files.pdf_bytes("one"), "copy.pdf")  # same content: one stored file
    store(device, files.png_bytes())

    out = check("--verify")

    assert "3 documents, 2 stored contents (checksums verified)." in out
    assert "Every document's file is in place." in out


def test_a_fresh_install_without_uploads_passes(upload_dir):
    assert not upload_dir.exists()
    out = check("--verify", "--delete-unreferenced")
    assert "0 documents, 0 stored contents" in out
    assert "Every document's file is in place." in out


def test_missing_and_truncated_files_fail_the_check(device, upload_dir):
    gone = store(device, files.pdf_bytes("gone"))
    cut = store(device, files.png_bytes(), "label.png")
    store(device, files.pdf_bytes("fine"))
    (upload_dir / gone.stored_name).unlink()
    content = (upload_dir / cut.stored_name).read_bytes()
    (upload_dir / cut.stored_name).write_bytes(content[:10])

    out, error = check_failing()

    assert f"missing: {gone.stored_name} (document {gone.pk} of {device.hostname})" in out
    assert f"size 10 != {len(content)} bytes: {cut.stored_name} (document {cut.pk}" in out
    assert error.startswith("2 documents have a missing or damaged file")
    # one file back from an archive, rather than a restore that rolls everything back
    assert "tar -xzf ARCHIVE uploads/NAME" in error


def test_verify_finds_a_file_whose_bytes_changed_but_not_its_size(device, upload_dir):
    document = store(device, files.pdf_bytes("rot"))
    path = upload_dir / document.stored_name
    content = bytearray(path.read_bytes())
    content[-5] ^= 0x01  # one flipped bit, same size
    path.write_bytes(bytes(content))

    assert "Every document's file is in place." in check()  # sizes only: not seen
    out, error = check_failing("--verify")
    assert f"checksum differs: {document.stored_name}" in out
    # one document: said so ("1 documents have"), with the remedy that needs no archive
    assert error.startswith("1 document has a missing or damaged file")
    assert "Upload the same file again to any device" in error


def test_a_file_left_by_a_rolled_back_upload_is_listed_then_removed_once_old(
    device, upload_dir, stored_files
):
    kept = store(device, files.png_bytes())
    # an upload inside a larger transaction that then fails: the row goes, the file stays
    with pytest.raises(RuntimeError), transaction.atomic():
        orphan = store(device, files.pdf_bytes("orphan"))
        raise RuntimeError("the admin form failed after the upload")
    assert not Document.objects.filter(pk=orphan.pk).exists()
    (upload_dir / "notes.txt").write_text("someone's file")
    (upload_dir / "ab" / "deeper").mkdir(parents=True)
    (upload_dir / "ab" / "deeper" / "x.bin").write_bytes(b"x")

    out = check()
    assert f"1 stored files ({len(files.pdf_bytes('orphan'))} bytes) no document references" in out
    assert f"  {orphan.stored_name} (" in out
    assert "not a document file, left alone: notes.txt" in out
    assert "not a document file, left alone: ab/deeper/x.bin" in out
    assert "Every document's file is in place." in out  # an orphan is no failure

    # just written: an upload may be about to commit its row, so it stays
    assert "Removed 0; kept 1, younger than 60 min" in check("--delete-unreferenced")
    assert orphan.stored_name in stored_files()

    age(upload_dir / orphan.stored_name, minutes=61)
    assert "Removed 1." in check("--delete-unreferenced")
    assert stored_files() == sorted([kept.stored_name, "notes.txt", "ab/deeper/x.bin"])
    assert "no document references" not in check()  # nothing left to report


def test_an_unreferenced_file_referenced_again_is_not_removed(device, upload_dir):
    content = files.pdf_bytes("again")
    with pytest.raises(RuntimeError), transaction.atomic():
        orphan = store(device, content)
        raise RuntimeError
    age(upload_dir / orphan.stored_name, minutes=120)
    # the same content uploaded again between the audit and the removal
    audit_names = [orphan.stored_name]
    again = store(device, content)

    removed = services.storage_release_unreferenced(
        names=audit_names, older_than=timedelta(minutes=60)
    )

    assert removed == []
    assert (upload_dir / again.stored_name).read_bytes() == content


def test_min_age_must_not_be_negative():
    with pytest.raises(CommandError, match="--min-age"):
        call_command("check_documents", "--min-age", "-1")


@pytest.mark.django_db(transaction=True)
def test_a_database_not_migrated_yet_is_said_in_a_line(migrate_to):
    migrate_to(("documents", None))  # no documents table (as a new server before migrate)

    with pytest.raises(CommandError) as failed:
        call_command("check_documents", stdout=StringIO(), stderr=StringIO())

    assert "Cannot read the documents from the database" in str(failed.value)
    assert "manage.py migrate" in str(failed.value)
