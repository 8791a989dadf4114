"""The admin's Import CSV page: upload → preview of what will change → confirm.

Between the preview and the confirmation the file's text waits in the session: sessions are
in the database, so the confirmation may reach any server behind the load balancer (a file in
one server's temp directory would not be there), the person does not pick the file twice, and
what is applied is exactly the file previewed. The confirmation re-reads the devices and
refuses, asking for a new preview, if the changes are no longer the ones shown.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from inventory.csv_import import (
    COLUMNS,
    MAX_ROWS,
    ImportFileError,
    csv_read,
    devices_import,
    foreseen_beyond,
)

from .sites import spreadsheet_csv

SESSION_KEY = "benchsite.device_import"
MAX_BYTES = 20 * 1024 * 1024  # far above MAX_ROWS rows of inventory; refused before parsing
SHOWN = 200  # changes listed per kind on the preview; the rest are counted
# a preview listing more devices than this has its Apply button above the lists too: 300 rows
# changed were 21,000 px of scrolling to the only one, under them
CONFIRM_ON_TOP_AFTER = 10
MSG_TOO_BIG = "The file is larger than {mb} MB: split it."
MSG_EXPIRED = "Nothing to confirm: upload the file again."


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8 (with or without BOM), or Windows-1252."
    )


def _page(model_admin, request, **context):
    return TemplateResponse(
        request,
        "admin/inventory/device/import.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": "Import devices from CSV",
            "columns": COLUMNS,
            "max_rows": f"{MAX_ROWS:,}",
            **context,
        },
    )


def _may_add_tags(request) -> bool:
    # a tag the file names and no tag has yet is made only for who may add tags, as the device
    # form's + and the bulk edit's "New tags" are offered
    return request.user.has_perm("inventory.add_tag")


def import_view(model_admin: admin.ModelAdmin, request):
    """/admin/inventory/device/import/: GET the form (`?download=devices`: every device as a
    CSV to edit and upload back), POST a file (preview) or a confirmation."""
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        raise PermissionDenied
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(model_admin, request)
    if request.method == "GET" and request.GET.get("download") == "devices":
        # every device as the import reads it back: a sheet to edit and upload again
        return spreadsheet_csv("devices", request=request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _page(model_admin, request, form=form)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_BYTES:
        return _page(
            model_admin, request, form=form, errors=[MSG_TOO_BIG.format(mb=MAX_BYTES >> 20)]
        )
    data = upload.read()
    try:
        sheet = csv_read(data)
        plan = devices_import(
            rows=sheet.rows, actor=request.user, dry_run=True, may_add_tags=_may_add_tags(request)
        )
    except ImportFileError as exc:
        return _page(model_admin, request, form=form, errors=exc.errors, filename=upload.name)
    request.session[SESSION_KEY] = {
        "text": sheet.text,  # as read: a Windows-1252 file is imported as it was previewed
        "name": upload.name,
        "fingerprint": plan.fingerprint,
    }
    # past the list, the changes that close or reopen attention items: named all the same
    beyond = foreseen_beyond(plan.updated, SHOWN)
    return _page(
        model_admin,
        request,
        form=UploadForm(),
        plan=plan,
        created=plan.created[:SHOWN],
        updated=plan.updated[:SHOWN],
        confirm_on_top=len(plan.created) + len(plan.updated) > CONFIRM_ON_TOP_AFTER,
        more_created=max(0, len(plan.created) - SHOWN),
        more_updated=max(0, len(plan.updated) - SHOWN),
        foreseen_more=beyond[:SHOWN],
        foreseen_unlisted=max(0, len(beyond) - SHOWN),
        rows=len(sheet.rows),
        notes=sheet.notes,
        filename=upload.name,
        fingerprint=plan.fingerprint,
    )


def _confirm(model_admin, request):
    pending = request.session.get(SESSION_KEY)
    if not pending or pending.get("fingerprint") != request.POST.get("fingerprint"):
        return _page(model_admin, request, form=UploadForm(), errors=[MSG_EXPIRED])
    try:
        rows = csv_read(pending["text"].encode()).rows
        plan = devices_import(
            rows=rows,
            actor=request.user,
            expected=pending["fingerprint"],
            may_add_tags=_may_add_tags(request),
        )
    except ImportFileError as exc:
        return _page(model_admin, request, form=UploadForm(), errors=exc.errors)
    finally:
        request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        f"Imported {pending['name']}: {len(plan.created)} new, {len(plan.updated)} changed, "
        f"{plan.unchanged} unchanged.",
    )
    return HttpResponseRedirect(reverse("admin:inventory_device_changelist"))
