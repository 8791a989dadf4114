"""Bearer tokens: API_TOKEN, issued ApiTokens with scopes, revocation, expiry, sessions."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from benchsite.models import ApiToken, token_hash
from benchsite.services import api_token_issue, api_token_revoke
from benchsite.testing import TEST_API_TOKEN

from .accounts import staff_client

pytestmark = pytest.mark.django_db

READ_URL = "/api/devices"


def test_issued_token_is_stored_only_as_a_hash():
    token, secret = api_token_issue(name="rack")
    assert secret.startswith("lbt_") and len(secret) > 40
    stored = ApiToken.objects.get()
    assert stored.key_hash == token_hash(secret)
    assert secret not in {stored.key_hash, stored.key_prefix, stored.name}
    assert stored.key_prefix == secret[:10]


@pytest.mark.parametrize(
    ("scopes", "get_status", "patch_status"),
    [
        (("read",), 200, 403),
        (("write",), 200, 400),  # write implies read; 400 = reached validation (empty hostname)
        (("submit",), 403, 403),
        ((), 403, 403),
    ],
)
def test_scopes_gate_reads_and_writes(token_client, scopes, get_status, patch_status):
    from inventory.tests.factories import DeviceFactory

    device = DeviceFactory()
    client = token_client(*scopes)

    assert client.get(READ_URL).status_code == get_status
    assert (
        client.patch(f"/api/devices/{device.pk}", {"hostname": ""}, format="json").status_code
        == patch_status
    )


def test_fleet_token_has_every_scope(api):
    assert api.get(READ_URL).status_code == 200
    assert api.post("/api/benchmark", {"device_identifier": "x"}, format="json").status_code == 201


def test_revoked_token_is_a_401(token_client):
    client = token_client("read")
    api_token_revoke(token=ApiToken.objects.get())
    response = client.get(READ_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_a_401(token_client):
    client = token_client("read", expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(READ_URL).status_code == 401


def test_token_not_yet_expired_works(token_client):
    client = token_client("read", expires_at=timezone.now() + timedelta(days=1))
    assert client.get(READ_URL).status_code == 200


def test_last_used_is_recorded_at_most_once_a_minute(token_client):
    client = token_client("read")
    client.get(READ_URL)
    first = ApiToken.objects.get().last_used_at
    assert first is not None

    client.get(READ_URL)
    assert ApiToken.objects.get().last_used_at == first

    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    client.get(READ_URL)
    assert ApiToken.objects.get().last_used_at > first


@pytest.mark.parametrize(
    "path",
    [
        "/api/devices",
        "/api/devices/1",
        "/api/devices/1/benchmarks",
        "/api/devices/1/snapshots",
        "/api/benchmarks/1",
        "/api/stats",
    ],
)
def test_every_read_endpoint_requires_a_token(anon, path):
    from benchsite.exceptions import MSG_NO_CREDENTIALS  # after DRF's settings (its parsers')

    response = anon.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    # how to send one, not DRF's "Authentication credentials were not provided." alone
    assert response.json() == {"detail": MSG_NO_CREDENTIALS}
    assert "Authorization: Bearer <token>" in MSG_NO_CREDENTIALS


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_no_endpoint_changes_data_without_authentication(anon, method):
    from inventory.models import Device
    from inventory.tests.factories import DeviceFactory

    device = DeviceFactory(hostname="keep")
    response = getattr(anon, method)(
        f"/api/devices/{device.pk}", {"hostname": "gone"}, format="json"
    )
    assert response.status_code == 401
    assert Device.objects.get().hostname == "keep"


def test_other_authorization_schemes_are_not_tokens(anon):
    response = anon.get(READ_URL, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == 401


def test_a_token_sent_without_its_scheme_is_told_the_header_expected(anon):
    """`Authorization: TOKEN`, Bearer left out, was answered "Authentication credentials were
    not provided.", as if no header had been sent."""
    response = anon.get(READ_URL, HTTP_AUTHORIZATION=TEST_API_TOKEN)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid Authorization header: expected 'Bearer <token>'."}


def test_staff_session_reads_with_the_admin_view_permission():
    assert staff_client("inventory.view_device").get(READ_URL).status_code == 200
    assert staff_client("inventory.change_device").get(READ_URL).status_code == 200


def test_non_staff_session_is_forbidden():
    user = User.objects.create_user("bob", password="pw-123456")
    client = APIClient()
    client.force_login(user)
    assert client.get(READ_URL).status_code == 403


