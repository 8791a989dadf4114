"""backup_create and backup_restore: the database module of the engine, the stored documents
and the archive put together, with the guarantees each promises (all or nothing, verify first)."""

import shutil
import sqlite3
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from benchmarks.models import RulesApplied
from documents import storage
from documents.models import Document
from documents.selectors import StoredFileProblem, document_file_rows, document_files

from .. import __version__
from ..backups_made import backup_recorded, backups_unrecordable
from ..files import TEMP_PREFIX
from . import postgresql, sqlite, uploads
from .archive import (
    DATABASE_MEMBERS,
    ENGINE_NAMES,
    UPLOADS_PREFIX,
    ArchiveInfo,
    archive_name,
    archive_writer,
    backup_prune,
    backup_verify,
    extract,
    remove_leftovers,
)
from .common import (
    BackupError,
    RestoreError,
    count_rows,
    describe,
    not_a_directory,
    owner_only,
)
from .notifications import Kept, keep_done, notifications_before
from .records import backups_kept, backups_known, documents_damaged, fileless_documents

ENGINES = {"sqlite": sqlite, "postgresql": postgresql}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    counts: dict[str, int]
    files: int
    # stored files not archived, with why: links, special files, removed meanwhile
    skipped: list[str] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)
    # archives dated after this one, kept and not counted by --keep (backup_prune)
    dated_later: list[Path] = field(default_factory=list)
    # temporary files and directories of interrupted backups, removed first
    leftovers: list[str] = field(default_factory=list)
    # documents of the archived database whose file the archive lacks or holds damaged: the
    # older archives are then kept (not pruned), they may hold the good copies
    problems: list[StoredFileProblem] = field(default_factory=list)
    # documents of the archived database deleted while the backup ran, their files with them:
    # in the archive without a file, which is no damage
    deleted_meanwhile: list[StoredFileProblem] = field(default_factory=list)


@dataclass(frozen=True)
class RestoreResult:
    counts: dict[str, int]
    uploads: int
    count_mismatches: dict[str, tuple[int, int]]  # model: (manifest, database after restore)
    # uploads whose archived bytes do not match their name: (name, an intact copy was kept)
    damaged: list[tuple[str, bool]] = field(default_factory=list)
    # documents of the restored database whose file the archive does not hold (a backup that
    # said so, made while documents were deleted): (document id, hostname, stored name)
    fileless: list[tuple[int, str, str]] = field(default_factory=list)
    # files in the uploads not in the archive that the server did not write (not named as it
    # names documents), left as they were
    left: list[str] = field(default_factory=list)
    # the notifications the archive holds as still to send: how many were delivered (or given
    # up) since it was made, kept so, and how many the database replaced had still to send
    notifications: Kept = field(default_factory=Kept)


# names tried when backups started in the same second take them (…-1.tar.gz, …-2.tar.gz)
NAME_ATTEMPTS = 5


def _engine(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in ENGINES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


@owner_only
def backup_create(
    *, output_dir: Path | None = None, keep: int | None = None, alias: str = "default"
) -> BackupResult:
    """Write one archive of the database and the uploads; with `keep`, prune older ones.

    On any failure (disk full, unwritable directory, dump error) raises BackupError and leaves
    no archive and no temporary file behind.
    """
    if keep is not None and keep < 1:
        raise BackupError("--keep must be at least 1 (the archive just written is kept).")
    # absolute, as recorded: "rel/benchtools-….tar.gz" said nothing of where it is
    directory = Path(output_dir or settings.BACKUP_DIR).absolute()
    if wrong := not_a_directory(directory):
        raise BackupError(f"Backup failed: {wrong} No archive was written.")
    upload_dir = storage.local_path()
    if (
        upload_dir is not None
        and directory.resolve().is_relative_to(upload_dir.resolve())
        and directory.resolve() != Path(settings.BACKUP_DIR).resolve()
    ):
        # a restore replaces UPLOAD_DIR's content (BACKUP_DIR alone is left out of it)
        raise BackupError(
            f"{directory} is inside UPLOAD_DIR ({upload_dir}): the next restore would delete "
            f"the archives there. Write them elsewhere."
        )
    engine = _engine(alias)
    now = datetime.now(UTC)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        leftovers = remove_leftovers(directory)
        with tempfile.TemporaryDirectory(dir=directory, prefix=TEMP_PREFIX) as staging:
            dump = Path(staging) / "database"
            # the documents' files as the archived database references them, read from the
            # same snapshot: a document deleted meanwhile (its file gone) is still checked for
            counts, rows = ENGINES[engine].dump(alias, dump, read=document_file_rows())
            referenced = document_files(rows)
            for attempt in range(NAME_ATTEMPTS):
                path, skipped = archive_name(directory, now), []
                try:
                    with archive_writer(path) as writer:
                        writer.add_file(DATABASE_MEMBERS[engine], dump)
                        # the uploads after the database: a file uploaded meanwhile is extra
                        uploads.archive_uploads(writer, skipped, directory, mtime=now.timestamp())
                        writer.add_manifest(
                            engine=engine,
                            created_at=now,
                            counts=counts,
                            migrations=_applied_migrations(alias),
                        )
                    break
                except FileExistsError:  # another backup of that second took the name: the next
                    if attempt == NAME_ATTEMPTS - 1:
                        raise
        size = path.stat().st_size
    except (OSError, sqlite3.Error, tarfile.TarError) as exc:
        raise BackupError(
            f"Backup failed: {describe(exc)}. No archive was written to {directory}."
        ) from exc
    except uploads.StorageFailure as exc:
        raise BackupError(f"Backup failed: {exc}. No archive was written to {directory}.") from exc
    except BackupError as exc:
        raise BackupError(f"{exc} No archive was written to {directory}.") from exc
    problems = _document_problems(referenced, writer.files)
    deleted_meanwhile = _deleted_meanwhile(problems, alias)
    problems = [problem for problem in problems if problem not in deleted_meanwhile]
    try:
        backup_recorded(path=path, created_at=now, size=size, damaged=len(problems), alias=alias)
    except DatabaseError as exc:
        raise BackupError(
            f"Wrote {path}, but recording it in the database failed ({describe(exc)}): the "
            f"dashboard will not count it.{backups_unrecordable(alias)}"
        ) from exc
    try:
        pruned, later = (
            backup_prune(directory=directory, keep=keep, written=path)
            if keep and not problems
            else ([], [])
        )
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
        dated_later=later,
        leftovers=leftovers,
        problems=problems,
        deleted_meanwhile=deleted_meanwhile,
    )


