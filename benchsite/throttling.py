"""Throttling of failed authentications: a client IP that keeps getting 401s is refused (429).

DRF runs its throttles after authentication, and a bad token ends the request there, so DRF's
own hook never sees the failures. A middleware counts them instead, with DRF's scoped-throttle
machinery (rate `auth_failure` in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], AUTH_FAILURE_RATE,
client IP per REST_FRAMEWORK["NUM_PROXIES"]). Only 401 answers count: a machine with a valid
token is never slowed down, however often it submits. While an IP is over the limit every API
request from it is refused before authentication, so the limit also hides whether a guess was
right. /metrics takes the same tokens and is guarded the same way. The counts live in
Django's cache (CACHE_URL), which every worker of a server shares by default and every server
shares with Redis.
"""

import fcntl
import logging
import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.http import JsonResponse
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


def cache_errors() -> tuple[type[Exception], ...]:
    """The errors of a cache that does not answer: Redis down or hanging, a full disk. Read
    when an error is caught (`except cache_errors()`), not at import: the redis client costs
    every process 0.04 s of CPU to import (perf/startup.py), and only CACHE_URL=redis://...
    uses it (Django's RedisCache imports it then), so a process whose cache has not imported
    it cannot be raising its errors."""
    exceptions = sys.modules.get("redis.exceptions")
    return (OSError, exceptions.RedisError) if exceptions else (OSError,)


# What a token opens: the API and the Prometheus scrape (a guesser tries wherever a token works).
GUARDED_PATHS = ("/api/", "/metrics")
# Never refused: health checks and the public schema do not authenticate.
EXEMPT_PATHS = ("/api/health", "/api/schema")
MSG_THROTTLED = "Too many failed authentications from this address; retry in {wait} s."


class AuthFailureThrottle(SimpleRateThrottle):
    """Counts 401 answers per client IP; `blocked()` once AUTH_FAILURE_RATE is reached.

    DRF's own throttles keep a list of timestamps and write it back (read, modify, write), which
    loses counts when failures arrive together, as a guesser spreading over workers and servers
    makes them. Here each failure is one atomic `incr` (Redis) of a counter per tenth of the
    period, and the budget is their sum over the last period plus the tenth in progress: at
    worst a failure counts for 10 % longer, never shorter. Once over, a "blocked until" entry is
    written, so every other request costs a single cache read.
    """

    scope = "auth_failure"
    BUCKETS = 10

    def get_rate(self):
        # read at each request (not at import), so a settings override applies
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or None  # "" disables

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def blocked(self, request) -> bool:
        """Over the budget? Without a cache to ask (Redis down), not: the budget is a guard
        against guessing, and valid tokens and logins must keep working (logged)."""
        if self.rate is None:
            return False
        self.now = self.timer()
        try:
            self.until = self.cache.get(f"{self.get_cache_key(request)}:until") or 0
        except cache_errors() as exc:
            _cache_unavailable(exc)
            self.until = 0
        return self.until > self.now

    def wait(self) -> float:
        return max(0.0, self.until - self.now)

    def record_failure(self, request) -> bool:
        """Count a failure; True when it is past the budget: sent at the same moment as others
        from its address, it was let through before they were counted, and its answer is a 429
        as it would have been after them (30 guesses at once were thirty 401s for a budget of
        10). Its `wait()` is then until the block ends."""
        if self.rate is None:
            return False
        try:
            with _counting(self.cache):
                return self._count_failure(request)
        except cache_errors() as exc:  # not counted while the cache is away (logged)
            _cache_unavailable(exc)
            return False

    def _count_failure(self, request) -> bool:
        key, now = self.get_cache_key(request), self.timer()
        width = self.duration / self.BUCKETS  # a tenth of a second for a rate per second
        current = int(now // width)
        ttl = math.ceil(self.duration + 2 * width)  # a bucket counts until (n + 1) × width + period
        if not self.cache.add(f"{key}:{current}", 1, ttl):
            try:
                self.cache.incr(f"{key}:{current}")
            except ValueError:  # expired between add and incr
                self.cache.set(f"{key}:{current}", 1, ttl)
        buckets = range(current - self.BUCKETS, current + 1)
        found = self.cache.get_many([f"{key}:{n}" for n in buckets])
        counts = [(n, found.get(f"{key}:{n}", 0)) for n in buckets]
        excess = sum(count for _, count in counts) - self.num_requests + 1
        if excess <= 0:
            return False
        over = excess > 1  # the failure that reached the budget is still answered as one
        # blocked until enough of the oldest failures have left the period
        until = now + self.duration  # a rate of 0: every failure blocks a whole period
        for n, count in counts:
            excess -= count
            if excess <= 0:
                until = max((n + 1) * width + self.duration, now + 1)
                break
        self.cache.set(f"{key}:until", until, math.ceil(until - now) + 1)
        self.now, self.until = now, until
        return over


@contextmanager
def _counting(cache) -> Iterator[None]:
    """Redis counts atomically; Django's file cache (the default CACHE_URL, shared by the
    server's workers) reads and writes a count apart: 45 bad tokens at once counted 8, and 22
    more went through after them. There each count is made under a lock of the cache's
    directory (flock: the workers of one machine take turns)."""
    directory = getattr(cache, "_dir", None)  # the file cache's alone (through its proxy)
    if directory is None:
        yield
        return
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, COUNT_LOCK), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


COUNT_LOCK = "auth-failures.lock"  # beside the cache's files, which end in .djcache
_cache_warned_at = 0.0
CACHE_WARNING_EVERY_S = 60


def _cache_unavailable(exc: Exception) -> None:
    # once a minute per process, not once per request
    global _cache_warned_at
    now = time.monotonic()
    if now - _cache_warned_at >= CACHE_WARNING_EVERY_S:
        _cache_warned_at = now
        logger.error(
            "cache unavailable (CACHE_URL): failed authentications are not counted until it "
            "answers: %s",
            exc,
        )


class AuthFailureThrottleMiddleware:
    """Refuses API and /metrics requests from an IP over its failed-authentication budget;
    counts their 401s."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(GUARDED_PATHS) or request.path.startswith(EXEMPT_PATHS):
            return self.get_response(request)
        throttle = AuthFailureThrottle()
        if throttle.blocked(request):
            return self.throttled(request, throttle)
        response = self.get_response(request)
        if response.status_code == 401:
            over = throttle.record_failure(request)
            # who and where, never what: the rejected credential is not logged
            logger.warning(
                "auth failed client=%s %s %s",
                throttle.get_ident(request),
                request.method,
                request.path,
            )
            if over:
                return self.throttled(request, throttle)
        return response

    @staticmethod
    def throttled(request, throttle: AuthFailureThrottle) -> JsonResponse:
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
