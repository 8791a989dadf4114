"""Query-string filters of GET /api/devices (contract: search, location, tag, ordering; owner
beyond it)."""

import re

from django.db.models import F
from django.db.models.functions import Lower
from rest_framework import filters, serializers

from benchsite.pagination import query_once

from .disk_wear import DISK_CHOICES, OLD_POWER_ON_HOURS, WORN_PERCENT_USED, devices_with_disks
from .models import Device, Tag
from .quiet import devices_quiet
from .releases import devices_running
from .search import MAX_SEARCH_TERMS, MSG_TOO_MANY_TERMS, each_term, search_terms


def query_text(request, name: str) -> str:
    """A text query parameter, given once; one the database cannot take (a NUL character:
    PostgreSQL refuses it) is a 400 naming the parameter, like every other validation error."""
    return _checked(name, query_once(request, name, ""))


def query_texts(request, name: str) -> list[str]:
    """Every non-empty value of a repeated text query parameter (`?tag=a&tag=b`), checked as
    query_text checks one."""
    return [_checked(name, value) for value in request.query_params.getlist(name) if value]


def _checked(name: str, value: str) -> str:
    try:
        return serializers.CharField(trim_whitespace=False, allow_blank=True).run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


class DeviceSearch(filters.SearchFilter):
    """DRF's `?search=` terms and lookups, its refusal worded {"search": [...]} (DRF's own is a
    bare list), and each term matched in any field or tag (each_term). DRF's own query joined
    the tags (a device once per tag) in one filter for every term and wrapped it in an EXISTS
    for each device: the count, then the page's keys, each matched every field of every device
    once per tag (p95 288 ms on PostgreSQL at 10,000 devices, perf/reads.py)."""

    def get_search_terms(self, request):
        terms = search_terms(query_text(request, self.search_param))
        if len(terms) > MAX_SEARCH_TERMS:
            raise serializers.ValidationError({self.search_param: [MSG_TOO_MANY_TERMS]})
        return terms

    def filter_queryset(self, request, queryset, view):
        fields = [str(field) for field in self.get_search_fields(view, request) or ()]
        terms = self.get_search_terms(request)
        if not terms or not fields:
            return queryset
        lookups = {field: self.construct_search(field, queryset) for field in fields}
        related = [lookups[f] for f in fields if self.must_call_distinct(queryset, [f])]
        own = [lookup for field, lookup in lookups.items() if lookup not in related]
        if not related or not own:
            return super().filter_queryset(request, queryset, view)
        return queryset.filter(*each_term(queryset.model, terms, own, related))


MSG_RETIRED = "Expected true or false (or 1/0, yes/no, on/off)."
MSG_DISKS = f"Expected {' or '.join(DISK_CHOICES)}."
# the words DRF's BooleanField takes (any case), as /api/hardware-changes' include_retired and
# parts take them: a script's one helper for the API's yes/no parameters was refused for `1`
RETIRED_VALUES = {
    **{str(word).lower(): True for word in serializers.BooleanField.TRUE_VALUES},
    **{str(word).lower(): False for word in serializers.BooleanField.FALSE_VALUES},
}


def any_case_pattern(words, *, or_nothing: bool = False) -> str:
    """A JSON Schema pattern (ECMA 262: no (?i) flag) of these words in any case, or nothing
    too (`?disks=`, taken as no parameter): `^(?:[oO][lL][dD]|[wW][oO][rR][nN])?$`."""
    each = (
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)
        for word in sorted(words)
    )
    return f"^(?:{'|'.join(each)}){'?' if or_nothing else ''}$"


