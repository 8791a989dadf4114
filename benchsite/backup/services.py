"""backup_create and backup_restore: the database module of the engine, the uploads and the
archive put together, with the guarantees each promises (all or nothing, verify first)."""

import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from ..files import TEMP_PREFIX
from . import postgresql, sqlite, uploads
from .archive import (
    DATABASE_MEMBERS,
    ENGINE_NAMES,
    STAGING_PREFIX,
    UPLOADS_PREFIX,
    ArchiveInfo,
    archive_name,
    archive_writer,
    backup_prune,
    backup_verify,
    extract,
    remove_leftovers,
)
from .common import BackupError, RestoreError, count_rows, describe

ENGINES = {"sqlite": sqlite, "postgresql": postgresql}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    counts: dict[str, int]
    files: int
    # files under UPLOAD_DIR not archived, with why: links, special files, removed meanwhile
    skipped: list[str] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)
    # temporary files and directories of interrupted backups, removed first
    leftovers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RestoreResult:
    counts: dict[str, int]
    uploads: int
    count_mismatches: dict[str, tuple[int, int]]  # model: (manifest, database after restore)


def _engine(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in ENGINES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def backup_create(
    *, output_dir: Path | None = None, keep: int | None = None, alias: str = "default"
) -> BackupResult:
    """Write one archive of the database and the uploads; with `keep`, prune older ones.

    On any failure (disk full, unwritable directory, dump error) raises BackupError and leaves
    no archive and no temporary file behind.
    """
    if keep is not None and keep < 1:
        raise BackupError("--keep must be at least 1 (the archive just written is kept).")
    directory = Path(output_dir or settings.BACKUP_DIR)
    engine = _engine(alias)
    now = datetime.now(UTC)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        leftovers = remove_leftovers(directory)
        path = archive_name(directory, now)
        with tempfile.TemporaryDirectory(dir=directory, prefix=TEMP_PREFIX) as staging:
            dump = Path(staging) / "database"
            counts = ENGINES[engine].dump(alias, dump)
            skipped: list[str] = []
            with archive_writer(path) as writer:
                writer.add_file(DATABASE_MEMBERS[engine], dump)
                # the uploads after the database: a file uploaded meanwhile is harmless extra
                uploads.archive_uploads(writer, Path(settings.UPLOAD_DIR), skipped, directory)
                writer.add_manifest(engine=engine, created_at=now, counts=counts)
        size = path.stat().st_size
    except (OSError, sqlite3.Error, tarfile.TarError) as exc:
        raise BackupError(
            f"Backup failed: {describe(exc)}. No archive was written to {directory}."
        ) from exc
    except BackupError as exc:
        raise BackupError(f"{exc} No archive was written to {directory}.") from exc
    try:
        pruned = backup_prune(directory=directory, keep=keep) if keep else []
    except OSError as exc:
        raise BackupError(
            f"Wrote {path}, but deleting old archives failed: {describe(exc)}."
        ) from exc
    return BackupResult(
        path=path,
        size=size,
        counts=counts,
        files=len(writer.files) - 1,
        skipped=skipped,
        pruned=pruned,
        leftovers=leftovers,
    )


def backup_check_restorable(*, info: ArchiveInfo, alias: str = "default") -> None:
    """RestoreError unless this server can take the archive: same engine, archive kept apart."""
    upload_dir = Path(settings.UPLOAD_DIR)
    if info.path.resolve().is_relative_to(upload_dir.resolve()):
        raise RestoreError(
            f"The archive is inside UPLOAD_DIR ({upload_dir}), whose content a restore "
            f"replaces: move it elsewhere first."
        )
    current = connections[alias].vendor
    if info.engine != current:
        raise RestoreError(
            f"This archive holds a {ENGINE_NAMES[info.engine]} database but this server uses "
            f"{ENGINE_NAMES.get(current, current)} (DATABASE_URL). Restore it on a server with "
            f"the same engine; to move between engines use dumpdata/loaddata (README, "
            f'"Moving to PostgreSQL").'
        )


def backup_restore(
    *, archive: Path, info: ArchiveInfo | None = None, alias: str = "default"
) -> RestoreResult:
    """Replace the database and the uploads with the archive's; RestoreError if refused.

    Everything is unpacked and checked in a staging directory first, so a refused or
    unreadable archive changes nothing. Migrations newer than the archive are applied after.
    """
    info = info or backup_verify(archive=archive)
    backup_check_restorable(info=info, alias=alias)
    upload_dir = Path(settings.UPLOAD_DIR)
    try:
        upload_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=upload_dir))
    except OSError as exc:
        raise RestoreError(f"Cannot prepare {upload_dir}: {describe(exc)}") from exc
    try:
        extract(info, staging)
        staged_db = staging / DATABASE_MEMBERS[info.engine]
        connections.close_all()
        ENGINES[info.engine].restore(alias, staged_db)
        try:
            staged_uploads = staging / UPLOADS_PREFIX.rstrip("/")
            uploads.swap_uploads(staged_uploads, upload_dir, staging)
        except OSError as exc:
            raise RestoreError(
                f"The database was restored but replacing the uploads failed: {describe(exc)}. "
                f"The archive's files are in {staging}, the previous ones in {staging}/previous."
            ) from exc
    except BaseException:
        if staging.exists() and not (staging / "previous").exists():
            shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    call_command("migrate", interactive=False, verbosity=0, database=alias)
    return RestoreResult(
        counts=info.counts, uploads=info.uploads, count_mismatches=_count_mismatches(info, alias)
    )


def _count_mismatches(info: ArchiveInfo, alias: str) -> dict[str, tuple[int, int]]:
    wrapper = connections[alias]
    with wrapper.cursor() as cursor:
        existing = set(wrapper.introspection.table_names(cursor))
        now = count_rows(cursor, wrapper.ops.quote_name, existing)
    return {
        label: (expected, now.get(label, 0))
        for label, expected in info.counts.items()
        if now.get(label, 0) != expected
    }
