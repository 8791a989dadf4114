"""A warning kind muted on one machine (insights.mute): the Atom NAS always below its peers is
no longer told at every weekly run, while its failing disk would be."""

import pytest
from django.contrib.admin.models import LogEntry

from benchsite.tests.markers import postgresql_only
from insights.models import AttentionItem, Notification
from insights.mute import attention_mute_change
from inventory.models import Device

from .machines import disk

pytestmark = pytest.mark.django_db

CPU = "Intel(R) Atom(TM) CPU C3538 @ 2.10GHz"


def _open_kinds(device) -> set[str]:
    items = AttentionItem.objects.filter(device=device, closed_at__isnull=True)
    return set(items.values_list("kind", flat=True))


def test_a_muted_kind_opens_nothing_while_others_open_and_the_machine_stays_a_peer(
    run, api, settings, django_user_model
):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/a"]
    for host in ("fast-1", "fast-2"):
        run(host, hours_ago=6, cpu=100.0, cpu_model=CPU)
    run("nas", hours_ago=5, cpu=60.0, cpu_model=CPU)
    nas = Device.objects.get(hostname="nas")
    item = AttentionItem.objects.get(device=nas, kind="below_peers", closed_at__isnull=True)
    alice = django_user_model.objects.create_user("alice")

    # muting closes its open item as acknowledging it does, and tells the same
    changed = attention_mute_change(device_ids=[nas.pk], mute=["below_peers"], actor=alice)
    assert changed.closed == 1
    item.refresh_from_db()
    assert (item.closed_at is not None, item.closed_by) == (True, "alice")
    (told,) = Notification.objects.filter(item=item, title__endswith="resolved")
    assert told.title == "nas: below_peers resolved"
    assert "Acknowledged by alice" in told.body
    history = LogEntry.objects.get(object_id=str(nas.pk), user=alice)
    assert history.change_message == "Muted attention items: below its peers."
    nas.refresh_from_db()
    assert nas.attention_muted["below_peers"]["by"] == "alice"

    # its next run, below its peers again and its disk hot: only the disk opens an item, and
    # a peer's run, which judges the others again, opens none either
    run("nas", hours_ago=4, cpu=60.0, cpu_model=CPU, disks=[disk(temperature_c=61)])
    run("fast-3", hours_ago=3, cpu=100.0, cpu_model=CPU)
    assert _open_kinds(nas) == {"disk_hot"}
    # still one of the others' peers, and its insights still tell its deviation
    run("slow", hours_ago=2, cpu=20.0, cpu_model=CPU)
    slow = AttentionItem.objects.get(device__hostname="slow", kind="below_peers")
    assert "below 4 other machines with the same CPU" in slow.message
    (peers,) = api.get(f"/api/devices/{nas.pk}/insights").json()["peers"]
    assert peers["deviation_pct"]["global"] < -15

    # unmuted: judged at once on its latest run (test_unmute), and its next run the same
    attention_mute_change(device_ids=[nas.pk], unmute=["below_peers"], actor=alice)
    assert _open_kinds(nas) == {"disk_hot", "below_peers"}
    run("nas", hours_ago=0, cpu=60.0, cpu_model=CPU, disks=[disk(temperature_c=61)])
    assert _open_kinds(nas) == {"disk_hot", "below_peers"}


