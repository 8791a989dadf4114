"""Reading the settings' environment: values that do not parse, or are out of their range,
refused with one line naming the variable (manage.py prints an ImproperlyConfigured as
"Configuration error: …"; scripts/serve and the Docker entry point start with manage.py)."""

import io
import ipaddress
import logging
import math
import re
import warnings
import zoneinfo
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured


class Env(environ.Env):
    """environ.Env whose refusals name the variable: a value that does not parse is one line
    (manage.py prints ImproperlyConfigured as "Configuration error: …"), not a traceback ending
    in int()'s words with no name; and whose .env reads comments as a shell and Docker Compose
    do (env_file)."""

    @classmethod
    def read_env(cls, env_file=None, **overrides):
        """The .env file at `env_file` (a path) with its comments left out: a `#` after a blank
        begins one (`NUM_PROXIES=1   # the load balancer…`: django-environ kept it in the
        value, which then refused to parse), and so does an indented line that begins with
        one. A `#` inside a value stays (`slack://…/#alerts`, a password), as in quotes."""
        if isinstance(env_file, str | Path):
            try:
                text = Path(env_file).read_text(encoding="utf8")
            except OSError:
                return None  # as django-environ: a file that is not there sets nothing
            env_file = io.StringIO(without_comments(text))
        return super().read_env(env_file, **overrides)

    def bool(self, var, default=environ.Env.NOTSET):
        """A yes/no variable read strictly (boolean): django-environ took every word but its six
        true ones for false, so `SECURE_SSL_REDIRECT=ture` turned TLS off without a word."""
        if default is environ.Env.NOTSET and not self.ENVIRON.get(var, "").strip():
            raise ImproperlyConfigured(f"{var} is not set: set it to true or false.")
        return boolean(var, self.ENVIRON.get(var), default)

    def within(self, var, default: int | float, low, high=None):
        """A number (an int when `default` is one) from `low` (to `high`): within()."""
        if isinstance(default, int):
            text = (self.ENVIRON.get(var) or "").strip()
            if text and not re.fullmatch(r"[+-]?\d+", text):
                # Python's words for it ("invalid literal for int() with base 10: '1.5'")
                span = f" from {low}" + (f" to {high}" if high is not None else "")
                raise ImproperlyConfigured(f"{var}={text!r} is not a whole number ({span[1:]}).")
            return within(var, self.int(var, default=default), low, high)
        return within(var, self.float(var, default=default), low, high)

    def int(self, var, default=environ.Env.NOTSET):
        """A whole number; empty or blank (`CONN_MAX_AGE=` in .env) as unset, as a yes/no
        setting is: it was "invalid literal for int() with base 10: ''"."""
        if default is not environ.Env.NOTSET and not (self.ENVIRON.get(var) or "").strip():
            return default
        return super().int(var, default=default)

    # (after within(): its annotation's `float` is the type, not this method)
    def float(self, var, default=environ.Env.NOTSET):
        """A decimal number read strictly, as Python reads one (6.5, 60, 6e1): django-environ
        kept a value's digits, dots, commas and minus signs alone before reading it, so
        DISK_HOT_C=6O (a letter O) was 6 °C, REGRESSION_PCT=l0 was 0 and 2h was 2, and the
        server started wrongly, opening an item for every disk."""
        text = self.ENVIRON.get(var)
        if not (text or "").strip() and default is not environ.Env.NOTSET:
            return default  # empty or blank: unset
        try:
            return float((text or "").strip())
        except ValueError:
            raise ImproperlyConfigured(
                f"{var}={text or ''!r} is not a number (a decimal one is written 2.5)."
            ) from None

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"{var}={self.ENVIRON.get(var, '')!r} is not a valid value ({exc})."
            ) from None


TRUE_WORDS = frozenset(("true", "yes", "on", "1", "y", "ok"))
FALSE_WORDS = frozenset(("false", "no", "off", "0", "n"))


def boolean(name: str, text: str | None, default: bool) -> bool:
    """A yes/no setting: true, yes, on or 1, or false, no, off or 0, in any case; empty or unset:
    `default`; anything else refused with one line naming it."""
    word = (text or "").strip().lower()
    if not word:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (yes/no, on/off, 1/0), not {text!r}.")


