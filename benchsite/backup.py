"""Backup and restore of a whole server: its database, its uploads and a manifest, one archive.

An archive is a gzip-compressed tar named `benchtools-YYYYmmdd-HHMMSS.tar.gz` (UTC) holding
    database/db.sqlite3   a consistent copy made with SQLite's online backup API, or
    database/db.pgdump    `pg_dump --format=custom` of the configured PostgreSQL database,
    uploads/…             every file under UPLOAD_DIR,
    manifest.json         format marker, versions, engine, creation time, row counts per model
                          and the size and sha256 of every other member (written last).
Submissions keep being accepted while a backup runs: SQLite's backup reads one snapshot while
WAL lets writers commit; pg_dump reads one MVCC snapshot, exported from the transaction that
counted the rows, so the counts and the dump agree.

Restore verifies every member against the manifest before it touches anything, then replaces
the database (SQLite: the backup API into the live file, so open connections see either the old
or the new database; PostgreSQL: `pg_restore --clean --single-transaction`) and the uploads.
"""

import hashlib
import io
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from . import __version__
from .files import TEMP_PREFIX, atomic_file

FORMAT = "linux-benchtools-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
UPLOADS_PREFIX = "uploads/"
DATABASE_MEMBERS = {"sqlite": "database/db.sqlite3", "postgresql": "database/db.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
ARCHIVE_PATTERN = re.compile(r"^benchtools-(\d{8})-(\d{6})(?:-(\d{1,4}))?\.tar\.gz$")
STAGING_PREFIX = ".benchtools-restore-"
COMPRESS_LEVEL = 6  # gzip's default trade-off; 9 costs much more time for little gain
COPY_BUFFER = 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
# what a killed backup left (its staging directory, its half-written archive) goes once untouched
# this long; a backup or export writing now touches its files all the time
LEFTOVER_SECONDS = 3600

# PostgreSQL connection settings → libpq environment (the password never on a command line)
_PG_ENV = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
_PG_OPTIONS_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


class BackupError(Exception):
    """A backup that could not be made; nothing was left behind."""


class RestoreError(Exception):
    """An archive that is refused, or a restore that failed."""


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
class ArchiveInfo:
    """A verified archive: its manifest, whose every checksum matched."""

    path: Path
    manifest: dict[str, Any]

    @property
    def engine(self) -> str:
        return self.manifest["database_engine"]

    @property
    def counts(self) -> dict[str, int]:
        return self.manifest.get("counts", {})

    @property
    def uploads(self) -> int:
        return sum(1 for f in self.manifest["files"] if f["path"].startswith(UPLOADS_PREFIX))


@dataclass(frozen=True)
class RestoreResult:
    counts: dict[str, int]
    uploads: int
    count_mismatches: dict[str, tuple[int, int]]  # model: (manifest, database after restore)


# --- helpers --------------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__


class _HashingReader:
    """Reads a file for tarfile while computing its sha256 (one pass over the data)."""

    def __init__(self, handle: IO[bytes]):
        self._handle = handle
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.sha256.update(data)
        return data


def _engine(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _model_tables() -> dict[str, str]:
    """label → table of every model whose rows live in the database (m2m tables included)."""
    return {
        model._meta.label_lower: model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def _count_rows(cursor, quote, existing: set[str]) -> dict[str, int]:
    counts = {}
    for label, table in sorted(_model_tables().items()):
        if table in existing:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (model tables)
            counts[label] = cursor.fetchone()[0]
    return counts


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_environment(settings_dict: dict) -> dict[str, str]:
    env = dict(os.environ)
    for key, variable in _PG_ENV.items():
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    for key, variable in _PG_OPTIONS_ENV.items():
        if settings_dict.get("OPTIONS", {}).get(key):
            env[variable] = str(settings_dict["OPTIONS"][key])
    env["PGDATABASE"] = settings_dict["NAME"]
    return env


def _pg_conninfo_dbname(name: str) -> str:
    return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run(command: list[str], env: dict[str, str], error: type[Exception]) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise error(
            f"{command[0]} is not installed: install the PostgreSQL client "
            f"(Debian: apt-get install postgresql-client)."
        ) from None
    if done.returncode != 0:
        detail = done.stderr.strip() or f"exit status {done.returncode}"
        raise error(f"{command[0]} failed: {detail}")


# --- backup ---------------------------------------------------------------------------------


def _sqlite_dump(alias: str, target_path: Path) -> dict[str, int]:
    wrapper = connections[alias]
    if wrapper.is_in_memory_db():
        wrapper.ensure_connection()  # only its own connection can see an in-memory database
        source, own_source = wrapper.connection, False
    else:
        timeout = wrapper.settings_dict.get("OPTIONS", {}).get("timeout", 30)
        # mode=rw: a wrong path is an error, not a new empty database
        uri = Path(wrapper.settings_dict["NAME"]).absolute().as_uri() + "?mode=rw"
        source, own_source = sqlite3.connect(uri, uri=True, timeout=timeout), True
    target = sqlite3.connect(target_path)
    try:
        # One step (pages=-1): a single read transaction, so one consistent snapshot; in WAL
        # mode writers keep committing meanwhile.
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        status = target.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"The database copy failed its integrity check: {status}")
        cursor = target.cursor()
        existing = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master")}
        return _count_rows(cursor, _sqlite_quote, existing)
    finally:
        target.close()
        if own_source:
            source.close()


def _postgresql_dump(alias: str, target_path: Path) -> dict[str, int]:
    live = connections[alias]
    # A connection of its own, outside Django's: its transaction stays open while pg_dump runs.
    wrapper = type(live)(dict(live.settings_dict), alias=f"{alias}-backup")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            existing = set(wrapper.introspection.table_names(cursor))
            counts = _count_rows(cursor, wrapper.ops.quote_name, existing)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={target_path}",
                ],
                _pg_environment(wrapper.settings_dict),
                BackupError,
            )
            cursor.execute("COMMIT")
        return counts
    finally:
        wrapper.close()


