"""Unmuting a warning kind on one machine (insights.mute) judges its latest run for that kind
at once: the admin who unmutes "below its peers" sees at once whether it still is, where it
waited for the machine's next run, days away for a weekly cron."""

import pytest
from django.utils import timezone

from benchsite.tests.accounts import staff_client
from benchsite.tests.markers import DATABASE_URL, postgresql_only
from insights.models import AttentionItem, Notification
from insights.mute import attention_mute_change
from insights.reevaluation import attention_evaluate_all
from inventory.models import Device

from .machines import disk

pytestmark = pytest.mark.django_db

CPU = "Intel(R) Atom(TM) CPU C3538 @ 2.10GHz"
ADMIN = (
    "insights.view_attentionitem",
    "insights.change_attentionitem",
    "inventory.view_device",
    "inventory.change_device",
)
# the unmute request: the session, its device, the device locked and written, its items, latest
# runs and snapshots read as a rescore reads them and its CPU model's middle figures, whatever
# the fleet's size; on PostgreSQL the model's judgment lock too
UNMUTE_QUERIES = 21 + (1 if DATABASE_URL.startswith(("postgres://", "postgresql://")) else 0)


def _open_kinds(device) -> set[str]:
    items = AttentionItem.objects.filter(device=device, closed_at__isnull=True)
    return set(items.values_list("kind", flat=True))


def _muted_nas(run, *, disks=None) -> Device:
    """The Atom NAS 40 % below its two peers, below_peers and disk_hot muted on it."""
    for host in ("fast-1", "fast-2"):
        run(host, hours_ago=6, cpu=100.0, cpu_model=CPU)
    run("nas", hours_ago=5, cpu=60.0, cpu_model=CPU, disks=disks)
    nas = Device.objects.get(hostname="nas")
    attention_mute_change(device_ids=[nas.pk], mute=["below_peers", "disk_hot"], actor="alice")
    assert _open_kinds(nas) == set()
    return nas


def test_unmuting_opens_at_once_what_still_holds_and_notifies_it(run, settings):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/a"]
    nas = _muted_nas(run, disks=[disk(temperature_c=61)])

    changed = attention_mute_change(device_ids=[nas.pk], unmute=["below_peers"], actor="bob")

    # the muting closed its item as acknowledged since the last run: unmuting opens it anyway
    assert _open_kinds(nas) == {"below_peers"}  # the disk is still hot, disk_hot still muted
    (item,) = changed.opened
    assert "40 % below 2 other machines with the same CPU" in item.message
    (told,) = Notification.objects.filter(item=item)
    assert (told.title, told.type) == ("nas: below_peers", "warning")
    # its next run finds it open, as it would have opened it
    run("nas", hours_ago=0, cpu=60.0, cpu_model=CPU)
    assert AttentionItem.objects.get(device=nas, closed_at__isnull=True).pk == item.pk


def test_unmuting_opens_nothing_for_a_condition_over_since_it_was_muted(run, settings):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/a"]
    nas = _muted_nas(run, disks=[disk(temperature_c=61)])
    run("nas", hours_ago=4, cpu=60.0, cpu_model=CPU, disks=[disk(temperature_c=40)])  # cooled

    changed = attention_mute_change(
        device_ids=[nas.pk], unmute=["below_peers", "disk_hot"], actor="bob"
    )

    assert _open_kinds(nas) == {"below_peers"}
    assert [item.kind for item in changed.opened] == ["below_peers"]
    assert Device.objects.get(pk=nas.pk).attention_muted == {}
    # muted again, and slower twins bring the median down to it: unmuted, nothing to tell
    attention_mute_change(device_ids=[nas.pk], mute=["below_peers"], actor="alice")
    for host in ("slow-1", "slow-2", "slow-3"):
        run(host, hours_ago=3, cpu=60.0, cpu_model=CPU)
    told = Notification.objects.count()
    changed = attention_mute_change(device_ids=[nas.pk], unmute=["below_peers"], actor="bob")
    assert changed.opened == []
    assert _open_kinds(nas) == set()
    assert Notification.objects.count() == told


