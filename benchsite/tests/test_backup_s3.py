"""Backup and restore with the documents in S3-compatible object storage (DOCUMENT_STORAGE=s3),
against a real S3 server on loopback (moto in server mode)."""

import io
import os
import secrets
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from benchsite.livetest import live_server
from documents import services
from documents.models import Document
from documents.tests import files
from inventory.models import Device

from .fleet import make_fleet
from .test_backup import make_backup, members, pack, restore, split

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fleet_in_s3(settings, tmp_path, s3_server, s3_bucket):
    """A fleet whose documents, and one file that is no document, are in a bucket."""
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.BACKUP_DIR = tmp_path / "backups"
    make_fleet()
    device = Device.objects.get(hostname="nas-01")
    for content, name in (
        (files.pdf_bytes("manual"), "manual.pdf"),
        (files.png_bytes(40, 30), "label.png"),
        (b"%PDF-1.7\n" + os.urandom(600_000), "big.pdf"),  # incompressible
    ):
        services.document_store(device=device, upload=files.upload(content, name))
    s3_server.client().put_object(Bucket=s3_bucket, Key="notes/admin.txt", Body=b"kept too")
    return s3_server.objects(s3_bucket)


def use_bucket(settings, s3_server, bucket: str) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage(bucket)}


def test_a_backup_holds_every_object_of_the_bucket_byte_for_byte(fleet_in_s3, settings):
    path = make_backup()

    archived = {m.name: data for m, data in members(path)}
    uploads = {n.removeprefix("uploads/"): d for n, d in archived.items() if "uploads/" in n}
    assert uploads == fleet_in_s3
    assert len(uploads) == 4
    assert not Path(settings.UPLOAD_DIR).exists()  # nothing went through this server's disk


def test_a_restore_into_an_empty_bucket_brings_back_every_document(
    fleet_in_s3, settings, s3_server, api
):
    path = make_backup()
    documents = {d.pk: (d.stored_name, d.sha256) for d in Document.objects.all()}
    target = s3_server.create_bucket()
    use_bucket(settings, s3_server, target)
    stored_since = "9f/9f" + "0" * 62 + ".txt"  # a document's name, not in the archive
    for key in (stored_since, "ab/not-in-the-archive.txt"):
        s3_server.client().put_object(Bucket=target, Key=key, Body=b"x")
    Device.objects.get(hostname="nas-01").delete()  # its documents' rows go too

    out, err = restore(path, "--noinput")

    assert "Restored" in out and "4 uploaded file(s)" in out
    # the document the archive does not hold is gone; what the server did not write stays
    assert s3_server.objects(target) == {**fleet_in_s3, "ab/not-in-the-archive.txt": b"x"}
    assert "left as they were: ab/not-in-the-archive.txt." in err
    assert {d.pk: (d.stored_name, d.sha256) for d in Document.objects.all()} == documents
    for pk, (name, _) in documents.items():
        response = api.get(f"/api/docs/{pk}/download")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == fleet_in_s3[name]


def test_a_tampered_archive_leaves_the_bucket_and_the_database_as_they_were(
    fleet_in_s3, settings, s3_server, tmp_path
):
    path = make_backup()
    entries, manifest = split(path)
    big = next(i.name for i, d in entries if len(d or b"") > 500_000 and "uploads/" in i.name)
    # the last byte's bits flipped: changed whatever it was (random content could end in "!")
    entries = [(i, d[:-1] + bytes([d[-1] ^ 0xFF]) if i.name == big else d) for i, d in entries]
    bad = pack(tmp_path / "bad.tar.gz", entries, manifest, listed=manifest["files"])
    target = s3_server.create_bucket()
    use_bucket(settings, s3_server, target)
    s3_server.client().put_object(Bucket=target, Key="mine.txt", Body=b"mine")
    Device.objects.create(hostname="after-the-backup")

    with pytest.raises(CommandError, match=f"Checksum mismatch for '{big}'"):
        restore(bad, "--noinput")

    assert s3_server.objects(target) == {"mine.txt": b"mine"}
    assert Device.objects.filter(hostname="after-the-backup").exists()


