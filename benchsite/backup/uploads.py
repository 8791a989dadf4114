"""The uploads part of a backup: every file under UPLOAD_DIR into the archive, and back."""

import os
from collections.abc import Iterator
from pathlib import Path

from ..files import TEMP_PREFIX
from .archive import STAGING_PREFIX, UPLOADS_PREFIX, ArchiveWriter


def upload_files(root: Path, skipped: list[str], exclude: Path) -> Iterator[tuple[str, Path]]:
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


def archive_uploads(writer: ArchiveWriter, root: Path, skipped: list[str], exclude: Path) -> None:
    """Add every upload under `root` to the archive; what cannot be archived goes to `skipped`."""
    for name, upload in upload_files(root, skipped, exclude):
        try:
            writer.add_file(name, upload)
        except FileNotFoundError:
            # deleted since the walk (its document too, after the database copy)
            skipped.append(f"{name.removeprefix(UPLOADS_PREFIX)}: removed meanwhile")


def swap_uploads(staged: Path, uploads: Path, staging: Path) -> None:
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
