"""An office's fleet in a real browser (Chromium + Playwright against gunicorn): what a person
finds at 1366 px with the navigation sidebar open, and on a 390 px phone, once the lists are
longer than a screen (perf/office.py's 300 machines, walked: README "Performance").

A fleet of its own (30 machines named as an office names them: ws-017, mini-050, kiosk-011),
so the other browser tests' fleets stay as they are. Screenshots go to $SCREENSHOT_DIR.
"""

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from benchsite.livetest import live_server, manage
from benchsite.tests.markers import engine_independent
from benchsite.tests.test_browser import (  # noqa: F401 (fixtures)
    ADMIN_PASSWORD,
    ADMIN_USER,
    browser,
    logged_in,
    post,
    shot,
    sync_api,
)

pytestmark = [pytest.mark.live, engine_independent]  # pages render alike on either database

KINDS = ("ws", "ws", "mini", "ws", "nb", "kiosk", "srv")
HOSTNAMES = [f"{KINDS[n % len(KINDS)]}-{n * 7 % 300:03d}" for n in range(30)]
FAILING = HOSTNAMES[2:9]  # a disk reporting SMART FAILED: an open critical item each
HOT = HOSTNAMES[9:23]  # a disk at 64 °C: a warning each
BELOW = HOSTNAMES[21:]  # at half their twins' scores (one CPU model): a warning each, 2 hot too
WORN = HOSTNAMES[10:12]  # an NVMe past 80 % of its rated life
OLD = HOSTNAMES[12:15]  # a disk of 40,000 power-on hours or more
# their weekly run stopped 15 to 33 days ago: the dashboard's "Not heard from", ten of them
QUIET = {name: 15 + 2 * n for n, name in enumerate(HOSTNAMES[15:25])}
MONTHS = 12  # HOSTNAMES[0]'s monthly runs: a score history to chart
DEVICES: dict[str, int] = {}  # a hostname → its device's id


@pytest.fixture(scope="module")
def server(tmp_path_factory, example_document):
    with live_server(tmp_path_factory.mktemp("browser-office")) as live:
        made = manage(
            *("createsuperuser", "--noinput", "--username", ADMIN_USER),
            *("--email", "admin@example.com"),
            env={**live.env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        for n, name in enumerate(HOSTNAMES):
            document = copy.deepcopy(example_document)
            document.update(device_identifier=name, submission_id=str(uuid.uuid4()))
            document["hardware"]["system"] = {"machine_id": f"{n + 1:032x}"}
            disk = document["hardware"]["storage"]["devices"][1]
            disk["serial"] = f"WD-{n:08d}"
            if name in FAILING:
                disk.update(smart_health="FAILED", reallocated_sectors=180)
            if name in HOT:
                disk["temperature_c"] = 64
            if name in BELOW:
                for category in ("cpu", "memory", "disk", "network", "gpu"):
                    document["results"][category]["score"] /= 2
            if name in WORN:
                document["hardware"]["storage"]["devices"][0]["percent_used"] = 90 + n
            if name in OLD:
                disk["power_on_hours"] = 45_000 + 1_000 * n
            for month in range(MONTHS - 1 if n == 0 else 0, 0, -1):  # its earlier runs first
                earlier = copy.deepcopy(document)
                earlier["submission_id"] = str(uuid.uuid4())
                started = datetime.now(UTC) - timedelta(days=30 * month)
                earlier["results"]["conditions"] = {
                    "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ")
                }
                post(live, earlier)
            if name in QUIET:
                started = datetime.now(UTC) - timedelta(days=QUIET[name], hours=1)
                document["results"]["conditions"] = {
                    "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ")
                }
            DEVICES[name] = post(live, document)["device_id"]
        # the quiet machines' runs arrived when they ran (a run dated back alone is a clock
        # behind, heard from now: inventory.quiet)
        arrived = manage("shell", "-c", ARRIVED_WHEN_RUN, env=live.env, timeout=60)
        assert arrived.returncode == 0, arrived.stderr
        yield live


ARRIVED_WHEN_RUN = f"""
from django.db.models import F
from benchmarks.models import Benchmark
from inventory.models import Device
quiet = {sorted(QUIET)!r}
Benchmark.objects.filter(device__hostname__in=quiet).update(received_at=F("run_at"))
Device.objects.filter(hostname__in=quiet).update(last_received_at=F("last_benchmark_at"))
# last night's backup, as an office has one (the dashboard warns of none made yet)
from django.utils import timezone
from benchsite.models import Backup
Backup.objects.create(created_at=timezone.now(), host="office-nas", path="/b/nightly.tar", size=1)
"""


