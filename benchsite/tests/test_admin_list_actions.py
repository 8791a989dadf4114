"""*Acknowledge* (attention items) and *Revoke* (API tokens) on "Select all N": each did its
work an object at a time, 1,830 queries for 1,400 items and 1.6 s for 1,500 tokens; now in
statements per batch, with what each object got before (its notifications, its history line)."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.test import Client

from benchsite.models import ApiToken
from insights.models import AttentionItem, Kind, Notification, Severity
from inventory.models import Device

pytestmark = pytest.mark.django_db

ITEMS = "/admin/insights/attentionitem/"
TOKENS = "/admin/benchsite/apitoken/"
URLS = ["json://127.0.0.1:8779/a", "json://127.0.0.1:8779/b"]


@pytest.fixture
def admin():
    client = Client()
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    return client


def select_all(client, url: str, action: str, model):
    shown = [str(pk) for pk in model.objects.values_list("pk", flat=True)[:100]]
    data = {"action": action, "select_across": "1", "index": "0", "_selected_action": shown}
    return client.post(url, data, follow=True)


def open_items(count: int) -> None:
    Device.objects.bulk_create(Device(hostname=f"host-{n:03d}") for n in range(count))
    AttentionItem.objects.bulk_create(
        AttentionItem(
            device=device,
            kind=Kind.DISK_HOT,
            severity=Severity.WARNING,
            disk=f"WD-{device.pk}",
            message=f"disk /dev/sda (WD-{device.pk}) is at 61 °C",
        )
        for device in Device.objects.all()
    )


def tokens(count: int) -> None:
    ApiToken.objects.bulk_create(
        ApiToken(name=f"t{n}", key_hash=f"{n:064x}", key_prefix=f"{n:010x}", can_submit=True)
        for n in range(count)
    )


def test_acknowledge_all_closes_each_item_and_notifies_it_once_per_url(
    admin, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_URLS = URLS
    open_items(12)
    already = AttentionItem.objects.first()
    already.closed_at, already.closed_by = already.opened_at, "someone"
    already.save()

    with django_capture_on_commit_callbacks():  # the sender is not woken
        response = select_all(admin, ITEMS, "acknowledge", AttentionItem)

    assert "Acknowledged 11 item(s)." in response.content.decode()
    assert not AttentionItem.objects.filter(closed_at__isnull=True).exists()
    acknowledged = AttentionItem.objects.exclude(pk=already.pk)
    assert set(acknowledged.values_list("closed_by", flat=True)) == {"admin"}
    assert AttentionItem.objects.get(pk=already.pk).closed_by == "someone"  # left as it was
    sent = Notification.objects.order_by("item_id", "target")
    per_item: dict[int, set] = {}
    for item_id, target in sent.values_list("item_id", "target"):
        per_item.setdefault(item_id, set()).add(target)
    assert sent.count() == 2 * 11  # one per item and URL
    assert per_item.keys() == set(acknowledged.values_list("pk", flat=True))
    assert all(len(targets) == 2 for targets in per_item.values())
    first = sent.first()
    assert first.title.endswith(": disk_hot resolved")
    assert "Acknowledged by admin" in first.body


@pytest.mark.parametrize("count", [5, 40])
def test_acknowledge_costs_no_query_more_per_item(
    admin, settings, count, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """The session, the user, the list's selection; per 500 items their lock, one UPDATE and
    the notifications' INSERT; the list shown again. It took a lock, a save and an INSERT per
    item."""
    settings.NOTIFY_URLS = URLS
    open_items(count)
    with django_capture_on_commit_callbacks(), django_assert_max_num_queries(24):
        response = select_all(admin, ITEMS, "acknowledge", AttentionItem)
    assert f"Acknowledged {count} item(s)." in response.content.decode()
    assert Notification.objects.count() == 2 * count


def test_revoke_all_revokes_each_token_with_its_history_line(admin):
    tokens(12)
    ApiToken.objects.filter(name="t0").update(revoked_at="2026-01-01T00:00:00Z")

    response = select_all(admin, TOKENS, "revoke", ApiToken)

    assert "Revoked 11 token(s)." in response.content.decode()
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    assert ApiToken.objects.get(name="t0").revoked_at.year == 2026  # kept its time
    lines = LogEntry.objects.filter(action_flag=CHANGE, change_message="Revoked.")
    assert sorted(lines.values_list("object_repr", flat=True)) == sorted(
        str(token) for token in ApiToken.objects.exclude(name="t0")
    )
    assert set(lines.values_list("user__username", flat=True)) == {"admin"}


@pytest.mark.parametrize("count", [5, 40])
def test_revoke_costs_no_query_more_per_token(admin, count, django_assert_max_num_queries):
    """The session, the user, the selection; per 500 tokens their lock and one UPDATE; the
    history lines in one INSERT (and the savepoints); the list shown again. It took a save
    and a line per token."""
    tokens(count)
    with django_assert_max_num_queries(20):
        response = select_all(admin, TOKENS, "revoke", ApiToken)
    assert f"Revoked {count} token(s)." in response.content.decode()
