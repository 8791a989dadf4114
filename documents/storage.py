"""Content-addressed storage of documents, and the type check every upload passes.

Layout. Each distinct content is stored once, through Django's default storage (DOCUMENT_STORAGE:
FileSystemStorage at UPLOAD_DIR, or S3-compatible object storage through django-storages), under

    <first two hex digits of its SHA-256>/<SHA-256>.<extension of its sniffed type>

e.g. `3f/3f2a…c9.pdf`. The two-digit fan-out keeps directories small. Nothing the client sent
(its filename, its content type) ever becomes part of a stored name. Whether a stored file is
still referenced is the database's business (services.document_file_release), not this module's.

Types. What may be stored is decided from the bytes alone: PDF, PNG, JPEG, WebP and GIF by their
signatures (the `filetype` library, confirmed by our stricter check of the full magic), and plain
text (valid UTF-8 without NUL bytes) that is neither markup nor a script. Everything else is
refused: executables (PE, ELF, Mach-O), scripts (a `#!` first line), HTML/SVG/XML, archives,
PostScript and unrecognised binary data.
"""

import codecs
import hashlib
import logging
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import filetype
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)

MSG_TOO_LARGE = "The file is larger than the limit of {limit}."
MSG_EMPTY = "The file is empty."
MSG_EXECUTABLE = "Executable files are not accepted ({kind})."
MSG_SCRIPT = "Scripts are not accepted (the file starts with '#!')."
MSG_MARKUP = "HTML, SVG and XML documents are not accepted."
MSG_UNSUPPORTED = (
    "This type of file is not accepted ({kind}). Accepted: PDF, PNG, JPEG, WebP, GIF and plain "
    "UTF-8 text."
)


class UploadRejected(Exception):
    """An upload that must not be stored; the message says why, for people."""


class UploadTooLarge(UploadRejected):
    @classmethod
    def over(cls, max_bytes: int) -> "UploadTooLarge":
        return cls(MSG_TOO_LARGE.format(limit=size_label(max_bytes)))


class UnsupportedContent(UploadRejected):
    pass


@dataclass(frozen=True)
class FileKind:
    """An accepted type: what downloads announce, and the extension of stored names."""

    mime_type: str
    extension: str
    # extensions a download may keep; any other gets `extension` appended (see filenames.py)
    extensions: frozenset[str]


PDF = FileKind("application/pdf", "pdf", frozenset({"pdf"}))
PNG = FileKind("image/png", "png", frozenset({"png"}))
JPEG = FileKind("image/jpeg", "jpg", frozenset({"jpg", "jpeg", "jpe", "jfif"}))
WEBP = FileKind("image/webp", "webp", frozenset({"webp"}))
GIF = FileKind("image/gif", "gif", frozenset({"gif"}))
TEXT = FileKind(
    "text/plain",
    "txt",
    # formats that are plain text and that no desktop opens as something executable or rendered
    frozenset(
        {"txt", "text", "log", "md", "markdown", "rst", "csv", "tsv", "json", "yaml", "yml"}
        | {"toml", "ini", "conf", "cfg", "nfo", "asc", "diff", "patch", "out", "lst", "dmesg"}
    ),
)
KINDS = (PDF, PNG, JPEG, WEBP, GIF, TEXT)
KIND_BY_MIME = {kind.mime_type: kind for kind in KINDS}

# filetype reports an animated PNG separately; it is a PNG all the same.
_FILETYPE_ALIASES = {"image/apng": "image/png"}
# The full magic of each binary kind: filetype matches some on fewer bytes (GIF on "GIF", so a
# text file that begins "GIFs…" would pass for an image).
_SIGNATURES: dict[FileKind, Callable[[bytes], bool]] = {
    PDF: lambda head: head.startswith(b"%PDF-"),
    PNG: lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    JPEG: lambda head: head.startswith(b"\xff\xd8\xff"),
    WEBP: lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    GIF: lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
}
_EXECUTABLES = (
    (b"MZ", "Windows PE"),
    (b"\x7fELF", "ELF"),
    (b"\xfe\xed\xfa\xce", "Mach-O"),
    (b"\xfe\xed\xfa\xcf", "Mach-O"),
    (b"\xce\xfa\xed\xfe", "Mach-O"),
    (b"\xcf\xfa\xed\xfe", "Mach-O"),
    (b"\xca\xfe\xba\xbe", "Mach-O universal binary or Java class"),
)
# Markup that a browser or an XML viewer would render or run, looked for (case-insensitively)
# in the head of text: the classic content-sniffing markers of HTML, SVG and XML.
_MARKUP_MARKERS = (
    b"<!doctype",
    b"<?xml",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<svg",
    b"<object",
    b"<embed",
    b"<!entity",
    b"<xsl:",
)
_MARKUP_WINDOW = 1024
_UTF8_BOM = codecs.BOM_UTF8
# filetype never looks further than this into a file.
SNIFF_BYTES = 8192


