"""manage.py backup and restore on the test database (SQLite or PostgreSQL, whichever runs)."""

import errno
import hashlib
import io
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tarfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from benchmarks.models import Benchmark
from benchmarks.tests.factories import BenchmarkFactory
from benchsite import __version__, backup
from benchsite.backup import archive, uploads
from benchsite.export import WHATS, export_rows
from benchsite.models import Backup
from inventory.models import Device, ManufacturerLink

from .fleet import make_fleet
from .markers import engine_independent, postgresql_only

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
UPLOADS = {
    "manual.pdf": b"%PDF-1.4\n" + b"manual " * 1000,
    "ab/cd/" + "e" * 64 + ".bin": os.urandom(300_000),  # incompressible, in a subdirectory
    "notes.txt": "ünïcode ✓\n".encode(),
}


def throwaway_directories(settings, tmp_path) -> None:
    """UPLOAD_DIR, its documents' storage and BACKUP_DIR under `tmp_path`."""
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.BACKUP_DIR = tmp_path / "backups"
    # the documents' storage, as settings.py makes it of UPLOAD_DIR
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(settings.UPLOAD_DIR)},
        },
    }


@pytest.fixture
def site(settings, tmp_path):
    """A known fleet and uploads, in throwaway UPLOAD_DIR and BACKUP_DIR."""
    throwaway_directories(settings, tmp_path)
    make_fleet()
    for name, data in UPLOADS.items():
        path = settings.UPLOAD_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return settings


def uploads_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def state(settings) -> dict:
    return {
        "rows": {what: list(export_rows(what=what)) for what in WHATS},
        "tokens": list(apps.get_model("benchsite", "ApiToken").objects.values()),
        "uploads": uploads_of(Path(settings.UPLOAD_DIR)),
    }


def make_backup(*args) -> Path:
    out = io.StringIO()
    call_command("backup", *args, stdout=out, stderr=io.StringIO())
    path = Path(out.getvalue().split("Wrote ", 1)[1].split(" (", 1)[0])
    assert path.is_file()
    return path


