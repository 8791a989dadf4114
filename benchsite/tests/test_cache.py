"""CACHE_URL: cross-request state (the failed-authentication budget) seen by every process.

The default, a file cache, is shared by separate processes of one machine; Redis (a real
`redis-server` on loopback, the `redis_url` fixture of conftest.py) by servers anywhere. Two
gunicorn servers stand for two workers or two machines: a budget spent through one is spent
through the other.
"""

import concurrent.futures
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchsite.livetest import live_server

from .markers import engine_independent
from .test_server_modes import call_from

ROOT = Path(__file__).resolve().parents[2]


def settings_of(**env) -> dict:
    code = "import json; from django.conf import settings; print(json.dumps(settings.CACHES))"
    base = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "AUTH_FAILURE_RATE")}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env={**base, "ENV_FILE": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode:
        return {"error": done.stderr}
    return json.loads(done.stdout)["default"]


@engine_independent
def test_the_default_cache_is_files_in_the_data_directory():
    cache = settings_of()
    assert cache["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert cache["LOCATION"] == str(ROOT / "data" / "cache")


@engine_independent
def test_a_redis_url_uses_django_s_own_redis_cache():
    cache = settings_of(CACHE_URL="redis://10.0.0.5:6379/0")
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://10.0.0.5:6379/0"


@engine_independent
@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("rediscache://10.0.0.5:6379/1", "redis://10.0.0.5:6379/1"),
        ("REDIS://10.0.0.5:6379/0", "redis://10.0.0.5:6379/0"),
        ("redis:///run/redis/redis-server.sock", "unix:///run/redis/redis-server.sock"),
    ],
)
def test_each_spelling_django_environ_reads_as_redis_is_accepted(url, location):
    cache = settings_of(CACHE_URL=url)
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == location


@engine_independent
def test_a_malformed_auth_failure_rate_refuses_to_start():
    error = settings_of(AUTH_FAILURE_RATE="thirty")["error"]
    assert "AUTH_FAILURE_RATE must look like 30/min" in error


def two_servers(tmp_path, cache_url: str, rate: str):
    env = {"CACHE_URL": cache_url, "AUTH_FAILURE_RATE": rate}
    first = live_server(tmp_path / "a", workers=1, extra_env=env)
    second = live_server(tmp_path / "b", workers=1, extra_env=env)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    return first, second


def guess(server, source="127.0.0.2") -> int:
    return call_from(server, source, "/api/stats", token="guess-" + "g" * 24)


@engine_independent  # the servers keep their own SQLite databases; the budget is in the cache
@pytest.mark.live
def test_the_default_cache_shares_the_budget_between_processes(tmp_path):
    first, second = two_servers(tmp_path, f"filecache://{tmp_path / 'cache'}", "4/min")
    with first as a, second as b:
        statuses = [guess(server) for server in (a, b, a, b, a, b)]
        elsewhere = call_from(a, "127.0.0.3", "/api/stats", token=a.token)
    assert statuses == [401, 401, 401, 401, 429, 429]
    assert elsewhere == 200


@engine_independent
@pytest.mark.live
def test_redis_shares_the_budget_between_servers_and_loses_no_failure(tmp_path, redis_url):
    first, second = two_servers(tmp_path, redis_url, "24/min")
    with first as a, second as b:
        # 24 guesses at once, half through each server: each is counted, none lost in a race
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            burst = list(pool.map(guess, [a, b] * 12))
        after = [guess(a), guess(b)]
        elsewhere = call_from(b, "127.0.0.3", "/api/stats", token=b.token)
    assert burst == [401] * 24
    assert after == [429, 429]
    assert elsewhere == 200
