"""insights.peer_selectors.peer_group reads a CPU model's machines off the index of peers —
how many were measured alike, their middle figures, the lowest ones, those with an item open —
and judges them as every one of them read in full would be judged."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insights import peer_selectors, rules, selectors
from inventory.columns import methods_key, methods_of_key, model_key
from inventory.models import Device
from inventory.schema import CATEGORY_NAMES

pytestmark = pytest.mark.django_db

CPU = "Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz"


def whole_group() -> rules.Group:
    """Every machine of the model, read in full: what peer_group stands for."""
    rows = (
        Device.objects.filter(
            cpu_model_key=model_key(CPU), global_score__isnull=False, latest_snapshot__isnull=False
        )
        .order_by("global_score")
        .values_list("id", "ranking_run_valid", "global_score", "ranking_methods")
    )
    return rules.Group.whole(
        [
            rules.Member(pk, bool(valid), score, methods_of_key(methods_key(methods)))
            for pk, valid, score, methods in rows
        ]
    )


@pytest.fixture
def fleet(run):
    """31 machines of one CPU model in two methods (two bench.sh versions), scores spread wide
    and tied, some far below; the item of a few opened by their runs."""
    rng = random.Random(11)  # noqa: S311 (test data)
    for n in range(31):
        cpu = rng.choice([20.0, 60.0, 100.0, 100.0, rng.uniform(30, 140)])
        method = "sysbench-1.0-cpu-v1" if n % 3 else "sysbench-1.0-cpu-v2"
        run(f"pc-{n:02}", hours_ago=40 - n, cpu=cpu, cpu_model=CPU, cpu_method=method)
    return Device.objects.filter(cpu_model_key=model_key(CPU))


def test_the_group_read_off_the_index_judges_as_every_machine_read_would(fleet):
    whole = whole_group()
    assert sum(whole.sizes.values()) == 31 and len(whole.sizes) == 2
    thresholds = selectors.thresholds()
    device = fleet.order_by("global_score").first()
    group, open_ids = peer_selectors.peer_group(CPU, device_id=device.pk)
    assert open_ids  # the far-below machines have their item
    assert group.sizes == whole.sizes and group.middles == whole.middles
    # fewer machines read than the model has: the low ones, the open ones, the device
    assert len(group.members) < 31
    assert device.pk in {m.id for m in group.members}
    expected = rules.below_peers_in_group(whole, thresholds=thresholds, of=open_ids)
    assert rules.below_peers_in_group(group, thresholds=thresholds, of=open_ids) == {
        pk: held for pk, held in expected.items() if held or pk in open_ids
    }
    for member in whole.members:
        own, _ = peer_selectors.peer_group(CPU, device_id=member.id, judging=False)
        methods = dict(zip(CATEGORY_NAMES, member.methods, strict=True))
        assert rules.peer_median(own, member.id, methods) == rules.peer_median(
            whole, member.id, methods
        )


def test_its_queries_do_not_grow_with_the_model(fleet, run):
    with CaptureQueriesContext(connection) as before:
        peer_selectors.peer_group(CPU)
    for n in range(31, 60):
        run(f"pc-{n:02}", hours_ago=1, cpu=100.0 + n % 7, cpu_model=CPU)
    with CaptureQueriesContext(connection) as after:
        peer_selectors.peer_group(CPU)
    # how many per methods; per methods (two here) its middle and its low ones; the open items
    assert len(before) == len(after) == 6


def test_methods_stored_in_another_order_are_one_group(fleet):
    """A database restored from PostgreSQL (jsonb orders keys its own way) keeps the methods of
    the same runs in another key order: they are the same methods."""
    from benchmarks.models import Benchmark
    from benchmarks.services import device_ranking_refresh

    first, second = fleet.order_by("pk")[:2]
    Benchmark.objects.filter(device=first).update(methods={"cpu": "c", "memory": "m"})
    Benchmark.objects.filter(device=second).update(methods={"memory": "m", "cpu": "c"})
    device_ranking_refresh(device_ids=[first.pk, second.pk])
    sizes = peer_selectors.peer_group(CPU)[0].sizes
    assert sizes[("c", "m", None, None, None)] == 2


def test_a_machine_that_came_or_went_between_the_reads_is_counted_as_the_middle_was_read(
    fleet, monkeypatch
):
    """The count of each methods and its middle figures are two statements: a machine stored
    (or deleted) between them moved the middle, and the median was read off the wrong place."""
    whole = whole_group()
    counted = peer_selectors._GROUP_SIZES.rows

    for shift in (-2, 3, -40):  # as counted before machines came, or went
        monkeypatch.setattr(
            peer_selectors._GROUP_SIZES,
            "rows",
            lambda shift=shift, **values: [
                (key, max(1, n + shift)) for key, n in counted(**values)
            ],
        )
        group, _ = peer_selectors.peer_group(CPU)
        assert group.sizes == whole.sizes and group.middles == whole.middles


def test_a_group_that_keeps_changing_is_left_to_a_later_try(fleet, monkeypatch):
    from django.db import OperationalError

    read = peer_selectors._GROUP_FIGURES.rows
    calls = []

    def changing(**values):  # another machine each time it is read
        calls.append(1)
        return [(score, size + len(calls)) for score, size in read(**values)]

    monkeypatch.setattr(peer_selectors._GROUP_FIGURES, "rows", changing)
    with pytest.raises(OperationalError, match="kept changing"):
        peer_selectors.peer_group(CPU)
    assert len(calls) == peer_selectors.READS
