"""A machine's OS release: its latest snapshot's OS name and version as /etc/os-release says
them ("Debian GNU/Linux", "11 (bullseye)"). How a release is named, which ones the fleet runs
(the device list's OS filter), the machines running one (that filter, the API's `?os=` and
`?os_version=`), and the two words of a search that name one ("debian 11"). The filter offered
OS names only, and a search for `debian 11` found Debian 12 machines whose kernel is 6.1.0-11.
"""

import re

from django.db.models import Q, QuerySet

from .models import Device

NAME, VERSION = "latest_snapshot__os_name", "latest_snapshot__os_version"
MAX_CHOICES = 50  # the filter's choices, as its neighbours offer


def release_name(name: str, version: str) -> str:
    """A release as people read it, "Debian GNU/Linux 11 (bullseye)" (the filter's choice, the
    compare page's OS)."""
    return " ".join(part for part in (name, version) if part)


def releases_run() -> list[tuple[str, str]]:
    """The (name, version) pairs of the machines' latest snapshots, by name then version, read
    off the index of the two (inventory_snap_os_release); a snapshot without an OS name left
    out. Those of every snapshot offered releases only a machine's past ran."""
    return list(
        Device.objects.filter(latest_snapshot__isnull=False)
        .exclude(**{NAME: ""})
        .order_by(NAME, VERSION)
        .values_list(NAME, VERSION)
        .distinct()[:MAX_CHOICES]
    )


def devices_running(devices: QuerySet, *, name: str = "", version: str | None = None):
    """The devices whose latest snapshot runs an OS named `name` (when given) in `version`
    (when given; "" is a snapshot without one): whole values, case-insensitive, as the API's
    other filters compare theirs."""
    if name:
        devices = devices.filter(**{f"{NAME}__caseless": name})
    if version is not None:
        devices = devices.filter(**{f"{VERSION}__caseless": version})
    return devices


def running_searched(word: str, number: str) -> Q:
    """The machines running a release whose name has a word beginning with `word` ("debian",
    "linux", "alma" of AlmaLinux) and whose version begins with `number` as a whole number:
    "11" begins "11 (bullseye)", "24.04" begins "24.04.1 LTS (Noble Numbat)"; "1" does not
    begin "11". The LIKEs first: the regular expressions (a Python function on SQLite) read
    only the rows they leave."""
    return (
        Q(**{f"{NAME}__icontains": word})
        & Q(**{f"{VERSION}__istartswith": number})
        & Q(**{f"{NAME}__iregex": rf"(^|\W){re.escape(word)}"})
        & Q(**{f"{VERSION}__iregex": rf"^{re.escape(number)}(\D|$)"})
    )


def release_words(terms: list[str]) -> list[tuple[list[str], tuple[str, str] | None]]:
    """A search's terms grouped with the OS word and version number each group may be: a word
    and the next term when that begins with a digit ("debian", "11"), a quoted phrase of two
    such words ("debian 11"); None for a term that cannot be one."""
    grouped, i = [], 0
    while i < len(terms):
        words = terms[i].split()
        if len(words) == 2 and words[1][:1].isdigit():
            grouped.append(([terms[i]], (words[0], words[1])))
        elif len(words) == 1 and i + 1 < len(terms) and terms[i + 1][:1].isdigit():
            grouped.append(([terms[i], terms[i + 1]], (terms[i], terms[i + 1])))
            i += 1
        else:
            grouped.append(([terms[i]], None))
        i += 1
    return grouped
