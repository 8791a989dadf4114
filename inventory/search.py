"""A search's terms as filters, one rule for the API's ?search= (inventory.filters) and the
admin's device list: each term in any field or tag, whole IP addresses whole, MAC addresses
however written. Apart from the API's filters because the admin imports it at start, and those
import DRF's serializers (0.17 s of CPU that a manage.py command without the API need not pay).
"""

import ipaddress
import operator
import re
from functools import reduce

from django.db.models import Case, Exists, Q, When
from django.db.models.functions import Lower
from django.utils.text import unescape_string_literal

from .releases import NAME as OS_NAME_FIELD
from .releases import release_words, running_searched
from .selectors import ADDRESSES_FIELD, FOLDED_SEARCH_FIELDS

# the identifiers of 32 hex digits a machine says it is (machine-id, DMI UUID), searched from
# their start by a term of this many characters at least; a kernel version by a term with a
# digit in it ("amd64", "6.1") anywhere, by another as a whole part ("pve"); a condition no row
# meets, for a term a field is not searched for
HEX_IDS = ("machine_id", "system_uuid")
HEX_ID_MIN = 8
KERNEL_FIELD = "latest_snapshot__kernel_version"
NOTHING = Q(pk__in=[])
MAX_SEARCH_TERMS = 20  # words of one search: each is a filter over every field (SQLite's
# expression tree stops near 1,000 nodes: 200 words were a 500)
MSG_TOO_MANY_TERMS = f"At most {MAX_SEARCH_TERMS} words."


# a search's terms: a "quoted phrase" (or a 'quoted' one) that starts a word and ends it, whole,
# blanks and commas in it and all; else a run of anything but blanks and commas, in which a quote
# is the character (O'Brien, "rack 4"x). Django's smart_split, used before, read the apostrophes
# of O'Brien and D'Arcy as the quotes of one phrase, and kept `obrien,"rack 4"` one word.
_TERMS = re.compile(
    r"""(?:^|(?<=[\s,]))(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')(?=[\s,]|$)|[^\s,]+"""
)


def search_terms(text: str) -> list[str]:
    """A search's terms, for the API's ?search= and the admin's device search alike: words,
    "quoted phrases" kept whole, words between commas apart (DRF's rule), a quoted phrase
    beside a comma or after a word with an apostrophe too (`obrien,"rack 4"`, `O'Brien
    "rack 4"`: it was searched with its quotes). A lone quote, as in a search for `'` or
    `O' Brien`, is the character itself: read as an empty phrase, it matched every machine."""
    terms = []
    for match in _TERMS.finditer(text):
        term = match.group()
        if len(term) > 1 and term[0] in "\"'" and term[0] == term[-1]:
            term = unescape_string_literal(term)
        terms.append(term)  # a phrase as typed, its blanks and all, as DRF's
    return [term for term in terms if term]


def names_first(devices, term: str):
    """Devices found by a search, those whose hostname is `term`, then starts with it, then
    holds it first, by name: the order to pick one by typing its name in."""
    return devices.annotate(
        name_match=Case(
            When(hostname__iexact=term, then=0),
            When(hostname__istartswith=term, then=1),
            When(hostname__icontains=term, then=2),
            default=3,
        )
    ).order_by("name_match", Lower("hostname"), "pk")


def _whole_address(term: str) -> str | None:
    """The term as the snapshots keep an IP address (inventory.columns.addresses: lower case,
    compressed) when it is one whole address, else None."""
    try:
        return str(ipaddress.ip_address(term.strip("[]")))
    except ValueError:
        return None


# a MAC address as Windows (3C-52-82-0A-1B-2C), Cisco (3c52.820a.1b2c), HPE and H3C switches
# (3c52-820a-1b2c) or a label without separators (3C52820A1B2C) write it, or part of one with
# dashes (3c-52-82: a vendor's prefix)
_MAC_DASHES = re.compile(r"[0-9a-f]{2}(?:-[0-9a-f]{2})+", re.IGNORECASE)
_MAC_BARE = re.compile(r"[0-9a-f]{4}([.-]?)[0-9a-f]{4}\1[0-9a-f]{4}", re.IGNORECASE)


