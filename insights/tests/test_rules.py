"""The insight rules: baseline, peers, deviations and attention conditions, on plain data."""

import pytest

from insights import disk_rules, figures, rules
from inventory.columns import disks_of, model_key

T = rules.Thresholds()


def run(n, *, cpu=100.0, glob=100.0, method="m1", **methods):
    return rules.Run(
        id=n,
        run_at=n,
        scores={
            "global": glob,
            "cpu": cpu,
            "memory": None,
            "disk": None,
            "network": None,
            "gpu": None,
        },
        methods={"cpu": method, **methods},
    )


def test_no_baseline_under_three_earlier_runs():
    assert rules.baseline(run(9), [run(8), run(7)], runs=5) is None


def test_the_baseline_is_the_median_of_the_newest_runs_measured_the_same_way():
    earlier = [run(8, cpu=90), run(7, cpu=110), run(6, cpu=100), run(5, cpu=1000, method="old")]
    assert rules.baseline(run(9, cpu=80), earlier, runs=5) == {
        "runs": 3,
        "scores": {"cpu": 100.0, "global": 100.0},
    }


def test_the_baseline_takes_only_the_newest_n_runs():
    """The older runs outnumber the newest three: a baseline of them all would be theirs."""
    newest = [run(n, cpu=50, glob=50) for n in (8, 7, 6)]
    older = [run(n, cpu=500, glob=500) for n in (5, 4, 3, 2)]
    assert rules.baseline(run(9), newest + older, runs=3) == {
        "runs": 3,
        "scores": {"cpu": 50.0, "global": 50.0},
    }


def test_a_changed_method_starts_a_new_baseline_for_that_category_and_the_global():
    earlier = [run(8), run(7), run(6)]
    assert rules.baseline(run(9, method="m2"), earlier, runs=5) is None


def test_a_median_between_two_scores_is_their_decimal_mean():
    """The floats' (46.16 + 46.51) / 2 is 46.334999…: the baseline read 46.33 where every
    other figure's 46.335 reads 46.34 (rounded half up), one median in a few."""
    earlier = [run(8, cpu=43.22), run(7, cpu=46.16), run(6, cpu=46.51), run(5, cpu=47.23)]
    cpu = rules.baseline(run(9), earlier, runs=5)["scores"]["cpu"]
    assert repr(cpu) == "46.335"
    assert repr(figures.median([44.54, 73.85])) == "59.195"  # (a peers' median)
    methods = ("m1", None, None, None, None)  # cpu's, the other categories' none
    peers = [rules.Member(n, True, score, methods) for n, score in ((1, 44.54), (2, 73.85))]
    medians, alike = rules.peer_median(rules.Group.whole(peers), 0, {"cpu": "m1"})
    assert alike == 2 and repr(medians["global"]) == "59.195"


def test_deviation_is_rounded_to_one_decimal():
    assert figures.deviation(88.1, 101.2) == -12.9
    assert figures.deviation(None, 10) is None and figures.deviation(5, 0) is None


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (
            "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz",
            "intel(r) core(tm)  i7-6700 cpu @ 3.40ghz",
            True,
        ),
        (" HP EliteDesk 800 G3 ", "hp elitedesk 800 g3", True),
        ("i7-6700", "i7-6700K", False),
    ],
)
def test_peer_keys(a, b, same):
    assert (model_key(a) == model_key(b)) is same


def test_peer_medians_compare_only_figures_measured_the_same_way():
    peers = [
        rules.Run(1, None, {"global": 100.0, "cpu": 100.0}, {"cpu": "m1"}),
        rules.Run(2, None, {"global": 110.0, "cpu": 120.0}, {"cpu": "m1"}),
        rules.Run(3, None, {"global": 500.0, "cpu": 500.0}, {"cpu": "other"}),
    ]
    grouped = rules.Peers(len(peers), [rules.Measured.of(peer) for peer in peers])  # one each
    assert rules.peer_medians({"cpu": "m1"}, grouped) == (
        {"cpu": 110.0, "global": 105.0},
        {"cpu": 2, "global": 2},
    )


