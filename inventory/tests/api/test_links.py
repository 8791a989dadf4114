"""/api/devices/{id}/links and /api/links/{id}: manufacturer links, http and https only."""

import pytest
from django.contrib.admin.models import LogEntry

from inventory import services
from inventory.models import ManufacturerLink
from inventory.tests.factories import DeviceFactory, LinkFactory
from inventory.validators import MSG_LINK_URL

pytestmark = pytest.mark.django_db

FIELDS = {"id", "label", "url", "created_at", "updated_at"}
DRIVERS = {"label": "Drivers", "url": "https://support.hp.com/drivers/elitedesk-800-g3"}


@pytest.fixture
def device():
    return DeviceFactory()


def links_url(device) -> str:
    return f"/api/devices/{device.pk}/links"


def test_a_link_is_created_read_edited_and_deleted(api, device):
    created = api.post(links_url(device), DRIVERS, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == FIELDS
    assert (body["label"], body["url"]) == (DRIVERS["label"], DRIVERS["url"])
    url = f"/api/links/{body['id']}"
    assert created["Location"] == url

    assert api.get(url).json() == body

    patched = api.patch(url, {"label": "BIOS updates"}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["label"], patched.json()["url"]) == ("BIOS updates", DRIVERS["url"])

    replaced = api.put(url, {"label": "Support", "url": "http://hp.example/s"}, format="json")
    assert replaced.status_code == 200
    assert (replaced.json()["label"], replaced.json()["url"]) == ("Support", "http://hp.example/s")
    link = ManufacturerLink.objects.get()
    assert (link.device, link.label, link.url) == (device, "Support", "http://hp.example/s")

    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    assert not ManufacturerLink.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "file:///etc/passwd",
        "ftp://ftp.example.com/bios.zip",
        "data:text/html,<script>alert(1)</script>",
        "//example.com/no-scheme",
        "support.example.com",
        "https://",
        "",
        "http://nas_box/",  # not a host name
        "http://-nas/",
        "http://1234/",
        "javascript://nas/%0aalert(1)",
    ],
)
def test_only_http_and_https_urls_are_accepted(api, device, url):
    response = api.post(links_url(device), {"label": "x", "url": url}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["url"]
    assert not ManufacturerLink.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://nas:5000/",
        "https://idrac-r720/restgui/start.html",
        "http://admin@pve:8006/#v1:0:=node",
        "http://localhost:8080/",
        "https://192.168.1.20/",
        "https://support.hp.com/drivers",
    ],
)
def test_a_machine_on_the_lan_may_be_linked_by_its_bare_name(api, device, url):
    response = api.post(links_url(device), {"label": "Web UI", "url": url}, format="json")

    assert response.status_code == 201, response.content
    assert ManufacturerLink.objects.get().url == url


def test_the_scheme_rule_holds_when_editing_too(api):
    link = LinkFactory()

    response = api.patch(f"/api/links/{link.pk}", {"url": "javascript:alert(1)"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"url": [MSG_LINK_URL]}
    link.refresh_from_db()
    assert link.url == "https://support.example.com/drivers"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "https://example.com"}, "label"),
        ({"label": "   ", "url": "https://example.com"}, "label"),
        ({"label": "x" * 201, "url": "https://example.com"}, "label"),
        ({"label": "x"}, "url"),
        ({"label": "x", "url": "https://example.com/" + "a" * 2000}, "url"),
        # JSON of another type: DRF stored the label 5 as "5" (contract audit)
        ({"label": 5, "url": "https://example.com"}, "label"),
        ({"label": "x", "url": 5}, "url"),
    ],
)
def test_invalid_fields_are_named_in_a_400(api, device, payload, field):
    response = api.post(links_url(device), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_links_are_listed_by_label_with_a_pinned_query_count(
    api, device, django_assert_max_num_queries
):
    for label in ("Support", "BIOS", "Drivers", "Manual"):
        LinkFactory(device=device, label=label)
    LinkFactory(label="another device's")

    with django_assert_max_num_queries(2):  # the device, its links
        response = api.get(links_url(device))

    assert response.status_code == 200
    assert [item["label"] for item in response.json()] == ["BIOS", "Drivers", "Manual", "Support"]
    assert all(set(item) == FIELDS for item in response.json())


def test_the_device_detail_counts_links(api, device):
    LinkFactory(device=device)
    assert api.get(f"/api/devices/{device.pk}").json()["links_count"] == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/devices/{device}/links"),
        ("post", "/api/devices/{device}/links"),
        ("get", "/api/links/{link}"),
        ("patch", "/api/links/{link}"),
        ("put", "/api/links/{link}"),
        ("delete", "/api/links/{link}"),
    ],
)
def test_every_links_endpoint_needs_a_token(anon, device, method, path):
    link = LinkFactory(device=device)

    response = getattr(anon, method)(path.format(device=device.pk, link=link.pk), DRIVERS)

    assert response.status_code == 401
    assert ManufacturerLink.objects.get() == link