def restore(path: Path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("restore", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def mutate(settings):
    Device.objects.get(hostname="spare").delete()
    Device.objects.filter(hostname="nas-01").update(location="moved")
    Device.objects.create(hostname="added-after-backup")
    uploads = Path(settings.UPLOAD_DIR)
    (uploads / "manual.pdf").write_bytes(b"%PDF-1.4 replaced")
    (uploads / "notes.txt").unlink()
    # a document uploaded since, under a name as the server names one: the restore removes it
    (uploads / NEW_UPLOAD).parent.mkdir(parents=True, exist_ok=True)
    (uploads / NEW_UPLOAD).write_bytes(b"not in the backup")


NEW_UPLOAD = "9f/9f" + "0" * 62 + ".txt"


def members(path: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    with tarfile.open(path, "r:gz") as tar:
        return [(m, tar.extractfile(m).read() if m.isreg() else None) for m in tar.getmembers()]


def pack(path: Path, entries, manifest: dict | None = None, listed: list | None = None) -> Path:
    """Write a .tar.gz of `entries`, then `manifest` (if given) whose file list is `listed`, or
    else rebuilt from the entries: consistent but for the defect under test."""
    files = []
    with tarfile.open(path, "w:gz") as tar:
        for info, data in entries:
            if data is None:
                tar.addfile(info)  # a link
                continue
            fresh = tarfile.TarInfo(info.name)
            fresh.size = len(data)
            tar.addfile(fresh, io.BytesIO(data))
            files.append(
                {"path": info.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
        if manifest is not None:
            body = json.dumps({**manifest, "files": files if listed is None else listed}).encode()
            info = tarfile.TarInfo(backup.MANIFEST)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return path


def split(path: Path):
    entries = members(path)
    manifest = json.loads(next(d for m, d in entries if m.name == backup.MANIFEST))
    return [(m, d) for m, d in entries if m.name != backup.MANIFEST], manifest


# --- backup ------------------------------------------------------------------------------------


def test_backup_archives_database_uploads_and_a_manifest(site):
    path = make_backup()

    assert backup.ARCHIVE_PATTERN.match(path.name)
    assert path.parent == Path(site.BACKUP_DIR)
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # it holds password and token hashes
    entries = {m.name: d for m, d in members(path)}
    engine = connection.vendor
    manifest = json.loads(entries.pop("manifest.json"))
    assert manifest["format"] == backup.FORMAT
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["app_version"] == __version__
    assert manifest["django_version"].startswith("5.2")
    assert manifest["database_engine"] == engine
    assert datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    assert manifest["counts"]["inventory.device"] == 3
    assert manifest["counts"]["inventory.hardwaresnapshot"] == 3
    assert manifest["counts"]["benchmarks.benchmark"] == 3
    assert manifest["counts"]["inventory.device_tags"] == 3
    assert set(entries) == {backup.DATABASE_MEMBERS[engine]} | {
        "uploads/" + name for name in UPLOADS
    }
    for name, data in UPLOADS.items():
        assert entries["uploads/" + name] == data
    assert {f["path"]: (f["size"], f["sha256"]) for f in manifest["files"]} == {
        name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in entries.items()
    }
    # recorded, for the dashboard's "last backup" and /metrics (the archive holds it not)
    (made,) = Backup.objects.values()
    assert made["path"] == str(path) and made["host"] == socket.gethostname()
    assert made["size"] == path.stat().st_size and made["documents_damaged"] == 0
    assert made["created_at"] == datetime.fromisoformat(manifest["created_at"])
    assert made["restored_at"] is None


def test_backup_skips_symlinks_in_uploads(site, tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("not an upload")
    (Path(site.UPLOAD_DIR) / "link.txt").symlink_to(secret)
    err = io.StringIO()
    call_command("backup", stdout=io.StringIO(), stderr=err)
    assert "Skipped UPLOAD_DIR/link.txt: not a regular file." in err.getvalue()
    (path,) = Path(site.BACKUP_DIR).iterdir()
    assert "uploads/link.txt" not in {m.name for m, _ in members(path)}


def test_keep_deletes_only_the_oldest_of_our_archives(site):
    directory = Path(site.BACKUP_DIR)
    directory.mkdir()
    ours = [
        "benchtools-20200101-000000.tar.gz",
        "benchtools-20200102-000000.tar.gz",
        "benchtools-20200102-000000-1.tar.gz",  # the second one of that second: newer
    ]
    foreign = ["benchtools-notes.tar.gz", "other.tar.gz", "benchtools-20200101-000000.tar.gz.bak"]
    for name in ours + foreign:
        (directory / name).write_bytes(b"x")

    out = io.StringIO()
    call_command("backup", "--keep", "2", stdout=out)

    left = sorted(p.name for p in directory.iterdir())
    archives = [n for n in left if n not in foreign]
    assert len(archives) == 2
    assert "benchtools-20200102-000000-1.tar.gz" in archives
    assert set(foreign) <= set(left)
    said = out.getvalue()
    assert "Deleted old archive benchtools-20200101-000000.tar.gz" in said
    # what was written first, then what was pruned; a small archive's size in KB, not "0.0 MB",
    # and as the admin's Backups list says it (the same archive was 54.9 kB here, 53.6 KB there)
    assert said.index("Wrote ") < said.index("Deleted old archive")
    written = re.search(r"Wrote (\S+) \((\d+\.\d KB)\)", said)
    assert written, said
    listed = Backup.objects.get(path=written[1])
    assert written[2] == filesizeformat(listed.size).replace("\xa0", " ")


def test_keep_never_deletes_the_archive_just_written_nor_counts_later_dated_ones(site):
    """Archives dated after now (a clock ahead then, or set back since: which one was wrong
    cannot be told): the new one is kept and counted, the later-dated ones kept and not
    counted. They were counted: a nightly --keep 2 beside one archive dated 2999 kept one real
    archive, the one just written."""
    directory = Path(site.BACKUP_DIR)
    directory.mkdir()
    future = "benchtools-29991201-023000.tar.gz"
    (directory / future).write_bytes(b"x")
    written = []
    for _ in range(3):
        out, err = io.StringIO(), io.StringIO()
        call_command("backup", "--keep", "2", stdout=out, stderr=err)
        written.append(out.getvalue().split("Wrote ", 1)[1].split(" (", 1)[0].rsplit("/", 1)[1])

    assert sorted(p.name for p in directory.iterdir()) == sorted([*written[1:], future])
    assert err.getvalue() == (
        f"Kept 1 archive(s) dated after this one, not counted by --keep (made while the clock "
        f"was ahead, or the clock was set back since): {future}. Delete them by hand once you "
        f"know which clock was right.\n"
    )


def _documents(site) -> tuple:
    from documents.services import document_store
    from documents.tests.files import pdf_bytes, upload

    device = Device.objects.get(hostname="nas-01")
    kept = document_store(device=device, upload=upload(pdf_bytes("kept"), "kept.pdf"))
    lost = document_store(device=device, upload=upload(pdf_bytes("lost"), "lost.pdf"))
    bent = document_store(device=device, upload=upload(pdf_bytes("bent"), "bent.pdf"))
    root = Path(site.UPLOAD_DIR)
    (root / lost.stored_name).unlink()  # gone from the storage
    path = root / bent.stored_name
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # one byte changed, same size: only its checksum tells
    path.write_bytes(bytes(data))
    return kept, lost, bent


def test_a_document_missing_or_damaged_fails_the_backup_and_keeps_older_archives(site):
    kept, lost, bent = _documents(site)
    directory = Path(site.BACKUP_DIR)
    directory.mkdir()
    older = ["benchtools-20200101-000000.tar.gz", "benchtools-20200102-000000.tar.gz"]
    for name in older:
        (directory / name).write_bytes(b"an older archive")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=r"2 document\(s\) have their file missing or damaged"):
        call_command("backup", "--keep", "1", stdout=out, stderr=err)
    # the archive is still written (the database and the other files are worth having), and
    # the older ones stay: they may hold the good copies
    written = Path(out.getvalue().split("Wrote ", 1)[1].split(" (", 1)[0])
    assert written.is_file()
    assert set(older) <= {p.name for p in directory.iterdir()}
    said = err.getvalue()
    assert f"missing: {lost.stored_name} (document {lost.pk} of nas-01)" in said
    assert f"checksum differs: {bent.stored_name} (document {bent.pk} of nas-01)" in said
    assert kept.stored_name not in said
    assert Backup.objects.get().documents_damaged == 2  # the dashboard says so too


def test_restoring_an_archive_without_a_documents_file_says_which(site):
    """The backup made while a document's file went said so and failed; its archive, restored
    later, exited 0 with no word of the document whose file it does not hold."""
    kept, lost, bent = _documents(site)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("backup", stdout=out, stderr=io.StringIO())
    written = Path(out.getvalue().split("Wrote ", 1)[1].split(" (", 1)[0])

    _, err = restore(written, "--noinput")

    # its file was gone before the backup: not "deleted while the backup was made" alone
    assert (
        "Warning: 1 document(s) have no file in this archive (its backup named them: missing or "
        "damaged in the storage already, or deleted while it ran)" in err
    )
    assert f"document {lost.pk} of nas-01 ({lost.stored_name})" in err
    assert kept.stored_name not in err
    # the restore's record says it, as the backup's said it: the dashboard's red line had gone
    restored = Backup.objects.get(restored_at__isnull=False)
    assert restored.documents_damaged == 2  # one without its file, one with a damaged copy


def test_a_restore_keeps_the_records_of_the_backups_made_since(site):
    """Restoring last week's archive replaced the table of backups with last week's: the
    dashboard said none was made since (overdue), last night's archive in BACKUP_DIR."""
    older = make_backup()
    newer = make_backup()
    assert Backup.objects.count() == 2

    restore(older, "--noinput")

    recorded = sorted(Backup.objects.values_list("path", "restored_at"), key=str)
    assert [path for path, _ in recorded].count(str(newer)) == 1
    assert [path for path, restored_at in recorded if restored_at] == [str(older)]
    assert Backup.objects.filter(path=str(older), restored_at__isnull=True).count() == 1
    assert Backup.objects.latest().path == str(newer)  # the last made, as the dashboard says


def test_an_archive_whose_documents_name_files_outside_the_uploads_restores_without_a_traceback(
    site, tmp_path
):
    """An archive whose database someone edited (its manifest recomputed): a document named
    "../.env" made the restore end in a SuspiciousFileOperation traceback, after replacing the
    database. The storage never looks such a name up; it is said, as a document without a file,
    and check_documents names it too."""
    if connection.vendor != "sqlite":
        pytest.skip("the archived database is edited with sqlite3")
    from documents.services import document_store
    from documents.tests.files import pdf_bytes, upload

    doc = document_store(
        device=Device.objects.get(hostname="nas-01"), upload=upload(pdf_bytes("m"), "m.pdf")
    )
    path = make_backup()
    entries, manifest = split(path)
    database = backup.DATABASE_MEMBERS["sqlite"]
    copy = tmp_path / "archived.sqlite3"
    copy.write_bytes(next(d for i, d in entries if i.name == database))
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE documents_document SET stored_name = '../.env' WHERE id = ?", [doc.pk])
    db.close()
    pack(path, [(i, copy.read_bytes() if i.name == database else d) for i, d in entries], manifest)

    out, err = restore(path, "--noinput")

    assert "Restored" in out
    assert f"document {doc.pk} of nas-01 (../.env)" in err
    audit = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_documents", stdout=audit, stderr=audit)
    assert "not a name this server stores files under" in audit.getvalue()


def test_a_damaged_archived_copy_never_replaces_an_intact_stored_file(site):
    """A backup that archived a damaged file (and said so); the good copy put back by hand
    since: a restore of that archive keeps the good copy and says so. Where no intact copy is
    stored, the archived one is the best there is, and the restore says that too."""
    from documents.tests.files import pdf_bytes

    kept, lost, bent = _documents(site)
    root = Path(site.UPLOAD_DIR)
    good = pdf_bytes("bent")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("backup", stdout=out, stderr=io.StringIO())
    path = Path(out.getvalue().split("Wrote ", 1)[1].split(" (", 1)[0])
    (root / bent.stored_name).write_bytes(good)  # the good copy, back from an older archive

    _, err = restore(path, "--noinput")

    assert (root / bent.stored_name).read_bytes() == good
    assert f"Warning: the archive's copy of {bent.stored_name} is damaged" in err
    assert "the intact copy already stored was kept" in err

    (root / bent.stored_name).unlink()
    _, err = restore(path, "--noinput")

    assert hashlib.sha256((root / bent.stored_name).read_bytes()).hexdigest() != bent.sha256
    assert "no intact copy was stored: restored as archived" in err


def test_a_document_deleted_while_the_backup_runs_is_no_damage(site, monkeypatch):
    """The archive's database holds the document; deleting it removed its file before the
    uploads were archived. That is a person's deletion, not a damaged file: the nightly backup
    used to fail for it (cron mailed "missing", --keep pruned nothing). It says so instead, and
    a file gone from under a document that still exists is still a failure."""
    from benchsite.backup import services
    from documents.services import document_delete, document_store
    from documents.tests.files import pdf_bytes, upload

    device = Device.objects.get(hostname="nas-01")
    doomed = document_store(device=device, upload=upload(pdf_bytes("doomed"), "doomed.pdf"))
    lost = document_store(device=device, upload=upload(pdf_bytes("lost"), "lost.pdf"))
    engine = services.ENGINES[connection.vendor]
    dump = engine.dump

    def dump_then_delete(*args, **kwargs):
        copied = dump(*args, **kwargs)
        document_delete(document=doomed)  # as a person in the admin, that very moment
        return copied

    monkeypatch.setattr(engine, "dump", dump_then_delete)
    out = io.StringIO()
    call_command("backup", stdout=out, stderr=io.StringIO())
    assert "1 document(s) were deleted while the backup ran" in out.getvalue()

    monkeypatch.setattr(engine, "dump", dump)
    (Path(site.UPLOAD_DIR) / lost.stored_name).unlink()
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"1 document\(s\) have their file missing"):
        call_command("backup", stdout=io.StringIO(), stderr=err)
    assert f"missing: {lost.stored_name} (document {lost.pk} of nas-01)" in err.getvalue()


def test_a_backup_whose_documents_are_whole_succeeds(site):
    kept, lost, bent = _documents(site)
    lost.delete()
    bent.delete()
    path = make_backup()
    assert f"uploads/{kept.stored_name}" in {m.name for m, _ in members(path)}


def test_keep_must_be_at_least_one(site):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("backup", "--keep", "0", stdout=io.StringIO())
    assert not Path(site.BACKUP_DIR).exists()


def test_archives_made_in_the_same_second_get_distinct_names(tmp_path):
    now = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    (tmp_path / "benchtools-20260304-050607.tar.gz").write_bytes(b"")
    assert archive.archive_name(tmp_path, now).name == "benchtools-20260304-050607-1.tar.gz"


def test_a_name_another_backup_takes_meanwhile_gives_this_one_the_next(site, monkeypatch):
    """Two backups started in the same second into one BACKUP_DIR (the cluster's replicas share
    its volume): both chose the second's name, and the one that wrote second failed, "File
    exists (…/.benchtools-tmp-….part)", no archive written."""
    from benchsite.backup import services

    written = services.archive_writer

    @contextmanager
    def another_backup_first(path):
        with written(path) as writer:
            yield writer
            if not path.with_name("taken").exists():  # the other one links its archive first
                path.write_bytes(b"the other backup")
                path.with_name("taken").write_bytes(b"")

    monkeypatch.setattr(services, "archive_writer", another_backup_first)
    out = io.StringIO()
    call_command("backup", stdout=out, stderr=io.StringIO())

    (made,) = re.findall(r"benchtools-\d{8}-\d{6}-1\.tar\.gz", out.getvalue())
    assert backup.backup_verify(archive=Path(site.BACKUP_DIR) / made).counts["inventory.device"] > 0


class DiskFullAfter:
    """A file whose disk fills up after `limit` bytes."""

    def __init__(self, handle, limit: int):
        self._handle, self._left = handle, limit

    def write(self, data):
        if len(data) > self._left:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._left -= len(data)
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)


def test_a_backup_dir_that_is_a_file_is_said_to_be_one(site, settings, tmp_path):
    """ "Backup failed: File exists (…)" and "Cannot prepare …: File exists" named no setting
    (failure-injection audit)."""
    call_command("backup", stdout=io.StringIO())
    [archive_path] = Path(settings.BACKUP_DIR).iterdir()
    settings.BACKUP_DIR = tmp_path / "a-file"
    settings.BACKUP_DIR.write_text("not a directory")
    said = f"{settings.BACKUP_DIR} is a file, not a directory: set BACKUP_DIR (or --output-dir)"

    with pytest.raises(CommandError) as backup:
        call_command("backup", stdout=io.StringIO())
    assert said in str(backup.value) and "No archive was written." in str(backup.value)
    with pytest.raises(CommandError) as restore:
        call_command("restore", str(archive_path), "--noinput", stdout=io.StringIO())
    assert said in str(restore.value) and "Nothing was changed." in str(restore.value)


def test_disk_full_leaves_no_partial_archive(site, monkeypatch):
    real = archive.atomic_file

    @contextmanager
    def filling(path, **kwargs):
        with real(path, **kwargs) as handle:
            yield DiskFullAfter(handle, limit=100_000)

    monkeypatch.setattr(archive, "atomic_file", filling)
    with pytest.raises(CommandError) as failure:
        call_command("backup", stdout=io.StringIO())
    assert "No space left on device" in str(failure.value)
    assert "No archive was written" in str(failure.value)
    assert list(Path(site.BACKUP_DIR).iterdir()) == []  # nor any temporary file


def test_what_a_killed_backup_left_is_removed_by_the_next_one_once_stale(site):
    directory = Path(site.BACKUP_DIR)
    directory.mkdir()
    # a backup killed while it copied the database, and one killed while writing the archive
    staging = directory / ".benchtools-tmp-k1ll3d"
    staging.mkdir()
    (staging / "database").write_bytes(b"SQLite format 3\x00" + b"\x00" * 4096)
    partial = directory / ".benchtools-tmp-h4lf.part"
    partial.write_bytes(b"\x1f\x8b" + b"\x00" * 1000)
    hours_ago = datetime.now(UTC).timestamp() - 2 * 3600
    for path in (staging / "database", staging, partial):
        os.utime(path, (hours_ago, hours_ago))
    # one still being written (another backup, an export): recent, so it stays
    active = directory / ".benchtools-tmp-busy.part"
    active.write_bytes(b"in progress")
    unrelated = directory / "notes.txt"
    unrelated.write_text("mine")
    os.utime(unrelated, (hours_ago, hours_ago))

    out = io.StringIO()
    call_command("backup", stdout=out, stderr=io.StringIO())

    assert "Removed .benchtools-tmp-k1ll3d, left by an interrupted backup" in out.getvalue()
    assert "Removed .benchtools-tmp-h4lf.part, left by an interrupted backup" in out.getvalue()
    [archive] = backup.backup_archives(directory=directory)
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [".benchtools-tmp-busy.part", archive.name, "notes.txt"]
    )


def test_unwritable_backup_directory_is_a_clear_error(site, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(CommandError, match="Backup failed: .*No archive was written"):
        call_command("backup", "--output-dir", str(blocker / "backups"), stdout=io.StringIO())
    assert blocker.read_text() == ""


def _limit_file_size():  # runs in the child between fork and exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))


@engine_independent
def test_a_real_write_failure_exits_non_zero_and_leaves_nothing(tmp_path):
    # No mock: the kernel refuses to let the process write a file past 1 MB (EFBIG).
    uploads, backups = tmp_path / "uploads", tmp_path / "backups"
    uploads.mkdir()
    (uploads / "big.bin").write_bytes(os.urandom(2_000_000))
    sqlite3.connect(tmp_path / "db.sqlite3").close()  # an empty database is enough here
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "UPLOAD_DIR": str(uploads),
        "BACKUP_DIR": str(backups),
        "ENV_FILE": "/nonexistent",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "backup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size,  # the test process is single-threaded here
    )
    assert done.returncode != 0
    assert "File too large" in done.stderr
    assert "No archive was written" in done.stderr
    assert list(backups.iterdir()) == []


# --- restore -----------------------------------------------------------------------------------


def test_restore_brings_back_the_database_and_uploads_exactly(site):
    before = state(site)
    path = make_backup()
    mutate(site)
    assert state(site) != before

    out, err = restore(path, "--noinput")

    assert state(site) == before
    assert "Restored" in out
    # the database is the archive's, which did not hold its own record: the restore wrote it,
    # and kept the one the backup wrote (the backups made are the server's, not the data's)
    (made,) = Backup.objects.filter(restored_at__isnull=False)
    assert (made.path, made.size) == (str(path), path.stat().st_size)
    assert Backup.objects.filter(path=str(path), restored_at__isnull=True).count() == 1
    assert made.created_at == backup.backup_verify(archive=path).created_at
    # the device mutate() added after the archive, lost as the warning said
    assert err.startswith("Warning: since this archive was made") and "1 device(s) added" in err
    assert not [p for p in Path(site.UPLOAD_DIR).iterdir() if p.name.startswith(".")]
    # sequences came back too: new rows get fresh ids
    assert Device.objects.create(hostname="after-restore").pk > max(
        row["id"] for row in before["rows"]["devices"]
    )


@postgresql_only("the planner's statistics of PostgreSQL")
def test_a_restored_postgresql_database_has_the_planners_statistics(site):
    """The tables a restore makes again have no statistics until autovacuum's ANALYZE, a
    minute later (never for a small table): the queries that follow were planned for one row."""
    path = make_backup()

    restore(path, "--noinput")

    tables = ("inventory_device", "inventory_hardwaresnapshot", "benchmarks_benchmark")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE tablename = ANY(%s)", [list(tables)]
        )
        assert sorted(name for (name,) in cursor.fetchall()) == sorted(tables)


def test_backup_and_restore_run_by_hand_write_for_their_account_only(site):
    """Run from a shell (umask 022), backup made BACKUP_DIR readable by every account, and a
    restore its directories and files; the server's own start (umask 077) set them right
    later."""
    before = os.umask(0o022)
    try:
        path = make_backup()
        shutil.rmtree(site.UPLOAD_DIR)  # a new machine: the documents come from the archive
        restore(path, "--noinput")
    finally:
        os.umask(before)

    assert oct(Path(site.BACKUP_DIR).stat().st_mode & 0o777) == "0o700"
    restored = list(Path(site.UPLOAD_DIR).rglob("*"))
    assert restored and {oct(p.stat().st_mode & 0o077) for p in restored} == {"0o0"}
    assert oct(Path(site.UPLOAD_DIR).stat().st_mode & 0o777) == "0o700"
    assert os.umask(before) == before  # given back


def test_restore_leaves_the_files_the_server_did_not_write(site):
    """A restore removed every file of UPLOAD_DIR the archive did not hold: a README someone
    put there, the lost+found/ of the file system mounted there."""
    path = make_backup()
    uploads = Path(site.UPLOAD_DIR)
    (uploads / "README.txt").write_bytes(b"documents of the bench server")
    (uploads / "lost+found").mkdir()
    (uploads / "lost+found" / "#1234").write_bytes(b"fsck found it")
    mutate(site)

    out, err = restore(path, "--noinput")

    assert (uploads / "README.txt").read_bytes() == b"documents of the bench server"
    assert (uploads / "lost+found" / "#1234").is_file()
    assert not (uploads / NEW_UPLOAD).exists()  # the server's own, uploaded since: gone
    assert (
        "Note: 2 file(s) in the uploads that this server did not write and the archive does "
        "not hold were left as they were: README.txt, lost+found/#1234." in err
    )


def test_restore_warns_of_tokens_accounts_and_acknowledgements_it_undoes(site):
    """A token revoked because it leaked worked again after a restore, and nothing said so; nor
    that tokens issued, accounts added and items acknowledged since would be lost."""
    from django.contrib.auth.models import User

    from benchsite.services import api_token_issue, api_token_revoke
    from insights.models import AttentionItem

    leaked, _ = api_token_issue(name="leaked", can_submit=True)
    item = AttentionItem.objects.create(
        device=Device.objects.get(hostname="nas-01"),
        kind="smart_failing",
        severity="critical",
        message="FAILED",
    )
    path = make_backup()
    api_token_revoke(token=leaked)
    issued, _ = api_token_issue(name="fleet", can_submit=True)
    api_token_revoke(token=issued)  # issued since: gone with the restore, not valid again
    User.objects.create_user("colleague")
    item.closed_at, item.closed_by = timezone.now(), "admin"
    item.save()

    _, err = restore(path, "--noinput")

    assert (
        ": 1 attention item(s) closed or acknowledged, 1 API token(s) issued, 2 API token(s) "
        "revoked, 1 account(s) added; restoring loses them." in err
    )
    assert "Accounts, their passwords and permissions come back as the archive has them" in err
    assert (
        "Warning: 1 API token(s) revoked since this archive was made are valid again once it "
        "is restored: revoke them again (admin › API tokens)." in err
    )


def test_restore_says_a_password_changed_since_is_undone_when_nothing_else_changed(site):
    """A password changed after a leak, and nothing else since the archive: the restore said
    nothing of the accounts, which it had said only beside other changes."""
    from django.contrib.auth.models import User

    User.objects.create_user("colleague", password="the one that leaked")
    path = make_backup()
    user = User.objects.get(username="colleague")
    user.set_password("a new long passphrase")
    user.save()

    _, err = restore(path, "--noinput")

    assert "restoring loses them" not in err  # no row has a time that tells it
    assert (
        "Accounts, their passwords and permissions come back as the archive has them: a "
        "password changed or an account disabled since this archive was made is undone." in err
    )
    assert User.objects.get(username="colleague").check_password("the one that leaked")


def test_restore_counts_no_account_for_the_name_a_tokens_change_is_filed_under(site):
    """A bench.sh run that renamed a machine after the archive was made files the rename under
    the token's name, an inactive user without a password: the restore warned "1 account(s)
    added", as if someone had made an account."""
    from django.contrib.auth.models import User

    from inventory.changelog import actor_user

    path = make_backup()
    actor_user("rack bench.sh")  # as a rename by a submission makes it
    Device.objects.filter(hostname="nas-01").update(hostname="nas-01b", updated_at=timezone.now())

    _, err = restore(path, "--noinput")

    assert ": 1 device(s) added or changed; restoring loses them." in err
    assert "account(s) added" not in err

    path = make_backup()
    User.objects.create_user("colleague", password="a long passphrase", is_active=False)
    _, err = restore(path, "--noinput")
    assert ": 1 account(s) added; restoring loses them." in err  # a person's, disabled


def test_a_notification_delivered_since_the_archive_is_not_sent_again_after_a_restore(site):
    """A notification waiting for a retry (ntfy down) when the archive was made, delivered
    afterwards: the restore brought it back as due, and the sender sent it again."""
    from insights.models import AttentionItem, Notification

    item = AttentionItem.objects.create(
        device=Device.objects.get(hostname="nas-01"),
        kind="smart_failing",
        severity="critical",
        message="FAILED",
    )
    due = {"next_attempt_at": timezone.now(), "attempts": 1}
    fields = {"item": item, "type": "failure", "target": "a" * 64, "target_label": "ntfy://…"}
    delivered = Notification.objects.create(title="nas-01: smart_failing", **fields, **due)
    waiting = Notification.objects.create(title="nas-01: disk_hot", **fields, **due)
    # as on another machine's database: not there when the archive is restored
    gone = Notification.objects.create(title="nas-01: disk_worn", **fields, **due)
    path = make_backup()
    sent_at = timezone.now()
    Notification.objects.filter(pk=delivered.pk).update(sent_at=sent_at, next_attempt_at=None)
    Notification.objects.filter(pk=gone.pk).delete()

    out, _ = restore(path, "--noinput")

    delivered.refresh_from_db()
    assert (delivered.state, delivered.sent_at, delivered.next_attempt_at) == (
        "sent",
        sent_at,
        None,
    )
    assert Notification.objects.get(pk=waiting.pk).next_attempt_at is not None  # still to send
    assert (
        "1 notification(s) the archive holds as still to send were delivered (or given up) "
        "since it was made: they are not sent again." in out
    )
    # restored onto the database it was made from, one still to send there: sent once, said
    # so (every one was said to "go out again", as onto another database)
    assert (
        "1 notification(s) the archive holds as still to send were still to send before the "
        "restore too: they go out once the server runs (NOTIFY_URLS)." in out
    )
    # one the database did not hold (a new machine's): none can be told delivered
    assert (
        "1 notification(s) the archive holds as still to send, which the database it replaced "
        "did not hold (another database than the one it was made from, or its notifications "
        "deleted since), go out once the server runs" in out
    )
    assert Notification.objects.filter(next_attempt_at__isnull=False).count() == 2


def test_restore_says_what_the_database_holds_and_warns_of_runs_it_loses(site):
    path = make_backup()
    quiet, quiet_err = restore(path, "--noinput")  # nothing arrived since: no warning
    late = BenchmarkFactory(device=Device.objects.get(hostname="nas-01"))
    ManufacturerLink.objects.create(
        device=Device.objects.get(hostname="nas-01"), label="BIOS", url="https://example.com/"
    )
    devices, runs = Device.objects.count(), Benchmark.objects.count()
    links = ManufacturerLink.objects.count()

    out, err = restore(path, "--noinput")

    assert "now holds" in quiet and quiet_err == ""
    assert (
        f"The archive holds {devices} device(s), {runs - 1} run(s), 0 document(s), "
        f"{links - 1} manufacturer link(s), 0 attention item(s)."
    ) in out
    assert f"The database now holds {devices} device(s), {runs} run(s), 0 document(s)" in out
    assert "Warning: since this archive was made" in err
    # each kind of row that came after the archive is named: the restore loses them
    assert ": 1 run(s) arrived, 1 link(s) added or changed; restoring loses them" in err
    assert not Benchmark.objects.filter(pk=late.pk).exists()  # as it warned


def test_restore_warns_of_devices_changed_after_the_archive(site):
    path = make_backup()
    Device.objects.create(hostname="added-after")
    nas = Device.objects.get(hostname="nas-01")
    nas.location = "moved"
    nas.save()

    out, err = restore(path, "--noinput")

    assert ": 2 device(s) added or changed; restoring loses them" in err
    assert not Device.objects.filter(hostname="added-after").exists()


def test_an_archive_of_an_older_version_restores_without_a_false_warning(site, tmp_path):
    """A newer version's migrations add rows of their own after a restore (the permissions and
    content types of its new models): every restore of an older archive warned "auth.permission
    has 60 rows, the archive had 52 (was the server writing meanwhile?)"."""
    if connection.vendor != "sqlite":
        pytest.skip("the archived database is edited with sqlite3")
    path = make_backup()
    entries, manifest = split(path)
    database = backup.DATABASE_MEMBERS["sqlite"]
    copy = tmp_path / "archived.sqlite3"
    copy.write_bytes(next(d for i, d in entries if i.name == database))
    with sqlite3.connect(copy) as db:  # the archive of a version without attention items
        db.execute(
            "DELETE FROM auth_permission WHERE content_type_id IN "
            "(SELECT id FROM django_content_type WHERE app_label = 'insights')"
        )
        removed = db.execute("SELECT changes()").fetchone()[0]
    db.close()
    assert removed > 0
    entries = [(i, copy.read_bytes() if i.name == database else d) for i, d in entries]
    counts = {**manifest["counts"]}
    counts["auth.permission"] -= removed
    pack(path, entries, {**manifest, "counts": counts})

    out, err = restore(path, "--noinput")

    assert "Restored" in out
    assert "was the server writing meanwhile" not in err
    # and the count check still tells an archive whose database lost rows of its manifest's
    counts["auth.permission"] += 1
    pack(path, entries, {**manifest, "counts": counts})
    _, err = restore(path, "--noinput")
    assert "auth.permission has" in err and "was the server writing meanwhile?" in err


def test_tampered_upload_is_refused_and_nothing_changes(site):
    path = make_backup()
    mutate(site)
    after_mutation = state(site)
    entries, manifest = split(path)
    entries = [
        (i, d.replace(b"manual", b"MANUAL", 1) if i.name == "uploads/manual.pdf" else d)
        for i, d in entries
    ]
    pack(path, entries, manifest, listed=manifest["files"])  # the original checksums

    with pytest.raises(CommandError, match="Checksum mismatch for 'uploads/manual.pdf'"):
        restore(path, "--noinput")
    assert state(site) == after_mutation


def test_tampered_database_is_refused(site):
    path = make_backup()
    entries, manifest = split(path)
    database = backup.DATABASE_MEMBERS[connection.vendor]
    entries = [(i, d[:-10] + b"0123456789" if i.name == database else d) for i, d in entries]
    pack(path, entries, manifest, listed=manifest["files"])

    with pytest.raises(CommandError, match=f"Checksum mismatch for '{database}'"):
        restore(path, "--noinput")


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        ({"created_at": "2026-13-45T00:00:00+00:00"}, "created_at: Input should be a valid"),
        ({"created_at": "2026-12-01T02:30:00"}, "created_at: Input should have timezone info"),
        ({"app_version": None}, "app_version: Field required"),  # None: left out
        ({"counts": [1]}, "counts: Input should be an object"),
        ({"counts": {"inventory.device": "3"}}, "counts.inventory.device: Input should be a"),
        ({"database_engine": "mysql"}, "database_engine: Input should be 'sqlite' or"),
    ],
)
def test_a_manifest_edited_by_hand_is_refused_naming_its_field(site, edit, named):
    """A manifest whose time was not a time, without its version, or with its counts a list
    passed the checks, then restore stopped on a traceback (ValueError, KeyError,
    AttributeError) instead of saying why."""
    path = make_backup()
    entries, manifest = split(path)
    mutate(site)
    after_mutation = state(site)
    pack(path, entries, {key: value for key, value in {**manifest, **edit}.items() if value})

    with pytest.raises(CommandError, match=f"manifest.json is malformed: {re.escape(named)}"):
        restore(path, "--noinput")
    assert state(site) == after_mutation


