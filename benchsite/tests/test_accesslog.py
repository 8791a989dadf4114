"""benchsite.accesslog: gunicorn's access log (and uvicorn's, through it) writes no credential."""

import datetime
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from benchsite.accesslog import AccessLogger
from benchsite.testing import TEST_API_TOKEN

SECRET = "Zq7-not-a-pattern-anyone-knows"


def access_logger(tmp_path, access_log_format: str) -> AccessLogger:
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", access_log_format)
    return AccessLogger(cfg)


def written(tmp_path) -> str:
    return (tmp_path / "access.log").read_text()


def test_gunicorn_access_lines_carry_no_query_token_nor_credential_header(tmp_path):
    log = access_logger(
        tmp_path, '%(h)s "%(r)s" %(s)s %({authorization}i)s %({cookie}i)s %({http_x_api_key}e)s'
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/health?token={SECRET}&page=2",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.7",
        "HTTP_X_API_KEY": SECRET,
    }
    request = SimpleNamespace(
        headers=[("AUTHORIZATION", f"Bearer {TEST_API_TOKEN}"), ("COOKIE", f"sessionid={SECRET}")]
    )
    response = SimpleNamespace(status="200 OK", headers=[], sent=15)

    log.access(response, request, environ, datetime.timedelta(milliseconds=3))

    line = written(tmp_path)
    assert SECRET not in line and TEST_API_TOKEN not in line
    assert line.startswith('192.0.2.7 "GET /api/health?token=[redacted]&page=2 HTTP/1.1" 200')
    assert line.count("[redacted]") == 4


def test_uvicorn_access_lines_through_the_same_handlers_are_redacted(tmp_path):
    log = access_logger(tmp_path, '%(h)s "%(r)s" %(s)s')
    # what uvicorn_worker.UvicornWorker does with gunicorn's access handlers
    uvicorn_access = logging.getLogger("uvicorn.access.test")
    uvicorn_access.handlers = log.access_log.handlers
    uvicorn_access.propagate = False
    uvicorn_access.setLevel(logging.INFO)

    uvicorn_access.info(
        '%s - "%s %s HTTP/%s" %d', "192.0.2.8:5123", "GET", f"/metrics?token={SECRET}", "1.1", 200
    )

    assert written(tmp_path).strip() == (
        '192.0.2.8:5123 - "GET /metrics?token=[redacted] HTTP/1.1" 200'
    )
