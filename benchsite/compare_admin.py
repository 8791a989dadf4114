"""The admin's pages of machines side by side (*Compare selected*, the data of
GET /api/compare: compare.py) and of two snapshots of one machine."""

from collections import Counter
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from benchmarks.models import Benchmark, Validity
from inventory import history
from inventory.models import HardwareSnapshot
from inventory.schema import CATEGORIES
from inventory.summary import disk_label

from .auth import may_view
from .compare import (
    COMPARED_MODELS,
    MAX_DEVICES,
    MIN_DEVICES,
    SCORE_KEYS,
    CompareError,
    compare_devices,
    differs,
    parse_ids,
)
from .compare_runs import runs_compared
from .hardware_life import hardware_life
from .hardware_tables import SHOWN
from .ids import MAX_ID
from .templatetags.humanize_scores import filesizeformat_mb, partial_global


def _best(values: list[float | None]) -> float | None:
    """The best of a row, or None when there is nothing to single out (all equal or unmeasured)."""
    measured = [v for v in values if v is not None]
    if len(set(measured)) < 2:
        return None
    return max(measured)


def compare_rows(comparison: dict[str, Any]) -> dict[str, list]:
    """The page's rows: scores with the best marked, hardware with what differs from the value
    most of the machines have marked (the first machine's where none is more common): three
    twins and another model, the other listed first as the best-ranked, had the three twins
    marked and not the one that differs. At ten machines this reads better than "not all
    equal"."""
    items = comparison["devices"]
    scores = []
    for key in SCORE_KEYS:
        values = [item["scores"][key] for item in items]
        # a loopback network, many times a real one, is no machine's best; nor is a figure of
        # a suspect run (measured busy, throttled, …)
        left_out = [key in item["ranking_excluded_categories"] for item in items]
        starless = [
            out or item["ranking_validity"] == Validity.SUSPECT
            for out, item in zip(left_out, items, strict=True)
        ]
        best = _best([None if no else v for v, no in zip(values, starless, strict=True)])
        label = "global" if key == "global" else next(c.label for c in CATEGORIES if c.name == key)
        # a global score of fewer categories says so (3 of 5), as in the ranking
        notes = [
            partial_global(item["scores"], item["ranking_excluded_categories"])
            if key == "global"
            else ""
            for item in items
        ]
        scores.append(
            {
                "key": key,
                "label": label,
                "cells": [
                    (v, v is not None and v == best and not no, out, note)
                    for v, no, out, note in zip(values, starless, left_out, notes, strict=True)
                ],
            }
        )
    labels = {
        "cpu_model": "CPU",
        "cores": "cores / threads",
        "ram_total_mb": "RAM",
        "gpu_model": "GPU",
        "disks": "disks",
        "os": "OS",
        "kernel_version": "kernel",
        "bios_version": "BIOS",
    }
    hardware = []
    for key, label in labels.items():
        # the page's "cores / threads" row differs where either does
        keys = ("cores", "threads") if key == "cores" else (key,)
        reference = _most_common(items, keys)
        cells = [
            (_shown(key, item["hardware"]), any(differs(k, item, reference) for k in keys))
            for item in items
        ]
        hardware.append({"key": key, "label": label, "cells": cells})
    return {"scores": scores, "hardware": hardware}


def _most_common(items: list[dict], keys: tuple[str, ...]) -> dict:
    """The machine whose `keys` most of `items` share, the first of those as common (ten at
    the most: every pair compared, as `differs` compares them). A value not known (a machine
    without a snapshot: a dash) is no reference: three imported machines marked the two
    that have a CPU as the ones that differ."""
    known = [item for item in items if any(item["hardware"][k] not in (None, []) for k in keys)]
    candidates = known or items
    alike = [
        sum(not any(differs(k, item, other) for k in keys) for other in items)
        for item in candidates
    ]
    return candidates[alike.index(max(alike))]


def _shown(key: str, hardware: dict[str, Any]) -> str:
    """A hardware value as the page shows it ("" when unknown: the template shows a dash)."""
    value = hardware[key]
    if key == "cores":
        cores, threads = value, hardware["threads"]
        return "" if cores is None and threads is None else f"{cores or '?'} / {threads or '?'}"
    if key == "ram_total_mb":
        return "" if value is None else filesizeformat_mb(value)
    if key == "disks":
        # a storage server's 4,096 disks of one model: "4,095 × HUH721212AL5200", a line a model
        # and capacity ("970 EVO Plus (2 TB)": a 500 GB and a 2 TB one read alike)
        models = Counter(map(disk_label, value, hardware["disk_sizes"]))
        lines = [f"{n:,} × {model}" if n > 1 else model for model, n in models.items()]
        more = len(lines) - SHOWN
        return "\n".join(lines[:SHOWN] + ([f"… and {more:,} more models"] if more > 0 else []))
    return "" if value is None else str(value)