def _link(name, kind, target):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def test_a_directory_or_a_strangers_tarball_is_named_for_what_it_is(site, tmp_path):
    with pytest.raises(CommandError, match="is a directory: give the archive's file"):
        restore(tmp_path, "--noinput")
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "devices.csv").write_text("hostname\nnas\n")
    stranger = tmp_path / "exports.tar.gz"
    with tarfile.open(stranger, "w:gz") as tar:
        tar.add(folder, arcname="csv")
    with pytest.raises(CommandError, match=r"not a Linux BenchTools backup, or altered"):
        restore(stranger, "--noinput")


@pytest.mark.parametrize(
    ("defect", "message"),
    [
        ("truncated", "corrupt or truncated"),
        ("flipped-byte", "corrupt or truncated"),
        ("not-gzip", "not a backup archive"),
        ("no-manifest", "has no manifest.json"),
        ("foreign-format", "not a Linux BenchTools backup"),
        ("newer-format", "backup format 99"),
        ("dot-dot", "unsafe member path '../evil.txt'"),
        ("nested-dot-dot", "unsafe member path 'uploads/../../evil.txt'"),
        ("absolute", "unsafe member path '/tmp/evil.txt'"),
        ("symlink", "'uploads/passwd' is a link member"),
        ("hardlink", "'uploads/hard' is a link member"),
        ("outside-uploads", "unexpected member 'etc/cron.d/evil'"),
        ("unlisted", "'uploads/extra.txt' is not in its manifest"),
        ("missing", "'uploads/notes.txt' is missing"),
        ("duplicate", "'uploads/notes.txt' appears twice"),
    ],
)
def test_foreign_corrupt_or_unsafe_archives_are_refused(site, tmp_path, defect, message):
    path = make_backup()
    entries, manifest = split(path)
    bad = tmp_path / "bad.tar.gz"
    evil = ("../evil.txt", "uploads/../../evil.txt", "/tmp/evil.txt", "etc/cron.d/evil")
    if defect == "truncated":
        bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif defect == "flipped-byte":  # inside the compressed database: its headers turn garbage
        data = bytearray(path.read_bytes())
        data[5000] ^= 0xFF
        bad.write_bytes(bytes(data))
    elif defect == "not-gzip":
        bad.write_bytes(b"just some text\n" * 100)
    elif defect == "no-manifest":
        pack(bad, entries)
    elif defect == "foreign-format":
        pack(bad, entries, {**manifest, "format": "someone-elses-backup"})
    elif defect == "newer-format":
        pack(bad, entries, {**manifest, "format_version": 99})
    elif defect in ("dot-dot", "nested-dot-dot", "absolute", "outside-uploads"):
        name = evil[("dot-dot", "nested-dot-dot", "absolute", "outside-uploads").index(defect)]
        pack(bad, [*entries, (tarfile.TarInfo(name), b"pwned")], manifest)
    elif defect == "symlink":
        pack(bad, [*entries, _link("uploads/passwd", tarfile.SYMTYPE, "/etc/passwd")], manifest)
    elif defect == "hardlink":
        pack(bad, [*entries, _link("uploads/hard", tarfile.LNKTYPE, "uploads/notes.txt")], manifest)
    elif defect == "unlisted":
        extra = (tarfile.TarInfo("uploads/extra.txt"), b"sneaked in")
        pack(bad, [*entries, extra], manifest, listed=manifest["files"])
    elif defect == "missing":
        kept = [(i, d) for i, d in entries if i.name != "uploads/notes.txt"]
        pack(bad, kept, manifest, listed=manifest["files"])
    elif defect == "duplicate":
        notes = next((i, d) for i, d in entries if i.name == "uploads/notes.txt")
        pack(bad, [*entries, notes], manifest)
    mutate(site)
    before = state(site)

    with pytest.raises(CommandError) as refusal:
        restore(bad, "--noinput")

    assert message in str(refusal.value)
    assert state(site) == before
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    assert not [p for p in Path(site.UPLOAD_DIR).iterdir() if p.name.startswith(".")]


