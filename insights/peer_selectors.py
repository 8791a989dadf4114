"""The machines alike (CPU model, system model) as the rules see them: their figures grouped by
how they were measured, a CPU model's group for below_peers (read off the index of peers: how
many, their middle figures and the lowest ones, whatever the model's size), and the lock that
orders the judgments of one group. Selectors, as insights.selectors: queries only, no writes."""

import contextlib
import functools
import hashlib
import itertools
import json
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import Count, OuterRef, Subquery, TextField
from django.db.models.functions import Cast

from benchmarks import validity
from benchmarks.models import Benchmark
from benchsite.prepared import Prepared
from inventory.columns import methods_compared, methods_of_key, model_key
from inventory.models import Device
from inventory.runs import PeerPlace

from . import rules, selectors
from .models import AttentionItem, Kind

FIGURE_NAMES = rules.FIGURE_NAMES  # "global", "cpu", …
T = TypeVar("T")


def device_peers(
    device_id: int, key: str, value: str, *, figures: Sequence[str] = FIGURE_NAMES
) -> rules.Peers:
    """The other benchmarked devices whose latest snapshot has this `value` of `key` (cpu_model
    or system_model): how many, and their ranking figures (`figures`, all by default; a
    submission's evaluation reads only "global") grouped by the methods they were measured
    with. One query, none for no value. A CPU model may be shared by thousands of machines: rows
    are read as tuples sorted by their methods' text (one bench.sh version makes one), grouped,
    and each group's methods decoded once."""
    wanted = model_key(value)
    if not wanted:
        return rules.Peers(0, [])
    rows = _peers_query(key, tuple(figures)).rows(wanted=wanted, device_id=device_id)
    # per methods' and exclusions' text, per figure its values; the rows come sorted by them
    by_methods: dict[tuple[str | None, str | None], list[list[float | None]]] = {}
    for (text, excluded), group in itertools.groupby(rows, key=_METHODS_AND_EXCLUDED):
        if excluded and excluded != "[]":  # a figure left out of its global score: not a peer's
            left_out = json.loads(excluded)
            group = [
                tuple(validity.counted(dict(zip(figures, row, strict=False)), left_out).values())
                for row in group
            ]
        columns = by_methods.setdefault((text, excluded), [[] for _ in figures])
        # the group's columns: its figures', then its methods and exclusions (not kept)
        for column, values in zip(columns, zip(*group, strict=True), strict=False):
            column.extend(values)
    measured = []
    for (text, excluded), columns in by_methods.items():
        methods = json.loads(text) if text else None
        left_out = json.loads(excluded) if excluded else ()
        measured.append(
            rules.Measured(
                # a global without a left-out figure is measured unlike one with it
                methods_compared(methods if isinstance(methods, dict) else {}, left_out),
                dict(zip(figures, columns, strict=True)),
            )
        )
    return rules.Peers(len(rows), measured)


_METHODS_AND_EXCLUDED = operator.itemgetter(-2, -1)


@functools.cache
def _peers_query(key: str, figures: tuple[str, ...]) -> Prepared:
    return Prepared(
        lambda wanted, device_id: (
            # the key column follows latest_snapshot: a deleted latest snapshot leaves no peer
            Device.objects.filter(**{f"{key}_key": wanted}, latest_snapshot__isnull=False)
            .filter(global_score__isnull=False)
            .exclude(pk=device_id)
            .annotate(
                methods=Cast("ranking_methods", TextField()),
                excluded=Cast("ranking_excluded", TextField()),
            )
            .values_list(*(f"{name}_score" for name in figures), "methods", "excluded")
            .order_by("methods", "excluded")  # grouped by device_peers
        ),
        wanted=str,
        device_id=int,
    )


