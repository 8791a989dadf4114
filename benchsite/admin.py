from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from inventory import changelog

from . import (  # noqa: F401 (register the composed pages, and the accounts' own)
    accounts_admin,
    device_admin,
    snapshot_admin,
)
from .auth import may_view
from .models import ApiToken, Backup
from .records_admin import ListsByDate
from .services import api_token_issue, api_token_revoke, api_tokens_revoke
from .sites import BENCH_ROOT_NOTE, bench_base, bench_command, bench_loopback


class ApiTokenForm(forms.ModelForm):
    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        # a new token already expired was issued, its secret shown, and refused from the start
        # (a mistyped year); an issued one may be set to expire now, as revoking it does
        if self.instance.pk is None and expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(
                "That time has passed: the token would be refused from the start. Leave it "
                "empty for a token that never expires."
            )
        return expires_at


# a token's secret between its add form and the page that shows it: a signed cookie of that
# page's path, for a minute (the session kept it in clear in the database, and in its backups,
# until read; two tokens added in two tabs kept the second's alone)
ISSUED = "bt_issued_{pk}"
ISSUED_SALT, ISSUED_MAX_AGE = "benchsite.issued_token", 60


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = (
        "name",
        "key_prefix",
        "can_submit",
        "can_read",
        "can_write",
        "status",
        "last_used_at",
        "expires_at",
        "created_at",
    )
    list_filter = ("can_submit", "can_read", "can_write")
    search_fields = ("name", "key_prefix")
    readonly_fields = (
        "status",
        "key_prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    )
    fields = ("name", "can_submit", "can_read", "can_write", "expires_at", *readonly_fields)
    list_select_related = ("created_by",)
    actions = ("revoke",)

    # A token does what its scopes say, whoever holds it: issuing one, or widening its scopes
    # or its expiry, would give an account more than its own admin permissions. A superuser's
    # act; revoking one only takes away (the permission to change tokens).
    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        # a revoked token is over: its page is a record, its scopes no longer editable
        revoked = obj is not None and obj.revoked_at is not None
        return request.user.is_active and request.user.is_superuser and not revoked

    def lookup_allowed(self, lookup, value, request=None):
        # the list filtered by its stored hash (?key_hash__startswith=0) told it a character
        # at a time to who may view tokens: no filter on it, a 400 as any lookup refused
        if lookup.split(LOOKUP_SEP, 1)[0] == "key_hash":
            return False
        return super().lookup_allowed(lookup, value, request)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "expires_at":
            # the admin's date and time boxes, each said only by the text before it ("Date:")
            date, time = field.widget.widgets
            date.attrs["aria-label"], time.attrs["aria-label"] = "Expiry date", "Expiry time"
        return field

    def get_urls(self):
        revoke = path(
            "<path:object_id>/revoke/",
            self.admin_site.admin_view(self.revoke_view),
            name="benchsite_apitoken_revoke",
        )
        issued = path(
            "<int:pk>/issued/",
            self.admin_site.admin_view(self.issued_view),
            name="benchsite_apitoken_issued",
        )
        return [revoke, issued, *super().get_urls()]

    def revoke_view(self, request, object_id):
        """The token page's Revoke button (revoking was a bulk action of the list only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(("POST",))
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        token = self.get_object(request, unquote(object_id))
        if token is None:
            raise Http404("No such API token.")
        if api_token_revoke(token=token):
            self.log_change(request, token, "Revoked.")
            messages.success(request, f"Revoked {token}: it is refused from now on.")
        return HttpResponseRedirect(reverse("admin:benchsite_apitoken_change", args=(token.pk,)))

    def get_changeform_initial_data(self, request):
        # no scope ticked: a token for Prometheus or a script given "submit" unasked could
        # store runs and rename machines; the form asks for one at least (ApiToken.clean)
        return {"can_submit": False, **super().get_changeform_initial_data(request)}

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # the page's Revoke button, for an active token and who may revoke it
        context["can_revoke"] = (
            obj is not None and obj.revoked_at is None and self.has_revoke_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_revoke_permission(self, request):
        return request.user.has_perm("benchsite.change_apitoken")

    @admin.display(description="status")
    def status(self, token: ApiToken) -> str:
        if token.revoked_at:
            return "revoked"
        if token.expires_at and token.expires_at <= timezone.now():
            return "expired"
        return "active"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # The secret exists only in this response: only its hash is stored.
        _, request._issued_secret = api_token_issue(
            name=obj.name,
            can_submit=obj.can_submit,
            can_read=obj.can_read,
            can_write=obj.can_write,
            expires_at=obj.expires_at,
            created_by=request.user,
            token=obj,
        )

    def response_add(self, request, obj, post_url_continue=None):
        """The secret, shown on the page the add form redirects to, once: the page answered
        the POST itself, and reloading it (the browser's "resend") issued a second token,
        which nobody held, in place of the first one on the screen."""
        page = reverse("admin:benchsite_apitoken_issued", args=(obj.pk,))
        response = HttpResponseRedirect(page)
        response.set_signed_cookie(
            ISSUED.format(pk=obj.pk),
            request._issued_secret,
            salt=ISSUED_SALT,
            max_age=ISSUED_MAX_AGE,
            path=page,
            secure=request.is_secure(),
            httponly=True,
            samesite="Strict",
        )
        return response

    def issued_view(self, request, pk):
        if not self.has_add_permission(request):
            raise PermissionDenied
        token = self.get_object(request, str(pk))
        if token is None:
            raise Http404("No such API token.")
        name = ISSUED.format(pk=pk)
        secret = request.get_signed_cookie(
            name, default=None, salt=ISSUED_SALT, max_age=ISSUED_MAX_AGE
        )
        response = TemplateResponse(
            request,
            "admin/benchsite/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "token": token,
                "secret": secret,
                # ready to paste on a machine, when the token may submit
                "bench_command": (
                    bench_command(bench_base(request), secret)
                    if token.can_submit and secret
                    else None
                ),
                "bench_root_note": BENCH_ROOT_NOTE,
                # the command of an admin opened at localhost is of no use on another machine
                "bench_loopback": bench_loopback(bench_base(request)),
                "title": "API token created",
            },
        )
        response.delete_cookie(name, path=request.path)  # shown once: a reload says so
        return response

    @admin.action(description="Revoke selected tokens", permissions=("revoke",))
    def revoke(self, request, queryset):
        with transaction.atomic():
            revoked = api_tokens_revoke(tokens=queryset)
            # a "Revoked." line each, as from the token's page (one INSERT for them all)
            LogEntry.objects.log_actions(request.user.pk, revoked, CHANGE, "Revoked.")
        messages.success(request, f"Revoked {len(revoked)} token(s).")


@admin.register(LogEntry)
class LogEntryAdmin(ListsByDate, admin.ModelAdmin):
    """Every change the admin's history holds, for every object, by whom and when: a device's
    own History page goes with the device, so its deletion (who, when, through the API or the
    admin) and a machine's earlier names are read here. Viewed, never edited: an account sees
    it with the "view log entry" permission (a superuser does)."""

    list_display = ("action_time", "user", "content_type", "object_shown", "action", "message")
    # not by user: the filter would list every account to whoever may read the log
    # the kinds of objects the log holds entries of, not every table's
    list_filter = ("action_flag", ("content_type", admin.RelatedOnlyFieldListFilter))
    search_fields = ("object_repr", "change_message", "user__username")
    date_hierarchy = "action_time"
    list_select_related = ("user", "content_type")
    list_per_page = 100

    def get_queryset(self, request):
        # the entries of the objects the account may view (a document's name is a document's)
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        viewable = [
            content_type.pk
            for content_type in ContentType.objects.all()
            if (model := content_type.model_class()) is not None and may_view(request.user, model)
        ]
        return queryset.filter(content_type__in=viewable)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # what happened stays said

    @admin.display(description="action", ordering="action_flag")
    def action(self, entry: LogEntry) -> str:
        return {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}.get(
            entry.action_flag, str(entry.action_flag)
        )

    @admin.display(description="object", ordering="object_repr")
    def object_shown(self, entry: LogEntry) -> str:
        url = None if entry.is_deletion() else entry.get_admin_url()
        if url:
            return format_html('<a href="{}">{}</a>', url, entry.object_repr)
        return entry.object_repr

    @admin.display(description="what changed")
    def message(self, entry: LogEntry) -> str:
        return entry.get_change_message()

    def get_list_display(self, request):
        # each line as the account may read it: a device's History page hides what it may not
        # open of documents and links, and so does the log (it said them in full)
        if not (kinds := device_admin.history_hidden_kinds(request.user)):
            return self.list_display

        @admin.display(description="what changed")
        def message(entry: LogEntry) -> str:
            return changelog.history_hidden(entry.get_change_message(), kinds)

        return (*self.list_display[:-1], message)

    def get_search_fields(self, request):
        # nor finds a line by what it hides (which device has the invoice named so)
        if device_admin.history_hidden_kinds(request.user):
            return tuple(name for name in self.search_fields if name != "change_message")
        return self.search_fields

    def has_view_permission(self, request, obj=None):
        # an entry's own page says its whole message (its title too): not one that hides some
        if obj is not None and (kinds := device_admin.history_hidden_kinds(request.user)):
            message = obj.get_change_message()
            if changelog.history_hidden(message, kinds) != message:
                return False
        return super().has_view_permission(request, obj)


@admin.register(Backup)
class BackupAdmin(ListsByDate, admin.ModelAdmin):
    """The archives `manage.py backup` wrote and `restore` restored, newest first: where each
    is (the machine and the path: with several servers, the one that made it) and whether it
    found documents damaged. Written by the commands only; deleting a line deletes no archive."""

    list_display = ("created_at", "host", "path", "size_shown", "documents_damaged", "restored_at")
    list_filter = ("host",)
    date_hierarchy = "created_at"
    readonly_fields = list_display
    fields = ("created_at", "host", "path", "size_shown", "documents_damaged", "restored_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="size", ordering="size")
    def size_shown(self, backup: Backup) -> str:
        return filesizeformat(backup.size)
