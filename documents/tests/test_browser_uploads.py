"""The device page's upload rows in a real browser (Debian's Chromium, gunicorn), with a small
MAX_UPLOAD_MB: several files chosen at once, and a save too large for the server."""

import uuid
from pathlib import Path

import pytest

from benchsite.livetest import live_server
from benchsite.tests.markers import engine_independent
from benchsite.tests.test_browser import (  # noqa: F401 (the browser fixture)
    ADMIN_PASSWORD,
    ADMIN_USER,
    CHROMIUM,
    admin_created,
    browser,
    logged_in,
)

from . import files

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    engine_independent,  # the page's size guard and uploads: the SQLite pass covers them
]


@pytest.fixture(scope="module")
def server(tmp_path_factory, example_document):
    with live_server(tmp_path_factory.mktemp("uploads"), extra_env={"MAX_UPLOAD_MB": "1"}) as live:
        admin_created(live)
        document = {**example_document, "submission_id": str(uuid.uuid4())}
        device_id = live.submit({**document, "device_identifier": "nas-01"})[1]["device_id"]
        yield live, f"{live.url}/admin/inventory/device/{device_id}/change/"


def pdf_of(path: Path, kilobytes: int) -> str:
    """A real PDF of about this size (a comment pads it), for the file dialog."""
    path.write_bytes(files.pdf_bytes(path.stem) + b"%" + b"x" * kilobytes * 1024 + b"\n")
    return str(path)


def test_a_save_over_the_upload_limit_is_stopped_in_the_page_and_a_smaller_one_goes(
    browser,  # noqa: F811
    server,
    tmp_path,
):
    """Two files of 0.7 MB under MAX_UPLOAD_MB=1 (a request of 2.5 MB at most): the server
    refused the page whole and the browser showed only its JSON sentence, both files lost."""
    chosen = [pdf_of(tmp_path / f"manual-{n}.pdf", 700) for n in range(4)]
    live, device_page = server
    with logged_in(browser, live, width=1400, height=900) as page:
        page.goto(device_page)
        row = page.locator("#documents-group input[type=file]:not([name*=__prefix__])")
        row.set_input_files(chosen)
        page.click("input[name=_continue]")

        note = page.locator("#documents-too-large")
        note.wait_for()
        assert note.inner_text() == (
            "The files chosen come to 2.7 MB, over the 1.0 MB a save accepts: nothing was "
            "sent. Save them in several goes."
        )
        assert page.url.endswith("/change/") and "Request body" not in page.content()

        # one file over the limit by itself: several saves would not take it either
        row.set_input_files([pdf_of(tmp_path / "scan.pdf", 1300)])
        page.click("input[name=_continue]")
        page.wait_for_function(
            "document.getElementById('documents-too-large').textContent.startsWith('scan.pdf')"
        )
        assert note.inner_text() == (
            "scan.pdf is 1.3 MB, over the 1.0 MB a document may be: nothing was sent."
        )

        row.set_input_files(chosen[:1])
        page.click("input[name=_continue]")
        page.wait_for_selector(".messagelist .success")
        assert "manual-0.pdf" in page.locator("#documents-group").inner_text()