def test_peers_grouped_by_methods_give_the_medians_of_the_peers_one_by_one():
    # how the selector hands a CPU model's machines over: one group per distinct methods
    grouped = rules.Peers(
        5,
        [
            rules.Measured({"cpu": "m1"}, {"global": (100.0, 90.0, None), "cpu": (1.0, 3.0, 2.0)}),
            rules.Measured({"cpu": "m2"}, {"global": (500.0, 400.0), "cpu": (9.0, 9.0)}),
        ],
    )
    # the global median of the two whose figure is known
    # the CPU's median is of the three figures measured alike, the global one of two
    assert rules.peer_medians({"cpu": "m1"}, grouped) == (
        {"cpu": 2.0, "global": 95.0},
        {"cpu": 3, "global": 2},
    )
    assert rules.peer_medians({"cpu": "m1"}, grouped, names=("global",)) == (
        {"global": 95.0},
        {"global": 2},
    )


def assess(**kwargs):
    assessment = rules.Assessment()
    defaults = {"peers_by_cpu": None, "peer_count": 0, "cpu_model": "i7", "thresholds": T}
    rules.score_conditions(assessment, **{**defaults, **kwargs})
    return assessment


def test_a_regression_beyond_the_threshold_is_a_condition_per_category():
    result = assess(latest={"global": 88.0, "cpu": 95.0}, own={"global": 100.0, "cpu": 100.0})
    assert [(c.kind, c.category) for c in result.holding] == [("score_regression", "global")]
    assert result.holding[0].message == "global score 12 % below its own baseline (100 → 88)"
    assert ("score_regression", "cpu", "") in result.over  # 5 % is within the 10 %


def test_thresholds_judge_the_exact_gap_not_the_rounded_one():
    """89.99 against a baseline of 100 is 10.01 % below, more than REGRESSION_PCT's 10 %: the
    gap was rounded to 10.0 first, and nothing opened. Its message then read "10 % below",
    which the rule is not: it reads 10.01 %, one decimal otherwise."""
    (condition,) = assess(latest={"cpu": 89.99}, own={"cpu": 100.0}).holding
    assert condition.message == "cpu score 10.01 % below its own baseline (100 → 89.99)"
    (condition,) = assess(latest={"cpu": 89.44}, own={"cpu": 100.0}).holding
    assert condition.message == "cpu score 10.6 % below its own baseline (100 → 89.44)"
    (condition,) = assess(latest={"cpu": 89.996}, own={"cpu": 100.0}).holding
    assert condition.message.startswith("cpu score 10.004 % below")
    assert assess(latest={"cpu": 90.0}, own={"cpu": 100.0}).holding == []  # 10 %: within
    peers = {"own": None, "peers_by_cpu": {"global": 100.0}, "peer_count": 2}
    (condition,) = assess(latest={"global": 84.99}, **peers).holding
    assert condition.message.startswith("global score 15.01 % below 2 other machines")
    assert assess(latest={"global": 85.0}, **peers).holding == []


def test_a_gap_exactly_at_the_threshold_is_within_it_whatever_the_floats_say():
    """125.1 against a baseline of 139 is 10 % below, exactly: the floats made it
    10.000000000000005 %, more than REGRESSION_PCT, and an item opened saying so; and
    85.85 against peers at 101 is 15 % below, which opened below_peers."""
    assert assess(latest={"cpu": 125.1}, own={"cpu": 139.0}).holding == []
    assert assess(latest={"cpu": 0.99}, own={"cpu": 1.1}).holding == []
    peers = {"own": None, "peers_by_cpu": {"global": 101.0}, "peer_count": 2}
    assert assess(latest={"global": 85.85}, **peers).holding == []
    (condition,) = assess(latest={"global": 85.84}, **peers).holding  # 15.01 %: beyond
    assert condition.message.startswith("global score 15.01 % below 2 other machines")


def test_the_baseline_is_judged_at_the_median_itself_not_at_its_hundredths():
    """The median of 100.01 … 100.04 is 100.025; rounded to 100.03 first, a run at 90.025,
    9.9975 % below it (within 10 %), was judged 10.002 % below, and an item opened."""
    earlier = [run(n, cpu=100 + n / 100) for n in (4, 3, 2, 1)]
    own = rules.baseline(run(5, cpu=90.025), earlier, runs=5)
    assert own["scores"]["cpu"] == pytest.approx(100.025)
    assert assess(latest={"cpu": 90.025}, own=own["scores"]).holding == []
    (condition,) = assess(latest={"cpu": 90.02}, own=own["scores"]).holding  # 10.002 %
    # said to 0.01, as the device page and the insights give the median (not "100.025")
    assert condition.message.endswith("below its own baseline (100.03 → 90.02)")


