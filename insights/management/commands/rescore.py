from django.core.management.base import BaseCommand, CommandError

from benchmarks.models import Benchmark
from benchmarks.rescoring import benchmark_rescore
from benchmarks.scoring import WeightsError, parse_weights
from insights.services import attention_evaluate_all


class Command(BaseCommand):
    help = (
        "Re-apply the scoring, validity and attention rules in force (SCORE_WEIGHTS, VALIDITY_*, "
        "REGRESSION_PCT, …) to stored runs."
    )

    SHOWN = 50  # changes listed one per line; the rest are counted

    def add_arguments(self, parser):
        parser.add_argument(
            "--weights",
            help="Weights to use instead of SCORE_WEIGHTS, e.g. 'cpu=0.5,gpu=0' (for a trial).",
        )
        parser.add_argument(
            "--device", action="append", default=[], help="Only this hostname (repeatable)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change and save nothing."
        )

    def handle(self, *args, weights: str | None, device: list[str], dry_run: bool, **options):
        try:
            parsed = parse_weights(weights) if weights is not None else None
        except WeightsError as exc:
            raise CommandError(str(exc)) from None
        benchmarks = Benchmark.objects.all()
        if device:
            benchmarks = benchmarks.filter(device__hostname__in=device)
        result = benchmark_rescore(benchmarks=benchmarks, weights=parsed, dry_run=dry_run)
        for change in result.changes[: self.SHOWN]:
            line = f"  #{change.benchmark_id} {change.hostname}: global {change.global_before}"
            line += f" → {change.global_after}"
            if change.validity_before != change.validity_after:
                line += f", {change.validity_before} → {change.validity_after}"
            self.stdout.write(line)
        if result.changed > self.SHOWN:
            self.stdout.write(f"  … and {result.changed - self.SHOWN} more")
        if dry_run:
            self.stdout.write(
                f"Dry run: {result.examined} benchmark(s) examined; {result.changed} would "
                "change. Nothing was saved."
            )
            return
        devices = attention_evaluate_all()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rescored {result.examined} benchmark(s); {result.changed} changed. "
                f"Attention re-evaluated on {devices} device(s)."
            )
        )
