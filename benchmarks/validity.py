"""Whether a run can be trusted, and when it ran (CONTRACT Part 2, "Run time", "Run validity").

Plain functions over the results as received (a dict: the stored `results` of a benchmark, so
that `rescore` re-applies them to years of history); no ORM. Thresholds come in as arguments:
the settings hold their values (VALIDITY_*).
"""

import ipaddress
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.html import format_html

from inventory.schema import CATEGORIES

VALID, SUSPECT = "valid", "suspect"
# each reason as a person reads it (admin badges, notifications)
REASON_LABELS = {
    "throttled": "CPU throttled",
    "busy": "machine busy",
    "steal": "CPU stolen by the VM host",
    "on_battery": "on battery",
    "noisy": "repeats disagree",
}


# what a person can do about each reason, said where a suspect run is shown
REASON_ADVICE = {
    "throttled": "check the cooling and the power profile",
    "busy": "run bench.sh again when nothing else runs (it waits up to 20 s for an idle machine)",
    "steal": "run it when the VM host's other guests are quiet",
    "on_battery": "run it on mains power",
    "noisy": (
        "run bench.sh again on an idle machine; on a VM whose host is busy the repeats "
        "disagree (VALIDITY_MAX_CV_PCT sets how far they may)"
    ),
}


# "noisy"'s advice when "busy" already said to run it again: the busy machine is the likely
# cause of the spread, and "run bench.sh again" twice in one sentence read as a glitch
NOISY_AFTER_BUSY = (
    "on a VM whose host is busy the repeats disagree too (VALIDITY_MAX_CV_PCT sets how far "
    "they may)"
)


def advice(reasons) -> str:
    """What to do about a suspect run's reasons, one sentence."""
    reasons = [reason for reason in reasons or () if reason in REASON_ADVICE]
    said = "; ".join(
        NOISY_AFTER_BUSY if reason == "noisy" and "busy" in reasons else REASON_ADVICE[reason]
        for reason in reasons
    )
    return f"{said[:1].upper()}{said[1:]}." if said else ""


def reasons_text(reasons) -> str:
    """A run's validity reasons as people read them: "machine busy, repeats disagree"."""
    return ", ".join(REASON_LABELS.get(reason, reason) for reason in reasons or ())


def badge(validity: str, reasons=()) -> str:
    """A suspect run's badge with its reasons, the same wherever runs are listed (the run is
    trusted otherwise: no badge), and what to do about them: in its tooltip, and after it for
    a screen reader (a tooltip is a mouse's: the keyboard never showed it). Styled by
    benchsite/static/benchsite/admin.css."""
    if validity != SUSPECT:
        return ""
    why = reasons_text(reasons) or "suspect"
    said = advice(reasons)
    return format_html(
        '<span class="bt-badge bt-suspect" title="{}">suspect: {}</span>{}',
        f"Not trusted: {why}. {said}".strip(),
        why,
        format_html('<span class="visually-hidden"> ({})</span>', said) if said else "",
    )


def counted(
    scores: Mapping[str, float | None], excluded: Iterable[str] | None
) -> dict[str, float | None]:
    """A run's (or a device's ranking) figures with those left out of its global score as None:
    a network measured on loopback is no figure of the machine to chart, bar, or compare."""
    left_out = set(excluded or ())
    return {name: None if name in left_out else value for name, value in scores.items()}


def measured_alike(a: Any, b: Any, category: str) -> bool:
    """Whether two runs measured `category` the same way, so that their scores compare: the
    same method (CONTRACT Part 2; absent equals absent) and, as the global score leaves it
    out, against the machine itself on both or on neither (2165 on loopback against 94 across
    the LAN is no change of the machine). The device page's history and the snapshot compare
    page tell a step in a score by it."""
    same_method = (a.methods or {}).get(category) == (b.methods or {}).get(category)
    excluded = (a.excluded_categories or (), b.excluded_categories or ())
    return same_method and (category in excluded[0]) == (category in excluded[1])


# a run dated further ahead of the server's clock than this has a wrong clock, not a run time
MAX_CLOCK_AHEAD = timedelta(minutes=5)
# the first time every time zone can show (offsets stay within a day): earlier is a wrong clock
# the server can neither date nor display (datetime.min in New York is before year 1)
EARLIEST_RUN_TIME = datetime(1, 1, 2, tzinfo=UTC)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# decimal parts only: inet_aton reads a leading 0 as octal, which bench.sh's rule does not follow
_SHORT_IPV4 = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){0,2}")


