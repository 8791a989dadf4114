"""Throttling of failed authentications: a client IP that keeps getting 401s is refused (429).

DRF runs its throttles after authentication, and a bad token ends the request there, so DRF's
own hook never sees the failures. A middleware counts them instead, with DRF's scoped-throttle
machinery (rate `auth_failure` in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], AUTH_FAILURE_RATE,
client IP per REST_FRAMEWORK["NUM_PROXIES"]). Only 401 answers count: a machine with a valid
token is never slowed down, however often it submits. While an IP is over the limit every API
request from it is refused before authentication, so the limit also hides whether a guess was
right. The count lives in Django's cache: per worker process with the default local-memory cache.
"""

import logging
import math

from django.http import JsonResponse
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# Never refused: health checks and the public schema do not authenticate.
EXEMPT_PATHS = ("/api/health", "/api/schema")
MSG_THROTTLED = "Too many failed authentications from this address; retry in {wait} s."


class AuthFailureThrottle(SimpleRateThrottle):
    """Counts 401 answers per client IP; `blocked()` once AUTH_FAILURE_RATE is reached."""

    scope = "auth_failure"

    def get_rate(self):
        # read at each request (not at import), so a settings override applies
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or None  # "" disables

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request) -> None:
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]

    def blocked(self, request) -> bool:
        if self.rate is None:
            return False
        self._load(request)
        return len(self.history) >= self.num_requests

    def record_failure(self, request) -> None:
        if self.rate is None:
            return
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class AuthFailureThrottleMiddleware:
    """Refuses API requests from an IP over its failed-authentication budget; counts 401s."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") or request.path.startswith(EXEMPT_PATHS):
            return self.get_response(request)
        throttle = AuthFailureThrottle()
        if throttle.blocked(request):
            wait = max(1, math.ceil(throttle.wait() or 1))
            logger.warning(
                "auth throttled client=%s %s %s retry_after=%ss",
                throttle.get_ident(request),
                request.method,
                request.path,
                wait,
            )
            response = JsonResponse({"detail": MSG_THROTTLED.format(wait=wait)}, status=429)
            response["Retry-After"] = str(wait)
            return response
        response = self.get_response(request)
        if response.status_code == 401:
            throttle.record_failure(request)
            # who and where, never what: the rejected credential is not logged
            logger.warning(
                "auth failed client=%s %s %s",
                throttle.get_ident(request),
                request.method,
                request.path,
            )
        return response