def test_the_device_page_says_what_unmuting_opened_in_queries_the_fleet_does_not_grow(
    run, django_assert_max_num_queries
):
    nas = _muted_nas(run, disks=[disk(temperature_c=40)])
    admin = staff_client(*ADMIN)
    page = f"/admin/inventory/device/{nas.pk}/change/"

    def unmute(kind: str) -> list[str]:
        with django_assert_max_num_queries(UNMUTE_QUERIES):
            response = admin.post(f"/admin/inventory/device/{nas.pk}/attention/unmute/{kind}/")
        assert response.status_code == 302
        shown = admin.get(page)
        return [str(message) for message in shown.context["messages"]]

    said = unmute("below_peers")

    (item,) = AttentionItem.objects.filter(device=nas, closed_at__isnull=True)
    assert said == [f"Unmuted below its peers: {item.message}, item opened."]
    assert "40 % below 2 other machines with the same CPU" in item.message
    assert unmute("disk_hot") == [
        "Unmuted disk hot: nothing to tell now (its latest run shows none)."
    ]
    assert _open_kinds(nas) == {"below_peers"}

    # a fleet four times the size: the same request, in no more queries
    for number in range(6):
        run(f"fast-{number + 3}", hours_ago=2, cpu=100.0, cpu_model=CPU)
    attention_mute_change(device_ids=[nas.pk], mute=["below_peers"], actor="alice")
    said = unmute("below_peers")
    (item,) = AttentionItem.objects.filter(device=nas, closed_at__isnull=True)
    assert "40 % below 8 other machines with the same CPU" in said[0]
    assert said[0].endswith(", item opened.")


