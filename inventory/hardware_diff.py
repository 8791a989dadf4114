"""Two snapshots' disks, partitions and interfaces told apart: the hardware changes' phrases
("disk replaced: …", "4,096 disks added: …") and the compare page's rows, one per disk,
partition or interface, the changed ones first. Matched through dicts, in time linear in the
number of disks: a storage server's 4,096 disks, all new, were matched each against each."""

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import columns, nics

# disks added, removed or replaced at once named one by one at most; past it, one phrase
# ("4,096 disks added: 4,096 × HGST WUH721818AL5204 18000 GB")
DISKS_NAMED = 3
# network interfaces named at most in a phrase ("NICs eth0→eth0, eth1")
NICS_NAMED = 8
KINDS_NAMED = 2  # kinds of disk named in one phrase of many: the commonest


def disk_entries(snapshot) -> list[tuple[str, str, str]]:
    """Each disk of the snapshot as (what it is: vendor, model and capacity; its serial, "" when
    not read; its device name, "" when not read), sorted."""
    devices = (snapshot.storage or {}).get("devices") or []
    entries = []
    for disk in devices:
        if not isinstance(disk, dict):
            continue
        name = columns.one_line(disk.get("name"))
        label = " ".join(str(disk.get(k)) for k in ("vendor", "model") if disk.get(k))
        capacity = disk.get("capacity_gb")
        if capacity:
            label = f"{label or name or 'disk'} {capacity:g} GB"
        entries.append((label or name or "disk", columns.one_line(disk.get("serial")), name))
    return sorted(entries)


def disk_identities(snapshot) -> list[tuple]:
    """What disk_entries reads of each disk, as sent: two snapshots alike here have the same
    entries."""
    devices = (snapshot.storage or {}).get("devices") or []
    return [
        (d.get("vendor"), d.get("model"), d.get("capacity_gb"), d.get("serial"), d.get("name"))
        for d in devices
        if isinstance(d, dict)
    ]


class _Remaining:
    """The disks of the earlier snapshot not matched yet, found by serial, by what they are
    (with or without a serial) and by name, each the first of them in sorted order."""

    def __init__(self, entries: list[tuple[str, str, str]]):
        self.entries = entries
        self.gone = [False] * len(entries)
        self.index: dict[tuple, deque[int]] = defaultdict(deque)
        for i, (label, serial, name) in enumerate(entries):
            self.index["label", label].append(i)
            if serial:
                self.index["serial", serial].append(i)
            else:
                self.index["unread", label].append(i)
            if name:
                self.index["name", name].append(i)

    def take(self, *key) -> tuple[str, str, str] | None:
        """The first disk not matched yet under `key`, now matched; None without one."""
        found = self.index.get(key)
        while found and self.gone[found[0]]:
            found.popleft()
        if not found:
            return None
        self.gone[found[0]] = True
        return self.entries[found.popleft()]

    def left(self) -> list[tuple[str, str, str]]:
        return [entry for entry, gone in zip(self.entries, self.gone, strict=True) if not gone]


def _kinds(labels: Iterable[str]) -> str:
    """ "4,095 × HGST HUH721212AL5200 12000 GB, 1 × …": the commonest kinds of disk."""
    counts = Counter(labels)
    named = ", ".join(f"{n:,} × {label}" for label, n in counts.most_common(KINDS_NAMED))
    return named + (", …" if len(counts) > KINDS_NAMED else "")


