"""Every model is managed in the admin: its pages render with data present."""

import html
import re
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from benchmarks.tests.factories import BenchmarkFactory
from inventory.tests.factories import LinkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(example, submit):
    """A row of every model the admin manages, so that each one's change page is opened."""
    from benchsite.models import Backup
    from benchsite.services import api_token_issue
    from documents.services import document_store
    from documents.tests.files import pdf_bytes, upload
    from inventory.models import Device, Tag

    submit(example)
    LinkFactory()
    BenchmarkFactory()
    Tag.objects.create(name="rack-2")
    api_token_issue(name="ci", can_submit=True, can_read=False, can_write=False)
    document_store(device=Device.objects.first(), upload=upload(pdf_bytes(), "manual.pdf"))
    Backup.objects.create(created_at=timezone.now(), host="nas", path="/b/x.tar.gz", size=1)


@pytest.mark.parametrize(
    "model",
    [
        m
        for m in admin.site._registry
        if m._meta.app_label in ("benchsite", "inventory", "benchmarks", "documents")
    ],
    ids=lambda m: m._meta.label,
)
def test_changelist_search_and_change_pages_render(admin_client, data, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "elitedesk"}).status_code == 200
    obj = model.objects.first()
    assert obj is not None, f"data() gives no {opts.label}: its change page would go unopened"
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=(obj.pk,))
    assert admin_client.get(change).status_code == 200


