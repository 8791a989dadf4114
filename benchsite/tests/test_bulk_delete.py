"""*Delete selected* on "Select all N" of a list, past 1,000 objects (benchsite.bulk_delete):
Django's page posted an id a field and its "Yes, I'm sure" was a 400 "Bad Request"; it listed
every related object, 45,000 lines for 1,200 retired machines.

Django's limit of posted fields (DATA_UPLOAD_MAX_NUMBER_FIELDS, 1,000) is lowered to 200 here (a
page of 100 runs still posts its boxes): 250 machines are past it as 1,200 are past Django's, the
same refusal in a fifth of the time."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.test import Client

from benchmarks.models import Benchmark
from benchmarks.services import device_ranking_refresh
from benchsite.tests.test_breadcrumbs import crumbs
from insights.models import AttentionItem
from inventory.models import Device, HardwareSnapshot

pytestmark = pytest.mark.django_db

DEVICES = "/admin/inventory/device/"
RUNS = "/admin/benchmarks/benchmark/"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CPUS = ("Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz", "AMD Ryzen 5 5600X 6-Core Processor")


@pytest.fixture(autouse=True)
def field_limit(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 200


@pytest.fixture
def admin():
    client = Client()
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    return client


def fleet(devices: int, runs_each: int = 1, retired: int = 0) -> None:
    """`devices` machines (the first `retired` retired), each with a snapshot and `runs_each`
    weekly runs, written in bulk. A machine in four fell quiet 20 weeks ago, its newest run 30 %
    below the others (a regression); the others' newest was a week ago."""
    Device.objects.bulk_create(
        Device(
            hostname=f"host-{d:05d}",
            machine_id=f"{d:032x}",
            retired_on=date(2025, 1, 1) if d <= retired else None,
        )
        for d in range(1, devices + 1)
    )
    ids = list(Device.objects.order_by("pk").values_list("pk", flat=True))
    HardwareSnapshot.objects.bulk_create(
        HardwareSnapshot(device_id=pk, captured_at=NOW, cpu_model=CPUS[pk % 2]) for pk in ids
    )
    snapshots = dict(HardwareSnapshot.objects.values_list("device_id", "pk"))

    def run(n: int, pk: int, weeks_ago: int, newest: bool) -> Benchmark:
        score = (70.0 if n % 4 == 0 else 100.0 - n % 13) if newest else 100.0
        when = NOW - timedelta(weeks=weeks_ago)
        return Benchmark(
            device_id=pk,
            snapshot_id=snapshots[pk],
            run_at=when,
            received_at=when,  # rescore dates a run by it (no conditions.started_at)
            cpu_score=score,
            memory_score=score,
            global_score=score,
            results={},
            weights={},
        )

    Benchmark.objects.bulk_create(
        (
            run(n, pk, (20 if n % 4 == 0 else 1) + runs_each - 1 - week, week == runs_each - 1)
            for n, pk in enumerate(ids, start=1)
            for week in range(runs_each)
        ),
        batch_size=2000,
    )
    device_ranking_refresh()


def hidden_form(response) -> dict:
    """The fields "Yes, I'm sure" posts, as the browser sends them."""
    forms = re.findall(r'<form method="post"[^>]*>(.*?)</form>', response.content.decode(), re.S)
    (form,) = [form for form in forms if 'name="post"' in form]
    posted: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        posted.setdefault(name, []).append(html.unescape(value))
    return posted


def select_all(client, url: str, shown_ids) -> object:
    """The list's POST of "Select all N" with Delete selected: its page's boxes ticked."""
    return client.post(
        url,
        {
            "action": "delete_selected",
            "select_across": "1",
            "index": "0",
            "_selected_action": [str(pk) for pk in shown_ids],
        },
    )


