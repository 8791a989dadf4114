from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class BenchmarksConfig(AppConfig):
    name = "benchmarks"

    def ready(self):
        from .scoring import WeightsError, parse_weights

        # Refuse to start with weights that would make every score wrong.
        try:
            parse_weights(settings.SCORE_WEIGHTS)
        except WeightsError as exc:
            raise ImproperlyConfigured(str(exc)) from None
