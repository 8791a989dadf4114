"""Documents in S3-compatible object storage (DOCUMENT_STORAGE=s3), against a real S3 server
on loopback (moto in server mode): the API, the release of unreferenced files, check_documents.
"""

import concurrent.futures
import contextlib
import hashlib
import os
import socket
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from botocore.response import StreamingBody
from django.core.management import CommandError, call_command

from benchsite.tests.markers import engine_independent
from documents import services, storage
from documents.models import Document

from . import files
from .api.test_documents import download, post_file, streamed

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_an_upload_is_one_object_in_the_bucket_and_downloads_streamed_byte_for_byte(
    api, device, s3_server, s3_bucket, upload_dir
):
    # past s3transfer's 8 MB multipart threshold, and many download blocks
    content = b"%PDF-1.7\n" + os.urandom(9 * 1024 * 1024)
    response = post_file(api, device, content, "manual.pdf", doc_type="manual")
    assert response.status_code == 201, response.content
    body = response.json()
    document = Document.objects.get(pk=body["id"])

    assert s3_server.objects(s3_bucket) == {document.stored_name: content}
    assert not upload_dir.exists()  # nothing on this server's disk
    # read as S3 sends it, not first copied whole into a temporary file
    with storage.open_stored(document.stored_name) as stored:
        assert isinstance(stored.file, StreamingBody)
        assert stored.size == len(content)
    got = download(api, body)
    assert got.status_code == 200
    assert got["Content-Length"] == str(len(content))
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"] == 'attachment; filename="manual.pdf"'
    assert hashlib.sha256(streamed(got)).hexdigest() == body["sha256"]
    assert streamed(got) == content


def test_identical_content_is_one_object_removed_with_its_last_document(
    api, device, s3_server, s3_bucket, django_capture_on_commit_callbacks
):
    first = post_file(api, device, files.pdf_bytes("shared"), "a.pdf").json()
    second = post_file(api, device, files.pdf_bytes("shared"), "b.pdf").json()
    name = Document.objects.get(pk=first["id"]).stored_name
    assert list(s3_server.objects(s3_bucket)) == [name]

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/docs/{first['id']}").status_code == 204
    assert list(s3_server.objects(s3_bucket)) == [name]  # still referenced by the second
    assert streamed(download(api, second)) == files.pdf_bytes("shared")

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/docs/{second['id']}").status_code == 204
    assert s3_server.objects(s3_bucket) == {}


def test_a_document_whose_object_is_gone_answers_404(api, device, s3_server, s3_bucket):
    body = post_file(api, device, files.png_bytes(), "label.png").json()
    s3_server.client().delete_object(
        Bucket=s3_bucket, Key=Document.objects.get(pk=body["id"]).stored_name
    )
    response = api.get(f"/api/docs/{body['id']}/download")
    assert response.status_code == 404
    assert response.json()["detail"] == "The stored file of this document is missing."


def test_check_documents_reads_the_bucket(device, s3_server, s3_bucket):
    def store(content: bytes, name: str) -> Document:
        return services.document_store(device=device, upload=files.upload(content, name))

    kept = store(files.pdf_bytes("kept"), "kept.pdf")
    gone = store(files.png_bytes(), "gone.png")
    rotten = store(files.pdf_bytes("rotten"), "rotten.pdf")
    client = s3_server.client()
    client.delete_object(Bucket=s3_bucket, Key=gone.stored_name)
    flipped = bytearray(files.pdf_bytes("rotten"))
    flipped[-5] ^= 0x01  # same size, other bytes
    client.put_object(Bucket=s3_bucket, Key=rotten.stored_name, Body=bytes(flipped))
    orphan = files.pdf_bytes("orphan")
    orphan_name = storage.stored_name(hashlib.sha256(orphan).hexdigest(), storage.PDF)
    client.put_object(Bucket=s3_bucket, Key=orphan_name, Body=orphan)
    client.put_object(Bucket=s3_bucket, Key="someone/else.txt", Body=b"not ours")

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="2 documents have a missing or damaged file"):
        call_command("check_documents", "--verify", stdout=out, stderr=err)
    assert f"missing: {gone.stored_name} (document {gone.pk}" in err.getvalue()
    assert f"checksum differs: {rotten.stored_name} (document {rotten.pk}" in err.getvalue()
    assert kept.stored_name not in err.getvalue()
    assert f"  {orphan_name} ({len(orphan)} bytes)" in out.getvalue()
    assert "not a document file, left alone: someone/else.txt" in out.getvalue()

    removed = services.storage_release_unreferenced(names=[orphan_name], older_than=timedelta(0))
    assert removed == [orphan_name]
    assert sorted(s3_server.objects(s3_bucket)) == sorted(
        [kept.stored_name, rotten.stored_name, "someone/else.txt"]
    )


def test_check_documents_says_a_store_that_does_not_answer_and_reports_no_file_missing(
    device, settings, s3_server, s3_bucket
):
    """Each timeout of a slow store was reported as a missing file (botocore's timeouts are
    OSErrors), with the advice to take the files back from a backup."""
    document = services.document_store(device=device, upload=files.upload(b"kept", "kept.txt"))
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_server.storage(
                s3_bucket, endpoint_url=f"http://127.0.0.1:{hung.getsockname()[1]}", timeout_s=1
            ),
        }
        err = StringIO()
        with pytest.raises(CommandError) as failed:
            call_command("check_documents", stdout=StringIO(), stderr=err)

    assert "The document storage did not answer (DOCUMENT_STORAGE)" in str(failed.value)
    assert "Nothing was checked" in str(failed.value)
    assert "missing" not in err.getvalue() and document.stored_name not in err.getvalue()


