"""Machines side by side: GET /api/compare?devices=1,2,3 and the admin's *Compare selected*.

Each device's ranking figures (columns of its row) and its latest snapshot's hardware (one
join): the whole comparison is one query, whatever the number of devices.
"""

from collections.abc import Sequence
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import history
from inventory.columns import model_key
from inventory.models import Device, HardwareSnapshot
from inventory.schema import CATEGORIES

from .auth import may_view
from .lookup import MAX_ID, whole_number
from .templatetags.humanize_scores import filesizeformat_mb, partial_global

MIN_DEVICES, MAX_DEVICES = 2, 10
HARDWARE_KEYS = ("cpu_model", "cores", "threads", "ram_total_mb", "gpu_model", "disks", "os")
SCORE_KEYS = ("global", *(c.name for c in CATEGORIES))

MSG_COUNT = (
    f"Give {MIN_DEVICES} to {MAX_DEVICES} device ids separated by commas, e.g. devices=1,2,3."
)
MSG_NOT_ID = "{value!r} is not a device id."
MSG_REPEATED = "Device {value} is given twice."
MSG_TWICE = "Give devices once: devices=1,2,3."
MSG_UNKNOWN = "No device with id {ids}."


class CompareError(ValueError):
    """Bad `devices`: the API answers 400 naming it."""


def parse_ids(given: list[str]) -> list[int]:
    """The device ids of `devices=1,2,3` (the parameter's values: one), in the order given (2
    to 10, each once)."""
    if len(given) > 1:  # which list was meant is not for the server to guess
        raise CompareError(MSG_TWICE)
    raw = given[0] if given else ""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not MIN_DEVICES <= len(parts) <= MAX_DEVICES:
        raise CompareError(MSG_COUNT)
    ids: list[int] = []
    for part in parts:
        pk = whole_number(part)
        if pk is None or not 0 < pk <= MAX_ID:
            raise CompareError(MSG_NOT_ID.format(value=part[:20]))
        if pk in ids:
            raise CompareError(MSG_REPEATED.format(value=part))
        ids.append(pk)
    return ids


def _disk_models(snapshot: HardwareSnapshot) -> list[str]:
    """The models of the snapshot's disks that have one (a VM's virtual disk has none: its
    device name, /dev/vda or /dev/sda, says nothing of the hardware), as search reads them."""
    disks = (snapshot.storage or {}).get("devices") if isinstance(snapshot.storage, dict) else None
    return [
        str(disk["model"])
        for disk in (disks if isinstance(disks, list) else ())
        if isinstance(disk, dict) and disk.get("model")
    ]


def _comparable(key: str, hardware: dict[str, Any]) -> Any:
    """What two machines' `key` is compared by: a model as peers match them (case and runs of
    spaces aside, inventory.columns.model_key), disks whatever their order."""
    value = hardware[key]
    if key == "disks":
        return sorted(model_key(model) for model in value)
    return model_key(value) if isinstance(value, str) else value


def device_hardware(snapshot: HardwareSnapshot | None) -> dict[str, Any]:
    """The compared hardware of a snapshot; every value None (disks []) without one."""
    if snapshot is None:
        return {key: [] if key == "disks" else None for key in HARDWARE_KEYS}
    os_name = " ".join(part for part in (snapshot.os_name, snapshot.os_version) if part)
    return {
        "cpu_model": snapshot.cpu_model or None,
        "cores": snapshot.cpu_cores,
        "threads": snapshot.cpu_threads,
        "ram_total_mb": snapshot.ram_total_mb,
        "gpu_model": snapshot.gpu_model or None,
        "disks": _disk_models(snapshot),
        "os": os_name or None,
    }


def device_scores(device: Device) -> dict[str, float | None]:
    """The device's ranking figures by category name, "global" first."""
    return {
        "global": device.global_score,
        **{c.name: getattr(device, f"{c.name}_score") for c in CATEGORIES},
    }


def _differs(key: str, item: dict[str, Any], other: dict[str, Any]) -> bool:
    return _comparable(key, item["hardware"]) != _comparable(key, other["hardware"])


def compare_devices(ids: Sequence[int]) -> dict[str, Any]:
    """The comparison of these devices, in this order; Http404 naming any unknown id."""
    devices = {
        device.pk: device
        for device in Device.objects.filter(pk__in=ids)
        .select_related("latest_snapshot")
        .defer("latest_snapshot__raw", "latest_snapshot__network")
    }
    missing = [pk for pk in ids if pk not in devices]
    if missing:
        raise Http404(MSG_UNKNOWN.format(ids=", ".join(map(str, missing))))
    items = [
        {
            "id": pk,
            "hostname": devices[pk].hostname,
            "scores": device_scores(devices[pk]),
            "hardware": device_hardware(devices[pk].latest_snapshot),
            "last_benchmark_at": devices[pk].last_benchmark_at,
            "latest_validity": devices[pk].latest_validity or None,
            "latest_validity_reasons": list(devices[pk].latest_validity_reasons or ()),
            # a figure its run left out of the global score (a network measured on loopback)
            "ranking_excluded_categories": list(devices[pk].ranking_excluded or ()),
        }
        for pk in ids
    ]
    differences = [
        f"hardware.{key}"
        for key in HARDWARE_KEYS
        if any(_differs(key, item, items[0]) for item in items)
    ]
    return {"devices": items, "differences": differences}


