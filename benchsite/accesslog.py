"""gunicorn's access log without credentials (gunicorn.conf.py `logger_class`), and its lines
as JSON objects with LOG_FORMAT=json.

An access line carries the request line with its query string (`GET /api/health?token=…`) and,
with a custom `access_log_format`, any request header. Credential headers are blanked before the
line is formatted, and every access line, gunicorn's own and those uvicorn's worker writes
through the same handlers, goes through benchsite.logs.redact.
"""

import logging
import os

from gunicorn.glogging import Logger

from .logs import REDACTED, JsonFormatter, redact

# request headers (`%({name}i)s`) and their environ twins (`%({http_name}e)s`)
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key")
_CREDENTIAL_ATOMS = frozenset(
    [f"{{{name}}}i" for name in CREDENTIAL_HEADERS]
    + [f"{{http_{name.replace('-', '_')}}}e" for name in CREDENTIAL_HEADERS]
)


class RedactAccessLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class AccessLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.access_log.handlers:
            handler.addFilter(RedactAccessLine())
        # LOG_FORMAT=json: gunicorn's own lines ("Booting worker…") and the access lines are
        # JSON objects too, not plain text between the app's (gunicorn.conf.py reads .env)
        if os.environ.get("LOG_FORMAT", "").strip() == "json":
            for handler in (*self.error_log.handlers, *self.access_log.handlers):
                handler.setFormatter(JsonFormatter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in _CREDENTIAL_ATOMS.intersection(atoms):
            atoms[key] = REDACTED
        return atoms