def _document_problems(
    referenced: dict[str, tuple[str, list[tuple[int, str]]]], archived: list[dict]
) -> list[StoredFileProblem]:
    """The documents whose file the archive lacks, or holds with other bytes than were
    uploaded (the SHA-256 recorded at upload, which the stored name is made of)."""
    sha256_of = {
        entry["path"].removeprefix(UPLOADS_PREFIX): entry["sha256"]
        for entry in archived
        if entry["path"].startswith(UPLOADS_PREFIX)
    }
    problems = []
    for name, (sha256, documents) in referenced.items():
        found = sha256_of.get(name)
        if found == sha256:
            continue
        problem = "missing" if found is None else "checksum differs"
        problems += [StoredFileProblem(pk, device, name, problem) for pk, device in documents]
    return problems


def _deleted_meanwhile(problems: list[StoredFileProblem], alias: str) -> list[StoredFileProblem]:
    """The missing files of documents deleted since the archived snapshot was read: deleting a
    document removes its file, which is then rightly absent."""
    missing = {problem.document_id for problem in problems if problem.problem == "missing"}
    if not missing:
        return []
    alive = set(Document.objects.using(alias).filter(pk__in=missing).values_list("pk", flat=True))
    return [p for p in problems if p.problem == "missing" and p.document_id not in alive]


def backup_check_restorable(*, info: ArchiveInfo, alias: str = "default") -> None:
    """RestoreError unless this server can take the archive: same engine, archive kept apart."""
    upload_dir, archive = storage.local_path(), info.path.resolve()
    # BACKUP_DIR inside UPLOAD_DIR is left out of a restore (uploads.remove_others)
    kept_apart = archive.is_relative_to(Path(settings.BACKUP_DIR).resolve())
    if upload_dir is not None and archive.is_relative_to(upload_dir.resolve()) and not kept_apart:
        raise RestoreError(
            f"The archive is inside UPLOAD_DIR ({upload_dir}), whose content a restore "
            f"replaces: move it elsewhere first."
        )
    unknown = sorted(set(info.manifest.get("migrations", ())) - _known_migrations())
    if unknown:
        made_by = str(info.manifest.get("app_version", "?"))
        # an older version still serving a database a newer one migrated (a server gone back
        # without the restore "Upgrade" asks for) makes such archives too, under its own number
        who = (
            "a newer version of Linux BenchTools"
            if _release(made_by) > _release(__version__)
            else f"version {made_by}, serving a database that a newer version had migrated"
        )
        raise RestoreError(
            f"{info.path.name} was made by {who}: its database has "
            f"{len(unknown)} migration(s) this version does not know ({', '.join(unknown[:5])}"
            f"{' …' if len(unknown) > 5 else ''}). Upgrade this server first (README, "
            f'"Upgrade"), then restore it; nothing was changed.'
        )
    current = connections[alias].vendor
    if info.engine != current:
        raise RestoreError(
            f"This archive holds a {ENGINE_NAMES[info.engine]} database but this server uses "
            f"{ENGINE_NAMES.get(current, current)} (DATABASE_URL). Restore it on a server with "
            f"the same engine; to move between engines use dumpdata/loaddata (README, "
            f'"Moving to PostgreSQL").'
        )


