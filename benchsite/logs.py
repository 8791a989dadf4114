"""Logging helpers: secrets never reach a log line; optional JSON lines (LOG_FORMAT=json)."""

import json
import logging
import re
from urllib.parse import unquote_plus

from django.conf import settings

REDACTED = "[redacted]"
# An Authorization value or an issued token (benchsite.models.TOKEN_PREFIX) in any message.
# A lowercase word after "token " is prose, not a credential: Django's "CSRF token missing."
_PATTERNS = (
    re.compile(r"(?i)\b(bearer)(\s+|=)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\b((?i:token))(=|\s+(?![a-z]+[.,;:!?)]*(?:\s|$)))[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\blbt_[A-Za-z0-9_-]{8,}"),
)
# A query parameter (`?name=value`, `&name=value`): its value is redacted when its name is like
# a credential's (`?token=…`, `&api_key=…`), any length. The name is one run of characters that
# stop at every delimiter, the credential words looked for in it apart: one pattern with the
# words between two open runs backtracked cubically on a request line of "?token?token…" (no
# "="): 20 KB froze a worker's every thread for 14 s, and anyone can send one to /api/health.
_QUERY_PARAM = re.compile(r'([?&;])([^=&;?\s"]*)=([^&;\s"]*)')
_CREDENTIAL_NAME = re.compile(r"(?i)token|secret|passw|key|signature|credential")


def _query_redacted(match: re.Match) -> str:
    delimiter, name, value = match.groups()
    # any name: a value that holds a credential once decoded (`?q=Bearer%20lbt_…`, whose
    # "%20lbt_" the patterns below do not see as a token's start)
    if value and (_CREDENTIAL_NAME.search(name) or _holds_credential(unquote_plus(value))):
        return f"{delimiter}{name}={REDACTED}"
    return match[0]


def _secrets() -> list[str]:
    if not settings.configured:
        return []
    found = (getattr(settings, name, "") for name in ("API_TOKEN", "SECRET_KEY"))
    return [secret for secret in found if secret and len(secret) >= 8]


def _holds_credential(text: str) -> bool:
    return any(pattern.search(text) for pattern in _PATTERNS) or any(
        secret in text for secret in _secrets()
    )


def redact(text: str) -> str:
    text = _QUERY_PARAM.sub(_query_redacted, text)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}" if m.lastindex else REDACTED, text)
    for secret in _secrets():
        text = text.replace(secret, REDACTED)
    return text


class RedactSecrets(logging.Filter):
    """Handler filter: rewrites each record's message (and traceback) without secrets."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)