def _mac_form(term: str) -> str:
    """The term as the snapshots keep a MAC address (colons, lower case) when it is written
    another way, else the term as it is."""
    if _MAC_DASHES.fullmatch(term):
        return term.replace("-", ":").lower()
    if _MAC_BARE.fullmatch(term):
        digits = term.replace(".", "").replace("-", "").lower()
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    return term


def term_filter(lookup: str, term: str) -> Q:
    """`lookup` (a search field's `__icontains`) for one term. A whole IP address is matched
    whole among the machine's addresses (one per line, perhaps with its prefix length):
    10.0.0.1 found the machines at 10.0.0.10–19, 10.0.0.100 and 110.0.0.1 too. Part of one
    ("10.0.0.") still finds every address it is in: a subnet's machines. A MAC address is
    found however it is written (_mac_form). What people write of a machine (its notes, where
    it is, whose it is, its tags) is matched with accents ignored (inventory.folding)."""
    field = lookup.removesuffix("__icontains")
    if field in FOLDED_SEARCH_FIELDS:
        return Q(**{f"{field}__folded__icontains": term})
    if field in HEX_IDS:
        # 32 hex digits: "b12" (a room) found machines at random in them; from their start, by
        # a term as long as a person pastes one, as the documents' hashes are found
        return Q(**{f"{field}__istartswith": term}) if len(term) >= HEX_ID_MIN else NOTHING
    if field == KERNEL_FIELD and not any(c.isdigit() for c in term):
        # a word without a digit, as a whole part of it: "pve", "azure", "rt" (a Proxmox node
        # says Debian elsewhere); "amd" found every machine whose kernel is 6.1.0-28-amd64,
        # Intel's too. A version ("6.1", "5.10.0-28", "amd64") anywhere in it, as before
        if not (part := term.strip("-.")):
            return NOTHING
        return Q(**{f"{field}__iregex": rf"(^|[-.+_]){re.escape(part)}([-.+_]|$)"})
    if lookup != f"{ADDRESSES_FIELD}__icontains":
        return Q(**{lookup: term})
    address = _whole_address(term)
    if address is None:
        return Q(**{lookup: _mac_form(term)})
    return Q(**{f"{ADDRESSES_FIELD}__iregex": rf"(^|\n){re.escape(address)}(/|\n|$)"})


def each_term(model, terms: list[str], own: list[str], related: list[str]) -> list[Q]:
    """One filter per search term: the term in one of the object's own fields (`own` lookups,
    its row's or a one-to-one's), or in one of its related rows (`related` lookups: a tag's
    name), each term in any of them. A device tagged "proxmox" and "Rack-A" is found by
    "proxmox rack-a": DRF's and Django's admin search wanted both terms in one and the same
    tag. The related rows are matched once per term, by `pk IN (...)`: no join makes a device
    once per tag, so nothing needs DISTINCT, and the page's keys walk the ranking's index.
    Where the OS is searched, a word and a version number that name an OS release the fleet
    runs are one term, the machines running it: `debian 11` found the Debian 12 machines whose
    kernel is 6.1.0-11 too. Two that name none are matched apart, as any two words; which is
    decided in the same statement (an uncorrelated EXISTS, read once), no query more."""

    def found(lookups: list[str], term: str) -> Q:
        return reduce(operator.or_, (term_filter(lookup, term) for lookup in lookups))

    def anywhere(term: str) -> Q:
        return found(own, term) | Q(pk__in=model.objects.filter(found(related, term)).values("pk"))

    if f"{OS_NAME_FIELD}__icontains" not in own:  # who may not view the hardware
        return [anywhere(term) for term in terms]
    filters = []
    for words, release in release_words(terms):
        apart = reduce(operator.and_, (anywhere(word) for word in words))
        if release is None:
            filters.append(apart)
            continue
        running = running_searched(*release)
        filters.append(running | (~Exists(model.objects.filter(running)) & apart))
    return filters