def test_the_peers_median_is_said_to_its_hundredths_half_up_as_the_page_says_it():
    """round() is half to even on binary floats: 114.975 read 114.97, 108.015 108.01."""
    for median, said in ((108.015, "108.02"), (114.975, "114.98")):
        gap = {"latest": {"global": 76.0}, "own": None, "peers_by_cpu": {"global": median}}
        (condition,) = assess(**gap, peer_count=2).holding
        assert condition.message.endswith(f"median {said})")


def test_a_gap_is_said_half_up_the_same_by_the_item_the_insights_and_the_page():
    """89.45 against 100 is 10.55 % below: the item said 10.6, the insights and the device
    page's sentence 10.5 (the float is 10.549999999999997)."""
    from insights.insight import insight_sentences

    (condition,) = assess(latest={"cpu": 89.45}, own={"cpu": 100.0}).holding
    assert "cpu score 10.6 % below its own baseline" in condition.message
    assert figures.deviation(89.45, 100.0) == -10.6
    answer = {
        "baseline": {"runs": 3, "scores": {"global": 100.0, "cpu": 100.0}},
        "deviation_pct": {"global": figures.deviation(89.45, 100.0, exact=True)},
        "peers": [],
    }
    assert insight_sentences(answer, T)[0].startswith("Its global score is 10.6 % below")


def test_one_peer_measured_alike_is_one_machine_and_its_figure_not_a_median():
    from insights.insight import insight_sentences

    peer = {"devices": 3, "median_devices": 1, "median": {"global": 113.21}}
    answer = {
        "baseline": None,
        "deviation_pct": {},
        "peers": [{**peer, "by": "cpu_model", "value": "i7", "deviation_pct": {"global": -57.8}}],
    }
    assert insight_sentences(answer, T) == [
        "Its global score is 57.8 % below 1 other machine with the same CPU (i7: 113.21)."
    ]


def test_below_peers_needs_two_peers():
    gap = {"latest": {"global": 76.0}, "own": None, "peers_by_cpu": {"global": 100.0}}
    assert assess(**gap, peer_count=1).holding == []
    (condition,) = assess(**gap, peer_count=2).holding
    assert condition.kind == "below_peers"
    assert "24 % below 2 other machines with the same CPU" in condition.message


def test_a_regression_and_a_machine_below_its_peers_are_warnings_not_critical():
    """Only a disk's items are critical: a slower run is listed below a failing disk on the
    dashboard and is notified as a warning, not a failure."""
    result = assess(
        latest={"global": 70.0},
        own={"global": 100.0},
        peers_by_cpu={"global": 100.0},
        peer_count=2,
    )
    assert [(c.kind, c.severity) for c in result.holding] == [
        ("score_regression", "warning"),
        ("below_peers", "warning"),
    ]


def disk(**readings):
    return {"name": "/dev/sda", "serial": "WD-1", "smart_health": "PASSED", **readings}


def disk_assess(latest, previous=None, open_disks=()):
    assessment = rules.Assessment()
    disk_rules.disk_conditions(
        assessment, latest=disks_of(latest), open_disks=list(open_disks), thresholds=T
    )
    disk_rules.rise_conditions(
        assessment, latest=disks_of(latest), previous=disks_of(previous or [])
    )
    return assessment


def test_a_failing_disk_is_critical_and_names_the_disk():
    (condition,) = disk_assess([disk(smart_health="FAILED")]).holding
    assert (condition.kind, condition.severity, condition.disk) == (
        "smart_failing",
        "critical",
        "WD-1",
    )
    assert condition.message == "disk /dev/sda (WD-1) reports SMART FAILED"


@pytest.mark.parametrize(
    ("identity", "named"),
    [
        ({"model": "WD40EFRX"}, "/dev/sda WD40EFRX (WD-1)"),
        ({"model": "WD40EFRX", "serial": None}, "/dev/sda WD40EFRX"),
        ({"model": "WD40EFRX", "name": None}, "WD40EFRX (WD-1)"),
        ({"model": " "}, "/dev/sda (WD-1)"),
    ],
)
def test_a_disk_is_named_by_its_slot_model_and_serial(identity, named):
    """ "disk /dev/sda (WD-WCC7K1234567) reports SMART FAILED" left a person to look up which
    model to buy and to find in the machine."""
    (condition,) = disk_assess([disk(smart_health="FAILED", **identity)]).holding
    assert condition.message == f"disk {named} reports SMART FAILED"


