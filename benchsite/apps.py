from django.apps import AppConfig


class BenchsiteConfig(AppConfig):
    name = "benchsite"
    verbose_name = "Site"

    def ready(self):
        from . import schema  # noqa: F401 (registers the OpenAPI auth extension)
