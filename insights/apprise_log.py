"""What Apprise says while it loads a URL or delivers a notification, kept in the thread that
asked (insights.delivery reads it as a failure's reason), and the URL's secrets masked in it."""

import logging
import re
import threading
from contextlib import contextmanager
from urllib.parse import parse_qsl, unquote, urlsplit

# each thread's captures (apprise_says), the innermost last, read by the one filter of
# Apprise's logger: a filter added and removed by each capture changed the list another
# thread's line was passing through, which then skipped the next filter (that thread's
# capture: its line not kept, and in the log)
_captures = threading.local()


def _to_capture(record: logging.LogRecord) -> bool:
    """Apprise's logger's filter: a line of a thread within apprise_says goes to its capture."""
    stack = getattr(_captures, "stack", None)
    if not stack or getattr(record, "kept", False):
        return True
    return stack[-1](record)


@contextmanager
def apprise_says(*, shown: int, plugin=None, url: str = ""):
    """What Apprise logs meanwhile in this thread, as (level, message): from its logger's level
    up, and `plugin`'s own lines from debug up (a mail's reason is a debug line); passed on to
    the server's log from `shown` up, `url`'s secrets masked (an ntfy topic a warning names).
    Apprise has one logger for every thread (the sender's, requests' loading a URL to name it):
    the other threads' lines are left as they are, and its level is not changed (restored by
    one thread after another had changed it, it stayed)."""
    log = logging.getLogger("apprise")
    said: list[tuple[int, str]] = []

    def keep(record: logging.LogRecord) -> bool:
        said.append((record.levelno, record.getMessage().strip()))
        if record.levelno < shown:
            return False
        if url:
            record.msg, record.args = masked(record.getMessage(), url, plugin), ()
        return True

    class Kept(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if keep(record):
                record.kept = True
                log.handle(record)

    if plugin is not None:  # a logger of its own, unregistered: its lines reach Kept only
        plugin.logger = logging.Logger(log.name, logging.DEBUG)
        plugin.logger.addHandler(Kept())
        _smtp_lines_to_this_thread()
    log.addFilter(_to_capture)  # once: the list is not changed again
    stack = _captures.__dict__.setdefault("stack", [])
    stack.append(keep)
    outer = getattr(_captures, "plugin_logger", None)
    _captures.plugin_logger = plugin.logger if plugin is not None else outer
    try:
        yield said
    finally:
        stack.pop()
        _captures.plugin_logger = outer
        if plugin is not None:
            del plugin.logger  # Apprise's again


class _ThreadsLogger:
    """The logger of Apprise's SMTP session (apprise.plugins.email.smtp), which logs a refused
    recipient or message ("550 5.7.1 Relaying denied") at debug through Apprise's one logger,
    whose level never lets it be made: in a thread within apprise_says, the plugin's own
    logger of that capture (its debug lines kept); Apprise's elsewhere."""

    def __init__(self, apprise_logger):
        self.apprise_logger = apprise_logger

    def __getattr__(self, name):
        return getattr(getattr(_captures, "plugin_logger", None) or self.apprise_logger, name)


def _smtp_lines_to_this_thread() -> None:
    from apprise.plugins.email import smtp

    if not isinstance(smtp.logger, _ThreadsLogger):  # once a process
        smtp.logger = _ThreadsLogger(smtp.logger)


# a secret shorter than this may be a word of the text too: masked where it stands alone
WORDLIKE = 8


def masked(text: str, url: str, plugin=None) -> str:
    """`text` without what `url` holds that may be secret: its password, its path's parts (a
    web hook's path, an ntfy topic, which Apprise's warning names and its own form shows), the
    user and the host left as they are, and what Apprise masks of it (a token in the host's
    place, a query's token); of a URL it could not load, its query's values."""
    try:
        parts = urlsplit(url)
        secrets = set(parts.path.split("/")) - {parts.username, parts.hostname}
        if plugin is not None:
            secrets |= _pieces(plugin.url()) - _pieces(plugin.url(privacy=True))
        else:
            secrets |= {value for _, value in parse_qsl(parts.query)} - {parts.username}
        secrets |= {parts.password or ""}
    except ValueError:  # a port that is no number: nothing of it told
        return "(unreadable URL)"
    secrets |= {unquote(secret) for secret in secrets}
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= WORDLIKE:
            text = text.replace(secret, "****")
        elif len(secret) >= 3:
            # a short part, as a whole word only: a path "/err" made Apprise's "error=500"
            # "****or=500", "/send" its "Failed to send" "Failed to ****"
            text = re.sub(rf"(?<![^\W_]){re.escape(secret)}(?![^\W_])", "****", text)
    return text


def _pieces(url: str) -> set[str]:
    return {unquote(piece) for piece in re.split(r"[/:@?&=,]+", url)}
