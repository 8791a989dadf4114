"""Which machines run which OS release: the device list's OS filter, the API's ?os= and
?os_version=, a search for `debian 11`, and the compare page's OS, one name for a release."""

import re

import pytest
from django.utils import timezone

from benchmarks.tests.factories import BenchmarkFactory
from benchsite.tests.accounts import staff_client

pytestmark = pytest.mark.django_db

DEBIAN, UBUNTU = "Debian GNU/Linux", "Ubuntu"
FLEET = {  # hostname: (OS name, version, kernel) of its latest snapshot
    "web": (DEBIAN, "11 (bullseye)", "5.10.0-28-amd64"),
    "pc11": (DEBIAN, "12 (bookworm)", "6.1.0-11-amd64"),  # "11" in its name and its kernel
    "db": (DEBIAN, "12 (bookworm)", "6.1.0-18-amd64"),
    "ci": (UBUNTU, "24.04.1 LTS (Noble Numbat)", "6.8.0-45-generic"),
    "dev": (UBUNTU, "22.04.4 LTS (Jammy Jellyfish)", "5.15.0-11-generic"),
}
RELEASES = [  # the filter's choices, each with the machines it lists
    ("Debian GNU/Linux 11 (bullseye)", ["web"]),
    ("Debian GNU/Linux 12 (bookworm)", ["db", "pc11"]),
    ("Ubuntu 22.04.4 LTS (Jammy Jellyfish)", ["dev"]),
    ("Ubuntu 24.04.1 LTS (Noble Numbat)", ["ci"]),
]
LIST = "/admin/inventory/device/"


@pytest.fixture
def fleet():
    past = timezone.now() - timezone.timedelta(days=400)
    devices = {}
    for hostname, (name, version, kernel) in FLEET.items():
        # each machine ran Debian 10 once: a release of its past only, offered by no choice
        first = BenchmarkFactory(
            device__hostname=hostname, run_at=past, snapshot__os_version="10 (buster)"
        )
        devices[hostname] = first.device
        BenchmarkFactory(
            device=first.device,
            snapshot__os_name=name,
            snapshot__os_version=version,
            snapshot__kernel_version=kernel,
        )
    return devices


def listed(html: str) -> list[str]:
    return sorted(name for name in FLEET if f">{name}</a>" in html)


def os_choices(html: str) -> dict[str, str]:
    """The OS filter's choices, by what they say, each to its link."""
    section = html.split('data-filter-title="OS"', 1)[1].split("</details>", 1)[0]
    links = re.findall(r'<a href="([^"]*)"[^>]*>([^<]+)</a>', section)
    return {text.strip(): href.replace("&amp;", "&") for href, text in links}


def test_the_device_list_filters_by_os_release_and_counts_them(
    admin_client, fleet, django_assert_num_queries
):
    """ "Which machines still run Debian 11?" The filter offered OS names only: every Debian
    machine at once, Debian 11 and 12 alike."""
    choices = os_choices(admin_client.get(LIST).content.decode())
    assert list(choices) == ["All", *(label for label, _ in RELEASES)]
    for label, machines in RELEASES:
        # as many as the list's without it (its choices, its count): 11
        with django_assert_num_queries(11):
            html = admin_client.get(LIST + choices[label]).content.decode()
        assert listed(html) == machines, label
        assert re.search(rf'class="selected">\s*<a [^>]*>{re.escape(label)}</a>', html)
    # with the counts the other filters show, each release's; as many queries as without the
    # releases (Django's counts make every filter again for each filter's, each filter's
    # choices read once per request: 20, where it was 56)
    with django_assert_num_queries(20):
        html = admin_client.get(LIST, {"_facets": "True"}).content.decode()
    counted = os_choices(html)
    for label, machines in RELEASES:
        assert f"{label} ({len(machines)})" in counted
    # a link saved when the filter offered names lists every machine running that OS, and says so
    html = admin_client.get(LIST, {"os": DEBIAN}).content.decode()
    assert listed(html) == ["db", "pc11", "web"]
    assert f"{DEBIAN}, any version" in os_choices(html)
    # a NUL character, which PostgreSQL refuses in a query (a 500 there), lists no machine
    for query in ({"os": "\x00"}, {"os": DEBIAN, "os_version": "11\x00"}, {"cpu_vendor": "\x00"}):
        response = admin_client.get(LIST, query)
        assert (response.status_code, listed(response.content.decode())) == (200, []), query


def test_the_api_filters_by_os_release_as_the_device_list_does(api, fleet):
    def hostnames(**params):
        response = api.get("/api/devices", {**params, "ordering": "hostname"})
        assert response.status_code == 200, response.content
        return [device["hostname"] for device in response.json()["results"]]

    assert hostnames(os="debian gnu/linux", os_version="11 (BULLSEYE)") == ["web"]
    assert hostnames(os=DEBIAN) == ["db", "pc11", "web"]
    assert hostnames(os_version="12 (bookworm)") == ["db", "pc11"]
    assert hostnames(os=DEBIAN, os_version="10 (buster)") == []  # their past only
    devices_only = staff_client("inventory.view_device")
    assert devices_only.get("/api/devices", {"os": DEBIAN}).json()["count"] == 0
    # the compare page names a machine's OS as the filter names its release
    ids = f"{fleet['web'].pk},{fleet['ci'].pk}"
    compared = api.get("/api/compare", {"devices": ids}).json()["devices"]
    assert [device["hardware"]["os"] for device in compared] == [RELEASES[0][0], RELEASES[3][0]]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("debian 11", ["web"]),  # not pc11, a Debian 12 machine whose kernel is 6.1.0-11
        ('"Debian 11"', ["web"]),
        ("ubuntu 24.04", ["ci"]),
        ("ubuntu 11", ["dev"]),  # no Ubuntu 11: the words are matched apart, as before
    ],
)
def test_a_search_for_an_os_and_its_version_finds_the_machines_running_that_release(
    admin_client, api, fleet, search, expected
):
    response = api.get("/api/devices", {"search": search, "ordering": "hostname"})
    assert [device["hostname"] for device in response.json()["results"]] == expected
    assert listed(admin_client.get(LIST, {"q": search}).content.decode()) == expected