def test_session_writes_need_the_csrf_token():
    from inventory.tests.factories import DeviceFactory

    device = DeviceFactory()
    staff = User.objects.create_user("admin", password="pw-123456", is_staff=True)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.patch(f"/api/devices/{device.pk}", {"owner": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_session_adds_through_the_api_only_the_tags_its_account_may_add(token_client):
    """The device form and the bulk edit offer new tags to who may add tags; the API made any
    tag a session named. A token's write scope still may."""
    from inventory.models import Tag
    from inventory.tests.factories import DeviceFactory

    device = DeviceFactory()
    Tag.objects.create(name="Backup")
    editor = staff_client("inventory.view_device", "inventory.change_device")

    refused = editor.patch(f"/api/devices/{device.pk}", {"tags": ["backup", "lab"]}, format="json")

    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        'Your account\'s admin permissions do not allow adding tags: "lab".'
    )
    assert list(Tag.objects.values_list("name", flat=True)) == ["Backup"]
    assert not device.tags.exists()
    kept = editor.patch(f"/api/devices/{device.pk}", {"tags": ["BACKUP"]}, format="json")
    assert kept.status_code == 200 and kept.json()["tags"] == ["Backup"]
    assert editor.patch("/api/devices/999999", {"tags": ["lab"]}, format="json").status_code == 404
    writer = token_client("write")
    added = writer.patch(f"/api/devices/{device.pk}", {"tags": ["lab"]}, format="json")
    assert added.status_code == 200 and added.json()["tags"] == ["lab"]


def test_admin_shows_a_new_token_once_and_stores_its_hash(admin_client):
    response = admin_client.post(
        "/admin/benchsite/apitoken/add/",
        {"name": "lab bench", "can_submit": "on", "can_read": "on"},
        follow=True,
    )

    assert response.status_code == 200
    token = ApiToken.objects.get()
    # shown on the page the form redirects to: a reload re-sends no form
    assert response.redirect_chain == [(f"/admin/benchsite/apitoken/{token.pk}/issued/", 302)]
    secret = response.context["secret"]
    assert token.key_hash == token_hash(secret)
    page = response.content.decode()
    assert secret in page and 'data-copy-target="issued-token"' in page
    # a token that may submit comes with the bench command ready to paste
    assert f"--server http://testserver/api/benchmark --token {secret}</code>" in page
    assert token.created_by.username == "admin"
    # the token works, with its scopes
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(READ_URL).status_code == 200
    # and is never shown again: a reload of its page (which issued a second token nobody held)
    # says it is not kept, and issues none
    reloaded = admin_client.get(response.redirect_chain[-1][0]).content.decode()
    assert secret not in reloaded and 'id="issued-gone"' in reloaded
    assert ApiToken.objects.count() == 1
    page = admin_client.get(f"/admin/benchsite/apitoken/{token.pk}/change/").content.decode()
    assert secret not in page


@pytest.mark.parametrize("lookup", ["key_hash__startswith", "key_hash", "key_hash__gt"])
def test_the_token_list_is_not_filtered_by_the_stored_hash(admin_client, lookup):
    """?key_hash__startswith=0 filtered the list: who may view tokens read each one's hash a
    character at a time, by the size of the page."""
    token = api_token_issue(name="lab bench")[0]
    first = token.key_hash[0]

    response = admin_client.get("/admin/benchsite/apitoken/", {lookup: first})

    assert response.status_code == 400
    assert admin_client.get("/admin/benchsite/apitoken/", {"q": "lab"}).status_code == 200


def test_two_tokens_added_before_either_page_is_opened_each_show_their_secret(admin_client):
    """The secret waited in the session: in clear in the database (and its backups) until its
    page was read, and a second token added meanwhile (another tab) took the first's place."""
    from django.contrib.sessions.models import Session

    first = admin_client.post("/admin/benchsite/apitoken/add/", {"name": "a", "can_read": "on"})
    second = admin_client.post("/admin/benchsite/apitoken/add/", {"name": "b", "can_read": "on"})

    stored = "".join(str(s.get_decoded()) for s in Session.objects.all())
    shown = [admin_client.get(r["Location"]).context["secret"] for r in (first, second)]
    assert all(shown) and shown[0] != shown[1]
    for secret, name in zip(shown, ("a", "b"), strict=True):
        assert ApiToken.objects.get(name=name).key_hash == token_hash(secret)
        assert secret not in stored


def test_a_new_token_already_expired_is_refused_an_issued_one_may_be_expired(admin_client):
    """A token issued with an expiry of 2020-01-01 (a mistyped year) had its secret shown and
    was refused from its first use, listed "expired"."""
    form = {"name": "lab bench", "can_submit": "on", "expires_at_0": "2020-01-01"}
    form["expires_at_1"] = "00:00:00"

    refused = admin_client.post("/admin/benchsite/apitoken/add/", form)

    assert refused.status_code == 200 and "secret" not in refused.context
    assert refused.context["adminform"].form.errors["expires_at"] == [
        "That time has passed: the token would be refused from the start. Leave it empty for a "
        "token that never expires."
    ]
    assert not ApiToken.objects.exists()
    # an issued one set to expire now: its own page, saved, and refused from then on
    token, secret = api_token_issue(name="old rack", can_read=True)
    expired = admin_client.post(
        f"/admin/benchsite/apitoken/{token.pk}/change/", {**form, "can_read": "on"}
    )
    assert expired.status_code == 302
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(READ_URL).status_code == 401


def test_the_token_list_says_the_servers_own_token_works_too(admin_client):
    """ "0 API tokens" on a server whose bench.sh runs all used API_TOKEN read as if none did."""
    page = admin_client.get("/admin/benchsite/apitoken/").content.decode()
    said = page.split('id="api-token-env"', 1)[1].split("</p>", 1)[0]
    assert "<code>API_TOKEN</code>" in said and "never listed here" in said
    assert TEST_API_TOKEN not in page  # named, never shown


def test_a_new_tokens_bench_command_at_a_loopback_address_says_so(admin_client, settings):
    """The dashboard warned that a command naming 127.0.0.1 reaches no other machine; the page
    of a newly issued token, whose command a person copies to the machines, said nothing."""
    issued = admin_client.post(
        "/admin/benchsite/apitoken/add/",
        {"name": "lab bench", "can_submit": "on"},
        HTTP_HOST="127.0.0.1:8007",
        follow=True,
    ).content.decode()
    assert "--server http://127.0.0.1:8007/api/benchmark" in issued
    assert 'id="bench-loopback"' in issued and "<code>SITE_URL</code>" in issued
    assert "add <code>--schedule weekly</code>" in issued  # how to keep the machine benchmarked

    settings.SITE_URL = "http://bench.lan:8007"
    issued = admin_client.post(
        "/admin/benchsite/apitoken/add/",
        {"name": "lab bench 2", "can_submit": "on"},
        HTTP_HOST="127.0.0.1:8007",
        follow=True,
    ).content.decode()
    assert "--server http://bench.lan:8007/api/benchmark" in issued
    assert 'id="bench-loopback"' not in issued


def test_a_read_only_token_comes_without_a_bench_command(admin_client):
    response = admin_client.post(
        "/admin/benchsite/apitoken/add/", {"name": "grafana", "can_read": "on"}, follow=True
    )
    assert response.context["secret"] in response.content.decode()
    assert 'id="issued-command"' not in response.content.decode()
    assert 'id="bench-schedule-note"' not in response.content.decode()


def test_a_new_token_has_no_scope_until_one_is_ticked(admin_client):
    """The add form had "submit" ticked: a token issued for Prometheus with "read" ticked
    could store runs and rename machines too."""
    form = admin_client.get("/admin/benchsite/apitoken/add/").content.decode()
    boxes = re.findall(r'<input type="checkbox" name="(can_\w+)"[^>]*>', form)
    assert sorted(boxes) == ["can_read", "can_submit", "can_write"]
    assert "checked" not in "".join(re.findall(r'<input type="checkbox"[^>]*>', form))

    refused = admin_client.post("/admin/benchsite/apitoken/add/", {"name": "nothing"})
    assert refused.status_code == 200
    assert "Give the token at least one scope" in refused.content.decode()
    assert not ApiToken.objects.exists()

    admin_client.post("/admin/benchsite/apitoken/add/", {"name": "prometheus", "can_read": "on"})
    assert ApiToken.objects.get().scopes == {"read"}


def test_admin_revoke_action(admin_client, token_client):
    client = token_client("read")
    token = ApiToken.objects.get()
    admin_client.post(
        "/admin/benchsite/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert client.get(READ_URL).status_code == 401


@pytest.fixture
def stocked():
    """A device with a link, a document and an open attention item."""
    from documents.models import Document
    from insights.models import AttentionItem
    from inventory.models import ManufacturerLink
    from inventory.tests.factories import DeviceFactory

    device = DeviceFactory()
    link = ManufacturerLink.objects.create(device=device, label="BIOS", url="https://x.example/")
    document = Document.objects.create(
        device=device,
        title="manual",
        original_filename="m.txt",
        stored_name="ab" * 32,
        size_bytes=1,
        sha256="ab" * 32,
        mime_type="text/plain",
    )
    item = AttentionItem.objects.create(
        device=device, kind="smart_failing", severity="critical", disk="sda", message="failing"
    )
    return device, link, document, item


def _writes(client: APIClient, stocked) -> dict[str, int]:
    device, link, document, item = stocked
    return {
        "patch device": client.patch(
            f"/api/devices/{device.pk}", {"owner": "x"}, format="json"
        ).status_code,
        "add link": client.post(
            f"/api/devices/{device.pk}/links",
            {"label": "x", "url": "https://y.example/"},
            format="json",
        ).status_code,
        "change link": client.patch(
            f"/api/links/{link.pk}", {"label": "y"}, format="json"
        ).status_code,
        "acknowledge": client.post(f"/api/attention/{item.pk}/acknowledge").status_code,
        "delete document": client.delete(f"/api/docs/{document.pk}").status_code,
        "delete link": client.delete(f"/api/links/{link.pk}").status_code,
        "delete device": client.delete(f"/api/devices/{device.pk}").status_code,
    }


def test_a_view_only_staff_session_reads_and_writes_nothing(stocked):
    from insights.models import AttentionItem
    from inventory.models import Device

    viewer = staff_client("inventory.view_device", "insights.view_attentionitem")
    assert viewer.get(READ_URL).status_code == 200
    assert viewer.get("/api/attention").status_code == 200
    assert set(_writes(viewer, stocked).values()) == {403}
    device, link, document, item = stocked
    assert Device.objects.get(pk=device.pk).owner == device.owner != "x"
    assert AttentionItem.objects.get(pk=item.pk).closed_at is None
    assert viewer.patch(f"/api/devices/{device.pk}", {"owner": "x"}, format="json").json() == {
        "detail": "Your account's admin permissions do not allow this."
    }


def test_a_staff_session_without_permissions_reads_nothing(stocked):
    nobody = staff_client()
    device, _, document, _ = stocked
    for url in (READ_URL, f"/api/devices/{device.pk}", "/api/attention", "/api/stats"):
        assert nobody.get(url).status_code == 403, url
    assert nobody.get(f"/api/docs/{document.pk}").status_code == 403


def test_a_staff_session_writes_what_its_admin_permissions_allow(stocked):
    from inventory.models import Device

    editor = staff_client(
        "inventory.change_device",
        "inventory.add_manufacturerlink",
        "insights.change_attentionitem",
    )
    assert _writes(editor, stocked) == {
        "patch device": 200,
        "add link": 201,
        "change link": 403,
        "acknowledge": 200,
        "delete document": 403,
        "delete link": 403,
        "delete device": 403,
    }
    assert Device.objects.get(pk=stocked[0].pk).owner == "x"


def test_a_superuser_session_does_everything(stocked):
    superuser = User.objects.create_superuser("root", password="pw-123")
    client = APIClient()
    client.force_login(superuser)
    assert set(_writes(client, stocked).values()) <= {200, 201, 204}


def test_a_staff_session_deletes_a_device_only_with_what_it_takes_along(stocked):
    """The admin refuses to delete a device whose runs, documents… the account may not delete:
    the API deleted it, and everything attached, with the device's permission alone."""
    from inventory.models import Device

    device = stocked[0]
    deleter = staff_client("inventory.view_device", "inventory.delete_device")
    response = deleter.delete(f"/api/devices/{device.pk}")
    assert response.status_code == 403
    assert "takes along" in response.json()["detail"]
    assert Device.objects.filter(pk=device.pk).exists()

    everything = staff_client(
        "inventory.view_device",
        "inventory.delete_device",
        "inventory.delete_manufacturerlink",
        "documents.delete_document",
        "insights.delete_attentionitem",
    )
    assert everything.delete(f"/api/devices/{device.pk}").status_code == 204


def test_reading_runs_or_items_another_way_needs_their_view_permission_too(stocked):
    device = stocked[0]
    viewer = staff_client("inventory.view_device")
    assert viewer.get("/api/export?what=devices").status_code == 200
    assert viewer.get("/api/export?what=benchmarks").status_code == 403
    assert viewer.get(f"/api/devices/{device.pk}/insights").status_code == 403
    allowed = staff_client(
        "inventory.view_device",
        "benchmarks.view_benchmark",
        "inventory.view_hardwaresnapshot",
        "insights.view_attentionitem",
    )
    assert allowed.get("/api/export?what=benchmarks").status_code == 200
    assert allowed.get(f"/api/devices/{device.pk}/insights").status_code == 200
