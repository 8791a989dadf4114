"""Bearer-token authentication and scope permissions for the API.

Valid tokens: the fleet-wide API_TOKEN (every scope) or an active ApiToken. The admin's staff
session is accepted too (SessionAuthentication, with its CSRF check): it may do through the API
what its admin permissions let it do in the admin (`session_allowed`).
"""

import hmac
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import admin
from rest_framework import authentication, exceptions, permissions

from inventory.models import Device

from .models import ApiToken, Scope, token_hash
from .services import api_token_touch

KEYWORDS = ("bearer", "token")
ALL_SCOPES = frozenset(Scope.values)

MSG_INVALID_HEADER = "Invalid Authorization header: expected 'Bearer <token>'."
MSG_INVALID_TOKEN = "Invalid, expired or revoked token."  # noqa: S105 (a message)


@dataclass(frozen=True)
class TokenClient:
    """The authenticated party behind a token (request.user for token requests)."""

    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    token: ApiToken | None = None

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    is_active = True
    pk = None

    def __str__(self):
        return self.name


class BearerTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower().decode("latin-1") not in KEYWORDS:
            if len(header) == 1:
                # `curl -H "Authorization: $TOKEN"`: a token without its scheme was answered
                # "Authentication credentials were not provided."
                raise exceptions.AuthenticationFailed(MSG_INVALID_HEADER)
            return None  # another scheme (e.g. Basic): not ours
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(MSG_INVALID_HEADER)
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(MSG_INVALID_HEADER) from None
        client = self.authenticate_secret(secret)
        return client, client.token or client.name

    @staticmethod
    def authenticate_secret(secret: str) -> TokenClient:
        if hmac.compare_digest(secret.encode(), settings.API_TOKEN.encode()):
            return TokenClient(name="API_TOKEN", scopes=ALL_SCOPES)
        # Only the hash is stored: the lookup compares digests, which leaks nothing usable.
        token = ApiToken.objects.filter(key_hash=token_hash(secret)).first()
        if token is None or not token.is_active:
            raise exceptions.AuthenticationFailed(MSG_INVALID_TOKEN)
        api_token_touch(token=token)
        return TokenClient(name=f"token:{token.name}", scopes=token.scopes, token=token)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def request_scopes(request) -> frozenset[str]:
    user = request.user
    if isinstance(user, TokenClient):
        return user.scopes
    if user is not None and user.is_authenticated and user.is_staff and user.is_active:
        return ALL_SCOPES
    return frozenset()


MSG_NOT_STAFF = (
    "Your account may not use the admin (its staff status is off): the API takes a staff "
    "account's session or a token."
)


class ScopePermission(permissions.BasePermission):
    """Grants access when the caller holds `scope` (for unsafe methods: `write_scope`)."""

    scope: str = Scope.READ
    write_scope: str = Scope.WRITE
    message = "This token does not have the required scope."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 (NotAuthenticated) for these
        needed = self.scope if request.method in permissions.SAFE_METHODS else self.write_scope
        if needed not in request_scopes(request):
            if isinstance(request.user, TokenClient):
                self.message = f"This token does not have the '{needed}' scope."
            else:  # a session of an account no longer staff, which sent no token
                self.message = MSG_NOT_STAFF
            return False
        if not isinstance(request.user, TokenClient) and not session_allowed(request, view):
            self.message = "Your account's admin permissions do not allow this."
            return False
        return True

    def has_object_permission(self, request, view, obj):
        """A staff session deletes what the admin's own delete page would let it: with the
        delete permission on everything the deletion takes along (a device's runs,
        snapshots, documents…)."""
        user = request.user
        if request.method != "DELETE" or isinstance(user, TokenClient) or user.is_superuser:
            return True
        model_admin = admin.site._registry.get(type(obj))
        if model_admin is None:
            return True
        _, _, perms_needed, protected = model_admin.get_deleted_objects([obj], request)
        if perms_needed or protected:
            self.message = (
                "Your account's admin permissions do not allow deleting what this deletion "
                f"takes along: {', '.join(sorted(map(str, perms_needed))) or 'protected rows'}."
            )
            return False
        return True


# the admin permission a staff session needs for each kind of request
METHOD_ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


def session_allowed(request, view) -> bool:
    """Whether a staff session's admin permissions allow this request, as in the admin: to read,
    the view permission (or the change one) of the view's `permission_model` (the devices where
    the view names none: the fleet); to write, the `permission_action` of its model (add,
    change or delete by the method where the view names none). A write to a view that names no
    model is a superuser's only."""
    user = request.user
    if user.is_superuser:
        return True
    model = getattr(view, "permission_model", None)
    if request.method in permissions.SAFE_METHODS:
        # a view may read several models (`permission_models(request)`): each is needed
        reads = getattr(view, "permission_models", None)
        return may_view(user, *(reads(request) if reads else [model or Device]))
    action = getattr(view, "permission_action", None) or METHOD_ACTIONS.get(request.method)
    return model is not None and action is not None and _may(user, model, (action,))


def may_view(user, *models) -> bool:
    """Whether the account may view every one of these models: its admin's view (or change)
    permission on each, as the admin's own pages ask."""
    return all(_may(user, model, ("view", "change")) for model in models)


def may_read(request, *models) -> bool:
    """Whether this API request may read these models: a token by its scopes (checked before
    the view), a staff session by its admin permissions (may_view)."""
    return isinstance(request.user, TokenClient) or may_view(request.user, *models)


def _may(user, model, actions: tuple[str, ...]) -> bool:
    opts = model._meta
    return any(user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}") for action in actions)


class ReadScope(ScopePermission):
    """Reads need `read`, writes need `write` (the default for every API view)."""


class SubmitScope(ScopePermission):
    """POST /api/benchmark: the `submit` scope."""

    scope = Scope.SUBMIT
    write_scope = Scope.SUBMIT
