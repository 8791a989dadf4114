"""Text made larger and fingers on a phone (WCAG 1.4.4 and 2.5.8): the dashboard's category
bars showed the top half of each figure at a browser font size of 32 px (bars of a fixed 18 px,
their overflow hidden), and the device page's "On this page" links were 15 px high on a phone.
Real Chromium against gunicorn."""

import pytest

from benchsite.tests.markers import engine_independent
from benchsite.tests.test_browser import (  # noqa: F401 (fixtures)
    browser,
    logged_in,
    server,
    shot,
    sync_api,
)

pytestmark = [pytest.mark.live, engine_independent]

# a browser's default font size of 32 px (Chromium's settings, "Font size", custom): the
# admin's sizes are in rem, of this
LARGER_TEXT = "html { font-size: 32px !important; }"


def test_at_twice_the_text_size_each_ranking_figure_is_whole(browser, server):  # noqa: F811
    with logged_in(browser, server, width=1400, height=900) as page:
        page.add_style_tag(content=LARGER_TEXT)
        shot(page, "dashboard-text-32px")
        bars = page.evaluate(
            "[...document.querySelectorAll('#ranking .bt-bar')].map(b => "
            "[b.textContent.trim(), b.clientHeight, b.scrollHeight])"
        )
        assert len(bars) >= 10
        for figure, shown, needed in bars:
            assert figure and shown >= needed, (figure, shown, needed)
        # a suspect run's badge among the recent submissions stays inside its panel
        panel = page.locator("#recent-submissions-module").bounding_box()
        badges = page.locator("#recent-submissions-module .bt-suspect")
        assert badges.count() >= 1
        for badge in badges.all():
            box = badge.bounding_box()
            assert box["x"] + box["width"] <= panel["x"] + panel["width"] + 1, (box, panel)


def test_on_a_phone_the_device_pages_section_links_are_24_px_targets(browser, server):  # noqa: F811
    with logged_in(browser, server, width=390, height=844) as page:
        page.click("#ranking .bt-host a >> nth=0")
        page.wait_for_url("**/change/")
        links = page.locator(".bt-page-nav a")
        assert links.count() >= 5
        heights = [box["height"] for box in (link.bounding_box() for link in links.all())]
        assert min(heights) >= 24, heights
