import pytest

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
    told, orphan = (
        row.objects.create(item=of, title="t", body="", type="info", target="x")
        for of in (item, None)
    )

    migrate_to(("insights", "0003_notification_condition"))

    conditions = dict(Notification.objects.values_list("pk", "condition"))
    assert conditions == {told.pk: condition_key(AttentionItem.objects.get()), orphan.pk: ""}
