"""GET /api/devices/{id}/insights: the device's latest run against its own baseline and its
peers, each disk's SMART history, and its open attention items (CONTRACT Part 2)."""

from collections.abc import Callable
from typing import Any

from benchmarks.scoring import round_score
from inventory.columns import MODEL_KEYS, SMART_FIELDS, one_line
from inventory.models import Device
from inventory.schema import CATEGORIES

from . import figures, peer_selectors, rules, selectors


def disk_histories(snapshots: list[dict]) -> list[dict[str, Any]]:
    """Each disk (by serial, by name without one) with its SMART readings per snapshot, oldest
    first; disks in the order the newest snapshot lists them, then the ones gone."""
    disks: dict[str, dict[str, Any]] = {}
    for snapshot in snapshots:  # newest first: a disk's name and model are its latest
        for key, disk in snapshot["disks"].items():
            entry = disks.setdefault(
                key,
                {
                    "serial": disk.get("serial"),
                    "name": disk.get("name"),
                    "model": disk.get("model"),
                    "history": [],
                },
            )
            entry["history"].append(
                {
                    "snapshot_id": snapshot["id"],
                    "captured_at": snapshot["captured_at"],
                    **{name: disk.get(name) for name in SMART_FIELDS},
                }
            )
    for entry in disks.values():
        entry["history"].reverse()
    return list(disks.values())


def device_insights(
    device: Device, *, snapshots: int | None = None, exact: bool = False
) -> dict[str, Any]:
    """What GET /api/devices/{id}/insights answers: each disk's SMART history over the
    newest `snapshots` (the API's ?smart_points=), or over every snapshot (the device page's,
    which draws and tells it in bounded charts and spans). `exact`: the deviations as the
    attention rules judge them (the page's sentences), not to 0.1 %."""
    # here, not at import: the admin's device page imports this module at start, and DRF's
    # serializers cost a process 0.17 s of CPU that a manage.py command need not pay
    from .serializers import AttentionItemSerializer

    thresholds = selectors.thresholds()
    latest, earlier = selectors.device_runs(device.pk)
    answer: dict[str, Any] = {
        "latest": None,
        "baseline": None,
        "deviation_pct": {},
        "peers": [],
        "disks": disk_histories(selectors.device_snapshots(device.pk, limit=snapshots)),
        "attention": AttentionItemSerializer(selectors.open_items(device.pk), many=True).data,
    }
    if latest is None:
        return answer
    answer["latest"] = {"benchmark_id": latest.id, "run_at": latest.run_at, "scores": latest.scores}
    own = rules.baseline(latest, earlier, runs=thresholds.baseline_runs)
    if own is not None:
        # shown to 0.01, as the scores are; the deviations, as judged, from the median itself
        answer["baseline"] = {**own, "scores": _hundredths(own["scores"])}
        answer["deviation_pct"] = figures.deviations(latest.scores, own["scores"], exact=exact)
    snapshot = device.latest_snapshot
    for key in MODEL_KEYS:
        value = getattr(snapshot, key, "") if snapshot else ""
        peers = peer_selectors.device_peers(device.pk, key, value)
        if peers.count < 2:
            continue
        medians, counts = rules.peer_medians(latest.methods, peers)
        alike = counts.pop("global")
        answer["peers"].append(
            {
                "by": key,
                "value": value,
                "devices": peers.count,
                # of those, the ones measured as the latest run was: the global median's
                "median_devices": alike,
                # and each category's (an extension): measured alike in that category alone
                "median_devices_by_category": counts,
                "median": _hundredths(medians),
                "deviation_pct": figures.deviations(latest.scores, medians, exact=exact),
            }
        )
    return answer


def _hundredths(figures: dict[str, float]) -> dict[str, float]:
    # half up, as every score is said (114.975 is 114.98, where round() gave 114.97)
    return {name: round_score(value, 2) for name, value in figures.items()}


