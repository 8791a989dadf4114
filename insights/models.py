import hashlib

from django.db import models
from django.db.models import Q

from inventory.models import Device


class Kind(models.TextChoices):
    SCORE_REGRESSION = "score_regression", "score regression"
    BELOW_PEERS = "below_peers", "below its peers"
    SMART_FAILING = "smart_failing", "SMART failing"
    SMART_DEGRADING = "smart_degrading", "SMART degrading"
    DISK_HOT = "disk_hot", "disk hot"


class Severity(models.TextChoices):
    WARNING = "warning", "warning"
    CRITICAL = "critical", "critical"


class AttentionItem(models.Model):
    """A condition of a device that needs a person (CONTRACT Part 2, "Insights"): opened by a
    submission, updated while it holds, closed when it is over or acknowledged."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="attention_items")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    category = models.CharField(max_length=20, blank=True, help_text="score category or global")
    disk = models.CharField(max_length=255, blank=True, help_text="serial, or name without one")
    message = models.TextField()
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(
        max_length=150, blank=True, help_text="who acknowledged it; empty when it resolved"
    )

    class Meta:
        ordering = ("-opened_at", "-id")
        constraints = (
            # while an item is open, the same condition updates it: never a second one
            models.UniqueConstraint(
                fields=("device", "kind", "category", "disk"),
                condition=Q(closed_at__isnull=True),
                name="insights_one_open_item_per_condition",
            ),
        )
        indexes = (
            # GET /api/attention (open, newest first), the dashboard panel, /metrics counts
            models.Index(fields=("closed_at", "-opened_at"), name="insights_attention_open"),
        )

    def __str__(self):
        return f"{self.device}: {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


def condition_key(item: AttentionItem) -> str:
    """The SHA-256 of an item's condition (device, kind, category, disk): the same for every
    item of it, and kept on its notifications when the item is gone with its device."""
    said = "\x1f".join((str(item.device_id), item.kind, item.category, item.disk))
    return hashlib.sha256(said.encode()).hexdigest()


class Notification(models.Model):
    """One notification to one NOTIFY_URLS address: written in the transaction that opened or
    closed its item (a rollback leaves none), sent by the server's sender thread, and retried
    until it is delivered or NOTIFY_RETRY_HOURS have passed, whichever server process is up.

    The address itself, with the secrets Apprise URLs carry, is not stored: `target` is its
    SHA-256, matched against NOTIFY_URLS when it is sent; `target_label` the masked form."""

    item = models.ForeignKey(
        AttentionItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    title = models.CharField(max_length=255)
    body = models.TextField()
    type = models.CharField(max_length=10, help_text="Apprise's notify type")
    # its item's condition (condition_key): an earlier notification of it still to be sent
    # holds this one back (notify_queue.behind_earlier), the item deleted with its device or not.
    # Its database default lets a server of 0.14.2, which writes none, serve the upgraded
    # database (several servers upgraded one at a time): its every judgment failed on it
    condition = models.CharField(max_length=64, blank=True, editable=False, db_default="")
    target = models.CharField(max_length=64, help_text="SHA-256 of the NOTIFY_URLS entry")
    target_label = models.CharField("sent to", max_length=255)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    # when it is due: now, or the next retry; null once sent or given up
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # a sender that claimed it has it until then (a sender that dies leaves it to another)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField("given up at", null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (
            models.Index(fields=("next_attempt_at", "id"), name="insights_notify_due"),
            models.Index(fields=("condition", "target", "id"), name="insights_notify_condition"),
        )

    def __str__(self):
        return f"{self.title} → {self.target_label}"

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "given up"
        return "waiting" if self.attempts == 0 else "retrying"