# the longest wait for a CPU model's lock (_advisory_lock), when the role sets none
LOCK_WAIT = "30s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout
# the lock asked once the subquery has set the bound (set_config is volatile: not folded away)
_BOUNDED = (
    " FROM (SELECT set_config('lock_timeout', CASE current_setting('lock_timeout') WHEN '0' "
    "THEN %s ELSE current_setting('lock_timeout') END, true)) AS bound"
)
# each id of the array in turn, in the array's order: unnest gives its rows so and each row's
# lock is taken as it comes (no ORDER BY or LIMIT to evaluate them in another order)
_EACH = ", unnest(%s::bigint[]) AS ids(id)"
_SESSION_LOCK = "SELECT pg_advisory_lock(ids.id)" + _BOUNDED + _EACH
_TRANSACTION_LOCK = "SELECT pg_advisory_xact_lock(ids.id)" + _BOUNDED + _EACH


def _lock_id(key: str) -> int:
    digest = hashlib.blake2b(f"below_peers:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def peer_group_lock(*keys: str) -> None:
    """Until the transaction ends, judge below_peers for the machines of these CPU models (their
    inventory.columns.model_key) alone: on PostgreSQL an advisory lock each, so that a
    judgment reads every run and item the ones before it wrote (two judgments read each
    other's state half-written otherwise); SQLite's write transactions already take turns.
    Several are taken in one statement, in the order of their keys, the order every judgment of
    several models takes them (a rescore's batch took them in a statement each). Granted at
    once inside peer_group_judged for the same key."""
    keys = sorted({key for key in keys if key})
    if keys and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _advisory_lock(cursor, _TRANSACTION_LOCK, keys)


class ModelsMoved(Exception):
    """Read under the machines' rows: models whose judgments were not locked (models_locked)."""

    def __init__(self, keys: set[str]) -> None:
        super().__init__(sorted(keys))
        self.keys = keys


def models_locked(keys: Iterable[str], work: Callable[[frozenset[str]], T]) -> T:
    """work(locked) in a transaction (a savepoint inside one) that first locks the judgments of
    the CPU models `keys` (peer_group_lock), as every judgment takes them before the rows.
    The models are read before the rows are locked: a run on another CPU stored meanwhile moves
    a machine to a model not locked, which `work` finds under the rows' locks (models_needed:
    ModelsMoved); all it did is then rolled back, the locks given back, and it is done again
    with that model locked too, in order. Taken after the rows, the lock waited for a judgment
    waiting for them; not taken, a judgment of the model read the machine half-written."""
    locked = frozenset(key for key in keys if key)
    while True:
        try:
            with transaction.atomic():
                peer_group_lock(*locked)
                return work(locked)
        except ModelsMoved as moved:  # each time one more model at least: a bounded loop
            locked |= moved.keys


def models_needed(locked: frozenset[str], keys: Callable[[], Iterable[str]]) -> None:
    """Inside models_locked: ModelsMoved if a model of keys() is not among those `locked`.
    PostgreSQL only, where keys() is read: SQLite's write transactions take turns, a read
    under one is never half-way through another's writes."""
    if connection.vendor != "postgresql":
        return
    if missing := {key for key in keys() if key} - locked:
        raise ModelsMoved(missing)


def _advisory_lock(cursor, sql: str, keys: list[str]) -> None:
    """Take the models' locks (`sql`: the session's or the transaction's), waiting at most
    LOCK_WAIT unless the role sets a lock_timeout of its own: a judgment holds the lock for
    milliseconds, so a wait that long is a lock left held, an error logged rather than requests
    hanging unsaid. The bound holds to the transaction's end (a row lock waited on as long is
    stuck as well). One statement: the bound is set by the subquery, before a lock is asked."""
    try:
        cursor.execute(sql, [LOCK_WAIT, [_lock_id(key) for key in keys]])
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise  # cancelled, or the connection lost: said as it is
        models = f"CPU model {keys[0]!r}" if len(keys) == 1 else f"CPU models {keys!r}"
        raise OperationalError(
            f"waited longer than lock_timeout ({LOCK_WAIT} unless the role sets one) for the "
            f"below_peers judgments of {models}: their lock is held by a connection "
            "that does not let it go (a transaction-mode pooler, such as PgBouncer's pool_mode "
            "= transaction, hands a session's lock to other clients: README, Several servers)"
        ) from exc


@contextlib.contextmanager
def peer_group_judged(key: str) -> Iterator[None]:
    """Judge below_peers for the machines of this CPU model alone while inside (PostgreSQL: its
    advisory lock, held by the connection, not by a transaction, so that the rows the judgment
    writes are each locked in a short transaction of their own, never two at once: a rescore
    locks every device row, in order). Inside a transaction, the transaction's lock
    (peer_group_lock), given back by its end or its rollback."""
    if not key or connection.vendor != "postgresql":
        yield
        return
    if connection.in_atomic_block:
        peer_group_lock(key)
        yield
        return
    # a session lock taken in a transaction outlives it, and the transaction bounds the wait;
    # a wait that times out or is cancelled takes nothing
    with transaction.atomic(), connection.cursor() as cursor:
        _advisory_lock(cursor, _SESSION_LOCK, [key])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_id(key)])
        except DatabaseError:
            # a connection kept for the next request would hold it: its session's locks go
            # with it
            connection.close()


