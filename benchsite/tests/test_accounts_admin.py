"""An account that may change users or groups, and is no superuser, grants nothing and takes
over no account that holds more than it does (benchsite.accounts_admin): with Django's own
pages, "Can change user" ticked is_superuser on itself, then issued API tokens."""

import pytest
from django.contrib.auth.models import Group, Permission, User

from .accounts import staff_client

pytestmark = pytest.mark.django_db

HELP_DESK = ("auth.view_user", "auth.change_user", "auth.view_group", "auth.change_group")


def user_form(user: User, **changed) -> dict:
    """The fields of the user's change page, as a browser sends them back."""
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "date_joined_0": "2026-12-01",
        "date_joined_1": "10:00:00",
        "initial-date_joined_0": "2026-12-01",
        "initial-date_joined_1": "10:00:00",
        **changed,
    }


def test_a_help_desk_account_cannot_make_itself_superuser_nor_give_itself_permissions():
    desk = staff_client(*HELP_DESK)
    me = User.objects.get(username__startswith="staff")
    tokens = Permission.objects.get(codename="add_apitoken")
    everything = Group.objects.create(name="everything")
    everything.permissions.set(Permission.objects.all())

    page = desk.get(f"/admin/auth/user/{me.pk}/change/").content.decode()
    saved = desk.post(
        f"/admin/auth/user/{me.pk}/change/",
        user_form(
            me,
            email="desk@example.lan",
            is_superuser="on",
            user_permissions=[tokens.pk],
            groups=[everything.pk],
        ),
    )

    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    me.refresh_from_db()
    assert me.email == "desk@example.lan"  # what it may change, changed
    assert (
        not me.is_superuser
        and not me.groups.exists()
        and not me.user_permissions.filter(codename="add_apitoken").exists()
    )
    assert desk.get("/admin/benchsite/apitoken/add/").status_code == 403


def test_a_help_desk_account_takes_over_no_account_that_holds_more():
    desk = staff_client(*HELP_DESK)
    admin = User.objects.create_superuser("root", password="pw-root-123")
    operator = User.objects.create_user("operator", password="pw-op-123", is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="change_device"))
    colleague = User.objects.create_user("colleague", password="pw-co-123", is_staff=True)
    colleague.user_permissions.add(Permission.objects.get(codename="view_user"))

    for account in (admin, operator):
        page = desk.get(f"/admin/auth/user/{account.pk}/change/").content.decode()
        assert 'name="email"' not in page, account.username  # viewed, not editable
        # its password's summary, without the "Reset password" button that led to a 403
        assert "algorithm" in page and "../password/" not in page, account.username
        changed = desk.post(
            f"/admin/auth/user/{account.pk}/password/",
            {"password1": "taken-over-123", "password2": "taken-over-123"},
        )
        assert changed.status_code == 403, account.username
        account.refresh_from_db()
        assert not account.check_password("taken-over-123"), account.username
    # one that holds no more than the help desk: its password reset, as a help desk does
    assert "../password/" in desk.get(f"/admin/auth/user/{colleague.pk}/change/").content.decode()
    reset = desk.post(
        f"/admin/auth/user/{colleague.pk}/password/",
        {"password1": "new-pass-456x", "password2": "new-pass-456x", "set_usable_password": "true"},
    )
    assert reset.status_code == 302, reset.content.decode()[-2000:]
    colleague.refresh_from_db()
    assert colleague.check_password("new-pass-456x")


def test_a_group_editor_cannot_give_its_group_permissions_and_a_superuser_can():
    desk = staff_client(*HELP_DESK)
    group = Group.objects.create(name="desk")
    User.objects.get(username__startswith="staff").groups.add(group)
    every = list(Permission.objects.values_list("pk", flat=True))

    desk.post(f"/admin/auth/group/{group.pk}/change/", {"name": "help desk", "permissions": every})

    group.refresh_from_db()
    assert group.name == "help desk" and not group.permissions.exists()
    root = User.objects.create_superuser("root", password="pw-root-123")
    desk.force_login(root)
    desk.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": "help desk", "permissions": every[:3]}
    )
    assert group.permissions.count() == 3


def test_deleting_selected_accounts_spares_one_that_holds_more():
    """The list's "Delete selected users" asked the permission to delete users, not about
    each account: a help desk deleted the superuser."""
    desk = staff_client(*HELP_DESK, "auth.delete_user")
    admin = User.objects.create_superuser("root", password="pw-root-123")
    leaver = User.objects.create_user("leaver", password="pw-le-123")

    refused = desk.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [admin.pk, leaver.pk], "post": "yes"},
    )
    deleted = desk.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [leaver.pk], "post": "yes"},
    )

    assert refused.status_code == 403 and deleted.status_code == 302
    assert User.objects.filter(pk=admin.pk).exists()
    assert not User.objects.filter(pk=leaver.pk).exists()


def test_a_help_desk_account_takes_over_no_account_whose_group_holds_more():
    """An operator's power from its group (may issue API tokens): held as if its own, so its
    password is not the help desk's to set."""
    desk = staff_client(*HELP_DESK)
    operators = Group.objects.create(name="operators")
    operators.permissions.add(Permission.objects.get(codename="add_apitoken"))
    operator = User.objects.create_user("operator", password="pw-op-123", is_staff=True)
    operator.groups.add(operators)

    changed = desk.post(
        f"/admin/auth/user/{operator.pk}/password/",
        {
            "password1": "taken-over-123",
            "password2": "taken-over-123",
            "set_usable_password": "true",
        },
    )

    assert changed.status_code == 403
    operator.refresh_from_db()
    assert not operator.check_password("taken-over-123")


def test_a_help_desk_account_cannot_delete_a_superuser_from_its_page():
    desk = staff_client(*HELP_DESK, "auth.delete_user")
    admin = User.objects.create_superuser("root", password="pw-root-123")

    assert desk.get(f"/admin/auth/user/{admin.pk}/delete/").status_code == 403
    assert desk.post(f"/admin/auth/user/{admin.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=admin.pk).exists()
