"""A machine's DIMMs told apart from one snapshot to the next: what each module is (its size,
memory type, speed and part number), not the slot it sits in nor its maker as decoded (bench.sh
1.2 named a maker by its JEDEC code where it now names it, and a slot's name depends on the
board's firmware). Two modules swapped for two others of the same size (a 2133 MHz kit for a
3200 MHz one) changed the memory score by a third and told no hardware change."""

from collections import Counter
from collections.abc import Iterable

from .matching import identity_value

# what a DIMM's type says when it names no memory technology (bench.sh writes none of these
# since 1.2; an older capture may)
_NO_TYPE = frozenset({"other", "unknown", "ram"})


def _module(dimm: dict) -> tuple:
    size, speed = dimm.get("size_mb"), dimm.get("speed_mhz")
    kind = identity_value(str(dimm.get("type") or ""))
    part = identity_value(str(dimm.get("part_number") or ""))
    return (
        size if isinstance(size, int) else None,
        None if kind.lower() in _NO_TYPE else kind or None,
        speed if isinstance(speed, int) else None,
        part or None,
    )


def modules(layout: Iterable | None) -> list[tuple]:
    """The snapshot's modules as (size MB, type, speed MHz, part number), sorted; what a
    snapshot's hardware key reads of its DIMMs."""
    found = [_module(d) for d in layout or [] if isinstance(d, dict)]
    return sorted(found, key=lambda m: tuple((v is None, str(v)) for v in m))


def _said(module: tuple) -> str:
    from .history import gb  # which tells the DIMMs' change with the rest (and imports this)

    size, kind, speed, part = module
    words = [f"{gb(size)} GB" if size else None, kind, speed and f"{speed} MHz", part]
    return " ".join(str(w) for w in words if w) or "module"


def _listed(found: list[tuple]) -> str:
    counted = Counter(_said(m) for m in found)
    return ", ".join(f"{n}× {said}" for said, n in sorted(counted.items(), key=lambda i: -i[1]))


def change(old: Iterable | None, new: Iterable | None) -> tuple[str | None, bool]:
    """The DIMMs' change as a phrase ("DIMMs 2× 16 GB DDR4 2133 MHz → 2× 16 GB DDR4 3200
    MHz") and whether a module changed (a speed alone is the firmware's: XMP turned on); None
    when they are alike, or when either snapshot lists none (a run without root reads none)."""
    before, after = modules(old), modules(new)
    if not before or not after or before == after:
        return None, False
    parts = Counter(m[:2] + m[3:] for m in before) != Counter(m[:2] + m[3:] for m in after)
    return f"DIMMs {_listed(before)} → {_listed(after)}", parts
