"""A machine's former hostnames: kept on its row (Device.former_hostnames, one a line, oldest
first) where a rename is done (a submission's, inventory.matching; an admin or API edit,
inventory.services.device_update), so a search of the old name finds it (inventory.selectors'
search fields) and its page says "formerly pc-07". pc-07 renamed acct-07 by a submission was
found by no search of pc-07: the old name was in its history's lines alone.
"""

import re

SEPARATOR = "\n"  # no hostname holds one (inventory.validators: no control character)


def former_hostnames_after(former: str, old: str, new: str) -> str:
    """The former hostnames after a rename from `old` to `new`: `old` the newest of them, each
    name once (case-insensitively, as hostnames are matched), `new` none of them (a machine
    renamed back to a name it had)."""
    kept: dict[str, str] = {}
    for name in [*former.split(SEPARATOR), old]:
        if name and name.lower() != new.lower():
            kept.pop(name.lower(), None)  # a name had again is where it was last had
            kept[name.lower()] = name
    return SEPARATOR.join(kept.values())


def former_hostnames_list(former: str) -> list[str]:
    """The former hostnames as said, the newest first."""
    return [name for name in reversed(former.split(SEPARATOR)) if name]


# a device's history line of a rename, as inventory.changelog.describe_changes writes it: by a
# submission, through the API, in the admin's form (the hostname first of the fields, or after
# another's value)
_RENAMED = re.compile(
    r'(?:^(?:Renamed by a submission \(same \w+\): |Changed through the API: |Changed )|"; )'
    r'hostname "(?P<old>.*?)" → "(?P<new>.*?)"(?:; |\.|$)',
    re.DOTALL,
)
_CUT = 80  # changelog.shown cuts a longer value to 77 characters and "..."


def rename_in_history(message: str) -> tuple[str, str] | None:
    """The (old, new) hostnames of a device's history line that renamed it, None for another
    line or a name the line cut short (changelog.shown: 77 characters and "...")."""
    found = _RENAMED.search(message)
    if found is None:
        return None
    old, new = found["old"], found["new"]
    if any(len(name) == _CUT and name.endswith("...") for name in (old, new)):
        return None
    return old, new
