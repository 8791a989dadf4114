import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from benchmarks.models import Benchmark
from benchmarks.tests.factories import BenchmarkFactory
from inventory.columns import methods_of_key
from inventory.models import Device, HardwareSnapshot

pytestmark = pytest.mark.django_db


def rescore(*args) -> str:
    out = io.StringIO()
    call_command("rescore", *args, stdout=out)
    return out.getvalue()


def test_rescore_applies_new_weights_and_records_them(settings):
    benchmark = BenchmarkFactory(cpu_score=200.0, memory_score=100.0, disk_score=None)
    assert benchmark.global_score == 160.0  # (200·0.3 + 100·0.2) / 0.5
    settings.SCORE_WEIGHTS = "cpu=0.5,memory=0.5"

    output = rescore()

    benchmark.refresh_from_db()
    assert benchmark.global_score == 150.0
    assert benchmark.weights["cpu"] == 0.5 and benchmark.weights["memory"] == 0.5
    assert (
        "Rescored: 1 benchmark(s) examined; 1 got another global score, validity or run time."
        in output
    )


def test_rescore_says_to_restart_a_server_that_scores_by_the_old_weights(settings, monkeypatch):
    """After the README's "set SCORE_WEIGHTS and run rescore", a server not restarted went on
    scoring new runs by the old weights: identical results ranked 105.65 beside 108.77. A run
    it scores while the rescore runs says so; the runs before, scored by the old weights, do
    not (the README's change, restart, rescore was told to restart and rescore again)."""
    from insights.management.commands import rescore as command

    BenchmarkFactory()  # scored by the defaults, before the change
    settings.SCORE_WEIGHTS = "cpu=0.5,gpu=0"

    first = rescore()

    assert "The newest run had been scored with cpu=0.3, memory=0.2, disk=0.25" in first
    assert "Restart it" not in first and "restart" not in rescore()  # nothing says one runs
    # a server not restarted stores a run while the next rescore runs
    rescored = command.benchmark_rescore

    def meanwhile(**kwargs):
        result = rescored(**kwargs)
        late = BenchmarkFactory()
        Benchmark.objects.filter(pk=late.pk).update(
            weights={"cpu": 0.3, "memory": 0.2, "disk": 0.25, "network": 0.15, "gpu": 0.1}
        )
        return result

    monkeypatch.setattr(command, "benchmark_rescore", meanwhile)
    warned = rescore()
    assert "A run received while it ran was scored with cpu=0.3, memory=0.2" in warned
    assert "a server started before the change still scores by those" in warned


def test_rescore_with_unchanged_weights_changes_nothing():
    BenchmarkFactory.create_batch(3)
    assert "Rescored: 3 benchmark(s) examined; 0 got another global score" in rescore()


def test_rescore_walks_histories_larger_than_one_batch(monkeypatch, settings):
    from benchmarks import rescoring

    monkeypatch.setattr(rescoring, "RESCORE_BATCH", 7)
    BenchmarkFactory.create_batch(20, cpu_score=50.0, memory_score=None, disk_score=None)
    settings.SCORE_WEIGHTS = "cpu=1"

    output = rescore()

    assert (
        "20 benchmark(s) examined; 0 got another global score, validity or run time, 20 other(s)"
        in output
    )
    assert set(Benchmark.objects.values_list("global_score", flat=True)) == {50.0}


def test_rescore_dates_a_run_by_its_started_at_as_ingest_does():
    """Versions before the run-time rule dated every run by its arrival: a capture replayed 20
    days late stayed on top of its device's history. rescore re-applies the rule."""
    started = timezone.now() - timedelta(days=20)
    arrived = timezone.now()
    replayed = BenchmarkFactory(
        run_at=arrived,
        results={"conditions": {"started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ")}},
    )

    output = rescore()

    replayed.refresh_from_db()
    assert replayed.run_at == started.replace(microsecond=0)
    assert replayed.received_at == arrived  # kept
    assert "(its started_at)" in output
    assert Device.objects.get().last_benchmark_at == replayed.run_at


def test_rescore_dates_a_run_stored_at_year_one_by_its_arrival(settings):
    """Versions before 0.4.1 kept a started_at of 0001-01-01T00:00Z, which no time zone west of
    UTC can show (the admin answered 500): rescore dates such a run by its arrival."""
    settings.TIME_ZONE = "America/New_York"
    arrived = timezone.now()
    stored = BenchmarkFactory(
        run_at=datetime(1, 1, 1, tzinfo=UTC),
        results={"conditions": {"started_at": "0001-01-01T00:00:00Z"}},
    )
    stored.received_at = arrived
    stored.save(update_fields=["received_at"])

    output = rescore()

    stored.refresh_from_db()
    assert stored.run_at == arrived
    # the line names the time it was dated by: not "(its started_at)", which said year 1
    assert f"{arrived:%Y-%m-%d %H:%M} (its arrival)" in output
    assert Device.objects.get().last_benchmark_at == arrived