def compare_view(model_admin: admin.ModelAdmin, request):
    """The admin page: /admin/inventory/device/compare/?devices=1,2,3."""
    if not (model_admin.has_view_permission(request) and may_view(request.user, *COMPARED_MODELS)):
        raise PermissionDenied
    try:
        ids = parse_ids(request.GET.getlist("devices"))
        comparison = compare_devices(ids)
    except (CompareError, Http404) as exc:  # back to the list, with the reason
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("admin:inventory_device_changelist"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"{len(ids)} machines compared",
        "comparison": comparison,
        "rows": compare_rows(comparison),
        "api_url": reverse("compare") + "?devices=" + ",".join(map(str, ids)),
    }
    return TemplateResponse(request, "admin/inventory/device/compare_devices.html", context)


COMPARE_CHOICES = 1000  # a device's snapshots offered in the snapshot compare's picker


def snapshots_compare_view(model_admin: admin.ModelAdmin, request, object_id: str):
    """The admin page of two snapshots of a device side by side
    (/admin/inventory/device/<id>/compare/?a=<id>&b=<id>; without them the two newest), with
    a picker of the device's snapshots, and the scores of the runs taken with them to an
    account that may view runs."""
    device = model_admin.get_object(request, admin.utils.unquote(object_id))
    if device is None or not model_admin.has_view_permission(request, device):
        raise Http404
    if not may_view(request.user, HardwareSnapshot):  # as the device page hides it
        raise PermissionDenied
    # the picker's snapshots in stretches of one hardware, each headed by the change that began
    # it: a weekly cron's ten years were 520 dates alike, the RAM upgrade's among them unsaid
    periods = hardware_life(device, limit=COMPARE_CHOICES, listed=COMPARE_CHOICES).periods
    groups = [(period, period.snapshots) for period in periods if period.snapshots]
    choices = [choice for period in periods for choice in period.snapshots]
    if len(choices) == COMPARE_CHOICES:
        # a long life's first snapshot too, out of the newest: "what changed since we got it"
        snapshots = device.snapshots.values_list("pk", "captured_at")
        first = snapshots.order_by("captured_at", "pk").first()
        if first not in choices:
            choices.append(first)
            groups.append((None, [first]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": device,
        "title": f"{device}: two snapshots compared",
        "choices": choices,
        "groups": groups,
    }
    if "a" not in request.GET and "b" not in request.GET:
        if len(choices) < 2:  # nothing to compare yet: say so on the page
            return TemplateResponse(request, "admin/inventory/device/compare.html", context)
        ids = [choices[1][0], choices[0][0]]
    else:
        try:
            ids = [int(request.GET[key]) for key in ("a", "b")]
        except (KeyError, ValueError):
            raise Http404("Choose two snapshots: ?a=<id>&b=<id>") from None
        if not all(0 < pk <= MAX_ID for pk in ids):  # a database integer, or no snapshot
            raise Http404("No such snapshot.")
    snapshots = {s.pk: s for s in device.snapshots.filter(pk__in=ids)}
    if len(snapshots) != len(set(ids)):
        raise Http404("Both snapshots must belong to this device.")
    a, b = sorted((snapshots[i] for i in ids), key=lambda s: (s.captured_at, s.pk))
    # a storage server's 4,096 disks: the first SHOWN rows of each table, those that changed
    # first, the rest a click away (?all=disks, partitions, interfaces, readings)
    whole = request.GET.get("all", "")
    health = history.disk_health_changes(a, b)
    context.update(
        a=a,
        b=b,
        runs=runs_compared(a, b) if may_view(request.user, Benchmark) else None,
        sections=history.snapshot_compare(a, b, shown=SHOWN, whole=whole),
        # rows named by the machine (eth0, /dev/sda), written as it wrote them: not "Eth0"
        named_rows=[title for _, title, _ in history.COMPARED_TABLES],
        changes=history.snapshot_changes(a, b),
        health_changes=health if whole == history.READINGS else health[:SHOWN],
        health_more=0 if whole == history.READINGS else max(0, len(health) - SHOWN),
    )
    return TemplateResponse(request, "admin/inventory/device/compare.html", context)


@admin.action(description="Compare selected", permissions=("compare",))
def compare_selected(modeladmin, request, queryset):
    """Opens the comparison of 2–10 selected devices, in the list's order."""
    # the checkboxes' order is the list's order; the queryset's is not
    posted = [int(pk) for pk in request.POST.getlist(ACTION_CHECKBOX_NAME) if pk.isdecimal()]
    selected = set(queryset.values_list("pk", flat=True)[: MAX_DEVICES + 1])
    ids = [pk for pk in posted if pk in selected] if len(selected) <= MAX_DEVICES else []
    if not MIN_DEVICES <= len(selected) <= MAX_DEVICES or len(ids) != len(selected):
        count = len(selected) if len(selected) <= MAX_DEVICES else f"more than {MAX_DEVICES}"
        messages.error(
            request,
            f"Select {MIN_DEVICES} to {MAX_DEVICES} devices to compare ({count} selected).",
        )
        return None
    url = reverse("admin:inventory_device_compare_devices")
    return HttpResponseRedirect(f"{url}?devices={','.join(map(str, ids))}")