def test_all_250_retired_machines_are_deleted_from_the_filtered_list(admin):
    fleet(300, retired=250)
    retired = Device.objects.filter(retired_on__isnull=False)
    url = f"{DEVICES}?retired=yes"

    page = select_all(admin, url, retired.values_list("pk", flat=True)[:50])

    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert "Devices: 250" in text and "Benchmarks: 250" in text  # Django's summary, counted
    assert "Hardware snapshots: 250" in text
    listed = re.search(r'<ul id="deleted-objects">(.*?)</form>', text, re.S).group(1)
    assert listed.count("<li>") < 200  # not 750 lines
    assert "… and 200 more devices and what goes with them" in text
    assert "relationship" not in text
    posted = hidden_form(page)
    assert len(posted["_selected_action"]) == 50 and posted["select_across"] == ["1"]

    response = admin.post(url, posted)  # "Yes, I'm sure", to the filtered list

    assert response.status_code == 302
    assert Device.objects.count() == 50 and not retired.exists()
    assert Benchmark.objects.count() == 50
    # each device's History keeps its deletion, as Django's action writes it
    deleted = LogEntry.objects.filter(action_flag=DELETION, content_type__model="device")
    assert deleted.count() == 250
    assert set(deleted.values_list("object_repr", flat=True)) == {
        f"host-{d:05d}" for d in range(1, 251)
    }