def _upload_files(root: Path, skipped: list[str], exclude: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    exclude = exclude.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        # a restore's staging area, a half-written temporary file or the archives themselves
        # (BACKUP_DIR inside UPLOAD_DIR) are not uploads
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith((STAGING_PREFIX, TEMP_PREFIX))
            and (Path(dirpath) / d).resolve() != exclude
        )
        for name in sorted(filenames):
            path = Path(dirpath) / name
            relative = path.relative_to(root).as_posix()
            if name.startswith(TEMP_PREFIX):
                continue
            if path.is_symlink() or not path.is_file():
                skipped.append(f"{relative}: not a regular file")
                continue
            yield UPLOADS_PREFIX + relative, path


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"path": name, "size": stat.st_size, "sha256": reader.sha256.hexdigest()}


def _archive_name(directory: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    path = directory / f"benchtools-{stamp}.tar.gz"
    sequence = 1
    while path.exists():
        path = directory / f"benchtools-{stamp}-{sequence}.tar.gz"
        sequence += 1
    return path


def backup_archives(*, directory: Path) -> list[Path]:
    """The archives in `directory` (only names this module writes), oldest first."""

    def key(path: Path):
        match = ARCHIVE_PATTERN.match(path.name)
        return match[1], match[2], int(match[3] or 0)

    if not directory.is_dir():
        return []
    found = [
        path
        for path in directory.iterdir()
        if ARCHIVE_PATTERN.match(path.name) and path.is_file() and not path.is_symlink()
    ]
    return sorted(found, key=key)


def backup_prune(*, directory: Path, keep: int) -> list[Path]:
    """Delete the oldest archives beyond the newest `keep`; returns what was deleted."""
    if keep < 1:
        raise BackupError("--keep must be at least 1 (the archive just written is kept).")
    doomed = backup_archives(directory=directory)[:-keep]
    for path in doomed:
        path.unlink()
    return doomed


def _remove_leftovers(directory: Path) -> list[str]:
    """Remove from `directory` what an interrupted backup left (killed, power cut): its
    staging directory with the database copy and its half-written archive, both named
    TEMP_PREFIX…, once nothing in them changed for LEFTOVER_SECONDS. Best effort: what cannot
    be removed stays for the next run."""
    cutoff = time.time() - LEFTOVER_SECONDS
    removed = []
    for entry in directory.iterdir():
        if not entry.name.startswith(TEMP_PREFIX) or entry.is_symlink():
            continue
        try:
            paths = [entry, *entry.rglob("*")] if entry.is_dir() else [entry]
            if max(path.lstat().st_mtime for path in paths) > cutoff:
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            continue
        removed.append(entry.name)
    return removed


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
        leftovers = _remove_leftovers(directory)
        path = _archive_name(directory, now)
        with tempfile.TemporaryDirectory(dir=directory, prefix=TEMP_PREFIX) as staging:
            dump = Path(staging) / "database"
            dump_database = _sqlite_dump if engine == "sqlite" else _postgresql_dump
            counts = dump_database(alias, dump)
            skipped: list[str] = []
            with (
                atomic_file(path, exclusive=True) as raw,
                tarfile.open(fileobj=raw, mode="w:gz", compresslevel=COMPRESS_LEVEL) as tar,
            ):
                files = [_add_file(tar, DATABASE_MEMBERS[engine], dump)]
                # the uploads after the database: a file uploaded meanwhile is harmless extra
                for name, upload in _upload_files(Path(settings.UPLOAD_DIR), skipped, directory):
                    try:
                        files.append(_add_file(tar, name, upload))
                    except FileNotFoundError:
                        # deleted since the walk (its document too, after the database copy)
                        skipped.append(f"{name.removeprefix(UPLOADS_PREFIX)}: removed meanwhile")
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "app_version": __version__,
                    "django_version": django.get_version(),
                    "python_version": platform.python_version(),
                    "database_engine": engine,
                    "created_at": now.isoformat(),
                    "hostname": socket.gethostname(),
                    "counts": counts,
                    "files": files,
                }
                body = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o644
                tar.addfile(info, io.BytesIO(body))
        size = path.stat().st_size
    except (OSError, sqlite3.Error, tarfile.TarError) as exc:
        raise BackupError(
            f"Backup failed: {_describe(exc)}. No archive was written to {directory}."
        ) from exc
    except BackupError as exc:
        raise BackupError(f"{exc} No archive was written to {directory}.") from exc
    try:
        pruned = backup_prune(directory=directory, keep=keep) if keep else []
    except OSError as exc:
        raise BackupError(
            f"Wrote {path}, but deleting old archives failed: {_describe(exc)}."
        ) from exc
    return BackupResult(
        path=path,
        size=size,
        counts=counts,
        files=len(files) - 1,
        skipped=skipped,
        pruned=pruned,
        leftovers=leftovers,
    )


