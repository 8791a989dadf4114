"""The attention items in the admin: open ones first, each acknowledged from its own page."""

import re

import pytest
from django.utils import timezone

from insights.models import AttentionItem, Notification

from .machines import disk

pytestmark = pytest.mark.django_db

LIST = "/admin/insights/attentionitem/"


@pytest.fixture
def failing(run):
    run("nas", hours_ago=2, disks=[disk(smart_health="FAILED")])
    return AttentionItem.objects.get()


def test_an_items_page_acknowledges_it_and_edits_nothing(admin_client, failing):
    page = admin_client.get(f"{LIST}{failing.pk}/change/").content.decode()
    assert "nas: SMART failing" in page  # the kind as people read it, not smart_failing
    assert 'name="_acknowledge"' in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert f'href="/admin/inventory/device/{failing.device_id}/change/"' in page

    response = admin_client.post(f"{LIST}{failing.pk}/change/", {"_acknowledge": "1"})

    assert response.status_code == 302 and response["Location"] == LIST
    failing.refresh_from_db()
    assert failing.closed_at is not None and failing.closed_by == "admin"
    closed = admin_client.get(f"{LIST}{failing.pk}/change/").content.decode()
    assert 'name="_acknowledge"' not in closed  # nothing more to acknowledge


def test_the_list_shows_open_items_unless_asked_and_links_each_device(admin_client, failing, run):
    run("nas", hours_ago=1, disks=[disk(smart_health="PASSED")])  # resolved: closed
    run("desk", hours_ago=1, disks=[disk(smart_health="FAILED")])
    open_item = AttentionItem.objects.get(closed_at__isnull=True)

    shown = admin_client.get(LIST).content.decode()
    assert f"{LIST}{open_item.pk}/change/" in shown
    assert f"{LIST}{failing.pk}/change/" not in shown  # closed: not shown by default
    assert f'href="/admin/inventory/device/{open_item.device_id}/change/"' in shown
    every = admin_client.get(LIST, {"state": "all"}).content.decode()
    assert f"{LIST}{failing.pk}/change/" in every and f"{LIST}{open_item.pk}/change/" in every
    # severity as the dashboard shows it; how each closed, in one column
    assert '<span class="bt-badge bt-critical">critical</span>' in every
    failing.refresh_from_db()
    closed = f"{timezone.localtime(failing.closed_at):%Y-%m-%d %H:%M}, resolved"
    assert f'<td class="field-closed">{closed}</td>' in every


def test_the_list_puts_critical_items_first_as_the_dashboard_does(admin_client, run):
    """Sorted by opening time only, a failing disk sat below the week's newer warnings."""
    run("nas", hours_ago=3, disks=[disk(smart_health="FAILED")])  # critical, the oldest
    run("desk", hours_ago=1, disks=[disk(smart_health="PASSED", temperature_c=65)])  # warning
    items = admin_client.get(LIST).context["cl"].result_list
    assert [(i.device.hostname, i.severity) for i in items] == [
        ("nas", "critical"),
        ("desk", "warning"),
    ]
    dashboard = admin_client.get("/admin/").content.decode()
    assert '<a class="bt-h2-note" href="/admin/insights/attentionitem/?state=open">2 open</a>' in (
        dashboard
    )


def test_the_device_page_marks_a_degrading_disk_and_one_no_longer_there(admin_client, run):
    """A degrading disk's row read PASSED in green with nothing beside it; a disk replaced
    kept its SMART history block with no word that it had left the machine."""
    old = {"name": "/dev/sdb", "serial": "WD-OLD", "model": "WD40EFRX"}
    run(
        hours_ago=4,
        disks=[
            disk(reallocated_sectors=0, smart_health="PASSED"),
            {**old, "smart_health": "PASSED"},
        ],
    )
    run(
        hours_ago=3,
        disks=[
            disk(reallocated_sectors=8, smart_health="PASSED"),
            {**old, "smart_health": "PASSED"},
        ],
    )
    body = run(hours_ago=1, disks=[disk(reallocated_sectors=8, smart_health="PASSED")])  # no WD-OLD

    html = admin_client.get(f"/admin/inventory/device/{body['device_id']}/change/")
    html = html.content.decode()
    row = html.split('id="disks"', 1)[1].split("</tr>", 2)[1]  # the first disk's row
    assert "WD-WCC7K1234567" in row and ">PASSED</span>" in row
    assert '<a class="bt-badge bt-bad" href="#attention-items"' in row and "SMART degrading" in row
    smart = html.split("SMART history", 1)[1]
    gone = smart.split("<code>WD-OLD</code>", 1)[1].split("</caption>", 1)[0]
    assert "no longer in the machine (last read" in gone
    kept = smart.split("<code>WD-WCC7K1234567</code>", 1)[1].split("</caption>", 1)[0]
    assert "no longer in the machine" not in kept


