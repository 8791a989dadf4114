"""The archive itself: its members and manifest, writing and reading it, verifying, pruning.

An archive is a gzip-compressed tar named `benchtools-YYYYmmdd-HHMMSS.tar.gz` (UTC) holding
    database/db.sqlite3   a copy of a SQLite database (sqlite.py), or
    database/db.pgdump    `pg_dump --format=custom` of a PostgreSQL database (postgresql.py),
    uploads/…             every stored document file,
    manifest.json         format marker, versions, engine, creation time, row counts per model
                          and the size and sha256 of every other member (written last).
Nothing here knows how a database is copied or where documents are stored.
"""

import hashlib
import io
import json
import os
import platform
import re
import shutil
import socket
import tarfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

import django
from django.utils.dateparse import parse_datetime
from pydantic import AwareDatetime, BaseModel, NonNegativeInt, ValidationError

from .. import __version__
from ..files import TEMP_PREFIX, atomic_file
from .common import BackupError, RestoreError, describe

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
        return self.manifest["counts"]

    @property
    def created_at(self) -> datetime:  # as its manifest says (_Manifest checked it)
        return parse_datetime(self.manifest["created_at"])

    @property
    def uploads(self) -> int:
        return sum(1 for f in self.manifest["files"] if f["path"].startswith(UPLOADS_PREFIX))


# --- writing --------------------------------------------------------------------------------


class _HashingReader:
    """Reads a file for tarfile while computing its sha256 (one pass over the data)."""

    def __init__(self, handle: IO[bytes]):
        self._handle = handle
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.sha256.update(data)
        return data


class ArchiveWriter:
    """Adds members to an open archive, keeping each one's size and sha256 for the manifest."""

    def __init__(self, tar: tarfile.TarFile):
        self._tar = tar
        self.files: list[dict[str, Any]] = []

    def add(self, name: str, handle: IO[bytes], *, size: int, mtime: float) -> None:
        """Add `size` bytes read from `handle` as member `name`."""
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, int(mtime), 0o644
        reader = _HashingReader(handle)
        self._tar.addfile(info, reader)
        self.files.append({"path": name, "size": size, "sha256": reader.sha256.hexdigest()})

    def add_file(self, name: str, path: Path) -> None:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            self.add(name, handle, size=stat.st_size, mtime=stat.st_mtime)

    def add_manifest(
        self,
        *,
        engine: str,
        created_at: datetime,
        counts: dict[str, int],
        migrations: list[str],
    ) -> None:
        """Write the manifest of every member added so far: the last member of an archive.
        `migrations`: those applied to the archived database ("app.name"), by which a restore
        tells an archive of a newer version."""
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": __version__,
            "django_version": django.get_version(),
            "python_version": platform.python_version(),
            "database_engine": engine,
            "created_at": created_at.isoformat(),
            "hostname": socket.gethostname(),
            "counts": counts,
            "migrations": migrations,
            "files": self.files,
        }
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(body), int(created_at.timestamp()), 0o644
        self._tar.addfile(info, io.BytesIO(body))


@contextmanager
def archive_writer(path: Path) -> Iterator[ArchiveWriter]:
    """A new archive at `path`: complete when the block ends, absent if it fails."""
    with (
        atomic_file(path, exclusive=True) as raw,
        tarfile.open(fileobj=raw, mode="w:gz", compresslevel=COMPRESS_LEVEL) as tar,
    ):
        yield ArchiveWriter(tar)


