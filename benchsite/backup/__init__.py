"""Backup and restore of a whole server: its database, its uploads and a manifest, one archive.

    archive.py     the archive's members and manifest; writing, verifying, extracting, pruning
    sqlite.py      a SQLite database copied and put back with SQLite's online backup API
    postgresql.py  a PostgreSQL database copied and put back with pg_dump / pg_restore
    uploads.py     the stored documents, through the storage API, into the archive and back
    notifications.py  notifications delivered since the archive, not sent again after a restore
    services.py    backup_create and backup_restore, which put those together

Submissions keep being accepted while a backup runs. Restore verifies every member against the
manifest before it touches anything, then replaces the database and the stored documents,
wherever DOCUMENT_STORAGE keeps them.
"""

from .archive import (
    ARCHIVE_PATTERN,
    DATABASE_MEMBERS,
    ENGINE_NAMES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    UPLOADS_PREFIX,
    ArchiveInfo,
    backup_archives,
    backup_prune,
    backup_verify,
)
from .common import BackupError, RestoreError
from .services import (
    BackupResult,
    RestoreResult,
    backup_check_restorable,
    backup_create,
    backup_restore,
)

__all__ = [
    "ARCHIVE_PATTERN",
    "DATABASE_MEMBERS",
    "ENGINE_NAMES",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "UPLOADS_PREFIX",
    "ArchiveInfo",
    "BackupError",
    "BackupResult",
    "RestoreError",
    "RestoreResult",
    "backup_archives",
    "backup_check_restorable",
    "backup_create",
    "backup_prune",
    "backup_restore",
    "backup_verify",
]
