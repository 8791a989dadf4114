from django.conf import settings
from django.core import checks

from . import delivery


@checks.register()
def check_notify_urls(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A NOTIFY_URLS entry Apprise cannot read would fail every notification silently: said at
    `manage.py check` (and migrate, which scripts/serve runs first)."""
    return [
        checks.Error(
            f"NOTIFY_URLS: {delivery.redacted(url)} is not an Apprise URL Apprise can send to.",
            hint="See https://github.com/caronc/apprise/wiki for the URL of each service.",
            id="insights.E001",
        )
        for url in settings.NOTIFY_URLS
        if delivery.instantiate(url) is None
    ]
