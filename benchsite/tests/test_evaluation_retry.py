"""A submission's attention evaluation that fails after its commit is tried again
(benchsite.submission_api): the run's failing disk still gets its item."""

import os
import threading

import pytest
from django.db import connection

from benchsite import submission_api
from insights.models import AttentionItem

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the retry's thread reads what the test wrote
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the failure is made with a SQLite trigger",
    ),
]


def retries() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("attention-retry-")]


@pytest.fixture
def refused_items():
    """Every new attention item refused by the database, until the test lets them in."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER refuse_items BEFORE INSERT ON insights_attentionitem "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )

    def let_in():
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS refuse_items")

    yield let_in
    let_in()
    for thread in retries():
        thread.join(timeout=30)


def test_a_failing_disk_gets_its_item_once_the_database_takes_it_again(
    submit, example, refused_items, monkeypatch, caplog
):
    """The database failed the moment after a run's commit: the run was answered 201, and its
    failing disk got no item until the machine's next run, days later, or a rescore
    (failure-injection audit)."""
    monkeypatch.setattr(submission_api, "RETRY_AFTER_S", (0.5, 0.5, 0.5, 0.5), raising=False)
    example["hardware"]["storage"]["devices"][1]["smart_health"] = "FAILED"

    response = submit(example)

    assert response.status_code == 201
    assert not AttentionItem.objects.exists()
    refused_items()
    # the retry done before the table is read: the test database (SQLite's shared cache, in
    # memory) refused a read while the retry wrote ("database table is locked"), which a
    # server's database file in WAL mode never does
    for thread in retries():
        thread.join(timeout=20)
    (item,) = AttentionItem.objects.all()
    assert (item.kind, item.device_id) == ("smart_failing", response.json()["device_id"])
    assert any("evaluated on try" in r.getMessage() for r in caplog.records)