# --- verify ---------------------------------------------------------------------------------


def _check_member(member: tarfile.TarInfo, seen: set[str]) -> str:
    """The member's name if it may be in an archive of ours; RestoreError otherwise."""
    name = member.name
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise RestoreError(f"Refusing the archive: unsafe member path {name!r}.")
    if not member.isreg():
        kind = "link" if member.issym() or member.islnk() else "non-file"
        raise RestoreError(f"Refusing the archive: {name!r} is a {kind} member.")
    if not (
        name == MANIFEST
        or name in DATABASE_MEMBERS.values()
        or (name.startswith(UPLOADS_PREFIX) and not parts[1].startswith(STAGING_PREFIX))
    ):
        raise RestoreError(f"Refusing the archive: unexpected member {name!r}.")
    if name in seen:
        raise RestoreError(f"Refusing the archive: {name!r} appears twice.")
    seen.add(name)
    return name


def _open_archive(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise RestoreError(f"{path}: no such archive.")
    try:
        return tarfile.open(path, mode="r:gz")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise RestoreError(f"{path} is not a backup archive (not a readable .tar.gz).") from exc


def _unreadable(path: Path, exc: BaseException) -> RestoreError:
    return RestoreError(f"{path} is corrupt or truncated ({_describe(exc)}); nothing was changed.")


def _validate_manifest(raw: bytes | None, path: Path) -> dict[str, Any]:
    if raw is None:
        raise RestoreError(f"{path} is not a Linux BenchTools backup: it has no {MANIFEST}.")
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise RestoreError(f"{path}: {MANIFEST} is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreError(f"{path} is not a Linux BenchTools backup (wrong format marker).")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise RestoreError(
            f"{path} has backup format {version!r}; this version reads format {FORMAT_VERSION}."
        )
    engine = manifest.get("database_engine")
    files = manifest.get("files")
    if engine not in DATABASE_MEMBERS or not isinstance(files, list):
        raise RestoreError(f"{path}: {MANIFEST} is incomplete (engine or file list).")
    for entry in files:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
        ):
            raise RestoreError(f"{path}: {MANIFEST} has a malformed file entry.")
    if DATABASE_MEMBERS[engine] not in {entry["path"] for entry in files}:
        raise RestoreError(f"{path}: the manifest lists no {ENGINE_NAMES[engine]} database.")
    return manifest


