"""Tags in the admin: a name taken in another case is said in words, and each tag leads to its
machines."""

import html

import pytest
from django.db import connection, transaction

from benchsite.tests.threads import first_held
from inventory.models import Tag
from inventory.services import tags_resolve
from inventory.tests.factories import DeviceFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_a_tag_name_taken_in_another_case_is_said_in_words(admin_client):
    """The admin said 'Constraint "inventory_tag_name_ci_unique" is violated.'"""
    TagFactory(name="server")

    response = admin_client.post("/admin/inventory/tag/add/", {"name": "SERVER"})

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "A tag with this name already exists (tag names are compared whatever" in page
    assert "inventory_tag_name_ci_unique" not in page
    assert list(Tag.objects.values_list("name", flat=True)) == ["server"]


def test_a_tag_name_with_an_invisible_character_is_refused_in_words(admin_client):
    """ "rack" and "rack" with a zero-width space were two tags that looked the same."""
    TagFactory(name="rack")
    response = admin_client.post("/admin/inventory/tag/add/", {"name": "rack\u200b"})
    assert response.status_code == 200
    assert "may not contain a control or invisible character" in response.content.decode()
    assert list(Tag.objects.values_list("name", flat=True)) == ["rack"]


def test_the_tags_picker_lists_them_by_name_page_after_page(admin_client):
    """Their count (a GROUP BY) dropped the tags' order: the picker on the device page listed
    them as they were created, paged without an order."""
    for name in ("zulu", "Mike", "alpha", "Bravo"):
        TagFactory(name=name)
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "inventory", "model_name": "device", "field_name": "tags", "term": ""},
    )
    assert [tag["text"] for tag in response.json()["results"]] == [
        "alpha",
        "Bravo",
        "Mike",
        "zulu",
    ]
    assert admin_client.get("/admin/inventory/tag/").context["cl"].result_list[0].name == "alpha"


def test_the_tag_list_counts_each_tags_machines_and_links_to_them(admin_client):
    backup, unused = TagFactory(name="backup"), TagFactory(name="unused")
    for hostname in ("nas", "pve"):
        DeviceFactory(hostname=hostname).tags.add(backup)
    DeviceFactory(hostname="desk")

    page = admin_client.get("/admin/inventory/tag/").content.decode()

    link = f'<a href="/admin/inventory/device/?tags__id__exact={backup.pk}">2</a>'
    assert link in page
    row = page.split(f"/admin/inventory/tag/{unused.pk}/change/", 1)[1].split("</tr>", 1)[0]
    assert 'class="field-machines">0</td>' in row
    listed = admin_client.get(f"/admin/inventory/device/?tags__id__exact={backup.pk}")
    assert sorted(d.hostname for d in listed.context["cl"].result_list) == ["nas", "pve"]


def test_the_tag_list_links_to_the_devices_for_who_may_open_them(admin_client):
    from benchsite.tests.accounts import staff_client

    backup = TagFactory(name="backup")
    DeviceFactory(hostname="nas").tags.add(backup)
    tags_only = staff_client("inventory.view_tag")

    page = tags_only.get("/admin/inventory/tag/").content.decode()

    assert 'class="field-machines">1</td>' in page
    assert "/admin/inventory/device/?tags__id__exact=" not in page


def test_the_device_page_says_how_to_make_a_new_tag(admin_client):
    """Typing a new tag in the field found nothing, and nothing said that the + makes one (UX
    audit)."""
    device = DeviceFactory()
    page = admin_client.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    tags = page.split('id="id_tags"', 1)[1].split("</div>", 3)
    assert "Type to find a tag; a new tag: the + beside the field." in "".join(tags)


