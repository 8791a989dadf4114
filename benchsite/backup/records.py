"""What a restore tells of itself and keeps of the database it replaces, beside the
notifications (notifications.py): the backups made, and the documents it leaves damaged.

The backups made are facts about the server, not about the data: restoring last week's archive
replaced the table of them with last week's, so the dashboard said no backup had been made
since (overdue, while last night's archive sat in BACKUP_DIR), and the restored archive's own
record said it found no damaged document where its backup had named one."""

from django.db import DatabaseError

from documents import storage
from documents.models import Document

from ..models import Backup
from .archive import UPLOADS_PREFIX

_FIELDS = ("created_at", "host", "path", "size", "documents_damaged", "restored_at")


def backups_known(alias: str) -> list[dict]:
    """Read from the database a restore is about to replace: the backups it records (none when
    it has no such table yet: a new server, one older than 0.8.0)."""
    try:
        return list(Backup.objects.using(alias).values(*_FIELDS))
    except DatabaseError:
        return []


def backups_kept(known: list[dict], alias: str) -> int:
    """After the restore: each of the backups `known` recorded that the restored database does
    not record (made after the archive, or on another server), recorded again. Returns how
    many."""
    there = set(Backup.objects.using(alias).values_list("path", "created_at", "restored_at"))
    missing = [
        Backup(**row)
        for row in known
        if (row["path"], row["created_at"], row["restored_at"]) not in there
    ]
    Backup.objects.using(alias).bulk_create(missing)
    return len(missing)


def fileless_documents(listed: dict[str, object], alias: str) -> list[tuple[int, str, str]]:
    """The restored documents without a file: not in the archive, nor uploaded meanwhile (a
    server still running: remove_others keeps the files the database references)."""
    archived = {path.removeprefix(UPLOADS_PREFIX) for path in listed}
    rows = (
        Document.objects.using(alias)
        .values_list("pk", "device__hostname", "stored_name")
        .order_by("pk")
    )
    return [row for row in rows.iterator() if row[2] not in archived and not storage.exists(row[2])]


def documents_damaged(
    fileless: list[tuple[int, str, str]], damaged: list[tuple[str, bool]], alias: str
) -> int:
    """The restored documents left without their file or with a damaged copy of it (no intact
    one was kept): the restore's record says them as a backup's says what it found."""
    broken = [name for name, intact in damaged if not intact]
    with_damaged_copy = Document.objects.using(alias).filter(stored_name__in=broken).count()
    return len(fileless) + with_damaged_copy