def test_a_storage_failing_during_the_restore_leaves_the_database_unchanged(
    fleet_in_s3, settings, s3_server
):
    path = make_backup()
    use_bucket(settings, s3_server, f"no-such-bucket-{secrets.token_hex(4)}")
    Device.objects.create(hostname="after-the-backup")

    with pytest.raises(CommandError) as failure:
        restore(path, "--noinput")

    assert "Restoring the documents failed: storing " in str(failure.value)
    assert "NoSuchBucket" in str(failure.value)
    assert "The database was not changed" in str(failure.value)
    assert Device.objects.filter(hostname="after-the-backup").exists()


def test_a_storage_failing_during_the_backup_leaves_no_archive(fleet_in_s3, settings, s3_server):
    use_bucket(settings, s3_server, f"no-such-bucket-{secrets.token_hex(4)}")

    with pytest.raises(CommandError) as failure:
        call_command("backup", stdout=io.StringIO())

    assert "Backup failed: reading the document storage failed" in str(failure.value)
    assert "No archive was written" in str(failure.value)
    assert list(Path(settings.BACKUP_DIR).iterdir()) == []


@pytest.mark.live
def test_a_document_uploaded_to_one_server_is_restored_by_another_into_its_empty_bucket(
    tmp_path, s3_server, example
):
    content = b"%PDF-1.7\n" + os.urandom(300_000)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source_bucket, target_bucket = s3_server.create_bucket(), s3_server.create_bucket()
    with live_server(tmp_path / "a", extra_env=s3_server.environment(source_bucket)) as a:
        auth = {"Authorization": f"Bearer {a.token}"}
        submitted = requests.post(f"{a.url}/api/benchmark", json=example, headers=auth, timeout=60)
        assert submitted.status_code == 201, submitted.text
        uploaded = requests.post(
            f"{a.url}/api/devices/{submitted.json()['device_id']}/docs",
            files={"file": ("manual.pdf", content, "application/pdf")},
            headers=auth,
            timeout=60,
        )
        assert uploaded.status_code == 201, uploaded.text
        done = a.manage("backup")
        assert done.returncode == 0, done.stderr
        assert "1 uploaded file(s)" in done.stdout
        assert not Path(a.env["UPLOAD_DIR"]).exists()
    (archive,) = Path(a.env["BACKUP_DIR"]).glob("benchtools-*.tar.gz")

    with live_server(tmp_path / "b", extra_env=s3_server.environment(target_bucket)) as b:
        done = b.manage("restore", "--noinput", str(archive))
        assert done.returncode == 0, done.stderr
        assert s3_server.objects(target_bucket) == s3_server.objects(source_bucket)
        got = requests.get(
            f"{b.url}/api/docs/{uploaded.json()['id']}/download",
            headers={"Authorization": f"Bearer {b.token}"},
            timeout=60,
        )
        assert got.status_code == 200
        assert got.content == content
        assert got.headers["Content-Length"] == str(len(content))


def test_an_archive_of_a_file_server_restored_with_s3_moves_its_documents_into_the_bucket(
    settings, tmp_path, s3_server
):
    uploads = tmp_path / "uploads"
    settings.UPLOAD_DIR, settings.BACKUP_DIR = uploads, tmp_path / "backups"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(uploads)},
        },
    }
    make_fleet()
    document = services.document_store(
        device=Device.objects.get(hostname="nas-01"),
        upload=files.upload(files.pdf_bytes("on disk"), "manual.pdf"),
    )
    path = make_backup()
    bucket = s3_server.create_bucket()
    use_bucket(settings, s3_server, bucket)

    restore(path, "--noinput")

    assert s3_server.objects(bucket) == {document.stored_name: files.pdf_bytes("on disk")}
    assert (uploads / document.stored_name).is_file()  # the disk is left as it was
