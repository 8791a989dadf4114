"""Tags in the admin: a name taken in another case is said in words, and each tag leads to its
machines."""

import html

import pytest

from inventory.models import Tag
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
