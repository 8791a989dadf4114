import json

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from benchsite.auth import may_view
from benchsite.paginator import KeysFirstPaginator
from benchsite.records_admin import (
    ListsWhatItShows,
    RecordAdmin,
    local_time,
    partial_global,
    score_text,
)
from inventory.models import Device, HardwareSnapshot
from inventory.schema import CATEGORIES

from . import rescoring, selectors, services, validity
from .models import Benchmark


def _score(name: str, label: str):
    """A score of the run as a sortable list column, to one decimal as every page shows
    scores (a float as stored read 93.96000000000001 and widened the list past its box)."""

    @admin.display(description=label, ordering=name)
    def column(run):
        return score_text(getattr(run, name))

    column.__name__ = name
    return column


@admin.display(description="global", ordering="global_score")
def global_score(run):
    """The run's global score, with "4 of 5" under it where it weighs fewer categories than
    the five (as the device list and the ranking say it): the runs' list gave a machine's
    loopback run 193.9 as if measured in all five."""
    scores = {
        "global": run.global_score,
        **{c.name: getattr(run, f"{c.name}_score") for c in CATEGORIES},
    }
    return format_html(
        "{}{}", score_text(run.global_score), partial_global(scores, run.excluded_categories or ())
    )


@admin.register(Benchmark)
class BenchmarkAdmin(ListsWhatItShows, RecordAdmin):
    # the scores' columns named as their categories are (the list fits 1400 px with the sidebar
    # open: "memory score" and the others hid the GPU and validity columns past its box)
    list_display = (
        "device",
        "run_time",
        global_score,
        _score("cpu_score", "CPU"),
        _score("memory_score", "memory"),
        _score("disk_score", "disk"),
        "network",
        _score("gpu_score", "GPU"),
        "validity_badge",
    )
    # a date filter, not date_hierarchy: its SELECT DISTINCT over every run_at costs ~0.5 s at
    # 100k benchmarks on SQLite (perf/reads.py)
    list_filter = ("run_at", "validity", "bench_script_version", "scoring_version")
    search_fields = ("device__hostname", "submission_id")
    list_select_related = ("device",)
    # the run as sent and what it was scored with are its page's, not the list's (its `extra`
    # alone may be as large as a submission)
    list_deferred = ("results", "extra", "methods", "weights")
    # a deep page (page 500 of 100,000 runs) reads the run_at index to it, not every run and its
    # device before it: p50 1.1 s -> 0.28 s on SQLite (perf/reads.py)
    paginator = KeysFirstPaginator
    # every field read-only, the JSON ones shown through the displays below
    fields = readonly_fields = (
        "device",
        "snapshot",
        "run_at",
        "received_at",
        "validity",
        "reasons",
        "excluded",
        "bench_script_version",
        # to one decimal, as the list and every page give them (a score as stored read
        # 108.46000000000001 here); the network's with "(loopback)" where it was left out
        _score("cpu_score", "CPU score"),
        _score("memory_score", "memory score"),
        _score("disk_score", "disk score"),
        "network",
        _score("gpu_score", "GPU score"),
        _score("global_score", "global score"),
        "methods_measured",
        "results_document",
        "extra_document",
        "scoring_version",
        "weights",
        "submission_id",
        "submitted_by",
    )
    actions = ("rescore", "export_csv")

    @admin.display(description="validity", ordering="validity")
    def validity_badge(self, obj):
        # a suspect run's badge with its reasons, as the dashboard and device history show it
        return validity.badge(obj.validity, obj.validity_reasons) or obj.validity

    @admin.display(description="run at", ordering="run_at")
    def run_time(self, obj):
        return local_time(obj.run_at)  # with its zone in the hour autumn's DST change repeats

    @admin.display(description="network", ordering="network_score")
    def network(self, obj):
        # a network measured on loopback is left out of the global score: said so, as the
        # dashboard says it
        if obj.network_score is not None and "network" in (obj.excluded_categories or ()):
            return f"{score_text(obj.network_score)} (loopback)"  # as the list's other scores
        return score_text(obj.network_score)

    @admin.display(description="methods")
    def methods_measured(self, obj):
        # the test each category was measured by: a run compares with the runs of its methods
        methods = obj.methods or {}
        return ", ".join(f"{name} {method}" for name, method in methods.items()) or "–"

    @admin.display(description="validity reasons")
    def reasons(self, obj):
        measured = validity.reasons_measured(
            obj.results, obj.validity_reasons, services.validity_thresholds()
        )
        # and what to do about them
        return f"{measured}. {validity.advice(obj.validity_reasons)}" if measured else "–"

    @admin.display(description="excluded categories")
    def excluded(self, obj):
        # the contract's one exclusion: a network measured on loopback (validity.is_loopback)
        names = ", ".join(obj.excluded_categories or ())
        return f"{names}: measured on loopback, not in the global score" if names else "–"

    @admin.display(description="results (as sent)")
    def results_document(self, obj):
        sent = (obj.results or {}).get("global_score")
        server = obj.global_score  # None: a run without scores, ranked by none
        if isinstance(sent, int | float) and not isinstance(sent, bool) and server is not None:
            if score_text(sent) != score_text(obj.global_score):
                # bench.sh's own sum read as the run's score beside the one ranked
                return format_html(
                    '<p class="help">Its global_score, {}, is bench.sh\'s own sum; the run is '
                    "ranked by the server's, {}, with the weights in force.</p>{}",
                    score_text(sent),
                    score_text(obj.global_score),
                    _document(obj.results),
                )
        return _document(obj.results)

    @admin.display(description="extra (top-level keys this server ignores)")
    def extra_document(self, obj):
        return _document(obj.extra)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # "Compare with the run before": the two runs' snapshots on the device's compare page,
        # their hardware and scores side by side, to an account that may open it
        before = None
        if obj is not None and obj.snapshot_id and may_view(request.user, Device, HardwareSnapshot):
            before = selectors.benchmark_before(run=obj)
        if before is not None:
            url = reverse("admin:inventory_device_compare", args=(obj.device_id,))
            context["compare_before"] = f"{url}?a={before.snapshot_id}&b={obj.snapshot_id}"
            context["run_before_at"] = local_time(before.run_at)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def delete_model(self, request, obj):
        services.benchmark_delete(benchmarks=Benchmark.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.benchmark_delete(benchmarks=queryset)

    # every run's page is read-only (RecordAdmin.has_change_permission): rescoring asks for
    # the permission to change runs itself
    def has_rescore_permission(self, request):
        return request.user.has_perm("benchmarks.change_benchmark")

    @admin.action(
        description="Re-apply the scoring and validity rules to selected benchmarks",
        permissions=("rescore",),
    )
    def rescore(self, request, queryset):
        selected = queryset.count()
        if selected > rescoring.RESCORE_IN_A_REQUEST:
            # in one request it would outlast the worker's timeout (gunicorn.conf.py): killed,
            # the person got an error page and part of the runs rescored, their machines not
            self.message_user(
                request,
                f"{selected:,} benchmarks selected: the admin rescores at most "
                f"{rescoring.RESCORE_IN_A_REQUEST:,} at once. Nothing was changed. Select fewer "
                "(a filter), or run `manage.py rescore` on the server, which rescores every run "
                "(or `--device HOSTNAME`'s) and judges the machines again, saying how far it is.",
                messages.ERROR,
            )
            return
        result = rescoring.benchmark_rescore_selected(benchmarks=queryset)
        self.message_user(
            request, f"Rescored {result.examined} benchmark(s): {result.changed} changed."
        )


def _document(value):
    """A stored JSON object as a person reads it: indented, keys in the order received."""
    if not value:
        return "–"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2))