def sniff(head: bytes, *, is_text: bool) -> FileKind:
    """The accepted kind of a content, from its first SNIFF_BYTES bytes and whether the whole
    of it is valid UTF-8 without NUL bytes. Raises UnsupportedContent for anything else."""
    for magic, label in _EXECUTABLES:
        if head.startswith(magic):
            raise UnsupportedContent(MSG_EXECUTABLE.format(kind=label))
    body = head.removeprefix(_UTF8_BOM)
    if body.startswith(b"#!"):
        raise UnsupportedContent(MSG_SCRIPT)
    guess = filetype.guess(head)
    if guess is not None:
        kind = KIND_BY_MIME.get(_FILETYPE_ALIASES.get(guess.mime, guess.mime))
        if kind in _SIGNATURES and _SIGNATURES[kind](head):
            return kind
    if is_text:
        # A text whose first bytes look like some binary format ("BM…", "ID3…") is still text.
        if _is_markup(body):
            raise UnsupportedContent(MSG_MARKUP)
        if body.startswith(b"%!"):
            raise UnsupportedContent(MSG_UNSUPPORTED.format(kind="PostScript"))
        return TEXT
    raise UnsupportedContent(
        MSG_UNSUPPORTED.format(kind=guess.mime if guess else "unrecognised binary data")
    )


def _is_markup(body: bytes) -> bool:
    start = body.lstrip()
    if start.startswith(b"<"):
        return True
    window = start[:_MARKUP_WINDOW].lower()
    return any(marker in window for marker in _MARKUP_MARKERS)


class _TextCheck:
    """Incremental "is all of it valid UTF-8 without NUL bytes?"."""

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.ok = True

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        if not self.ok:
            return
        if b"\x00" in chunk:
            self.ok = False
            return
        try:
            self._decoder.decode(chunk, final)
        except UnicodeDecodeError:
            self.ok = False


@dataclass(frozen=True)
class Spooled:
    """An upload copied to a local temporary file, hashed and checked."""

    file: IO[bytes]
    sha256: str
    size_bytes: int
    kind: FileKind


def size_label(max_bytes: int) -> str:
    return f"{max_bytes / 2**20:g} MB"


@contextmanager
def spool(chunks: Iterable[bytes], *, max_bytes: int) -> Iterator[Spooled]:
    """Copy an upload into a temporary file, hashing and checking it on the way.

    Raises UploadTooLarge as soon as more than `max_bytes` arrived (nothing further is read) and
    UnsupportedContent when the content is empty or not an accepted type. The temporary file is
    removed when the block ends.
    """
    digest = hashlib.sha256()
    text = _TextCheck()
    head = bytearray()
    size = 0
    with tempfile.TemporaryFile(
        prefix="benchtools-upload-", dir=settings.FILE_UPLOAD_TEMP_DIR
    ) as temporary:
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise UploadTooLarge.over(max_bytes)
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            digest.update(chunk)
            text.feed(chunk)
            temporary.write(chunk)
        if size == 0:
            raise UnsupportedContent(MSG_EMPTY)
        text.feed(b"", final=True)
        kind = sniff(bytes(head), is_text=text.ok)
        temporary.seek(0)
        yield Spooled(file=temporary, sha256=digest.hexdigest(), size_bytes=size, kind=kind)


def stored_name(sha256: str, kind: FileKind) -> str:
    return f"{sha256[:2]}/{sha256}.{kind.extension}"


# what stored_name() produces, and nothing else
STORED_NAME = re.compile(r"^(?P<fan>[0-9a-f]{2})/(?P<sha256>(?P=fan)[0-9a-f]{62})\.[a-z0-9]{1,8}$")


def content_of(name: str) -> str | None:
    """The SHA-256 a stored name was made from; None for a name stored_name() never makes."""
    match = STORED_NAME.match(name)
    return match["sha256"] if match else None


def put(name: str, file: IO[bytes], *, size_bytes: int) -> bool:
    """Store `file` under `name` unless an intact copy is already there; True when written.

    The caller holds the content lock (services), so no one removes or writes `name` meanwhile.
    """
    if default_storage.exists(name):
        if default_storage.size(name) == size_bytes:
            # the name is the content's SHA-256: the bytes there are checked against it (an
            # upload of the same content is how a person repairs a damaged copy)
            content = content_of(name)
            if content is None or sha256_of(name) == content:
                return False
            logger.warning("replacing damaged stored file %s (its bytes changed)", name)
        else:
            # A copy cut short (a crash in the middle of a write): replace it.
            logger.warning("replacing truncated stored file %s", name)
        default_storage.delete(name)
    try:
        saved = default_storage.save(name, File(file, name=name))
    except BaseException:
        with suppress(OSError):
            default_storage.delete(name)  # no partial file left under the final name
        raise
    if saved != name:
        # Another writer stored the same content first (a database without the content lock):
        # the storage picked another name for our copy, which nothing will ever reference.
        default_storage.delete(saved)
        return False
    return True


