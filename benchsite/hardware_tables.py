"""The device page's hardware tables for a machine with many of a thing: a storage server's 60
disks, a Proxmox node's hundreds of zvols and tap interfaces, the 4,096 the submission schema
allows. The rows that matter first (a failing, degrading or hot disk, then the system disk),
the first SHOWN of each table, and how many more, the whole table a click away (?all=<table>);
virtual interfaces said in one line. Plain functions over the snapshot's JSON."""

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from inventory.columns import (
    SMART_COUNTERS,
    disk_failing,
    disk_temperature,
    one_line,
    smart_count,
)
from inventory.nics import is_virtual

# rows of each hardware table the device page shows before "… and 540 more": a workstation's
# tables whole, a 60-bay JBOD's the ones that matter (a 4,096-disk page was 19 MB and 4.4 s)
SHOWN = 12
# the tables a page may show whole (?all=disks), each by its id on the page (the device page's
# hardware changes too)
# "charts": the device page with its sound disks' charts drawn too (benchsite.smart_history)
WHOLE = ("disks", "partitions", "interfaces", "smart", "changes", "charts")

# the admin's own parameters of a change page (django.contrib.admin's names), which a link to
# the same page keeps: the list's filters that Save and "Back to list" return to, a popup's
PRESERVED = ("_changelist_filters", "_popup", "_to_field")

_SOUND = (None, "PASSED", "OK")  # a reading that disk_failing need not look at twice
_KIND = re.compile(r"^[a-z]+(?:-)?")


def _disk_rank(disk: Mapping[str, Any], hot_c: float) -> int:
    """0 a failing disk, 1 one with an open item or SMART counters above 0, 2 hot, 3 the
    rest."""
    if disk.get("smart_health") not in _SOUND and disk_failing(disk):
        return 0
    if disk.get("attention") or any(smart_count(disk.get(name)) for name in SMART_COUNTERS):
        return 1
    temperature = disk_temperature(disk)
    return 2 if temperature is not None and temperature >= hot_c else 3


def system_disk(disks: list[dict], partitions: list[dict]) -> str | None:
    """The name of the disk that holds /: the longest disk name its partition's name starts
    with (/dev/nvme0n1 for /dev/nvme0n1p2, not /dev/sd1 for /dev/sd11's /dev/sd111)."""
    root = next((p for p in partitions if p.get("mount_point") == "/"), None)
    part = str(root.get("name") or "") if root else ""
    names = [str(d.get("name")) for d in disks if d.get("name") and part.startswith(str(d["name"]))]
    return max(names, key=len, default=None)


def disks_first(disks: list[dict], partitions: list[dict], hot_c: float) -> list[dict]:
    """The disks, those that need a look first (failing, then with an open item or SMART
    counters above 0, then hot), then the system disk, then the others as sent."""
    system = system_disk(disks, partitions)

    def rank(disk: dict) -> int:
        own = _disk_rank(disk, hot_c)
        return own if own < 3 else (3 if system and disk.get("name") == system else 4)

    return sorted(disks, key=rank)  # stable: as sent within a rank


def partitions_first(partitions: list[dict]) -> list[dict]:
    """The partitions, / first, then those mounted on /boot…, then as sent."""
    return sorted(
        partitions,
        key=lambda p: (
            p.get("mount_point") != "/",
            not str(p.get("mount_point")).startswith("/boot"),
        ),
    )


# the virtual interfaces' addresses the line under the table names at most (a Proxmox node's
# vmbr0, a Docker host's docker0): past it, "…"
ADDRESSES_SAID = 3


def virtual_addresses(nics: Iterable[Mapping[str, Any]]) -> str:
    """ "vmbr0 10.0.0.30": the virtual interfaces that hold an address, with it, the first
    ADDRESSES_SAID; a bridge or a bond holds the machine's, which its ports do not."""
    held = [
        f"{one_line(nic.get('name')) or '–'} {one_line(nic['ip'])}" for nic in nics if nic.get("ip")
    ]
    more = ", …" if len(held) > ADDRESSES_SAID else ""
    return ", ".join(held[:ADDRESSES_SAID]) + more


def virtual_summary(nics: Iterable[Mapping[str, Any]]) -> str:
    """ "38 virtual interfaces (tap, veth, fwbr)": how many, their kinds by their names'
    letters, the commonest first; "" without any."""
    kinds = Counter(
        (m.group(0) if (m := _KIND.match(str(nic.get("name") or ""))) else "") or "unnamed"
        for nic in nics
    )
    total = sum(kinds.values())
    if not total:
        return ""
    named = ", ".join(kind for kind, _ in kinds.most_common(6))
    more = ", …" if len(kinds) > 6 else ""
    return f"{total:,} virtual interface{'s' if total != 1 else ''} ({named}{more})"


