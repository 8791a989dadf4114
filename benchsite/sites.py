"""The admin site: its index is the fleet dashboard; its login counts failed attempts."""

import functools
import logging
import math
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.forms import BooleanField
from django.http import QueryDict, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from benchmarks.models import Benchmark
from benchmarks.selectors import benchmark_recent, fleet_stats, ranking_suspect_reasons
from benchmarks.validity import counted, is_loopback
from benchsite.attention_panel import attention_panel
from benchsite.auth import may_view
from benchsite.backups_made import backup_state
from benchsite.bulk_delete import delete_selected
from benchsite.disk_life import disk_life_panel
from benchsite.export import ExportStream, export_filename
from benchsite.hardware_changes_admin import hardware_changes_panel
from benchsite.models import Backup
from benchsite.story import schedules_of
from benchsite.streaming import in_sync_thread
from benchsite.throttling import AuthFailureThrottle
from inventory import quiet
from inventory.models import Device, HardwareSnapshot
from inventory.schema import CATEGORIES
from inventory.selectors import device_ranked, device_unbenchmarked

logger = logging.getLogger(__name__)

RANKING_SIZE = 50


UNBENCHMARKED_SHOWN = 5
QUIET_SHOWN = 10  # the dashboard's "Not heard from"; more: a count and a link to them all
MSG_LOGIN_THROTTLED = "Too many failed logins from this address; retry in {wait} s."


def bench_base(request) -> str:
    """The address other machines reach this server at: SITE_URL when set, else the one the
    browser used."""
    return settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")


def bench_loopback(base: str) -> str:
    """Whether the bench command's server is an address only this machine reaches (the
    loopback rule of runs' targets): the dashboard and a new token's page say so under it.
    "site_url" when SITE_URL is that address (the advice to set it read as if it were not
    set), "address" when the browser's is, "" otherwise."""
    if not is_loopback(urlsplit(base).netloc):
        return ""
    return "site_url" if settings.SITE_URL else "address"


def bench_command(base: str, token: str = "YOUR_TOKEN") -> str:  # noqa: S107 (a placeholder)
    """The one-liner that benchmarks a machine against the server at `base`."""
    return (
        f"curl -fsSL {base}/bench.sh | sudo bash -s -- "
        f"--server {base}/api/benchmark --token {token}"
    )


# Proxmox VE and a Debian installed with a root password have no sudo: the one-liner's sudo
# fails there ("sudo: command not found"), so every place that shows it says this too
BENCH_ROOT_NOTE = (
    "Already root, with no sudo (Proxmox VE, Debian with a root password)? Leave out sudo."
)


def ranking_rows(devices) -> list[dict]:
    """Ranking rows with each category score as a bar scaled to that column's best. A score its
    run left out of the global score (a network measured on loopback, many times a real one) is
    shown without a bar and scales no one else's. `suspect`: the reasons of the suspect run a
    row's figures come from."""
    devices = list(devices)
    figures = {
        device.pk: counted(
            {c.name: getattr(device, f"{c.name}_score") for c in CATEGORIES},
            device.ranking_excluded,
        )
        for device in devices
    }
    best = {
        c.name: max((figures[d.pk][c.name] or 0 for d in devices), default=0) for c in CATEGORIES
    }
    rows, suspect = [], ranking_suspect_reasons(devices)
    for rank, device in enumerate(devices, start=1):
        bars = []
        for category in CATEGORIES:
            score = getattr(device, f"{category.name}_score")
            value, top = figures[device.pk][category.name], best[category.name]
            width = round(100 * value / top) if value and top else 0
            bars.append(
                {"category": category, "score": score, "width": width, "counted": value == score}
            )
        # ranked by a suspect run (it has no valid one with scores): its reasons
        rows.append(
            {"rank": rank, "device": device, "bars": bars, "suspect": suspect.get(device.pk)}
        )
    return rows


EXPORTABLE = {"device": "devices", "benchmark": "benchmarks", "hardwaresnapshot": "snapshots"}


@admin.action(description="Export selected as CSV")
def export_csv(modeladmin, request, queryset):
    """The export command's CSV, for a selection (devices, snapshots or benchmarks)."""
    what = EXPORTABLE[modeladmin.model._meta.model_name]
    ids = list(queryset.values_list("pk", flat=True))
    # the devices' latest hardware for who may view the snapshots (the device page's rule)
    hardware = may_view(request.user, HardwareSnapshot)
    return spreadsheet_csv(what, ids, hardware=hardware, request=request)