def test_passed_or_ok_closes_smart_failing_and_a_cool_disk_closes_disk_hot():
    result = disk_assess([disk(smart_health="ok", temperature_c=40)])
    assert result.holding == []
    assert {("smart_failing", "", "WD-1"), ("disk_hot", "", "WD-1")} <= result.over


def test_a_hot_disk_at_the_threshold():
    (condition,) = disk_assess([disk(temperature_c=60)]).holding
    assert condition.kind == "disk_hot" and "60 °C (limit 60 °C)" in condition.message


def test_rising_counters_are_degrading_and_equal_ones_are_not():
    before = [disk(reallocated_sectors=0, pending_sectors=2)]
    (condition,) = disk_assess([disk(reallocated_sectors=8, pending_sectors=2)], before).holding
    assert condition.kind == "smart_degrading"
    assert condition.message == "disk /dev/sda (WD-1) is degrading: reallocated sectors 0 → 8"
    assert disk_assess(before, before).holding == []


def rises(latest, previous, open_disks):
    assessment = rules.Assessment()
    disk_rules.rise_conditions(
        assessment, latest=disks_of(latest), previous=disks_of(previous), open_disks=open_disks
    )
    (condition,) = assessment.holding
    return condition.message


DEGRADING = ("smart_degrading", "WD-1", "disk /dev/sda (WD-1) is degrading: pending sectors 0 → 8")


def test_a_rise_told_before_keeps_its_last_reading_when_the_counter_is_not_read():
    """A new rise while the pending sectors were not read: "pending sectors 0 → 8" stays, not
    "0 → None"."""
    before = [disk(reallocated_sectors=0, pending_sectors=8)]
    now = [disk(reallocated_sectors=4)]
    assert rises(now, before, [DEGRADING]) == (
        "disk /dev/sda (WD-1) is degrading: reallocated sectors 0 → 4, pending sectors 0 → 8"
    )


def test_the_rises_told_are_a_degrading_item_s_even_when_the_disk_is_also_hot_or_failing():
    """The same disk's disk_hot or smart_failing item is no smart_degrading one: the rises its
    open degrading item told were lost ("pending sectors 0 → 8" forgotten)."""
    before = [disk(reallocated_sectors=0, pending_sectors=8)]
    now = [disk(reallocated_sectors=4, pending_sectors=8, temperature_c=65)]
    for other in (
        ("disk_hot", "WD-1", "disk /dev/sda (WD-1) is at 65 °C (limit 60 °C)"),
        ("smart_failing", "WD-1", "disk /dev/sda (WD-1) reports SMART FAILED"),
    ):
        told = [DEGRADING, other]
        assert rises(now, before, told) == (
            "disk /dev/sda (WD-1) is degrading: reallocated sectors 0 → 4, pending sectors 0 → 8"
        )


def test_a_disk_gone_closes_its_failing_and_hot_items():
    opened = [
        ("smart_failing", "WD-1", "disk /dev/sda (WD-1) reports SMART FAILED"),
        ("disk_hot", "WD-1", "disk /dev/sda (WD-1) is at 65 °C (limit 60 °C)"),
        ("smart_degrading", "WD-1", "disk /dev/sda (WD-1) is degrading: pending sectors 0 → 8"),
    ]
    replaced = [disk(serial="WD-2", smart_health="PASSED")]  # its replacement in its bay
    result = disk_assess(replaced, open_disks=opened)
    assert ("smart_failing", "", "WD-1") in result.over
    assert ("disk_hot", "", "WD-1") in result.over
    assert ("smart_degrading", "", "WD-1") not in result.over  # waits for a person


def test_a_disk_whose_health_or_temperature_was_not_read_keeps_its_items_open():
    """smart_failing closes when the disk reads PASSED or OK again, disk_hot when it is below
    the limit again: a run that read neither (smartctl not run) tells neither."""
    opened = [("smart_failing", "WD-1", "failing"), ("disk_hot", "WD-1", "hot")]
    result = disk_assess([disk(smart_health=None)], open_disks=opened)
    assert result.over == set() and result.holding == []