def bounded(rows: list, table: str, whole: str) -> dict[str, Any]:
    """A table's rows as the page shows them: all of them when the page was asked for this
    table whole (?all=<table>), else the first SHOWN; with how many there are and are not shown."""
    shown = rows if whole == table else rows[:SHOWN]
    return {
        "rows": shown,
        "total": len(rows),
        "more": len(rows) - len(shown),
        "whole": whole == table and len(rows) > SHOWN,
        # as the page says them: "… and 4,084 more"
        "total_said": f"{len(rows):,}",
        "more_said": f"{len(rows) - len(shown):,}",
    }


def table_links(query) -> dict[str, str]:
    """The device page's links to each WHOLE table (`?all=disks`) and back to the first rows
    (`first`), as query strings that keep the PRESERVED parameters of `query` (a QueryDict),
    encoded: "?all=disks&_changelist_filters=location%3Dlab". They were plain `?all=disks`,
    and the page, saved, went back to the device list unfiltered."""
    kept = [(name, value) for name in PRESERVED for value in query.getlist(name)]
    links = {table: "?" + urlencode([("all", table), *kept]) for table in WHOLE}
    return {**links, "first": "?" + urlencode(kept)}


# how many bonds and bridges up an interface's row names: eno1 → bond0 → vmbr0
WITHIN_SAID = 4


def within(interfaces: list[dict]) -> list[dict]:
    """Each interface with what it is a port of (its `master`, sent by bench.sh 1.2.6 and
    later), and what that one is a port of in turn, as `within` ("bond0 → vmbr0"); and, where
    it holds no address, the one the nearest of them holds, as `via` ("10.0.0.30 on vmbr0"): a
    Proxmox node's ports hold none, the bridge over their bond the machine's."""
    by_name = {one_line(nic.get("name")): nic for nic in interfaces if nic.get("name")}
    rows = []
    for nic in interfaces:
        chain, up = [], one_line(nic.get("master"))
        while up and len(chain) <= WITHIN_SAID and up not in (*chain, one_line(nic.get("name"))):
            chain.append(up)
            up = one_line((by_name.get(up) or {}).get("master"))
        held = next((n for n in chain if (by_name.get(n) or {}).get("ip")), None)
        via = f"{one_line(by_name[held]['ip'])} on {held}" if held and not nic.get("ip") else ""
        more = " → …" if len(chain) > WITHIN_SAID else ""
        rows.append({**nic, "within": " → ".join(chain[:WITHIN_SAID]) + more, "via": via})
    return rows


def hardware_tables(
    disks: list[dict], partitions: list[dict], interfaces: list[dict], *, hot_c: float, whole: str
) -> dict[str, Any]:
    """The device page's disks, partitions and interfaces, each `bounded`; the virtual
    interfaces (inventory.nics, as the hardware changes read them: a bridge, a bond, a tap)
    in one line (`virtual`) with the addresses they hold (`addresses`) unless the interfaces
    are asked for whole. Each interface says what it is a port of (`within`)."""
    interfaces = within(interfaces)
    ports = interfaces if whole == "interfaces" else [n for n in interfaces if not is_virtual(n)]
    virtual = [] if whole == "interfaces" else [n for n in interfaces if is_virtual(n)]
    return {
        "disks": bounded(disks_first(disks, partitions, hot_c), "disks", whole),
        "partitions": bounded(partitions_first(partitions), "partitions", whole),
        "interfaces": {
            **bounded(ports, "interfaces", whole),
            # the column of what each is a port of, where one is (bench.sh 1.2.6 and later)
            "within": any(row["within"] for row in ports),
            "virtual": virtual_summary(virtual),
            "addresses": virtual_addresses(virtual),
        },
    }


def smart_first(
    disks: list[dict], attention: Mapping[str, list[str]], hot_c: float, newest: Any
) -> list[dict]:
    """The SMART history's disks (benchsite.smart_history's: readings oldest first, and the
    `worst` of those summed up before them): those in the machine (read at `newest`) before
    those gone, each ranked by its worst reading as disks_first ranks them, then as they came."""

    def rank(disk: dict) -> tuple[bool, int]:
        worst = min((_disk_rank(reading, hot_c) for reading in _read(disk)), default=3)
        if attention.get(str(disk.get("serial") or disk.get("name") or "")):
            worst = min(worst, 1)
        return disk["last_read"] != newest, worst

    return sorted(disks, key=rank)


def needs_look(disk: dict, hot_c: float) -> bool:
    """Whether a SMART history disk (smart_first) ever read failing, with counters, or hot."""
    return any(_disk_rank(reading, hot_c) < 3 for reading in _read(disk))


def _read(disk: dict) -> Iterable[Mapping[str, Any]]:
    return (*disk["history"], *disk.get("worst", ()))
