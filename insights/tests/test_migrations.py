import pytest
from django.utils import timezone

from insights.models import AttentionItem, Notification, condition_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_0003_gives_waiting_notifications_their_items_condition(migrate_to):
    """What an upgrade finds waiting is held back in order as what it sends afterwards."""
    apps = migrate_to(("insights", "0002_notifications"))
    device = apps.get_model("inventory", "Device").objects.create(hostname="nas")
    item = apps.get_model("insights", "AttentionItem").objects.create(
        device=device, kind="disk_hot", severity="warning", disk="WD-1", message="hot"
    )
    row = apps.get_model("insights", "Notification")

    def waiting(item, title, sent=False):
        return row.objects.create(
            item=item,
            title=title,
            body="",
            type="info",
            target="x",
            next_attempt_at=None if sent else timezone.now(),
        )

    told = waiting(item, "nas: disk_hot")
    # a device deleted before the upgrade, its "opened" and "resolved" still to be sent
    opened, resolved = waiting(None, "gone: disk_hot"), waiting(None, "gone: disk_hot resolved")
    other, sent = waiting(None, "gone: smart_failing"), waiting(item, "nas: disk_hot", sent=True)

    migrate_to(("insights", "0003_notification_condition"))

    conditions = dict(Notification.objects.values_list("pk", "condition"))
    assert conditions[told.pk] == condition_key(AttentionItem.objects.get())
    assert conditions[opened.pk] == conditions[resolved.pk] != ""  # one holds the other back
    assert conditions[other.pk] not in ("", conditions[opened.pk], conditions[told.pk])
    assert conditions[sent.pk] == ""  # holds nothing back