def test_on_a_phone_the_device_list_s_filters_are_a_tap_away(browser, server):  # noqa: F811
    """On a phone the filters come after the whole page of rows (50 of an office's 300
    machines: 3,500 px of scrolling to "By location"): a link above the search goes to them.
    Wide, beside the list, they need none."""
    with logged_in(browser, server, width=390, height=844) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        link = page.get_by_role("link", name="Filters")
        box = link.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, box  # in the first screen
        link.click()
        page.wait_for_function("() => window.scrollY > 0")
        top = page.locator("#changelist-filter").bounding_box()["y"]
        assert 0 <= top < 844, top  # the filters in sight
        shot(page, "office-phone-filters")
    with logged_in(browser, server, width=1366, height=768) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        assert page.locator("#changelist-filter").is_visible()
        assert not page.get_by_role("link", name="Filters").is_visible()


def test_at_1366_px_30_open_items_leave_the_ranking_in_the_first_screen(browser, server):  # noqa: F811
    """30 open items took a line each, 20 of them shown: the panel filled the first screen and
    the ranking, the product's main screen, began under it. Each failing disk has its line,
    the 23 warnings a line per kind, and the ranking's first rows are in sight."""
    with logged_in(browser, server, width=1366, height=768) as page:
        assert page.locator("#attention h2").inner_text() == "Needs attention 30 open"
        critical = page.locator("#attention li.bt-attention-critical")
        said = [critical.nth(i).inner_text() for i in range(critical.count())]
        assert sorted(line.split(":")[0].split()[-1] for line in said) == sorted(FAILING)
        assert all("reports SMART FAILED" in line for line in said), said
        boxes = [critical.nth(i).bounding_box() for i in range(critical.count())]
        warnings = page.locator("#attention li.bt-attention-warning")
        assert [warnings.nth(i).get_attribute("data-kind") for i in range(2)] == [
            "below_peers",
            "disk_hot",
        ]
        rows = page.locator("#ranking tbody tr")
        firsts = [rows.nth(i).bounding_box() for i in range(3)]
        shot(page, "office-dashboard-30-items")
        assert all(0 <= box["y"] and box["y"] + box["height"] <= 768 for box in boxes), boxes
        assert all(box["y"] + box["height"] <= 768 for box in firsts), firsts


def test_at_1366_px_ten_machines_not_heard_from_leave_the_ranking_in_the_first_screen(
    browser,  # noqa: F811
    server,
):
    """Ten machines gone quiet took a line each under the open items: 400 px, and the ranking
    began under the first screen. They follow each other on a line, longest silent first."""
    with logged_in(browser, server, width=1366, height=768) as page:
        panel = page.locator("#quiet-machines")
        names = panel.locator("li")
        assert names.count() == 10
        hostnames = [names.nth(i).get_attribute("data-hostname") for i in range(10)]
        assert hostnames == sorted(QUIET, key=QUIET.get, reverse=True)
        assert names.nth(0).inner_text() == "ws-168 33 days"
        assert panel.bounding_box()["height"] <= 70, panel.bounding_box()  # its heading, a line
        rows = page.locator("#ranking tbody tr")
        firsts = [rows.nth(i).bounding_box() for i in range(3)]
        shot(page, "office-dashboard-quiet")
        assert all(box["y"] + box["height"] <= 768 for box in firsts), firsts


def test_the_attention_list_keeps_each_hostname_on_one_line(browser, server):  # noqa: F811
    """At 1366 px with the sidebar open the device column is narrow: "mini-050" was cut at its
    hyphen, "mini-" over "050", a name no one could read or search for."""
    with logged_in(browser, server, width=1366, height=768) as page:
        page.goto(f"{server.url}/admin/insights/attentionitem/")
        links = page.locator("#result_list td.field-device_link a")
        assert links.count() == len(FAILING + HOT + BELOW)  # 30 items, 28 machines
        lines = {
            links.nth(i).inner_text(): links.nth(i).evaluate("a => a.getClientRects().length")
            for i in range(links.count())
        }
        shot(page, "office-attention-list")
        assert lines == dict.fromkeys(FAILING + HOT + BELOW, 1)


