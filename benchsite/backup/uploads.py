"""The uploads part of a backup: every stored document file into the archive, and back.

Through the storage API (documents.storage), wherever the files live: this server's UPLOAD_DIR
or the object storage that every server of a fleet shares. A backup taken on any server holds
every document; a restore puts them into the storage the restoring server is configured with.
"""

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from documents import storage
from documents.services import document_file_release

from ..files import TEMP_PREFIX
from .archive import STAGING_PREFIX, UPLOADS_PREFIX, ArchiveWriter


class StorageFailure(Exception):
    """The document storage failed (a backend error, e.g. an unreachable object store)."""


def stored_files(skipped: list[str], exclude: Path) -> Iterator[str]:
    """The stored files to archive, by name. In a local directory, what is no upload is left
    out: a half-written temporary file, the staging area of a restore by an earlier version,
    the archives themselves (BACKUP_DIR inside UPLOAD_DIR, and `exclude`, where this backup
    writes: backup --output-dir elsewhere archived BACKUP_DIR's archives); links and special
    files too, noted in `skipped`."""
    root = storage.local_path()
    if root is None:
        yield from storage.walk()
        return
    excluded = {exclude.resolve(), Path(settings.BACKUP_DIR).resolve()}

    def descend(directory: str) -> bool:
        path = root / directory
        return not (
            path.name.startswith((STAGING_PREFIX, TEMP_PREFIX))
            or path.is_symlink()
            or path.resolve() in excluded
        )

    for name in storage.walk(descend=descend):
        path = root / name
        if path.name.startswith(TEMP_PREFIX):
            continue
        if path.is_symlink() or not path.is_file():
            skipped.append(f"{name}: not a regular file")
            continue
        yield name


def archive_uploads(writer: ArchiveWriter, skipped: list[str], exclude: Path, mtime: float):
    """Add every stored file to the archive; what cannot be archived goes to `skipped`."""
    try:
        for name in stored_files(skipped, exclude):
            try:
                with storage.open_stored(name) as handle:
                    # an object's own time would cost one more request per object
                    writer.add(UPLOADS_PREFIX + name, handle, size=handle.size, mtime=mtime)
            except FileNotFoundError:
                # deleted since the listing (its document too, after the database copy)
                skipped.append(f"{name}: removed meanwhile")
    except OSError:
        raise  # the archive's disk or a local storage: said as the operating system says it
    except Exception as exc:
        # an object store's own errors (botocore's) are no OSErrors
        raise StorageFailure(f"reading the document storage failed: {exc}") from exc


def _holds(name: str, size: int, sha256: str) -> bool:
    try:
        return storage.size(name) == size and storage.sha256_of(name) == sha256
    except FileNotFoundError:
        return False


# a restore that failed after put_uploads: said with its error
MSG_ARCHIVES_FILES_LEFT = (
    "The archive's documents were put in the storage beside those in place, which is "
    "harmless (the database references none of the new ones): manage.py check_documents "
    "--delete-unreferenced removes them."
)


def put_uploads(staged: Path, listed: dict[str, tuple[int, str]]) -> list[tuple[str, bool]]:
    """Store every upload of the archive (extracted and verified under `staged`) under its
    name, unless the storage already holds those very bytes. Adds and replaces, never
    removes: the database in place still finds every file it references.

    A document's file is named by the SHA-256 of its content. An archived copy whose bytes do
    not match its name was damaged before the backup (which said so): it never replaces a
    stored copy that does match. Returns those names, each with whether an intact copy was
    kept (else the damaged one is stored, the best there is). Should one fail (a full disk),
    the files this call added are removed again: the storage is left as it was found, less
    the damaged copies already replaced."""
    damaged = []
    added: list[str] = []
    for member, (size, sha256) in sorted(listed.items()):
        if not member.startswith(UPLOADS_PREFIX):
            continue
        name = member.removeprefix(UPLOADS_PREFIX)
        try:
            content = storage.content_of(name)
            if content is not None and content != sha256:
                intact = _intact(name, content)
                damaged.append((name, intact))
                if intact:
                    continue
            elif _holds(name, size, sha256):
                continue
            if not storage.exists(name):
                added.append(name)  # before writing: a copy cut short goes too
            with (staged / member).open("rb") as file:
                storage.replace(name, file)
        except Exception as exc:
            for done in added:
                try:
                    storage.remove(done)
                except Exception as undo:
                    # an object store that stopped answering: each removal waited out its
                    # timeout, for hours; what is left is no document's (MSG_ARCHIVES_FILES_LEFT)
                    if storage.is_unavailable(undo):
                        break
            raise StorageFailure(f"storing {name} failed: {exc}") from exc
    return damaged


def _intact(name: str, content: str) -> bool:
    try:
        return storage.sha256_of(name) == content
    except FileNotFoundError:
        return False


def remove_others(
    listed: dict[str, tuple[int, str]], exclude: Path, *, keep: set[str] = frozenset()
) -> list[str]:
    """Remove the stored files that are not uploads of the archive, nor in `keep`, among those
    the server writes (documents.storage.stored_name), nor a document's by then; returns the
    others left as they were. A README or a lost+found/ of the file system UPLOAD_DIR is the
    mount point of was removed."""
    keep = {name.removeprefix(UPLOADS_PREFIX) for name in listed} | keep
    left = []
    try:
        # listed whole first: no storage promises a listing that stays right while it deletes
        for name in list(stored_files([], exclude)):
            if name in keep:
                continue
            sha256 = storage.content_of(name)
            if sha256 is None:
                left.append(name)
                continue
            # under the content's lock, unless a document has it now: a server still running
            # writes an upload's file before its row commits (`keep` was read before that)
            document_file_release(sha256=sha256, stored_name=name)
    except Exception as exc:
        raise StorageFailure(f"removing stored files not in the archive failed: {exc}") from exc
    return left
