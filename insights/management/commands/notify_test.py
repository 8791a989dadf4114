from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from insights import delivery

TITLE = "Linux BenchTools: test notification"


class Command(BaseCommand):
    help = "Send one test notification to each NOTIFY_URLS (or given) URL and report each."

    def add_arguments(self, parser):
        parser.add_argument(
            "urls", nargs="*", metavar="URL", help="Apprise URLs to try instead of NOTIFY_URLS."
        )

    def handle(self, *args, urls: list[str], **options):
        urls = urls or settings.NOTIFY_URLS
        if not urls:
            raise CommandError("NOTIFY_URLS is empty: set it (Apprise URLs) or give URLs here.")
        notification = delivery.Notification(
            title=TITLE,
            body=f"Notifications from {settings.SITE_URL or 'this server'} reach you here.",
            type="info",
        )
        failed = 0
        for url in urls:
            # sent here, not queued: the answer is whether each URL took it
            error = delivery.attempt(notification, url, timeout=settings.NOTIFY_TIMEOUT_S)
            failed += error is not None
            if error is None:
                self.stdout.write(self.style.SUCCESS(f"{delivery.redacted(url)}: ok"))
            else:
                self.stdout.write(self.style.ERROR(f"{delivery.redacted(url)}: FAILED ({error})"))
        if failed:
            raise CommandError(f"{failed} of {len(urls)} URL(s) failed.")