def test_an_account_that_may_not_delete_runs_cannot_delete_their_machines(admin):
    fleet(250)
    user = User.objects.create(username="clerk", is_staff=True)
    for codename in ("view_device", "delete_device", "delete_hardwaresnapshot"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    clerk = Client()
    clerk.force_login(user)
    shown = Device.objects.values_list("pk", flat=True)[:50]

    page = select_all(clerk, DEVICES, shown)

    text = html.unescape(page.content.decode())
    assert "Cannot delete devices" in text and "<li>benchmark</li>" in text
    forced = {"action": "delete_selected", "select_across": "1", "post": "yes"}
    response = clerk.post(DEVICES, {**forced, "_selected_action": [str(pk) for pk in shown]})
    assert response.status_code == 403  # as Django refuses it
    assert Device.objects.count() == 250 and Benchmark.objects.count() == 250


def _items() -> set:
    return set(
        AttentionItem.objects.values_list(
            "device__hostname", "kind", "category", "severity", "message", "closed_at"
        )
    )


def test_1620_old_runs_deleted_leave_the_attention_items_as_rescore_judges_them(
    admin, django_capture_on_commit_callbacks
):
    fleet(50, runs_each=40)  # 2,000 runs
    call_command("rescore", stdout=open("/dev/null", "w"))  # noqa: SIM115
    before = _items()
    assert before  # regressions and machines below their peers
    cutoff = NOW - timedelta(weeks=10, days=3)  # the quiet machines' runs, the others' oldest
    url = f"{RUNS}?{urlencode({'run_at__lt': str(cutoff)})}"  # as the date filter writes it
    old = Benchmark.objects.filter(run_at__lt=cutoff)
    assert old.count() == 12 * 40 + 38 * 30

    page = select_all(admin, url, old.values_list("pk", flat=True)[:100])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, hidden_form(page))

    assert response.status_code == 302
    assert Benchmark.objects.count() == 38 * 10
    after = _items()
    assert after != before  # the baselines moved
    call_command("rescore", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _items() == after


# the page: the session, the user, the list's count and selection, the collector's reads (its
# select_related names each run's device). The deletion: those again, then the collector's
# deletes and the ranking's refresh; past 999 runs SQLite's parameter limit splits the
# collector's reads and deletes in batches (Django's own), hence 24 (PostgreSQL: 18).
@pytest.mark.parametrize(("runs", "deletion"), [(10, 18), (1000, 24)])
def test_the_page_and_the_deletion_of_runs_cost_no_query_more_per_run(
    admin, runs, deletion, django_assert_max_num_queries, warm_content_types
):
    fleet(runs)  # a run each
    shown = Benchmark.objects.values_list("pk", flat=True)[:100]
    with django_assert_max_num_queries(6):
        page = select_all(admin, RUNS, shown)
    with django_assert_max_num_queries(deletion):
        response = admin.post(RUNS, hidden_form(page))
    assert response.status_code == 302 and not Benchmark.objects.exists()


def test_a_selection_that_changed_since_its_page_was_shown_is_not_deleted(admin):
    # "Select all" is selected again at confirmation (the list's filters, not ids): a machine
    # retired meanwhile would have gone without being on the page the person confirmed
    fleet(30, retired=20)
    url = f"{DEVICES}?retired=yes"
    page = select_all(admin, url, Device.objects.filter(retired_on__isnull=False).values("pk"))
    posted = hidden_form(page)
    assert posted["selected_count"] == ["20"]
    Device.objects.filter(hostname="host-00025").update(retired_on=date(2026, 1, 1))

    again = admin.post(url, posted)

    assert again.status_code == 200
    assert "The selection changed since its page was shown: 20 devices then, 21 now" in (
        html.unescape(again.content.decode())
    )
    assert Device.objects.count() == 30  # nothing deleted
    confirmed = admin.post(url, hidden_form(again))  # the page shown again, confirmed
    assert confirmed.status_code == 302
    assert Device.objects.count() == 9


def test_a_selection_down_to_one_says_each_count_with_its_own_word(admin):
    fleet(30, retired=20)
    url = f"{DEVICES}?retired=yes"
    page = select_all(admin, url, Device.objects.filter(retired_on__isnull=False).values("pk"))
    Device.objects.filter(retired_on__isnull=False).exclude(hostname="host-00020").delete()

    again = admin.post(url, hidden_form(page))

    # it read "20 device then, 1 now"
    said = html.unescape(again.content.decode())
    assert "The selection changed since its page was shown: 20 devices then, 1 now." in said
    assert Device.objects.count() == 11


@pytest.mark.parametrize("across", [True, False])
def test_a_selection_deleted_meanwhile_leads_back_to_the_list_saying_so(admin, across):
    """Another person deleted them first: the page asked "Are you sure you want to delete the
    selected devices?" over an empty list, and its "Yes, I'm sure" did nothing, silently."""
    fleet(30, retired=20)
    url = f"{DEVICES}?retired=yes"
    retired = list(Device.objects.filter(retired_on__isnull=False).values_list("pk", flat=True))
    if across:
        page = select_all(admin, url, retired)
    else:
        chosen = {"action": "delete_selected", "index": "0", "_selected_action": retired[:3]}
        page = admin.post(url, chosen)
    Device.objects.filter(pk__in=retired).delete()

    response = admin.post(url, hidden_form(page), follow=True)

    assert response.redirect_chain == [(url, 302)]
    said = [str(message) for message in response.context["messages"]]
    assert said == ["None of the selected devices is left (deleted meanwhile): nothing to delete."]
    assert Device.objects.count() == 10


def test_no_take_me_back_returns_to_the_list_as_it_was_searched_filtered_sorted_and_paged(
    admin,
):
    """A link to the list, not the browser's Back (Django's cancel.js): from the page shown
    again after the selection changed, Back landed on a POST's page, Chromium's "Confirm Form
    Resubmission". The list's query string is the selection "Yes, I'm sure" deletes."""
    fleet(400, retired=300)
    url = f"{DEVICES}?{urlencode({'q': 'host-001', 'retired': 'yes', 'o': '-1', 'p': '2'})}"
    meant = Device.objects.filter(hostname__contains="host-001", retired_on__isnull=False)
    assert meant.count() == 100  # host-00100 … host-00199, two pages of 50
    page = select_all(admin, url, meant.values_list("pk", flat=True)[50:])

    back = re.search(r'<a href="([^"]*)"[^>]*id="take-me-back"', page.content.decode())
    assert back and html.unescape(back.group(1)) == url
    assert crumbs(page.content.decode())["Devices"] == url  # the breadcrumbs' way back too
    assert admin.get(url).status_code == 200
    response = admin.post(url, hidden_form(page))

    assert response.status_code == 302
    assert not meant.exists() and Device.objects.count() == 300