def disk_changes(old, new) -> list[str]:
    """Disks added, removed or replaced: the same disk is the same serial (or, where a run did
    not read serials, the same model and capacity); one of a model and capacity gone while
    another of them, with another serial, came is a replacement (a warranty swap), and so is
    one gone while another model came under its device name (a dying disk swapped for a
    bigger one). A snapshot that lists no disk did not read them (bench.sh without lsblk sent
    none, and every disk read as removed), as the attention rules take it. More than
    DISKS_NAMED disks added (removed, replaced) at once are one phrase."""
    if disk_identities(old) == disk_identities(new):
        # the same disks listed the same way, the usual next run: a storage server's 4,096
        # were sorted and matched at each pair of snapshots the device page compares
        return []
    before, after = _Remaining(disk_entries(old)), disk_entries(new)
    if not before.entries or not after:
        return []
    # the same serial: the same disk, whatever it read as
    after = [e for e in after if not (e[1] and before.take("serial", e[1]))]
    # a side that read no serial: the same model and capacity
    after = [
        e
        for e in after
        if not (before.take("label", e[0]) if not e[1] else before.take("unread", e[0]))
    ]
    replaced, added = [], []
    for label, serial, name in after:
        if match := before.take("label", label):
            replaced.append((match, f"{label} ({match[1]} → {serial})", label))
        elif name and (match := before.take("name", name)):
            # a disk read without its model is labelled by its name: said once
            was, now = (text.removeprefix(f"{name} ") for text in (match[0], label))
            replaced.append((match, f"{name} {was} → {now}", label))
        else:
            added.append(label)
    removed = [label for label, _, _ in before.left()]
    if len(replaced) > DISKS_NAMED:
        olds, news = _kinds(m[0] for m, _, _ in replaced), _kinds(n for _, _, n in replaced)
        # a warranty swap of many: the same kinds, other serials
        said = f"{news} (other serials)" if olds == news else f"{olds} → {news}"
        changes = [f"{len(replaced):,} disks replaced: {said}"]
    else:
        changes = [f"disk replaced: {said}" for _, said, _ in replaced]
    for verb, labels in (("added", added), ("removed", removed)):
        if len(labels) > DISKS_NAMED:
            changes.append(f"{len(labels):,} disks {verb}: {_kinds(labels)}")
        else:
            changes += [f"disk {verb}: {label}" for label in labels]
    return changes


def nics_change(old: list[str], new: list[str]) -> str | None:
    """ "NICs eth0→eth0, eth1"; past NICS_NAMED interfaces on either side, those that came and
    went only: "NICs 64→62 (−enp65s0f2, −enp65s0f3)"."""
    if not old or not new or old == new:
        return None
    if max(len(old), len(new)) <= NICS_NAMED:
        return f"NICs {', '.join(old)}→{', '.join(new)}"
    came, went = Counter(new) - Counter(old), Counter(old) - Counter(new)
    said = [f"+{name}" for name in came.elements()] + [f"−{name}" for name in went.elements()]
    more = ", …" if len(said) > NICS_NAMED else ""
    return f"NICs {len(old):,}→{len(new):,} ({', '.join(said[:NICS_NAMED])}{more})"


def port_macs(snapshot, *, shared: bool = False) -> dict[str, str]:
    """The snapshot's ports by name, each with its card's MAC (nics.card_mac), those that tell
    one only. A MAC two ports carry tells neither's card: the ports of a bond (or a team) carry
    the bond's, its first port's, as an older bench.sh, or another client, sends what `ip addr`
    reads (bench.sh 1.2.6 sends each port its own), and compared it told the bond's other ports
    replaced with the first. With `shared`, read too (the rule before 0032)."""
    macs = {
        columns.one_line(nic.get("name")): mac
        for nic in listed(snapshot.network, "interfaces")
        if nic.get("name") and (mac := nics.card_mac(nic))
    }
    if shared:
        return macs
    carried = Counter(macs.values())
    return {name: mac for name, mac in macs.items() if carried[mac] == 1}


def nics_replaced(old, new) -> list[str]:
    """The ports listed under the same name in both snapshots with another card's MAC: "NIC
    replaced: eno1 (3c:ec:ef:10:2a:01 → a0:36:9f:5e:11:20)", its drivers too where they differ
    ("eno1 e1000e → igb (…)"); more than DISKS_NAMED at once (a board's four ports) one phrase,
    "4 NICs replaced (other MACs): eno1, eno2, eno3, eno4"."""
    before, after = port_macs(old), port_macs(new)
    names = [name for name, mac in sorted(after.items()) if before.get(name, mac) != mac]
    if not names:
        return []
    if len(names) > DISKS_NAMED:
        more = ", …" if len(names) > NICS_NAMED else ""
        return [f"{len(names):,} NICs replaced (other MACs): {', '.join(names[:NICS_NAMED])}{more}"]
    drivers = [_drivers(snapshot) for snapshot in (old, new)]
    changes = []
    for name in names:
        was, now = (side.get(name, "") for side in drivers)
        said = f"{name} {was} → {now}" if was and now and was != now else name
        changes.append(f"NIC replaced: {said} ({before[name]} → {after[name]})")
    return changes


