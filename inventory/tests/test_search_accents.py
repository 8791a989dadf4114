"""A device search ignores accents in what people write of a machine: typed on a keyboard
without them, "Helene" finds the machines of "Hélène"."""

import importlib
import threading

import pytest
from django.db import connection, connections

from inventory.tests.factories import DeviceFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet():
    desk = DeviceFactory(
        hostname="desk-1",
        owner="Hélène Dupont",
        location="Bâtiment B, 2ᵉ étage",
        description="Poste de la comptabilité",
    )
    desk.tags.add(TagFactory(name="Équipe-Nord"))
    DeviceFactory(hostname="desk-2", owner="ÉLODIE Martin", location="Salle 1")
    DeviceFactory(hostname="desk-3", owner="Helene Roux", location="Batiment A")
    DeviceFactory(hostname="desk-4", owner="Zoë Søren", location="Straße 5, Łódź")
    DeviceFactory(hostname="desk-5", description="Œuvres complètes")
    DeviceFactory(hostname="desk-6", location="Bureau d’Anaïs")  # a typographic apostrophe


def found(api, admin_client, search: str) -> list[str]:
    response = api.get("/api/devices", {"search": search, "ordering": "hostname"})
    assert response.status_code == 200, response.content
    names = [item["hostname"] for item in response.json()["results"]]
    # the admin's device search finds the same machines
    html = admin_client.get("/admin/inventory/device/", {"q": search}).content.decode()
    assert [f"desk-{n}" for n in range(1, 7) if f">desk-{n}</a>" in html] == names
    return names


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("helene", ["desk-1", "desk-3"]),  # typed without its accents
        ("Hélène", ["desk-1", "desk-3"]),  # and with them: "Helene Roux" too
        ("HÉLÈNE dupont", ["desk-1"]),
        ("batiment", ["desk-1", "desk-3"]),  # where it is
        ("etage", ["desk-1"]),
        ("comptabilite", ["desk-1"]),  # its notes
        ("equipe-nord", ["desk-1"]),  # its tags
        ("élodie", ["desk-2"]),  # upper case stored, lower case typed (SQLite's LIKE did not)
        ("zoe", ["desk-4"]),
        ("straße", ["desk-4"]),
        ("strasse", ["desk-4"]),  # letters without a mark to take off: as unaccent writes them
        ("soren lodz", ["desk-4"]),
        ("oeuvres", ["desk-5"]),
        ("hélèn roux", ["desk-3"]),
        ("helena", []),
        ("d'anais", ["desk-6"]),  # the apostrophe of a keyboard finds the typographic one
        ("D’ANAÏS", ["desk-6"]),  # and that one itself (PostgreSQL's unaccent folds both)
    ],
)
def test_search_ignores_accents(api, admin_client, fleet, search, expected):
    assert found(api, admin_client, search) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's unaccent extension")
def test_an_account_that_may_not_create_unaccent_upgrades_and_searches_as_before(
    api, admin_client, fleet, capsys
):
    """The migration tells why the search will not ignore accents and goes on; the search then
    compares the text as stored."""
    migration = importlib.import_module("inventory.migrations.0021_unaccent")
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION unaccent")
        cursor.execute("CREATE ROLE bt_no_create NOLOGIN")
        cursor.execute("GRANT ALL ON SCHEMA public TO bt_no_create")
        cursor.execute("SET ROLE bt_no_create")
    had_unaccent, connection.bt_unaccent = connection.bt_unaccent, False
    try:
        with connection.schema_editor() as editor:
            migration.create_unaccent(None, editor)
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        assert "unaccent extension could not be created" in capsys.readouterr().err
        assert connection.bt_unaccent is False
        assert found(api, admin_client, "helene") == ["desk-3"]
        assert found(api, admin_client, "Hélène") == ["desk-1"]
    finally:  # the test's transaction rolls the DROP back; the connection is kept
        connection.bt_unaccent = had_unaccent


@pytest.mark.django_db(transaction=True)
def test_the_first_search_of_a_new_connection_ignores_accents(api, fleet):
    """A server's thread opens its connection with its first query, often the search itself
    (a token's request): on PostgreSQL the search was made before the connection said it had
    unaccent, and "helene" found Hélène's machine one time in two."""
    found = []

    def search():  # a thread of its own: a connection of its own, opened by the search
        try:
            response = api.get("/api/devices", {"search": "helene", "ordering": "hostname"})
            found.append([item["hostname"] for item in response.json()["results"]])
        finally:
            connections.close_all()

    thread = threading.Thread(target=search)
    thread.start()
    thread.join()
    assert found == [["desk-1", "desk-3"]]