def test_a_snapshot_without_any_disk_leaves_a_degrading_item_as_it_was():
    """No disk read is no disk removed: an open smart_degrading item is not reworded as the
    disk "no longer in the machine"."""
    message = "disk /dev/sda (WD-1) is degrading: pending sectors 0 → 8"
    assessment = rules.Assessment()
    disk_rules.degrading_disks_gone(
        assessment,
        latest={},
        earlier=[disks_of([disk()])],
        open_disks=[("smart_degrading", "WD-1", message)],
    )
    assert assessment.holding == []


def test_a_degrading_item_said_replaced_keeps_its_words_once_its_disk_is_out_of_sight():
    """Said replaced by the disk in its slot, it stays so when the snapshots read no longer
    have the old disk (it read "no longer in the machine" and lost the replacement)."""
    message = (
        "disk /dev/sda (WD-1) is degrading: pending sectors 0 → 8 "
        "(replaced by WD40EFRX WD-2 in /dev/sda: acknowledge this once it is dealt with)"
    )
    assessment = rules.Assessment()
    disk_rules.degrading_disks_gone(
        assessment,
        latest=disks_of([disk(serial="WD-2", model="WD40EFRX")]),
        earlier=[],
        open_disks=[("smart_degrading", "WD-1", message)],
    )
    assert assessment.holding == []


def test_a_machine_left_without_a_snapshot_closes_its_disk_items_without_calling_them_gone():
    """Its only capture deleted (another machine's), nothing reads its disks: their items
    close, not said "no longer in the machine" of disks it may never have had."""
    assessment = rules.Assessment()
    disk_rules.disk_conditions(
        assessment,
        latest={},
        open_disks=[("smart_failing", "WD-1", "failing"), ("disk_hot", "WD-1", "hot")],
        thresholds=T,
        snapshot=False,
    )
    assert assessment.over == {("smart_failing", "", "WD-1"), ("disk_hot", "", "WD-1")}
    assert assessment.said_over == {}


def gone(earlier, latest):
    """What a closed smart_failing item of disk WD-1 says became of it."""
    assessment = rules.Assessment()
    disk_rules.disk_conditions(
        assessment,
        latest=disks_of(latest),
        open_disks=[("smart_failing", "WD-1", "failing")],
        thresholds=T,
        earlier=[disks_of(earlier)],
    )
    return assessment.said_over[("smart_failing", "", "WD-1")]


def test_a_disk_replaced_by_one_of_no_model_nor_serial_is_replaced_by_another_disk():
    failing = [disk(smart_health="FAILED")]
    assert gone(failing, [{"name": "/dev/sda", "smart_health": "PASSED"}]) == (
        " (replaced by another disk in /dev/sda)"
    )


def test_a_disk_without_a_name_gone_is_not_said_replaced_by_another_without_a_name():
    """Its slot unknown, no disk is in it: the other disk named by its serial alone was there
    before it and is still there."""
    failing = {"serial": "WD-1", "smart_health": "FAILED"}
    other = {"serial": "WD-2", "smart_health": "PASSED"}
    assert gone([failing, other], [other]) == " (no longer in the machine)"


def test_a_snapshot_without_any_disk_closes_nothing():
    """A run whose disks were not collected (a partial capture, no lsblk: storage null) closed
    every failing disk's item as "gone", with a "resolved" notification: the failing disk
    was no longer watched. No disk at all is no reading, not every disk removed."""
    opened = [("smart_failing", "WD-1", ""), ("disk_hot", "WD-1", "")]
    result = disk_assess([], open_disks=opened)
    assert result.over == set() and result.holding == []


def test_peers_found_under_both_keys_are_told_once():
    from insights.insight import insight_sentences

    peer = {"devices": 3, "median_devices": 3, "median": {"global": 100.0}}
    answer = {
        "baseline": None,
        "deviation_pct": {},
        "peers": [
            {**peer, "by": "cpu_model", "value": "i7", "deviation_pct": {"global": -20.0}},
            {**peer, "by": "system_model", "value": "OptiPlex", "deviation_pct": {"global": -20.0}},
        ],
    }
    assert insight_sentences(answer, T) == [
        "Its global score is 20 % below 3 other machines with the same CPU and system model "
        "(i7, OptiPlex: median 100)."
    ]