def test_the_device_list_marks_and_filters_the_machines_that_need_attention(
    admin_client, run, django_assert_max_num_queries
):
    """A machine with a FAILED disk looked like every other row of the device list."""
    run("nas", disks=[disk(smart_health="FAILED", temperature_c=65)])  # critical and warning
    run("desk", disks=[disk(smart_health="PASSED", temperature_c=65)])  # warning
    run("quiet", disks=[disk(smart_health="PASSED")])

    with django_assert_max_num_queries(12):  # one subquery a row, not a query
        page = admin_client.get("/admin/inventory/device/").content.decode()
    rows = {
        host: page.split(f">{host} ", 1)[1].split("</th>", 1)[0] if f">{host} " in page else ""
        for host in ("nas", "desk", "quiet")
    }
    assert '<span class="bt-badge bt-critical"' in rows["nas"]
    assert '<span class="bt-badge bt-warning"' in rows["desk"]
    assert rows["quiet"] == ""  # no mark
    # the mark's colour is said in words to whoever does not see it
    assert '<span class="visually-hidden">needs attention: critical</span>' in rows["nas"]
    assert '<span class="visually-hidden">needs attention: warning</span>' in rows["desk"]
    for value, hosts in (("critical", ["nas"]), ("any", ["desk", "nas"]), ("none", ["quiet"])):
        listed = admin_client.get("/admin/inventory/device/", {"attention": value})
        assert sorted(d.hostname for d in listed.context["cl"].result_list) == hosts, value


def test_the_device_lists_mark_of_a_critical_item_is_not_a_warnings_in_another_colour(
    admin_client, run
):
    """Both marks were a "!", red for a critical item, amber for a warning: without the
    colours they read alike."""
    run("nas", disks=[disk(smart_health="FAILED")])  # critical
    run("desk", disks=[disk(smart_health="PASSED", temperature_c=65)])  # warning

    page = admin_client.get("/admin/inventory/device/").content.decode()

    marks = {
        host: re.search(r'<span aria-hidden="true">([^<]+)</span>', page.split(f">{host} ", 1)[1])[
            1
        ]
        for host in ("nas", "desk")
    }
    assert marks == {"nas": "!!", "desk": "!"}


def test_each_acknowledge_button_of_the_device_page_names_its_item(admin_client, run):
    """Four buttons all read "Acknowledge" to a screen reader: which item each closes was
    seen only by looking."""
    body = run("nas", disks=[disk(smart_health="FAILED", temperature_c=65)])
    page = admin_client.get(f"/admin/inventory/device/{body['device_id']}/change/").content
    items = page.decode().split('id="attention-items"', 1)[1].split("</ul>", 1)[0]
    buttons = re.findall(r'<button[^>]*aria-describedby="([^"]+)"[^>]*>Acknowledge<', items)
    assert len(buttons) == 2 == items.count("<li")  # smart_failing and disk_hot
    for described_by in buttons:
        message = items.split(f'id="{described_by}">', 1)[1].split("</span>", 1)[0]
        assert "/dev/sda" in message


def test_the_device_page_says_which_score_is_off_from_its_peers(admin_client, run):
    model = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    run("desk-1", cpu=100.0, cpu_model=model)
    run("desk-2", cpu=104.0, cpu_model=model)
    body = run("desk-3", cpu=51.0, cpu_model=model)

    page = admin_client.get(f"/admin/inventory/device/{body['device_id']}/change/")
    sentences = re.findall(r'<p class="bt-insight">(.*?)</p>', page.content.decode())

    assert sentences == [
        f"Its global score is 50 % below 2 other machines with the same CPU ({model}: median 102).",
        "Its CPU score is 50 % below theirs (102).",
    ]


