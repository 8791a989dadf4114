"""Fleet tools in a real browser (Chromium + Playwright against gunicorn): the device list at
1400 px with the navigation sidebar open, Compare selected at 2 and 10 machines, Import CSV,
the machines not heard from, axe-core's accessibility rules on the main pages, and the way
from a failing disk's notification to its acknowledgement on a phone.

A fleet of its own (ten machines), so test_browser.py's three-machine ranking stays as it is.
Screenshots go to $SCREENSHOT_DIR, when it is set, for a person to look at.
"""

import copy
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from benchsite.livetest import live_server
from benchsite.tests.markers import engine_independent
from benchsite.tests.test_browser import (  # noqa: F401 (fixtures)
    ADMIN_PASSWORD,
    ADMIN_USER,
    CHROMIUM,
    CHROMIUM_ARGS,
    admin_created,
    browser,
    logged_in,
    opened,
    post,
    refusals_of,
    shot,
    sync_api,
    tabs,
    underlined,
)

pytestmark = [pytest.mark.live, engine_independent]  # pages render alike on either database

MACHINES = (
    ("nas-01", "Intel(R) Xeon(R) E-2236 CPU @ 3.40GHz", 65536, 1.6, False),
    (
        "ws-dev-long-hostname-07.office.example.lan",
        "AMD Ryzen 9 7950X 16-Core Processor",
        131072,
        3.1,
        False,
    ),
    ("pve-node-2", "AMD EPYC 7302P 16-Core Processor", 262144, 2.4, True),
    ("kiosk", "Intel(R) Celeron(R) N5105 @ 2.00GHz", 8192, 0.35, False),
    ("build-runner", "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz", 32768, 1.0, False),
    ("laptop-anna", "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", 16384, 0.9, True),
    ("media", "Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz", 16384, 0.7, False),
    ("backup-01", "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz", 32768, 1.0, False),
    ("gpu-box", "AMD Ryzen 7 5800X 8-Core Processor", 65536, 2.0, False),
    ("old-nuc", "Intel(R) Core(TM) i3-5010U CPU @ 2.10GHz", 8192, 0.3, False),
)
# machines whose weekly cron run stopped: their latest run, so many days ago (the dashboard's
# "Not heard from", over QUIET_AFTER_DAYS' 14 days)
QUIET = {"backup-01": 40, "old-nuc": 23}
DEVICES: dict[tuple[str, str], int] = {}  # (a server's URL, a hostname) → its device's id


