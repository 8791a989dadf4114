"""What an admin account that is not a superuser may do: what its model permissions allow, and
not one action more (a view-only colleague, a token issuer, the person who handles alerts)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from benchmarks.tests.factories import BenchmarkFactory
from benchsite.models import ApiToken
from benchsite.services import api_token_issue
from insights.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    """A logged-in staff account holding these admin permissions (app_label.codename)."""

    def make(*perms: str) -> Client:
        user = User.objects.create_user(
            f"staff{User.objects.count()}", password="pw-123", is_staff=True
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        client = Client()
        client.force_login(user)
        return client

    return make


def _action(client: Client, changelist: str, action: str, pk: int):
    return client.post(changelist, {"action": action, "_selected_action": [pk]})


def test_a_view_only_account_cannot_revoke_tokens(staff):
    token, _ = api_token_issue(name="fleet", can_submit=True)
    changelist = "/admin/benchsite/apitoken/"
    viewer = staff("benchsite.view_apitoken")

    assert 'value="revoke"' not in viewer.get(changelist).content.decode()
    _action(viewer, changelist, "revoke", token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None

    revoker = staff("benchsite.view_apitoken", "benchsite.change_apitoken")
    assert 'value="revoke"' in revoker.get(changelist).content.decode()
    _action(revoker, changelist, "revoke", token.pk)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_only_a_superuser_issues_a_token_or_widens_one(staff, admin_client):
    issuer = staff("benchsite.add_apitoken", "benchsite.change_apitoken")
    form = {"name": "mine", "can_submit": "on", "can_read": "on", "can_write": "on"}

    assert issuer.post("/admin/benchsite/apitoken/add/", form).status_code == 403
    assert not ApiToken.objects.exists()
    token, _ = api_token_issue(name="bench", can_submit=True)
    issuer.post(f"/admin/benchsite/apitoken/{token.pk}/change/", {**form, "name": "bench"})
    token.refresh_from_db()
    assert not token.can_write and not token.can_read
    # the dashboard's "issue one" is offered to whoever may issue one
    assert "/admin/benchsite/apitoken/add/" not in issuer.get("/admin/").content.decode()

    assert admin_client.post("/admin/benchsite/apitoken/add/", form).status_code == 200
    assert ApiToken.objects.filter(name="mine", can_write=True).exists()
    assert "/admin/benchsite/apitoken/add/" in admin_client.get("/admin/").content.decode()


def test_rescoring_runs_needs_the_permission_to_change_them(staff):
    run = BenchmarkFactory(global_score=1.0)  # not what the weights in force give
    changelist = "/admin/benchmarks/benchmark/"
    viewer = staff("benchmarks.view_benchmark")

    assert 'value="rescore"' not in viewer.get(changelist).content.decode()
    _action(viewer, changelist, "rescore", run.pk)
    run.refresh_from_db()
    assert run.global_score == 1.0

    _action(
        staff("benchmarks.view_benchmark", "benchmarks.change_benchmark"),
        changelist,
        "rescore",
        run.pk,
    )
    run.refresh_from_db()
    assert run.global_score == 100.0


def test_sending_notifications_again_needs_the_permission_to_change_them(staff):
    given_up = Notification.objects.create(
        title="nas: disk_hot",
        body="b",
        type="failure",
        target="0" * 64,
        target_label="json://127.0.0.1:9/",
        attempts=9,
        failed_at=timezone.now(),
    )
    changelist = "/admin/insights/notification/"
    viewer = staff("insights.view_notification")

    assert 'value="send_again"' not in viewer.get(changelist).content.decode()
    _action(viewer, changelist, "send_again", given_up.pk)
    given_up.refresh_from_db()
    assert given_up.failed_at is not None

    sender = staff("insights.view_notification", "insights.change_notification")
    _action(sender, changelist, "send_again", given_up.pk)
    given_up.refresh_from_db()
    assert given_up.failed_at is None
