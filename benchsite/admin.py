from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone

from . import device_admin  # noqa: F401 (registers the composed device page)
from .models import ApiToken
from .services import api_token_issue, api_token_revoke
from .sites import BENCH_ROOT_NOTE, bench_base, bench_command


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
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
    readonly_fields = ("key_prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    fields = ("name", "can_submit", "can_read", "can_write", "expires_at", *readonly_fields)
    list_select_related = ("created_by",)
    actions = ("revoke",)

    # A token does what its scopes say, whoever holds it: issuing one, or widening its scopes
    # or its expiry, would give an account more than its own admin permissions. A superuser's
    # act; revoking one only takes away (the permission to change tokens).
    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

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
        return TemplateResponse(
            request,
            "admin/benchsite/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "token": obj,
                "secret": request._issued_secret,
                # ready to paste on a machine, when the token may submit
                "bench_command": (
                    bench_command(bench_base(request), request._issued_secret)
                    if obj.can_submit
                    else None
                ),
                "bench_root_note": BENCH_ROOT_NOTE,
                "title": "API token created",
            },
        )

    @admin.action(description="Revoke selected tokens", permissions=("revoke",))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