def _drivers(snapshot) -> dict[str, str]:
    return {
        columns.one_line(nic.get("name")): columns.one_line(nic.get("driver"))
        for nic in listed(snapshot.network, "interfaces")
    }


# the compare page's rows: each disk, partition, interface of either snapshot, what it is on
# each side, matched by its key (a disk by its serial, then by its name)


def _said(item: Mapping[str, Any], fields: tuple[tuple[str, str], ...]) -> str:
    return " ".join(
        fmt.format(item[name]) for name, fmt in fields if item.get(name) not in (None, "")
    )


_DISK = (("vendor", "{}"), ("model", "{}"), ("capacity_gb", "{:g} GB"), ("serial", "({})"))
# a partition's use changes at every run: not a change of the hardware
# a partition's size as df gives it, in GiB (bench.sh; the contract's 4000 GB disk has a
# partition of 3725), a disk's as its maker does, in GB
_PARTITION = (("mount_point", "{}"), ("fs_type", "{}"), ("total_gb", "{:g} GiB"))
_INTERFACE = (
    ("type", "{}"),
    ("mac", "{}"),
    ("ip", "{}"),
    ("speed_mbps", "{} Mb/s"),
    ("driver", "{}"),
)


def listed(section: Any, key: str) -> list[dict]:
    """A snapshot's list (its storage's "devices", its network's "interfaces"), its objects
    only."""
    items = section.get(key) if isinstance(section, dict) else None
    return [item for item in items or () if isinstance(item, dict)]


def _paired(
    left: list[dict], right: list[dict], keys: tuple[Callable[[dict], str], ...]
) -> list[tuple[dict | None, dict | None]]:
    """Each item of either side with its match on the other: by the first key, then, among
    those left, by the next; in the later side's order, the items gone after them."""
    pairs: dict[int, dict | None] = {}
    matched: set[int] = set()
    for key in keys:
        waiting: dict[str, deque[int]] = defaultdict(deque)
        for i, item in enumerate(left):
            if i not in matched and (value := key(item)):
                waiting[value].append(i)
        for j, item in enumerate(right):
            if j not in pairs and (value := key(item)) and waiting.get(value):
                i = waiting[value].popleft()
                pairs[j] = left[i]
                matched.add(i)
    rows: list[tuple[dict | None, dict | None]] = [
        (pairs.get(j), item) for j, item in enumerate(right)
    ]
    return rows + [(item, None) for i, item in enumerate(left) if i not in matched]


def _serial(disk: dict) -> str:
    return columns.one_line(disk.get("serial"))


def _name(item: dict) -> str:
    return columns.one_line(item.get("name"))


def compared_items(a, b) -> dict[str, list[tuple[str, str | None, str | None, bool]]]:
    """The disks, partitions and network ports of two snapshots as the compare page's rows,
    (name, what it is in a, in b, differs), each table's changed rows first (added, removed,
    replaced or read otherwise), then the others, each as the later snapshot lists them. The
    virtual interfaces (a VM's tap, a container's veth: inventory.nics) are no hardware to
    compare: a Proxmox node's runs listed 40 of them added and 40 removed."""
    tables = {
        "disks": (a.storage, b.storage, "devices", _DISK, (_serial, _name)),
        "partitions": (a.storage, b.storage, "partitions", _PARTITION, (_name,)),
        "interfaces": (a.network, b.network, "interfaces", _INTERFACE, (_name,)),
    }
    compared = {}
    for table, (left, right, key, fields, keys) in tables.items():
        sides = [listed(left, key), listed(right, key)]
        if table == "interfaces":
            sides = [[nic for nic in side if not nics.is_virtual(nic)] for side in sides]
        rows = []
        for x, y in _paired(*sides, keys):
            said_x = None if x is None else (_said(x, fields) or "–")
            said_y = None if y is None else (_said(y, fields) or "–")
            name = _name(y if y is not None else x) or "–"
            rows.append((name, said_x, said_y, said_x != said_y))
        compared[table] = sorted(rows, key=lambda row: not row[3])  # stable
    return compared
