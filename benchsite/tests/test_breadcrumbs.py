"""The breadcrumbs of a record's pages lead back to the list as the person left it."""

import re
from html import unescape
from urllib.parse import urlencode

import pytest

from inventory.tests.factories import DeviceFactory, LinkFactory

LIST_STATE = "q=nas&location=Rack+2&o=-2"


def trail(html: str) -> str:
    return re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1)


def crumbs(html: str) -> dict[str, str]:
    """The breadcrumbs' links: their text → their address."""
    return {
        unescape(text).strip(): unescape(href)
        for href, text in re.findall(r'<a href="([^"]*)">([^<]*)</a>', trail(html))
    }


@pytest.mark.parametrize("page", ["change/", "delete/", "history/"])
def test_a_devices_pages_lead_back_to_the_filtered_list(admin_client, page):
    device = DeviceFactory(hostname="nas-01")
    query = urlencode({"_changelist_filters": LIST_STATE})
    html = admin_client.get(f"/admin/inventory/device/{device.pk}/{page}?{query}").content
    links = crumbs(html.decode())
    assert links["Devices"] == f"/admin/inventory/device/?{LIST_STATE}"
    assert links["Home"] == "/admin/"
    if page != "change/":
        assert links["nas-01"] == f"/admin/inventory/device/{device.pk}/change/?{query}"


def test_every_models_pages_keep_the_list_and_its_bare_list_stays_bare(admin_client):
    link = LinkFactory()
    base = "/admin/inventory/manufacturerlink/"
    query = urlencode({"_changelist_filters": "q=drivers"})
    html = admin_client.get(f"{base}{link.pk}/change/?{query}").content.decode()
    assert crumbs(html)["Manufacturer links"] == f"{base}?q=drivers"
    html = admin_client.get(f"{base}{link.pk}/change/").content.decode()
    assert crumbs(html)["Manufacturer links"] == base
    html = admin_client.get(f"{base}add/?{query}").content.decode()
    assert crumbs(html)["Manufacturer links"] == f"{base}?q=drivers"
    assert "Add manufacturer link" in trail(html)


def test_a_bulk_edits_page_leads_back_to_the_list_it_was_chosen_from(admin_client):
    """Set location… and the other edits are posted from the filtered list: their page's
    breadcrumbs and Cancel both return to it as it was."""
    device = DeviceFactory(hostname="nas-01", location="Rack 2")
    url = f"/admin/inventory/device/?{LIST_STATE}"
    posted = {"action": "set_location", "index": 0, "_selected_action": [device.pk]}
    html = admin_client.post(url, posted).content.decode()
    assert crumbs(html)["Devices"] == url
    assert crumbs(html)["Home"] == "/admin/"
