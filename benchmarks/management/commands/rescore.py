from django.core.management.base import BaseCommand, CommandError

from benchmarks.models import Benchmark
from benchmarks.scoring import WeightsError, parse_weights
from benchmarks.services import benchmark_rescore


class Command(BaseCommand):
    help = "Recompute every benchmark's global score with the weights in force (SCORE_WEIGHTS)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--weights",
            help="Weights to use instead of SCORE_WEIGHTS, e.g. 'cpu=0.5,gpu=0' (for a trial).",
        )
        parser.add_argument(
            "--device", action="append", default=[], help="Only this hostname (repeatable)."
        )

    def handle(self, *args, weights: str | None, device: list[str], **options):
        try:
            parsed = parse_weights(weights) if weights is not None else None
        except WeightsError as exc:
            raise CommandError(str(exc)) from None
        benchmarks = Benchmark.objects.all()
        if device:
            benchmarks = benchmarks.filter(device__hostname__in=device)
        examined, changed = benchmark_rescore(benchmarks=benchmarks, weights=parsed)
        self.stdout.write(
            self.style.SUCCESS(f"Rescored {examined} benchmark(s); {changed} changed.")
        )
