"""A real Redis (Debian's `redis-server`) on loopback for tests: CACHE_URL=redis://… for real.

One process serves a whole test run; each user takes a database number of its own
(`database()`), so the failed-authentication budgets of one test never meet another's.
"""

import contextlib
import itertools
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from .livetest import free_port, stop

DATABASES = 64  # redis-server's default is 16; each test that asks gets a fresh one
START_TIMEOUT_S = 20


def executable() -> str | None:
    return shutil.which("redis-server")


@dataclass
class RedisServer:
    host: str
    port: int
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(0))

    def database(self) -> str:
        """The CACHE_URL of a database nobody has used yet."""
        number = next(self._numbers)
        if number >= DATABASES:
            raise RuntimeError(f"more than {DATABASES} Redis databases asked of one server")
        return f"redis://{self.host}:{self.port}/{number}"


def _wait_until_up(port: int, process: subprocess.Popen) -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {process.returncode}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        client.close()


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """redis-server on a free loopback port, nothing on disk, stopped when the block ends."""
    program = executable()
    if program is None:
        raise RuntimeError("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="benchtools-redis-") as workdir:
        process = subprocess.Popen(  # noqa: S603 (Debian's redis-server, fixed arguments)
            [
                program,
                *("--port", str(port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),  # no dump file: state lives for the run
                *("--databases", str(DATABASES)),
            ],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait_until_up(port, process)
            yield RedisServer(host="127.0.0.1", port=port)
        finally:
            stop(process, timeout=20)
