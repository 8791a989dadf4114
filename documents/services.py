"""Writes of documents: every writer (API, admin, a device's deletion) goes through here.

A stored file belongs to no row in particular: rows reference content by its SHA-256, and the
file goes when the last reference does, after that deletion commits. Storing a content and
releasing it are serialised per content by `_content_lock`, so an upload never lands on a file
that a concurrent release is about to remove, and a release never removes a file that an
upload has just referenced.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from inventory.models import Device

from . import storage
from .doc_types import doc_type_guess
from .filenames import display_filename
from .models import DocType, Document

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock(key1, key2): key1 names this use, key2 is taken from the content hash.
_LOCK_NAMESPACE = 0x646F63  # "doc"


def max_upload_bytes() -> int:
    return settings.MAX_UPLOAD_MB * 1024 * 1024


def _content_lock(sha256: str) -> None:
    """Hold, until the current transaction ends, the lock of one content.

    PostgreSQL: an advisory transaction lock, shared by every app server of the database.
    SQLite: nothing to take; every transaction begins IMMEDIATE (settings), which already
    serialises all writers.
    """
    if connection.vendor == "postgresql":
        key = int.from_bytes(bytes.fromhex(sha256[:8]), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, key])


def document_check(*, upload: File) -> storage.FileKind:
    """The kind `upload` would be stored as; raises storage.UploadRejected when it would not be.

    Forms validate with this so that a refusal is a form error; document_store checks again.
    """
    with storage.spool(upload.chunks(), max_bytes=max_upload_bytes()) as spooled:
        return spooled.kind


class DeviceGone(Exception):
    """The device was deleted while its document was uploaded: nothing is stored (404)."""


def document_store(
    *, device: Device, upload: File, doc_type: str | None = None, title: str = ""
) -> Document:
    """Attach `upload` to `device`: checked by content, stored once per content; without a
    `doc_type`, of the type its title, file name and content suggest (doc_types).

    Raises storage.UploadTooLarge (over MAX_UPLOAD_MB) or storage.UnsupportedContent (not an
    accepted type), or DeviceGone (deleted meanwhile); nothing is stored then. The client's
    filename is kept for display only.
    """
    filename = display_filename(getattr(upload, "name", None))
    with storage.spool(upload.chunks(), max_bytes=max_upload_bytes()) as spooled:
        name = storage.stored_name(spooled.sha256, spooled.kind)
        if not doc_type:
            doc_type = doc_type_guess(
                title=title, filename=filename, mime_type=spooled.kind.mime_type
            )
        written = False
        try:
            with transaction.atomic():
                # the device's row locked (PostgreSQL; SQLite's immediate transactions take
                # turns): a deletion meanwhile was an IntegrityError at commit, a 500
                if not Device.objects.select_for_update().filter(pk=device.pk).exists():
                    raise DeviceGone(device.pk)
                _content_lock(spooled.sha256)
                written = storage.put(name, spooled.file, size_bytes=spooled.size_bytes)
                document = Document.objects.create(
                    device=device,
                    doc_type=doc_type,
                    title=title,
                    original_filename=filename,
                    stored_name=name,
                    mime_type=spooled.kind.mime_type,
                    size_bytes=spooled.size_bytes,
                    sha256=spooled.sha256,
                )
        except BaseException:
            if written:
                # The row was not created: give back the file only this attempt wrote.
                document_file_release(sha256=spooled.sha256, stored_name=name)
            raise
    logger.info(
        "document %s stored for %s: %s, %d bytes, %s",
        document.pk,
        device,
        document.mime_type,
        document.size_bytes,
        "new content" if written else "content already stored",
    )
    return document


@transaction.atomic
def document_update(*, document: Document, doc_type: str, title: str) -> Document:
    """Edit what people say about a document (its content never changes). Raises
    Document.DoesNotExist when it was deleted meanwhile (a 404: "Save with update_fields did
    not affect any rows" was a 500)."""
    if not Document.objects.select_for_update().filter(pk=document.pk).exists():
        raise Document.DoesNotExist(f"Document {document.pk} no longer exists.")
    document.doc_type = doc_type
    document.title = title
    document.save(update_fields=("doc_type", "title"))
    return document


@transaction.atomic
def documents_guess_types(*, documents: QuerySet[Document]) -> tuple[list[Document], int]:
    """Give those of these documents typed other the type their title, file name and content
    suggest (doc_types), as an upload without a type now gets: every upload was "other" before.
    Another type, a person's, is left as it is. Returns the documents given one, and how many
    were typed other. A read, and a write per 500 documents given a type."""
    considered = list(
        documents.filter(doc_type=DocType.OTHER)
        .select_related("device")  # whose history names the change
        .only(
            "pk",
            "doc_type",
            "title",
            "original_filename",
            "mime_type",
            "device_id",
            "device__hostname",
        )
    )
    changed = []
    for document in considered:
        guess = doc_type_guess(
            title=document.title, filename=document.original_filename, mime_type=document.mime_type
        )
        if guess != DocType.OTHER:
            document.doc_type = guess
            changed.append(document)
    Document.objects.bulk_update(changed, ("doc_type",), batch_size=500)
    return changed, len(considered)


@transaction.atomic
def document_delete(*, document: Document) -> None:
    """Remove a document. Its file goes after the commit if nothing else references the
    content (documents.signals schedules document_file_release for every deleted row, this one
    and those a device's deletion cascades to)."""
    document.delete()


@transaction.atomic
def documents_delete(*, documents: QuerySet[Document]) -> int:
    """Delete these documents (the admin's *Delete selected*): Django's collector reads and
    deletes them in statements per batch, where a deletion each took 2,348 queries for 1,500.
    Each stored file goes after the commit, file by file, as document_delete's (the receiver
    is told of every row). Returns how many went."""
    deleted, _ = documents.delete()
    return deleted


def document_file_release(*, sha256: str, stored_name: str) -> bool:
    """Remove a stored file unless a document still references it; True when removed.

    Runs after the commit of the deletion that dropped a reference.
    """
    with transaction.atomic():
        _content_lock(sha256)
        if Document.objects.filter(sha256=sha256, stored_name=stored_name).exists():
            return False
        storage.remove(stored_name)
    logger.info("stored file %s removed: no document references it", stored_name)
    return True


def deleted_document_file_release(*, sha256: str, stored_name: str) -> None:
    """document_file_release after a deletion's commit (documents.signals). The deletion is
    final by then: a storage that does not answer leaves the file behind, said in one line
    with what removes it later (it was a traceback, the answer already a 204)."""
    try:
        document_file_release(sha256=sha256, stored_name=stored_name)
    except Exception as exc:
        if not storage.is_unavailable(exc):
            raise
        logger.warning(
            "stored file %s of a deleted document was kept: the document storage failed "
            "(%s: %s). Once it answers, `manage.py check_documents --delete-unreferenced` "
            "removes it.",
            stored_name,
            storage.where(),
            exc,
        )


def storage_release_unreferenced(*, names: Iterable[str], older_than: timedelta) -> list[str]:
    """Remove these stored files (storage_audit's unreferenced ones) unless a document
    references them again or they changed within `older_than`: an upload whose transaction
    has not committed yet wrote its file moments ago. Returns the names removed."""
    cutoff = timezone.now() - older_than
    removed = []
    for name in names:
        sha256 = storage.content_of(name)
        if sha256 is None:
            continue  # not a name this app stores under: never removed
        try:
            if storage.modified_time(name) > cutoff:
                continue
        except OSError:
            continue  # gone meanwhile
        if document_file_release(sha256=sha256, stored_name=name):
            removed.append(name)
    return removed
