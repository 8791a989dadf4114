"""The API speaks UTC whatever TIME_ZONE the admin shows dates in (CONTRACT: run_at,
received_at… are ISO 8601 UTC)."""

from datetime import UTC

from django.utils import timezone


class ApiInUtcMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        # DRF writes datetimes in the current time zone, TIME_ZONE by default
        with timezone.override(UTC):
            return self.get_response(request)
