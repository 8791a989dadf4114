"""benchsite.throttling.AuthFailureThrottle: counts per tenth of the period, never undercounts."""

import pytest
from django.test import RequestFactory

from benchsite.throttling import AuthFailureThrottle


@pytest.fixture
def clock(monkeypatch, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_failure": "3/min"},
    }
    now = [0.0]
    monkeypatch.setattr(AuthFailureThrottle, "timer", staticmethod(lambda: now[0]))
    return now


REQUEST = RequestFactory().get("/api/stats", REMOTE_ADDR="192.0.2.9")


def fail_at(clock, *times):
    for at in times:
        clock[0] = at
        AuthFailureThrottle().record_failure(REQUEST)


def blocked_at(clock, at) -> tuple[bool, float]:
    clock[0] = at
    throttle = AuthFailureThrottle()
    return throttle.blocked(REQUEST), throttle.wait()


def test_the_budget_blocks_until_the_oldest_failure_leaves_the_period(clock):
    start = 1_000_002.0  # a bucket starts here: [1_000_002, 1_000_008), a tenth of a minute
    fail_at(clock, start, start + 1, start + 2)

    assert blocked_at(clock, start + 3) == (True, 63.0)  # 6 s bucket + 60 s period, from start
    assert blocked_at(clock, start + 65.9)[0]
    assert not blocked_at(clock, start + 66)[0]


def test_failures_either_side_of_a_bucket_boundary_all_count(clock):
    fail_at(clock, 1_000_007.9, 1_000_008.1, 1_000_008.2)
    assert blocked_at(clock, 1_000_008.3)[0]


def test_failures_further_apart_than_the_period_do_not_add_up(clock):
    fail_at(clock, 1_000_002.0, 1_000_050.0, 1_000_110.0)
    assert not blocked_at(clock, 1_000_110.5)[0]


def test_a_budget_per_second_forgets_a_failure_after_about_a_second(clock, settings):
    """With buckets of at least a second, a failure of a 2/s budget counted for 11 s: one bad
    token every 2 s (a quarter of the rate) locked out the address's valid tokens."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_failure": "2/s"},
    }
    for at in (1_000_000.0, 1_000_002.0, 1_000_004.0, 1_000_006.0):
        fail_at(clock, at)
        assert not blocked_at(clock, at + 0.5)[0]
    fail_at(clock, 1_000_008.0, 1_000_008.3)
    assert blocked_at(clock, 1_000_008.4)[0]
    assert not blocked_at(clock, 1_000_009.5)[0]


def test_other_addresses_have_their_own_budget(clock):
    fail_at(clock, 1_000_002.0, 1_000_003.0, 1_000_004.0)
    clock[0] = 1_000_005.0
    other = RequestFactory().get("/api/stats", REMOTE_ADDR="192.0.2.10")
    assert not AuthFailureThrottle().blocked(other)


@pytest.fixture
def redis_down(settings):
    # a Redis that does not answer: nothing listens on port 1 of the loopback
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.mark.django_db
def test_without_its_cache_the_server_keeps_serving_and_says_so(redis_down, api, anon, caplog):
    from django.contrib.auth.models import User

    # a valid token, a wrong one, the health check and an admin login all answer as usual
    assert api.get("/api/devices").status_code == 200
    anon.credentials(HTTP_AUTHORIZATION="Bearer wrong-token")
    assert anon.get("/api/devices").status_code == 401
    health = anon.get("/api/health")
    assert health.status_code == 200 and health.json()["cache"] == "unreachable"
    User.objects.create_superuser("root", "root@example.com", "a-long-password-1")
    login = anon.post("/admin/login/", {"username": "root", "password": "a-long-password-1"})
    assert login.status_code == 302
    # and the log says what is not counted meanwhile
    assert "failed authentications are not counted" in caplog.text


def test_failures_let_through_at_once_are_answered_429_past_the_budget(clock):
    """Guesses sent together all pass the check before any is counted: 30 at once were thirty
    401s for a budget of 10 (100 at once, 23). Each past the budget is now answered as it
    would have been after the others: 429, with when to retry."""
    from django.http import JsonResponse

    from benchsite.throttling import AuthFailureThrottleMiddleware

    clock[0] = 1_000_002.0
    answers = []

    def at_once(remaining: int):
        # each request is let through, then (in its view) the next one arrives, before any of
        # them is answered and counted: five guesses in flight at the same moment
        def view(request):
            if remaining:
                answers.append(AuthFailureThrottleMiddleware(at_once(remaining - 1))(REQUEST))
            return JsonResponse({"detail": "Invalid token."}, status=401)

        return view

    answers.append(AuthFailureThrottleMiddleware(at_once(4))(REQUEST))

    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]  # a budget of 3
    assert answers[-1]["Retry-After"] == "66"  # the bucket's end, 6 s, and the period
    assert blocked_at(clock, 1_000_003.0)[0]


def test_failures_at_once_on_the_default_file_cache_are_all_counted(settings, tmp_path):
    """Django's file cache reads and writes a count apart: of 45 bad tokens at once on a
    default install (its two workers sharing data/cache), 8 were counted."""
    import threading

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth_failure": "1000/min"},
    }
    at_once = threading.Barrier(24)

    def fail():
        at_once.wait()
        AuthFailureThrottle().record_failure(REQUEST)

    threads = [threading.Thread(target=fail) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    throttle = AuthFailureThrottle()
    key = throttle.get_cache_key(REQUEST)
    width = throttle.duration / throttle.BUCKETS
    current = int(throttle.timer() // width)
    buckets = [f"{key}:{n}" for n in range(current - throttle.BUCKETS, current + 1)]
    assert sum(throttle.cache.get_many(buckets).values()) == 24
