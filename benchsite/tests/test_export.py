"""manage.py export and GET /api/export: every field round-trips, streamed, one code path."""

import csv
import io
import json
import os
import stat
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from django.core.management import CommandError, call_command
from django.db import models
from django.test import AsyncClient

from benchmarks.models import Benchmark
from benchsite.export import (
    NOT_EXPORTED,
    OF_DEVICES,
    WHATS,
    ExportStream,
    columns,
    export_rows,
)
from benchsite.livetest import ROOT
from benchsite.testing import TEST_API_TOKEN
from benchsite.tests.markers import engine_independent
from documents.models import Document
from insights.delivery import DEVICE_RETIRED
from insights.models import AttentionItem
from inventory.models import Device, HardwareSnapshot, ManufacturerLink
from inventory.summary import COLUMNS as HARDWARE_COLUMNS

from .fleet import AWKWARD_TEXT, make_fleet

pytestmark = pytest.mark.django_db

MODELS = {"devices": Device, **OF_DEVICES}
# the devices' latest hardware (test_export_hardware.py) ends the command's devices export
EXTRAS = {
    "devices": {"tags", *HARDWARE_COLUMNS},
    **{what: {"device_hostname"} for what in OF_DEVICES},
    "attention": {"device_hostname", "closed_reason"},
}
# the fleet's one item, closed by a person
CLOSED_REASON = "acknowledged"


def fields(what):
    left_out = NOT_EXPORTED.get(what, ())
    return {f.attname: f for f in MODELS[what]._meta.concrete_fields if f.attname not in left_out}


def expected_rows(what):
    """The database's rows as Python values, the extra columns included."""
    model = MODELS[what]
    rows = list(model.objects.order_by("pk").values(*fields(what)))
    for row, obj in zip(rows, model.objects.order_by("pk"), strict=True):
        if what == "devices":
            row["tags"] = sorted(obj.tags.values_list("name", flat=True))
        else:
            row["device_hostname"] = obj.device.hostname
        if what == "attention":
            row["closed_reason"] = CLOSED_REASON
    return rows


def decode_json_row(row, what):
    out = {name: value for name, value in row.items() if name not in HARDWARE_COLUMNS}
    for name, field in fields(what).items():
        value = row[name]
        if value is None:
            continue
        if isinstance(field, models.DateTimeField):
            out[name] = datetime.fromisoformat(value)
        elif isinstance(field, models.UUIDField):
            out[name] = uuid.UUID(value)
    return out


def decode_csv_row(row, what):
    out = {}
    kinds = {c.name: c.kind for c in columns(what, hardware=True)}
    for name, text in row.items():
        if name in HARDWARE_COLUMNS:
            continue
        field = fields(what).get(name)
        if kinds[name] == "json":
            out[name] = json.loads(text)
        elif field is None:
            out[name] = text  # device_hostname
        elif text == "" and field.null:
            out[name] = None
        elif isinstance(field, models.DateTimeField):
            out[name] = datetime.fromisoformat(text)
        elif isinstance(field, models.UUIDField):
            out[name] = uuid.UUID(text)
        elif isinstance(field, models.BooleanField):
            out[name] = {"true": True, "false": False}[text]
        elif isinstance(field, models.FloatField):
            out[name] = float(text)
        elif isinstance(field, models.IntegerField | models.ForeignKey | models.AutoField):
            out[name] = int(text)
        else:
            out[name] = text
    return out