def below_peers_acknowledged(device_ids: set[int]) -> set[int]:
    """Which of these devices have a below_peers item a person acknowledged since their newest
    run arrived and since below_peers was last unmuted on them (selectors.still_acknowledged:
    acknowledged_since_newest_run, for several devices), or below_peers muted (insights.mute):
    those whose item stays closed. One query."""
    newest = Benchmark.objects.filter(device_id=OuterRef("device_id")).order_by("-id")
    acknowledged = (
        AttentionItem.objects.filter(
            kind=Kind.BELOW_PEERS,
            device_id=OuterRef("pk"),
            closed_at__gte=Subquery(newest.values("received_at")[:1]),
        )
        .exclude(closed_by="")
        .order_by("-closed_at")
        .values("closed_at")
    )
    rows = (
        Device.objects.filter(pk__in=device_ids)
        .annotate(acknowledged_at=Subquery(acknowledged[:1]))
        .values_list("pk", "attention_muted", "attention_unmuted", "acknowledged_at")
    )
    return {
        pk
        for pk, muted, unmuted, at in rows
        if Kind.BELOW_PEERS in muted
        or (at is not None and selectors.still_acknowledged(Kind.BELOW_PEERS, at, unmuted))
    }


PEERS = {"global_score__isnull": False, "latest_snapshot__isnull": False}  # the index's rows
_GROUP_SIZES = Prepared(
    lambda wanted: (
        Device.objects.filter(cpu_model_key=wanted, **PEERS)
        .values("ranking_methods_key")
        .annotate(size=Count("pk"))
        .values_list("ranking_methods_key", "size")
        .order_by()
    ),
    wanted=str,
)


def _measured_so(wanted: str, methods: str):
    return Device.objects.filter(cpu_model_key=wanted, ranking_methods_key=methods, **PEERS)


_GROUP_FIGURES = Prepared(  # read from the middle (rows(offset=, limit=))
    lambda wanted, methods: (
        _measured_so(wanted, methods)
        # how many there are as this statement reads them: the middle's offset came from the
        # count of an earlier statement, a machine may have come or gone since
        .annotate(
            size=Subquery(
                _measured_so(wanted, methods)
                .order_by()
                .values("cpu_model_key")
                .annotate(n=Count("pk"))
                .values("n")
            )
        )
        .values_list("global_score", "size")
        .order_by("global_score")
    ),
    wanted=str,
    methods=str,
)
READS = 3  # tries at a group's middle while its machines keep changing
MEMBER = ("id", "ranking_run_valid", "global_score", "ranking_methods_key")
_GROUP_LOW = Prepared(  # a range of the index: the machines of one methods under `below`
    lambda wanted, methods, below: (
        _measured_so(wanted, methods)
        .filter(global_score__lt=below)
        .values_list(*MEMBER)
        .order_by("global_score")
    ),
    wanted=str,
    methods=str,
    below=float,
)
_MEMBER_ROW = Prepared(
    lambda wanted, device_id: Device.objects.filter(
        pk=device_id, cpu_model_key=wanted, **PEERS
    ).values_list(*MEMBER),
    wanted=str,
    device_id=int,
)
# apart: a correlated EXISTS per machine cost more than this look-up of the few open items
_BELOW_PEERS_OPEN = Prepared(
    lambda wanted: (
        AttentionItem.objects.filter(
            kind=Kind.BELOW_PEERS, closed_at__isnull=True, device__cpu_model_key=wanted
        )
        .values_list(*(f"device__{name}" for name in MEMBER), "device__latest_snapshot_id")
        .order_by()
    ),
    wanted=str,
)