def backup_verify(*, archive: Path) -> ArchiveInfo:
    """Read the whole archive and check every member against the manifest; change nothing."""
    archive = Path(archive)
    found: dict[str, tuple[int, str]] = {}
    raw_manifest = None
    seen: set[str] = set()
    try:
        with _open_archive(archive) as tar:
            for member in tar:
                name = _check_member(member, seen)
                handle = tar.extractfile(member)
                if name == MANIFEST:
                    if member.size > MAX_MANIFEST_BYTES:
                        raise RestoreError(f"{archive}: {MANIFEST} is implausibly large.")
                    raw_manifest = handle.read()
                    continue
                digest, size = hashlib.sha256(), 0
                while chunk := handle.read(COPY_BUFFER):
                    digest.update(chunk)
                    size += len(chunk)
                found[name] = (size, digest.hexdigest())
    except RestoreError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _unreadable(archive, exc) from exc
    manifest = _validate_manifest(raw_manifest, archive)
    listed = {entry["path"]: (entry["size"], entry["sha256"]) for entry in manifest["files"]}
    for name, (size, sha256) in found.items():
        if name not in listed:
            raise RestoreError(f"Refusing the archive: {name!r} is not in its manifest.")
        if listed[name] != (size, sha256):
            raise RestoreError(
                f"Checksum mismatch for {name!r}: the archive is corrupt or was modified; "
                f"nothing was changed."
            )
    missing = sorted(set(listed) - set(found))
    if missing:
        raise RestoreError(f"{archive} is incomplete: {missing[0]!r} is missing.")
    return ArchiveInfo(path=archive, manifest=manifest)


def backup_check_restorable(*, info: ArchiveInfo, alias: str = "default") -> None:
    """RestoreError unless this server can take the archive: same engine, archive kept apart."""
    uploads = Path(settings.UPLOAD_DIR)
    if info.path.resolve().is_relative_to(uploads.resolve()):
        raise RestoreError(
            f"The archive is inside UPLOAD_DIR ({uploads}), whose content a restore replaces: "
            f"move it elsewhere first."
        )
    current = connections[alias].vendor
    if info.engine != current:
        raise RestoreError(
            f"This archive holds a {ENGINE_NAMES[info.engine]} database but this server uses "
            f"{ENGINE_NAMES.get(current, current)} (DATABASE_URL). Restore it on a server with "
            f"the same engine; to move between engines use dumpdata/loaddata (README, "
            f'"Moving to PostgreSQL").'
        )


# --- restore --------------------------------------------------------------------------------


