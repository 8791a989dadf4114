"""The submission's field list, written from CONTRACT.md ("The submission"), and a validator.

Every key bench.sh emits must be in the contract or in EXTENSIONS, the documented extension set
(the server keeps unknown keys in the raw document). Types follow the contract's rules: numbers
are JSON numbers, finite and >= 0, counts are integers, scores are in [0, 10000]. String lengths
are the ones the server stores (benchmarks/serializers.py): a longer string would turn the whole
submission into a 400, so the client must never send one.
"""

import math
import re
import uuid

CONTRACT: dict[str, set[str]] = {
    "": {"device_identifier", "bench_script_version", "submission_id", "hardware", "results"},
    "hardware": {"system", "cpu", "ram", "gpu", "storage", "network", "motherboard", "os"},
    "hardware.system": {
        "machine_id",
        "system_uuid",
        "system_vendor",
        "system_model",
        "system_serial",
        "chassis_type",
    },
    "hardware.cpu": {
        "vendor",
        "model",
        "microarchitecture",
        "cores",
        "threads",
        "base_freq_ghz",
        "max_freq_ghz",
        "cache_l1_kb",
        "cache_l2_kb",
        "cache_l3_kb",
        "flags",
        "tdp_w",
    },
    "hardware.ram": {
        "total_mb",
        "used_mb",
        "free_mb",
        "shared_mb",
        "slots_total",
        "slots_used",
        "ecc",
        "layout",
    },
    "hardware.ram.layout[]": {"slot", "size_mb", "type", "speed_mhz", "vendor", "part_number"},
    "hardware.gpu": {
        "vendor",
        "model",
        "driver_version",
        "memory_dedicated_mb",
        "memory_shared_mb",
        "api_support",
    },
    "hardware.storage": {"devices", "partitions"},
    "hardware.storage.devices[]": {
        "name",
        "type",
        "interface",
        "capacity_gb",
        "vendor",
        "model",
        "serial",
        "smart_health",
        "temperature_c",
    },
    "hardware.storage.partitions[]": {"name", "mount_point", "fs_type", "used_gb", "total_gb"},
    "hardware.network": {"interfaces"},
    "hardware.network.interfaces[]": {
        "name",
        "type",
        "mac",
        "ip",
        "speed_mbps",
        "driver",
        "wake_on_lan",
    },
    "hardware.motherboard": {"vendor", "model", "bios_vendor", "bios_version", "bios_date"},
    "hardware.os": {"name", "version", "kernel_version", "architecture", "virtualization_type"},
    "results": {"cpu", "memory", "disk", "network", "gpu", "global_score"},
    "results.cpu": {
        "events_per_sec_single",
        "events_per_sec_multi",
        "duration_s",
        "score_single",
        "score_multi",
        "score",
    },
    "results.memory": {"throughput_mib_s", "score"},
    "results.disk": {"read_mb_s", "write_mb_s", "iops_read", "iops_write", "latency_ms", "score"},
    "results.network": {
        "upload_mbps",
        "download_mbps",
        "ping_ms",
        "jitter_ms",
        "packet_loss_percent",
        "retransmits",
        "score",
    },
    "results.gpu": {"glmark2_score", "score"},
}

# The documented extension set (bench.sh header): results.conditions, what could disturb a run.
EXTENSIONS: dict[str, set[str]] = {
    "results": {"conditions"},
    "results.conditions": {
        "load_avg_1m",
        "load_avg_5m",
        "load_avg_15m",
        "load_avg_1m_after",
        "cpu_steal_percent",
        "cpu_governor",
        "cpu_freq_before_mhz",
        "cpu_freq_after_mhz",
        "cpu_freq_min_mhz",
        "cpu_freq_max_mhz",
        "cpu_freq_dropped",
        "cpu_throttled",
        "on_battery",
        "virtualization",
        "short_mode",
        "fio_direct_io",
        "cpu_threads_multi",
        "started_at",
        "finished_at",
        "run_duration_s",
    },
}

OBJECTS = set(CONTRACT) | set(EXTENSIONS)
LISTS_OF_OBJECTS = {
    "hardware.ram.layout",
    "hardware.storage.devices",
    "hardware.storage.partitions",
    "hardware.network.interfaces",
}
LISTS_OF_STRINGS = {"hardware.cpu.flags", "hardware.gpu.api_support"}