def test_an_archive_of_another_engine_is_refused_with_a_clear_message(site, tmp_path):
    path = make_backup()
    entries, manifest = split(path)
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    database = backup.DATABASE_MEMBERS[connection.vendor]
    entries = [
        (tarfile.TarInfo(backup.DATABASE_MEMBERS[other]) if i.name == database else i, d)
        for i, d in entries
    ]
    bad = pack(tmp_path / "other.tar.gz", entries, {**manifest, "database_engine": other})
    with pytest.raises(CommandError, match=f"holds a {backup.ENGINE_NAMES[other]} database"):
        restore(bad, "--noinput")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_restore_refuses_without_a_terminal_or_noinput(site, monkeypatch):
    path = make_backup()
    mutate(site)
    before = state(site)
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))  # piped: not a confirmation
    with pytest.raises(CommandError, match="--noinput"):
        restore(path)
    assert state(site) == before


def test_restore_asks_and_stops_unless_told_yes(site, monkeypatch):
    path = make_backup()
    mutate(site)
    before = state(site)
    monkeypatch.setattr(sys, "stdin", Terminal("no\n"))
    with pytest.raises(CommandError, match="cancelled"):
        restore(path)
    assert state(site) == before


def test_restore_goes_ahead_when_told_yes(site, monkeypatch):
    expected = state(site)
    path = make_backup()
    mutate(site)
    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
    out, _ = restore(path)
    assert "Type 'yes' to continue" in out
    assert state(site) == expected