def count(name: str, text: str | None, default: int) -> int:
    """A number of processes or threads: a whole number of at least 1 (empty or unset:
    `default`); anything else refused with one line naming it."""
    word = (text or "").strip()
    if not word:
        return default
    if word.isascii() and word.isdigit() and int(word) >= 1:
        return int(word)
    raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, not {text!r}.")


_ASSIGNMENT = re.compile(r"\A((?:export )?[A-Za-z_0-9]+=)(.*)\Z")
_QUOTED = re.compile(r"""\A('[^']*'|"(?:[^"\\]|\\.)*")\s*(?:#.*)?\Z""")
_COMMENT_AFTER = re.compile(r"\s+#.*\Z")


def without_comments(text: str) -> str:
    """A .env file's text without its comments (Env.read_env)."""
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        found = _ASSIGNMENT.match(line)
        if found:
            name, value = found.groups()
            quoted = _QUOTED.match(value)
            value = quoted.group(1) if quoted else _COMMENT_AFTER.sub("", value).rstrip()
            line = name + value
        lines.append(line)
    return "\n".join(lines) + "\n"


def within(name: str, value, low, high=None):
    """`value` of setting `name`, refused unless a finite number from `low` (to `high`)."""
    if math.isfinite(value) and value >= low and (high is None or value <= high):
        return value
    span = f"from {low} to {high}" if high is not None else f"of at least {low}"
    raise ImproperlyConfigured(f"{name} must be a number {span}, not {value}.")


def log_level(value: str) -> str:
    """LOG_LEVEL as the logging configuration takes it: any of Python's level names, in any
    case, spelled as Python spells it (WARN: WARNING, FATAL: CRITICAL); NOTSET, which on the
    apps' loggers would defer to the root's WARNING, logs everything (DEBUG)."""
    levels = logging.getLevelNamesMapping()
    number = levels.get(value.strip().upper())
    if number is None:
        raise ImproperlyConfigured(
            f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL (or another of Python's "
            f"level names: WARN, FATAL, NOTSET), not {value!r}."
        )
    return logging.getLevelName(number or logging.DEBUG)


def time_zone(value: str) -> str:
    """TIME_ZONE as a zone name Python knows (Europe/Paris), UTC when empty. Checked here: a
    name Python cannot load (empty, misspelled, in another case) passed Django's checks and the
    health check, then failed every admin page."""
    name = value.strip() or "UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"TIME_ZONE must be a time zone's name as `timedatectl list-timezones` lists it "
            f"(Europe/Paris, America/New_York, UTC), not {value!r}."
        ) from None
    return name


def in_checkout(base: Path, value: str, default: str = "") -> Path:
    """A path of the settings, a relative one taken from `base` (the checkout, beside
    manage.py) rather than from the directory a command happens to run in: `UPLOAD_DIR=uploads`
    in .env was another directory for a cron job run from /root. An empty value is `default`
    (it was the checkout itself: a backup archived .env and the database as "uploads")."""
    value = value.strip() or default
    if not value:
        raise ImproperlyConfigured("An empty path in the settings.")
    return (base / Path(value).expanduser()).resolve()


DATABASE_ENGINES = ("django.db.backends.sqlite3", "django.db.backends.postgresql")
# the caches the server is made for: one machine's workers (files), several servers (Redis)
# (rediscache is django-environ's own name for redis; a scheme is read in any case, as URLs are)
CACHE_SCHEMES = ("filecache", "redis", "rediss", "rediscache", "locmemcache")
WORKER_CLASSES = ("gthread", "sync", "uvicorn_worker.UvicornWorker")


def cache(env: Env, var: str, default: str) -> dict:
    """The cache of URL `var`, refused in one line naming it when it is none the server uses
    ("Invalid cache schema bogus", said without the variable's name); the URL, which may hold
    a password, is not repeated."""
    text = env.str(var, default=default).strip()
    scheme = text.split("://", 1)[0] if "://" in text else ""
    if scheme.lower() not in CACHE_SCHEMES:
        raise ImproperlyConfigured(
            f"{var} must be filecache:///absolute/directory, redis://host:6379/0 or "
            f"redis:///path/to/redis.sock, not a {scheme or 'schemeless'} URL."
        )
    return env.cache_url_config(text)