def _check(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "ENV_FILE": "/nonexistent/.env", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@engine_independent
def test_s3_without_a_bucket_or_an_unknown_storage_refuses_to_start():
    done = _check(DOCUMENT_STORAGE="s3", S3_BUCKET="")
    assert done.returncode != 0
    assert "DOCUMENT_STORAGE=s3 needs S3_BUCKET" in done.stderr
    done = _check(DOCUMENT_STORAGE="ftp")
    assert done.returncode != 0
    assert "DOCUMENT_STORAGE must be 'file' or 's3', not 'ftp'" in done.stderr


@engine_independent
def test_backups_in_the_upload_directory_itself_refuse_to_start(tmp_path):
    """A restore removes the files the archive has not: it would delete every archive there."""
    done = _check(UPLOAD_DIR=str(tmp_path / "data"), BACKUP_DIR=str(tmp_path / "data/"))
    assert done.returncode != 0
    assert f"BACKUP_DIR and UPLOAD_DIR are the same directory ({tmp_path / 'data'})" in done.stderr
    done = _check(UPLOAD_DIR=str(tmp_path / "data"), BACKUP_DIR=str(tmp_path / "data/backups"))
    assert done.returncode == 0, done.stderr


def test_an_object_store_that_does_not_answer_is_a_503_and_stores_nothing(
    api, device, settings, s3_server, caplog
):
    # the same configuration, pointed at a port of the loopback where nothing listens
    dead = s3_server.storage("benchtools-down", endpoint_url="http://127.0.0.1:1")
    settings.DOCUMENT_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": dead}

    response = post_file(api, device, files.pdf_bytes("manual"), "manual.pdf")

    assert response.status_code == 503
    assert response.json()["detail"].startswith("The document storage did not answer")
    assert not Document.objects.exists()
    document = Document.objects.create(
        device=device,
        stored_name="ab/" + "ab" * 32 + ".pdf",
        sha256="ab" * 32,
        size_bytes=4,
        mime_type="application/pdf",
        original_filename="old.pdf",
    )
    assert api.get(f"/api/docs/{document.pk}/download").status_code == 503
    assert "document storage failed" in caplog.text


def test_an_object_store_that_never_answers_is_a_503_after_its_timeout(
    api, device, settings, s3_server
):
    """A store that accepts connections and never answers (a hung proxy, a stalled NAS) held a
    download for three minutes (botocore's 60 s, tried three times) and, on SQLite, every
    writer behind an upload. Each wait is now S3_TIMEOUT_S, tried twice."""
    with socket.socket() as hung:  # connections complete in its backlog; nothing is answered
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        endpoint = f"http://127.0.0.1:{hung.getsockname()[1]}"
        settings.DOCUMENT_STORAGE = "s3"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_server.storage("benchtools-hung", endpoint_url=endpoint, timeout_s=1),
        }
        pool = concurrent.futures.ThreadPoolExecutor(1)  # the storage alone: no database
        try:
            asked = pool.submit(storage.exists, "ab/" + "ab" * 32 + ".pdf")
            # two tries of 1 s each: not done within a minute, the store is still waited for
            # (the old defaults) and exception() raises TimeoutError
            failed = asked.exception(timeout=60)
            assert failed is not None and storage.is_unavailable(failed), failed
        finally:
            pool.shutdown(wait=False)
        # tried twice, as README says: one connection per try (it was three)
        hung.settimeout(0.2)
        tries = []
        with contextlib.suppress(TimeoutError):
            while True:
                tries.append(hung.accept()[0])
        assert len(tries) == 2
        for connection in tries:
            connection.close()

        response = post_file(api, device, files.pdf_bytes("manual"), "manual.pdf")

    assert response.status_code == 503
    assert not Document.objects.exists()


def test_a_deletion_while_the_store_does_not_answer_keeps_the_file_and_says_so(
    api, device, settings, s3_server, s3_bucket, caplog, django_capture_on_commit_callbacks
):
    """The deletion is final once committed: its file is left behind, said in one line with
    what removes it later, where it was a traceback after the 204."""
    posted = post_file(api, device, files.pdf_bytes("old manual"), "old.pdf").json()
    name = Document.objects.get(pk=posted["id"]).stored_name
    live = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_server.storage(s3_bucket, endpoint_url="http://127.0.0.1:1"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/docs/{posted['id']}").status_code == 204

    assert not Document.objects.exists()
    [said] = [r for r in caplog.records if name in r.getMessage()]
    assert said.levelname == "WARNING" and said.exc_info is None
    assert "check_documents --delete-unreferenced" in said.getMessage()
    assert list(s3_server.objects(s3_bucket)) == [name]

    settings.STORAGES = {**settings.STORAGES, "default": live}
    assert services.storage_release_unreferenced(names=[name], older_than=timedelta(0)) == [name]
    assert s3_server.objects(s3_bucket) == {}