def test_an_archive_inside_upload_dir_is_refused_before_anything_changes(site):
    path = make_backup()
    inside = Path(site.UPLOAD_DIR) / path.name
    path.rename(inside)
    before = state(site)
    with pytest.raises(CommandError, match="inside UPLOAD_DIR"):
        restore(inside, "--noinput")
    assert state(site) == before


def test_archives_in_a_backup_dir_inside_upload_dir_are_not_backed_up(site):
    site.BACKUP_DIR = Path(site.UPLOAD_DIR) / "backups"
    first = make_backup()
    second = make_backup()
    names = {m.name for m, _ in members(second)}
    assert f"uploads/backups/{first.name}" not in names
    assert {"uploads/" + name for name in UPLOADS} <= names
    # nor by a backup written elsewhere (--output-dir on another disk): it held every archive
    # of BACKUP_DIR, and its restore put them back among the archives
    elsewhere = make_backup("--output-dir", str(Path(site.UPLOAD_DIR).parent / "offsite"))
    names = {m.name for m, _ in members(elsewhere)}
    assert not {name for name in names if name.startswith("uploads/backups/")}, names
    assert {"uploads/" + name for name in UPLOADS} <= names
    # and an archive there restores: BACKUP_DIR is left out of a restore (it was refused as
    # "inside UPLOAD_DIR", every archive of such a setup)
    restore(first, "--noinput")
    assert first.is_file() and second.is_file()