def test_a_run_dated_again_takes_its_snapshot_and_the_device_its_newest_hardware(submit, example):
    """An upgraded database: a live run (32 GB) started 3 min ago, then a capture of ten days
    ago (16 GB) replayed after it, both dated by their arrival by the old version. rescore moved
    the replay's run back ten days but left its snapshot on top: the device page showed the
    16 GB as its hardware now, and the history "RAM 16→32 GB" then "RAM 32→16 GB"."""
    now = timezone.now()
    ids = {}
    for name, started, ram in (("live", 3 / 1440, 32768), ("replay", 10, 16384)):
        document = {**example, "submission_id": f"00000000-0000-4000-8000-00000000000{len(ids)}"}
        document["hardware"] = {**example["hardware"], "ram": {"total_mb": ram}}
        at = (now - timedelta(days=started)).strftime("%Y-%m-%dT%H:%M:%SZ")
        document["results"] = {**example["results"], "conditions": {"started_at": at}}
        ids[name] = submit(document).json()
    # as the old version stored them: each run and its snapshot at its arrival
    for offset, name in enumerate(("live", "replay")):
        arrived = now + timedelta(seconds=offset)
        Benchmark.objects.filter(pk=ids[name]["benchmark_id"]).update(run_at=arrived)
        HardwareSnapshot.objects.filter(pk=ids[name]["snapshot_id"]).update(captured_at=arrived)
    Device.objects.update(latest_snapshot_id=ids["replay"]["snapshot_id"])

    rescore()

    replay = Benchmark.objects.select_related("snapshot").get(pk=ids["replay"]["benchmark_id"])
    assert replay.snapshot.captured_at == replay.run_at < now - timedelta(days=9)
    device = Device.objects.select_related("latest_snapshot").get()
    assert device.latest_snapshot.ram_total_mb == 32768
    assert device.latest_snapshot_id == ids["live"]["snapshot_id"]


def test_rescore_puts_right_device_figures_stored_by_an_older_rule():
    """A device whose figures an older version stored by another rule (a run without scores
    ranked it: no global score, out of the ranking) stayed so: rescore found no run to change
    and did not refresh the devices."""
    run = BenchmarkFactory(cpu_score=200.0, memory_score=None, disk_score=None)
    Device.objects.update(global_score=None, cpu_score=None)

    assert "0 got another global score" in rescore()

    device = Device.objects.get()
    assert (device.global_score, device.cpu_score) == (run.global_score, 200.0)


def test_rescore_can_be_limited_to_devices_named_in_any_case(settings):
    mine = BenchmarkFactory(device__hostname="mine", cpu_score=10.0)
    other = BenchmarkFactory(device__hostname="other", cpu_score=10.0)
    settings.SCORE_WEIGHTS = "cpu=1,memory=0,disk=0"

    output = rescore("--device", "MINE")

    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.global_score == 10.0
    assert other.global_score != 10.0
    assert "Attention re-evaluated on 1 device(s):" in output  # not the whole fleet's


def test_rescore_names_a_hostname_that_is_no_devices_and_examines_nothing():
    BenchmarkFactory(device__hostname="mine")
    with pytest.raises(CommandError, match="No device with the hostname 'nosuchhost'"):
        rescore("--device", "mine", "--device", "nosuchhost", "--dry-run")


def test_trial_weights_are_tried_not_stored(settings):
    benchmark = BenchmarkFactory(cpu_score=200.0, memory_score=100.0, disk_score=None)
    before = benchmark.global_score

    with pytest.raises(CommandError, match="--weights is a trial: add --dry-run"):
        rescore("--weights", "cpu=1,memory=0")
    tried = rescore("--weights", "cpu=1,memory=0", "--dry-run")

    benchmark.refresh_from_db()
    assert benchmark.global_score == before  # nothing stored either way
    assert f"global {before} → 200.0" in tried
    assert "Weights: cpu=1, memory=0, disk=0.25, network=0.15, gpu=0.1" in tried
    # weights that weigh none of its categories: said in words (it printed "→ None")
    nothing = rescore("--weights", "cpu=0,memory=0,disk=0,network=0", "--dry-run")
    assert f"global {before} → none (no weighted category)" in nothing
    # the weights in force, given again, are no trial
    settings.SCORE_WEIGHTS = "cpu=1,memory=0"
    assert "1 benchmark(s) examined; 1 got another global" in rescore("--weights", "cpu=1,memory=0")