def test_category_figures_against_peers_say_whose_they_are_without_a_global_median():
    from insights.insight import insight_sentences

    answer = {
        "baseline": {"runs": 4, "scores": {"global": 80.0}},
        "deviation_pct": {"global": 0.0},
        "peers": [
            {
                "by": "cpu_model",
                "value": "i7",
                "devices": 3,
                "median_devices": 0,  # measured with other methods: no global median
                "median": {"memory": 99.0},
                "deviation_pct": {"memory": -39.4},
            }
        ],
    }
    assert insight_sentences(answer, T) == [
        "Its global score is level with its own baseline (the median of its 4 previous valid "
        "runs: 80).",
        "Against the 3 other machines with the same CPU (i7), by category:",
        "Its memory score is 39.4 % below theirs (99).",
    ]


def test_a_group_judges_each_machine_as_its_own_evaluation_does():
    """below_peers_in_group (every machine of a CPU model at once, after another's run) and
    score_conditions with peer_medians (one machine, at its own run) must agree, and
    below_peers_condition word it the same: random groups, mixed methods, ties, machines
    without a valid run."""
    import random

    from inventory.schema import CATEGORY_NAMES

    rng = random.Random(7)  # noqa: S311 (test data, not secrets)
    for _ in range(600):
        members = [
            rules.Member(
                n,
                rng.random() > 0.2,
                rng.choice([50.0, 80.0, 100.0, 100.0, rng.uniform(10, 150)]),
                (rng.choice(["v1", "v2"]), *([None] * (len(CATEGORY_NAMES) - 1))),
            )
            for n in range(rng.choice([rng.randint(1, 9), rng.randint(10, 60)]))
        ]
        members.sort(key=lambda member: member.score)  # as peer_selectors.peer_group gives them
        whole = rules.Group.whole(members)
        judged = rules.below_peers_in_group(whole, thresholds=T)
        # asked of none, it still finds every machine it holds for (the lowest first)
        holding = {pk for pk, held in judged.items() if held}
        assert rules.below_peers_in_group(whole, thresholds=T, of=set()) == dict.fromkeys(
            holding, True
        )
        # as peer_selectors reads a group: only the machines under the bound and those asked
        # of, beside each methods' count and middle figures; the same judgments
        asked = {m.id for m in members if rng.random() < 0.2}
        bound = rules.below_peers_bound(whole, T)
        sparse = whole._replace(members=[m for m in members if m.score < bound or m.id in asked])
        assert rules.below_peers_in_group(sparse, thresholds=T, of=asked) == {
            pk: held for pk, held in judged.items() if held or pk in asked
        }
        for member in members:
            methods = dict(zip(CATEGORY_NAMES, member.methods, strict=True))
            peers = rules.Peers(
                len(members) - 1,
                [
                    rules.Measured(
                        dict(zip(CATEGORY_NAMES, m.methods, strict=True)), {"global": (m.score,)}
                    )
                    for m in members
                    if m is not member
                ],
            )
            medians, counts = rules.peer_medians(methods, peers, names=("global",))
            alike = counts["global"]
            # the device's own evaluation reads the same median off the group's middle, with
            # every machine of the group or with its own row only (as peer_group reads it)
            assert rules.peer_median(whole, member.id, methods) == (medians, alike)
            alone = whole._replace(members=[member])
            assert rules.peer_median(alone, member.id, methods) == (medians, alike)
            one = rules.Assessment()
            rules.score_conditions(
                one,
                latest={"global": member.score},
                own=None,
                peers_by_cpu=medians,
                peer_count=alike,
                cpu_model="CPU X",
                thresholds=T,
            )
            # a machine whose figure is no valid run's is below no one: over, like one
            # without two peers measured alike (its own evaluation closes it too)
            assert judged[member.id] == (member.valid and bool(one.holding))
            if member.valid:
                # and the item's words are those of its own evaluation
                condition = rules.below_peers_condition(
                    member, whole, cpu_model="CPU X", thresholds=T
                )
                assert condition == (one.holding[0] if one.holding else None)


def test_a_machine_asked_of_in_a_group_too_small_is_over():
    """Two machines alike: neither has two others to be below; one asked of (its item open)
    is over, so that its item closes."""
    methods = ("v1", *([None] * 4))
    group = rules.Group.whole(
        [rules.Member(1, True, 50.0, methods), rules.Member(2, True, 100.0, methods)]
    )
    assert rules.below_peers_in_group(group, thresholds=T, of={1}) == {1: False}
    assert rules.below_peers_in_group(group, thresholds=T, of=set()) == {}