@owner_only
def backup_restore(
    *, archive: Path, info: ArchiveInfo | None = None, alias: str = "default"
) -> RestoreResult:
    """Replace the database and the stored documents with the archive's; RestoreError if
    refused. Migrations newer than the archive are applied after.

    Everything is unpacked and checked in a staging directory first, so a refused or
    unreadable archive changes nothing. Then the documents go into the storage (added or
    replaced, none removed, so the database in place still finds its files should this step
    fail), the database is replaced, and last the stored files the archive does not have go.
    """
    info = info or backup_verify(archive=archive)
    backup_check_restorable(info=info, alias=alias)
    directory = Path(settings.BACKUP_DIR)
    if wrong := not_a_directory(directory):
        raise RestoreError(f"Cannot restore: {wrong} Nothing was changed.")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # beside the archives, not in the storage: a killed restore's leftovers are then
        # removed by the next backup like a killed backup's
        staging = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=directory))
    except OSError as exc:
        raise RestoreError(f"Cannot prepare {directory}: {describe(exc)}") from exc
    listed = {entry["path"]: (entry["size"], entry["sha256"]) for entry in info.manifest["files"]}
    try:
        extract(info, staging)
        try:
            damaged = uploads.put_uploads(staging, listed)
        except uploads.StorageFailure as exc:
            raise RestoreError(
                f"Restoring the documents failed: {exc}. The database was not changed (the "
                f"storage may already hold some of the archive's files, which is harmless): "
                f"restore again once the storage works."
            ) from exc
        before, made = notifications_before(alias), backups_known(alias)
        connections.close_all()
        try:
            ENGINES[info.engine].restore(alias, staging / DATABASE_MEMBERS[info.engine])
        except RestoreError as exc:
            raise RestoreError(f"{exc} {uploads.MSG_ARCHIVES_FILES_LEFT}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # the archive's database as restored, before the migrations of a newer version add their
    # rows (permissions, content types): what it holds against what the manifest counted
    mismatches = _count_mismatches(info, alias)
    try:
        _rules_to_apply_again(info, alias)
        call_command("migrate", interactive=False, verbosity=0, database=alias)
    except Exception as exc:
        raise RestoreError(
            f"The archive's database was restored, but applying this version's migrations to "
            f"it failed: {describe(exc)}. The server cannot use it until they are applied: "
            f"fix the cause (a full disk?), then run manage.py migrate. The stored files the "
            f"archive does not have were left (check_documents --delete-unreferenced removes "
            f"them), and the restore is not recorded among the backups."
        ) from exc
    notifications = keep_done(before, alias)
    backups_kept(made, alias)
    fileless = fileless_documents(listed, alias)
    # its own record was written after it, not in it
    backup_recorded(
        path=archive.resolve(),
        created_at=info.created_at,
        size=archive.stat().st_size,
        damaged=documents_damaged(fileless, damaged, alias),
        restored_at=datetime.now(UTC),
        alias=alias,
    )
    try:
        # a document in the restored database whose file is not the archive's was uploaded
        # meanwhile, by a server still running: its file stays (it is the only copy)
        referenced = set(Document.objects.using(alias).values_list("stored_name", flat=True))
        left = uploads.remove_others(listed, directory, keep=referenced)
    except uploads.StorageFailure as exc:
        raise RestoreError(
            f"The database and the archive's documents were restored, but {exc}: restore "
            f"again, or remove them by hand (manage.py check_documents lists them)."
        ) from exc
    return RestoreResult(
        counts=info.counts,
        uploads=info.uploads,
        count_mismatches=mismatches,
        damaged=damaged,
        fileless=fileless,
        left=left,
        notifications=notifications,
    )


def _rules_to_apply_again(info: ArchiveInfo, alias: str) -> None:
    """Have the migrate that follows the restore of another version's archive apply this
    version's rules (README, "Upgrade"), whatever the archive says was applied: the rules
    change between versions of one scoring version (0.4.1 dated a run whose clock said year 1
    by its arrival), and an archive of 0.3.0 or 0.4.0 came back with such a run dated year 1,
    which the admin west of UTC could not show (500 on its device's page)."""
    if info.manifest.get("app_version") == __version__:
        return
    wrapper = connections[alias]
    with wrapper.cursor() as cursor:
        if RulesApplied._meta.db_table not in wrapper.introspection.table_names(cursor):
            return  # an archive older than the record: its migration leaves none, so rescore
    RulesApplied.objects.using(alias).all().delete()


def _applied_migrations(alias: str) -> list[str]:
    recorder = MigrationRecorder(connections[alias])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def _release(version: str) -> tuple[int, ...]:
    """0.7.0 as (0, 7, 0); a version not written so counts as newer than any."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (sys.maxsize,)


def _known_migrations() -> set[str]:
    """The migrations of this version's code, applied or not."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


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