def test_the_disks_near_the_end_of_their_life_are_beside_the_hardware_changes(browser, server):  # noqa: F811
    """An office admin plans the replacements from the worn and old disks: no attention item
    opens for them, so the panel stands with the hardware changes, under the ranking (what
    needs attention and the ranking keep the first screen), its worst disks first."""
    with logged_in(browser, server, width=1366, height=768) as page:
        panel = page.locator(".bt-side-column #disk-life")
        box, ranking = panel.bounding_box(), page.locator("#ranking").bounding_box()
        shot(page, "office-dashboard-disk-life")
        assert box is not None and box["y"] > ranking["y"] + ranking["height"], (box, ranking)
        assert page.locator("#hardware-changed").bounding_box()["y"] > box["y"]
        named = panel.locator("li").evaluate_all("lines => lines.map(li => li.dataset.hostname)")
        assert named == [*reversed(WORN), *reversed(OLD)]  # the worst first


def test_a_long_import_preview_can_be_applied_from_its_first_screen(browser, server, tmp_path):  # noqa: F811
    """An office's spreadsheet moving every machine: the preview lists each one's fields, and
    its only Apply button came after them (300 rows: 21,000 px down). It is in the first screen,
    under the summary, too."""
    spreadsheet = tmp_path / "rooms.csv"
    rooms = ("Accounting, 2nd floor", "Design studio", "Server room")
    spreadsheet.write_text(
        "hostname,location,owner\n"
        + "".join(f'{name},"{rooms[n % 3]}",IT\n' for n, name in enumerate(HOSTNAMES))
    )
    with logged_in(browser, server, width=1366, height=768) as page:
        page.goto(f"{server.url}/admin/inventory/device/import/")
        page.set_input_files("input[type=file]", str(spreadsheet))
        page.click("#import-upload input[type=submit]")
        page.wait_for_selector("#import-updated")
        apply = page.get_by_role("button", name="Apply these changes").first
        box = apply.bounding_box()
        shot(page, "office-import-preview")
        assert box is not None and box["y"] + box["height"] <= 768, box
        apply.click()
        page.wait_for_selector(".messagelist .success")
        assert f"0 new, {len(HOSTNAMES)} changed" in page.locator(".messagelist").inner_text()


def test_on_a_phone_a_chart_opens_at_its_newest_end_with_its_scale_in_sight(browser, server):  # noqa: F811
    """A chart on a phone keeps a readable size and opens scrolled to its newest runs: its
    scale, at its left edge, was out of sight, lines without a figure to read them by."""
    with logged_in(browser, server, width=390, height=844) as page:
        page.goto(f"{server.url}/admin/inventory/device/{DEVICES[HOSTNAMES[0]]}/change/")
        wrap = page.locator(".bt-chart-wrap").first
        wrap.scroll_into_view_if_needed()
        page.wait_for_function(
            "() => document.querySelector('.bt-chart-wrap').scrollLeft > 0"
        )  # at its newest end
        shot(page, "office-phone-chart")
        seen = wrap.evaluate(
            """box => {
                const edges = box.getBoundingClientRect();
                return [...box.querySelectorAll('text.bt-axis')].filter(text => {
                    const r = text.getBoundingClientRect();
                    return r.width > 0 && r.left >= edges.left && r.right <= edges.right
                        && /^[0-9.]+$/.test(text.textContent);
                }).map(text => text.textContent);
            }"""
        )
        assert len(seen) >= 4, seen  # the scale's figures, 0 at its foot left out


def test_on_a_phone_the_hardware_changes_form_is_in_reach_of_a_thumb(browser, server):  # noqa: F811
    """Its Show button was 24 px high and its boxes 13 px, where a list's Go is 44 px and its
    rows' boxes 24 px."""
    with logged_in(browser, server, width=390, height=844) as page:
        page.goto(f"{server.url}/admin/inventory/device/hardware-changes/")
        show = page.get_by_role("button", name="Show").bounding_box()
        boxes = page.locator("#hardware-changes-filter input[type=checkbox]")
        sizes = [boxes.nth(i).bounding_box() for i in range(boxes.count())]
        shot(page, "office-phone-hardware-changes")
        assert show["height"] >= 44, show
        assert sizes and all(box["width"] >= 24 and box["height"] >= 24 for box in sizes), sizes


def test_on_a_phone_the_device_list_keeps_an_office_s_names_whole(browser, server):  # noqa: F811
    """The list's widest names wrap (a FQDN), and at 390 px the column gave way down to a few
    letters: kiosk-035 and mini-014 were cut at their hyphen, one name read as two."""
    with logged_in(browser, server, width=390, height=844) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        # the name's own lines: its attention mark, inside the link, may go under it
        lines = page.locator("#result_list th.field-hostname_marked a").evaluate_all(
            """links => links.map(a => {
                const name = document.createRange();
                name.selectNodeContents(a.firstChild);
                return [a.firstChild.textContent.trim(), name.getClientRects().length];
            })"""
        )
        assert dict(lines) == dict.fromkeys(HOSTNAMES, 1)
