"""How a rescore moves the machines in the ranking (the dashboard's: the machines in service with
a run, the best global figure first): each one's figure and place before and after, the biggest
moves first. A figure and a hostname a machine, never a row a run."""

import heapq
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from inventory.models import Device
from inventory.selectors import device_ranked

SHOWN_MOVES = 20  # the machines whose place moves most, listed; the others counted


class Standing(NamedTuple):
    hostname: str
    score: float | None  # its ranking figure, its global score (None: ranked last)


# why a machine leaves the ranking, as the rescore says it, in the order it counts them
NO_RUN, RETIRED, DELETED = "having no run", "retired meanwhile", "deleted meanwhile"
WHY_LEFT = (NO_RUN, RETIRED, DELETED)


class Left(NamedTuple):
    """A machine that leaves the ranking: it has no run (a rescore clears its figures), or it
    was retired or deleted while the rescore ran."""

    hostname: str
    place_before: int
    score_before: float | None
    why: str = NO_RUN


class Move(NamedTuple):
    hostname: str
    place_before: int
    place_after: int
    score_before: float | None
    score_after: float | None


@dataclass
class RankingMoves:
    ranked: int = 0  # machines in the ranking
    moved: int = 0  # of them, those whose place changes
    refigured: int = 0  # those whose figure changes, in place or not
    shown: list[Move] = field(default_factory=list)  # the SHOWN_MOVES biggest moves
    left: int = 0  # machines that leave it, having no run, retired or deleted
    shown_left: list[Left] = field(default_factory=list)  # the SHOWN_MOVES first of them
    left_by: dict[str, int] = field(default_factory=dict)  # how many of each WHY_LEFT


def ranking_standings() -> dict[int, Standing]:
    """The ranking's machines by hostname and id, in the database's order (the ranking's own
    tie-break among equal figures), with their ranking figures as stored."""
    rows = device_ranked().order_by("hostname", "id").values_list("pk", "hostname", "global_score")
    return {pk: Standing(hostname, score) for pk, hostname, score in rows}


def why_left(device_ids: Collection[int]) -> dict[int, str]:
    """Why each of these machines, gone from the ranking, left it (WHY_LEFT): deleted (its row
    gone), retired, or else having no run. One query, none for no machine."""
    if not device_ids:
        return {}
    rows = dict(Device.objects.filter(pk__in=device_ids).values_list("pk", "retired_on"))
    return {
        pk: DELETED if pk not in rows else RETIRED if rows[pk] is not None else NO_RUN
        for pk in device_ids
    }


def ranking_moves(
    before: Mapping[int, Standing],
    after: Mapping[int, Standing],
    why: Mapping[int, str] | None = None,
) -> RankingMoves:
    """The ranking's moves from `before` to `after` (ranking_standings: the same machines,
    their figures changed or not, less those that leave it); `why`: why each one that leaves
    it left (why_left), NO_RUN when not given."""
    places_before, places_after = _places(before), _places(after)
    moves = RankingMoves(ranked=len(after))
    left = [
        Left(was.hostname, places_before[pk], was.score, (why or {}).get(pk, NO_RUN))
        for pk, was in before.items()
        if pk not in after
    ]
    moves.left = len(left)
    for reason in WHY_LEFT:
        if count := sum(gone.why == reason for gone in left):
            moves.left_by[reason] = count
    moves.shown_left = heapq.nsmallest(SHOWN_MOVES, left, key=lambda gone: gone.place_before)
    moved: list[Move] = []  # a few tuples a machine at most, none a run
    for pk, now in after.items():
        was = before.get(pk)
        if was is None:  # a machine that came in meanwhile (its first run) has no move
            continue
        moves.refigured += was.score != now.score
        if places_before[pk] != places_after[pk]:
            moved.append(
                Move(now.hostname, places_before[pk], places_after[pk], was.score, now.score)
            )
    moves.moved = len(moved)
    # the biggest moves first, then by the place they take
    moves.shown = heapq.nsmallest(
        SHOWN_MOVES, moved, key=lambda m: (-abs(m.place_before - m.place_after), m.place_after)
    )
    return moves


def _places(standings: Mapping[int, Standing]) -> dict[int, int]:
    """Each machine's place, from 1: by its figure, best first, those without one last, then
    in the standings' order (hostname, id)."""
    order = sorted(
        (now.score is None, -(now.score or 0), index, pk)
        for index, (pk, now) in enumerate(standings.items())
    )
    return {pk: place for place, (*_, pk) in enumerate(order, start=1)}