def _gap(deviation_pct: float, limit: float | None = None) -> str:
    """ "10.6 % below": to 0.1 %, half up, as an item says it; a gap beyond `limit` never
    reads as the limit itself ("3 % below" of a 3.04 % gap that opened an item)."""
    amount = abs(deviation_pct)
    if limit is not None and amount > limit:
        shown = figures.pct_beyond(amount, limit)
    else:
        shown = f"{round_score(amount, 1):g}"
    if shown == "0":
        return "level with"
    return f"{shown} % {'below' if deviation_pct < 0 else 'above'}"


def _others(count: int, whats: list[str]) -> str:
    return f"{count} other machine{'' if count == 1 else 's'} with the same {' and '.join(whats)}"


def insight_sentences(
    answer: dict[str, Any], thresholds: rules.Thresholds | None = None
) -> list[str]:
    """The insights as a person reads them on the device page: the global score against its
    own baseline and its peers, then each category that is further off than the attention
    rules' thresholds (a CPU at half its twins' speed, though the global score hides it)."""
    thresholds = thresholds or selectors.thresholds()
    sentences = []
    baseline, own = answer["baseline"], answer["deviation_pct"]
    if (gap := own.get("global")) is not None:
        sentences.append(
            f"Its global score is {_gap(gap, thresholds.regression_pct)} its own baseline "
            f"(the median of its "
            f"{baseline['runs']} previous valid runs: {baseline['scores']['global']:g})."
        )
    sentences += _categories_off(
        own, baseline["scores"] if baseline else {}, thresholds.regression_pct
    )
    # the same machines under both keys (same CPU, same system model): said once
    groups: dict[tuple, tuple[list[str], list[str], dict]] = {}
    for peer in answer["peers"]:
        what = "CPU" if peer["by"] == "cpu_model" else "system model"
        key = (peer["median_devices"], tuple(sorted(peer["median"].items())))
        whats, values, _ = groups.setdefault(key, ([], [], peer))
        whats.append(what)
        values.append(peer["value"])
    for whats, values, peer in groups.values():
        # the CPU's model, and the system's when both; without a direction character, which
        # turned the median that follows around
        named = ", ".join(one_line(value) for value in values)
        gap = peer["deviation_pct"].get("global")
        off = _categories_off(
            peer["deviation_pct"],
            peer["median"],
            thresholds.peer_gap_pct,
            _theirs(peer, whats, peer["median_devices"] if gap is not None else peer["devices"]),
        )
        if gap is not None:
            # one machine measured alike: its figure, no median ("1 other machines: median")
            alike, figure = peer["median_devices"], f"{peer['median']['global']:g}"
            sentences.append(
                f"Its global score is {_gap(gap, thresholds.peer_gap_pct)} "
                f"{_others(alike, whats)} "
                f"({named}: {figure if alike == 1 else f'median {figure}'})."
            )
        elif off:  # no global median to compare (measured otherwise): whose figures these are
            sentences.append(
                f"Against the {_others(peer['devices'], whats)} ({named}), by category:"
            )
        sentences += off
    return sentences


def _categories_off(
    deviations: dict[str, float],
    reference: dict[str, float],
    threshold: float,
    whose: Callable[[str, float], str] = lambda name, value: f"its own baseline ({value:g})",
) -> list[str]:
    """A sentence for each category further off `reference` than `threshold`, its median said
    as `whose` says it (its own baseline's by default)."""
    return [
        f"Its {_LABELS[name]} score is {_gap(gap, threshold)} {whose(name, reference[name])}."
        for name, gap in deviations.items()
        if name != "global" and abs(gap) > threshold
    ]


def _theirs(peer: dict, whats: list[str], named: int) -> Callable[[str, float], str]:
    """A category's peer median said as "theirs" where it is of the `named` machines the
    sentence before counted, else with its own count: a CPU median of 5 machines read as the
    4 whose global median was just said (those measured alike in every category)."""
    counts = peer.get("median_devices_by_category", {})

    def whose(name: str, value: float) -> str:
        count = counts.get(name, named)
        if count == named:
            return f"theirs ({value:g})"
        # one machine measured alike: its figure, no median
        return f"{_others(count, whats)} ({'' if count == 1 else 'median '}{value:g})"

    return whose


_LABELS = {category.name: category.label for category in CATEGORIES}  # "CPU", "memory", …