def archive_name(directory: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    path = directory / f"benchtools-{stamp}.tar.gz"
    sequence = 1
    while path.exists():
        path = directory / f"benchtools-{stamp}-{sequence}.tar.gz"
        sequence += 1
    return path


# --- the backup directory -------------------------------------------------------------------


def _dated(path: Path) -> tuple[str, str, int]:
    match = ARCHIVE_PATTERN.match(path.name)
    return match[1], match[2], int(match[3] or 0)


def backup_archives(*, directory: Path) -> list[Path]:
    """The archives in `directory` (only names this module writes), oldest first."""
    if not directory.is_dir():
        return []
    found = [
        path
        for path in directory.iterdir()
        if ARCHIVE_PATTERN.match(path.name) and path.is_file() and not path.is_symlink()
    ]
    return sorted(found, key=_dated)


def backup_prune(*, directory: Path, keep: int, written: Path) -> tuple[list[Path], list[Path]]:
    """Delete the oldest archives beyond the newest `keep`, `written` (the archive just made)
    always kept and counted; returns what was deleted, and the archives dated after `written`,
    which are kept and not counted. Archives are dated by their names, and which clock was
    wrong cannot be told: one set back since made the later-dated archives the newest ones,
    one ahead then made archives that would otherwise take a place of --keep for years (a
    nightly --keep 7 kept one real archive beside six dated 2030)."""
    if keep < 1:
        raise BackupError("--keep must be at least 1 (the archive just written is kept).")
    others = [path for path in backup_archives(directory=directory) if path != written]
    earlier = [path for path in others if _dated(path) <= _dated(written)]
    later = [path for path in others if _dated(path) > _dated(written)]
    doomed = earlier[: max(len(earlier) - (keep - 1), 0)]
    for path in doomed:
        path.unlink()
    return doomed, later


def remove_leftovers(directory: Path) -> list[str]:
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


# --- reading and verifying ------------------------------------------------------------------


# what a member the archives of ours never hold says: a stranger's tarball, or a tampered one
REFUSED = "Refusing the archive (not a Linux BenchTools backup, or altered)"


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
        raise RestoreError(f"{REFUSED}: unsafe member path {name!r}.")
    if not member.isreg():
        kind = "link" if member.issym() or member.islnk() else "non-file"
        raise RestoreError(f"{REFUSED}: {name!r} is a {kind} member.")
    if not (
        name == MANIFEST
        or name in DATABASE_MEMBERS.values()
        or (name.startswith(UPLOADS_PREFIX) and not parts[1].startswith(STAGING_PREFIX))
    ):
        raise RestoreError(f"{REFUSED}: unexpected member {name!r}.")
    if name in seen:
        raise RestoreError(f"{REFUSED}: {name!r} appears twice.")
    seen.add(name)
    return name


def _open_archive(path: Path) -> tarfile.TarFile:
    if path.is_dir():
        raise RestoreError(f"{path} is a directory: give the archive's file (benchtools-….tar.gz).")
    if not path.is_file():
        raise RestoreError(f"{path}: no such archive.")
    try:
        return tarfile.open(path, mode="r:gz")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise RestoreError(f"{path} is not a backup archive (not a readable .tar.gz).") from exc


def _unreadable(path: Path, exc: BaseException) -> RestoreError:
    return RestoreError(f"{path} is corrupt or truncated ({describe(exc)}); nothing was changed.")


class _File(BaseModel, strict=True):
    path: str
    size: NonNegativeInt
    sha256: str


class _Manifest(BaseModel, strict=True):  # JSON's types: a count is a number, not "3" nor true
    # what a restore reads, in every version's manifest: one edited by hand is refused, named
    app_version: str
    created_at: AwareDatetime  # ISO 8601 with its UTC offset, as written
    database_engine: Literal["sqlite", "postgresql"]
    counts: dict[str, NonNegativeInt]
    migrations: list[str] = []  # absent from archives of the first versions
    files: list[_File]


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
    try:
        files = _Manifest.model_validate_json(raw).files
    except ValidationError as exc:
        error, where = exc.errors()[0], ".".join(str(part) for part in exc.errors()[0]["loc"])
        raise RestoreError(f"{path}: {MANIFEST} is malformed: {where}: {error['msg']}.") from None
    engine = manifest["database_engine"]
    if DATABASE_MEMBERS[engine] not in {entry.path for entry in files}:
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
            # tarfile ends its listing quietly at a header it cannot read after the first
            # member: the rest of the compressed stream, read to its end, has gzip's CRC say
            # whether the archive was damaged (a damaged one is "corrupt", not "not ours")
            while tar.fileobj.read(COPY_BUFFER):
                pass
    except RestoreError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _unreadable(archive, exc) from exc
    manifest = _validate_manifest(raw_manifest, archive)
    listed = {entry["path"]: (entry["size"], entry["sha256"]) for entry in manifest["files"]}
    for name, (size, sha256) in found.items():
        if name not in listed:
            raise RestoreError(f"{REFUSED}: {name!r} is not in its manifest.")
        if listed[name] != (size, sha256):
            raise RestoreError(
                f"Checksum mismatch for {name!r}: the archive is corrupt or was modified; "
                f"nothing was changed."
            )
    missing = sorted(set(listed) - set(found))
    if missing:
        raise RestoreError(f"{archive} is incomplete: {missing[0]!r} is missing.")
    return ArchiveInfo(path=archive, manifest=manifest)


def extract(info: ArchiveInfo, staging: Path) -> None:
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
                    raise RestoreError(f"{REFUSED}: unexpected member {name!r}.")
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
            f"Could not unpack the archive: {describe(exc)}; nothing was changed."
        ) from exc
    if written != set(listed):
        raise RestoreError(f"{info.path} changed while being restored; nothing was changed.")