@pytest.fixture(scope="module")
def server(tmp_path_factory, example_document):
    import subprocess
    import sys

    from benchsite.livetest import ROOT

    with live_server(tmp_path_factory.mktemp("browser-fleet")) as live:
        admin_created(live)
        for name, cpu, ram, factor, busy in MACHINES:
            document = copy.deepcopy(example_document)
            document.update(device_identifier=name, submission_id=str(uuid.uuid4()))
            document["hardware"]["system"] = {"machine_id": uuid.uuid4().hex}
            document["hardware"]["cpu"]["model"] = cpu
            document["hardware"]["ram"]["total_mb"] = ram
            if busy:  # a suspect run: the compare page shows its badge
                document["results"]["conditions"] = {"cpu_busy_percent": 45}
                document["results"]["disk"]["cv_pct"] = 22.5  # "machine busy, repeats disagree"
            if name in QUIET:
                started = datetime.now(UTC) - timedelta(days=QUIET[name], hours=1)
                started_at = started.strftime("%Y-%m-%dT%H:%M:%SZ")
                document["results"]["conditions"] = {"started_at": started_at}
                if name == "backup-01":  # its timer's runs, stopped
                    document["results"]["conditions"]["scheduled"] = "weekly"
            if name == "nas-01":  # a data disk failing: the notification opened on a phone
                document["hardware"]["storage"]["devices"][1].update(
                    smart_health="FAILED", temperature_c=61, reallocated_sectors=24
                )
            if name == "build-runner":  # its network measured against itself: not in its score
                document["results"]["network"]["target"] = "127.0.0.1"
            for category in ("cpu", "memory", "disk", "network", "gpu"):
                document["results"][category]["score"] *= factor
            answer = post(live, document)
            DEVICES[live.url, name] = answer["device_id"]
            if name == "pve-node-2":  # a manual with a long name and title, on its page
                upload_manual(live, answer["device_id"])
                # and a scan named by its scanner, without a space to break it at: it stretched
                # the table past the panel at 1400 px, its Delete? box out of sight
                scan = "Garantie_" + "_".join(["extension_constructeur_baie_stockage"] * 5)
                upload_manual(live, answer["device_id"], f"{scan}.pdf", "")
            if name == "nas-01":  # a name without a space to break it at, and no title
                upload_manual(live, answer["device_id"], "Garantieschein_NAS01_2024-03.pdf", "")
            if name == "media":  # a week later: its system disk replaced, its kernel updated
                document["submission_id"] = str(uuid.uuid4())
                document["hardware"]["os"]["kernel_version"] = "6.1.0-29-amd64"
                document["hardware"]["storage"]["devices"][0]["serial"] = "S4EWNX0R654321"
                post(live, document)
        # where the machines are, as an import writes it: a location fills its column too
        places = tmp_path_factory.mktemp("places") / "places.csv"
        places.write_text(
            "hostname,location\n"
            'nas-01,"Salle serveur, baie 2"\n'
            "pve-node-2,Paris – DC1\n"
            "kiosk,Hall d'accueil\n",
            encoding="utf-8",
        )
        subprocess.run(
            [sys.executable, "manage.py", "import_devices", str(places)],
            cwd=ROOT,
            env=live.env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        # the quiet machines' runs arrived when they ran (a run dated back alone is a clock
        # behind, heard from now: inventory.quiet)
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", ARRIVED_WHEN_RUN],
            cwd=ROOT,
            env=live.env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield live


ARRIVED_WHEN_RUN = f"""
from django.db.models import F
from benchmarks.models import Benchmark
from inventory.models import Device
quiet = {sorted(QUIET)!r}
Benchmark.objects.filter(device__hostname__in=quiet).update(received_at=F("run_at"))
Device.objects.filter(hostname__in=quiet).update(last_received_at=F("last_benchmark_at"))
# the widest warranty the documents' list says: "ends in 1 year and 1 month"
from datetime import timedelta
from inventory.lifecycle import today
Device.objects.filter(hostname="nas-01").update(warranty_until=today() + timedelta(days=400))
"""


def upload_manual(
    live,
    device_id,
    name="Proxmox VE node maintenance and service guide.pdf",
    title="Service guide for the node's chassis, disks and power supplies",
):
    from documents.tests.files import pdf_bytes

    boundary = uuid.uuid4().hex
    parts = [
        ("file", f'filename="{name}"', pdf_bytes()),
        ("doc_type", "", b"manual"),
        ("title", "", title.encode()),
    ]
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'.encode()
            + (f"; {extra}".encode() if extra else b"")
            + b"\r\n\r\n"
            + data
            + b"\r\n"
            for name, extra, data in parts
        )
        + f"--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{live.url}/api/devices/{device_id}/docs",
        data=body,
        headers={
            "Authorization": f"Bearer {live.token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        assert response.status == 201


@pytest.fixture(scope="module")
def window(browser, server):  # noqa: F811 (the browser fixture, imported above)
    with tabs(browser, server, width=1400, height=900) as tab:
        yield tab


@pytest.fixture
def page(window):
    with window() as page:
        yield page


def test_device_list_fits_1400_px_with_the_sidebar_open(page, server):
    page.goto(f"{server.url}/admin/inventory/device/")
    shot(page, "device-list-1400")
    assert page.locator("#nav-sidebar").is_visible()
    # nothing wider than the window: no horizontal scrolling, every column visible
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    # nor wider than its own box, which would scroll it and cut the last column
    assert page.evaluate(
        "(r => r.scrollWidth <= r.clientWidth)(document.querySelector('#changelist .results'))"
    )
    table = page.locator("#result_list").bounding_box()
    filters = page.locator("#changelist-filter").bounding_box()
    assert table["x"] + table["width"] <= filters["x"]
    cpu = page.locator("#result_list td.field-cpu_model").first
    assert (
        cpu.is_visible() and cpu.bounding_box()["x"] + cpu.bounding_box()["width"] <= filters["x"]
    )
    # a CPU model is shown without its trademarks and clock, whole in its tooltip
    assert cpu.locator(".bt-cut").get_attribute("title") == "AMD Ryzen 9 7950X 16-Core Processor"
    assert cpu.inner_text() == "AMD Ryzen 9 7950X"
    # every CPU model whole, on two lines at the most: none cut ("Intel Core i7-…")
    cut = page.evaluate(
        "[...document.querySelectorAll('#result_list td.field-cpu_model .bt-cut')]"
        ".filter(s => s.scrollWidth > s.clientWidth || s.scrollHeight > s.clientHeight + 1)"
        ".map(s => s.textContent)"
    )
    assert cut == []


def test_at_1024_px_no_list_nor_device_page_table_hides_a_column(browser, server):  # noqa: F811
    """At 1024 px (the sidebar closed, as it starts) the documents' list hid when each was
    uploaded, and every device page's snapshots table its links to compare, past the right
    edge of their boxes; so did the hardware changes' table of a snapshot that told two
    changes (a kernel update and a disk replaced by one of the same model), and the documents
    of a machine that has some their Delete? column (a person's review)."""
    lists = [
        "/admin/inventory/device/",
        "/admin/benchmarks/benchmark/",
        "/admin/inventory/hardwaresnapshot/",
        "/admin/insights/attentionitem/",
        "/admin/documents/document/",
    ]
    with logged_in(browser, server, width=1024, height=900) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        devices = page.eval_on_selector_all(
            "#result_list tbody th a", "links => links.map(a => a.getAttribute('href'))"
        )
        assert len(devices) == len(MACHINES)
        scrolled = {}
        for path in lists + devices:
            page.goto(server.url + path)
            scrolled[path] = page.evaluate(
                """[...document.querySelectorAll('.results, .bt-table, .inline-group .tabular')]
                    .filter(e => e.scrollWidth > e.clientWidth + 1)
                    .map(e => e.closest('[id]').id)"""
            )
        assert {path: ids for path, ids in scrolled.items() if ids} == {}


@pytest.mark.parametrize("width", [1024, 1150, 1280, 1366])
def test_a_laptops_window_shows_the_whole_ranking_without_scrolling(browser, server, width):  # noqa: F811
    """From 1101 to 1399 px the ranking was wider than the window (a suspect run's badge on
    the line of its machine's name, a long name on one line): the whole dashboard scrolled
    sideways at 1280 px, and each run's date was past the window's edge. At 1024 px it
    scrolled in its own box, the runs' dates out of sight."""
    with logged_in(browser, server, width=width, height=1600) as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        right = page.locator("#ranking-module").bounding_box()
        out_of_sight = page.evaluate(
            """right => [...document.querySelectorAll('#ranking td.bt-when, #ranking .bt-badge')]
                .filter(e => { const r = e.getBoundingClientRect();
                    const hit = document.elementFromPoint(r.right - 2, r.top + r.height / 2);
                    return r.right > right + 0.5 || !(hit === e || e.contains(hit)); })
                .map(e => e.closest('tr').dataset.hostname)""",
            right["x"] + right["width"],
        )
        assert out_of_sight == []
        assert page.locator("#ranking .bt-badge").count() == 2
        shot(page, f"dashboard-{width}")


@pytest.mark.parametrize("width", [1024, 1280])
def test_the_bench_command_wraps_between_its_words(browser, server, width):  # noqa: F811
    """At 1024 px the command broke inside its words ("--token YO" / "UR_TOKEN")."""
    with logged_in(browser, server, width=width, height=1200) as page:
        cut = page.evaluate(
            """() => {
                const code = document.getElementById('bench-command');
                const text = code.firstChild, words = [], range = document.createRange();
                for (const m of text.data.matchAll(/\\S+/g)) {
                    range.setStart(text, m.index); range.setEnd(text, m.index + m[0].length);
                    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    if (lines.size > 1) words.push(m[0]);
                }
                return words;
            }"""
        )
        assert cut == []


@pytest.mark.parametrize("width", [1024, 1280, 1366])
def test_a_laptops_window_shows_every_column_of_the_device_list(browser, server, width):  # noqa: F811
    """At 1280 px the last run and its "suspect" badge were past the list's right edge (the
    sidebar open), at 1024 px partly: the one column that says a run cannot be trusted. The
    sidebar starts closed below 1366 px; at 1366 px it is open."""
    # tall enough for every row: what is out of sight is so sideways
    with logged_in(browser, server, width=width, height=1600) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        assert page.locator("#nav-sidebar").is_visible() == (width >= 1366)
        box = page.locator("#changelist .results").bounding_box()
        out_of_sight = page.evaluate(
            """right => [...document.querySelectorAll(
                    '#result_list thead th, #result_list td.field-last_run .bt-suspect')]
                .filter(e => { const r = e.getBoundingClientRect();
                    const hit = document.elementFromPoint(r.right - 2, r.top + r.height / 2);
                    return r.right > right + 0.5 || !(hit === e || e.contains(hit)); })
                .map(e => e.className || e.textContent)""",
            box["x"] + box["width"],
        )
        assert out_of_sight == []
        assert page.locator("#result_list td.field-last_run .bt-suspect").count() == 2
        shot(page, f"device-list-{width}")


@pytest.mark.parametrize(("width", "whole"), [(1400, False), (1920, True)])
def test_a_wide_window_shows_a_locations_whole_name(browser, server, width, whole):  # noqa: F811
    """At 1920 px the location column cut "Salle serveur, baie 2" to "Salle se…" with half
    the table's width empty; a 1400 px window with the sidebar open still cuts it, for the
    last run's column to stay in sight (the admin UX review of stop 61)."""
    with logged_in(browser, server, width=width, height=1200) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        place = page.locator("#result_list tr:has(th a:text-is('nas-01')) .field-location_cut")
        sync_api.expect(place).to_have_text("Salle serveur, baie 2")  # the text, cut or not
        cut = place.locator(".bt-cut").evaluate("s => s.scrollWidth > s.clientWidth")
        assert cut is not whole
        assert page.evaluate(
            "(r => r.scrollWidth <= r.clientWidth)(document.querySelector('#changelist .results'))"
        )


@pytest.mark.parametrize(
    "path",
    [
        "/admin/benchmarks/benchmark/",
        "/admin/inventory/hardwaresnapshot/",
        "/admin/documents/document/",
        "/admin/insights/attentionitem/",
        "/admin/insights/notification/",
        "/admin/inventory/manufacturerlink/",
        "/admin/benchsite/apitoken/",
        "/admin/admin/logentry/",
        "/admin/inventory/device/hardware-changes/",
    ],
)
def test_each_list_fits_1400_px_with_the_sidebar_open(page, server, path):
    """The benchmarks' list hid its GPU and validity columns past its box (a suspect run's
    reasons the widest); each list shows every column without scrolling sideways."""
    page.goto(f"{server.url}{path}")
    shot(page, "list-1400-" + path.strip("/").split("/")[-1])
    assert page.locator("#nav-sidebar").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    assert page.evaluate(
        "(r => !r || r.scrollWidth <= r.clientWidth)"
        "(document.querySelector('#changelist .results'))"
    ), path
    # nor a cell's text over the next cell (a long hostname that does not wrap)
    spilled = page.evaluate(
        "[...document.querySelectorAll('#result_list tbody th, #result_list tbody td')]"
        ".filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent.trim())"
    )
    assert spilled == [], path


@pytest.mark.parametrize("width", [1024, 1400])
def test_a_document_without_a_title_is_not_named_twice_in_its_list(browser, server, width):  # noqa: F811
    """A document with no title showed its file name in the document column and again in the
    file column, a long one taking two columns' room: the first says it has no title, and
    still leads to the document's page."""
    with logged_in(browser, server, width=width, height=900) as page:
        page.goto(f"{server.url}/admin/documents/document/")
        shot(page, f"documents-untitled-{width}")
        row = page.locator("#result_list tbody tr", has_text="Garantieschein_NAS01_2024-03.pdf")
        named = row.locator("th")
        assert named.inner_text() == "untitled"
        assert "Garantieschein" not in named.inner_text()
        assert row.locator("td.field-download a").first.inner_text() == (
            "Garantieschein_NAS01_2024-03.pdf"
        )
        assert named.locator("a").get_attribute("href").endswith("/change/")
        titled = page.locator("#result_list tbody tr", has_text="Proxmox VE node").locator("th")
        assert (
            titled.inner_text() == "Service guide for the node's chassis, disks and power supplies"
        )


def test_a_suspect_machines_page_fits_1400_px_with_the_sidebar_open(page, server):
    page.goto(f"{server.url}/admin/inventory/device/?q=pve-node-2")
    page.click("#result_list th a:text-is('pve-node-2')")
    opened(page, "#latest-scores")
    shot(page, "device-suspect-1400")
    assert page.locator("#nav-sidebar").is_visible()
    # the badge that says why the run is not trusted, in the latest run's card and the history
    assert page.locator("#latest-scores .bt-suspect").count() == 1
    assert page.locator("#history .bt-suspect").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    # nothing spills out of its box: the documents' table with its Delete? column neither
    for part in ("#latest-scores", "#score-history", "#documents-group .tabular"):
        assert page.evaluate(
            "s => document.querySelector(s).scrollWidth <= document.querySelector(s).clientWidth",
            part,
        ), part


def select_and_compare(page, server, hostnames):
    page.goto(f"{server.url}/admin/inventory/device/")
    for hostname in hostnames:
        page.locator(f"#result_list tr:has(th a:text-is('{hostname}')) input.action-select").check()
    page.select_option("select[name=action]", "compare_selected")
    page.click("button[name=index]")
    opened(page, "#fleet-compare")


def test_two_machines_compared_side_by_side(page, server):
    select_and_compare(page, server, ["nas-01", "kiosk"])
    heads = page.locator("#fleet-compare thead th[data-device]")
    assert heads.count() == 2
    assert "★" in page.locator("#fleet-compare tr[data-row=global]").inner_text()
    differs = page.locator("#fleet-compare tr[data-row=cpu_model] td.bt-differs")
    assert differs.count() == 1
    # said in words too, for whoever does not see the highlight
    assert "(differs from the others)" in differs.text_content()
    assert underlined(page.locator(".bt-key a"))  # "as JSON", in the key's sentence
    shot(page, "compare-2")


def test_three_machines_compared_fit_their_box(page, server):
    """The table was its box's width plus its margins: the last machine's column ran 20 px
    past the box, which scrolled sideways at every width."""
    select_and_compare(page, server, ["nas-01", "kiosk", "media"])
    past = page.locator("#fleet-compare").evaluate(
        "t => t.parentElement.scrollWidth - t.parentElement.clientWidth"
    )
    assert past == 0


def test_ten_machines_compared_side_by_side(page, server):
    select_and_compare(page, server, [name for name, *_ in MACHINES])
    assert page.locator("#fleet-compare thead th[data-device]").count() == 10
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    assert page.locator("#fleet-compare tr[data-row=validity] .bt-suspect").count() == 2
    shot(page, "compare-10")


def test_on_a_phone_the_compared_figures_keep_their_labels(browser, server):  # noqa: F811
    """At 390 px one machine fits: scrolled to the others, the labels (global, CPU, RAM…)
    went off-screen with them and the numbers had none (UX audit)."""
    with logged_in(browser, server, width=390, height=800) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        ids = page.locator("#result_list tbody input.action-select").evaluate_all(
            "boxes => boxes.slice(0, 4).map(box => box.value)"
        )
        page.goto(f"{server.url}/admin/inventory/device/compare/?devices={','.join(ids)}")
        opened(page, "#fleet-compare")
        page.locator("#fleet-compare").evaluate(
            "table => { const box = table.closest('.bt-scroll');"
            " box.scrollLeft = box.scrollWidth; }"
        )
        label = page.locator("#fleet-compare tr[data-row=global] th")
        last = page.locator("#fleet-compare tr[data-row=global] td").last
        shot(page, "compare-390-scrolled")
        assert label.bounding_box()["x"] >= 0
        # the label is seen, over the machines scrolled under it, beside the last machine
        seen = label.evaluate(
            """th => { const r = th.getBoundingClientRect();
                       const hit = document.elementFromPoint(r.left + 5, r.top + r.height / 2);
                       return hit === th; }"""
        )
        assert seen and last.bounding_box()["x"] + last.bounding_box()["width"] <= 390


def test_on_a_phone_the_import_preview_shows_what_will_change(browser, server, tmp_path):  # noqa: F811
    """At 390 px the changed devices' table showed its line and hostname only, what a field
    is now and will be off to the right, with "Apply these changes" right under it (UX
    audit)."""
    spreadsheet = tmp_path / "owners.csv"
    spreadsheet.write_text(
        "hostname,owner\n"
        "ws-dev-long-hostname-07.office.example.lan,the storage team of building 3\n"
    )
    with logged_in(browser, server, width=390, height=800) as page:
        page.goto(f"{server.url}/admin/inventory/device/import/")
        page.set_input_files("input[type=file]", str(spreadsheet))
        page.click("#import-upload input[type=submit]")
        page.wait_for_selector("#import-updated")
        shot(page, "import-preview-390")
        after = page.locator("#import-updated td.bt-new").first
        assert "the storage team of building 3" in after.inner_text()
        box = after.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box


def test_import_csv_previews_then_applies(page, server, tmp_path):
    spreadsheet = tmp_path / "inventory.csv"
    spreadsheet.write_text(
        "hostname,location,owner,asset_tag,tags\n"
        "NAS-01,rack-2,ops,A-0001,storage;backup\n"
        "kiosk,lobby,front desk,A-0002,\n"
        "printer-srv,closet,ops,A-0003,legacy\n",
        encoding="utf-8-sig",
    )
    page.goto(f"{server.url}/admin/inventory/device/")
    page.click("#import-csv")
    assert underlined(page.locator("#import-start a"))  # "download every device as CSV"
    page.set_input_files("input[type=file]", str(spreadsheet))
    page.click("#import-upload input[type=submit]")
    opened(page, "#import-preview")
    summary = page.locator("#import-preview .bt-import-summary").first.inner_text()
    assert "1 new device, 2 changed, 0 unchanged" in summary
    shot(page, "import-preview")
    page.click("#import-confirm input[name=confirm]")
    opened(page, ".messagelist .success")
    assert "1 new, 2 changed" in page.locator(".messagelist").inner_text()
    page.goto(f"{server.url}/admin/inventory/device/?q=nas-01")
    page.click("#result_list tbody th a")
    page.click("a.historylink")
    assert "Changed by CSV import" in page.locator("#change-history").inner_text()
    shot(page, "import-history")


def test_on_a_phone_the_dashboard_and_a_device_page_do_not_scroll_sideways(browser, server):  # noqa: F811
    with logged_in(browser, server, width=390, height=844) as page:
        shot(page, "dashboard-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # the ranking scrolls in its own box: every machine's row is still there
        assert page.locator("#ranking tbody tr").count() == len(MACHINES)
        # and each machine's global score is in view beside its name, without scrolling; a
        # long name wraps rather than running over the score
        for row in page.locator("#ranking tbody tr").all():
            score = row.locator(".bt-global").bounding_box()
            name = row.locator(".bt-host a").bounding_box()
            assert score["x"] + score["width"] <= 390
            assert name["x"] + name["width"] <= score["x"]
        page.goto(f"{server.url}/admin/inventory/device/?q=pve-node-2")
        page.click("#result_list th a:text-is('pve-node-2')")
        opened(page, "#latest-scores")
        shot(page, "device-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # the fleet's hardware changes: each a card, the machine, when, what changed, its links
        page.goto(f"{server.url}/admin/inventory/device/hardware-changes/")
        shot(page, "hardware-changes-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        change = page.locator("#hardware-changes tr[data-hostname=media]")
        assert "disk replaced" in change.inner_text()
        for link in change.locator("a").all():
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_at_800_px_with_the_sidebar_open_no_page_scrolls_sideways(browser, server):  # noqa: F811
    """Half a laptop's screen: the ranking, a device page and compare ran past the window and
    the whole page scrolled sideways, the network and GPU columns out of sight."""
    with logged_in(browser, server, width=800, height=900) as page:
        shot(page, "dashboard-800")
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        page.goto(f"{server.url}/admin/inventory/device/?q=pve-node-2")
        # below 1366 px the sidebar starts closed: opened, the admin keeps it open
        assert not page.locator("#nav-sidebar").is_visible()
        page.click("#toggle-nav-sidebar")
        page.click("#result_list th a:text-is('pve-node-2')")
        opened(page, "#latest-scores")
        assert page.locator("#nav-sidebar").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        page.goto(f"{server.url}/admin/inventory/device/")
        page.locator("#result_list tbody input.action-select").nth(0).check()
        page.locator("#result_list tbody input.action-select").nth(1).check()
        page.locator("#result_list tbody input.action-select").nth(2).check()
        page.select_option("select[name=action]", "compare_selected")
        page.click("button[name=index]")
        opened(page, "#fleet-compare")
        shot(page, "compare-800")
        assert page.evaluate("document.documentElement.scrollWidth") <= 800


# the elements out of sight past a box's right edge, or under something else there
OUT_OF_SIGHT = """([selector, right]) => [...document.querySelectorAll(selector)]
    .filter(e => { const r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.right - 2, r.top + r.height / 2);
        return r.right > right + 0.5 || !(hit === e || e.contains(hit)); })
    .map(e => e.className || e.textContent)"""


def test_at_800_px_the_device_list_and_the_ranking_show_every_column(browser, server):  # noqa: F811
    """Half a laptop's screen, the sidebar closed as it starts: the filters took a third of
    the width beside a 517 px box, and the GPU, the CPU model and the last run with its
    "suspect" badge were past its right edge, a name cut inside ("elitedesk" / "-02"); the
    ranking hid its GPU and Run columns. The filters go under the list, which has the width."""
    with logged_in(browser, server, width=800, height=1600) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        shot(page, "device-list-800")
        assert not page.locator("#nav-sidebar").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        results = page.locator("#changelist .results")
        box = results.bounding_box()
        filters = page.locator("#changelist-filter").bounding_box()
        assert filters["y"] >= box["y"] + box["height"]  # under the list, not beside it
        assert results.evaluate("r => r.scrollWidth <= r.clientWidth")
        hidden = page.evaluate(
            OUT_OF_SIGHT,
            ["#result_list thead th, #result_list td.field-last_run .bt-suspect", right_of(box)],
        )
        assert hidden == []
        assert page.locator("#result_list td.field-last_run .bt-suspect").count() == 2
        # a machine's name on one line, but for the FQDN, which wraps at its dots and hyphens
        lines = page.locator("#result_list th.field-hostname_marked a").evaluate_all(
            """links => links.map(a => {
                const name = document.createRange();
                name.selectNodeContents(a.firstChild);
                return [a.firstChild.textContent.trim(), name.getClientRects().length];
            })"""
        )
        assert {name: n for name, n in lines if n > 1 and "." not in name} == {}
        page.goto(f"{server.url}/admin/")
        shot(page, "dashboard-800-ranking")
        box = page.locator("#ranking-module").bounding_box()
        hidden = page.evaluate(
            OUT_OF_SIGHT,
            ["#ranking thead th, #ranking td.bt-when, #ranking .bt-badge", right_of(box)],
        )
        assert hidden == []


def right_of(box) -> float:
    return box["x"] + box["width"]


@pytest.mark.parametrize("width", [784, 900, 920])
def test_below_1024_px_the_device_list_shows_every_column(browser, server, width):  # noqa: F811
    """Between 800 px and 1024 px: the filters under the list, its box 840 px wide, over the
    830 px its figures' cells were tightened under: the last run and its "suspect" badge were
    past the box's right edge from about 890 px to 925 px. 784 px: an 800 px window with a
    scroll bar and its frame."""
    with logged_in(browser, server, width=width, height=1600) as page:
        page.goto(f"{server.url}/admin/inventory/device/")
        results = page.locator("#changelist .results")
        assert results.evaluate("r => r.scrollWidth <= r.clientWidth")
        hidden = page.evaluate(
            OUT_OF_SIGHT,
            [
                "#result_list thead th, #result_list td.field-last_run .bt-suspect",
                right_of(results.bounding_box()),
            ],
        )
        assert hidden == []


def test_below_1024_px_every_list_shows_its_last_column(browser, server):  # noqa: F811
    """Beside their filters, the lists were wider than their box below about 1,000 px, their
    last columns scrolled out of sight: at 880 px the runs' validity 84 px past its edge, the
    documents' upload time 100 px, the log's message 60 px; at 960 px the documents' 20 px.
    Their filters go under them, as the device list's do."""
    lists = [
        "/admin/benchmarks/benchmark/",
        "/admin/documents/document/",
        "/admin/insights/attentionitem/",
        "/admin/inventory/hardwaresnapshot/",
        "/admin/admin/logentry/",
        "/admin/auth/user/",
    ]
    past = {}
    with logged_in(browser, server, width=800, height=900) as page:
        for width in (800, 960):
            page.set_viewport_size({"width": width, "height": 900})
            for path in lists:
                page.goto(server.url + path)
                past[width, path] = page.evaluate(
                    "(r => r.scrollWidth - r.clientWidth)"
                    "(document.querySelector('#changelist .results'))"
                )
    assert {key: px for key, px in past.items() if px > 0} == {}


# each table's box on a page, by its id (or its name), and how far its table runs past it
TABLES_PAST = """() => [...document.querySelectorAll('.bt-table, .inline-group .tabular')]
    .map(e => [e.id || e.getAttribute('aria-label') || e.closest('[id]').id,
               e.scrollWidth - e.clientWidth])"""


def test_between_880_and_960_px_a_device_pages_tables_show_every_column(browser, server):  # noqa: F811
    """Half a laptop's screen, the sidebar closed as it starts: the device page's tables ran
    past their boxes, their last columns scrolled out of sight; at 880 px the runs' "Since the
    run before" 82 px, the disks' Serial 42 (on the snapshot's page too), the SMART tables'
    Media errors and Wear 64, the documents' Delete? 38; at 960 px the runs' 2."""
    device_id = DEVICES[server.url, "pve-node-2"]  # a suspect run, documents, two SMART disks
    pages = {
        "device": f"/admin/inventory/device/{device_id}/change/",
        "snapshot": f"/admin/inventory/hardwaresnapshot/?device__id__exact={device_id}",
    }
    past = {}
    with logged_in(browser, server, width=880, height=900) as page:
        page.goto(server.url + pages["snapshot"])
        pages["snapshot"] = page.locator("#result_list tbody th a").first.get_attribute("href")
        for width in (880, 960):
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in pages.items():
                page.goto(server.url + path)
                for table, px in page.evaluate(TABLES_PAST):
                    past[width, name, table] = px
    assert {table for width, name, table in past if name == "device"} >= {
        "history",
        "disks",
        "smart-1",
        "smart-2",
        "interfaces",
        "documents-group",
        "Hardware snapshots",
    }
    assert (960, "snapshot", "disks") in past
    assert {key: px for key, px in past.items() if px > 0} == {}


def test_at_880_px_two_snapshots_compared_keep_one_cell_padding(browser, server):  # noqa: F811
    """The device page's tighter cells below a 920 px box are its own and a snapshot's: the
    snapshots' compare has a #hardware box too, whose table took them (5 px) under its scores'
    table at 10 px."""
    device_id = DEVICES[server.url, "media"]  # two snapshots, a run with each
    with logged_in(browser, server, width=880, height=900) as page:
        page.goto(f"{server.url}/admin/inventory/device/{device_id}/compare/")
        padding = page.evaluate(
            """() => ['#compare-scores td', '#compare td'].map(
                s => getComputedStyle(document.querySelector(s)).paddingLeft)"""
        )
    assert padding[0] == padding[1], padding


def test_set_location_on_two_ticked_machines(page, server):
    """The bulk edit end to end: ticked on the list, its page lists them, applied, told."""
    page.goto(f"{server.url}/admin/inventory/device/")
    for hostname in ("media", "old-nuc"):
        page.locator(f"#result_list tr:has(th a:text-is('{hostname}')) input.action-select").check()
    page.select_option("select[name=action]", "set_location")
    page.click("button[name=index]")
    sync_api.expect(page.locator("#bulk-devices td.bt-host")).to_have_text(["media", "old-nuc"])
    page.emulate_media(color_scheme="dark")
    shot(page, "bulk-location-dark")
    page.get_by_label("Location:").fill("Rack 2")
    page.click("#bulk-apply")
    opened(page, ".messagelist .success")
    assert 'Location set to "Rack 2" on 2 devices.' in page.locator(".messagelist").inner_text()
    moved = page.eval_on_selector_all(
        "#result_list tbody tr",
        "rows => rows.filter(r => r.querySelector('.field-location_cut').innerText === 'Rack 2')"
        ".map(r => r.querySelector('th').innerText)",
    )
    assert sorted(moved) == ["media", "old-nuc"], page.locator("#result_list").inner_text()

    # Cancel after an error goes back to the list: the page before was a POST's answer, and
    # Django's cancel.js (history.back()) led to the browser's "Confirm Form Resubmission"
    page.locator("#result_list tr:has(th a:text-is('media')) input.action-select").check()
    page.select_option("select[name=action]", "set_location")
    page.click("button[name=index]")
    # A locator waits for the bulk page: eval_on_selector ran on the list still showing (CI)
    page.locator("#bulk-edit #id_location").evaluate("field => field.removeAttribute('maxlength')")
    page.get_by_label("Location:").fill("x" * 300)
    page.click("#bulk-apply")
    page.wait_for_selector(".errornote")
    page.click("#bulk-edit a.cancel-link")
    page.wait_for_selector("#result_list")
    assert page.url.startswith(f"{server.url}/admin/inventory/device/")


def test_the_machines_not_heard_from_head_the_dashboard_and_lead_to_their_pages(page, server):
    """Two machines whose cron run stopped weeks ago: nothing said so, the ranking kept their
    old figures. The dashboard names them above the ranking, the longest silent first, each
    leading to its page ("No run for 40 days"); its count to the device list's filter."""
    panel = page.locator("#quiet-machines")
    assert panel.is_visible()
    assert panel.bounding_box()["y"] < page.locator("#ranking-module").bounding_box()["y"]
    lines = panel.locator("li")
    assert [lines.nth(i).get_attribute("data-hostname") for i in range(lines.count())] == [
        "backup-01",
        "old-nuc",
    ]
    assert lines.nth(0).inner_text() == "backup-01 40 days ran weekly on its own"
    assert lines.nth(1).inner_text() == "old-nuc 23 days"
    # one after the other on a line, not a line each
    assert lines.nth(0).bounding_box()["y"] == lines.nth(1).bounding_box()["y"]
    heading = panel.locator("h2")
    assert "Not heard from" in heading.inner_text()
    assert "2 machines in service with no run for over 14 days" in heading.inner_text()
    # in a sentence, its links are underlined, as the attention panel's
    assert underlined(lines.nth(0).locator("a")) and underlined(heading.locator("a"))
    shot(page, "dashboard-quiet")

    lines.nth(0).locator("a").click()
    page.wait_for_selector("#quiet-since")
    said = page.locator("#quiet-since").inner_text()
    assert said.startswith("No run for 40 days: its last bench.sh run was on ")
    shot(page, "device-quiet")

    page.go_back()
    heading.locator("a").click()
    page.wait_for_url("**/admin/inventory/device/?last_run=quiet")
    listed = page.locator("#result_list tbody th a").all_inner_texts()
    assert sorted(listed) == ["backup-01", "old-nuc"]
    chosen = page.locator("#changelist-filter li.selected", has_text="quiet: over 14 days")
    assert chosen.count() == 1


AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],  # the passes' details cost as much again
}
# each aria-describedby, -labelledby, -controls and -details names an element of the page; Django's
# tabular inlines (a document's file, "id_documents-0-file_helptext", its empty row's
# "__prefix__") point at a help text they never write, which is Django's own
DANGLING = """() => [...document.querySelectorAll(
        '[aria-describedby], [aria-labelledby], [aria-controls], [aria-details]')]
    .flatMap(e => ['aria-describedby', 'aria-labelledby', 'aria-controls', 'aria-details']
        .flatMap(name => (e.getAttribute(name) || '').split(/\\s+/).filter(Boolean)))
    .filter(id => !document.getElementById(id) && !/^id_[a-z_]+-(\\d+|__prefix__)-/.test(id))"""


def test_the_main_pages_pass_axe_for_keyboard_and_screen_reader_users(
    browser,  # noqa: F811
    server,
    example_document,
    tmp_path,
):
    """axe-core's WCAG 2.1 A and AA rules in the real Chromium, on the dashboard, the device
    list (searched, on a phone: its "(10 total)" link was told from the grey words around it
    by a 1.18:1 colour alone), a device page with charts, SMART history and attention items,
    both compare pages, an import's preview (its file field described by a help text it did
    not write), a bulk edit and a history, in the light and the dark theme: no serious or
    critical violation. A chart's box describes it by its "Chart data", under it."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    # media's third run: a disk failing, hot and reallocating (attention items, SMART history
    # and its charts), its RAM doubled (a hardware change on the score chart)
    document = copy.deepcopy(example_document)
    document.update(device_identifier="media", submission_id=str(uuid.uuid4()))
    document["hardware"].update(system={}, ram={**document["hardware"]["ram"], "total_mb": 32768})
    document["hardware"]["storage"]["devices"][1].update(
        smart_health="FAILED", temperature_c=61, reallocated_sectors=24
    )
    device = server.submit(document)[1]["device_id"]
    spreadsheet = tmp_path / "owners.csv"
    spreadsheet.write_text("hostname,owner\nkiosk,front desk\nlab-printer,ops\n")
    found, dangling = {}, {}

    def audit(page, name):
        results = axe.run(page, options=AXE_OPTIONS)
        found[name] = [
            f"{rule['id']} ({rule['impact']}): {[node['target'] for node in rule['nodes']][:3]}"
            for rule in results.response["violations"]
            if rule["impact"] in ("serious", "critical")
        ]
        dangling[name] = page.evaluate(DANGLING)

    with logged_in(browser, server, width=1400, height=900) as page:
        audit(page, "dashboard")
        ids = dict(
            page.locator("#ranking tbody tr").evaluate_all(
                "rows => rows.map(row => [row.dataset.hostname,"
                " row.querySelector('a').pathname.split('/')[4]])"
            )
        )
        page.emulate_media(color_scheme="dark")  # the charts' lines and legends on #121212
        page.goto(f"{server.url}/admin/inventory/device/{device}/change/")
        assert page.locator("#attention-items li").count() >= 1
        assert page.locator(".bt-smart").count() >= 1
        audit(page, "device page, dark")
        charts = page.eval_on_selector_all(
            ".bt-chart-wrap",
            """boxes => boxes.map(box => [box.querySelector('svg').getAttribute('role'),
                (document.getElementById(box.getAttribute('aria-describedby')) || {})
                    .textContent])""",
        )
        page.emulate_media(color_scheme="light")
        page.goto(f"{server.url}/admin/inventory/device/{device}/compare/")
        audit(page, "two snapshots compared")
        # a machine no test changes: its history says there is none yet, and why
        page.goto(f"{server.url}/admin/inventory/device/{ids['gpu-box']}/history/")
        assert page.locator("#no-history").count() == 1
        audit(page, "history")
        page.goto(f"{server.url}/admin/inventory/device/compare/?devices={device},{ids['gpu-box']}")
        audit(page, "machines compared")
        page.goto(f"{server.url}/admin/inventory/device/import/")
        page.set_input_files("input[type=file]", str(spreadsheet))
        page.click("#import-upload input[type=submit]")
        opened(page, "#import-preview")
        audit(page, "import preview")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{server.url}/admin/inventory/device/?q=intel&last_run=quiet")
        audit(page, "device list searched, phone")
        page.locator("#result_list tbody input.action-select").nth(0).check()
        page.select_option("select[name=action]", "add_tags")
        page.click("button[name=index]")
        opened(page, "#bulk-edit")
        audit(page, "bulk edit, phone")
    assert {name: rules for name, rules in found.items() if rules} == {}
    assert {name: ids for name, ids in dangling.items() if ids} == {}
    # each chart a picture named by what it shows, described by its "Chart data" under it
    assert len(charts) >= 2  # the scores', a disk's temperature
    for role, description in charts:
        assert role == "img" and (description or "").startswith("Chart data: "), charts


# The admin on a phone, where a notification about a failing disk is opened: each page of its
# way loaded once and looked at in both widths (a resize lays it out again).
WIDTHS, HEIGHT = (390, 360), 844
# a pointer's target: the 44 px Apple and Android advise; 24 px, WCAG 2.2's least (2.5.8)
THUMB, LEAST = 44, 24


def widths(page, check):
    """check(width) at each phone width, the page laid out again at each, no reload."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (page.url, width)
        check(width)


def right(locator) -> float:
    box = locator.bounding_box()
    return box["x"] + box["width"]


# the words of the elements a selector finds that run over two lines
CUT_WORDS = """sel => [...document.querySelectorAll(sel)].flatMap(e => {
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    const range = document.createRange(), cut = [];
    for (let text; (text = walker.nextNode());)
        for (const m of text.data.matchAll(/\\S+/g)) {
            range.setStart(text, m.index); range.setEnd(text, m.index + m[0].length);
            if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1)
                cut.push(m[0]);
        }
    return cut; })"""


def test_on_a_phone_the_way_from_a_notification_to_acknowledging_it(browser, server):  # noqa: F811
    """No page of the way scrolls sideways: words for a screen reader, outside their scrolling
    box, widened the dashboard to 626 px at 390 (build-runner's network, measured on loopback)
    and the runs' list to 693 (a suspect run's reasons). What a thumb taps is 44 px high
    (Acknowledge, the action's menu and Go, Copy) or 24 (a row's checkbox, 13 before); the
    failing disk is on the first screen; the attention list's messages, a column past the
    screen's right edge, are whole."""
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT})
    refused = refusals_of(context)
    page = context.new_page()
    try:
        walk_the_way_on_a_phone(page, server)
    finally:
        context.close()
    assert refused == []