def test_the_device_page_names_each_category_an_item_is_open_for(admin_client, run, settings):
    """REGRESSION_PCT 3, a CPU 3.04 % below its baseline: items opened for the CPU and the
    global score, "3.04 % below"; the page judged the insights' deviations, rounded to 3.0,
    and left the CPU out."""
    settings.REGRESSION_PCT = 3.0
    for hours in (4, 3, 2):
        run("edge", hours_ago=hours, cpu=100.0)
    body = run("edge", hours_ago=1, cpu=96.96)
    assert AttentionItem.objects.filter(kind="score_regression").count() == 2

    page = admin_client.get(f"/admin/inventory/device/{body['device_id']}/change/")
    sentences = re.findall(r'<p class="bt-insight">(.*?)</p>', page.content.decode())

    assert sentences == [
        "Its global score is 3.04 % below its own baseline (the median of its 3 previous valid "
        "runs: 100).",
        "Its CPU score is 3.04 % below its own baseline (100).",
    ]


def test_a_direction_override_in_a_cpu_model_does_not_turn_the_device_page_around(
    admin_client, run
):
    """A CPU model ending in U+202E (a submit token is held by every machine) turned the rest
    of the peers' sentence around, the median backwards; a zero-width space made two models
    read alike."""
    model = "AMD EPYC\u200b 7302\u202e"
    run("desk-1", cpu=100.0, cpu_model=model)
    run("desk-2", cpu=104.0, cpu_model=model)
    run("desk-3", hours_ago=1, cpu=51.0, cpu_model="AMD EPYC 7302P\u202e")
    body = run("desk-3", cpu=51.0, cpu_model=model)  # its CPU replaced by its twins'

    page = admin_client.get(f"/admin/inventory/device/{body['device_id']}/change/").content
    page = page.decode()
    sentences = re.findall(r'<p class="bt-insight">(.*?)</p>', page)
    assert "other machines with the same CPU (AMD EPYC 7302: median 102)." in sentences[0]
    # the hardware change, in the story and in the chart's tooltip
    changes = re.findall(r"CPU AMD EPYC 7302P[^;<]*", page)
    assert changes and set(changes) == {"CPU AMD EPYC 7302P→AMD EPYC 7302"}


def test_the_notifications_list_says_what_was_sent_and_sends_a_given_up_one_again(admin_client):
    made = {"body": "b", "type": "failure", "target": "0" * 64}
    sent = Notification.objects.create(
        title="nas: smart_failing",
        target_label="ntfy://ntfy.lan/o...s",
        **made,
        attempts=1,
        sent_at=timezone.now(),
    )
    given_up = Notification.objects.create(
        title="ws-2: disk_hot",
        target_label="json://127.0.0.1:9/hook",
        **made,
        attempts=9,
        failed_at=timezone.now(),
        last_error="not taken (refused, timed out, or an error answered)",
    )
    page = admin_client.get("/admin/insights/notification/").content.decode()
    states = re.findall(r'<td class="field-state">([^<]*)</td>', page)
    done = f"{timezone.localtime(given_up.failed_at):%H:%M:%S}"
    assert sorted(states) == [
        f"given up {done} (9 attempts)",
        f"sent {timezone.localtime(sent.sent_at):%H:%M:%S}",
    ]
    assert (
        "ntfy://ntfy.lan/o...s" in page
        and "not taken (refused, timed out, or an error answered)" in page
    )
    waiting = admin_client.get("/admin/insights/notification/?state=given_up").content.decode()
    assert "ws-2: disk_hot" in waiting and "nas: smart_failing" not in waiting
    detail = admin_client.get(f"/admin/insights/notification/{given_up.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content

    response = admin_client.post(
        "/admin/insights/notification/",
        {"action": "send_again", "_selected_action": [sent.pk, given_up.pk]},
    )

    assert response.status_code == 302
    given_up.refresh_from_db()
    assert given_up.failed_at is None and given_up.next_attempt_at is not None
    assert given_up.state == "retrying"
    sent.refresh_from_db()
    assert sent.next_attempt_at is None  # sent already: not sent twice


def test_the_notifications_list_says_when_notifications_are_off(admin_client, settings):
    settings.NOTIFY_URLS = []
    page = admin_client.get("/admin/insights/notification/").content.decode()
    assert "Notifications are off: NOTIFY_URLS is not set." in page

    settings.NOTIFY_URLS = ["json://127.0.0.1:9/hook"]
    page = admin_client.get("/admin/insights/notification/").content.decode()
    assert "Notifications are off" not in page


def test_a_view_only_account_sees_items_and_acknowledges_none(client, failing, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=("view_device", "view_attentionitem"))
    )
    client.force_login(viewer)
    device_page = f"/admin/inventory/device/{failing.device_id}/change/"

    html = client.get(device_page).content.decode()
    assert failing.message in html and "Acknowledge" not in html
    response = client.post(
        f"/admin/inventory/device/{failing.device_id}/attention/{failing.pk}/acknowledge/"
    )
    assert response.status_code == 403
    listing = client.get(LIST).content.decode()
    assert failing.message in listing and 'value="acknowledge"' not in listing
    response = client.post(LIST, {"action": "acknowledge", "_selected_action": [failing.pk]})
    assert AttentionItem.objects.get().closed_at is None

    viewer.user_permissions.add(Permission.objects.get(codename="change_attentionitem"))
    viewer = django_user_model.objects.get(pk=viewer.pk)  # permissions are cached per object
    client.force_login(viewer)
    assert "Acknowledge" in client.get(device_page).content.decode()
    client.post(f"/admin/inventory/device/{failing.device_id}/attention/{failing.pk}/acknowledge/")
    assert AttentionItem.objects.get().closed_by == "viewer"