def spreadsheet_csv(
    what: str, ids: list[int] | None = None, *, hardware: bool = False, request=None
) -> StreamingHttpResponse:
    """The export command's CSV of `what` (those with these ids, or all) as a download from the
    admin, which is opened in a spreadsheet: a BOM, formulas kept as text (scripts use
    manage.py export or /api/export, which write the values as stored). `hardware`: the
    devices' latest hardware in their last columns."""
    stream = ExportStream(fmt="csv", what=what, ids=ids, spreadsheet=True, hardware=hardware)
    chunks = iter(stream)
    if isinstance(request, ASGIRequest):
        # chunk by chunk, as /api/export: Django's ASGI handler read a sync iterator whole into
        # memory first (a worker grew by the size of each export)
        chunks = in_sync_thread(chunks)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    filename = export_filename(fmt="csv", what=what, now=timezone.localtime())
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def nul_replaced(query: QueryDict) -> QueryDict:
    """A query string with its NUL characters read as U+FFFD, as Django reads the bytes that
    are not UTF-8 (`%ff`). No stored value holds a NUL (PostgreSQL refuses one, in a row and
    in a query: a link's `?location=%00` was a 500 on every list whose filters or search pass
    their value to the database); the replacement character matches nothing either, so a
    filter or a search given one lists nothing, on SQLite as on PostgreSQL."""
    if not any("\x00" in key or "\x00" in "".join(values) for key, values in query.lists()):
        return query
    replaced = QueryDict(mutable=True)
    for key, values in query.lists():
        replaced.setlist(
            key.replace("\x00", "\ufffd"), [v.replace("\x00", "\ufffd") for v in values]
        )
    replaced._mutable = False
    return replaced


def selection_kept(request, model) -> None:
    """A list's action takes of the rows ticked (`_selected_action`) the values that can be a
    row's key, as a filter lists nothing for a value no row holds: a value that is no number
    (a NUL, a date) or one past the key's integers was a 500 of every action, on every
    database. With none left Django says that no item was selected, and nothing changes. On
    "Select all" the boxes are not read (the list's filters are): left as they are."""
    if BooleanField().to_python(request.POST.get("select_across")):
        return
    selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
    kept = [value for value in selected if _may_be_key(model, value)]
    if kept != selected:
        post = request.POST.copy()
        post.setlist(ACTION_CHECKBOX_NAME, kept)
        post._mutable = False
        request.POST = post


def _may_be_key(model, value: str) -> bool:
    key_field = model._meta.pk
    try:
        key = key_field.to_python(value)
    except ValidationError:
        return False
    if isinstance(key, int):
        low, high = connection.ops.integer_field_range(key_field.get_internal_type())
        return low <= key <= high
    return "\x00" not in str(key)


def filter_refused(response):
    """Django's page for a list's link holding a filter it cannot apply (`?e=1` after a filter
    such as `?uploaded_at__year=abc`; admin/invalid_setup.html says so) answered 200: a page
    that says the list could not be shown is a 400, for monitoring and for a browser's
    history. The first such link is still Django's redirect to the list without filters."""
    if getattr(response, "template_name", None) == "admin/invalid_setup.html":
        response.status_code = 400
    return response