class CompareHardwareSerializer(serializers.Serializer):
    cpu_model = serializers.CharField(allow_null=True)
    cores = serializers.IntegerField(allow_null=True)
    threads = serializers.IntegerField(allow_null=True)
    ram_total_mb = serializers.IntegerField(allow_null=True)
    gpu_model = serializers.CharField(allow_null=True)
    disks = serializers.ListField(child=serializers.CharField(), help_text="disk models")
    os = serializers.CharField(allow_null=True, help_text="OS name and version")


class CompareDeviceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    hostname = serializers.CharField()
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="ranking figures: global, cpu, memory, disk, network, gpu",
    )
    hardware = CompareHardwareSerializer(help_text="from the device's latest snapshot")
    last_benchmark_at = serializers.DateTimeField(allow_null=True)
    latest_validity = serializers.CharField(allow_null=True)
    latest_validity_reasons = serializers.ListField(child=serializers.CharField())
    ranking_excluded_categories = serializers.ListField(
        child=serializers.CharField(),
        help_text="figures its run left out of the global score (a network measured on "
        "loopback): shown, never the best",
    )


class CompareSerializer(serializers.Serializer):
    devices = CompareDeviceSerializer(many=True)
    differences = serializers.ListField(
        child=serializers.CharField(), help_text="hardware fields whose values differ"
    )


# what a comparison shows: the devices' ranking figures and their latest hardware (a staff
# session needs the view permission of both, as the device page asks to show the hardware)
COMPARED_MODELS = (Device, HardwareSnapshot)


class CompareView(APIView):
    """GET /api/compare?devices=1,2,3 (read scope)."""

    @staticmethod
    def permission_models(request) -> list:
        return list(COMPARED_MODELS)

    @extend_schema(
        operation_id="compare",
        summary="Machines side by side: ranking figures and latest hardware",
        parameters=[
            OpenApiParameter(
                "devices", str, required=True, description="2 to 10 device ids, e.g. 1,2,3"
            )
        ],
        responses={
            200: CompareSerializer,
            400: OpenApiResponse(description="Bad `devices`: the body names it."),
            404: OpenApiResponse(description="An unknown device id."),
        },
    )
    def get(self, request):
        try:
            ids = parse_ids(request.query_params.getlist("devices"))
        except CompareError as exc:
            return Response({"devices": [str(exc)]}, status=400)
        return Response(CompareSerializer(compare_devices(ids)).data)


# -- the admin page --------------------------------------------------------------------------


def _best(values: list[float | None]) -> float | None:
    """The best of a row, or None when there is nothing to single out (all equal or unmeasured)."""
    measured = [v for v in values if v is not None]
    if len(set(measured)) < 2:
        return None
    return max(measured)


def compare_rows(comparison: dict[str, Any]) -> dict[str, list]:
    """The page's rows: scores with the best marked, hardware with what differs from the first
    machine marked (at ten machines "differs from the first" reads better than "not all equal")."""
    items = comparison["devices"]
    scores = []
    for key in SCORE_KEYS:
        values = [item["scores"][key] for item in items]
        # a loopback network, many times a real one, is no machine's best
        left_out = [key in item["ranking_excluded_categories"] for item in items]
        best = _best([None if out else v for v, out in zip(values, left_out, strict=True)])
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
                    (v, v is not None and v == best and not out, out, note)
                    for v, out, note in zip(values, left_out, notes, strict=True)
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
    }
    hardware = []
    for key, label in labels.items():
        # the page's "cores / threads" row differs where either does
        keys = ("cores", "threads") if key == "cores" else (key,)
        cells = [
            (_shown(key, item["hardware"]), any(_differs(k, item, items[0]) for k in keys))
            for item in items
        ]
        hardware.append({"key": key, "label": label, "cells": cells})
    return {"scores": scores, "hardware": hardware}


def _shown(key: str, hardware: dict[str, Any]) -> str:
    """A hardware value as the page shows it ("" when unknown: the template shows a dash)."""
    value = hardware[key]
    if key == "cores":
        cores, threads = value, hardware["threads"]
        return "" if cores is None and threads is None else f"{cores or '?'} / {threads or '?'}"
    if key == "ram_total_mb":
        return "" if value is None else filesizeformat_mb(value)
    if key == "disks":
        return "\n".join(value)
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
    a picker of the device's snapshots."""
    device = model_admin.get_object(request, admin.utils.unquote(object_id))
    if device is None or not model_admin.has_view_permission(request, device):
        raise Http404
    if not may_view(request.user, HardwareSnapshot):  # as the device page hides it
        raise PermissionDenied
    snapshots = device.snapshots.values_list("pk", "captured_at")
    choices = list(snapshots.order_by("-captured_at", "-pk")[:COMPARE_CHOICES])
    if len(choices) == COMPARE_CHOICES:
        # a long life's first snapshot too, out of the newest: "what changed since we got it"
        first = snapshots.order_by("captured_at", "pk").first()
        if first not in choices:
            choices.append(first)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": device,
        "title": f"{device}: hardware compared",
        "choices": choices,
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
    context.update(
        a=a,
        b=b,
        sections=history.snapshot_compare(a, b),
        changes=history.snapshot_changes(a, b),
        health_changes=history.disk_health_changes(a, b),
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
