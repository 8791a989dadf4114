"""The practical limit: a minimal ASGI app doing what POST /api/benchmark does, without Django.

perf/ingest.py runs it under the same gunicorn + uvicorn worker setup as the real server, on a
database migrated by Django (same tables, same indexes). Per request it parses the JSON body,
checks the bearer token, and in one `BEGIN IMMEDIATE` transaction on raw `sqlite3` (WAL,
synchronous=NORMAL) finds or creates the device by hostname, inserts the hardware snapshot
(the same columns the server fills) and the benchmark, and points the device at it. No
validation beyond "an object with a device_identifier": this is the floor, not a server.

    gunicorn -k uvicorn_worker.UvicornWorker perf.raw_asgi:app   (DATABASE_URL=sqlite:///…)
"""

import hmac
import json
import os
import sqlite3
import threading
import uuid
from datetime import UTC, datetime

# plain Python (the schema's pydantic models), no Django
from inventory.columns import (
    addresses,
    disk_models,
    disk_readings,
    disk_serials,
    methods_key,
    model_key,
)

WEIGHTS = {"cpu": 0.30, "memory": 0.20, "disk": 0.25, "network": 0.15, "gpu": 0.10}
SNAPSHOT_TEXT = {
    # hardware section → {payload key: column}, the text columns (NOT NULL, "" when missing)
    "system": {"system_vendor": "system_vendor", "system_model": "system_model"},
    "cpu": {
        "vendor": "cpu_vendor",
        "model": "cpu_model",
        "microarchitecture": "cpu_microarchitecture",
    },
    "gpu": {"vendor": "gpu_vendor", "model": "gpu_model", "driver_version": "gpu_driver_version"},
    "motherboard": {
        "vendor": "motherboard_vendor",
        "model": "motherboard_model",
        "bios_vendor": "bios_vendor",
        "bios_version": "bios_version",
        "bios_date": "bios_date",
    },
    "os": {
        "name": "os_name",
        "version": "os_version",
        "kernel_version": "kernel_version",
        "architecture": "architecture",
        "virtualization_type": "virtualization_type",
    },
}
SNAPSHOT_NUMBERS = {
    "cpu": {
        "cores": "cpu_cores",
        "threads": "cpu_threads",
        "base_freq_ghz": "cpu_base_freq_ghz",
        "max_freq_ghz": "cpu_max_freq_ghz",
        "cache_l1_kb": "cpu_cache_l1_kb",
        "cache_l2_kb": "cpu_cache_l2_kb",
        "cache_l3_kb": "cpu_cache_l3_kb",
        "tdp_w": "cpu_tdp_w",
    },
    "ram": {
        "total_mb": "ram_total_mb",
        "slots_total": "ram_slots_total",
        "slots_used": "ram_slots_used",
        "ecc": "ram_ecc",
    },
    "gpu": {
        "memory_dedicated_mb": "gpu_memory_dedicated_mb",
        "memory_shared_mb": "gpu_memory_shared_mb",
    },
}
SNAPSHOT_JSON = {
    "cpu_flags": ("cpu", "flags"),
    "ram_layout": ("ram", "layout"),
    "gpu_api_support": ("gpu", "api_support"),
}

_TOKEN = os.environ.get("API_TOKEN", "").encode()
_PATH = os.environ.get("DATABASE_URL", "").removeprefix("sqlite:///")
_local = threading.local()


