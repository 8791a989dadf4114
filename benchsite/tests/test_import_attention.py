"""The import's preview says what a retirement date does beyond the device's row: setting one
closes the machine's open attention items, clearing one reopens what the retirement closed. The
preview said neither; a person retired a machine with a failing disk not knowing its item went."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from insights.delivery import DEVICE_RETIRED
from insights.models import AttentionItem
from inventory.models import Device
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/inventory/device/import/"
TODAY = timezone.localdate().isoformat()


def _item(device, kind, disk="", **fields):
    severity = "critical" if kind.startswith("smart") else "warning"
    return AttentionItem.objects.create(
        device=device, kind=kind, severity=severity, disk=disk, message=f"{kind} {disk}", **fields
    )


@pytest.fixture
def fleet():
    """nas: two open items; old-nas: retired, one item its retirement closed (and an older
    one acknowledged); quiet: none."""
    nas = DeviceFactory(hostname="nas")
    _item(nas, "smart_failing", "WD-1")
    _item(nas, "disk_hot", "WD-2")
    _item(nas, "score_regression", closed_at=timezone.now())  # closed: not counted
    retired_on = timezone.localdate() - timedelta(days=30)
    old = DeviceFactory(hostname="old-nas", retired_on=retired_on)
    _item(old, "disk_hot", "WD-9", closed_at=timezone.now(), closed_by="admin")
    _item(old, "smart_degrading", "WD-9", closed_at=timezone.now(), closed_by=DEVICE_RETIRED)
    DeviceFactory(hostname="quiet")
    return nas, old


def _file(tmp_path, text):
    path = tmp_path / "devices.csv"
    path.write_text(text)
    return str(path)


def test_the_dry_run_says_which_items_a_retirement_date_closes_or_reopens(fleet, tmp_path):
    text = f"hostname,retired_on\nnas,{TODAY}\nold-nas,\nquiet,{TODAY}\n"
    out = io.StringIO()

    call_command("import_devices", _file(tmp_path, text), "--dry-run", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == (
        f'  line 2 nas (changed): retired_on "" → "{TODAY}"; '
        "closes 2 open attention items: smart_failing (WD-1), disk_hot (WD-2)"
    )
    assert lines[1].endswith(
        '→ ""; reopens 1 attention item its retirement closed: smart_degrading (WD-9)'
    )
    assert lines[2] == f'  line 4 quiet (changed): retired_on "" → "{TODAY}"'  # nothing open
    assert AttentionItem.objects.filter(closed_at__isnull=True).count() == 2  # nothing written
    assert Device.objects.get(hostname="nas").retired_on is None


def test_the_preview_costs_the_same_queries_for_ten_devices_as_for_one(fleet, tmp_path):
    def queries(rows):
        text = "hostname,retired_on\n" + "".join(f"{host},{TODAY}\n" for host in rows)
        with CaptureQueriesContext(connection) as captured:
            call_command("import_devices", _file(tmp_path, text), "--dry-run", stdout=io.StringIO())
        return len(captured)

    one = queries(["nas"])
    for number in range(10):
        _item(DeviceFactory(hostname=f"box-{number}"), "disk_hot", "WD-1")
    assert queries(["nas", *(f"box-{number}" for number in range(10))]) == one


def test_the_admin_preview_says_it_beside_the_retirement_date(fleet, admin_client):
    data = f"hostname,retired_on\nnas,{TODAY}\nold-nas,\n".encode()
    upload = SimpleUploadedFile("devices.csv", data, content_type="text/csv")

    html = admin_client.post(IMPORT_URL, {"file": upload}).content.decode()

    updated = html.split('id="import-updated"', 1)[1].split("</table>", 1)[0]
    assert (
        f'<td class="bt-new">{TODAY}<div class="bt-consequence">closes 2 open attention items: '
        "smart_failing (WD-1), disk_hot (WD-2)</div></td>" in updated
    )
    assert (
        '<td class="bt-new">–<div class="bt-consequence">reopens 1 attention item its '
        "retirement closed: smart_degrading (WD-9)</div></td>" in updated
    )
    assert AttentionItem.objects.filter(closed_at__isnull=True).count() == 2


def test_a_file_that_only_brings_machines_back_or_only_retires_says_so(fleet, tmp_path):
    def dry_run(text):
        out = io.StringIO()
        call_command("import_devices", _file(tmp_path, text), "--dry-run", stdout=out)
        return out.getvalue().splitlines()[0]

    back = dry_run("hostname,retired_on\nold-nas,\n")
    assert back.endswith("; reopens 1 attention item its retirement closed: smart_degrading (WD-9)")
    gone = dry_run(f"hostname,retired_on\nnas,{TODAY}\n")
    assert gone.endswith("; closes 2 open attention items: smart_failing (WD-1), disk_hot (WD-2)")


def _long_file(fleet, listed):
    """`listed` changed devices before nas's row: nas's retirement is past the preview's list."""
    for number in range(listed):
        DeviceFactory(hostname=f"box-{number:03}")
    rows = "".join(f"box-{number:03},rack {number}\n" for number in range(listed))
    return f"hostname,location,retired_on\n{rows}nas,,{TODAY}\nquiet,,{TODAY}\n"


def test_the_dry_run_names_a_retirement_that_closes_items_past_its_list(fleet, tmp_path):
    """--dry-run lists 50 changes: a file that retired nas on its 53rd row said "… and 3
    more", not that nas's failing disk would be closed."""
    out = io.StringIO()

    call_command("import_devices", _file(tmp_path, _long_file(fleet, 51)), "--dry-run", stdout=out)

    text = out.getvalue()
    assert "  … and 3 more, of which these close or reopen attention items:\n" in text
    (nas,) = [line for line in text.splitlines() if line.startswith("  line 53 nas (changed): ")]
    assert f'retired_on "" → "{TODAY}"; closes 2 open attention items: ' in nas
    assert nas.endswith("smart_failing (WD-1), disk_hot (WD-2)")
    assert "quiet (changed)" not in text  # nothing to close: counted only


def test_the_admin_preview_names_a_retirement_that_closes_items_past_its_list(fleet, admin_client):
    """The admin's preview lists 200 changed devices: nas retired on row 202 was one of "… and
    2 more changed devices", its failing disk's item closed unsaid."""
    data = _long_file(fleet, 200).encode()
    upload = SimpleUploadedFile("devices.csv", data, content_type="text/csv")

    html = admin_client.post(IMPORT_URL, {"file": upload}).content.decode()

    more = html.split('id="import-foreseen-more"', 1)[1].split("</ul>", 1)[0]
    assert "Of the 2 more changed devices, these close or reopen attention items:" in more
    assert ">nas</a> (line 202): closes 2 open attention items: smart_failing (WD-1), " in more
    assert "quiet" not in more
