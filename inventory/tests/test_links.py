"""Manufacturer links: the services, and the admin writing through them."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from inventory import services
from inventory.models import ManufacturerLink
from inventory.tests.factories import DeviceFactory, LinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch):
    """Records every call of the link services (and still runs them)."""
    recorded = []
    for name in ("link_create", "link_update", "link_delete", "links_delete"):
        original = getattr(services, name)

        def spy(*, _name=name, _original=original, **kwargs):
            recorded.append(_name)
            return _original(**kwargs)

        monkeypatch.setattr(services, name, spy)
    return recorded


def test_link_create_refuses_other_schemes_than_http_and_https():
    device = DeviceFactory()
    with pytest.raises(ValidationError) as refused:
        services.link_create(device=device, label="x", url="javascript:alert(1)")
    assert "url" in refused.value.message_dict
    assert not ManufacturerLink.objects.exists()


def test_link_update_refuses_other_schemes_than_http_and_https():
    link = LinkFactory(url="https://support.example.com/drivers")
    with pytest.raises(ValidationError) as refused:
        services.link_update(link=link, data={"url": "javascript:alert(1)"})
    assert "url" in refused.value.message_dict
    link.refresh_from_db()
    assert link.url == "https://support.example.com/drivers"


def test_link_update_edits_label_and_url_and_nothing_else():
    link = LinkFactory()
    owner, other = link.device_id, DeviceFactory()

    services.link_update(
        link=link, data={"label": "BIOS", "url": "http://bios.example/", "device": other}
    )

    link.refresh_from_db()
    assert (link.label, link.url, link.device_id) == ("BIOS", "http://bios.example/", owner)


def device_page_data(device, **rows) -> dict:
    data = {
        "hostname": device.hostname,
        "location": device.location,
        "owner": device.owner,
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
    }
    data.update(rows)
    return data


def test_a_link_added_on_the_device_page_goes_through_the_service(admin_client, calls):
    device = DeviceFactory()
    data = device_page_data(
        device,
        **{
            "links-TOTAL_FORMS": "1",
            "links-0-label": "Drivers",
            "links-0-url": "https://support.example.com/drivers",
        },
    )

    response = admin_client.post(reverse("admin:inventory_device_change", args=(device.pk,)), data)

    assert response.status_code == 302
    assert calls == ["link_create"]
    assert device.links.get().url == "https://support.example.com/drivers"


def test_the_device_page_refuses_a_javascript_url(admin_client, calls):
    device = DeviceFactory()
    data = device_page_data(
        device,
        **{"links-TOTAL_FORMS": "1", "links-0-label": "x", "links-0-url": "javascript:alert(1)"},
    )

    response = admin_client.post(reverse("admin:inventory_device_change", args=(device.pk,)), data)

    assert response.status_code == 200
    assert "Enter a valid http:// or https:// URL." in response.content.decode()
    assert calls == [] and not ManufacturerLink.objects.exists()


def test_a_url_longer_than_the_column_is_refused_by_the_page_not_cut_by_the_browser(
    admin_client, calls
):
    """The input's maxlength made a browser cut a pasted 2,426-character URL to its first 2,000
    and the link saved broken, "changed successfully"; the page's check names the length."""
    device = DeviceFactory()
    page = admin_client.get(reverse("admin:inventory_device_change", args=(device.pk,)))
    url_input = re.search(r'<input[^>]*name="links-__prefix__-url"[^>]*>', page.content.decode())
    assert url_input and "maxlength" not in url_input[0]
    long_url = "https://support.hp.com/x?" + "q=1&" * 600
    data = device_page_data(
        device, **{"links-TOTAL_FORMS": "1", "links-0-label": "Pilotes", "links-0-url": long_url}
    )

    response = admin_client.post(reverse("admin:inventory_device_change", args=(device.pk,)), data)

    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters (it has 2425)." in (
        response.content.decode()
    )
    assert calls == [] and not ManufacturerLink.objects.exists()
    add_page = admin_client.get(reverse("admin:inventory_manufacturerlink_add")).content.decode()
    assert "maxlength" not in re.search(r'<input[^>]*name="url"[^>]*>', add_page)[0]


