"""Where one submission's server time goes: the request cycle, validation, the ORM, SQLite.

    .venv/bin/python perf/ingest_breakdown.py [--count 600] [--churn] [--fleet 300]

In one process, on a fresh SQLite database of its own (migrated, then warmed with one
submission per machine of the fleet), through Django's WSGI handler exactly as gunicorn calls
it, no network: prints the mean time of each part of POST /api/benchmark, and of the floors it
is made of (a DRF view without authentication that does nothing but `SELECT 1`, one ORM query
against its SQL alone). `--churn` as for perf/ingest.py; `--fleet`: how many machines of the one
CPU model the submissions are spread over. perf/ingest.py measures the whole
server under load; this says which part the time is in. Figures: README, "Performance", and
docs/PERFORMANCE.md.
"""

import argparse
import io
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(workdir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchsite.settings",
            "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite3",
            "ENV_FILE": str(workdir / "none.env"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "API_TOKEN": secrets.token_urlsafe(24),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "UPLOAD_DIR": str(workdir / "uploads"),
            "BACKUP_DIR": str(workdir / "backups"),
            "STATIC_ROOT": str(workdir / "static"),
            "STATIC_MANIFEST": "false",
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "60",  # as the gthread server keeps its connections
        }
    )
    (workdir / "static").mkdir()
    os.chdir(ROOT)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--churn", action="store_true", help="scores that open or close items")
    parser.add_argument(
        "--fleet", type=int, default=None, help="machines of the one CPU model (300 by default)"
    )
    args = parser.parse_args()
    if not 0 < args.count <= 20_000:
        parser.error("--count must be in 1..20000")
    n = args.count
    with tempfile.TemporaryDirectory(prefix="perf-breakdown-") as tmp:
        setup_django(Path(tmp))
        run(n, churn=args.churn, fleet=args.fleet)
    return 0


def run(n: int, *, churn: bool = False, fleet: int | None = None) -> None:
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection, transaction

    import benchmarks.views
    from benchmarks.services import IngestResult, benchmark_ingest
    from benchmarks.validation import submission_validate
    from benchsite.prepared import Prepared
    from benchsite.submission_api import evaluate_attention
    from inventory.matching import device_get_by_hostname
    from inventory.models import Device
    from perf.common import FLEET, example_document, submission

    app = WSGIHandler()
    auth = "Bearer " + os.environ["API_TOKEN"]

    def request(method: str, path: str, body: bytes = b"", token: bool = True) -> str:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8007",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        if token:
            environ["HTTP_AUTHORIZATION"] = auth
        status = []
        b"".join(app(environ, lambda s, headers, *exc: status.append(s)))
        return status[0]

    example = example_document()
    warmup = fleet or FLEET  # every machine submitted once: each line measures re-submissions
    documents = (submission(example, i, warmup, churn=churn) for i in range(warmup + 5 * n))
    bodies = [json.dumps(document).encode() for document in documents]
    for body in bodies[:warmup]:
        assert request("POST", "/api/benchmark", body).startswith("201")
    batches = [bodies[warmup + k * n : warmup + (k + 1) * n] for k in range(5)]

    def mean_ms(label: str, fn: Callable, items: Iterable) -> float:
        items = list(items)
        started = time.perf_counter()
        for item in items:
            fn(item)
        ms = (time.perf_counter() - started) / len(items) * 1000
        print(f"  {label:<58} {ms:7.3f} ms", flush=True)
        return ms

    print(f"{n} submissions per line, SQLite WAL, one process, no network")
    whole = mean_ms(
        "POST /api/benchmark, whole",
        lambda body: request("POST", "/api/benchmark", body),
        batches[0],
    )
    mean_ms(
        "GET /api/health (a DRF view doing SELECT 1)",
        lambda _: request("GET", "/api/health", token=False),
        range(n),
    )
    validated = []
    validating = mean_ms(
        "  validation (benchmarks.validation, pydantic)",
        lambda doc: validated.append(submission_validate(doc)),
        (json.loads(body) for body in batches[1]),
    )
    ingest = mean_ms(
        "  benchmark_ingest: the transaction and its 4 statements",
        lambda pair: benchmark_ingest(submission=pair[0], document=pair[1]),
        zip(validated, (json.loads(body) for body in batches[1]), strict=True),
    )
    evaluated = mean_ms(
        "  validation + benchmark_ingest with the attention evaluation",
        lambda doc: benchmark_ingest(
            submission=submission_validate(doc), document=doc, after_store=evaluate_attention
        ),
        (json.loads(body) for body in batches[4]),
    )
    evaluated -= validating  # what benchmark_ingest with the evaluation takes alone
    real_ingest = benchmarks.views.benchmark_ingest
    benchmarks.views.benchmark_ingest = lambda **kw: IngestResult(1, 1, 1, 50.0, True)
    try:
        rest = mean_ms(
            "  the request without benchmark_ingest (DRF, auth, validation)",
            lambda body: request("POST", "/api/benchmark", body),
            batches[2],
        )
    finally:
        benchmarks.views.benchmark_ingest = real_ingest
    mean_ms(
        "    empty transaction (BEGIN IMMEDIATE; COMMIT)",
        lambda _: _empty_tx(transaction),
        range(n),
    )
    names = [f"node-{i % 300:04d}" for i in range(n)]
    mean_ms("    device_get_by_hostname (an ORM SELECT ... LIMIT 1)", device_get_by_hostname, names)
    sql, params = (
        Device.objects.filter(hostname="node-0001").order_by("pk")[:1].query.sql_with_params()
    )
    with connection.cursor() as cursor:
        mean_ms(
            "    the same kind of SELECT as SQL through the cursor",
            lambda _: cursor.execute(sql, params).fetchall(),
            range(n),
        )
    by_hostname = Prepared(
        lambda hostname: Device.objects.filter(hostname=hostname).order_by("pk").values_list()[:1],
        hostname=str,
    )
    mean_ms(
        "    the same SELECT compiled once (benchsite.prepared)",
        lambda name: by_hostname.rows(hostname=name),
        names,
    )
    again = mean_ms(
        "POST /api/benchmark, whole, again at the end",
        lambda body: request("POST", "/api/benchmark", body),
        batches[3],
    )
    whole = min(whole, again)
    print(
        f"\nbenchmark_ingest is {100 * ingest / whole:.0f} % of a submission; the rest of the "
        f"request {rest:.2f} ms; the attention evaluation adds {evaluated - ingest:.2f} ms "
        f"({100 * (evaluated - ingest) / whole:.0f} % of a submission)."
    )


def _empty_tx(transaction) -> None:
    with transaction.atomic():
        pass


if __name__ == "__main__":
    raise SystemExit(main())