def _db() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(_PATH, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        _local.conn = conn
    return conn


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _snapshot_columns(hardware: dict) -> dict:
    columns: dict = {}
    for section, mapping in SNAPSHOT_TEXT.items():
        values = hardware.get(section) or {}
        for key, column in mapping.items():
            columns[column] = values.get(key) or ""
    columns["chassis_type"] = (hardware.get("system") or {}).get("chassis_type") or ""
    for section, mapping in SNAPSHOT_NUMBERS.items():
        values = hardware.get(section) or {}
        for key, column in mapping.items():
            columns[column] = values.get(key)
    for column, (section, key) in SNAPSHOT_JSON.items():
        columns[column] = json.dumps((hardware.get(section) or {}).get(key) or [])
    columns["storage"] = json.dumps(hardware.get("storage") or {})
    columns["disk_models"] = disk_models(hardware.get("storage"))
    columns["disk_serials"] = disk_serials(hardware.get("storage"))
    columns["addresses"] = addresses(hardware.get("network"))
    columns["disk_readings"] = json.dumps(disk_readings(hardware.get("storage")))
    columns["network"] = json.dumps(hardware.get("network") or {})
    columns["raw"] = json.dumps(hardware)
    return columns


def ingest(document: dict, submitted_by: str = "API_TOKEN") -> dict:
    hostname = document["device_identifier"]
    hardware = document.get("hardware") or {}
    results = document.get("results") or {}
    system = hardware.get("system") or {}
    version = document.get("bench_script_version") or ""
    scores = {name: (results.get(name) or {}).get("score") for name in WEIGHTS}
    methods = json.dumps(
        {
            n: r["method"]
            for n in WEIGHTS
            if isinstance(r := results.get(n), dict) and r.get("method")
        }
    )
    present = [(WEIGHTS[n], s) for n, s in scores.items() if s is not None]
    weight_sum = sum(w for w, _ in present)
    global_score = round(sum(w * s for w, s in present) / weight_sum, 2) if present else None
    sid = document.get("submission_id")
    now = _now()
    conn = _db()
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT id FROM inventory_device WHERE LOWER(hostname) = LOWER(?)", (hostname,)
        ).fetchone()
        if row is None:
            device_id = conn.execute(
                "INSERT INTO inventory_device (hostname, fqdn, description, asset_tag, location,"
                " owner, machine_id, system_uuid, serial, created_at, updated_at,"
                " latest_validity, latest_validity_reasons, ranking_methods, ranking_excluded,"
                " cpu_model_key, system_model_key)"
                " VALUES (?, '', '', '', '', '', ?, ?, ?, ?, ?, '', '[]', '{}', '[]', '', '')",
                (
                    hostname,
                    (system.get("machine_id") or "").lower(),
                    (system.get("system_uuid") or "").lower(),
                    system.get("system_serial") or "",
                    now,
                    now,
                ),
            ).lastrowid
        else:
            device_id = row[0]
        columns = _snapshot_columns(hardware)
        columns.update(device_id=device_id, captured_at=now, bench_script_version=version)
        snapshot_id = conn.execute(
            f"INSERT INTO inventory_hardwaresnapshot ({', '.join(columns)})"  # noqa: S608 (fixed names)
            f" VALUES ({', '.join('?' * len(columns))})",
            tuple(columns.values()),
        ).lastrowid
        benchmark_id = conn.execute(
            "INSERT INTO benchmarks_benchmark (run_at, received_at, bench_script_version,"
            " cpu_score, memory_score, disk_score, network_score, gpu_score, global_score,"
            " results, methods, extra, validity, validity_reasons, excluded_categories,"
            " scoring_version, weights, submission_id, submitted_by, device_id, snapshot_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " '{}', 'valid', '[]', '[]', 2, ?, ?, ?, ?, ?)",
            (
                now,
                now,
                version,
                *scores.values(),
                global_score,
                json.dumps(results),
                methods,
                json.dumps(WEIGHTS),
                uuid.UUID(sid).hex if sid else None,
                submitted_by,
                device_id,
                snapshot_id,
            ),
        ).lastrowid
        conn.execute(
            "UPDATE inventory_device SET latest_snapshot_id = ?, latest_snapshot_at = ?,"
            " last_benchmark_at = ?,"
            " latest_validity = 'valid', latest_validity_reasons = '[]', ranking_run_at = ?,"
            " ranking_run_valid = 1, global_score = ?, cpu_score = ?, memory_score = ?,"
            " disk_score = ?, network_score = ?, gpu_score = ?, ranking_methods = ?,"
            " ranking_methods_key = ?, cpu_model_key = ?, system_model_key = ?"
            " WHERE id = ? AND (last_benchmark_at IS NULL OR last_benchmark_at <= ?)",
            (
                snapshot_id,
                now,
                now,
                now,
                global_score,
                *scores.values(),
                methods,
                methods_key(json.loads(methods)),
                model_key(columns.get("cpu_model")),
                model_key(columns.get("system_model")),
                device_id,
                now,
            ),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {
        "status": "ok",
        "device_id": device_id,
        "snapshot_id": snapshot_id,
        "benchmark_id": benchmark_id,
        "global_score": global_score,
    }


async def _respond(send, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return None
    path = scope["path"].rstrip("/")
    if path == "/api/health":
        return await _respond(send, 200, {"status": "ok"})
    if path != "/api/benchmark" or scope["method"] != "POST":
        return await _respond(send, 404, {"detail": "Not found."})
    auth = dict(scope["headers"]).get(b"authorization", b"").split()
    if len(auth) != 2 or auth[0].lower() != b"bearer" or not hmac.compare_digest(auth[1], _TOKEN):
        return await _respond(send, 401, {"detail": "Invalid token."})
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    try:
        document = json.loads(b"".join(chunks))
        if not isinstance(document, dict) or not isinstance(document.get("device_identifier"), str):
            raise ValueError("not a submission")
    except ValueError as exc:
        return await _respond(send, 400, {"detail": str(exc)})
    # Blocking on purpose: the minimal handler, no thread hop.
    return await _respond(send, 201, ingest(document))
