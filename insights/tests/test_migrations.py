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


@pytest.mark.django_db
def test_0003_leaves_a_server_of_the_release_before_still_notifying():
    """Servers upgraded in turn: one of 0.14.2 still serving on the migrated database writes a
    notification without its condition. The column had no default: every judgment it made
    failed, its items never opened (1,344 of 1,568 in a rolling upgrade under load)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state(("insights", "0002_notifications"))
    older = state.apps.get_model("insights", "Notification").objects.create(
        title="nas: disk_hot", body="", type="warning", target="x"
    )

    assert Notification.objects.get(pk=older.pk).condition == ""  # holds nothing back