def is_unavailable(exc: BaseException) -> bool:
    """An error of the storage itself (an object store that does not answer or refuses, a
    disk that fails), as opposed to a file that is not there (FileNotFoundError)."""
    if isinstance(exc, FileNotFoundError):
        return False
    if isinstance(exc, OSError):
        return True
    # looked up, not imported: on a server without object storage botocore is never loaded
    botocore = sys.modules.get("botocore.exceptions")
    return botocore is not None and isinstance(exc, botocore.BotoCoreError | botocore.ClientError)


def where() -> str:
    """The storage as the settings name it: "UPLOAD_DIR /srv/uploads", "the S3 bucket
    (DOCUMENT_STORAGE=s3)"."""
    root = local_path()
    return f"UPLOAD_DIR {root}" if root is not None else "the S3 bucket (DOCUMENT_STORAGE=s3)"


def failure_said(exc: BaseException, *, nothing_saved: str) -> str:
    """A storage failure (is_unavailable) as people read it: a disk's own words ("No space
    left on device", "Read-only file system") and which setting the storage is, or that an
    object store did not answer; then `nothing_saved` ("nothing was changed")."""
    reason = exc.strerror if isinstance(exc, OSError) and local_path() is not None else None
    if reason:
        return f"The document storage failed: {reason} ({where()}); {nothing_saved}. " + (
            "Try again once it is fixed."
        )
    return f"The document storage did not answer ({where()}); {nothing_saved}. " + (
        "Try again once it is back."
    )


def remove(name: str) -> None:
    default_storage.delete(name)


def exists(name: str) -> bool:
    """Whether the stored file is there; never for a name stored_name() does not make (a
    database restored from an archive someone edited: "../.env", which the storage would
    refuse to look up with SuspiciousFileOperation)."""
    return content_of(name) is not None and default_storage.exists(name)


def open_stored(name: str) -> File:
    """The stored file, opened for reading, whose `size` is the number of bytes it will give.
    Raises FileNotFoundError (or the backend's error)."""
    handle = default_storage.open(name, "rb")
    # Looked up, not imported: on a server without object storage boto3 is never loaded.
    s3 = sys.modules.get("storages.backends.s3")
    if s3 is not None and isinstance(handle, s3.S3File):
        return _object_body(handle, name)
    return handle


def _object_body(handle, name: str) -> File:
    """The object's body, read as the object store sends it: django-storages' S3File would
    first download the whole object to a temporary file, so a download would not start, nor
    a backup stream, before every byte had arrived."""
    from botocore.exceptions import ClientError

    try:
        response = handle.obj.get()
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            raise FileNotFoundError(f"{name}: not in the object storage") from exc
        raise
    body = File(response["Body"], name=name)
    body.size = response["ContentLength"]
    return body


def size(name: str) -> int:
    """Bytes of a stored file. Raises FileNotFoundError (or the backend's OSError)."""
    return default_storage.size(name)


def modified_time(name: str) -> datetime:
    return default_storage.get_modified_time(name)


def sha256_of(name: str) -> str:
    """The SHA-256 of a stored file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open_stored(name) as handle:
        for chunk in handle.chunks():
            digest.update(chunk)
    return digest.hexdigest()


def walk(directory: str = "", *, descend: Callable[[str], bool] | None = None) -> Iterator[str]:
    """Every file in the storage, as its path from the storage root; nothing when the storage's
    directory does not exist yet (nothing uploaded). With `descend`, only the directories
    (paths from the storage root) for which it is true are walked into."""
    try:
        dirs, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    prefix = f"{directory}/" if directory else ""
    yield from (prefix + name for name in sorted(files))
    for name in sorted(dirs):
        if descend is None or descend(prefix + name):
            yield from walk(prefix + name, descend=descend)


def local_path(name: str = "") -> Path | None:
    """Where a stored file (by default the storage's root) is on this server's file system;
    None when the storage is not a local directory (object storage)."""
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:
        return None


def replace(name: str, file: IO[bytes]) -> None:
    """Store `file` under exactly `name`, in place of whatever is there: a restore puts back
    the archive's copy of any file, not only of contents stored_name() names."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, File(file, name=name))
    if saved != name:
        default_storage.delete(saved)
        raise FileExistsError(f"{name} was written by someone else meanwhile")
