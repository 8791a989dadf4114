import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "lbt_"  # noqa: S105 (a prefix, not a secret)


def token_hash(secret: str) -> str:
    """The stored form of a token: its sha256 (tokens are random, so no salt is needed)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class Scope(models.TextChoices):
    SUBMIT = "submit", "submit (POST /api/benchmark only)"
    READ = "read", "read"
    WRITE = "write", "write (also read)"


class ApiToken(models.Model):
    """A named API token issued in the admin; only its hash is stored."""

    name = models.CharField(
        max_length=100, help_text="Who or what uses it, e.g. 'lab rack bench.sh'."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(
        max_length=12, editable=False, help_text="First characters of the token, to recognise it."
    )
    can_submit = models.BooleanField("submit", default=True, help_text="May POST /api/benchmark.")
    can_read = models.BooleanField(
        "read", default=False, help_text="May read devices and benchmarks."
    )
    can_write = models.BooleanField(
        "write", default=False, help_text="May edit and delete (implies read)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("name",)
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    def clean(self):
        # a token with no scope is refused everywhere: chosen, not left as found
        if not (self.can_submit or self.can_read or self.can_write):
            raise ValidationError(
                "Give the token at least one scope: submit (bench.sh), read or write."
            )

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @property
    def scopes(self) -> frozenset[str]:
        granted = set()
        if self.can_submit:
            granted.add(Scope.SUBMIT)
        if self.can_read or self.can_write:
            granted.add(Scope.READ)
        if self.can_write:
            granted.add(Scope.WRITE)
        return frozenset(granted)


class Backup(models.Model):
    """An archive `manage.py backup` wrote (or `restore` restored), as the dashboard and
    /metrics tell when the last one was made: a cron line that stopped (a full disk, a moved
    checkout) is otherwise noticed on the day a restore is needed. Kept in the database, so
    every server of several tells the same, whichever of them made it."""

    created_at = models.DateTimeField(
        db_index=True, help_text="When the archive's database was copied (its name's time)."
    )
    host = models.CharField(max_length=255, help_text="The machine the archive is on.")
    path = models.CharField(max_length=4096, help_text="The archive on that machine.")
    size = models.BigIntegerField(help_text="Bytes.")
    documents_damaged = models.PositiveIntegerField(
        default=0, help_text="Documents whose stored file was missing or changed (named on stderr)."
    )
    restored_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was restored, if it was: the database is its."
    )

    class Meta:
        ordering = ("-created_at", "-id")
        get_latest_by = "created_at"

    def __str__(self):
        return f"{self.path} on {self.host}"