def test_an_output_dir_given_relative_is_recorded_where_it_is(site, monkeypatch, tmp_path):
    """`backup --output-dir rel` recorded "rel/benchtools-….tar.gz": where, nobody could tell."""
    monkeypatch.chdir(tmp_path)
    path = make_backup("--output-dir", "offsite")
    assert path.is_absolute() and path.parent == tmp_path / "offsite"
    assert Backup.objects.get().path == str(path)


def test_an_upload_removed_during_the_backup_is_skipped_not_fatal(site, monkeypatch):
    real = uploads.stored_files

    def list_then_delete(skipped, exclude):
        for name in real(skipped, exclude):
            if name == "notes.txt":
                default_storage.delete(name)  # a document deleted between the listing and the copy
            yield name

    monkeypatch.setattr(uploads, "stored_files", list_then_delete)
    err = io.StringIO()
    call_command("backup", stdout=io.StringIO(), stderr=err)
    assert "Skipped UPLOAD_DIR/notes.txt: removed meanwhile." in err.getvalue()
    (path,) = Path(site.BACKUP_DIR).iterdir()
    assert "uploads/manual.pdf" in {m.name for m, _ in members(path)}


@engine_independent
def test_a_missing_sqlite_database_is_an_error_not_a_new_empty_one(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'nothing-here.db'}",
        "BACKUP_DIR": str(tmp_path / "backups"),
        "ENV_FILE": "/nonexistent",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "backup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "unable to open database file" in done.stderr
    assert not (tmp_path / "nothing-here.db").exists()
    assert list((tmp_path / "backups").iterdir()) == []


