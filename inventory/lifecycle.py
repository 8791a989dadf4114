"""A machine's life: when it was bought, until when it is under warranty, when it was retired.
Plain rules over dates, shared by the model's validation (the admin's form), the API's edit,
the CSV import, the device page's story and the list's filters."""

import calendar
import datetime
import re
from collections.abc import Mapping

from django.utils import timezone

LIFECYCLE_FIELDS = ("purchased_on", "warranty_until", "retired_on")

# before the PC's first years, a date is a typo ("0202-05-01" for "2020-05-01", "1902")
EARLIEST = datetime.date(1980, 1, 1)
# a lifetime warranty is written as the century's last day; later, a typo ("2205")
LATEST_WARRANTY = datetime.date(2099, 12, 31)
# a date "in the future" allows a day: a person a time zone ahead of the server types today
GRACE = datetime.timedelta(days=1)
ENDING_SOON_DAYS = 90  # the device list's "ends within 90 days"
# a date as the API, the import and the export write it; ASCII digits (\d takes "２０２６")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def today() -> datetime.date:
    """Today in the server's TIME_ZONE, the days these dates are written in: the API answers
    in UTC (benchsite.apitime), and there a retirement dated today in Kiritimati was "in the
    future" where the admin's form took it."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def day_of(moment: datetime.datetime) -> datetime.date:
    """The day of `moment` in the server's TIME_ZONE (a run's, against a retirement date)."""
    return timezone.localdate(moment, timezone.get_default_timezone())


# each names the date it refuses: a line of an import, an API answer, read without the value
MSG_TOO_EARLY = "{label} {value} cannot be before {earliest}: is the year mistyped?"
MSG_FUTURE = "{label} {value} cannot be in the future."
MSG_TOO_LATE = "{label} {value} cannot be after {latest}: is the year mistyped?"
MSG_WARRANTY_BEFORE_PURCHASE = "Warranty end cannot be before the purchase date ({purchased_on})."
MSG_RETIRED_BEFORE_PURCHASE = "Retirement cannot be before the purchase date ({purchased_on})."

LABELS = {
    "purchased_on": "Purchase date",
    "warranty_until": "Warranty end",
    "retired_on": "Retirement date",
}


def lifecycle_errors(
    values: Mapping[str, datetime.date | None], *, today: datetime.date
) -> dict[str, str]:
    """What is wrong with these dates (each of LIFECYCLE_FIELDS, None when unknown), by field:
    none before 1980; a purchase and a retirement not in the future, a warranty end not past
    2099; a warranty end and a retirement not before the purchase. Empty when all is well."""
    errors: dict[str, str] = {}
    for name in LIFECYCLE_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        said = {"label": LABELS[name], "value": value.isoformat()}
        if value < EARLIEST:
            errors[name] = MSG_TOO_EARLY.format(**said, earliest=EARLIEST.isoformat())
        elif name == "warranty_until" and value > LATEST_WARRANTY:
            errors[name] = MSG_TOO_LATE.format(**said, latest=LATEST_WARRANTY.isoformat())
        elif name != "warranty_until" and value > today + GRACE:
            errors[name] = MSG_FUTURE.format(**said)
    purchased_on = values.get("purchased_on")
    if purchased_on is not None and "purchased_on" not in errors:
        bought = purchased_on.isoformat()
        warranty_until, retired_on = values.get("warranty_until"), values.get("retired_on")
        if warranty_until is not None and warranty_until < purchased_on:
            errors.setdefault(
                "warranty_until", MSG_WARRANTY_BEFORE_PURCHASE.format(purchased_on=bought)
            )
        if retired_on is not None and retired_on < purchased_on:
            errors.setdefault("retired_on", MSG_RETIRED_BEFORE_PURCHASE.format(purchased_on=bought))
    return errors


ENDED, ENDING, UNDER, UNKNOWN = "ended", "ending", "under", "unknown"


def warranty_state(warranty_until: datetime.date | None, *, today: datetime.date) -> str:
    """UNKNOWN without a date, ENDED once past it, ENDING within ENDING_SOON_DAYS (the last
    day included), UNDER otherwise."""
    if warranty_until is None:
        return UNKNOWN
    if warranty_until < today:
        return ENDED
    if warranty_until <= today + datetime.timedelta(days=ENDING_SOON_DAYS):
        return ENDING
    return UNDER


def _months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from `start` to `end` (end ≥ start): 2026-01-31 → 2026-02-28 is one."""
    months = (end.year - start.year) * 12 + end.month - start.month
    last_day = calendar.monthrange(end.year, end.month)[1]
    if end.day < min(start.day, last_day):
        months -= 1
    return months


def time_left(until: datetime.date, *, today: datetime.date) -> str:
    """How long until `until` (≥ today), as a person says it: "today", "in 12 days",
    "in 4 months", "in 2 years and 3 months"."""
    days = (until - today).days
    if days == 0:
        return "today"
    months = _months_between(today, until)
    if months < 1:
        return f"in {days} day{'s' if days != 1 else ''}"
    years, months = divmod(months, 12)
    parts = [f"{years} year{'s' if years != 1 else ''}"] if years else []
    if months:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    return "in " + " and ".join(parts)


def warranty_said(warranty_until: datetime.date, *, today: datetime.date) -> str:
    """A warranty end as a list's column says it: "ends today", "ends in 12 days", "ends in 4
    months", "ended on 2024-03-01"."""
    if warranty_until < today:
        return f"ended on {warranty_until.isoformat()}"
    return f"ends {time_left(warranty_until, today=today)}"


def lifecycle_sentences(
    *,
    purchased_on: datetime.date | None,
    warranty_until: datetime.date | None,
    retired_on: datetime.date | None,
    today: datetime.date,
) -> list[str]:
    """What the device page says of the machine's life: "Retired on 2026-11-30.", "Bought on
    2021-03-02.", "Under warranty until 2027-03-01 (in 4 months)." or "Warranty ended on
    2024-03-01."; nothing of what is unknown."""
    sentences = []
    if retired_on is not None:
        sentences.append(f"Retired on {retired_on.isoformat()}.")
    if purchased_on is not None:
        sentences.append(f"Bought on {purchased_on.isoformat()}.")
    if warranty_until is not None:
        if warranty_until < today:
            sentences.append(f"Warranty ended on {warranty_until.isoformat()}.")
        else:
            left = time_left(warranty_until, today=today)
            sentences.append(f"Under warranty until {warranty_until.isoformat()} ({left}).")
    return sentences