def test_a_refused_device_page_says_what_and_where_at_its_top_and_asks_for_the_files_again(
    admin_client, calls
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.tests.files import pdf_bytes

    device = DeviceFactory()
    data = device_page_data(
        device,
        **{
            "links-TOTAL_FORMS": "2",
            "links-0-label": "Drivers",
            "links-0-url": "https://support.example.com/drivers",
            "links-1-label": "BIOS",
            "links-1-url": "not a url",
            "documents-TOTAL_FORMS": "1",
            "documents-0-doc_type": "manual",
            "documents-0-file": SimpleUploadedFile("manual.pdf", pdf_bytes()),
        },
    )

    response = admin_client.post(reverse("admin:inventory_device_change", args=(device.pk,)), data)

    assert response.status_code == 200
    said = [str(message) for message in response.context["messages"]]
    assert said == [
        "Manufacturer links, row 2, URL: Enter a valid http:// or https:// URL.",
        "The files chosen for upload were not stored: choose them again once the errors are "
        "corrected.",
    ]
    page = response.content.decode()
    assert page.index("Manufacturer links, row 2, URL") < page.index('name="hostname"')
    assert calls == [] and not ManufacturerLink.objects.exists()


def test_the_device_page_links_a_machine_on_the_lan_by_its_bare_name(admin_client, calls):
    device = DeviceFactory()
    data = device_page_data(
        device,
        **{
            "links-TOTAL_FORMS": "1",
            "links-0-label": "DSM",
            "links-0-url": "http://nas:5000/",
        },
    )

    response = admin_client.post(reverse("admin:inventory_device_change", args=(device.pk,)), data)

    assert response.status_code == 302
    link = device.links.get()
    assert link.url == "http://nas:5000/"
    # its page shows it as a link, as it does a vendor's URL
    page = admin_client.get(reverse("admin:inventory_manufacturerlink_change", args=(link.pk,)))
    assert '<a href="http://nas:5000/">http://nas:5000/</a>' in page.content.decode()


def test_links_edited_and_deleted_on_the_device_page_go_through_the_services(admin_client, calls):
    device = DeviceFactory()
    edited, deleted = LinkFactory(device=device, label="A"), LinkFactory(device=device, label="B")
    data = device_page_data(
        device,
        **{
            "links-TOTAL_FORMS": "2",
            "links-INITIAL_FORMS": "2",
            "links-0-id": str(edited.pk),
            "links-0-device": str(device.pk),
            "links-0-label": "A2",
            "links-0-url": edited.url,
            "links-1-id": str(deleted.pk),
            "links-1-device": str(device.pk),
            "links-1-label": "B",
            "links-1-url": deleted.url,
            "links-1-DELETE": "on",
        },
    )

    response = admin_client.post(reverse("admin:inventory_device_change", args=(device.pk,)), data)

    assert response.status_code == 302
    assert sorted(calls) == ["link_delete", "link_update"]
    assert list(device.links.values_list("label", flat=True)) == ["A2"]


def test_a_link_added_from_its_own_admin_page_goes_through_the_service(admin_client, calls):
    device = DeviceFactory()
    response = admin_client.post(
        reverse("admin:inventory_manufacturerlink_add"),
        {"device": device.pk, "label": "Support", "url": "vendor.example/support"},
    )

    link = ManufacturerLink.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:inventory_manufacturerlink_changelist")
    assert calls == ["link_create"]
    assert link.url == "https://vendor.example/support"  # a bare host is taken as https


def test_a_link_changed_from_its_own_admin_page_keeps_its_device(admin_client, calls):
    link = LinkFactory()
    response = admin_client.post(
        reverse("admin:inventory_manufacturerlink_change", args=(link.pk,)),
        {"device": DeviceFactory().pk, "label": "BIOS", "url": "https://bios.example/"},
    )

    assert response.status_code == 302
    assert calls == ["link_update"]
    changed = ManufacturerLink.objects.get()
    assert (changed.label, changed.device_id) == ("BIOS", link.device_id)


def test_the_bulk_delete_of_links_goes_through_the_service(admin_client, calls):
    links = [LinkFactory(), LinkFactory()]
    kept = LinkFactory()

    response = admin_client.post(
        reverse("admin:inventory_manufacturerlink_changelist"),
        {"action": "delete_selected", "_selected_action": [k.pk for k in links], "post": "yes"},
    )

    assert response.status_code == 302
    assert calls == ["links_delete"]  # once for the selection, not once per link
    assert list(ManufacturerLink.objects.all()) == [kept]


def test_the_link_changelist_searches_filters_and_pins_its_queries(
    admin_client, django_assert_max_num_queries
):
    for index in range(6):
        LinkFactory(
            label=f"Drivers {index}",
            device__hostname=f"node-{index}",
            device__location="Rack A" if index % 2 else "Office",
        )
    url = reverse("admin:inventory_manufacturerlink_changelist")

    # session, user, counts, rows with their devices, the location filter's choices
    with django_assert_max_num_queries(8):
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 6

    assert admin_client.get(url, {"q": "node-2"}).context["cl"].result_count == 1
    response = admin_client.get(url, {"device__location": "Rack A"})
    assert response.context["cl"].result_count == 3
    # a label's accents and case ignored, as the device list's search does
    LinkFactory(label="Pilotes vidéo")
    assert admin_client.get(url, {"q": "VIDEO"}).context["cl"].result_count == 1


def test_the_link_changelists_location_filter_names_a_blank_location(admin_client):
    """A device with no location made the filter's choice an empty link: a screen reader read
    "link", and nobody saw one (axe: link-name)."""
    LinkFactory(device__location="Rack A")
    LinkFactory(device__location="")
    url = reverse("admin:inventory_manufacturerlink_changelist")

    html = admin_client.get(url).content.decode()

    choices = re.findall(r'<a href="\?device__location=([^"&]*)"[^>]*>([^<]*)</a>', html)
    assert sorted(choices) == [("", "(none)"), ("Rack+A", "Rack A")]
    assert admin_client.get(url, {"device__location": ""}).context["cl"].result_count == 1


def test_the_link_changelist_makes_a_lan_hosts_link_clickable(admin_client):
    LinkFactory(label="NAS web UI", url="http://nas/")
    LinkFactory(label="Drivers", url="https://www.example.com/drivers")
    html = admin_client.get(reverse("admin:inventory_manufacturerlink_changelist")).content.decode()
    assert '<a href="http://nas/" rel="noopener noreferrer">http://nas/</a>' in html
    assert 'href="https://www.example.com/drivers"' in html


def device_history(device) -> list[str]:
    from django.contrib.admin.models import LogEntry

    entries = LogEntry.objects.filter(object_id=str(device.pk), content_type__model="device")
    return [entry.get_change_message() for entry in entries.order_by("pk")]


def test_a_links_edit_on_the_device_page_is_in_its_history_with_old_and_new_values(admin_client):
    """Django's line said "Changed URL for manufacturer link “Support”." alone, where the API's
    said the old and the new URL."""
    device = DeviceFactory(location="lab")
    link = LinkFactory(device=device, label="Support", url="https://old.example/")
    data = device_page_data(
        device,
        location="rack 2",
        **{
            "links-TOTAL_FORMS": "2",
            "links-INITIAL_FORMS": "1",
            "links-0-id": str(link.pk),
            "links-0-device": str(device.pk),
            "links-0-label": "Support",
            "links-0-url": "https://new.example/",
            "links-1-label": "BIOS",
            "links-1-url": "https://bios.example/",
        },
    )
    response = admin_client.post(reverse("admin:inventory_device_change", args=(device.pk,)), data)
    assert response.status_code == 302, response.content

    assert device_history(device) == [
        'Changed location "lab" → "rack 2".\nChanged manufacturer link "Support": url '
        '"https://old.example/" → "https://new.example/".\nAdded manufacturer link "BIOS" '
        "(https://bios.example/)."
    ]


def test_a_link_edited_or_deleted_on_the_links_pages_is_in_its_devices_history(admin_client):
    """The *Manufacturer links* pages wrote nothing in the device's history."""
    device = DeviceFactory()
    link = LinkFactory(device=device, label="Support", url="https://a.example/")
    other = LinkFactory(device=device, label="BIOS", url="https://b.example/")
    url = reverse("admin:inventory_manufacturerlink_change", args=(link.pk,))
    admin_client.post(url, {"label": "iDRAC", "url": "https://a.example/"})
    admin_client.post(
        reverse("admin:inventory_manufacturerlink_changelist"),
        {"action": "delete_selected", "_selected_action": [link.pk, other.pk], "post": "yes"},
    )

    changed, *deleted = device_history(device)
    assert changed == 'Changed manufacturer link "Support": label "Support" → "iDRAC".'
    assert sorted(deleted) == [
        'Deleted manufacturer link "BIOS" (https://b.example/).',
        'Deleted manufacturer link "iDRAC" (https://a.example/).',
    ]


def test_a_link_added_to_a_device_deleted_meanwhile_is_a_does_not_exist():
    """The API's POST racing the device's DELETE: its INSERT failed on the foreign key, a 500;
    the device's row is read, locked, first (the API answers 404)."""
    device = DeviceFactory()
    from inventory.models import Device

    Device.objects.filter(pk=device.pk).delete()
    with pytest.raises(Device.DoesNotExist):
        services.link_create(device=device, label="BIOS", url="https://bios.example/")
    assert not ManufacturerLink.objects.exists()