def test_a_read_token_reads_links_but_cannot_change_them(token_client, device):
    link = LinkFactory(device=device)
    reader = token_client("read")

    assert reader.get(links_url(device)).status_code == 200
    assert reader.get(f"/api/links/{link.pk}").status_code == 200
    assert reader.post(links_url(device), DRIVERS, format="json").status_code == 403
    assert reader.patch(f"/api/links/{link.pk}", {"label": "x"}, format="json").status_code == 403
    assert reader.delete(f"/api/links/{link.pk}").status_code == 403
    link.refresh_from_db()
    assert link.label == "Drivers"


def test_a_write_token_changes_links(token_client, device):
    writer = token_client("write")
    created = writer.post(links_url(device), DRIVERS, format="json")
    assert created.status_code == 201
    assert ManufacturerLink.objects.get().url == DRIVERS["url"]
    assert writer.delete(f"/api/links/{created.json()['id']}").status_code == 204
    assert not ManufacturerLink.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/devices/999999/links"),
        ("post", "/api/devices/999999/links"),
        ("get", "/api/links/999999"),
        ("patch", "/api/links/999999"),
        ("delete", "/api/links/999999"),
        ("get", "/api/links/99999999999999999999999999"),
    ],
)
def test_unknown_ids_are_404_in_json(api, method, path):
    response = getattr(api, method)(path, DRIVERS, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_deleting_the_device_deletes_its_links(api, device):
    LinkFactory(device=device)
    assert api.delete(f"/api/devices/{device.pk}").status_code == 204
    assert not ManufacturerLink.objects.exists()


def test_an_edit_refuses_a_key_no_link_has_and_one_that_changes_nothing_writes_nothing(api, device):
    """`{"lable": …}` was a 200 that changed nothing (a script took its typo for done), and an
    edit that changed nothing moved `updated_at`, as devices did before 0.14.6."""
    link = LinkFactory(device=device, label="Drivers", url="https://hp.example/d")
    url = f"/api/links/{link.pk}"
    read = api.get(url).json()

    misspelt = api.patch(url, {"lable": "BIOS", "url": "https://hp.example/b"}, format="json")
    created = api.post(links_url(device), {**DRIVERS, "urll": "x"}, format="json")
    unchanged = api.put(url, read, format="json")  # read, sent back: every key taken
    emptied = api.patch(url, {}, format="json")

    assert misspelt.status_code == 400
    assert misspelt.json() == {"lable": ["Not a field of a link; those an edit takes: label, url."]}
    assert created.status_code == 400
    said = "Not a field of a link; those a new link takes: label, url."
    assert created.json() == {"urll": [said]}
    assert ManufacturerLink.objects.count() == 1
    assert (unchanged.status_code, emptied.status_code) == (200, 200)
    assert unchanged.json()["updated_at"] == emptied.json()["updated_at"] == read["updated_at"]
    link.refresh_from_db()
    assert (link.label, link.url) == ("Drivers", "https://hp.example/d")
    edited = api.patch(url, {"label": "BIOS"}, format="json").json()
    assert edited["label"] == "BIOS" and edited["updated_at"] > read["updated_at"]


def test_an_edit_of_a_link_deleted_meanwhile_is_a_404_and_not_in_the_history(
    api, device, monkeypatch
):
    """A PATCH racing the link's DELETE: the edit finds no row to lock and is a 404, not a 200
    showing an edit stored nowhere and written in the device's history as done."""
    link = LinkFactory(device=device, label="Drivers")
    edit = services.link_update

    def deleted_meanwhile(*, link, data):
        ManufacturerLink.objects.filter(pk=link.pk).delete()
        return edit(link=link, data=data)

    monkeypatch.setattr(services, "link_update", deleted_meanwhile)
    response = api.patch(f"/api/links/{link.pk}", {"label": "BIOS"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert not ManufacturerLink.objects.exists()
    assert not LogEntry.objects.filter(object_id=str(device.pk)).exists()
