"""Which run a device is ranked by: what a new run changes of its device's columns (the
latest run, the ranking figures), as plain data; benchmarks.services.device_ranking_refresh
recomputes the same from the stored runs."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from . import changelog, lifecycle
from .columns import methods_key
from .models import Device
from .services import devices_service_told

KEYS_BATCH = 2000  # devices per UPDATE of device_methods_keys_refresh


@dataclass(frozen=True)
class RunRecord:
    """What a device keeps of one of its runs (benchmarks.services makes it)."""

    run_at: datetime
    valid: bool
    validity: str
    reasons: Sequence[str]
    snapshot_id: int | None
    snapshot_at: datetime | None  # when that snapshot was captured
    figures: Mapping[str, float | None]  # global_score, cpu_score, ...
    # the snapshot's cpu_model_key and system_model_key (columns.model_keys): required, so that
    # no caller moves latest_snapshot and leaves the peer keys of the one before
    model_keys: Mapping[str, str]
    # when it arrived (received_at): the device's last_received_at, its "heard from"
    received_at: datetime | None = None


class PeerPlace(NamedTuple):
    """Where a device stands among the machines of its CPU model (the index of peers,
    inventory_device_peers): its model's key, its ranking methods' key and its global figure,
    None when it is not among them (no figure, no snapshot or no CPU model)."""

    key: str
    methods_key: str
    score: float | None

    @classmethod
    def of(cls, device: Device) -> "PeerPlace":
        among = bool(device.cpu_model_key) and device.latest_snapshot_id is not None
        score = device.global_score if among else None
        return cls(device.cpu_model_key, device.ranking_methods_key, score)


class Ranked(NamedTuple):
    """The run a device is ranked by, as far as the rule reads it: its time, whether it is a
    valid run with a score (ranking_run_valid) and its global score (None: the device is
    ranked by a run without any, or by none)."""

    run_at: datetime | None
    valid: bool = False
    score: float | None = None

    def taken_by(self, run_at: datetime, *, valid: bool, score: float | None) -> bool:
        """Whether a run of this time, validity and global score ranks the device instead: the
        newest valid run with a score, else the newest with a score, else the newest run (a
        tie in time goes to the run taken last, the newest stored)."""
        newer = self.run_at is None or run_at >= self.run_at
        # a run without any score (every category skipped) ranks no one while another has one
        if score is not None and valid:
            return newer or not self.valid
        if score is not None:
            return not self.valid and (newer or self.score is None)
        return self.score is None and newer


def device_run_changes(device: Device, run: RunRecord) -> dict[str, Any]:
    """The device columns a new run changes (CONTRACT Part 2, "Run validity"): the latest-run
    columns when it is the newest run; the latest snapshot when its snapshot is the newest by
    capture time; the ranking figures when it is the newest valid run, or the newest run of a
    device that has no valid one. A run without any score (every category skipped) takes the
    ranking only from another without one. An older run (a capture replayed days later)
    takes its place in the past and changes none."""
    changes: dict[str, Any] = {}
    if device.last_benchmark_at is None or run.run_at >= device.last_benchmark_at:
        changes.update(
            last_benchmark_at=run.run_at,
            latest_validity=run.validity,
            latest_validity_reasons=list(run.reasons),
        )
    # heard from: by its arrival, whatever its run time (a clock behind, a capture replayed)
    if run.received_at is not None and (
        device.last_received_at is None or run.received_at > device.last_received_at
    ):
        changes["last_received_at"] = run.received_at
    # by the snapshots' own times (devices_latest_snapshot_refresh's rule), not the runs': a
    # deleted run keeps its snapshot, newer than the runs left, and a capture replayed after
    # the deletion took the device's hardware back to its older snapshot
    unknown = device.latest_snapshot_id is None or device.latest_snapshot_at is None
    if run.snapshot_id is not None and (unknown or run.snapshot_at >= device.latest_snapshot_at):
        changes.update(
            latest_snapshot_id=run.snapshot_id,
            latest_snapshot_at=run.snapshot_at,
            **run.model_keys,
        )
    scored = run.figures.get("global_score") is not None
    ranked = Ranked(device.ranking_run_at, bool(device.ranking_run_valid), device.global_score)
    if ranked.taken_by(run.run_at, valid=run.valid, score=run.figures.get("global_score")):
        changes.update(
            ranking_run_at=run.run_at, ranking_run_valid=run.valid and scored, **run.figures
        )
    # a retired machine that runs bench.sh again (that day or later) is back in service; a
    # capture of before its retirement replayed is its past
    if device.retired_on is not None and lifecycle.day_of(run.run_at) >= device.retired_on:
        changes["retired_on"] = None
    return changes


def device_run_record(*, device: Device, run: RunRecord, actor: Any = None) -> dict[str, Any]:
    """Keep a new run on its device (one UPDATE of the columns it changes). A run that brings
    a retired machine back into service says so in its history, as done by `actor` (the
    submitting token), and tells the apps above, as a person's undo does (what its retirement
    closed opens again, in this transaction: a smart_degrading item, opened only by a rise,
    was otherwise never seen again). A run of a device in service costs no query more.

    `device` must be the row as read in this transaction, locked (device_find_or_create).
    """
    retired_on = device.retired_on
    changes = device_run_changes(device, run)
    if "retired_on" in changes:
        ran = lifecycle.day_of(run.run_at).isoformat()
        message = f"Back in service: a bench.sh run of {ran}, on or after its retirement: "
        message += changelog.describe_changes({"retired_on": (retired_on, None)}) + "."
        changelog.device_history_log(actor=actor, entries=[changelog.Entry(device, message)])
    if changes:
        Device.objects.filter(pk=device.pk).update(**changes)
        for name, value in changes.items():
            setattr(device, name, value)
    if "retired_on" in changes:
        devices_service_told({device.pk: (retired_on, None)}, by_run=True)
    return changes


def device_methods_keys_refresh(devices) -> dict[str, int]:
    """Bring the `ranking_methods_key` of these devices (a queryset) in line with their
    `ranking_methods` and `ranking_excluded`, after an UPDATE that set the methods in SQL
    (device_ranking_refresh) or a server of an earlier version that knows no key stored runs
    (or left out no category of it): one read, and one UPDATE per key that changed (a fleet
    has a few). How many devices it changed, per CPU model key: the peers' medians of those
    models moved."""
    moved: dict[str, list[int]] = {}
    models: dict[str, int] = {}
    rows = devices.values_list(
        "pk", "ranking_methods", "ranking_excluded", "ranking_methods_key", "cpu_model_key"
    )
    for pk, methods, excluded, key, model in rows:
        if (new := methods_key(methods, excluded)) != key:
            moved.setdefault(new, []).append(pk)
            models[model] = models.get(model, 0) + 1
    for key, pks in moved.items():
        for start in range(0, len(pks), KEYS_BATCH):
            Device.objects.filter(pk__in=pks[start : start + KEYS_BATCH]).update(
                ranking_methods_key=key
            )
    return models