def test_the_api_mutes_the_warnings_of_a_device_and_refuses_a_critical_or_unknown_kind(run, api):
    body = run("nas", disks=[disk(temperature_c=61)])
    url = f"/api/devices/{body['device_id']}"
    assert api.get(url).json()["attention_muted"] == []

    response = api.patch(url, {"attention_muted": ["disk_hot", "below_peers"]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["attention_muted"] == ["below_peers", "disk_hot"]
    item = AttentionItem.objects.get()
    assert (item.kind, item.closed_by) == ("disk_hot", "API_TOKEN")
    # a critical kind, an unknown one, or not a list: a 400 naming the field, nothing written
    for muted in (["smart_failing"], ["nope"], "disk_hot", [3]):
        refused = api.patch(url, {"attention_muted": muted, "location": "attic"}, format="json")
        assert refused.status_code == 400, refused.content
        assert list(refused.json()) == ["attention_muted"]
    # an unknown device is a 404 whatever the list says, as without it
    for muted in (["disk_hot"], "disk_hot"):
        unknown = api.patch("/api/devices/999999", {"attention_muted": muted}, format="json")
        assert unknown.status_code == 404, unknown.content
    # the whole list: a kind left out is unmuted; a PATCH without it leaves it as it is
    assert api.patch(url, {"attention_muted": ["below_peers"]}, format="json").status_code == 200
    assert api.patch(url, {"location": "attic"}, format="json").json()["attention_muted"] == [
        "below_peers"
    ]
    assert Device.objects.get().location == "attic"


def test_the_admin_mutes_a_kind_from_its_items_and_the_device_page_unmutes_it(run):
    """Muting is a change of the items (it closes them) and of the machine (kept on it):
    an account that may acknowledge items but not change machines is not offered it."""
    from django.utils import timezone

    from benchsite.tests.accounts import staff_client

    for host in ("fast-1", "fast-2"):
        run(host, hours_ago=2, cpu=100.0, cpu_model=CPU)
    run("nas", hours_ago=1, cpu=60.0, cpu_model=CPU, disks=[disk(smart_health="FAILED")])
    nas = Device.objects.get(hostname="nas")
    selected = list(AttentionItem.objects.filter(device=nas).values_list("pk", flat=True))
    assert _open_kinds(nas) == {"below_peers", "smart_failing"}
    items = "/admin/insights/attentionitem/"
    mute = {"action": "mute_kind", "_selected_action": selected}
    view = ("insights.view_attentionitem", "inventory.view_device")
    handler = staff_client(*view, "insights.change_attentionitem")
    assert 'value="mute_kind"' not in handler.get(items).content.decode()
    handler.post(items, mute)
    nas.refresh_from_db()
    assert nas.attention_muted == {}

    admin = staff_client(*view, "insights.change_attentionitem", "inventory.change_device")
    said = [str(m) for m in admin.post(items, mute, follow=True).context["messages"]]

    assert "Muted below its peers on 1 machine(s)" in said[0]
    assert said[1] == "Not muted: SMART failing (critical: a failing disk is always told)."
    assert _open_kinds(nas) == {"smart_failing"}  # a dying disk is always told
    page = f"/admin/inventory/device/{nas.pk}/change/"
    unmute = f"/admin/inventory/device/{nas.pk}/attention/unmute/below_peers/"
    shown = admin.get(page).content.decode()
    nas.refresh_from_db()
    by, day = nas.attention_muted["below_peers"]["by"], timezone.localdate().isoformat()
    assert by.startswith("staff")
    assert f"Muted: below its peers — by {by} on {day}" in shown
    assert f'action="{unmute}"' in shown
    assert handler.post(unmute).status_code == 403  # no change of machines

    assert admin.post(unmute).status_code == 302
    nas.refresh_from_db()
    assert nas.attention_muted == {}
    assert 'id="attention-muted"' not in admin.get(page).content.decode()


@postgresql_only("a muting waiting on another transaction's row lock")
@pytest.mark.django_db(transaction=True)
def test_muting_kinds_of_several_machines_locks_them_in_order_not_kind_by_kind():
    """The admin's action muted one kind's machines, then the next kind's, each locked as it
    came: with below_peers selected on the newer machine and disk_hot on the older one, it
    held the newer while it waited for the older, which a submission or another muting
    holds first and then wants the newer (a deadlock, one of the two a 500)."""
    import threading

    from django.db import DatabaseError, connection, transaction

    from benchsite.tests.accounts import staff_client
    from insights.tests.test_notify import _until_waiting_on_a_lock
    from inventory.tests.factories import DeviceFactory

    older, newer = DeviceFactory(hostname="older"), DeviceFactory(hostname="newer")
    selected = [
        AttentionItem.objects.create(device=device, kind=kind, severity="warning", message=kind).pk
        for device, kind in ((newer, "below_peers"), (older, "disk_hot"))
    ]
    admin = staff_client(
        "insights.view_attentionitem",
        "insights.change_attentionitem",
        "inventory.view_device",
        "inventory.change_device",
    )
    answered = []

    def mute() -> None:
        try:
            action = {"action": "mute_kind", "_selected_action": selected}
            answered.append(admin.post("/admin/insights/attentionitem/", action).status_code)
        finally:
            connection.close()

    muting = threading.Thread(target=mute)
    with transaction.atomic():  # a submission's judgment of both, in the order of their ids
        Device.objects.select_for_update().filter(pk=older.pk).get()
        muting.start()
        _until_waiting_on_a_lock()
        try:
            Device.objects.select_for_update(nowait=True).filter(pk=newer.pk).get()
        except DatabaseError:
            held = True  # the muting holds it while waiting for ours: a deadlock to come
        else:
            held = False
    muting.join(timeout=30)
    assert not held
    assert answered == [302]
    assert _open_kinds(older) == _open_kinds(newer) == set()
