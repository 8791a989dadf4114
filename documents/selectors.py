"""Read queries of documents shared by the admin and the API."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from inventory.models import Device

from . import storage
from .models import Document


def document_list(*, device: Device) -> QuerySet[Document]:
    """A device's documents, newest first (one query; the device FK index serves it)."""
    return Document.objects.filter(device=device).order_by("-uploaded_at", "-id")


def document_file_rows() -> QuerySet:
    """(stored name, SHA-256, document id, device hostname) of every document, by id."""
    return Document.objects.order_by("pk").values_list(
        "stored_name", "sha256", "pk", "device__hostname"
    )


def document_files(
    rows: Iterable[tuple] | None = None,
) -> dict[str, tuple[str, list[tuple[int, str]]]]:
    """Every stored name the documents reference: its recorded SHA-256 and the documents (id,
    device) that reference it. One query, or `rows` of document_file_rows() read elsewhere (a
    backup reads them from the very snapshot it archives); what a backup checks against."""
    files: dict[str, tuple[str, list[tuple[int, str]]]] = {}
    if rows is None:
        rows = document_file_rows().iterator(chunk_size=2000)
    for name, sha256, pk, hostname in rows:
        files.setdefault(name, (sha256, []))[1].append((pk, hostname))
    return files


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


def storage_audit(*, verify: bool = False) -> StorageAudit:
    """Check every document's file (present, right size; with `verify`, right SHA-256) and
    list the stored files no document references. Reads only; memory grows with the number
    of distinct contents, not with their size. A storage that fails (an object store that does
    not answer) raises: no file is reported missing for it."""
    audit = StorageAudit()
    rows = Document.objects.order_by("pk").values_list(
        "pk", "device__hostname", "stored_name", "size_bytes", "sha256"
    )
    checked: dict[str, str | None] = {}  # stored name -> problem (each content checked once)
    for pk, hostname, name, size_bytes, sha256 in rows.iterator(chunk_size=500):
        audit.documents += 1
        if name not in checked and storage.content_of(name) is None:
            # a database restored from an archive someone edited ("../.env"): looked up
            # nowhere, the storage would refuse it (SuspiciousFileOperation)
            checked[name] = "not a name this server stores files under"
        elif name not in checked:
            try:
                actual = storage.size(name)
            except FileNotFoundError:
                actual = None  # any other error is the storage's (a store that times out)
            if actual is None:
                checked[name] = "missing"
            elif actual != size_bytes:
                checked[name] = f"size {actual} != {size_bytes} bytes"
            elif verify and storage.sha256_of(name) != sha256:
                checked[name] = "checksum differs"
            else:
                checked[name] = None
        if checked[name] is not None:
            audit.problems.append(StoredFileProblem(pk, hostname, name, checked[name]))
    audit.contents = len(checked)
    for name in storage.walk():
        if name in checked:
            continue
        if storage.content_of(name):
            audit.unreferenced.append((name, storage.size(name)))
        else:
            audit.foreign.append(name)
    return audit
