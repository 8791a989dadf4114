"""*Re-apply the scoring and validity rules* on "Select all N" of the runs list: it took 112 s
and 4,978 queries for 27,000 runs, in the request, and a worker killed at gunicorn's 60 s
timeout left part of them rescored and their machines' figures and attention items as they
were. Now as `manage.py rescore` leaves them, in one transaction, in statements per batch of
runs; past RESCORE_IN_A_REQUEST runs it is refused and names `manage.py rescore`."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from benchmarks import rescoring
from benchmarks.models import Benchmark
from inventory.models import Device, HardwareSnapshot

from .test_bulk_delete import NOW, RUNS, _items, fleet

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    client = Client()
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    return client


def stale(devices: int, runs_each: int) -> None:
    """A fleet stored by an older scoring version, its machines never judged: every run's
    figures and every machine's items are what a rescore puts right. Each run with a snapshot
    of its own, as a submission stores it (at arrival: rescore puts it at the run's time)."""
    fleet(devices, runs_each)
    runs = list(Benchmark.objects.select_related("snapshot").order_by("pk"))
    snapshots = HardwareSnapshot.objects.bulk_create(
        HardwareSnapshot(device_id=run.device_id, captured_at=NOW, cpu_model=run.snapshot.cpu_model)
        for run in runs
    )
    for run, snapshot in zip(runs, snapshots, strict=True):
        run.snapshot = snapshot
    Benchmark.objects.bulk_update(runs, ["snapshot"])
    Benchmark.objects.update(scoring_version="0", global_score=100.0)


def rescore_all(client):
    """The list's POST of "Select all N" with the action, its first page's boxes ticked."""
    shown = list(Benchmark.objects.values_list("pk", flat=True)[:100])
    return client.post(
        RUNS,
        {"action": "rescore", "select_across": "1", "index": "0", "_selected_action": shown},
        follow=True,
    )


def state() -> tuple:
    runs = list(
        Benchmark.objects.order_by("pk").values_list(
            "pk", "run_at", "global_score", "validity", "validity_reasons", "scoring_version"
        )
    )
    devices = list(
        Device.objects.order_by("pk").values_list(
            "pk",
            "last_benchmark_at",
            "global_score",
            "ranking_run_at",
            "latest_validity",
            "latest_snapshot_id",
            "latest_snapshot_at",
        )
    )
    return runs, devices, _items()


def test_select_all_leaves_runs_machines_and_items_as_manage_py_rescore(
    admin, django_capture_on_commit_callbacks
):
    stale(12, runs_each=3)
    assert not _items()

    with django_capture_on_commit_callbacks(execute=True):
        response = rescore_all(admin)

    assert "Rescored 36 benchmark(s): 36 changed." in response.content.decode()
    after = state()
    assert after[2]  # the machines that fell 30 % below their own runs: a regression each
    assert not Benchmark.objects.filter(scoring_version="0").exists()
    call_command("rescore", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert state() == after  # rescore finds nothing more to do: the action did it all


def test_over_the_limit_nothing_is_rescored_and_manage_py_rescore_is_named(admin, monkeypatch):
    stale(10, runs_each=3)
    monkeypatch.setattr(rescoring, "RESCORE_IN_A_REQUEST", 20, raising=False)
    before = state()

    response = rescore_all(admin)

    text = response.content.decode()
    assert "30 benchmarks selected: the admin rescores at most 20 at once." in text
    assert "Nothing was changed" in text and "manage.py rescore" in text
    assert state() == before


def test_a_rescore_that_fails_midway_saves_none_of_it(admin, monkeypatch):
    """A worker killed midway (gunicorn's timeout) as an error after the first batches: the
    batches were committed one by one, the machines' figures never followed."""
    stale(10, runs_each=3)
    monkeypatch.setattr(rescoring, "RESCORE_BATCH", 10)
    before = state()

    def killed(**kwargs):
        raise RuntimeError("worker timeout")

    monkeypatch.setattr(rescoring, "device_ranking_refresh", killed)
    admin.raise_request_exception = False

    response = rescore_all(admin)

    assert response.status_code == 500
    assert state() == before


# The request's own statements (its machines' judgment comes after the commit, one device at a
# time as `manage.py rescore` judges them): the session, the user, the list's count, then per
# 1,000 runs their read and an UPDATE each of runs and snapshots; per 500 machines their
# snapshot pointers (3) and ranking figures (3). It took 3 more per machine and, through
# bulk_update, a statement per 111 runs on SQLite.
@pytest.mark.parametrize(("devices", "runs_each"), [(10, 1), (120, 10)])
def test_the_rescore_costs_no_query_more_per_run_or_machine(
    admin, devices, runs_each, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    stale(devices, runs_each)
    with django_capture_on_commit_callbacks(execute=False) as judged:
        with django_assert_max_num_queries(40):
            response = rescore_all(admin)
    assert f"Rescored {devices * runs_each} benchmark(s)" in response.content.decode()
    assert len(judged) == 1  # the machines judged again once it commits
