"""perf/raw_asgi.py, the floor perf/ingest.py measures the server against, still stores a
submission in the tables as migrated today: a schema change that it does not follow would make
every one of its requests fail and the ratio meaningless."""

import sqlite3

import pytest

from benchsite.livetest import live_server
from benchsite.tests.markers import engine_independent


@engine_independent  # the raw handler speaks sqlite3 only
@pytest.mark.live
def test_the_raw_handler_stores_the_contract_example(tmp_path, example_document):
    with live_server(
        tmp_path,
        workers=1,
        worker_class="uvicorn_worker.UvicornWorker",
        app="perf.raw_asgi:app",
        # as perf/ingest.py starts it: no Django settings (pytest-django exports them)
        extra_env={"DJANGO_SETTINGS_MODULE": ""},
    ) as server:
        status, answer = server.submit(example_document, timeout=30)
    assert status == 201
    database = sqlite3.connect(tmp_path / "live.db")
    try:
        row = database.execute(
            "SELECT disk_models FROM inventory_hardwaresnapshot WHERE id = ?",
            (answer["snapshot_id"],),
        ).fetchone()
    finally:
        database.close()
    assert row == ("970 EVO Plus\nWD40EFRX",)
