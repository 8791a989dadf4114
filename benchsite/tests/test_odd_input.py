"""Odd input is never a 500, on PostgreSQL above all (it refuses a NUL character in a query,
where SQLite takes it): every admin list and page, every GET of the API, each parameter they
take given a NUL, bytes that are not UTF-8, 10,000 characters, a number out of range, a date
that does not exist, twice. The API answers 400 naming the parameter or leaves out what it
does not use; the admin answers a page. The lists and the API's reads are found, not listed
here: a new one is walked as these are."""

import re
import uuid
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from benchmarks.tests.factories import BenchmarkFactory
from inventory.tests.factories import LinkFactory

pytestmark = pytest.mark.django_db

# raw query-string values, sent as they are written (not encoded again)
ODD = {
    "nul": "%00",
    # a lone surrogate's UTF-8 bytes: not UTF-8, read as U+FFFD like any such bytes (%ff)
    "surrogate": "%ed%a0%80",
    "long": "x" * 10_000,
    "negative": "-1",
    "huge": "99999999999999999999",
    "last-year": "9999",  # a date hierarchy's next year is past Python's dates
    "no-such-date": "2026-02-30",
}


@pytest.fixture
def data(example, submit):
    """A row of every kind the pages list, so that each filter offers its choices: a device
    with two runs whose hardware differs, a link, a document, a token, a backup, a
    notification."""
    from benchsite.models import Backup
    from benchsite.services import api_token_issue
    from documents.services import document_store
    from documents.tests.files import pdf_bytes, upload
    from insights.models import Notification
    from inventory.models import Device

    assert submit(example).status_code == 201
    example["submission_id"] = str(uuid.uuid4())
    example["hardware"]["ram"]["total_mb"] = 65536
    assert submit(example).status_code == 201
    device = Device.objects.get(hostname=example["device_identifier"])
    link = LinkFactory(device=device)
    other = BenchmarkFactory().device
    api_token_issue(name="ci", can_submit=True, can_read=False, can_write=False)
    document = document_store(device=device, upload=upload(pdf_bytes(), "manual.pdf"))
    Backup.objects.create(created_at="2026-01-01T00:00Z", host="nas", path="/b/x.tgz", size=1)
    Notification.objects.create(title="t", body="b", type="warning", target="0" * 64)
    return SimpleNamespace(
        device=device,
        other=other,
        # an API path's {id} by its first segment
        ids={
            "devices": device.pk,
            "benchmarks": device.benchmarks.first().pk,
            "links": link.pk,
            "docs": document.pk,
        },
    )


# what an admin list's filter, search, ordering or page is given: the values that reached the
# database or Python's dates as they were (a NUL: PostgreSQL refuses it; a number past the
# columns' range; a date past the calendar), a list's every parameter tried with each (several
# hundred requests a pass: the others, which Django's own parsing turns away, are tried on the
# admin's other pages and the API's)
LIST_ODD = ("nul", "long", "huge")
DATE_ODD = ("last-year", "no-such-date")


def queries(parameters, values=tuple(ODD), *, twice: bool = True) -> list[tuple[str, str]]:
    """(what, raw query string) for each parameter and odd value, and each given twice."""
    found = []
    for name in parameters:
        found += [(f"{name}={what}", f"{name}={ODD[what]}") for what in values]
        if twice:
            found.append((f"{name} twice", f"{name}=1&{name}=2"))
    return found


def changelists() -> dict:
    """Every list of the admin, by its path: each app's models, Django's own included."""
    return {
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"): m
        for m in admin.site._registry
    }


DATED_LISTS = {
    path: admin.site._registry[model].date_hierarchy
    for path, model in changelists().items()
    if admin.site._registry[model].date_hierarchy
}