def test_a_long_rescore_lists_its_first_changes_and_counts_the_rest(monkeypatch, settings):
    """An upgrade's rescore of 100,000 runs lists the first ones (50) and counts the others,
    across its batches, keeping no more of them than it lists."""
    from benchmarks import rescoring

    monkeypatch.setattr(rescoring, "RESCORE_BATCH", 7)
    monkeypatch.setattr(rescoring, "SHOWN", 4)
    runs = BenchmarkFactory.create_batch(20, cpu_score=200.0, memory_score=100.0, disk_score=None)
    settings.SCORE_WEIGHTS = "cpu=0.5,memory=0.5"

    output = rescore()

    lines = [line for line in output.splitlines() if line.startswith("  #")]
    assert lines == [f"  #{run.pk} {run.device.hostname}: global 160.0 → 150.0" for run in runs[:4]]
    assert "  … and 16 more" in output
    assert "20 benchmark(s) examined; 20 got another global score, validity or run time." in output


def test_a_trial_lists_only_the_runs_whose_figures_would_move():
    """A run measured in one category keeps its global score under any weights: the trial
    listed it ("global 200.0 → 200.0") and counted it among the changes, as it did a run with
    no global score at all ("None → None"), because its recorded weights would change."""
    moves = BenchmarkFactory(cpu_score=200.0, memory_score=100.0, disk_score=None)
    BenchmarkFactory(cpu_score=200.0, memory_score=None, disk_score=None)  # cpu alone
    BenchmarkFactory(cpu_score=None, memory_score=None, disk_score=None)  # nothing measured

    tried = rescore("--weights", "cpu=0.6,memory=0.1", "--dry-run")

    lines = [line for line in tried.splitlines() if line.startswith("  #")]
    assert lines == [f"  #{moves.pk} {moves.device.hostname}: global 160.0 → 185.71"]
    assert (
        "Dry run: 3 benchmark(s) examined; 1 would get another global score, validity or run time, "
        "2 other(s) would only record the weights and rules in force (their figures unchanged)."
    ) in tried


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cpu=-1", "--weights: weight of 'cpu' must be a finite number >= 0"),
        ("cpu=0.5,CPU=0.1", "--weights: 'cpu' is given twice"),
        ("ram=1", "--weights: 'ram=1' is not <category>=<weight>"),
    ],
)
def test_rescore_refuses_bad_weights_naming_the_option(spec, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        rescore("--weights", spec, "--dry-run")


def test_migrate_applies_this_versions_rules_to_runs_an_earlier_version_scored(submit, example):
    """Upgraded from a version without attention items: the NAS disk that read FAILED stayed
    unmarked, and its on-battery run counted valid, until someone ran rescore by hand."""
    from insights.models import AttentionItem

    example["hardware"]["storage"]["devices"][0]["smart_health"] = "FAILED"
    example["results"]["conditions"] = {"on_battery": True}
    body = submit(example).json()
    # as the earlier version left it
    Benchmark.objects.update(scoring_version=1, validity="valid", validity_reasons=[])
    AttentionItem.objects.all().delete()
    out = io.StringIO()

    call_command("migrate", stdout=out)

    assert APPLYING in out.getvalue()
    run = Benchmark.objects.get(pk=body["benchmark_id"])
    assert (run.scoring_version, run.validity) == (2, "suspect")
    assert AttentionItem.objects.filter(kind="smart_failing", closed_at__isnull=True).exists()
    # and once done, a migrate has nothing to do
    out = io.StringIO()
    call_command("migrate", stdout=out)
    assert APPLYING not in out.getvalue()


APPLYING = "rules are not applied to every stored run yet: applying them (manage.py rescore)"


def test_migrate_dates_again_a_run_an_earlier_version_dated_year_one(submit, example):
    """Versions before 0.4.1 dated a run whose clock said 0001-01-01 so, under the scoring
    version of today: an install upgraded from 0.3.0 or 0.4.0 kept it (no run was scored by
    an earlier version), and west of UTC its device's page and the runs' list answered 500
    until someone ran rescore by hand, as the upgrade notes of 0.4.1 asked."""
    from benchmarks.models import RulesApplied

    example["results"]["conditions"] = {"started_at": "0001-01-01T00:00:00Z"}
    body = submit(example).json()
    year_one = datetime(1, 1, 1, tzinfo=UTC)
    Benchmark.objects.update(run_at=year_one)  # as 0.4.0 left it
    HardwareSnapshot.objects.update(captured_at=year_one)
    RulesApplied.objects.update_or_create(pk=1, defaults={"scoring_version": 2})
    out = io.StringIO()

    call_command("migrate", stdout=out)

    assert APPLYING in out.getvalue()
    run = Benchmark.objects.get(pk=body["benchmark_id"])
    assert run.run_at == run.received_at
    assert Device.objects.get().last_benchmark_at == run.received_at


def test_migrate_puts_right_the_peers_key_a_server_of_an_earlier_version_left(submit, example):
    """0.3.0 kept serving on the upgraded database (a rolling upgrade, the service restarted
    late): it stored runs with new methods and left the devices' peers' key as it was, and the
    peers' medians counted those machines with the methods of their run before (upgrade
    audit)."""
    from inventory.models import Device

    example["results"]["cpu"]["method"] = "sysbench-cpu-v3"
    submit(example)
    Device.objects.update(ranking_methods_key='["sysbench-cpu-v1",null,null,null,null]')
    out = io.StringIO()

    call_command("migrate", stdout=out)

    assert "1 device(s) had a peers' key of an earlier version" in out.getvalue()
    key = Device.objects.get().ranking_methods_key
    assert methods_of_key(key)[0] == "sysbench-cpu-v3"
    out = io.StringIO()
    call_command("migrate", stdout=out)
    assert "earlier version" not in out.getvalue()


def test_a_rescore_cut_short_is_run_again_by_the_next_migrate(submit, example):
    """A migrate stopped during its rescore (systemd, Ctrl-C on a start that looked hung)
    left every run at this scoring version and the attention never evaluated: the next one
    thought the work done. The marker is written only once a whole rescore has ended. Also a
    database an earlier version's rescore re-dated: its snapshots stayed at their arrival."""
    from benchmarks.models import RulesApplied
    from insights.models import AttentionItem

    example["hardware"]["storage"]["devices"][0]["smart_health"] = "FAILED"
    body = submit(example).json()
    AttentionItem.objects.all().delete()  # never evaluated
    RulesApplied.objects.all().delete()  # the rescore did not end
    HardwareSnapshot.objects.update(captured_at=timezone.now() + timedelta(minutes=1))

    call_command("migrate", stdout=io.StringIO())

    assert AttentionItem.objects.filter(kind="smart_failing", closed_at__isnull=True).exists()
    run = Benchmark.objects.select_related("snapshot").get(pk=body["benchmark_id"])
    assert run.snapshot.captured_at == run.run_at
    assert RulesApplied.objects.get().scoring_version == 2


def test_a_rescore_that_fails_after_migrate_leaves_the_server_to_start(
    submit, example, monkeypatch
):
    """Its exception made migrate exit non-zero: scripts/serve and the Docker entry point
    never started the server, and each retry failed the same way."""
    from benchmarks.models import RulesApplied

    submit(example)
    RulesApplied.objects.all().delete()

    def broken(**kwargs):
        raise RuntimeError("one odd old run")

    monkeypatch.setattr("insights.management.commands.rescore.benchmark_rescore", broken)
    out, err = io.StringIO(), io.StringIO()
    call_command("migrate", stdout=out, stderr=err)

    assert "manage.py rescore failed (one odd old run): the server starts" in err.getvalue()
    assert not RulesApplied.objects.exists()  # the next migrate tries again


def test_rescore_moves_a_batchs_snapshots_in_one_statement(monkeypatch):
    """An upgrade moves the snapshot of every run an earlier version's rescore re-dated: one
    UPDATE each made 100,000 statements of a 100,000-run upgrade."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr("benchmarks.rescoring.RESCORE_BATCH", 10)
    runs = [BenchmarkFactory() for _ in range(25)]
    HardwareSnapshot.objects.update(captured_at=timezone.now() + timedelta(minutes=1))

    with CaptureQueriesContext(connection) as queries:
        rescore()

    moves = [
        q
        for q in queries.captured_queries
        # one statement executed for each row ("10 times: UPDATE …", Django's log of it)
        if 'UPDATE "inventory_hardwaresnapshot"' in q["sql"]
    ]
    assert len(moves) == 3  # one per batch of 10, 10 and 5
    for run in Benchmark.objects.select_related("snapshot").filter(pk__in=[r.pk for r in runs]):
        assert run.snapshot.captured_at == run.run_at


def test_runs_arriving_while_it_runs_are_said_so_in_its_progress(monkeypatch):
    """Runs that arrived while it ran were examined too, and its progress read "1,097 of 1,065
    runs examined"."""
    from benchmarks import rescoring
    from insights.management.commands import rescore as command

    monkeypatch.setattr(rescoring, "RESCORE_BATCH", 7)
    monkeypatch.setattr(command, "RESCORE_BATCH", 7)  # a progress line per batch
    BenchmarkFactory.create_batch(10)
    real = command.benchmark_rescore

    def with_arrivals(*, progress, **kwargs):
        def told(done):
            if done == 7:  # after the first batch, 5 machines submit
                BenchmarkFactory.create_batch(5)
            progress(done)

        return real(progress=told, **kwargs)

    monkeypatch.setattr(command, "benchmark_rescore", with_arrivals)
    output = rescore()

    assert "  7 of 10 runs examined" in output
    assert "  15 runs examined (10 when it started, the others arrived since)" in output
    assert " of 10 runs examined" not in output.split("  7 of 10")[1]
