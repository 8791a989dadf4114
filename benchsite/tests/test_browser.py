"""The admin in a real browser: Debian's Chromium driven by Playwright, against gunicorn.

Full-page screenshots go to $SCREENSHOT_DIR when it is set, for a person to look at.
"""

import contextlib
import copy
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchsite.livetest import ROOT, live_server
from benchsite.tests.markers import engine_independent

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_USER, ADMIN_PASSWORD = "admin", "a-long-admin-password-1"
# asked for (SCREENSHOT_DIR=.screenshots): the 49 full-page screenshots cost Chromium ~10 s of
# CPU on each run of the suite, which nobody looks at
SCREENSHOTS = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None

pytestmark = [
    pytest.mark.live,
    # pages render alike on either database: the SQLite run drives the browser
    engine_independent,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")


def post(server, document):
    return server.submit(document, timeout=30)[1]


def admin_created(live) -> None:
    """The admin account of a live server, made as a person makes it (manage.py)."""
    subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"]
        + ["--username", ADMIN_USER, "--email", "admin@example.com"],
        cwd=ROOT,
        env={**live.env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory, example_document):
    with live_server(tmp_path_factory.mktemp("browser")) as live:
        admin_created(live)
        for name, factor in (("middle-box", 1.0), ("fast-box", 2.5), ("slow-box", 0.4)):
            document = copy.deepcopy(example_document)
            document["device_identifier"] = name
            document["submission_id"] = str(uuid.uuid4())
            document["hardware"]["system"] = {"machine_id": uuid.uuid4().hex}
            for category in ("cpu", "memory", "disk", "network", "gpu"):
                document["results"][category]["score"] *= factor
            if name == "slow-box":  # a NAS disk failing, hot, with reallocated sectors
                document["hardware"]["storage"]["devices"][1].update(
                    smart_health="FAILED", temperature_c=61, reallocated_sectors=24
                )
            post(live, document)
        busy = copy.deepcopy(example_document)
        busy.update(device_identifier="middle-box", submission_id=str(uuid.uuid4()))
        busy["hardware"]["system"] = {}
        busy["results"]["cpu"]["score"] = 31.0
        busy["results"]["conditions"] = {"cpu_busy_percent": 72.5, "cpu_throttled": True}
        post(live, busy)
        upgraded = copy.deepcopy(example_document)
        upgraded.update(device_identifier="fast-box", submission_id=str(uuid.uuid4()))
        upgraded["hardware"]["system"] = {}
        upgraded["hardware"]["ram"]["total_mb"] = 131072
        for category in ("cpu", "memory", "disk", "network", "gpu"):
            upgraded["results"][category]["score"] *= 2.6
        post(live, upgraded)
        yield live


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


_signed_in: dict[str, list] = {}  # a server's URL → the admin's session cookies


@contextlib.contextmanager
def logged_in(browser, server, *, width: int, height: int, clipboard: bool = False):
    """A page of a window this size, the admin logged in, on the dashboard. A server's first
    window signs in through the login form; the next ones start with that session's cookies
    (no local storage: each window's sidebar starts as a person's first visit), which spares
    the server a PBKDF2 of Django's 1,000,000 iterations each time."""
    cookies = _signed_in.get(server.url)
    context = browser.new_context(
        viewport={"width": width, "height": height},
        storage_state={"cookies": cookies, "origins": []} if cookies else None,
    )
    if clipboard:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    refused = refusals_of(context)
    page = context.new_page()
    try:
        if cookies:
            page.goto(f"{server.url}/admin/")
        else:
            page.goto(f"{server.url}/admin/login/")
            page.fill("#id_username", ADMIN_USER)
            page.fill("#id_password", ADMIN_PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url(f"{server.url}/admin/")
            _signed_in[server.url] = context.storage_state()["cookies"]
        yield page
    finally:
        context.close()
    # what the pages of the test did, they did within the site's policy (benchsite.csp)
    assert refused == [], refused


def refusals_of(context) -> list[str]:
    """What the browser refused by the site's Content-Security-Policy on this window's pages
    (a script of the admin's, inline or from another host, that would not run)."""
    refused: list[str] = []
    context.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


@contextlib.contextmanager
def tabs(browser, server, *, width: int, height: int, clipboard: bool = False):
    """tab() → a new tab of one window this size, the admin logged in, on the dashboard. A
    new window's first page costs Chromium ~1.4 s of CPU (a renderer, the admin's CSS and
    JavaScript fetched and compiled again), a new tab of one already open ~0.6 s: the tests
    that neither resize the window nor change its sidebar share one, a tab each."""
    with logged_in(browser, server, width=width, height=height, clipboard=clipboard) as first:

        @contextlib.contextmanager
        def tab():
            page = first.context.new_page()
            try:
                page.goto(f"{server.url}/admin/")
                yield page
            finally:
                page.close()

        yield tab


@pytest.fixture(scope="module")
def window(browser, server):
    with tabs(browser, server, width=1400, height=1000, clipboard=True) as tab:
        yield tab


@pytest.fixture
def page(window):
    with window() as page:
        yield page


def opened(page, selector: str) -> None:
    """Wait for the page a click opened, read whole: Playwright's click returns once the new
    page is committed, and what a test counted or measured below `selector` could be the
    half of it read so far (5 times in 180 under load)."""
    page.wait_for_selector(selector)
    page.wait_for_load_state()


def shot(page, name):
    if SCREENSHOTS is None:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def underlined(link) -> bool:
    """Whether a link is underlined: in a sentence, its colour alone did not tell it."""
    return link.evaluate("a => getComputedStyle(a).textDecorationLine") == "underline"


def test_dashboard_ranks_the_fleet_and_offers_the_command(page, server):
    rows = page.locator("#ranking tbody tr")
    assert [rows.nth(i).get_attribute("data-hostname") for i in range(rows.count())] == [
        "fast-box",
        "middle-box",
        "slow-box",
    ]
    command = page.locator("#bench-command").inner_text()
    assert command == (
        f"curl -fsSL {server.url}/bench.sh | sudo bash -s -- "
        f"--server {server.url}/api/benchmark --token YOUR_TOKEN"
    )
    page.click("#copy-bench-command")
    # the label changes once the asynchronous clipboard write has finished
    sync_api.expect(page.locator("#copy-bench-command")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == command
    # said to a screen reader too; a second click while it reads "Copied" does not keep that
    sync_api.expect(page.locator("#bt-copy-status")).to_have_text("Copied to the clipboard")
    page.click("#copy-bench-command")
    sync_api.expect(page.locator("#copy-bench-command")).to_have_text("Copy", timeout=4000)
    shot(page, "dashboard")
    page.emulate_media(color_scheme="dark")
    shot(page, "dashboard-dark")
    # Windows' high contrast drops backgrounds: the bars, a background, read empty
    page.emulate_media(color_scheme="light", forced_colors="active")
    bar = page.locator("#ranking .bt-bar-fill").first
    assert bar.evaluate("e => getComputedStyle(e).borderBottomStyle") == "solid"
    assert bar.evaluate("e => e.getBoundingClientRect().width") > 0
    page.emulate_media(forced_colors="none")


def test_a_failing_disk_is_seen_first_on_the_dashboard(page):
    first = page.locator("#attention li").first
    assert "slow-box" in first.inner_text() and "reports SMART FAILED" in first.inner_text()
    assert first.get_attribute("data-kind") == "smart_failing"
    # the "N open" link reads on the red heading (a blue link there was 1.33:1)
    link = page.locator("#attention h2 a")
    assert link.evaluate("a => getComputedStyle(a).color") == "rgb(255, 255, 255)"
    assert (
        page.locator("#attention").bounding_box()["y"]
        < page.locator("#ranking").bounding_box()["y"]
    )
    middle = page.locator('#ranking tr[data-hostname="middle-box"]').inner_text()
    assert "newer run not counted: CPU throttled, machine busy" in middle
    # a link in a sentence is underlined: the item's machine, "All devices"
    assert underlined(first.locator("a")) and underlined(page.locator(".bt-more a").first)


def test_the_device_page_tells_what_needs_attention(page):
    page.click("#ranking >> text=slow-box")
    opened(page, "#attention-items")
    assert "reports SMART FAILED" in page.locator("#attention-items").inner_text()
    # the failing disk's SMART history first, under its own anchor (the second disk sent)
    assert "FAILED" in page.locator(".bt-smart").first.inner_text()
    assert "FAILED" in page.locator("#smart-2").inner_text()
    # a disk's attention badges wrap in its SMART cell: the page does not scroll sideways
    assert page.locator("#disks .bt-badge").count() >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    shot(page, "device-attention")
    # at 1024 px (sidebar open) the failing disk's health shows without scrolling the table:
    # it was the 7th of 8 columns, off to the right (UX audit)
    page.set_viewport_size({"width": 1024, "height": 900})
    failed = page.locator("#disks .bt-bad").first
    page.evaluate(
        "y => window.scrollTo(0, y)",
        failed.evaluate("e => e.getBoundingClientRect().top + scrollY - 200"),
    )
    seen = failed.evaluate(
        """e => { const r = e.getBoundingClientRect();
                  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                  return r.right <= innerWidth && (hit === e || e.contains(hit)); }"""
    )
    page.set_viewport_size({"width": 1400, "height": 900})
    assert seen, "the failing disk's SMART badge is out of sight at 1024 px"
    # Acknowledge posts a form of its own: what was typed in the page and not saved was lost
    # without a word. It asks first now (the browser's "Leave site?"), and staying keeps it
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    before = page.input_value("#id_location")
    page.fill("#id_location", "Placard réseau")
    page.locator("#attention-items button").first.click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.input_value("#id_location") == "Placard réseau"
    assert page.locator(".messagelist").count() == 0
    page.fill("#id_location", before)  # nothing left unsaved: it does not ask
    page.locator("#attention-items button").first.click()
    opened(page, ".messagelist")
    assert dialogs == ["beforeunload"]
    assert "Acknowledged" in page.locator(".messagelist").inner_text()
    # in sight: the page came back scrolled to the items, the message out of sight above them
    said = page.locator(".messagelist").bounding_box()
    assert 0 <= said["y"] < page.viewport_size["height"], said
    # and the keyboard goes on from the message: the next item's Acknowledge a few Tabs away
    # (Tab began again at the page's top: 38 Tabs through the header and the sidebar)
    assert page.locator("#attention-items button").count() >= 1
    for tabs in range(1, 6):  # noqa: B007 (said when it fails)
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#attention-items') !== null"):
            break
    assert page.evaluate("document.activeElement.textContent") == "Acknowledge", tabs


def test_device_page_tells_the_machines_story(page):
    page.click("#ranking >> text=fast-box")
    opened(page, "#hardware")
    assert "Intel(R) Core(TM) i7-6700" in page.locator("#hw-cpu").inner_text()
    assert page.locator("#dimms tbody tr").count() == 4
    assert "PASSED" in page.locator("#disks").inner_text()
    assert page.locator("#score-history svg polyline").count() >= 6
    assert "changed: RAM 64→128 GB" in page.locator("#history").inner_text()
    assert underlined(page.locator("#history td:first-child > a").first)
    said = page.locator("#snapshots .help a").all()  # "All 2 snapshots", "Compare any two"
    assert len(said) == 2 and all(underlined(link) for link in said)
    shot(page, "device")
    # a disk's temperature chart (a sound disk's, drawn on demand), drawn smaller than its
    # 900 × 280 units: its text still reads at 10 px or more (11 units came out as 8 px; UX
    # audit), its unit said
    page.goto(page.url.split("?")[0].split("#")[0] + "?all=charts")
    chart = page.locator("#smart-1-temperature svg")
    assert "°C" in chart.get_attribute("aria-label")
    drawn = chart.locator(".bt-axis").first.evaluate(
        """text => { const box = text.ownerSVGElement.getBoundingClientRect();
                     const scale = Math.min(box.width / 900, box.height / 280);
                     return parseFloat(getComputedStyle(text).fontSize) * scale; }"""
    )
    assert drawn >= 10, drawn


def test_a_sound_disks_chart_is_drawn_on_demand(page):
    """A disk sound throughout is said in a line under its SMART table, its flat temperature
    line and its data no longer drawn at every view: its link opens the page with it drawn,
    at it."""
    page.click("#ranking >> text=fast-box")
    said = page.locator("#smart-1-sound")
    assert said.inner_text().startswith("Sound throughout: PASSED in all 2 readings, ")
    assert page.locator("#smart-1-temperature").count() == 0
    said.locator("a", has_text="Draw its temperature chart").click()
    page.wait_for_url("**?all=charts#smart-1-temperature")
    chart = page.locator("#smart-1-temperature svg")
    sync_api.expect(chart).to_be_in_viewport()
    assert "°C" in chart.get_attribute("aria-label")
    assert page.locator("#smart-1-temperature-data tbody tr").count() == 2  # its Chart data
    assert page.locator("#smart-1-sound a").count() == 0  # drawn: nothing to ask for
    shot(page, "device-sound-disk-chart")


def test_a_charts_point_says_its_value_and_time_when_hovered(page):
    """A point's title was written into the page, 110 KB of a long history's 412: charts.js
    gives a point its title from its row of the chart's data table when the pointer is on it,
    as it read (the series, its value, its time, a suspect run's reasons)."""
    page.click("#ranking >> text=middle-box")
    point = page.locator("#score-chart .bt-points").first.locator(".bt-point-suspect")
    point.wait_for()  # the device page, not the dashboard the click left: count() waits for nothing
    assert page.locator("#score-chart svg .bt-points title").count() == 0
    point.hover()
    row = page.locator("#score-chart-data tbody tr").last  # the busy run, the newest
    # the table is in its closed "Chart data": its text, not what is rendered
    when, value = row.locator("th").text_content(), row.locator("td").first.text_content()
    suspect = row.locator("td.bt-wrap").first.text_content()
    assert suspect.startswith("suspect: ") and "machine busy" in suspect
    title = f"global {value} — {when} — {suspect}"
    assert point.locator("title").text_content() == title


def test_at_1024_px_the_device_list_has_the_room_of_the_navigation_sidebar(browser, server):
    """The sidebar starts closed below 1366 px: at 1024 px it took the device list's network,
    GPU and last-run columns off to the right (UX audit). Opened, it stays open (Django keeps
    a person's choice); a wider window shows it as Django does."""
    key = "django.admin.navSidebarIsOpen"
    with logged_in(browser, server, width=1024, height=900) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        assert "shifted" not in page.locator("#main").get_attribute("class")
        for column in ("network_score", "gpu_score"):
            header = page.locator(f"#result_list th.column-{column}")
            seen = header.evaluate(
                """e => { const r = e.getBoundingClientRect();
                          const hit = document.elementFromPoint(r.right - 2, r.top + r.height / 2);
                          return r.right <= innerWidth && (hit === e || e.contains(hit)); }"""
            )
            assert seen, f"the {column} column is out of sight at 1024 px"
        assert page.evaluate(f"localStorage.getItem('{key}')") is None  # nothing chosen
        shot(page, "device-list-1024")
        page.click("#toggle-nav-sidebar")
        page.reload()
        assert "shifted" in page.locator("#main").get_attribute("class")
    with logged_in(browser, server, width=1400, height=900) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        assert "shifted" in page.locator("#main").get_attribute("class")
        assert page.evaluate(f"localStorage.getItem('{key}')") is None


def test_the_api_tokens_help_is_not_under_the_add_button(page, server):
    page.goto(f"{server.url}/admin/benchsite/apitoken/")
    help_box = page.locator("#api-token-env").bounding_box()
    add_box = page.locator(".object-tools").bounding_box()
    assert help_box["y"] >= add_box["y"] + add_box["height"]  # below it, not behind it
    shot(page, "api-tokens")


def test_reloading_a_new_tokens_page_issues_no_second_token(page, server):
    """The page answered the form's POST: a reload sent it again, and issued a second token
    in place of the one on the screen, which was no longer shown."""
    page.goto(f"{server.url}/admin/benchsite/apitoken/add/")
    page.fill("#id_name", "rack A bench")
    page.check("#id_can_submit")
    page.click("input[name=_save]")
    secret = page.locator("#issued-token").text_content()

    page.reload()

    assert page.locator("#issued-gone").is_visible() and secret not in page.content()
    page.goto(f"{server.url}/admin/benchsite/apitoken/?q=rack+A+bench")
    assert page.locator("#result_list tbody tr").count() == 1


def test_on_a_phone_a_chart_keeps_a_readable_size_in_its_own_box(browser, server):
    with logged_in(browser, server, width=390, height=844) as page:
        page.click("#ranking >> text=fast-box")
        opened(page, "#score-history svg")
        chart = page.locator("#score-history .bt-chart").bounding_box()
        assert chart["width"] >= 640  # its 11 px text drawn at 8 px, not 5
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # its legend, at the drawing's right, was cut off there: it is under it, whole
        legend = page.locator("#score-history .bt-chart-legend li").all()
        assert len(legend) >= 6  # the global score and the five categories
        for item in legend:
            box = item.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, item.inner_text()
        shot(page, "device-chart-390")


def test_two_snapshots_are_compared_from_the_device_page(page):
    page.click("#ranking >> text=fast-box")
    page.click("#snapshots >> text=Compare any two")
    opened(page, "#compare")
    assert "RAM 64→128 GB" in page.locator("#content-main").inner_text()  # the two newest
    # its two runs' scores above the hardware: every category 2.5 → 2.6 times the example's
    assert page.locator("#compare-scores tr[data-row=global] td").last.inner_text() == "+4.0 %"
    newest = page.locator("#compare-pick select[name=b]").input_value()
    page.select_option("#compare-pick select[name=a]", newest)  # the same one on both sides
    page.click("#compare-pick input[type=submit]")
    page.wait_for_selector("text=No hardware change between these two snapshots.")
    shot(page, "device-compare")


def test_a_link_is_added_from_the_device_page(page, server):
    page.click("#ranking >> text=middle-box")
    opened(page, "#hardware")
    # the tags' search box, which Select2 makes in the page, is named (search_names.js)
    search = page.locator("#id_tags ~ .select2 .select2-search__field")
    sync_api.expect(search).to_have_attribute("aria-label", "Find a tag")
    page.click("#links-group .add-row a")
    page.fill("#id_links-0-label", "BIOS updates")
    page.fill("#id_links-0-url", "https://support.hp.com/drivers")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert page.locator("#id_links-0-label").input_value() == "BIOS updates"
    shot(page, "device-link-added")


def test_the_browser_never_fetches_from_another_host(browser, server):
    context = browser.new_context()
    foreign = []
    context.on("request", lambda r: None if r.url.startswith(server.url) else foreign.append(r.url))
    refused = refusals_of(context)
    page = context.new_page()
    for path in ("/admin/login/", "/api/schema/ui/"):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
    # the API's page is drawn, by its own script (an inline one the policy would refuse)
    assert page.locator(".opblock-summary-path", has_text="/api/benchmark").count() >= 1
    context.close()
    assert foreign == []
    assert refused == []


def test_a_document_is_uploaded_from_the_device_page(page, tmp_path):
    from documents.tests.files import pdf_bytes

    manual = tmp_path / "Manuel d'entretien.pdf"
    manual.write_bytes(pdf_bytes("service manual"))
    page.click("#ranking >> text=slow-box")
    opened(page, "#hardware")
    page.set_input_files("#id_documents-0-file", str(manual))
    page.select_option("#id_documents-0-doc_type", "manual")
    page.fill("#id_documents-0-title", "Service manual")
    page.click("input[name=_continue]")
    opened(page, ".messagelist .success")
    group = page.locator("#documents-group").inner_text()
    assert "application/pdf" in group
    with page.expect_download() as download_info:
        page.click("#documents-group >> text=Manuel d'entretien.pdf")
    download = download_info.value
    assert download.suggested_filename == "Manuel d'entretien.pdf"
    assert Path(download.path()).read_bytes() == manual.read_bytes()
    # a second document, now that the device has one: the page's form was no longer multipart
    # (its first inline row, a stored document, asked for none), so the browser sent the
    # file's name only and the upload was dropped under "changed successfully"
    # its type left at "guess": an invoice by its name, where it was filed as "other"
    invoice = tmp_path / "Rechnung 2026-118.pdf"
    invoice.write_bytes(pdf_bytes("invoice 2026-118"))
    page.set_input_files("#id_documents-1-file", str(invoice))
    page.click("input[name=_continue]")
    # the page before said "changed successfully" too: the new page is the one that lists it
    sync_api.expect(page.locator("#documents-group")).to_contain_text("Rechnung 2026-118.pdf")
    page.wait_for_load_state()  # the rest of the page read too
    group = page.locator("#documents-group").inner_text()
    assert "Manuel d'entretien.pdf" in group and "Rechnung 2026-118.pdf" in group
    types = page.locator("#documents-group tr:not(.empty-form) select[name$=doc_type]")
    assert types.evaluate_all("selects => selects.map(s => s.value)") == ["invoice", "manual", ""]
    # the table fits its box at 1400 px, each row's delete box in sight
    box = page.locator("#documents-group fieldset")
    assert box.evaluate("e => e.scrollWidth <= e.clientWidth")
    shot(page, "device-document-uploaded")


def test_a_history_replayed_at_once_keeps_one_line_a_row(browser, server, example_document):
    """A machine's old captures posted at once (bench.sh --from-dir): each row of its history
    read "received 2026-12-06 13:43" beside its date, the date broken over two lines at
    1024 px; a small "received later" mark on the date's line gives it in its title."""
    machine = uuid.uuid4().hex
    for weeks in (3, 2, 1):
        document = copy.deepcopy(example_document)
        document.update(device_identifier="replayed-box", submission_id=str(uuid.uuid4()))
        document["hardware"]["system"] = {"machine_id": machine}
        started = datetime.now(UTC) - timedelta(weeks=weeks)
        document["results"]["conditions"] = {"started_at": started.isoformat()}
        device_id = post(server, document)["device_id"]
    with logged_in(browser, server, width=1024, height=900) as page:
        page.goto(f"{server.url}/admin/inventory/device/{device_id}/change/")
        marks = page.locator("#history .bt-received")
        assert marks.count() == 3
        assert (
            marks.evaluate_all("ms => ms.map(m => m.firstChild.textContent)")
            == ["received later"] * 3
        )
        assert marks.first.get_attribute("title").startswith("received 20")
        # each mark on its date's line: the row one line high
        lines = page.locator("#history td:first-child").evaluate_all(
            """cells => cells.map(cell => {
                 const date = cell.querySelector('a').getClientRects();
                 const mark = cell.querySelector('.bt-received').getBoundingClientRect();
                 return date.length === 1 && mark.top < date[0].bottom; })"""
        )
        assert lines == [True] * 3
        shot(page, "device-history-replayed-1024")