def test_an_archive_taken_before_an_upgrade_restores_over_the_upgraded_database(site):
    """Rolling back an upgrade (README, "Upgrading"): the upgraded database has a table the
    archive does not, with a foreign key into an archived table. The restore replaces the
    database as a whole: that table goes too."""
    before = state(site)
    path = make_backup()
    device_table = connection.ops.quote_name(Device._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE newer_feature (id integer PRIMARY KEY,"
            f" device_id bigint NOT NULL REFERENCES {device_table} (id))"
        )
        cursor.execute(
            "INSERT INTO newer_feature VALUES (1, %s)", [Device.objects.values("pk")[0]["pk"]]
        )
    try:
        restore(path, "--noinput")

        assert state(site) == before
        with connection.cursor() as cursor:
            assert "newer_feature" not in connection.introspection.table_names(cursor)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS newer_feature")


def test_a_postgresql_restore_leaves_the_databases_extensions_to_their_owner(site):
    """The archive has unaccent (the search that ignores accents); only its owner may drop it,
    and pg_restore --clean dropped it first: an account that does not own it (a superuser made
    it, as README says) could restore no more. The database's own stays; a database without
    it gets it where the account may."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's extensions")
    path = make_backup()

    def extension() -> int | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT oid FROM pg_extension WHERE extname = 'unaccent'")
            row = cursor.fetchone()
        return row and row[0]

    kept = extension()
    assert kept is not None
    restore(path, "--noinput")
    assert extension() == kept  # neither dropped nor made again

    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION unaccent")
    restore(path, "--noinput")
    assert extension() is not None


def test_a_postgresql_restore_that_fails_at_its_last_statement_changes_nothing(site, monkeypatch):
    """The dump's SQL runs in one transaction committed only after its last statement."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's restore (SQLite replaces the file whole)")
    from benchsite.backup import postgresql

    path = make_backup()
    mutate(site)
    changed = state(site)["rows"]

    def copy_then_fail(source, target, length):
        shutil.copyfileobj(source, target, length)
        target.write(b"SELECT 1/0;\n")  # after every statement of the dump

    # the restore module's own shutil only
    monkeypatch.setattr(postgresql, "shutil", SimpleNamespace(copyfileobj=copy_then_fail))
    with pytest.raises(CommandError, match="psql failed: .*division by zero"):
        restore(path, "--noinput")

    assert state(site)["rows"] == changed


def test_a_postgresql_restore_refuses_a_pg_restore_that_lets_an_archive_run_commands(
    site, monkeypatch, tmp_path
):
    """A pg_restore from before CVE-2025-8714's fix writes no "\\restrict" line, and psql then
    runs the shell commands ("\\! …") a hostile archive's SQL holds, as the server's account.
    Such a pg_restore is refused before psql reads anything."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's restore (SQLite replaces the file whole)")
    path = make_backup()
    mutate(site)
    changed = state(site)["rows"]
    ran = tmp_path / "ran"
    # an old pg_restore given a hostile archive: no \restrict, a "\! command" among the SQL
    old = tmp_path / "old-client"
    old.mkdir()
    script = old / "pg_restore"
    script.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *--file=-*) {shutil.which("pg_restore")} "$@" '
        "| grep -v '^.\\(un\\)\\{0,1\\}restrict '; "
        f"printf '\\\\! touch {ran}\\n';; "
        f'*) exec {shutil.which("pg_restore")} "$@";; esac\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{old}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(CommandError, match="older than the fix of CVE-2025-8714"):
        restore(path, "--noinput")

    assert not ran.exists()
    assert state(site)["rows"] == changed


def test_an_archive_of_a_newer_version_is_refused_before_anything_changes(site):
    """Restored, it would have been served by code that does not know its columns: every
    submission a 500 (a NOT NULL column this version does not fill)."""
    path = make_backup()
    entries, manifest = split(path)
    assert "inventory.0001_initial" in manifest["migrations"]
    mutate(site)
    before = state(site)
    newer = [*manifest["migrations"], "inventory.9001_device_rack", "insights.9002_more"]
    pack(path, entries, {**manifest, "app_version": "9.0.0", "migrations": newer})

    with pytest.raises(CommandError) as refused:
        restore(path, "--noinput")

    message = str(refused.value)
    assert "made by a newer version of Linux BenchTools" in message
    assert "2 migration(s) this version does not know" in message
    assert "inventory.9001_device_rack" in message and "nothing was changed" in message
    assert state(site) == before
    # an archive of an older version (no such list) still restores
    pack(path, entries, {k: v for k, v in manifest.items() if k != "migrations"})
    assert "Restored" in restore(path, "--noinput")[0]


@pytest.mark.django_db(transaction=True)
def test_a_backup_on_a_database_not_migrated_yet_says_what_to_do(settings, tmp_path):
    """A backup run between `git pull` and the restart: the archive is written, but 0.8.0's
    record of it has no table yet, which said only "(no such table: benchsite_backup)"."""
    throwaway_directories(settings, tmp_path)
    table = Backup._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")
    try:
        with pytest.raises(CommandError) as refused:
            make_backup()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_gone RENAME TO {table}")
    message = str(refused.value)
    assert message.startswith(f"Wrote {settings.BACKUP_DIR}/benchtools-")
    assert message.endswith(
        "the dashboard will not count it. The database is not migrated to this version yet: "
        "start the server (it migrates) or run manage.py migrate; --keep deleted nothing "
        "this time."
    )
    assert len(list(Path(settings.BACKUP_DIR).glob("benchtools-*.tar.gz"))) == 1


def test_an_archive_of_this_version_on_a_newer_ones_database_says_so(site):
    """A server gone back to an earlier version without the restore "Upgrade" asks for serves
    the database as the newer version migrated it, and its archives carry the newer
    migrations under its own number: "made by a newer version" contradicted the line above
    it, "Made … by version 0.7.0", on a server of 0.7.0."""
    path = make_backup()
    entries, manifest = split(path)
    before = state(site)
    newer = [*manifest["migrations"], "benchsite.9001_more"]
    for made_by in (manifest["app_version"], "0.1.0"):
        pack(path, entries, {**manifest, "app_version": made_by, "migrations": newer})

        with pytest.raises(CommandError) as refused:
            restore(path, "--noinput")

        message = str(refused.value)
        assert f"was made by version {made_by}, serving a database that a newer version" in message
        assert "1 migration(s) this version does not know (benchsite.9001_more)" in message
        assert "Upgrade this server first" in message and "nothing was changed" in message
    assert state(site) == before


def test_a_failed_migration_after_the_restore_is_said_as_such(site, monkeypatch):
    path = make_backup()
    real = call_command

    def migrate_fails(name, *args, **kwargs):
        if name == "migrate":
            raise OperationalError("database or disk is full")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(backup.services, "call_command", migrate_fails)

    with pytest.raises(CommandError) as failed:
        restore(path, "--noinput")

    assert "applying this version's migrations to it failed: database or disk is full" in str(
        failed.value
    )
    assert "run manage.py migrate" in str(failed.value)
    # what the restore left undone, which it did not say
    assert "check_documents --delete-unreferenced removes them" in str(failed.value)
    assert "the restore is not recorded among the backups" in str(failed.value)


def test_a_database_restore_that_fails_says_the_archives_files_are_in_the_storage(
    site, monkeypatch
):
    """SQLite's disk full while the database was copied: "The database was not changed",
    true, and not a word of the archive's files already put in the storage."""
    path = make_backup()

    def full(alias, dump):
        raise backup.RestoreError("Restoring the SQLite database failed: database or disk is full.")

    monkeypatch.setattr(backup.services.ENGINES["sqlite"], "restore", full)
    monkeypatch.setattr(backup.services.ENGINES["postgresql"], "restore", full)

    with pytest.raises(CommandError) as failed:
        restore(path, "--noinput")

    assert "database or disk is full. The archive's documents were put in the storage" in str(
        failed.value
    )
    assert "check_documents --delete-unreferenced removes them" in str(failed.value)


def test_archives_are_not_written_where_a_restore_deletes_them(site, settings):
    inside = Path(settings.UPLOAD_DIR) / "offsite"

    with pytest.raises(CommandError, match="is inside UPLOAD_DIR .* the next restore would delete"):
        call_command("backup", "--output-dir", str(inside), stdout=io.StringIO())

    assert not inside.exists()


def test_a_disk_filling_up_during_the_restore_leaves_the_storage_as_it_was(site, monkeypatch):
    """The files it had added stayed, the one cut short under its content's name too: the disk
    stayed full and the server in place failed every submission on it."""
    from documents import storage

    path = make_backup()
    uploads = Path(site.UPLOAD_DIR)
    for stored in [p for p in uploads.rglob("*") if p.is_file()]:
        stored.unlink()
    (uploads / "new.txt").write_bytes(b"not in the backup")
    before = uploads_of(uploads)
    real, calls = storage.replace, []

    def fills_the_disk(name, file):
        calls.append(name)
        if len(calls) < 2:
            return real(name, file)
        (uploads / name).parent.mkdir(parents=True, exist_ok=True)
        (uploads / name).write_bytes(file.read(3))  # cut short
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "replace", fills_the_disk)
    with pytest.raises(CommandError, match="No space left on device"):
        restore(path, "--noinput")

    assert len(calls) == 2
    assert uploads_of(uploads) == before


