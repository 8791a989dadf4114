"""CONTRACT.md "Several servers", for real: two app servers (gunicorn, as the README runs it) on
one PostgreSQL database, one Redis (Debian's redis-server) and one S3-compatible object store,
all on loopback, configured as the README's recipe says: DOCUMENT_STORAGE=s3, CACHE_URL=redis://,
NUM_PROXIES=0, one API_TOKEN and SECRET_KEY, MIGRATE_ON_START=false on all servers but one.

The object store is moto in server mode: no real one installs here (benchsite/s3server.py); it
answers the S3 HTTP API, so boto3 and django-storages run as against any other.

Runs in the suite's PostgreSQL pass (scripts/test): one database shared by several servers is the
PostgreSQL deployment; the servers start once for the module (`cluster`).
"""

import concurrent.futures
import hashlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchsite.backup.archive import backup_archives, backup_verify
from benchsite.livetest import LiveServer, live_server
from documents.tests import files
from documents.tests.test_live import multipart

from .markers import postgresql_only

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.live, postgresql_only("several servers share one PostgreSQL database")]

AUTH_BUDGET = 10  # AUTH_FAILURE_RATE of the cluster, per minute
RACERS = 16


@dataclass(frozen=True)
class Cluster:
    a: LiveServer
    b: LiveServer
    s3: object  # benchsite.s3server.S3Server
    bucket: str
    database_url: str


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, redis_server, s3_server):
    bucket = s3_server.create_bucket()
    shared = {
        **s3_server.environment(bucket),
        "CACHE_URL": redis_server.database(),
        "NUM_PROXIES": "0",
        "AUTH_FAILURE_RATE": f"{AUTH_BUDGET}/min",
        # one fleet, one configuration: the same token and key on every server
        "API_TOKEN": secrets.token_urlsafe(32),
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    workdir = tmp_path_factory.mktemp("cluster")
    (workdir / "a").mkdir()
    (workdir / "b").mkdir()
    # A creates the database and migrates it (MIGRATE_ON_START, the default); B only starts on it
    with live_server(workdir / "a", extra_env={**shared, "MIGRATE_ON_START": "true"}) as a:
        with live_server(
            workdir / "b",
            extra_env={**shared, "MIGRATE_ON_START": "false"},
            database_url=a.env["DATABASE_URL"],
        ) as b:
            assert a.env["DATABASE_URL"] == b.env["DATABASE_URL"]
            yield Cluster(a=a, b=b, s3=s3_server, bucket=bucket, database_url=a.env["DATABASE_URL"])


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    sent: float  # monotonic times, to see which requests were in flight together
    done: float

    def json(self):
        return json.loads(self.body)


def connect(server: LiveServer, source: str = "127.0.0.1") -> http.client.HTTPConnection:
    """An open connection to `server` from the loopback address `source` (127.0.0.0/8)."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(source, 0))
    connection.connect()
    return connection


def send(connection, method, path, *, token, body=None, headers=None, start=None) -> Answer:
    """One request over `connection` (then closed); `start`, a barrier, is passed just before."""
    headers = {"Authorization": f"Bearer {token}", **(headers or {})}
    try:
        if start is not None:
            start.wait(timeout=60)
        sent = time.monotonic()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read(), sent, time.monotonic())
    finally:
        connection.close()


def call(server, method, path, *, source="127.0.0.1", token=None, **kwargs) -> Answer:
    return send(connect(server, source), method, path, token=token or server.token, **kwargs)


def post_json(server, path, document) -> Answer:
    body = json.dumps(document).encode()
    return call(server, "POST", path, body=body, headers={"Content-Type": "application/json"})


def race(servers: list[LiveServer], documents: list[dict]) -> list[Answer]:
    """POST /api/benchmark each document through its server, all sent at the same moment:
    connections open first, then every thread passes one barrier and sends."""
    start = threading.Barrier(len(documents))
    headers = {"Content-Type": "application/json"}

    def one(server, document):
        connection = connect(server)
        body = json.dumps(document).encode()
        return send(
            connection, "POST", "/api/benchmark", token=server.token, body=body,
            headers=headers, start=start,
        )  # fmt: skip

    with concurrent.futures.ThreadPoolExecutor(len(documents)) as pool:
        return list(pool.map(one, servers, documents))


def query(database_url: str, sql: str, *params):
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(sql, params).fetchall()


def new_machine(example_document: dict) -> dict:
    """The contract's example as a machine nobody has seen: new hostname and identity keys
    (a known machine-id would make it an existing device, renamed)."""
    document = json.loads(json.dumps(example_document))
    document["device_identifier"] = f"race-{uuid.uuid4().hex[:10]}"
    system = document["hardware"]["system"]
    system.update(
        machine_id=uuid.uuid4().hex,
        system_uuid=str(uuid.uuid4()),
        system_serial=secrets.token_hex(5).upper(),
    )
    return document


def test_racing_first_submissions_through_both_servers_make_one_device_each_stored_once(
    cluster, example_document
):
    machine = new_machine(example_document)
    documents = [{**machine, "submission_id": str(uuid.uuid4())} for _ in range(RACERS)]
    servers = [cluster.a, cluster.b] * (RACERS // 2)

    first = race(servers, documents)
    # each submission again, through the other server: a client retrying after a lost answer
    retried = race([cluster.b, cluster.a] * (RACERS // 2), documents)

    assert [a.status for a in first] == [201] * RACERS, [a.body[:300] for a in first]
    # the race was run: requests to A and to B were in flight at the same time
    through_a = [a for a, s in zip(first, servers, strict=True) if s is cluster.a]
    through_b = [a for a, s in zip(first, servers, strict=True) if s is cluster.b]
    assert any(x.sent < y.done and y.sent < x.done for x in through_a for y in through_b)
    answers = [a.json() for a in first]
    assert len({a["device_id"] for a in answers}) == 1
    benchmark_ids = [a["benchmark_id"] for a in answers]
    assert len(set(benchmark_ids)) == RACERS

    assert [a.status for a in retried] == [200] * RACERS, [a.body[:300] for a in retried]
    assert [a.json()["benchmark_id"] for a in retried] == benchmark_ids

    devices = query(
        cluster.database_url,
        "SELECT id FROM inventory_device WHERE lower(hostname) = lower(%s)",
        machine["device_identifier"],
    )
    assert devices == [(answers[0]["device_id"],)]
    stored = query(
        cluster.database_url,
        "SELECT id, submission_id::text FROM benchmarks_benchmark WHERE device_id = %s",
        devices[0][0],
    )
    assert sorted(stored) == sorted(
        zip(benchmark_ids, (d["submission_id"] for d in documents), strict=True)
    )


def test_a_document_uploaded_through_one_server_downloads_through_the_other_and_is_backed_up(
    cluster, tmp_path
):
    created = post_json(
        cluster.a,
        "/api/benchmark",
        {"device_identifier": f"docs-{uuid.uuid4().hex[:10]}", "results": {"cpu": {"score": 1}}},
    )
    assert created.status == 201, created.body
    # incompressible and larger than one read: a byte-for-byte comparison that means something
    content = files.pdf_bytes("uploaded through A") + os.urandom(300_000)
    body, content_type = multipart(content, "manual.pdf")
    uploaded = call(
        cluster.a,
        "POST",
        f"/api/devices/{created.json()['device_id']}/docs",
        body=body,
        headers={"Content-Type": content_type},
    )
    assert uploaded.status == 201, uploaded.body
    document = uploaded.json()

    downloaded = call(cluster.b, "GET", f"/api/docs/{document['id']}/download")

    assert downloaded.status == 200, downloaded.body
    assert downloaded.body == content
    # in the bucket, not on either server's disk
    keys = [key for key, data in cluster.s3.objects(cluster.bucket).items() if data == content]
    assert len(keys) == 1
    for server in (cluster.a, cluster.b):
        assert not Path(server.env["UPLOAD_DIR"]).exists()

    # a backup taken on B, which never saw the upload: B's environment, the shared database
    # and bucket, as `manage.py backup` runs from cron on any server
    done = subprocess.run(
        [sys.executable, "manage.py", "backup", "--output-dir", str(tmp_path)],
        cwd=ROOT,
        env=cluster.b.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [archive] = backup_archives(directory=tmp_path)
    info = backup_verify(archive=archive)  # every member matches its manifest entry
    listed = {entry["path"]: entry for entry in info.manifest["files"]}
    entry = listed[f"uploads/{keys[0]}"]
    assert (entry["size"], entry["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
    assert entry["sha256"] == document["sha256"]
    assert info.engine == "postgresql"


def guess(server, source: str, forged: str | None = None) -> Answer:
    headers = {"X-Forwarded-For": forged} if forged else {}
    return call(
        server, "GET", "/api/stats", source=source, token="guess-" + "g" * 30, headers=headers
    )


def test_the_failed_authentication_budget_is_shared_and_a_forged_header_does_not_escape_it(
    cluster,
):
    servers = [cluster.a, cluster.b]
    # a guesser on 127.0.0.2 alternating servers, each guess claiming another address
    answers = [
        guess(servers[i % 2], "127.0.0.2", forged=f"198.51.100.{i}") for i in range(AUTH_BUDGET + 4)
    ]
    # ... or claiming to be 127.0.0.1, the address the fleet below submits from
    posing = [guess(server, "127.0.0.2", forged="127.0.0.1") for server in servers]
    # every request from that address is refused, a valid token too
    locked = [call(server, "GET", "/api/stats", source="127.0.0.2") for server in servers]
    # other addresses are untouched, on both servers
    elsewhere = [
        call(server, "GET", "/api/stats", source=source).status
        for server in servers
        for source in ("127.0.0.1", "127.0.0.3")
    ]

    statuses = [a.status for a in answers]
    assert statuses == [401] * AUTH_BUDGET + [429] * 4  # one budget for both servers
    throttled = answers[AUTH_BUDGET:] + posing + locked
    assert [a.status for a in throttled] == [429] * len(throttled)
    # the guesses alternate A, B: both servers answered 429, each telling when to retry (within
    # the rate's minute and the tenth of it a failure may count longer: benchsite/throttling.py)
    waits = [int(a.headers["Retry-After"]) for a in throttled]
    assert all(0 < wait <= 66 for wait in waits), waits
    assert elsewhere == [200] * 4