def peer_group(
    cpu_model: str = "",
    *,
    key: str = "",
    device_id: int = 0,
    judging: bool | Callable[[rules.Group], bool] = True,
) -> tuple[rules.Group, set[int] | None]:
    """The benchmarked machines with this CPU model (or model `key`) as below_peers judges them
    (rules.Group): per methods, how many and the figures around their middle, read off the
    index of peers; the machine `device_id` (its own median leaves it out); and (`judging`:
    all the model's machines are judged again; a callable: when it says so of the group read
    so far) the machines low enough to be below and those with a below_peers item open, whose
    ids come second (None when not judging). Three queries and two per methods the model's
    machines were measured with (one per methods and one without judging), each a range of
    the index of peers; none for no model."""
    wanted = key or model_key(cpu_model)
    if not wanted:
        return rules.Group({}, {}, []), (set() if judging is True else None)
    sizes, middles, texts = {}, {}, {}
    for text, size in _GROUP_SIZES.rows(wanted=wanted):
        figures = _middle(wanted, text, size)
        if figures is not None:
            methods = texts[text] = methods_of_key(text)
            sizes[methods], middles[methods] = figures
    group = rules.Group(sizes, middles, [])
    rows = _MEMBER_ROW.rows(wanted=wanted, device_id=device_id) if device_id else []
    if callable(judging):
        judging = judging(group)
    if judging:
        thresholds = selectors.thresholds()
        for text, methods in texts.items():
            below = rules.below_peers_bound(group, thresholds, methods)
            if below > -math.inf:
                rows += _GROUP_LOW.rows(wanted=wanted, methods=text, below=below)
    members = {
        pk: rules.Member(pk, bool(valid), score, methods_of_key(text))
        for pk, valid, score, text in rows
    }
    if not judging:
        return group._replace(members=list(members.values())), None
    open_ids = set()
    for pk, valid, score, text, snapshot_id in _BELOW_PEERS_OPEN.rows(wanted=wanted):
        open_ids.add(pk)
        if score is not None and snapshot_id is not None and pk not in members:
            members[pk] = rules.Member(pk, bool(valid), score, methods_of_key(text))
    ordered = sorted(members.values(), key=operator.attrgetter("score"))
    return group._replace(members=ordered), open_ids


def median_moved(key: str, before: PeerPlace, after: PeerPlace) -> Callable[[rules.Group], bool]:
    """Whether a device's run, which moved its place among the machines of CPU model `key` from
    `before` to `after`, may have moved the median those machines are judged against
    (rules.median_moved), asked of their group as read after the run: peer_group's `judging`."""

    def standing(place: PeerPlace) -> tuple[tuple, float] | None:
        if place.score is None or place.key != key:
            return None
        return methods_of_key(place.methods_key), place.score

    return lambda group: rules.median_moved(group, standing(before), standing(after))


def _middle(wanted: str, text: str, size: int) -> tuple[int, tuple[int, tuple[float, ...]]] | None:
    """The size and the middle figures (rules.Group) of the machines of model `wanted` measured
    with methods `text`, `size` of them when counted; read again at the size the read itself
    counts when a machine came or went meanwhile. None: none is left."""
    for _ in range(READS):
        start, count = rules.middle(size)
        rows = _GROUP_FIGURES.rows(wanted=wanted, methods=text, offset=start, limit=count)
        if not rows:  # fewer than `start` left: counted from the first
            rows = _GROUP_FIGURES.rows(wanted=wanted, methods=text, limit=1)
            if not rows:
                return None
        elif rows[0][1] == size:
            return size, (start, tuple(score for score, _ in rows))
        size = rows[0][1]
    raise OperationalError(
        f"the machines of CPU model {wanted!r} kept changing while their median was read "
        f"({READS} times): their below_peers judgment is left to a later try"
    )
