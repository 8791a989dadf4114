"""Archives made by the real earlier releases (benchsite/tests/archives, README there says how)
restore into this version whole: what a user upgrading over several releases, or restoring
last year's archive on a new machine, relies on."""

import io
import json
import sqlite3
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from benchmarks.models import Benchmark, RulesApplied
from benchmarks.scoring import SCORING_VERSION
from benchsite import __version__
from benchsite.backup import DATABASE_MEMBERS, MANIFEST, UPLOADS_PREFIX
from documents.models import Document
from insights.models import AttentionItem
from inventory.models import Device, HardwareSnapshot, ManufacturerLink

from .test_backup import throwaway_directories

pytestmark = pytest.mark.django_db(transaction=True)

ARCHIVES = Path(__file__).resolve().parent / "archives"
# an archive holds one engine's database, which the other's server refuses (README, "Backup and
# restore"): each pass of the suite restores those of its own
ENGINE = connection.vendor
SCORED = ("global", "cpu", "memory", "disk", "network", "gpu")
RUNS = (
    f"SELECT id, device_id, {', '.join(f'{c}_score' for c in SCORED)}, results "  # noqa: S608
    "FROM benchmarks_benchmark ORDER BY id"
)


def _archives() -> list:
    return [
        pytest.param(
            path,
            id=path.name.removeprefix("benchtools-").removesuffix(".tar.gz"),
            marks=pytest.mark.skipif(
                engine != ENGINE, reason=f"a {engine} archive: the {engine} pass restores it"
            ),
        )
        for path in sorted(ARCHIVES.glob("benchtools-*.tar.gz"))
        for engine in [path.name.removesuffix(".tar.gz").rsplit("-", 1)[1]]
    ]


def _read(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The archive's manifest and its members, as its release wrote them."""
    with tarfile.open(path, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isreg()}
    return json.loads(members.pop(MANIFEST)), members


def _archived_rows(archive: Path, tmp_path: Path) -> dict[str, list[tuple]]:
    """The runs, snapshots, devices and documents of the archive's SQLite database itself; for
    a PostgreSQL archive, of its SQLite twin, made by the same release from the same
    submissions (the same rows, ids included: both engines number from 1)."""
    twin = archive.with_name(archive.name.replace("-postgresql.", "-sqlite."))
    copy = tmp_path / "archived.sqlite3"
    copy.write_bytes(_read(twin)[1][DATABASE_MEMBERS["sqlite"]])
    with sqlite3.connect(copy) as db:
        rows = {
            "devices": db.execute("SELECT id, hostname FROM inventory_device ORDER BY id"),
            "runs": db.execute(RUNS),
            "snapshots": db.execute(
                "SELECT id, device_id, raw FROM inventory_hardwaresnapshot ORDER BY id"
            ),
            "documents": db.execute(
                "SELECT id, device_id, stored_name, sha256 FROM documents_document ORDER BY id"
            ),
        }
        rows = {what: [tuple(row) for row in cursor] for what, cursor in rows.items()}
    db.close()
    # their JSON as read back, whatever spacing the release wrote it with
    rows["runs"] = [(*row[:-1], json.loads(row[-1])) for row in rows["runs"]]
    rows["snapshots"] = [(*row[:-1], json.loads(row[-1])) for row in rows["snapshots"]]
    return rows


def _restored_rows() -> dict[str, list[tuple]]:
    return {
        "devices": list(Device.objects.order_by("pk").values_list("pk", "hostname")),
        "runs": list(
            Benchmark.objects.order_by("pk").values_list(
                "pk", "device", *(f"{c}_score" for c in SCORED), "results"
            )
        ),
        "snapshots": list(
            HardwareSnapshot.objects.order_by("pk").values_list("pk", "device", "raw")
        ),
        "documents": list(
            Document.objects.order_by("pk").values_list("pk", "device", "stored_name", "sha256")
        ),
    }


def _judged() -> dict[str, list]:
    """What this version's rules decide of the stored runs: applied already, rescore changes
    none of it (README, "Upgrade": run again, it changes nothing)."""
    return {
        "runs": list(
            Benchmark.objects.order_by("pk").values_list(
                "pk", "global_score", "validity", "validity_reasons", "run_at", "weights"
            )
        ),
        "devices": list(Device.objects.order_by("pk").values()),
        "snapshots": list(HardwareSnapshot.objects.order_by("pk").values_list("pk", "captured_at")),
        "attention": list(
            AttentionItem.objects.order_by("pk").values_list("device", "kind", "disk", "closed_at")
        ),
    }


@pytest.mark.parametrize("archive", _archives())
def test_an_archive_of_an_earlier_release_restores_whole_into_this_version(
    archive, settings, tmp_path, capsys
):
    """Each made by that release's own `manage.py backup` (archives/populate.py says of what:
    three machines, one of whose disks fails, a run whose clock said year 1, which releases
    before 0.4.1 dated so, a PDF). Its rows come back as archived, its documents' files byte
    for byte, and this version's rules are applied to it: a restored 0.3.0 or 0.4.0 archive
    kept its run dated year 1, and its device's page answered 500 west of UTC."""
    throwaway_directories(settings, tmp_path)
    # west of UTC, where a run dated year 1 cannot be shown (the admin answered 500)
    settings.TIME_ZONE = "America/New_York"
    manifest, members = _read(archive)
    assert manifest["app_version"] != __version__
    archived = _archived_rows(archive, tmp_path)
    out, err = io.StringIO(), io.StringIO()

    call_command("restore", str(archive), "--noinput", stdout=out, stderr=err)

    assert "Restored" in out.getvalue()
    assert err.getvalue() == ""  # no count of the manifest's missing, no document without file
    counted = {
        "inventory.device": Device,
        "benchmarks.benchmark": Benchmark,
        "inventory.hardwaresnapshot": HardwareSnapshot,
        "documents.document": Document,
        "inventory.manufacturerlink": ManufacturerLink,
    }
    assert {label: model.objects.count() for label, model in counted.items()} == {
        label: manifest["counts"][label] for label in counted
    }
    assert _restored_rows() == archived
    # this version's rules, applied as it restored, as the migrations after it say on the
    # console: a rescore now changes nothing
    assert "applying them (manage.py rescore)" in capsys.readouterr().out
    assert RulesApplied.objects.get().scoring_version == SCORING_VERSION
    assert set(Benchmark.objects.values_list("scoring_version", flat=True)) == {SCORING_VERSION}
    assert not Benchmark.objects.filter(run_at__lt=datetime(2000, 1, 1, tzinfo=UTC)).exists()
    judged = _judged()
    call_command("rescore", stdout=io.StringIO())
    assert _judged() == judged
    assert AttentionItem.objects.filter(
        device__hostname="backup-01", kind="smart_failing", closed_at=None
    ).exists()
    # what a user opens: the device pages, the API's list, the documents' downloads
    admin = APIClient()
    admin.force_login(User.objects.create_superuser("restorer", password="pw-123"))
    for device in Device.objects.all():
        page = admin.get(f"/admin/inventory/device/{device.pk}/change/")
        assert page.status_code == 200, device.hostname
    assert admin.get("/admin/benchmarks/benchmark/").status_code == 200
    listed = admin.get("/api/devices")
    assert listed.status_code == 200
    assert {d["hostname"] for d in listed.json()["results"]} == {h for _, h in archived["devices"]}
    documents = Document.objects.all()
    assert documents
    for document in documents:
        download = admin.get(f"/api/docs/{document.pk}/download")
        assert download.status_code == 200
        body = b"".join(download.streaming_content)
        assert body == members[UPLOADS_PREFIX + document.stored_name]