def test_the_attention_and_notification_lists_name_the_zone_of_the_repeated_hour(
    admin_client, settings
):
    """Autumn's DST change in Paris: the lists showed "02:30" for 00:30 and 01:30 UTC alike,
    where every other admin page says "02:30 CEST" and "02:30 CET"."""
    from datetime import UTC, datetime

    from inventory.models import Device

    settings.TIME_ZONE = "Europe/Paris"
    device = Device.objects.create(hostname="nas")
    item = AttentionItem.objects.create(
        device=device, kind="disk_hot", severity="warning", disk="sda", message="hot"
    )
    notification = Notification.objects.create(
        item=item, title="opened", body="", type="warning", next_attempt_at=timezone.now()
    )
    AttentionItem.objects.filter(pk=item.pk).update(
        opened_at=datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
        closed_at=datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
    )
    Notification.objects.filter(pk=notification.pk).update(
        created_at=datetime(2025, 10, 26, 1, 30, tzinfo=UTC)
    )

    items = admin_client.get("/admin/insights/attentionitem/?state=all").content.decode()
    assert "2025-10-26 02:30 CEST" in items and "2025-10-26 02:30 CET, resolved" in items
    sent = admin_client.get("/admin/insights/notification/").content.decode()
    assert "2025-10-26 02:30 CET" in sent


def test_a_below_peers_item_says_when_its_figures_were_taken(admin_client, run):
    """Its message keeps the median of when this machine last ran, while the sentence under
    it reads the peers as they are now: two medians on one page, nothing to tell them apart
    (UX audit)."""
    from benchsite.templatetags.humanize_scores import when

    cpu = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
    run("slow", hours_ago=4, cpu=20.0, cpu_model=cpu)
    run("twin-1", hours_ago=3, cpu=100.0, cpu_model=cpu)
    run("twin-2", hours_ago=2, cpu=100.0, cpu_model=cpu)
    item = AttentionItem.objects.get(kind="below_peers", closed_at__isnull=True)
    run("twin-3", hours_ago=1, cpu=60.0, cpu_model=cpu)  # the median moves; the item holds

    item.refresh_from_db()
    page = admin_client.get(f"/admin/inventory/device/{item.device_id}/change/").content.decode()
    panel = page.split('id="attention-items"', 1)[1].split("</ul>", 1)[0]
    assert f"· figures as of {when(item.updated_at)}" in panel
    assert "3 other machines with the same CPU" in page.split("</ul>", 1)[1]  # as of now


def test_the_device_page_says_which_disk_replaced_one_no_longer_there(admin_client, run):
    """A disk swapped for a new one in its bay read "no longer in the machine" above its SMART
    history, as a disk pulled out does: the page did not say it was replaced, nor by which."""
    old = {"name": "/dev/sdb", "serial": "ST-OLD", "model": "ST4000VN008", "smart_health": "OK"}
    run(hours_ago=2, disks=[disk(smart_health="PASSED"), old])
    body = run(hours_ago=1, disks=[disk(smart_health="PASSED"), {**old, "serial": "ST-NEW"}])

    html = admin_client.get(f"/admin/inventory/device/{body['device_id']}/change/")
    smart = html.content.decode().split("SMART history", 1)[1]
    replaced = smart.split("<code>ST-OLD</code>", 1)[1].split("</caption>", 1)[0]
    assert "replaced by ST4000VN008 ST-NEW in /dev/sdb (last read" in replaced
    assert "no longer in the machine" not in replaced
    new = smart.split("<code>ST-NEW</code>", 1)[1].split("</caption>", 1)[0]
    assert "replaced" not in new