def run_export(fmt, what, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("export", format=fmt, what=what, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def fleet():
    devices = make_fleet()
    # what else the export holds of a device: a document's metadata, a link, an attention item
    nas = devices["nas"]
    Document.objects.create(
        device=nas,
        doc_type="invoice",
        title=AWKWARD_TEXT,
        original_filename="facture é.pdf",
        stored_name="ab/" + "ab" * 32 + ".pdf",
        mime_type="application/pdf",
        size_bytes=12345,
        sha256="ab" * 32,
    )
    ManufacturerLink.objects.create(device=nas, label="BIOS", url="https://support.hp.com/")
    AttentionItem.objects.create(
        device=nas,
        kind="smart_failing",
        severity="critical",
        disk="WD-1",
        message=AWKWARD_TEXT,
        closed_at=datetime(2026, 1, 3, 4, 5, 6, 789012, tzinfo=UTC),
        closed_by="admin",
    )
    return devices


NAMED = {
    "devices": "devices",
    "snapshots": "hardware snapshots",
    "benchmarks": "benchmarks",
    "documents": "documents",
    "links": "manufacturer links",
    "attention": "attention items",
}


@pytest.mark.parametrize("what", WHATS)
def test_json_export_round_trips_every_field(fleet, what):
    text, err = run_export("json", what)

    exported = json.loads(text)  # one valid JSON array
    assert isinstance(exported, list)
    assert set(exported[0]) == set(fields(what)) | EXTRAS[what]
    assert [decode_json_row(row, what) for row in exported] == expected_rows(what)
    # "Exported 1 attention." was said
    noun = NAMED[what] if len(exported) > 1 else NAMED[what].removesuffix("s")
    assert f"Exported {len(exported)} {noun}." in err


@pytest.mark.parametrize("what", WHATS)
def test_csv_export_round_trips_every_field(fleet, what):
    text, _ = run_export("csv", what)

    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == [c.name for c in columns(what, hardware=True)]
    assert set(reader.fieldnames) == set(fields(what)) | EXTRAS[what]
    assert [decode_csv_row(row, what) for row in reader] == expected_rows(what)


def test_csv_keeps_json_columns_as_json_text_and_formulas_verbatim(fleet):
    text, _ = run_export("csv", "snapshots")
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row["cpu_flags"] == '["avx","avx2","aes"]'
    assert row["ram_ecc"] == "true"
    devices = list(csv.DictReader(io.StringIO(run_export("csv", "devices")[0], newline="")))
    assert devices[0]["asset_tag"] == "=1+1"
    assert devices[0]["tags"] == '["proxmox","rack-2"]'


def test_empty_export_is_an_empty_array_and_a_bare_header():
    assert json.loads(run_export("json", "benchmarks")[0]) == []
    assert run_export("csv", "devices")[0].splitlines() == [
        ",".join(c.name for c in columns("devices", hardware=True))
    ]
    # a device's name in the second column, where a person reading the sheet looks for it
    assert run_export("csv", "devices")[0].startswith("id,hostname,")


def test_output_file_holds_the_same_export(fleet, tmp_path):
    target = tmp_path / "devices.csv"
    text, _ = run_export("csv", "devices")
    out = io.StringIO()
    call_command("export", format="csv", what="devices", output=target, stdout=out)
    assert target.read_bytes().decode() == text
    assert f"Exported 3 devices to {target}." in out.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["devices.csv"]  # no temporary file left


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask 022", "umask 000"])
def test_output_file_is_readable_by_its_account_only(fleet, tmp_path, umask):
    """--output wrote the whole inventory (serials, owners, locations) readable by every
    account (0644), whatever the umask; a file it replaces is replaced whole, so its mode goes
    too."""
    target = tmp_path / "devices.json"
    target.write_text("old")
    target.chmod(0o666)
    before = os.umask(umask)
    try:
        call_command("export", format="json", output=target, stdout=io.StringIO())
    finally:
        os.umask(before)
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_unwritable_output_is_a_command_error_and_leaves_nothing(fleet, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(CommandError, match="Could not write"):
        call_command("export", format="json", output=blocker / "x.json", stdout=io.StringIO())
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_output_to_a_device_a_pipe_or_a_directory_is_refused_and_a_link_followed(fleet, tmp_path):
    """--output /dev/null, as root, replaced the system's /dev/null with a regular file of the
    inventory (and a FIFO a reader waited on, or a link, with one): a whole file is renamed
    onto its path. A link is followed now, and what is not a file refused, untouched."""
    fifo, folder = tmp_path / "fifo", tmp_path / "folder"
    os.mkfifo(fifo)
    folder.mkdir()
    # (not /dev/null itself: a regression would replace this machine's)
    for target in (fifo, folder):
        with pytest.raises(CommandError, match=f"Could not write {target}: not a regular file"):
            call_command("export", format="csv", output=target, stdout=io.StringIO())
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and folder.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "folder"]  # nothing left

    # a link to the file: the file is written whole, the link stays a link
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "devices.csv").write_text("last week's")
    link = tmp_path / "latest.csv"
    link.symlink_to(shared / "devices.csv")
    call_command("export", format="csv", output=link, stdout=io.StringIO())
    assert link.is_symlink()
    assert (shared / "devices.csv").read_bytes().decode() == run_export("csv", "devices")[0]


def test_the_attention_export_says_why_each_item_closed_not_who_closed_it(fleet):
    """The export left out who closed an item (an account's name), and with it the one way to
    tell an acknowledged item from one whose condition was over: now said as the API says it."""
    nas = fleet["nas"]
    closed = datetime(2026, 2, 1, tzinfo=UTC)
    for kind, closed_at, closed_by in (
        ("disk_hot", None, ""),
        ("below_peers", closed, ""),
        ("score_regression", closed, DEVICE_RETIRED),
    ):
        AttentionItem.objects.create(
            device=nas,
            kind=kind,
            severity="warning",
            message=kind,
            closed_at=closed_at,
            closed_by=closed_by,
        )

    rows = json.loads(run_export("json", "attention")[0])
    reasons = {row["kind"]: row["closed_reason"] for row in rows}
    assert reasons == {
        "smart_failing": "acknowledged",
        "disk_hot": None,
        "below_peers": "resolved",
        "score_regression": "device_retired",
    }
    assert not {"closed_by"} & set(rows[0])
    header = run_export("csv", "attention")[0].splitlines()[0].split(",")
    assert header[header.index("closed_at") + 1] == "closed_reason"


def test_bad_format_or_what_is_a_command_error():
    with pytest.raises(CommandError, match="format"):
        call_command("export", format="xml", stdout=io.StringIO())
    with pytest.raises(CommandError, match="what"):
        call_command("export", format="json", what="users", stdout=io.StringIO())


def test_rows_are_read_in_chunks_with_one_tag_query_per_chunk(fleet, django_assert_num_queries):
    for i in range(4):
        Device.objects.create(hostname=f"extra-{i}")
    # 7 devices in chunks of 3: the device query plus one tag query per chunk, never per row
    with django_assert_num_queries(1 + 3):
        rows = list(export_rows(what="devices", chunk_size=3))
    assert [row["hostname"] for row in rows] == list(
        Device.objects.order_by("pk").values_list("hostname", flat=True)
    )


def test_stream_is_chunked_text_that_counts_its_rows(fleet):
    stream = ExportStream(fmt="json", what="snapshots")
    chunks = list(stream)
    assert all(isinstance(chunk, str) for chunk in chunks)
    assert stream.rows == HardwareSnapshot.objects.count()


# --- GET /api/export ---------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "what"), [("json", "benchmarks"), ("csv", "snapshots")])
def test_api_export_streams_the_command_output(fleet, token_client, fmt, what):
    response = token_client("read").get(f"/api/export?format={fmt}&what={what}")

    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    assert body == run_export(fmt, what)[0]
    assert response["Content-Type"].startswith("application/json" if fmt == "json" else "text/csv")
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="benchtools-{what}-')
    assert disposition.endswith(f'.{fmt}"')


def test_api_export_defaults_to_devices_as_json(fleet, api):
    response = api.get("/api/export")
    assert response.status_code == 200
    assert [d["hostname"] for d in json.loads(b"".join(response.streaming_content))] == [
        "nas-01",
        "ws-é",
        "spare",
    ]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_an_export_writes_times_as_the_api_does(fleet, api, fmt):
    """The API wrote 2026-12-04T20:02:09.726436Z and the export …+00:00: one run, two times."""
    run = Benchmark.objects.exclude(run_at=None).first()
    body = b"".join(
        api.get("/api/export", {"what": "benchmarks", "format": fmt}).streaming_content
    ).decode()
    rows = json.loads(body) if fmt == "json" else list(csv.DictReader(io.StringIO(body)))
    exported = next(row["run_at"] for row in rows if int(row["id"]) == run.pk)

    detail = api.get(f"/api/benchmarks/{run.pk}").json()

    assert exported == detail["run_at"] and exported.endswith("Z")
    assert datetime.fromisoformat(exported) == run.run_at  # to the microsecond


@pytest.mark.parametrize(
    ("query", "parameter"), [("format=xml", "format"), ("format=csv&what=users", "what")]
)
def test_api_export_names_the_bad_parameter(api, query, parameter):
    response = api.get(f"/api/export?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


@pytest.mark.parametrize(
    ("what", "permission"),
    [
        ("documents", "documents.view_document"),
        ("links", "inventory.view_manufacturerlink"),
        ("attention", "insights.view_attentionitem"),
    ],
)
def test_a_staff_session_exports_what_it_may_view(fleet, what, permission):
    """Documents, links and attention items are exported too (a spreadsheet of the invoices,
    of the items a person acknowledged), to who may view them in the admin."""
    from .accounts import staff_client

    devices_only = staff_client("inventory.view_device")
    assert devices_only.get("/api/export", {"what": what}).status_code == 403
    allowed = staff_client("inventory.view_device", permission)
    response = allowed.get("/api/export", {"what": what})
    assert response.status_code == 200
    (row,) = json.loads(b"".join(response.streaming_content))
    assert row["device_hostname"] == "nas-01"
    # not who closed an item (an admin's name: a read token on every machine would read it),
    # nor where a file is stored, which the API does not give either
    assert "closed_by" not in row and "stored_name" not in row


def test_api_export_needs_the_read_scope(anon, token_client):
    assert anon.get("/api/export").status_code == 401
    assert token_client("submit").get("/api/export").status_code == 403


def test_api_export_under_asgi_streams_an_async_iterator(fleet):
    # Under ASGI Django would read a sync iterator whole into memory before sending it.
    async def fetch():
        response = await AsyncClient().get(
            "/api/export?format=csv&what=benchmarks",
            headers={"Authorization": f"Bearer {TEST_API_TOKEN}"},
        )
        body = b"".join([chunk async for chunk in response.streaming_content])
        return response, body

    response, body = async_to_sync(fetch)()
    assert response.status_code == 200
    assert response.is_async
    assert body.decode() == run_export("csv", "benchmarks")[0]


def test_the_admins_csv_download_under_asgi_streams_an_async_iterator(fleet, admin_user):
    """The import page's sheet of every device and *Export selected as CSV* handed Django's ASGI
    handler a sync iterator, read whole into memory before the first byte went out."""
    from asgiref.sync import sync_to_async

    async def fetch():
        client = AsyncClient()
        await sync_to_async(client.force_login)(admin_user)
        response = await client.get("/admin/inventory/device/import/", {"download": "devices"})
        body = b"".join([chunk async for chunk in response.streaming_content])
        return response, body

    response, body = async_to_sync(fetch)()
    assert response.status_code == 200 and response.is_async
    assert body.decode("utf-8-sig").startswith("id,hostname,")  # every device, as with WSGI


MANAGE = [sys.executable, str(ROOT / "manage.py")]


def migrated_database(tmp_path) -> dict:
    """The environment of manage.py on a SQLite database of its own, migrated (a copy of the
    live servers' migrated template)."""
    from benchsite.livetest import migrated_sqlite

    migrated_sqlite(tmp_path / "db.sqlite3")
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ENV_FILE": "/nonexistent",
        "DEBUG": "true",
    }


@engine_independent
def test_an_export_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path):
    env, manage = migrated_database(tmp_path), MANAGE
    devices = tmp_path / "devices.csv"
    rows = "".join(f"h{i},{'x' * 60}\n" for i in range(3000))
    devices.write_text("hostname,description\n" + rows)
    subprocess.run([*manage, "import_devices", str(devices)], env=env, check=True, timeout=120)

    # `export … | head -c 100`: 3,000 rows outgrow the pipe's buffer, so the export is still
    # writing when its reader is done
    export = subprocess.Popen(
        [*manage, "export", "--format", "csv"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = export.stdout.read(100)
    export.stdout.close()
    _, errors = export.communicate(timeout=120)

    assert first.startswith(b"id,")
    assert errors == b""  # no BrokenPipeError traceback


@engine_independent
def test_an_export_to_a_full_disk_or_without_a_database_says_it_in_a_line(tmp_path):
    """`export > file` on a full disk, and any command with the database away, ended in a
    traceback of some 90 lines (failure-injection audit)."""
    env, manage = migrated_database(tmp_path), MANAGE

    with open("/dev/full", "w") as full:  # every write: ENOSPC
        done = subprocess.run(
            [*manage, "export", "--format", "json"],
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "CommandError: Could not write to standard output: No space left on device; what was "
        "written is incomplete (--output FILE writes a whole file or none)."
    )

    # nothing listens on port 1: the connection is refused
    away = {**env, "DATABASE_URL": "postgres://bench:pw@127.0.0.1:1/bench"}
    for command in (["export", "--format", "csv"], ["backup"], ["rescore", "--dry-run"]):
        done = subprocess.run(
            [*manage, *command], env=away, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 1, command
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("Database error: ") and "Traceback" not in done.stderr
        assert line.endswith("(is the database at DATABASE_URL running and reachable?)")


@engine_independent
def test_an_export_to_standard_output_is_utf8_whatever_the_locale(tmp_path):
    """Under a Latin-1 locale, `export > devices.csv` wrote the rows up to a hostname with a
    "’" in it, then stopped on a UnicodeEncodeError traceback."""
    env = migrated_database(tmp_path)
    devices = tmp_path / "devices.csv"
    devices.write_text("hostname,location\nbureau-helene,Bureau d’Hélène\n", encoding="utf-8")
    subprocess.run([*MANAGE, "import_devices", str(devices)], env=env, check=True, timeout=120)

    done = subprocess.run(
        [*MANAGE, "export", "--format", "csv"],
        env={**env, "PYTHONIOENCODING": "latin-1"},
        capture_output=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    row = next(csv.DictReader(io.StringIO(done.stdout.decode("utf-8"), newline="")))
    assert row["location"] == "Bureau d’Hélène"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_export_shows_control_characters_instead_of_running_them():
    """A CPU model sent with ESC sequences (a window title, a cleared screen) was written raw
    to the admin's terminal by `manage.py export`; a file or a pipe gets the bytes as stored."""
    from inventory.tests.factories import SnapshotFactory

    SnapshotFactory(cpu_model="EPYC\x1b]0;pwned\x07\x1b[2J\x9b31m")
    shown, piped = Terminal(), io.StringIO()
    call_command("export", format="csv", what="snapshots", stdout=shown, stderr=io.StringIO())
    call_command("export", format="csv", what="snapshots", stdout=piped, stderr=io.StringIO())

    assert "EPYC\ufffd]0;pwned\ufffd\ufffd[2J\ufffd31m" in shown.getvalue()
    assert not {"\x1b", "\x07", "\x9b"} & set(shown.getvalue())
    assert "EPYC\x1b]0;pwned\x07\x1b[2J\x9b31m" in piped.getvalue()
    assert shown.getvalue().count("\r\n") == piped.getvalue().count("\r\n")  # rows as they were