def test_a_tag_in_another_case_of_an_accented_letter_is_the_same_tag(api, admin_client):
    """SQLite's LOWER() folds ASCII letters alone: "étage" was a second tag beside "Étage" (from
    the API, the import, the admin), and ?tag=étage did not list the machines of "Étage"."""
    floor = TagFactory(name="Étage")
    device = DeviceFactory(hostname="pc-05")
    device.tags.add(floor)
    other = DeviceFactory(hostname="pc-06")

    answer = api.patch(f"/api/devices/{other.pk}", {"tags": ["étage"]}, format="json")
    assert answer.status_code == 200, answer.content
    assert list(Tag.objects.values_list("name", flat=True)) == ["Étage"]
    listed = api.get("/api/devices", {"tag": "ÉTAGE", "ordering": "hostname"}).json()
    assert [d["hostname"] for d in listed["results"]] == ["pc-05", "pc-06"]
    assert api.get("/api/devices", {"tag": "étages"}).json()["count"] == 0

    response = admin_client.post("/admin/inventory/tag/add/", {"name": "éTAGE"})
    assert "A tag with this name already exists" in html.unescape(response.content.decode())
    assert Tag.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_making_the_same_new_tag_at_once_both_get_it():
    """A script tagging a rack's machines in parallel: one request in four answered 500 on
    PostgreSQL (the unique index refused the second INSERT) and its machine stayed untagged."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write transaction (BEGIN IMMEDIATE) by itself")
    with first_held(lambda: tags_resolve(["rack-7"])[0].pk) as found:
        with transaction.atomic():  # its INSERT waits on the first's index entry meanwhile
            found.append(tags_resolve(["RACK-7"])[0].pk)
    assert len(set(found)) == 1 and Tag.objects.count() == 1


def test_a_tag_is_found_by_a_name_whose_final_sigma_python_lowers_otherwise():
    """Python lowers "ΟΔΟΣ" to "οδος", PostgreSQL to "οδοσ": compared by Python's lower(), the
    tag "οδοσ" was not found, and its INSERT again was refused by the unique index."""
    tag = TagFactory(name="οδοσ")
    assert tags_resolve(["ΟΔΟΣ"]) == [tag]
    assert Tag.objects.count() == 1


def test_two_tags_an_earlier_version_let_in_are_one_name_and_said_at_the_start(api):
    """SQLite's LOWER() folds ASCII letters alone: 0.14.1 let "Étage" and "étage" in as two
    tags. ?tag= found the machines of one (the other's by no spelling), and nothing said so."""
    import io

    from django.core.management import call_command
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            upper, lower = Tag.objects.bulk_create([Tag(name="Étage"), Tag(name="étage")])
    except IntegrityError:
        pytest.skip("this database's LOWER() folds É: it never let the two in")
    DeviceFactory(hostname="pc-05").tags.add(upper)
    DeviceFactory(hostname="pc-06").tags.add(lower)

    for spelling in ("étage", "ÉTAGE"):
        listed = api.get("/api/devices", {"tag": spelling, "ordering": "hostname"}).json()
        assert [d["hostname"] for d in listed["results"]] == ["pc-05", "pc-06"]

    said = io.StringIO()
    call_command("check", "--database", "default", stdout=said, stderr=said)
    assert "(inventory.W001) The tags 'Étage' and 'étage' are one name" in said.getvalue()


def test_a_tag_is_one_however_its_accent_is_typed_and_found_trimmed(api):
    """ "É" typed as E and its combining accent (a Mac's keyboard, a copy from a PDF) made a
    second "Étage" that looked the same; ?tag= with a space around the name found nothing."""
    floor = TagFactory(name="Étage")
    device = DeviceFactory(hostname="pc-07")
    answer = api.patch(f"/api/devices/{device.pk}", {"tags": ["E\u0301tage"]}, format="json")
    assert answer.status_code == 200, answer.content
    assert list(device.tags.all()) == [floor] and Tag.objects.count() == 1

    for spelling in (" étage ", "E\u0301TAGE"):
        listed = api.get("/api/devices", {"tag": spelling}).json()
        assert [d["hostname"] for d in listed["results"]] == ["pc-07"]


def test_a_new_tag_typed_with_a_combining_accent_is_stored_as_one_character(api, admin_client):
    """ "E" and a combining accent (a Mac's keyboard) look like "É" but are other characters:
    stored so, the tag list's search for "Étage" as typed elsewhere did not find it."""
    device = DeviceFactory(hostname="pc-08")

    answer = api.patch(f"/api/devices/{device.pk}", {"tags": ["E\u0301tage"]}, format="json")

    assert answer.status_code == 200, answer.content
    assert list(Tag.objects.values_list("name", flat=True)) == ["\u00c9tage"]
    found = admin_client.get("/admin/inventory/tag/", {"q": "\u00c9tage"}).content.decode()
    assert ">\u00c9tage</a>" in found


def test_a_blank_tag_name_makes_no_tag():
    """A blank name among those given (empty, or spaces) is no tag, and is not said created."""
    created = []

    tags = tags_resolve([" prod ", "", "  "], created=created)

    assert [tag.name for tag in tags] == ["prod"] and created == tags
    assert list(Tag.objects.values_list("name", flat=True)) == ["prod"]
