"""`rescore --weights SPEC --dry-run` answers "how would my ranking change?": the machines whose
place moves, with their figures and places before and after, then the runs."""

import io
import random
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from benchmarks.models import Benchmark
from benchmarks.scoring import parse_weights
from benchmarks.tests.factories import BenchmarkFactory
from insights.management.commands import rescore as command
from inventory.models import Device
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

TRIAL = "cpu=0.9,memory=0.1"  # a CPU-bound fleet's weights
BUSY = {"conditions": {"cpu_busy_percent": 80}}  # a suspect run (VALIDITY_BUSY_PCT)


def rescore(*args) -> str:
    out = io.StringIO()
    call_command("rescore", *args, stdout=out)
    return out.getvalue()


def ranking_lines(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Ranking"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    return lines[start:end]


@pytest.fixture
def fleet():
    """streamer (memory-bound, 220) ranks before cruncher (CPU-bound, 200), steady last (50);
    by TRIAL's weights cruncher (275) goes before streamer (130). Each is ranked by its latest
    valid run: older runs and a newer suspect one must not count."""
    now = timezone.now()
    old = now - timedelta(days=30)
    scores = {"disk_score": None}
    streamer = DeviceFactory(hostname="streamer")
    BenchmarkFactory(device=streamer, run_at=old, cpu_score=900.0, memory_score=900.0, **scores)
    BenchmarkFactory(device=streamer, run_at=now, cpu_score=100.0, memory_score=400.0, **scores)
    cruncher = DeviceFactory(hostname="cruncher")
    BenchmarkFactory(device=cruncher, run_at=old, cpu_score=300.0, memory_score=50.0, **scores)
    BenchmarkFactory(  # newer, but suspect: ranks no one while a valid run is there
        device=cruncher,
        run_at=now,
        cpu_score=5000.0,
        memory_score=5000.0,
        results=BUSY,
        validity="suspect",
        validity_reasons=["busy"],
        **scores,
    )
    BenchmarkFactory(device__hostname="steady", cpu_score=50.0, memory_score=50.0, **scores)
    retired = BenchmarkFactory(device__hostname="attic", cpu_score=1000.0, **scores).device
    Device.objects.filter(pk=retired.pk).update(retired_on=date(2020, 1, 1))  # ranks no one
    return {"streamer": streamer, "cruncher": cruncher}


def test_a_trial_of_weights_names_the_machines_that_would_swap_places(fleet):
    before = dict(Device.objects.values_list("hostname", "global_score"))

    tried = rescore("--weights", TRIAL, "--dry-run")

    assert ranking_lines(tried) == [
        "Ranking as it would be: 2 of 3 machine(s) would move place (2 would get another "
        "figure), the biggest moves first:",
        "  place 2 → 1: cruncher, global 200.0 → 275.0",
        "  place 1 → 2: streamer, global 220.0 → 130.0",
    ]
    # the ranking first, then the runs as listed before, then the counts
    assert tried.index("Ranking") < tried.index("  #") < tried.index("Dry run: 6 benchmark(s)")
    assert dict(Device.objects.values_list("hostname", "global_score")) == before  # nothing saved


def test_a_trial_foretells_the_ranking_a_rescore_by_those_weights_leaves(fleet, settings):
    """The dry run's ranking is the one the devices' figures show once rescored."""
    tried = ranking_lines(rescore("--weights", TRIAL, "--dry-run"))
    settings.SCORE_WEIGHTS = TRIAL

    done = ranking_lines(rescore())

    assert done[0] == (
        "Ranking: 2 of 3 machine(s) moved place (2 got another figure), the biggest moves first:"
    )
    assert done[1:] == tried[1:]
    assert list(
        Device.objects.filter(retired_on=None).order_by("-global_score").values_list("hostname")
    ) == [("cruncher",), ("streamer",), ("steady",)]


def test_a_trial_on_one_machine_moves_it_in_the_whole_fleets_ranking(fleet):
    tried = rescore("--weights", TRIAL, "--dry-run", "--device", "CRUNCHER")

    assert ranking_lines(tried)[1:] == [
        "  place 2 → 1: cruncher, global 200.0 → 275.0",
        "  place 1 → 2: streamer, global 220.0 → 220.0",  # its runs are not tried
    ]


def test_a_trial_lists_the_biggest_moves_and_counts_the_others(fleet, monkeypatch):
    from benchmarks import ranking_moves

    monkeypatch.setattr(ranking_moves, "SHOWN_MOVES", 1)

    lines = ranking_lines(rescore("--weights", TRIAL, "--dry-run"))

    assert lines[1:] == [
        "  place 2 → 1: cruncher, global 200.0 → 275.0",
        "  … and 1 more machine(s)",
    ]


def test_weights_that_move_no_one_say_so(fleet):
    tried = rescore("--weights", "cpu=0.3,memory=0.2", "--dry-run")  # the defaults given

    assert ranking_lines(tried) == [
        "Ranking as it would be: none of 3 machine(s) would move place (0 would get another "
        "figure)."
    ]


def test_a_trial_of_a_long_history_counts_with_thousands_separators(fleet):
    run = Benchmark.objects.filter(device=fleet["cruncher"]).earliest("run_at")
    copies = [
        Benchmark(
            device_id=run.device_id,
            snapshot_id=run.snapshot_id,
            run_at=run.run_at - timedelta(minutes=n),
            received_at=run.run_at - timedelta(minutes=n),
            cpu_score=run.cpu_score,
            memory_score=run.memory_score,
            global_score=run.global_score,
            weights=run.weights,
            scoring_version=run.scoring_version,
        )
        for n in range(1, 1001)
    ]
    Benchmark.objects.bulk_create(copies)

    tried = rescore("--weights", TRIAL, "--dry-run")

    # of the 1,006 runs, the 1,003 whose global score moves: 50 listed
    assert "  … and 953 more\n" in tried
    assert "Dry run: 1,006 benchmark(s) examined; 1,003 would get another global score" in tried
    assert "Runs whose figures would change, by id (the first 50):" in tried


def test_a_trials_queries_do_not_grow_with_the_fleet(fleet, django_assert_max_num_queries):
    """A figure a machine, read in one query for them all: the 20 machines more cost none."""
    BenchmarkFactory.create_batch(20, disk_score=None)  # 100.0 by any weights: placed 3 to 22

    with django_assert_max_num_queries(5):
        tried = rescore("--weights", TRIAL, "--dry-run")

    assert "  place 2 → 1: cruncher, global 200.0 → 275.0" in tried


@pytest.mark.parametrize("seed", range(4))
def test_a_trial_ranks_each_machine_by_the_run_a_rescore_ranks_it_by(seed, settings):
    """Histories of valid, suspect and unscored runs, some at the same time: the figure the
    trial gives each machine is the one its device has once rescored by those weights."""
    from benchmarks.rescoring import benchmark_rescore

    rng = random.Random(seed)  # noqa: S311 (a fleet drawn again the same each time)
    now = timezone.now()
    for index in range(8):
        device = DeviceFactory(hostname=f"m{index}")
        for _ in range(rng.randint(1, 6)):
            kind = rng.choice(("valid", "suspect", "unscored"))
            scores = {
                "cpu_score": None if kind == "unscored" else rng.choice((100.0, 300.0)),
                "memory_score": None if kind == "unscored" else rng.choice((50.0, 400.0)),
                "disk_score": None,
            }
            BenchmarkFactory(
                device=device,
                run_at=now - timedelta(days=rng.randint(0, 2)),  # ties in time
                results=BUSY if kind == "suspect" else {},
                **scores,
            )

    tried = benchmark_rescore(weights=parse_weights(TRIAL), dry_run=True, ranking=True)
    settings.SCORE_WEIGHTS = TRIAL
    benchmark_rescore()

    assert {pk: ranked.score for pk, ranked in tried.ranked.items()} == dict(
        Device.objects.values_list("pk", "global_score")
    )


@pytest.fixture
def runless(fleet):
    """ghost: ranked first by the figures stored for it, without a run left (an older version's
    deletion left them, or an archive restored so)."""
    return DeviceFactory(
        hostname="ghost",
        last_benchmark_at=timezone.now(),
        ranking_run_at=timezone.now(),
        ranking_run_valid=True,
        global_score=300.0,
    )


@pytest.mark.parametrize("named", [(), ("--device", "GHOST")])
def test_a_trial_says_a_machine_without_a_run_leaves_the_ranking_as_a_rescore_leaves_it(
    runless, named
):
    """A trial showed the stored figure of a machine without a run, as if a rescore kept it:
    a rescore clears its figures, and it leaves the ranking (with --device too)."""
    tried = ranking_lines(rescore("--dry-run", *named))

    assert tried == [
        "Ranking as it would be: 3 of 3 machine(s) would move place (0 would get another "
        "figure), the biggest moves first; 1 would leave it, having no run:",
        "  place 1 → out: ghost, global 300.0, no run",
        "  place 2 → 1: streamer, global 220.0 → 220.0",
        "  place 3 → 2: cruncher, global 200.0 → 200.0",
        "  place 4 → 3: steady, global 50.0 → 50.0",
    ]
    done = ranking_lines(rescore(*named))

    assert done[0] == tried[0].replace("Ranking as it would be", "Ranking").replace(
        "would move", "moved"
    ).replace("would get", "got").replace("would leave", "left")
    assert done[1:] == tried[1:]
    runless.refresh_from_db()
    assert (runless.last_benchmark_at, runless.global_score) == (None, None)


def test_a_machine_retired_or_deleted_while_a_rescore_ran_is_said_so_not_runless(
    runless, monkeypatch
):
    """A rescore said "left it, having no run" of every machine missing from the ranking it
    left: one retired or deleted while it ran, its runs there, is said as what happened."""
    rescored = command.benchmark_rescore

    def meanwhile(**kwargs):
        done = rescored(**kwargs)
        Device.objects.filter(hostname="streamer").update(retired_on=date(2026, 12, 1))
        Device.objects.filter(hostname="steady").delete()
        return done

    monkeypatch.setattr(command, "benchmark_rescore", meanwhile)

    assert ranking_lines(rescore()) == [
        "Ranking: 1 of 1 machine(s) moved place (0 got another figure), the biggest moves "
        "first; 3 left it (1 having no run, 1 retired meanwhile, 1 deleted meanwhile):",
        "  place 1 → out: ghost, global 300.0, no run",
        "  place 2 → out: streamer, global 220.0, retired meanwhile",
        "  place 4 → out: steady, global 50.0, deleted meanwhile",
        "  place 3 → 1: cruncher, global 200.0 → 200.0",
    ]


def test_a_machine_that_submitted_while_a_rescore_ran_is_no_move_of_the_rescore(fleet, monkeypatch):
    """Runs arriving while it ran moved their machines, and every machine they passed: a
    rescore that changed no figure said "288 of 400 machine(s) moved place"."""
    rescored = command.benchmark_rescore

    def meanwhile(**kwargs):
        done = rescored(**kwargs)
        # steady's new run, stored by the server while the rescore ran: first of the ranking
        Device.objects.filter(hostname="steady").update(
            global_score=10_000.0, last_received_at=timezone.now()
        )
        return done

    monkeypatch.setattr(command, "benchmark_rescore", meanwhile)
    said = rescore()

    assert ranking_lines(said)[0].startswith("Ranking: none of 2 machine(s) moved place")
    assert "1 machine(s) submitted a run while it ran: their runs moved them" in said


def test_a_machine_whose_only_score_a_weight_of_0_leaves_out_stays_in_the_ranking(fleet, settings):
    """A machine measured on memory alone, rescored with memory weighing 0: it has no global
    score, still its memory's figure. The rescore said "1 left it, having no run: … no run"
    of a machine with a run, where the trial of the same weights moved no one out."""
    nothing_else = {f"{name}_score": None for name in ("cpu", "disk", "network", "gpu")}
    BenchmarkFactory(device__hostname="memonly", memory_score=80.0, **nothing_else)
    weights = "cpu=0.9,memory=0,disk=0.1"
    tried = rescore("--weights", weights, "--dry-run")
    settings.SCORE_WEIGHTS = weights

    done = rescore()

    # it goes to the foot of the ranking, as the trial said: it does not leave it
    assert ranking_lines(done)[1:] == ranking_lines(tried)[1:]
    assert "  place 3 → 4: memonly, global 80.0 → none (no weighted category)" in tried
    assert "no run" not in done and "left it" not in done
    assert Device.objects.values_list("global_score", "memory_score").get(hostname="memonly") == (
        None,
        80.0,
    )
