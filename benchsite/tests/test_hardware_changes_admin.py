"""The admin's Hardware changes page and the dashboard's panel: the fleet's hardware changes,
each machine a link to its page and each change to its two snapshots compared."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from inventory.tests.factories import DeviceFactory, SnapshotFactory, upgraded_then_updated

pytestmark = pytest.mark.django_db

PAGE = "/admin/inventory/device/hardware-changes/"


def history(hostname: str, *rams: int) -> list:
    """A machine's snapshots, a day apart up to yesterday, with these amounts of RAM."""
    device, now = DeviceFactory(hostname=hostname), timezone.now()
    return [
        SnapshotFactory(
            device=device, captured_at=now - dt.timedelta(days=len(rams) - n), ram_total_mb=mb
        )
        for n, mb in enumerate(rams)
    ]


def rows(html: str) -> list[str]:
    table = html.split('id="hardware-changes"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-hostname="([^"]+)"', table)


def test_the_page_and_the_panel_tell_each_machines_changes(admin_client):
    before, after = history("upgraded", 32768, 65536)
    node = history("churning", *(16384 * (1 + n % 2) for n in range(6)))  # five changes

    html = admin_client.get(PAGE).content.decode()

    # newest first, each machine's newest 3 at most
    assert rows(html) == ["churning", "upgraded", "churning", "churning"]
    device = before.device_id
    assert f'href="/admin/inventory/device/{device}/change/">upgraded</a>' in html
    assert "RAM 32→64 GB" in html
    compare = f"/admin/inventory/device/{device}/compare/?a={before.pk}&amp;b={after.pk}"
    assert compare in html
    assert "RAM 32→64 GB" in admin_client.get(compare.replace("&amp;", "&")).content.decode()
    assert f"device={node[0].device_id}" in html and "all 5 of this machine" in html

    one = admin_client.get(PAGE, {"device": node[0].device_id}).content.decode()
    assert rows(one) == ["churning"] * 5
    later = admin_client.get(PAGE, {"since": timezone.localdate().isoformat()}).content.decode()
    assert "No hardware change since" in later
    bad = admin_client.get(PAGE, {"since": "2026-13-01"}).content.decode()
    assert 'id="since-error"' in bad and rows(bad) == rows(html)

    dashboard = admin_client.get("/admin/").content.decode()
    panel = dashboard.split('id="hardware-changed"', 1)[1].split("</div>", 1)[0]
    assert "2 machines in service in the last 30 days" in panel
    assert re.findall(r'data-hostname="([^"]+)"', panel) == ["churning", "upgraded"]
    assert f'href="{PAGE}"' in panel and compare in panel
    assert f'href="{PAGE}"' in admin_client.get("/admin/inventory/device/").content.decode()


def test_parts_only_lists_the_ram_upgrade_a_years_kernel_updates_hid(admin_client):
    upgraded_then_updated("pc-03", (16384, 32768))
    every = admin_client.get(PAGE).content.decode()
    assert "RAM 16→32 GB" not in every and "all 4 of this machine" in every

    html = admin_client.get(PAGE, {"parts": "1"}).content.decode()
    assert rows(html) == ["pc-03"]
    assert "RAM 16→32 GB" in html and "kernel" not in html.split('id="hardware-changes"', 1)[1]
    assert '<input type="checkbox" name="parts" value="1" checked>' in html
    assert "a BIOS, OS or kernel update alone left out" in html


def test_the_dashboard_panel_tells_parts_changed_and_counts_updates_apart(
    admin_client, django_assert_max_num_queries
):
    """A month of a weekly cron's kernel updates made the panel say "Hardware changed 23
    machines" with no part changed: it tells the machines of a part changed, and the others
    in small."""
    upgraded_then_updated("pc-03", (16384, 32768))
    for n in range(3):
        history(f"node-{n}", *(16384 * (1 + k % 2) for k in range(4)))  # RAM changed 3 times
    for n in range(4):
        device = DeviceFactory(hostname=f"kernel-{n}")
        for day, kernel in ((3, "6.1"), (2, "6.2"), (1, "6.3")):
            captured_at = timezone.now() - dt.timedelta(days=day)
            SnapshotFactory(device=device, captured_at=captured_at, kernel_version=kernel)
    history("balloon", 16384, 16300, 16384)  # a VM's RAM within rounding: neither
    admin_client.get("/admin/")  # warm the session

    # the dashboard's own, and the panel's four: the machines moved, their changes, the words
    # of all of them (each 500), the words of those shown; and the disks near the end of
    # their life (none here)
    with django_assert_max_num_queries(17):
        dashboard = admin_client.get("/admin/").content.decode()

    panel = dashboard.split('id="hardware-changed"', 1)[1].split("</div>", 1)[0]
    assert "4 machines in service in the last 30 days" in panel
    assert f'href="{PAGE}?parts=1" id="hardware-parts-changed"' in panel
    shown = re.findall(r'data-hostname="([^"]+)"', panel)
    assert sorted(shown) == ["node-0", "node-1", "node-2", "pc-03"]
    assert "RAM 16→32 GB" in panel and "kernel" not in panel.split("</ul>")[0]
    updated = re.search(r'<p class="mini quiet" id="hardware-updated">(.*?)</p>', panel, re.S)[1]
    assert updated == (
        f'4 more machines had only BIOS, OS or kernel updates: <a href="{PAGE}">all changes</a>.'
    )


def panel_said(client) -> str:
    dashboard = client.get("/admin/").content.decode()
    panel = dashboard.split('id="hardware-changed"', 1)[1].split("</div>", 1)[0]
    return re.sub(r"<[^>]+>|\s+", lambda m: " " if m[0].strip() == "" else "", panel).strip()


def test_the_panel_says_no_part_changed_as_a_person_would(admin_client):
    """A month of kernel updates alone read "Hardware changed 0 machines in service in the
    last 30 days" above "23 machines had only BIOS, OS or kernel updates"."""
    assert "No part changed on the machines in service in the last 30 days, and no BIOS" in (
        panel_said(admin_client)
    )
    device = DeviceFactory(hostname="kernel-0")
    for day, kernel in ((2, "6.1"), (1, "6.2")):
        captured_at = timezone.now() - dt.timedelta(days=day)
        SnapshotFactory(device=device, captured_at=captured_at, kernel_version=kernel)

    said = panel_said(admin_client)
    assert "0 machines" not in said
    assert (
        "No part changed on the machines in service in the last 30 days; 1 machine had only"
        " BIOS, OS or kernel updates: all changes." in said
    )
    history("upgraded", 32768, 65536)
    said = panel_said(admin_client)
    assert "Hardware changed 1 machine in service in the last 30 days" in said
    assert "1 more machine had only BIOS, OS or kernel updates: all changes." in said
    assert "No part changed" not in said
