"""Files written all at once or not at all (backups, exports)."""

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

TEMP_PREFIX = ".benchtools-tmp-"


@contextmanager
def atomic_file(
    final: Path,
    *,
    mode: str = "wb",
    permissions: int = 0o600,
    exclusive: bool = False,
    **kwargs: Any,
) -> Iterator[IO]:
    """Open a temporary file beside `final`; on success it is synced and renamed to `final`.

    On any error (disk full, interrupted) the temporary file is removed, so `final` is either
    complete or absent — never partial. The rename is atomic because both are in one directory.
    `exclusive`: never replace an existing `final` (FileExistsError instead).

    A symbolic link is followed: the file it points to is written, the link kept. Anything
    else that is not a regular file (/dev/null, a FIFO, a directory) is refused with an OSError
    before anything is written: renaming onto it replaced it (as root, /dev/null itself).
    """
    final = Path(os.path.realpath(final))
    with suppress(FileNotFoundError):
        if not stat.S_ISREG(os.stat(final).st_mode):
            raise OSError(
                errno.EINVAL,
                "not a regular file (a device, a pipe or a directory), which a whole file "
                "would replace: give a file's path, or write to standard output",
            )
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=TEMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, permissions)
        if exclusive:
            os.link(tmp, final)  # fails if `final` exists: two writers never overwrite
            os.unlink(tmp)
        else:
            os.replace(tmp, final)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_directory(final.parent)


def fsync_directory(path: Path) -> None:
    """Make a rename in `path` durable (the directory entry itself is data)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