@pytest.mark.parametrize("path", DATED_LISTS)
@pytest.mark.parametrize("year", ["9999", "99999999999999999999"])
def test_a_year_past_the_calendar_answers_as_a_year_that_is_no_number(admin_client, path, year):
    """Django's page for a filter it cannot apply (`?e=1`), as `?…__year=abc` has it: a year
    whose next one is past Python's dates raised past Django's check, a 500 on every database."""
    field = DATED_LISTS[path]
    expected = admin_client.get(path, {f"{field}__year": "abc"}, follow=True)
    response = admin_client.get(path, {f"{field}__year": year}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == expected.redirect_chain == [(f"{path}?e=1", 302)]


def said(response) -> str:
    return f"{response.status_code} {response.content[:300]!r}"


@pytest.mark.parametrize("path", changelists())
def test_an_admin_list_answers_a_page_to_odd_filters_and_searches(admin_client, data, path):
    admin_client.raise_request_exception = False  # a 500 is counted, not raised
    first = admin_client.get(path)
    assert first.status_code == 200
    changelist = first.context["cl"]
    parameters = {"q", "o", "p", "all", "_facets"}
    for spec in changelist.filter_specs:
        parameters.update(spec.expected_parameters())
    dates = set()
    if changelist.date_hierarchy:
        dates = {f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    dates |= {name for name in parameters if re.search(r"__(gte|lte|lt|gt)$", name)}
    failures = []
    tried = queries(sorted(parameters | dates), LIST_ODD, twice=False)
    for what, query in tried + queries(sorted(dates), DATE_ODD, twice=False):
        response = admin_client.get(f"{path}?{query}", follow=True)
        if response.status_code != 200 or b"Traceback" in response.content:
            failures.append(f"{what}: {said(response)}")
    assert failures == []


# rows ticked for an action, as a form posts them: no row's key
ODD_SELECTED = ["1\x00", "99999999999999999999", "2026-02-30"]


@pytest.mark.parametrize("path", changelists())
def test_an_admin_lists_actions_change_nothing_of_rows_ticked_that_are_no_rows(
    admin_client, data, path
):
    """Django's "Items must be selected…", nothing changed: each was a 500 of every action."""
    admin_client.raise_request_exception = False
    model = changelists()[path]
    count = model.objects.count()
    form = admin_client.get(path).context["action_form"]
    actions = [name for name, _ in form.fields["action"].choices if name] if form else []
    failures = []
    for action in actions:
        for selected in ODD_SELECTED:
            response = admin_client.post(
                path, {"action": action, "index": "0", "_selected_action": [selected]}, follow=True
            )
            messages = [str(m) for m in response.context["messages"]] if response.context else []
            if response.status_code != 200 or not any("must be selected" in m for m in messages):
                failures.append(f"{action} {selected[:20]!r}: {said(response)}")
    assert failures == []
    assert model.objects.count() == count


# the admin's pages beyond the lists: (URL name, whose page it is, the parameters it reads,
# what it needs besides them: the autocomplete searches the devices for a link's form)
ADMIN_PAGES = [
    ("admin:index", None, ("q",), {}),
    ("admin:login", None, ("next",), {}),
    (
        "admin:autocomplete",
        None,
        ("term", "page", "app_label"),
        {"app_label": "inventory", "model_name": "manufacturerlink", "field_name": "device"},
    ),
    ("admin:inventory_device_compare_devices", None, ("devices",), {}),
    ("admin:inventory_device_hardware_changes", None, ("since", "device", "retired", "page"), {}),
    ("admin:inventory_device_import", None, ("download",), {}),
    ("admin:inventory_device_compare", "device", ("a", "b", "all"), {}),
    ("admin:inventory_device_change", "device", ("all", "_changelist_filters"), {}),
    ("admin:inventory_device_history", "device", ("p",), {}),
    ("admin:inventory_hardwaresnapshot_change", "snapshot", ("all",), {}),
    ("admin:inventory_hardwaresnapshot_raw", "snapshot", ("all",), {}),
]


@pytest.mark.parametrize(
    ("name", "of", "parameters", "needs"), ADMIN_PAGES, ids=[page[0] for page in ADMIN_PAGES]
)
def test_an_admin_page_answers_a_page_to_odd_parameters(
    admin_client, data, name, of, parameters, needs
):
    admin_client.raise_request_exception = False
    device = data.device
    args = {None: (), "device": (device.pk,), "snapshot": (device.latest_snapshot_id,)}[of]
    path = reverse(name, args=args)
    failures = []
    for what, query in queries(parameters):
        given = [f"{key}={value}" for key, value in needs.items() if not query.startswith(key)]
        response = admin_client.get(f"{path}?{'&'.join([*given, query])}", follow=True)
        # the page, or the admin's own for what the parameters name wrongly (a snapshot not
        # the device's: "Not found", with its reason)
        if response.status_code not in (200, 400, 403, 404) or b"Traceback" in response.content:
            failures.append(f"{what}: {said(response)}")
    assert failures == []


def api_reads() -> dict[str, list[str]]:
    """The query parameters of every GET operation of the OpenAPI document, by path."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        path: [p["name"] for p in operations["get"].get("parameters", ()) if p["in"] == "query"]
        for path, operations in schema["paths"].items()
        if "get" in operations
    }


API_READS = api_reads()


@pytest.mark.parametrize("template", API_READS)
def test_an_api_read_answers_400_naming_an_odd_parameter_or_leaves_it_out(
    token_client, data, template
):
    client = token_client("read")
    client.raise_request_exception = False
    first = template.split("/")[2] if template.startswith("/api/") else ""
    path = re.sub(r"\{\w+\}", lambda _: str(data.ids.get(first, 1)), template)
    # what a read needs besides the parameter tried (another one tried in its place)
    needs = {"/api/compare": {"devices": f"{data.device.pk},{data.other.pk}"}}.get(path, {})
    failures = []
    for what, query in queries([*API_READS[template], "unknown"]):
        name = what.split("=")[0].split(" ")[0]
        given = [f"{key}={value}" for key, value in needs.items() if key != name]
        response = client.get(f"{path}?{'&'.join([*given, query])}")
        if response.status_code >= 500:
            failures.append(f"{what}: {said(response)}")
        elif response.status_code == 400 and name not in response.json():
            failures.append(f"{what}: a 400 that does not name it: {said(response)}")
    assert failures == []