def walk_the_way_on_a_phone(page, server):
    # the notification's link: the device page, through the login
    device = f"{server.url}/admin/inventory/device/{DEVICES[server.url, 'nas-01']}/change/"
    page.goto(device)
    assert "/admin/login/" in page.url
    widths(page, lambda width: None)
    page.fill("#id_username", ADMIN_USER)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(device)

    def device_page(width):
        for button in page.locator("#attention-items button").all():
            box = button.bounding_box()
            assert box["height"] >= THUMB and right(button) <= width, box
        # a disk's badges whole in their cell ("FAILED", not "FAI/LE/D")
        assert page.evaluate(CUT_WORDS, "#disks .bt-badge") == []
        # every hardware section's values in one column, as at a desk
        values = page.locator(".bt-kv td").evaluate_all(
            "cells => new Set(cells.map(c => Math.round(c.getBoundingClientRect().x))).size"
        )
        assert values == 1
        for chart in page.locator(".bt-chart-wrap").all():
            assert right(chart) <= width

    widths(page, device_page)
    shot(page, "phone-device")
    # a machine with a history: its charts, wider than a phone, open at their newest end (the
    # right), not at its first runs
    page.goto(f"{server.url}/admin/inventory/device/{DEVICES[server.url, 'media']}/change/")
    ends = page.locator(".bt-chart-wrap").evaluate_all(
        "boxes => boxes.filter(b => b.scrollWidth > b.clientWidth)"
        ".map(b => b.scrollWidth - b.clientWidth - b.scrollLeft)"
    )
    assert ends and all(end <= 1 for end in ends), ends
    page.goto(device)
    page.locator("#history td:first-child > a").first.click()
    opened(page, ".field-results_document")

    def run_page(width):  # bench.sh's own sum said under its label, not 170 px in
        assert page.locator(".field-results_document p.help").bounding_box()["x"] < 40

    widths(page, run_page)
    page.goto(f"{server.url}/admin/benchmarks/benchmark/")
    widths(page, lambda width: None)

    page.goto(f"{server.url}/admin/")

    def dashboard(width):
        failing = page.locator("#attention li.bt-attention-critical", has_text="nas-01")
        box = failing.bounding_box()
        assert "reports SMART FAILED" in failing.inner_text()
        assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, box
        copy_button = page.locator("#copy-bench-command")
        assert copy_button.bounding_box()["height"] >= THUMB and right(copy_button) <= width
        assert right(page.locator("#bench-command")) <= width

    widths(page, dashboard)
    shot(page, "phone-dashboard")

    page.goto(f"{server.url}/admin/insights/attentionitem/")
    rows = page.locator("#result_list tbody tr")
    hot = rows.filter(has_text="nas-01").filter(has_text="is at 61 °C")

    def attention_list(width):
        for message in page.locator("#result_list .field-message a").all():
            assert right(message) <= width, message.inner_text()
        for box in page.locator("#result_list input[type=checkbox]").all():
            assert min(box.bounding_box()["width"], box.bounding_box()["height"]) >= LEAST
        for control in ("#changelist .actions select", "#changelist .actions .button"):
            assert page.locator(control).bounding_box()["height"] >= THUMB
        assert right(hot.locator("input.action-select")) <= width
        # an open item's card says when it opened, not "closed –"
        assert "closed" not in hot.inner_text()

    widths(page, attention_list)
    shot(page, "phone-attention-items")
    hot.locator("input.action-select").check()
    page.select_option("#changelist .actions select", "acknowledge")
    page.click("#changelist .actions .button")
    sync_api.expect(page.locator(".messagelist")).to_contain_text("Acknowledged 1 item(s).")
    page.wait_for_load_state()  # the list under the message read whole: the item not in it
    assert hot.count() == 0
