"""A machine that names itself and its disks in 255-character words (a hostile or broken
bench.sh sends what it likes): the dashboard's attention list, a device page's changes since
the run before and the hardware changes' table were 2.5 times as wide as the window (3,156 px
at 1280), every other line beyond the screen. Real Chromium against gunicorn."""

import copy
import uuid

import pytest

from benchsite.livetest import live_server
from benchsite.tests.markers import engine_independent
from benchsite.tests.test_browser import (  # noqa: F401 (fixtures)
    admin_created,
    browser,
    logged_in,
    post,
    shot,
    sync_api,
)

pytestmark = [pytest.mark.live, engine_independent]

WIDTH = 1280
HOST = "B" * 255


@pytest.fixture(scope="module")
def server(tmp_path_factory, example_document):
    with live_server(tmp_path_factory.mktemp("browser-long-words")) as live:
        admin_created(live)
        for serial in ("S" * 255, "T" * 255):  # a disk swapped: a hardware change
            document = copy.deepcopy(example_document)
            document.update(device_identifier=HOST, submission_id=str(uuid.uuid4()))
            disk = document["hardware"]["storage"]["devices"][1]
            disk.update(model="M" * 255, serial=serial, temperature_c=70)  # hot: an item
            device_id = post(live, document)["device_id"]
        normal = copy.deepcopy(example_document)  # a machine named as machines are
        normal.update(device_identifier="fileserver", submission_id=str(uuid.uuid4()))
        normal["hardware"]["system"] = {"machine_id": uuid.uuid4().hex}  # another machine
        normal_id = post(live, normal)["device_id"]
        yield live, device_id, normal_id


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/inventory/device/",
        "/admin/inventory/device/{id}/change/",
        "/admin/insights/attentionitem/",
        "/admin/inventory/device/hardware-changes/",
    ],
)
def test_a_255_character_word_does_not_widen_the_page(browser, server, path):  # noqa: F811
    live, device_id, _ = server
    with logged_in(browser, live, width=WIDTH, height=900) as page:
        page.goto(live.url + path.format(id=device_id))
        shot(page, "long-words-" + path.strip("/").replace("/", "-").replace("{id}", "device"))
        assert "B" * 40 in page.content()  # the machine's name is on the page, wrapped
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_on_a_phone_a_real_disk_model_and_serial_are_not_broken_mid_word(browser, server):  # noqa: F811
    """The cells that let a 255-character word break let the table squeeze them on a phone:
    "Sams/ung/970/EVO/Plus", "S4E/WNX/0R12/3456", rows 101 px high (the table scrolls in its
    box instead)."""
    live, _, normal_id = server
    with logged_in(browser, live, width=390, height=844) as page:
        page.goto(f"{live.url}/admin/inventory/device/{normal_id}/change/")
        shot(page, "long-words-a-real-machine-390")
        # and the hardware snapshots' CPU and OS, which read "D/e/bi/a/n" (36 px wide)
        snapshots = "table.bt-table:has(th:text-is('OS')) tbody td"
        cells = page.locator(
            f"#disks td.bt-long, {snapshots}:nth-child(2), {snapshots}:nth-child(4)"
        )
        assert cells.count() >= 4
        line = float(cells.first.evaluate("td => parseFloat(getComputedStyle(td).lineHeight)"))
        for cell in cells.all():
            words = cell.inner_text().split()
            assert max(map(len, words)) < 18, words  # each fits its cell's 18ch
            lines = cell.evaluate(
                "td => { const r = document.createRange(); r.selectNodeContents(td); return new"
                " Set(Array.from(r.getClientRects()).map(c => Math.round(c.top))).size; }"
            )
            assert lines <= len(words), (words, lines)  # broken between words at most
        assert line > 0