class BenchAdminSite(admin.AdminSite):
    site_header = "Linux BenchTools"
    # the admin's "View site" link: the server's other face, its API and documentation
    site_url = "/api/schema/ui/"
    site_title = "Linux BenchTools"
    index_title = "Fleet dashboard"
    empty_value_display = "–"  # as the scores' own "not measured" (humanize_scores.score)
    index_template = "admin/benchsite/dashboard.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Available to the model admins that name it in their `actions`, not to every model.
        self.add_action(export_csv, "export_csv")
        self.disable_action("export_csv")
        # Django's "Delete selected", for a selection past 1,000 objects (benchsite.bulk_delete)
        self.add_action(delete_selected, "delete_selected")

    def admin_view(self, view, cacheable=False):
        """Every page of the admin (the lists, the dashboard, the pages of the apps' own) reads
        its query string without NUL characters (nul_replaced), a list's action the rows
        ticked that may be rows (selection_kept), and a list's page for a filter it cannot
        apply is a 400 (filter_refused): one place for the filters, searches, parameters and
        actions of them all, those of Django's own lists included."""
        # a model admin's list (where its actions are posted) is its bound method
        listed = getattr(view, "__name__", "") == "changelist_view"
        model_admin = getattr(view, "__self__", None) if listed else None

        @functools.wraps(view)
        def odd_input_read(request, *args, **kwargs):
            request.GET = nul_replaced(request.GET)
            if isinstance(model_admin, admin.ModelAdmin) and request.method == "POST":
                selection_kept(request, model_admin.model)
            return filter_refused(view(request, *args, **kwargs))

        return super().admin_view(odd_input_read, cacheable)

    def index(self, request, extra_context=None):
        base = bench_base(request)
        context = {
            "bench_command": bench_command(base),
            "bench_root_note": BENCH_ROOT_NOTE,
            "bench_loopback": bench_loopback(base),
            "iperf_server": settings.IPERF_SERVER,
            # issuing a token is a superuser's act (ApiTokenAdmin): offered to who may
            "token_add_url": reverse("admin:benchsite_apitoken_add")
            if request.user.is_superuser
            else "",
        }
        if may_view(request.user, Backup):  # the archives' paths: an administrator's matter
            context["backups"] = backup_state(now=timezone.now())
            context["backups_url"] = reverse("admin:benchsite_backup_changelist")
        return super().index(
            request, {**context, **self.fleet_panels(request.user), **(extra_context or {})}
        )

    def fleet_panels(self, user) -> dict:
        """The dashboard's view of the fleet, each panel for an account that may view what it
        shows (as their admin pages): what needs attention (the attention items), the figures
        and the ranking (the devices), the recent submissions (the devices and their runs)."""
        panels = {
            "fleet_visible": may_view(user, Device),
            "recent_visible": may_view(user, Device, Benchmark),
            **attention_panel(user),
        }
        if panels["recent_visible"]:
            panels["recent"] = benchmark_recent(limit=10)
        if not panels["fleet_visible"]:
            return panels
        # the machines in service with runs: those it leaves out are named or counted under it
        ranking = device_ranked()[:RANKING_SIZE]
        unbenchmarked, unbenchmarked_total = device_unbenchmarked(limit=UNBENCHMARKED_SHOWN)
        devices_url = reverse("admin:inventory_device_changelist")
        # the machines gone quiet, the longest silent first (nothing else says it: the ranking
        # keeps their old figures)
        at = quiet.now()
        quiet_devices, quiet_total = quiet.device_quiet_longest(limit=QUIET_SHOWN, at=at)
        # which of them ran on a schedule (bench.sh --schedule): a timer or a cron job stopped,
        # not a machine nobody set to run again; read off their runs, for who may view them
        scheduled = (
            schedules_of([device.pk for device in quiet_devices])
            if quiet_devices and panels["recent_visible"]
            else {}
        )
        rows = ranking_rows(ranking)
        return {
            **panels,
            **hardware_changes_panel(user),
            **disk_life_panel(user),
            "stats": fleet_stats(in_service=True),
            "ranking": rows,
            # a machine with no valid run is ranked by its latest: the heading says so
            "ranking_has_suspect": any(row["suspect"] is not None for row in rows),
            "unbenchmarked": unbenchmarked,
            "unbenchmarked_more": unbenchmarked_total - len(unbenchmarked),
            "categories": CATEGORIES,
            "devices_url": devices_url,
            "retired_url": f"{devices_url}?retired=yes",
            "quiet": [
                (
                    device,
                    quiet.silence(device, at=at),
                    quiet.heard_at(device),
                    scheduled.get(device.pk),
                )
                for device in quiet_devices
            ],
            "quiet_total": quiet_total,
            "quiet_after": quiet.days_said(quiet.quiet_after_days()),
            "quiet_url": f"{devices_url}?last_run=quiet",
        }

    def login(self, request, extra_context=None):
        """Django's admin login, with failed attempts budgeted per client IP like bad API tokens
        (AUTH_FAILURE_RATE, one count for both): over the budget a login form is refused with
        429 before the password is checked, so guessing stops and a right guess looks the same.
        """
        if request.method != "POST":
            return super().login(request, extra_context)
        throttle = AuthFailureThrottle()
        if throttle.blocked(request):
            return self._login_throttled(request, throttle, extra_context)
        response = super().login(request, extra_context)
        if response.status_code == 200:  # the form came back: wrong credentials (or not staff)
            over = throttle.record_failure(request)
            # who, never what: the username tried is not logged
            logger.warning("admin login failed client=%s", throttle.get_ident(request))
            if over:  # let through with others at once, past the budget: as after them
                return self._login_throttled(request, throttle, extra_context)
        return response

    def _login_throttled(self, request, throttle, extra_context):
        wait = max(1, math.ceil(throttle.wait() or 1))
        logger.warning(
            "admin login throttled client=%s retry_after=%ss", throttle.get_ident(request), wait
        )
        context = {
            **self.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
            "form": (self.login_form or AdminAuthenticationForm)(request),
            "throttled_message": MSG_LOGIN_THROTTLED.format(wait=wait),
            **(extra_context or {}),
        }
        response = TemplateResponse(
            request, "admin/benchsite/login_throttled.html", context, status=429
        )
        response["Retry-After"] = str(wait)
        return response