def gunicorn_checked(env: Env) -> None:
    """gunicorn's settings (gunicorn.conf.py), checked by the settings too: scripts/serve and
    the Docker entry point read the settings first, so a bad value stops them with one line
    before gunicorn, which reads them itself with a traceback (WEB_CONCURRENCY=0: a server that
    listens without answering)."""
    env.within("WEB_CONCURRENCY", 2, 1)
    env.within("GUNICORN_THREADS", 4, 1)
    env.bool("GUNICORN_PRELOAD", default=True)
    worker_class(env.str("GUNICORN_WORKER_CLASS", default=""))


def worker_class(value: str | None) -> str:
    """GUNICORN_WORKER_CLASS: gthread (empty: the default), sync, or uvicorn's worker; another
    was gunicorn's traceback, after the migrations and the banner."""
    name = (value or "").strip() or "gthread"
    if name not in WORKER_CLASSES:
        raise ImproperlyConfigured(
            f"GUNICORN_WORKER_CLASS must be gthread (the default), sync or "
            f"uvicorn_worker.UvicornWorker, not {value!r}."
        )
    return name


def database(env: Env, var: str, default: str, *, base: Path) -> dict:
    """The database of URL `var`, refused in one line when it does not parse or names no
    engine (django-environ warns and goes on with an empty ENGINE); a SQLite file's relative
    path is taken from `base` (in_checkout)."""
    try:
        with warnings.catch_warnings():  # "Engine not recognized": said below, in one line
            warnings.simplefilter("ignore")
            config = env.db(var, default=default)
    except ValueError as exc:  # a port that is no number…
        raise ImproperlyConfigured(f"{var} does not parse: {exc}.") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(
            f"{var} is no database URL: sqlite:////absolute/path.db or "
            "postgres://user:password@host:5432/name."
        )
    if config["ENGINE"] not in DATABASE_ENGINES:
        # mysql://…, a typo: Django's many lines about a backend it cannot load, no name
        scheme = env.str(var, default=default).split(":", 1)[0]
        raise ImproperlyConfigured(
            f"{var} names a {scheme!r} database: this server runs on SQLite "
            "(sqlite:////absolute/path.db) or PostgreSQL (postgres://user:password@host:5432/name)."
        )
    if config["ENGINE"].endswith("sqlite3") and config.get("NAME") not in ("", ":memory:", None):
        config["NAME"] = str(in_checkout(base, config["NAME"]))
    return config


def networks(name: str, value: str) -> tuple | None:
    """Addresses and networks, comma-separated ("10.0.0.5, 172.18.0.0/16"); None for "*" (any)."""
    if value.strip() == "*":
        return None
    try:
        return tuple(
            # strict, as gunicorn reads the same variable: 10.0.0.5/24 is refused by both
            ipaddress.ip_network(part.strip())
            for part in value.split(",")
            if part.strip()
        )
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name}={value!r}: {exc} (addresses or networks, or *)."
        ) from None


def iperf_server(name: str, value: str) -> str:
    """An iperf3 server as bench.sh's --iperf-server takes it: HOST, HOST:PORT, [IPv6]:PORT or
    a bare IPv6 address; "" for none. Not a loopback address: each machine would measure itself."""
    value = value.strip()
    if not value:
        return ""
    if found := re.fullmatch(r"\[([^\]\s/]+)\](?::(\d+))?", value) or re.fullmatch(
        r"([^:\s/\[\]]+)(?::(\d+))?", value
    ):
        host, port = found.groups()
    elif re.fullmatch(r"[0-9A-Fa-f:.]+", value):
        host, port = value, None
    else:
        host, port = "", None
    if not host or (port is not None and not 1 <= int(port) <= 65535):
        raise ImproperlyConfigured(
            f"{name}={value!r}: HOST or HOST:PORT of an iperf3 server (iperf3 -s), as "
            f"bench.sh's --iperf-server takes it."
        )
    # the server's loopback rule for a run's network target (the contract's), here so that the
    # one it names is never a target every run would be left out of the global score for:
    # 127.1, 0.0.0.0 and ::ffff:127.0.0.1 too (imported when a value is set, not by every start)
    from benchmarks.validity import is_loopback

    if is_loopback(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is each machine itself: give the address of the machine that "
            f"runs iperf3 -s, as the fleet reaches it."
        )
    return value
