"""A device deleted (the API, the admin's page or its bulk action): the machines left with its
CPU model are judged against the peers they have now, at once, not at their model's next run."""

import pytest

from insights.models import AttentionItem
from inventory.models import Device

from .machines import disk

pytestmark = pytest.mark.django_db

CPU = "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz"
OTHER = "AMD Ryzen 5 5600X 6-Core Processor"


def _open(host: str) -> bool:
    return AttentionItem.objects.filter(
        kind="below_peers", device__hostname=host, closed_at__isnull=True
    ).exists()


def _delete_through_the_api(api, admin_client, hosts):
    for host in hosts:
        pk = Device.objects.get(hostname=host).pk
        assert api.delete(f"/api/devices/{pk}").status_code == 204


def _delete_on_the_admins_page(api, admin_client, hosts):
    for host in hosts:
        pk = Device.objects.get(hostname=host).pk
        response = admin_client.post(f"/admin/inventory/device/{pk}/delete/", {"post": "yes"})
        assert response.status_code == 302


def _delete_with_the_admins_action(api, admin_client, hosts):
    pks = [Device.objects.get(hostname=host).pk for host in hosts]
    response = admin_client.post(
        "/admin/inventory/device/",
        {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
    )
    assert response.status_code == 302


DELETIONS = pytest.mark.parametrize(
    "delete",
    [_delete_through_the_api, _delete_on_the_admins_page, _delete_with_the_admins_action],
    ids=["api", "admin page", "admin bulk action"],
)


@DELETIONS
def test_a_machine_below_twins_that_are_gone_is_closed_at_once(
    run, api, admin_client, delete, django_capture_on_commit_callbacks
):
    run("a1", hours_ago=5, cpu=100.0, cpu_model=CPU)
    run("a2", hours_ago=4, cpu=100.0, cpu_model=CPU)
    run("x", hours_ago=3, cpu=50.0, cpu_model=CPU)
    run("elsewhere", hours_ago=3, cpu=10.0, cpu_model=OTHER)
    assert _open("x")

    with django_capture_on_commit_callbacks(execute=True):
        delete(api, admin_client, ["a2"])

    # one peer left: no judgment, the item that named two peers is over
    assert not _open("x")


@DELETIONS
def test_a_machine_left_below_its_twins_when_the_slow_ones_go_is_flagged_at_once(
    run, api, admin_client, delete, django_capture_on_commit_callbacks
):
    for host in ("a1", "a2"):
        run(host, hours_ago=6, cpu=100.0, cpu_model=CPU)
    for host in ("s1", "s2"):
        run(host, hours_ago=5, cpu=70.0, cpu_model=CPU)
    run("x", hours_ago=4, cpu=80.0, cpu_model=CPU)  # 6 % below the median of 100, 100, 70, 70
    assert not _open("x")

    with django_capture_on_commit_callbacks(execute=True):
        delete(api, admin_client, ["s1", "s2"])

    assert _open("x")  # 20 % below the two left
    message = AttentionItem.objects.get(kind="below_peers", device__hostname="x").message
    assert "2 other machines" in message


def test_a_deletion_whose_judgment_fails_is_still_done(
    run, api, admin_client, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    run("a1", hours_ago=5, cpu=100.0, cpu_model=CPU)
    run("a2", hours_ago=4, cpu=100.0, cpu_model=CPU)
    run("x", hours_ago=3, cpu=50.0, cpu_model=CPU)

    def broken(**kwargs):
        raise RuntimeError("the judgment broke")

    monkeypatch.setattr("insights.receivers.attention_rejudge_peers", broken)
    with django_capture_on_commit_callbacks(execute=True):
        _delete_through_the_api(api, admin_client, ["a2"])

    assert not Device.objects.filter(hostname="a2").exists()
    assert "the judgment broke" in caplog.text
    assert _open("x")  # as before: its next run or its model's judges it


def test_a_deleted_devices_open_items_are_notified_resolved(run, api, settings):
    """Its items went with it, unsaid: a receiver that pairs "opened" with "resolved" kept
    them open for ever."""
    from insights.models import Notification

    settings.NOTIFY_URLS, settings.SITE_URL = ["json://127.0.0.1:9/hook"], "http://bench.lan"
    body = run("nas", hours_ago=1, disks=[disk(smart_health="FAILED")])
    assert Notification.objects.count() == 1  # its "opened"

    assert api.delete(f"/api/devices/{body['device_id']}").status_code == 204

    resolved = Notification.objects.get(title="nas: smart_failing resolved")
    assert resolved.item is None  # the item went with the device; its notification stays
    assert "Closed" in resolved.body and "the device was deleted" in resolved.body
    assert "http://bench.lan/admin/" not in resolved.body  # no page to link to
