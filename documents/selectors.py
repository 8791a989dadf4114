"""Read queries of documents shared by the admin and the API."""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from inventory.models import Device

from . import storage
from .models import Document


def document_list(*, device: Device) -> QuerySet[Document]:
    """A device's documents, newest first (one query; the device FK index serves it)."""
    return Document.objects.filter(device=device).order_by("-uploaded_at", "-id")


@dataclass(frozen=True)
class StoredFileProblem:
    document_id: int
    device: str
    stored_name: str
    problem: str  # "missing", "size 10 != 12 bytes", "checksum differs"


@dataclass
class StorageAudit:
    """What the database says is stored against what the storage holds."""

    documents: int = 0
    contents: int = 0  # distinct stored names referenced
    problems: list[StoredFileProblem] = field(default_factory=list)
    unreferenced: list[tuple[str, int]] = field(default_factory=list)  # (name, bytes)
    foreign: list[str] = field(default_factory=list)  # not a name this app ever writes


STORED_NAME = re.compile(r"^(?P<fan>[0-9a-f]{2})/(?P=fan)[0-9a-f]{62}\.[a-z0-9]{1,8}$")


def _stored_names(directory: str = "") -> Iterator[str]:
    """Every file in the storage, as its path relative to the storage root ("" when the
    storage's directory does not exist yet: nothing uploaded)."""
    try:
        dirs, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    prefix = f"{directory}/" if directory else ""
    yield from (prefix + name for name in sorted(files))
    for name in sorted(dirs):
        yield from _stored_names(prefix + name)


def _sha256_of(name: str) -> str:
    digest = hashlib.sha256()
    with storage.open_stored(name) as handle:
        for chunk in handle.chunks():
            digest.update(chunk)
    return digest.hexdigest()


def storage_audit(*, verify: bool = False) -> StorageAudit:
    """Check every document's file (present, right size; with `verify`, right SHA-256) and
    list the stored files no document references. Reads only; memory grows with the number
    of distinct contents, not with their size."""
    audit = StorageAudit()
    referenced: set[str] = set()
    rows = Document.objects.order_by("pk").values_list(
        "pk", "device__hostname", "stored_name", "size_bytes", "sha256"
    )
    checked: dict[str, str | None] = {}  # stored name -> problem (each content checked once)
    for pk, hostname, name, size_bytes, sha256 in rows.iterator(chunk_size=500):
        audit.documents += 1
        referenced.add(name)
        if name not in checked:
            try:
                actual = default_storage.size(name)
            except (FileNotFoundError, OSError):
                actual = None
            if actual is None:
                checked[name] = "missing"
            elif actual != size_bytes:
                checked[name] = f"size {actual} != {size_bytes} bytes"
            elif verify and _sha256_of(name) != sha256:
                checked[name] = "checksum differs"
            else:
                checked[name] = None
        if checked[name] is not None:
            audit.problems.append(StoredFileProblem(pk, hostname, name, checked[name]))
    audit.contents = len(referenced)
    for name in _stored_names():
        if name in referenced:
            continue
        if STORED_NAME.match(name):
            audit.unreferenced.append((name, default_storage.size(name)))
        else:
            audit.foreign.append(name)
    return audit