def test_device_edit_in_the_admin_keeps_the_ranking_figures(admin_client, data):
    from inventory.models import Device

    device = Device.objects.get(hostname="elitedesk-800g3")
    figures = (device.global_score, device.last_benchmark_at, device.latest_snapshot_id)
    assert figures[0] is not None
    response = admin_client.post(
        reverse("admin:inventory_device_change", args=(device.pk,)),
        {
            "hostname": device.hostname,
            "fqdn": "",
            "description": "desk",
            "asset_tag": "A-7",
            "location": "office",
            "owner": "me",
            "links-TOTAL_FORMS": "0",
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    device.refresh_from_db()
    assert device.asset_tag == "A-7"
    assert (device.global_score, device.last_benchmark_at, device.latest_snapshot_id) == figures
    # the device's history names each field with its old and new value, as the API's edits do
    history = admin_client.get(
        reverse("admin:inventory_device_history", args=(device.pk,))
    ).content.decode()
    assert (
        'Changed description "" → "desk"; asset_tag "" → "A-7"; location "" → "office"; '
        'owner "" → "me".'
    ) in html.unescape(history)


def test_a_device_page_saved_moves_updated_at_when_it_changed_something_only(admin_client):
    """Its tags alone changed (saved by the form, not by the service): `updated_at` stood
    still, where the API's tags edit moves it; saved unchanged, it stays (a sync job that
    reads it saw a change)."""
    from inventory.models import Device, Tag
    from inventory.tests.factories import DeviceFactory

    device = DeviceFactory(hostname="nas", location="lab")
    rack = Tag.objects.create(name="rack")
    url = reverse("admin:inventory_device_change", args=(device.pk,))
    form = {
        "hostname": "nas",
        "location": "lab",
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    }

    def updated_at_after(posted: dict):
        response = admin_client.post(url, posted)
        assert response.status_code == 302, response.context["errors"] if response.context else ""
        return Device.objects.get(pk=device.pk).updated_at

    before = updated_at_after(form)  # the factory's other fields as the form has them
    tagged = updated_at_after({**form, "tags": [rack.pk]})
    unchanged = updated_at_after({**form, "tags": [rack.pk]})

    assert tagged > before and unchanged == tagged
    assert list(Device.objects.get(pk=device.pk).tags.values_list("name", flat=True)) == ["rack"]


def test_a_device_added_by_hand_is_asked_only_what_a_person_fills_in(admin_client, data):
    """The add page showed "Identity (reported by the machine)" and "Record" with nothing but
    dashes, which read as fields to fill in; a saved device's page shows them."""
    from inventory.models import Device

    add = admin_client.get(reverse("admin:inventory_device_add")).content.decode()
    assert ">Details</h2>" in add and ">Inventory</h2>" in add
    assert "Identity (reported by the machine)" not in add and ">Record</h2>" not in add

    device = Device.objects.get(hostname="elitedesk-800g3")
    change = admin_client.get(reverse("admin:inventory_device_change", args=(device.pk,)))
    page = change.content.decode()
    assert "Identity (reported by the machine)" in page and ">Record</h2>" in page


def test_a_hostname_taken_in_another_case_is_said_in_words(admin_client, data):
    """The admin said 'Constraint "inventory_device_hostname_ci_unique" is violated.'"""
    from inventory.models import Device

    response = admin_client.post(
        reverse("admin:inventory_device_add"),
        {
            "hostname": "EliteDesk-800G3",
            "links-TOTAL_FORMS": "0",
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "A device with this hostname already exists (hostnames are compared whatever" in page
    assert "inventory_device_hostname_ci_unique" not in page
    assert Device.objects.filter(hostname__iexact="elitedesk-800g3").count() == 1


@pytest.mark.parametrize(
    "url, model_admin, expected_order",
    [
        ("admin:benchmarks_benchmark_changelist", "benchmarks.Benchmark", ("-run_at", "-id")),
        ("admin:inventory_device_changelist", "inventory.Device", None),
    ],
)
def test_a_deep_changelist_page_lists_the_rows_of_that_page(
    admin_client, monkeypatch, url, model_admin, expected_order
):
    """The admin's pages are found by primary key first (KeysFirstPaginator): page 3 lists
    exactly the rows that slicing the changelist's order gives, ties included."""
    model = apps.get_model(model_admin)
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", 3)
    when = timezone.now()
    for i in range(11):  # scores and times with ties, and machines never benchmarked
        BenchmarkFactory(
            run_at=when - timezone.timedelta(hours=i // 2),
            device__global_score=None if i % 4 == 0 else float(50 + i % 3),
        )
    order = expected_order or (F("global_score").desc(nulls_last=True), "hostname", "-pk")
    expected = [str(pk) for pk in model.objects.order_by(*order).values_list("pk", flat=True)]

    body = admin_client.get(reverse(url), {"p": 3}).content.decode()

    listed = re.findall(r'name="_selected_action" value="(\d+)"', body)
    assert listed == expected[6:9]


def test_every_admin_page_writes_a_time_as_the_device_page_does(admin_client, data, settings):
    settings.TIME_ZONE = "Europe/Paris"  # shown in the server's zone, like the device page
    run = BenchmarkFactory(run_at=datetime(2026, 12, 3, 13, 18, tzinfo=UTC))

    page = admin_client.get(reverse("admin:benchmarks_benchmark_changelist")).content.decode()
    detail = admin_client.get(reverse("admin:benchmarks_benchmark_change", args=(run.pk,)))

    assert "2026-12-03 14:18" in page  # not "Dec. 3, 2026, 2:18 p.m."
    assert "2026-12-03 14:18" in detail.content.decode()
    assert not re.search(r"\b[ap]\.m\.", page)


def test_a_run_from_a_clock_at_year_one_leaves_every_page_west_of_utc_working(
    admin_client, example, submit, settings
):
    """A submission's started_at of 0001-01-01T00:00Z parsed, and was stored as the run's
    time: in New York that is before year 1, and the dashboard and every list and page that
    showed the run answered 500 (OverflowError), the run's own pages too, so that it could
    not be deleted there. It is a wrong clock: the run is dated by its arrival."""
    settings.TIME_ZONE = "America/New_York"
    example["results"]["conditions"] = {"started_at": "0001-01-01T00:00:00Z"}
    answer = submit(example).json()
    from benchmarks.models import Benchmark

    run = Benchmark.objects.get(pk=answer["benchmark_id"])
    assert run.run_at == run.received_at
    for url in (
        reverse("admin:index"),
        reverse("admin:inventory_device_changelist"),
        reverse("admin:inventory_device_change", args=(answer["device_id"],)),
        reverse("admin:benchmarks_benchmark_changelist"),
        reverse("admin:benchmarks_benchmark_change", args=(run.pk,)),
        reverse("admin:inventory_hardwaresnapshot_changelist"),
        reverse("admin:inventory_hardwaresnapshot_change", args=(answer["snapshot_id"],)),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_the_pages_of_devices_are_under_inventory_in_their_breadcrumbs(admin_client, data):
    """The import and compare pages read "Home › Devices", where every other page of devices
    reads "Home › Inventory › Devices"."""
    from inventory.models import Device

    first, second = Device.objects.order_by("pk")[:2]
    for url in (
        reverse("admin:inventory_device_import"),
        reverse("admin:inventory_device_compare", args=(first.pk,)),
        reverse("admin:inventory_device_compare_devices") + f"?devices={first.pk},{second.pk}",
        reverse("admin:inventory_device_change", args=(first.pk,)),
    ):
        crumbs = admin_client.get(url).content.decode().split('class="breadcrumbs">', 1)[1]
        crumbs = html.unescape(re.sub(r"<[^>]+>", "", crumbs.split("</div>", 1)[0]))
        crumbs = re.sub(r"\s+", " ", crumbs)
        assert crumbs.strip().startswith("Home › Inventory › Devices ›"), url


def test_a_device_picked_by_typing_its_name_is_the_one_named_first(admin_client):
    """A link's device: "elite" and Enter picked pve-node1, the fastest machine whose system
    model (EliteDesk) matched, not elitedesk-800g3."""
    from inventory.models import Device

    Device.objects.create(hostname="pve-node1", description="an EliteDesk", global_score=300.0)
    Device.objects.create(hostname="my-elitedesk", global_score=200.0)
    Device.objects.create(hostname="elitedesk-800g3", global_score=100.0)
    Device.objects.create(hostname="nas", global_score=400.0)

    answer = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "elite",
            "app_label": "inventory",
            "model_name": "manufacturerlink",
            "field_name": "device",
        },
    )

    assert answer.status_code == 200
    found = [result["text"] for result in answer.json()["results"]]
    assert found == ["elitedesk-800g3", "my-elitedesk", "pve-node1"]
    # the device list still ranks what it finds by score
    listed = admin_client.get(reverse("admin:inventory_device_changelist"), {"q": "elite"})
    assert [d.hostname for d in listed.context["cl"].result_list] == [
        "pve-node1",
        "my-elitedesk",
        "elitedesk-800g3",
    ]


def test_a_devices_delete_page_lists_what_goes_and_says_its_files_go_too(admin_client, api):
    """The page listed "Device-tag relationship: Device_tags object (4)" for each tag (the tags
    stay) and did not say that the documents' files are erased from the storage."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from inventory.models import Device, Tag

    device = Device.objects.create(hostname="old-nas")
    device.tags.add(Tag.objects.create(name="rack-2"), Tag.objects.create(name="backup"))
    upload = api.post(
        f"/api/devices/{device.pk}/docs",
        {"file": SimpleUploadedFile("invoice.txt", b"paid"), "doc_type": "invoice"},
        format="multipart",
    )
    assert upload.status_code == 201, upload.content

    one = admin_client.get(reverse("admin:inventory_device_delete", args=(device.pk,)))
    several = admin_client.post(
        reverse("admin:inventory_device_changelist"),
        {"action": "delete_selected", "_selected_action": [device.pk]},
    )

    for page in (one.content.decode(), several.content.decode()):
        assert "relationship" not in page.lower() and "Device_tags object" not in page
        assert "The files of their 1 document(s), deleted from the storage" in page
        assert "invoice.txt" in page
    assert Device.objects.filter(pk=device.pk).exists()  # asked, not done


def _unnamed_controls(page: str) -> list[str]:
    """The form controls a person fills in that nothing names: no <label for> and no aria-label
    (what axe's `label` and `select-name` rules find)."""
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', page))
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", page)
    return [
        control
        for control in controls
        if not re.search(r'type="(?:hidden|submit|button)"', control)
        and "aria-label=" not in control
        and re.search(r'id="([^"]+)"', control)[1] not in labelled
    ]


def test_the_device_pages_links_and_documents_name_each_control_by_column_and_row(
    admin_client, data
):
    """The tabular inlines' controls had no name: a screen reader read "edit text", "combo
    box", "checkbox" down the documents' and links' rows."""
    from documents.models import Document
    from inventory.models import ManufacturerLink

    link = ManufacturerLink.objects.get()
    Document.objects.create(  # its row alone: the page reads no file
        device=link.device, title="Service manual", original_filename="manual.pdf", size_bytes=9
    )
    page = admin_client.get(reverse("admin:inventory_device_change", args=(link.device_id,)))
    page = page.content.decode()

    inlines = page.split('id="links-group"', 1)[1].split('id="snapshots"', 1)[0]
    assert _unnamed_controls(inlines) == []
    named = {
        re.search(r'id="id_([^"]+)"', control)[1]: re.search(r'aria-label="([^"]+)"', control)[1]
        for control in re.findall(r"<(?:input|select)\b[^>]*aria-label[^>]*>", inlines)
        if "__prefix__" not in control  # a row the page adds: "new document" too
    }
    assert named == {
        "links-0-label": f"Label, {link.label}",
        "links-0-url": f"URL, {link.label}",
        "links-0-DELETE": f"Delete, {link.label}",
        "documents-0-doc_type": "Type, Service manual",
        "documents-0-title": "Title, Service manual",
        "documents-0-DELETE": "Delete, Service manual",
        "documents-1-file": "File, new document",
        "documents-1-doc_type": "Type, new document",
        "documents-1-title": "Title, new document",
    }


def test_a_new_tokens_expiry_and_a_devices_tag_search_are_named(admin_client, data):
    """The expiry's date and time boxes were said only by "Date:" and "Time:" beside them, and
    the tags' search box, which Select2 makes in the page, by nothing."""
    form = admin_client.get(reverse("admin:benchsite_apitoken_add")).content.decode()
    form = form.split('id="apitoken_form"', 1)[1].split("</form>", 1)[0]
    assert _unnamed_controls(form) == []
    assert re.search(r'<input [^>]*aria-label="Expiry date"[^>]*id="id_expires_at_0"', form)
    assert re.search(r'<input [^>]*aria-label="Expiry time"[^>]*id="id_expires_at_1"', form)

    from inventory.models import Device

    device = Device.objects.get(hostname="elitedesk-800g3")
    page = admin_client.get(reverse("admin:inventory_device_change", args=(device.pk,)))
    page = page.content.decode()
    tags = re.search(r'<select name="tags"[^>]*>', page)[0]
    assert 'data-search-label="Find a tag"' in tags  # the name search_names.js gives its box
    assert "benchsite/search_names.js" in page


def test_a_list_link_with_a_filter_it_cannot_apply_says_so_not_that_the_database_is_broken(
    admin_client, data
):
    """A list's link with a filter it cannot apply goes to the list with `?e=1`, and with `e=1`
    already in it (a link kept from that page, edited by hand) Django said "Database error" and
    that the database was not set up, under another site's name."""
    url = reverse("admin:documents_document_changelist")
    response = admin_client.get(url, {"uploaded_at__year": "abc", "e": "1"})

    assert response.status_code == 400  # not served: for monitoring and a browser's history
    page = response.content.decode()
    assert "Database error" not in page and "database installation" not in page
    assert "<title>A filter it cannot apply | Linux BenchTools</title>" in page
    assert "<h1>A filter it cannot apply</h1>" in page
    assert "holds a filter it cannot apply" in page
    assert '<div id="site-name"><a href="/admin/">Linux BenchTools</a></div>' in page
    link = re.search(r'<a href="([^"]*)" id="list-without-filters">', page).group(1)
    assert link == "?"  # the same list, without its query: that of whatever list was opened
    assert admin_client.get(url + link).status_code == 200


@pytest.mark.parametrize(
    ("zone", "query"),
    [
        ("Europe/Paris", {"run_at__gte": "0001-01-01"}),  # an hour before year 1 in UTC
        ("America/New_York", {"run_at__gte": "2026-01-01", "run_at__lt": "9999-12-31 23:00"}),
    ],
)
def test_a_date_filter_out_of_range_in_utc_is_a_filter_it_cannot_apply_not_a_500(
    admin_client, data, settings, zone, query
):
    settings.TIME_ZONE = zone
    url = reverse("admin:benchmarks_benchmark_changelist")
    response = admin_client.get(url, query, follow=True)
    assert response.redirect_chain == [(f"{url}?e=1", 302)] and response.status_code == 200
    assert admin_client.get(url, {"run_at__gte": "2026-01-01"}).status_code == 200


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("admin:inventory_device_changelist", {"retired_on__year": "abc"}),
        ("admin:auth_user_changelist", {"is_staff__exact": "abc"}),  # Django's own list
    ],
)
def test_a_list_page_for_a_filter_it_cannot_apply_is_a_400_after_django_s_redirect(
    admin_client, path, query
):
    """The page that says a list cannot be shown answered 200, as a list does: a monitor and
    a browser's history took it for one. The link's first opening is Django's redirect to
    the list without filters, which is a list (200)."""
    url = reverse(path)
    first = admin_client.get(url, query, follow=True)
    assert first.redirect_chain == [(f"{url}?e=1", 302)] and first.status_code == 200
    kept = admin_client.get(url, {**query, "e": "1"})
    assert kept.status_code == 400
    assert "<h1>A filter it cannot apply</h1>" in kept.content.decode()