def _group_with(others, standing):
    """The group of `others` and machine 0 at `standing` ((methods, figure); None: not there)."""
    members = list(others)
    if standing is not None:
        members.append(rules.Member(0, True, standing[1], standing[0]))
    return rules.Group.whole(sorted(members, key=lambda member: member.score))


def _others_judged(group, others):
    """The others' judgments: the machine itself is judged by its own evaluation."""
    judged = rules.below_peers_in_group(group, thresholds=T, of={m.id for m in others})
    return {pk: held for pk, held in judged.items() if pk}


def test_a_figure_that_stays_beyond_the_middle_leaves_every_other_judgment_as_it_was():
    """median_moved says False only when no other machine's median, nor its judgment, changed
    with one machine's new figure: random groups, ties, two methods, machines joining, leaving
    or measured another way, figures crossing the middle or landing on it."""
    import random

    from inventory.schema import CATEGORY_NAMES

    rng = random.Random(11)  # noqa: S311 (test data, not secrets)
    kinds = [(name, *([None] * (len(CATEGORY_NAMES) - 1))) for name in ("v1", "v2")]
    told = {True: 0, False: 0}
    for _ in range(3000):
        others = [
            rules.Member(
                n,
                rng.random() > 0.2,
                rng.choice([50.0, 80.0, 100.0, 100.0, round(rng.uniform(10, 150), 1)]),
                rng.choice(kinds),
            )
            for n in range(1, rng.choice([rng.randint(1, 6), rng.randint(7, 40)]))
        ]
        scores = sorted({m.score for m in others} | {100.0})
        places = []
        for _ in range(2):  # where it was, where it is: a figure of another's, or any
            figure = rng.choice([rng.choice(scores), round(rng.uniform(5, 200), 1)])
            methods = rng.choice(kinds) if rng.random() < 0.1 else kinds[0]
            places.append(None if rng.random() < 0.1 else (methods, figure))
        before, after = places
        if rng.random() < 0.1:
            after = before  # nothing changed

        was, now = _group_with(others, before), _group_with(others, after)
        moved = rules.median_moved(now, before, after)
        told[moved] += 1
        if moved:
            continue
        assert _others_judged(was, others) == _others_judged(now, others)
        for member in others:
            assert rules.below_peers_condition(
                member, was, cpu_model="CPU X", thresholds=T
            ) == rules.below_peers_condition(member, now, cpu_model="CPU X", thresholds=T)
    assert min(told.values()) > 500  # both cases were tried, many times


def test_a_figure_crossing_the_middle_or_a_machine_joining_moves_the_median():
    methods = ("v1", *([None] * 4))
    group = rules.Group.whole(
        [rules.Member(n, True, score, methods) for n, score in enumerate((10.0, 50, 60, 70, 99))]
    )  # middle figures: 50, 60, 70
    assert not rules.median_moved(group, (methods, 90.0), (methods, 99.0))
    assert not rules.median_moved(group, (methods, 5.0), (methods, 10.0))
    assert rules.median_moved(group, (methods, 40.0), (methods, 99.0))  # crossed
    assert rules.median_moved(group, (methods, 90.0), (methods, 70.0))  # onto the middle
    assert rules.median_moved(group, None, (methods, 99.0))  # joined
    assert rules.median_moved(group, (methods, 99.0), None)  # left
    assert rules.median_moved(group, (("v2", *methods[1:]), 99.0), (methods, 99.0))
    assert not rules.median_moved(group, None, None)


def test_a_machine_exactly_the_gap_below_its_peers_is_not_below_them_in_a_group_either():
    """ "More than 15 % below": 85 against peers at 100 is not, judged on its own run or with
    its CPU model's machines after another's (the two ways disagreed, the item flapping)."""
    thresholds = rules.Thresholds()
    methods = ("m1", None, None, None, None)
    for low, below in ((85.0, False), (84.99, True)):
        members = [rules.Member(1, True, low, methods)] + [
            rules.Member(n, True, 100.0, methods) for n in (2, 3, 4)
        ]
        group = rules.Group.whole(members)

        assert rules.below_peers_in_group(group, thresholds=thresholds, of={1}) == {1: below}
        alone = rules.below_peers_condition(members[0], group, cpu_model="x", thresholds=thresholds)
        assert (alone is not None) == below