def test_a_document_uploaded_while_the_restore_runs_keeps_its_file(site, monkeypatch):
    """A server still running stored a document in the restored database, and the restore then
    deleted its file as one the archive does not have, then blamed the backup for it."""
    from benchsite.backup import services
    from documents.services import document_store
    from documents.tests.files import pdf_bytes, upload

    path = make_backup()
    engine = services.ENGINES[connection.vendor]
    real = engine.restore
    uploaded = []

    def restore_then_upload(*args, **kwargs):
        real(*args, **kwargs)
        device = Device.objects.get(hostname="nas-01")
        uploaded.append(document_store(device=device, upload=upload(pdf_bytes("late"), "l.pdf")))

    monkeypatch.setattr(engine, "restore", restore_then_upload)
    _, err = restore(path, "--noinput")

    (late,) = uploaded
    assert (Path(site.UPLOAD_DIR) / late.stored_name).read_bytes() == pdf_bytes("late")
    assert "have no file in this archive" not in err


def test_a_document_whose_row_commits_as_the_restore_removes_files_keeps_its_file(
    site, monkeypatch
):
    """An upload of a server still running writes its file, then commits its row: the restore
    read the documents before that commit, and removed the file of a document it then had (a
    201, and `check_documents --verify`: "missing")."""
    from benchsite.backup import uploads
    from documents.services import document_store
    from documents.tests.files import pdf_bytes, upload

    path = make_backup()
    real, uploaded = uploads.remove_others, []

    def upload_committed_meanwhile(*args, **kwargs):
        device = Device.objects.get(hostname="nas-01")
        uploaded.append(document_store(device=device, upload=upload(pdf_bytes("mid"), "m.pdf")))
        return real(*args, **kwargs)  # with the documents read before it

    monkeypatch.setattr(uploads, "remove_others", upload_committed_meanwhile)
    restore(path, "--noinput")

    (mid,) = uploaded
    assert (Path(site.UPLOAD_DIR) / mid.stored_name).read_bytes() == pdf_bytes("mid")
    assert not (Path(site.UPLOAD_DIR) / NEW_UPLOAD).exists()  # one no document has: removed


def test_a_storage_that_stops_answering_ends_the_restore_at_once(site, monkeypatch):
    """The files it had added were removed one by one, each waiting out the object store's
    timeout and its retry: a restore of a few hundred files hung for hours."""
    from documents import storage

    path = make_backup()
    uploads = Path(site.UPLOAD_DIR)
    for stored in [p for p in uploads.rglob("*") if p.is_file()]:
        stored.unlink()
    real, removals = storage.replace, []

    def stops_answering(name, file):
        if list(uploads.rglob("*.*")):  # one file stored: the store stops answering
            raise OSError(errno.ETIMEDOUT, "Connection timed out")
        return real(name, file)

    def times_out(name):
        removals.append(name)
        raise OSError(errno.ETIMEDOUT, "Connection timed out")

    monkeypatch.setattr(storage, "replace", stops_answering)
    monkeypatch.setattr(storage, "remove", times_out)
    with pytest.raises(CommandError, match="Connection timed out"):
        restore(path, "--noinput")
    assert len(removals) == 1  # not one per file added


def test_an_archive_of_an_earlier_version_gets_this_versions_rules_as_it_is_restored(site):
    """Its runs scored, dated and judged by the earlier rules (README, "Upgrade"): the
    restore's migrate applies this version's, as an upgraded database's does."""
    from benchmarks.models import Benchmark
    from benchmarks.scoring import SCORING_VERSION

    Benchmark.objects.update(scoring_version=1)
    path = make_backup()

    restore(path, "--noinput")

    assert set(Benchmark.objects.values_list("scoring_version", flat=True)) == {SCORING_VERSION}


@engine_independent  # the archive of the suite's database: SQLite in that pass
def test_a_restore_into_a_new_data_directory_from_a_shell_is_readable_by_its_account_only(
    site, tmp_path
):
    """A backup restored by hand (umask 022) into a fresh DATABASE_URL, as on a new machine,
    left the SQLite database, its password and token hashes, readable by every account (0644):
    the command had read the database it replaces, creating it, before its umask applied."""
    archive_path = make_backup()
    new = tmp_path / "new" / "data.db"
    new.parent.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{new}",
        "UPLOAD_DIR": str(tmp_path / "new" / "uploads"),
        "BACKUP_DIR": str(site.BACKUP_DIR),
        "ENV_FILE": "/nonexistent",
        "DEBUG": "true",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", str(archive_path), "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        umask=0o022,
    )

    assert done.returncode == 0, done.stderr
    assert "Restored" in done.stdout
    files = {p.name: oct(p.stat().st_mode & 0o777) for p in new.parent.iterdir() if p.is_file()}
    assert files["data.db"] == "0o600"
    assert set(files.values()) == {"0o600"}  # and its -wal and -shm, where they are left