@dataclass(frozen=True)
class Thresholds:
    busy_pct: float = 20.0
    steal_pct: float = 10.0
    max_cv_pct: float = 5.0
    max_cv_pct_network: float = 15.0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _section(results: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = results.get(name)
    return value if isinstance(value, Mapping) else {}


def validity_reasons(results: Mapping[str, Any] | None, thresholds: Thresholds) -> list[str]:
    """Why a run is suspect, in the contract's order; empty when it is valid."""
    results = results if isinstance(results, Mapping) else {}
    conditions = _section(results, "conditions")
    reasons = []
    if conditions.get("cpu_throttled") is True or conditions.get("cpu_freq_dropped") is True:
        reasons.append("throttled")
    busy = _number(conditions.get("cpu_busy_percent"))
    if busy is not None and busy >= thresholds.busy_pct:
        reasons.append("busy")
    steal = _number(conditions.get("cpu_steal_percent"))
    if steal is not None and steal >= thresholds.steal_pct:
        reasons.append("steal")
    if conditions.get("on_battery") is True:
        reasons.append("on_battery")
    if noisy_categories(results, thresholds):
        reasons.append("noisy")
    return reasons


def noisy_categories(
    results: Mapping[str, Any] | None, thresholds: Thresholds
) -> list[tuple[str, float]]:
    """The categories whose repeats disagree more than the threshold: (name, cv_pct)."""
    results = results if isinstance(results, Mapping) else {}
    noisy = []
    for category in CATEGORIES:
        limit = (
            thresholds.max_cv_pct_network if category.name == "network" else thresholds.max_cv_pct
        )
        cv = _number(_section(results, category.name).get("cv_pct"))
        if cv is not None and cv > limit:
            noisy.append((category.name, cv))
    return noisy


def reasons_measured(
    results: Mapping[str, Any] | None, reasons: Iterable[str] | None, thresholds: Thresholds
) -> str:
    """reasons_text with what was measured, for a run's own page: "machine busy (45 % of the
    CPU used by other processes), repeats disagree (disk 22.5 %)"; "" for a valid run (every
    submission's answer asks, most of them valid)."""
    if not reasons:
        return ""
    results = results if isinstance(results, Mapping) else {}
    conditions = _section(results, "conditions")
    busy = _number(conditions.get("cpu_busy_percent"))
    steal = _number(conditions.get("cpu_steal_percent"))
    details = {
        "busy": f"{busy:g} % of the CPU used by other processes" if busy is not None else "",
        "steal": f"{steal:g} % of the time" if steal is not None else "",
        "noisy": ", ".join(
            f"{name} {cv:g} %" for name, cv in noisy_categories(results, thresholds)
        ),
    }
    said = []
    for reason in reasons:
        label, detail = REASON_LABELS.get(reason, reason), details.get(reason)
        said.append(f"{label} ({detail})" if detail else label)
    return ", ".join(said)


def is_loopback(target: Any) -> bool:
    """The machine itself: localhost, 127.0.0.0/8 or ::1 (with or without brackets or a port),
    in any form the resolver takes (::ffff:127.0.0.1, 127.1, 2130706433), and 0.0.0.0 or ::,
    which Linux connects to the machine itself too."""
    if not isinstance(target, str) or not target.strip():
        return False
    host = target.strip().lower()
    if host.startswith("["):  # [::1]:5201
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:  # 127.0.0.1:5201, localhost:5201
        host = host.partition(":")[0]
    if host.rstrip(".") in LOOPBACK_NAMES:
        return True
    address = _address(host)
    return address is not None and (address.is_loopback or address.is_unspecified)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # the short IPv4 forms inet_aton (and so iperf3) takes: 127.1, 127.0.1, 2130706433
        if not _SHORT_IPV4.fullmatch(host):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1
    return address


def excluded_categories(results: Mapping[str, Any] | None) -> list[str]:
    """Categories measured but left out of the global score: a network measured against the
    machine itself says nothing about the network."""
    results = results if isinstance(results, Mapping) else {}
    if is_loopback(_section(results, "network").get("target")):
        return ["network"]
    return []


def run_time(results: Mapping[str, Any] | None, *, received_at: datetime) -> datetime:
    """When the run happened: conditions.started_at (ISO 8601 in UTC, with or without its "Z")
    when it parses and is not more than five minutes ahead of the server's clock; otherwise
    the arrival time."""
    results = results if isinstance(results, Mapping) else {}
    started = _section(results, "conditions").get("started_at")
    if not isinstance(started, str):
        return received_at
    text = started.strip().upper()
    if "T" not in text and " " not in text:
        return received_at  # a date alone ("2026-12-01") is a day, not when the run started
    try:
        # RFC 3339 lets the "Z" be a "z" (the "T" a "t" too, which Python reads)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if when.tzinfo is None:
            # without its "Z": in UTC all the same, as the contract says started_at is
            when = when.replace(tzinfo=UTC)
        # stored in UTC: "0001-01-01T00:00+00:01" parses, but is before the first UTC date
        when = when.astimezone(UTC)
    except (ValueError, OverflowError):
        return received_at
    if when < EARLIEST_RUN_TIME or when - received_at > MAX_CLOCK_AHEAD:
        return received_at  # a wrong clock
    return when
