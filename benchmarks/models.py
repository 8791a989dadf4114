from django.db import models
from django.utils import timezone

from inventory.models import Device, HardwareSnapshot, abstract_model, category_score_fields
from inventory.schema import CATEGORIES

CategoryScores = abstract_model("CategoryScores", __name__, category_score_fields())
CATEGORY_FIELDS = tuple(category_score_fields())


class Validity(models.TextChoices):
    VALID = "valid", "valid"
    SUSPECT = "suspect", "suspect"


class Benchmark(CategoryScores):
    """One bench.sh run: category scores as sent, the global score as computed here."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="benchmarks")
    snapshot = models.ForeignKey(
        HardwareSnapshot,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="benchmarks",
    )
    # when the run happened (conditions.started_at, benchmarks.validity.run_time), and when
    # it reached the server: a capture replayed days later takes its place in the past
    run_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    bench_script_version = models.CharField(max_length=50, blank=True)
    global_score = models.FloatField("global", null=True, blank=True)
    results = models.JSONField(
        default=dict, blank=True, help_text="The results object as received."
    )
    # results.<category>.method (scoring.methods_of): runs are compared category by category
    # only when measured the same way, read without decoding the whole results
    methods = models.JSONField(default=dict, blank=True, editable=False)
    extra = models.JSONField(
        default=dict, blank=True, help_text="Top-level keys of the submission this server ignores."
    )
    validity = models.CharField(max_length=10, choices=Validity.choices, default=Validity.VALID)
    validity_reasons = models.JSONField(default=list, blank=True, help_text="Why it is suspect.")
    excluded_categories = models.JSONField(
        default=list, blank=True, help_text="Measured, but left out of the global score."
    )
    scoring_version = models.PositiveSmallIntegerField(default=1)
    weights = models.JSONField(default=dict, blank=True, help_text="Weights the global score used.")
    submission_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    submitted_by = models.CharField(
        max_length=100, blank=True, editable=False, help_text="The token that submitted it."
    )

    class Meta:
        ordering = ("-run_at", "-id")
        get_latest_by = ("run_at", "id")
        indexes = (
            # a device's history newest first; its latest benchmark
            models.Index(fields=("device", "-run_at", "-id"), name="benchmarks_device_time"),
            # the fleet's latest run (/api/stats last_benchmark_at)
            models.Index(fields=("-run_at",), name="benchmarks_run_at"),
            # submissions as they arrived (the dashboard's recent submissions, last received)
            models.Index(fields=("-received_at",), name="benchmarks_received_at"),
            # benchmarks ranked by global score (admin changelist ordering)
            models.Index(fields=("-global_score",), name="benchmarks_global_score"),
        )

    def __str__(self):
        # the admin's titles, breadcrumbs and log: in its time zone, named (the API's is UTC)
        return f"{self.device} @ {timezone.localtime(self.run_at):%Y-%m-%d %H:%M %Z}"

    @property
    def category_scores(self) -> dict[str, float | None]:
        return {category.name: getattr(self, f"{category.name}_score") for category in CATEGORIES}


class RulesApplied(models.Model):
    """The scoring version whose rules every stored run, its device's figures and its attention
    items were last brought to by a whole `rescore` (one row). Written once such a rescore has
    ended: one cut short (a stop, a failure) is run again by the next `migrate`."""

    scoring_version = models.PositiveSmallIntegerField()
    applied_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "rules applied"

    def __str__(self):
        return f"scoring version {self.scoring_version}"
