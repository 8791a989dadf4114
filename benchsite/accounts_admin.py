"""Accounts and groups in the admin: an account that may change users or groups, and is no
superuser, grants nothing and takes over no account that holds more than it does. Django's own
pages let an account with "Can change user" tick is_superuser on itself (then issue API
tokens, which only a superuser does), give itself any permission or group, or set the password
of an account that holds more; one with "Can change group" could give its group every
permission. A superuser grants; a help desk resets passwords, renames, activates."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashWidget
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q

User = get_user_model()

# what only a superuser sets on an account
GRANTS = ("is_superuser", "groups", "user_permissions")


def permissions_of(account) -> set[str]:
    """Every permission an account holds, its own and its groups' ("app_label.codename"),
    active or not: an inactive account activated again holds them again."""
    rows = (
        Permission.objects.filter(Q(user=account) | Q(group__user=account))
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return {f"{app_label}.{codename}" for app_label, codename in rows}


def holds_more(account, editor) -> bool:
    """Whether `account` is a superuser or holds a permission `editor` does not."""
    if editor.is_superuser:
        return False
    return account.is_superuser or not permissions_of(account) <= editor.get_all_permissions()


class PasswordSummary(ReadOnlyPasswordHashWidget):
    """A password's summary without Django's "Reset password" button, on the page of an
    account the viewer may not change: the button led to a 403."""

    template_name = "admin/auth/user/password_summary.html"


class AccountAdmin(UserAdmin):
    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None or self.has_change_permission(request, obj):
            return form

        class Viewed(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if "password" in self.fields:  # the form's own copy of the field
                    self.fields["password"].widget = PasswordSummary()

        return Viewed

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else (*readonly, *GRANTS)

    def has_change_permission(self, request, obj=None):
        if obj is not None and holds_more(obj, request.user):
            return False  # its password reset too: the password page asks this
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and holds_more(obj, request.user):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # "Delete selected users" asks the permission without the accounts: each is asked here
        if any(holds_more(account, request.user) for account in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)


class AccountGroupAdmin(GroupAdmin):
    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else (*readonly, "permissions")


admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AccountGroupAdmin)