def test_the_api_answer_to_an_unmuting_already_shows_the_item_it_opened(run, api):
    nas = _muted_nas(run)
    url = f"/api/devices/{nas.pk}"
    # a 400 of another field unmutes nothing, and opens nothing
    body = {"attention_muted": ["disk_hot"], "hostname": ""}
    assert api.patch(url, body, format="json").status_code == 400
    assert _open_kinds(nas) == set()

    response = api.patch(url, {"attention_muted": ["disk_hot"]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["attention_muted"] == ["disk_hot"]
    (item,) = api.get("/api/attention", {"device": nas.pk}).json()["results"]
    assert (item["kind"], item["closed_at"]) == ("below_peers", None)
    # a PUT unmutes as well: its disk is not hot, nothing more opens
    body = {"hostname": "nas", "location": "attic", "attention_muted": []}
    response = api.put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["attention_muted"] == []
    assert _open_kinds(nas) == {"below_peers"}


def test_a_patch_bringing_a_machine_back_judges_what_it_unmutes_on_the_machine_in_service(
    run, api, settings
):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/a"]
    nas = _muted_nas(run, disks=[disk(temperature_c=61)])
    attention_mute_change(device_ids=[nas.pk], unmute=["disk_hot"], actor="bob")
    assert _open_kinds(nas) == {"disk_hot"}
    url = f"/api/devices/{nas.pk}"
    assert api.patch(url, {"retired_on": "2026-12-01"}, format="json").status_code == 200
    assert _open_kinds(nas) == set()  # its retirement closed the hot disk's item

    # back in service and below_peers unmuted at once, disk_hot muted again
    body = {"retired_on": None, "attention_muted": ["disk_hot"]}
    response = api.patch(url, body, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["retired_on"], response.json()["attention_muted"]) == (
        None,
        ["disk_hot"],
    )
    # judged in service: its below_peers opens now, not at its next run; the hot disk's item
    # its return reopened closes again, muted
    assert _open_kinds(nas) == {"below_peers"}
    # retired and unmuted at once: judged retired, nothing opens (nor is told and closed)
    told = Notification.objects.filter(item__kind="disk_hot").count()
    body = {"retired_on": "2026-12-02", "attention_muted": []}
    assert api.patch(url, body, format="json").status_code == 200
    assert _open_kinds(nas) == set()
    assert Notification.objects.filter(item__kind="disk_hot").count() == told


def test_unmuting_several_machines_opens_nothing_on_a_retired_one(run):
    nas = _muted_nas(run)
    run("nas-2", hours_ago=4, cpu=60.0, cpu_model=CPU)
    twin = Device.objects.get(hostname="nas-2")
    attention_mute_change(device_ids=[twin.pk], mute=["below_peers"], actor="alice")
    Device.objects.filter(pk=nas.pk).update(retired_on="2026-12-01")

    changed = attention_mute_change(
        device_ids=[nas.pk, twin.pk], unmute=["below_peers"], actor="bob"
    )

    assert _open_kinds(twin) == {"below_peers"}
    assert _open_kinds(nas) == set()
    assert [item.device_id for item in changed.opened] == [twin.pk]
    # its page says why nothing opened
    admin = staff_client(*ADMIN)
    admin.post(f"/admin/inventory/device/{nas.pk}/attention/unmute/disk_hot/")
    shown = admin.get(f"/admin/inventory/device/{nas.pk}/change/")
    assert [str(message) for message in shown.context["messages"]] == [
        "Unmuted disk hot: a retired machine opens no item until it runs again."
    ]


@postgresql_only("an unmuting waiting on the judgment of a CPU model's machines")
@pytest.mark.django_db(transaction=True)
def test_unmuting_below_peers_waits_for_its_models_judgment_before_locking_the_machine(run):
    """A submission's judgment of below_peers takes its CPU model's lock, then the machine's
    row: an unmuting that judged below_peers under the row alone read the peers half-written,
    and one that took the row first and then the model's lock would wait on a judgment waiting
    on it (a deadlock)."""
    import threading

    from django.db import DatabaseError, connection, transaction

    from insights.peer_selectors import peer_group_lock
    from insights.tests.test_notify import _until_waiting_on_a_lock
    from inventory.columns import model_key

    nas = _muted_nas(run)
    admin = staff_client(*ADMIN)
    answered = []

    def unmute() -> None:
        try:
            url = f"/admin/inventory/device/{nas.pk}/attention/unmute/below_peers/"
            answered.append(admin.post(url).status_code)
        finally:
            connection.close()

    unmuting = threading.Thread(target=unmute)
    with transaction.atomic():  # a judgment of the model's machines under way
        peer_group_lock(model_key(CPU))
        unmuting.start()
        _until_waiting_on_a_lock()
        try:
            Device.objects.select_for_update(nowait=True).filter(pk=nas.pk).get()
        except DatabaseError:
            held = True  # the unmuting holds the row while it waits for the model
        else:
            held = False
    unmuting.join(timeout=30)
    assert not held
    assert answered == [302]
    assert _open_kinds(nas) == {"below_peers"}


def _unmuted_within_its_peers(run, settings) -> Device:
    """The NAS unmuted while within its peers (PEER_GAP_PCT 50): nothing opens; the muting
    that closed its item came after its newest run."""
    nas = _muted_nas(run)
    settings.PEER_GAP_PCT = 50
    assert attention_mute_change(device_ids=[nas.pk], unmute=["below_peers"], actor="bob") == (
        0,
        [],
    )
    settings.PEER_GAP_PCT = 15
    return nas


def test_after_an_unmuting_a_twins_run_tells_below_peers_as_the_unmuting_would(run, settings):
    """The muting that closed the item, after the machine's newest run, counted as an
    acknowledgement once unmuted: a twin's run left below_peers closed until the machine's own
    next run, where the unmuting itself told it while it held."""
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/a"]
    nas = _unmuted_within_its_peers(run, settings)

    run("fast-3", hours_ago=2, cpu=100.0, cpu_model=CPU)

    (item,) = AttentionItem.objects.filter(device=nas, closed_at__isnull=True)
    assert "40 % below 3 other machines with the same CPU" in item.message
    assert Notification.objects.filter(item=item).count() == 1
    # a person's acknowledgement after the unmuting stays one: the next twin leaves it closed
    api_ack = staff_client(*ADMIN)
    api_ack.post(
        "/admin/insights/attentionitem/",
        {"action": "acknowledge", "_selected_action": [item.pk]},
    )
    assert _open_kinds(nas) == set()
    run("fast-4", hours_ago=1, cpu=100.0, cpu_model=CPU)
    assert _open_kinds(nas) == set()


def test_after_an_unmuting_a_rescore_tells_below_peers_as_the_unmuting_would(run, settings):
    nas = _unmuted_within_its_peers(run, settings)

    evaluated = attention_evaluate_all()

    assert evaluated.opened == 1
    assert _open_kinds(nas) == {"below_peers"}
    # acknowledged after the unmuting: the next rescore leaves it closed, as ever
    AttentionItem.objects.filter(device=nas).update(closed_at=timezone.now(), closed_by="carol")
    assert attention_evaluate_all().opened == 0
