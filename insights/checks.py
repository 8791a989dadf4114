from django.conf import settings
from django.core import checks

from . import delivery


@checks.register()
def check_notify_urls(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A NOTIFY_URLS entry Apprise cannot read would fail every notification silently: said at
    `manage.py check` (and migrate, which scripts/serve runs first)."""
    return [
        checks.Error(
            f"NOTIFY_URLS: {delivery.redacted(url)} is {delivery.unreadable(url)}.",
            hint="See https://github.com/caronc/apprise/wiki for the URL of each service.",
            id="insights.E001",
        )
        for url in settings.NOTIFY_URLS
        if delivery.instantiate(url) is None
    ]


@checks.register()
def check_site_url(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Notifications without SITE_URL still go out, with the device page's path in place of a
    link: said at `manage.py check` and migrate (scripts/serve runs it at every start)."""
    if not settings.NOTIFY_URLS or settings.SITE_URL:
        return []
    return [
        checks.Warning(
            "NOTIFY_URLS without SITE_URL: each notification gives the device page's path "
            "(/admin/inventory/device/7/change/), not a link people can open.",
            hint="Set SITE_URL to the address people open the admin at, e.g. "
            "http://bench.lan:8007.",
            id="insights.W001",
        )
    ]