class DeviceFilter(filters.BaseFilterBackend):
    """`?location=`, `?owner=` and `?tag=`, case-insensitive exact matches; `?tag=` repeated
    (`?tag=rack-a&tag=backup`): the devices carrying every one of these tags; `?retired=true`
    the retired machines, `false` those in service (without it: every device, as the contract
    lists them); `?quiet=true` the machines gone quiet, `false` the others (inventory.quiet);
    `?disks=old` or `worn` the machines with such a disk (inventory.disk_wear); `?os=` and
    `?os_version=` the machines running an OS, a release of it (inventory.releases)."""

    def filter_queryset(self, request, queryset, view):
        if retired := query_text(request, "retired"):
            if retired.lower() not in RETIRED_VALUES:
                raise serializers.ValidationError({"retired": [MSG_RETIRED]})
            queryset = queryset.filter(retired_on__isnull=not RETIRED_VALUES[retired.lower()])
        # beyond the contract: the machines gone quiet (inventory.quiet), or the others
        if said := query_text(request, "quiet"):
            if said.lower() not in RETIRED_VALUES:
                raise serializers.ValidationError({"quiet": [MSG_RETIRED]})
            queryset = devices_quiet(queryset, quiet=RETIRED_VALUES[said.lower()])
        # beyond the contract: the machines with an old or worn disk (inventory.disk_wear),
        # for who may read the hardware (a staff session without it: none, as its search)
        if disks := query_text(request, "disks"):
            if disks.lower() not in DISK_CHOICES:
                raise serializers.ValidationError({"disks": [MSG_DISKS]})
            if not view.reads_hardware():
                return queryset.none()
            queryset = devices_with_disks(queryset, disks.lower())
        # beyond the contract: the machines running an OS release, as the admin's OS filter
        # offers them (inventory.releases), for who may read the hardware
        os_name, os_version = query_text(request, "os"), query_text(request, "os_version")
        if os_name or os_version:
            if not view.reads_hardware():
                return queryset.none()
            queryset = devices_running(queryset, name=os_name, version=os_version or None)
        if location := query_text(request, "location"):
            queryset = queryset.filter(location__caseless=location)
        # beyond the contract: a script that retags one person's machines asked for ?owner=
        # and, as an unknown parameter, got the whole fleet
        if owner := query_text(request, "owner"):
            queryset = queryset.filter(owner__caseless=owner)
        # as a tag's name is stored, trimmed (" rack-a " was no tag's)
        if tags := list(dict.fromkeys(t.strip() for t in query_texts(request, "tag") if t.strip())):
            named = Tag.objects.all_named(tags)
            # one filter per tag: a device must carry each (a tag of that name, whatever its
            # case, each device once); an unknown tag is carried by none
            for tag in tags:
                carried = Device.tags.through.objects.filter(tag__in=named.get(tag, ()))
                queryset = queryset.filter(pk__in=carried.values("device_id"))
        return queryset

    def get_schema_operation_parameters(self, view):
        texts = [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": "string"},
            }
            for name, description in (
                ("location", "Devices at this location (case-insensitive)."),
                ("owner", "Devices of this owner (case-insensitive; beyond the contract)."),
                (
                    "tag",
                    "Devices carrying this tag (case-insensitive); repeated, every one of them.",
                ),
                (
                    "os",
                    "Devices whose latest snapshot's OS is named so, as /etc/os-release's NAME "
                    "(`Debian GNU/Linux`; case-insensitive, whole; beyond the contract).",
                ),
                (
                    "os_version",
                    "Devices whose latest snapshot's OS version is this, as /etc/os-release's "
                    "VERSION (`11 (bullseye)`; case-insensitive, whole; beyond the contract).",
                ),
            )
        ]
        # the words taken, in any case: a pattern (an enum of "true" and "false" refused the
        # `1` and `yes` the server takes, and any word's capitals)
        yes_no = {"type": "string", "pattern": any_case_pattern(RETIRED_VALUES, or_nothing=True)}
        retired = {
            "name": "retired",
            "required": False,
            "in": "query",
            "description": "true: the retired devices; false: those in service (beyond the "
            "contract; also 1/0, yes/no, on/off, y/n, t/f, in any case; nothing else). "
            "Without it, every device.",
            "schema": yes_no,
        }
        quiet = {
            **retired,
            "name": "quiet",
            "description": "true: the devices gone quiet (in service, with a run, the latest "
            "older than the server's QUIET_AFTER_DAYS); false: the others (beyond the contract; "
            "also 1/0, yes/no, on/off, y/n, t/f, in any case; nothing else). Without it, every "
            "device.",
        }
        disks = {
            **retired,
            "name": "disks",
            "description": "old: the devices whose latest snapshot lists a disk of "
            f"{OLD_POWER_ON_HOURS:,} power-on hours or more; worn: one with {WORN_PERCENT_USED} % "
            "or more of its rated life used (NVMe's percent_used). Beyond the contract; either "
            "word in any case, nothing else.",
            "schema": {**yes_no, "pattern": any_case_pattern(DISK_CHOICES, or_nothing=True)},
        }
        return [*texts, retired, quiet, disks]


MSG_ORDERING = (
    "{term!r} is not an ordering: hostname, global_score, last_benchmark_at or id, each may "
    "start with '-' (descending), several separated by commas."
)


class DeviceOrdering(filters.OrderingFilter):
    """hostname, global_score, last_benchmark_at, id (each may be prefixed with '-').

    Devices never benchmarked sort last in both directions, on every database (PostgreSQL
    would put NULLs first in descending order). `id`, the order devices were made in, is the
    one a script pages through while runs arrive: a new machine comes last and no page moves,
    where a run moved its machine up the ranking between two pages (one device listed twice,
    another never).
    """

    ordering_fields = ("hostname", "global_score", "last_benchmark_at", "id")

    def get_default_ordering(self, view):
        return ("-global_score",)

    def filter_queryset(self, request, queryset, view):
        given = query_once(request, self.ordering_param)
        if given is not None:
            # an unknown field answered the default order, which a client took for the one
            # it asked (a bad page or page_size is a 400 too)
            terms = [term.strip() for term in given.split(",") if term.strip()]
            # one '-' at most: DRF took "--hostname" for no field and answered the default order
            known = self.ordering_fields
            unknown = [term for term in terms if term.removeprefix("-") not in known]
            if unknown:
                raise serializers.ValidationError(
                    {self.ordering_param: [MSG_ORDERING.format(term=unknown[0][:50])]}
                )
        ordering = self.get_ordering(request, queryset, view) or ()
        if ordering and ordering[0].lstrip("-") == "id":  # unique: the primary key's order
            return queryset.order_by(ordering[0])
        expressions = []
        for term in ordering:
            name = term.lstrip("-")
            # hostnames in alphabetical order whatever their case, as they are matched
            field = Lower(name) if name == "hostname" else F(name)
            expression = (
                field.desc(nulls_last=True) if term.startswith("-") else field.asc(nulls_last=True)
            )
            expressions.append(expression)
        return queryset.order_by(*expressions, "hostname", "id")

    def get_valid_fields(self, queryset, view, context=None):
        return [(name, name) for name in self.ordering_fields]

    def get_schema_operation_parameters(self, view):
        # the orderings the server takes, not any text (which it answers with a 400)
        parameters = super().get_schema_operation_parameters(view)
        term = rf"\s*-?({'|'.join(self.ordering_fields)})\s*"
        for parameter in parameters:
            parameter["schema"]["pattern"] = rf"^{term}(,{term})*$"
        return parameters