INTEGERS = {
    "hardware.cpu.cores",
    "hardware.cpu.threads",
    "hardware.cpu.cache_l1_kb",
    "hardware.cpu.cache_l2_kb",
    "hardware.cpu.cache_l3_kb",
    "hardware.ram.total_mb",
    "hardware.ram.used_mb",
    "hardware.ram.free_mb",
    "hardware.ram.shared_mb",
    "hardware.ram.slots_total",
    "hardware.ram.slots_used",
    "hardware.ram.layout[].size_mb",
    "hardware.ram.layout[].speed_mhz",
    "hardware.gpu.memory_dedicated_mb",
    "hardware.gpu.memory_shared_mb",
    "hardware.network.interfaces[].speed_mbps",
    "results.disk.iops_read",
    "results.disk.iops_write",
    "results.network.retransmits",
    "results.gpu.glmark2_score",
    "results.conditions.cpu_threads_multi",
    "results.conditions.cpu_freq_before_mhz",
    "results.conditions.cpu_freq_after_mhz",
    "results.conditions.cpu_freq_min_mhz",
    "results.conditions.cpu_freq_max_mhz",
}
FLOATS = {
    "hardware.cpu.base_freq_ghz",
    "hardware.cpu.max_freq_ghz",
    "hardware.cpu.tdp_w",
    "hardware.storage.devices[].capacity_gb",
    "hardware.storage.devices[].temperature_c",
    "hardware.storage.partitions[].used_gb",
    "hardware.storage.partitions[].total_gb",
    "results.global_score",
    "results.conditions.load_avg_1m",
    "results.conditions.load_avg_5m",
    "results.conditions.load_avg_15m",
    "results.conditions.run_duration_s",
    "results.conditions.load_avg_1m_after",
    "results.conditions.cpu_steal_percent",
} | {
    f"results.{category}.{key}"
    for category in ("cpu", "memory", "disk", "network", "gpu")
    for key in CONTRACT[f"results.{category}"]
    if f"results.{category}.{key}" not in INTEGERS
}
BOOLEANS = {
    "hardware.ram.ecc",
    "hardware.network.interfaces[].wake_on_lan",
    "results.conditions.cpu_freq_dropped",
    "results.conditions.cpu_throttled",
    "results.conditions.on_battery",
    "results.conditions.short_mode",
    "results.conditions.fio_direct_io",
}
SCORES = {"results.global_score"} | {
    f"results.{c}.{k}"
    for c in ("cpu", "memory", "disk", "network", "gpu")
    for k in ("score", "score_single", "score_multi")
    if k in CONTRACT[f"results.{c}"]
}
STRING_LIMITS = {
    "system_serial": 128,
    "chassis_type": 100,
    "virtualization_type": 100,
    "smart_health": 100,
    "machine_id": 64,
    "system_uuid": 64,
    "mac": 64,
    "type": 50,
    "fs_type": 50,
    "architecture": 50,
    "bench_script_version": 50,
    "bios_date": 50,
    "mount_point": 4096,
}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_submission(doc) -> list[str]:
    """Every way doc departs from the contract, as readable messages (empty: it conforms)."""
    errors: list[str] = []

    def check_string(path: str, value, limit: int) -> None:
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {value!r}")
        elif CONTROL.search(value) or len(value) > limit:
            errors.append(f"{path}: control characters or longer than {limit}: {value!r}")

    def leaf(path: str, value) -> None:
        if value is None:
            return
        key = path.rsplit(".", 1)[-1]
        if path in INTEGERS or path in FLOATS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                errors.append(f"{path}: expected a JSON number, got {value!r}")
            elif not math.isfinite(value) or value < 0:
                errors.append(f"{path}: must be finite and >= 0, got {value!r}")
            elif path in INTEGERS and not float(value).is_integer():
                errors.append(f"{path}: a count must be an integer, got {value!r}")
            elif path in SCORES and not 0 <= value <= 10_000:
                errors.append(f"{path}: a score must be in [0, 10000], got {value!r}")
        elif path in BOOLEANS:
            if not isinstance(value, bool):
                errors.append(f"{path}: expected true/false, got {value!r}")
        elif path in LISTS_OF_STRINGS:
            if not isinstance(value, list):
                errors.append(f"{path}: expected a list, got {value!r}")
            else:
                limit = 64 if key == "flags" else 100
                for i, item in enumerate(value):
                    check_string(f"{path}[{i}]", item, limit)
        else:
            check_string(path, value, STRING_LIMITS.get(key, 255))

    def walk(path: str, value) -> None:
        if path in OBJECTS:
            if value is None:
                return
            if not isinstance(value, dict):
                errors.append(f"{path or 'document'}: expected an object, got {value!r}")
                return
            allowed = CONTRACT.get(path, set()) | EXTENSIONS.get(path, set())
            for key, child in value.items():
                child_path = f"{path}.{key}" if path else key
                if key not in allowed:
                    errors.append(f"{child_path}: not in the contract nor a documented extension")
                else:
                    walk(child_path, child)
        elif path in LISTS_OF_OBJECTS:
            if value is None:
                return
            if not isinstance(value, list):
                errors.append(f"{path}: expected a list, got {value!r}")
                return
            for item in value:
                walk(f"{path}[]", item)
        else:
            leaf(path, value)

    if not isinstance(doc, dict):
        return [f"document: expected an object, got {type(doc).__name__}"]
    walk("", doc)
    name = doc.get("device_identifier")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        errors.append(f"device_identifier: required, 1-255 characters, got {name!r}")
    try:
        uuid.UUID(str(doc.get("submission_id")))
    except ValueError:
        errors.append(f"submission_id: not a UUID: {doc.get('submission_id')!r}")
    return errors


def expected_global_score(results: dict, weights: dict[str, float] | None = None) -> float | None:
    """The contract's global score over the categories present (renormalised weights)."""
    weights = weights or {"cpu": 0.30, "memory": 0.20, "disk": 0.25, "network": 0.15, "gpu": 0.10}
    present = {
        c: results[c]["score"]
        for c in weights
        if isinstance(results.get(c), dict) and results[c].get("score") is not None
    }
    if not present:
        return None
    total = sum(weights[c] for c in present)
    return round(sum(weights[c] * s for c, s in present.items()) / total, 2)