def _extract(info: ArchiveInfo, staging: Path) -> None:
    """Write every member under `staging`, checking each checksum again as it is written."""
    listed = {entry["path"]: (entry["size"], entry["sha256"]) for entry in info.manifest["files"]}
    written: set[str] = set()
    seen: set[str] = set()
    root = staging.resolve()
    try:
        with _open_archive(info.path) as tar:
            for member in tar:
                name = _check_member(member, seen)
                if name == MANIFEST:
                    continue
                target = (staging / name).resolve()
                if not target.is_relative_to(root) or name not in listed:
                    raise RestoreError(f"Refusing the archive: unexpected member {name!r}.")
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                source = tar.extractfile(member)
                with target.open("xb") as out:
                    while chunk := source.read(COPY_BUFFER):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                if (size, digest.hexdigest()) != listed[name]:
                    raise RestoreError(
                        f"Checksum mismatch for {name!r} (the archive changed while being "
                        f"restored); nothing was changed."
                    )
                written.add(name)
    except RestoreError:
        raise
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise _unreadable(info.path, exc) from exc
    except OSError as exc:
        raise RestoreError(
            f"Could not unpack the archive: {_describe(exc)}; nothing was changed."
        ) from exc
    if written != set(listed):
        raise RestoreError(f"{info.path} changed while being restored; nothing was changed.")


def _sqlite_restore(alias: str, staged: Path) -> None:
    source = sqlite3.connect(staged)
    try:
        status = source.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise RestoreError(f"The archived database failed its integrity check: {status}")
        wrapper = connections[alias]
        if wrapper.is_in_memory_db():
            wrapper.ensure_connection()
            source.backup(wrapper.connection, pages=-1)
            return
        timeout = wrapper.settings_dict.get("OPTIONS", {}).get("timeout", 30)
        target = sqlite3.connect(wrapper.settings_dict["NAME"], timeout=timeout)
        try:
            # Through SQLite's own locking, in one step: a server that still has the file open
            # sees the old database or the new one, never a mix (a file swap could not promise
            # that with WAL).
            source.backup(target, pages=-1)
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise RestoreError(f"Restoring the SQLite database failed: {exc}") from exc
    finally:
        source.close()


def _postgresql_restore(alias: str, staged: Path) -> None:
    settings_dict = connections[alias].settings_dict
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",  # all or nothing: a failed restore leaves the old data
            "--no-password",
            f"--dbname={_pg_conninfo_dbname(settings_dict['NAME'])}",
            str(staged),
        ],
        _pg_environment(settings_dict),
        RestoreError,
    )


def _swap_uploads(staged: Path, uploads: Path, staging: Path) -> None:
    """Replace the content of `uploads` by `staged` with renames (same file system).

    The directory itself stays (it may be a mount point, e.g. a Docker volume).
    """
    previous = staging / "previous"
    previous.mkdir()
    for entry in uploads.iterdir():
        if entry.resolve() != staging.resolve() and not entry.name.startswith(STAGING_PREFIX):
            entry.rename(previous / entry.name)
    if staged.is_dir():
        for entry in staged.iterdir():
            entry.rename(uploads / entry.name)


def backup_restore(
    *, archive: Path, info: ArchiveInfo | None = None, alias: str = "default"
) -> RestoreResult:
    """Replace the database and the uploads with the archive's; RestoreError if refused.

    Everything is unpacked and checked in a staging directory first, so a refused or
    unreadable archive changes nothing. Migrations newer than the archive are applied after.
    """
    info = info or backup_verify(archive=archive)
    backup_check_restorable(info=info, alias=alias)
    uploads = Path(settings.UPLOAD_DIR)
    try:
        uploads.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=uploads))
    except OSError as exc:
        raise RestoreError(f"Cannot prepare {uploads}: {_describe(exc)}") from exc
    try:
        _extract(info, staging)
        staged_db = staging / DATABASE_MEMBERS[info.engine]
        connections.close_all()
        if info.engine == "sqlite":
            _sqlite_restore(alias, staged_db)
        else:
            _postgresql_restore(alias, staged_db)
        try:
            _swap_uploads(staging / UPLOADS_PREFIX.rstrip("/"), uploads, staging)
        except OSError as exc:
            raise RestoreError(
                f"The database was restored but replacing the uploads failed: {_describe(exc)}. "
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
        now = _count_rows(cursor, wrapper.ops.quote_name, existing)
    return {
        label: (expected, now.get(label, 0))
        for label, expected in info.counts.items()
        if now.get(label, 0) != expected
    }
