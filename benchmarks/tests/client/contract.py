"""The submission's field list, written from CONTRACT.md ("The submission" and Part 2's
"Submission additions"), and a validator.

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
        # Part 2: SMART counters
        "power_on_hours",
        "reallocated_sectors",
        "pending_sectors",
        "offline_uncorrectable",
        "media_errors",
        "percent_used",
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
    # Part 2: what the machine was doing while measured (known, typed keys)
    "results.conditions": {
        "cpu_busy_percent",
        "cpu_steal_percent",
        "cpu_throttled",
        "cpu_freq_dropped",
        "cpu_governor",
        "on_battery",
        "virtualization",
        "short_mode",
        "load_avg_1m",
        "started_at",
        "finished_at",
        "run_duration_s",
    },
}
CONTRACT["results"] |= {"conditions"}
CATEGORIES = ("cpu", "memory", "disk", "network", "gpu")
# Part 2: each category's repeats (samples, cv_pct; score is their median) and method;
# the network's target
for _category in CATEGORIES:
    CONTRACT[f"results.{_category}"] |= {"samples", "cv_pct", "method"}
CONTRACT["results.network"] |= {"target"}

# The documented extension set (bench.sh header): extra keys the server keeps as sent.
EXTENSIONS: dict[str, set[str]] = {
    "results.disk": {"filesystem", "device"},
    "results.conditions": {
        "load_avg_5m",
        "load_avg_15m",
        "load_avg_1m_after",
        "idle_wait_s",
        "cpu_freq_before_mhz",
        "cpu_freq_after_mhz",
        "cpu_freq_min_mhz",
        "cpu_freq_max_mhz",
        "cpu_time_below_nominal_percent",
        "swap_in_pages",
        "swap_out_pages",
        "fio_direct_io",
        "cpu_threads_multi",
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
LISTS_OF_SCORES = {f"results.{c}.samples" for c in CATEGORIES}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

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
    "results.conditions.swap_in_pages",
    "results.conditions.swap_out_pages",
    "results.conditions.idle_wait_s",
} | {
    f"hardware.storage.devices[].{key}"
    for key in (
        "power_on_hours",
        "reallocated_sectors",
        "pending_sectors",
        "offline_uncorrectable",
        "media_errors",
        "percent_used",
    )
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
    "results.conditions.cpu_busy_percent",
    "results.conditions.cpu_time_below_nominal_percent",
} | {
    f"results.{category}.{key}"
    for category in CATEGORIES
    for key in CONTRACT[f"results.{category}"] - {"samples", "method", "target"}
    if f"results.{category}.{key}" not in INTEGERS
}
PERCENTAGES = {
    "results.conditions.cpu_busy_percent",
    "results.conditions.cpu_steal_percent",
    "results.conditions.cpu_time_below_nominal_percent",
    "results.network.packet_loss_percent",
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
            elif path in PERCENTAGES and not 0 <= value <= 100:
                errors.append(f"{path}: a percentage must be in [0, 100], got {value!r}")
        elif path in BOOLEANS:
            if not isinstance(value, bool):
                errors.append(f"{path}: expected true/false, got {value!r}")
        elif path in LISTS_OF_SCORES:
            if not isinstance(value, list) or not value:
                errors.append(f"{path}: expected a non-empty list of scores, got {value!r}")
            else:
                for i, item in enumerate(value):
                    if isinstance(item, bool) or not isinstance(item, int | float):
                        errors.append(f"{path}[{i}]: expected a JSON number, got {item!r}")
                    elif not math.isfinite(item) or not 0 <= item <= 10_000:
                        errors.append(f"{path}[{i}]: a score must be in [0, 10000], got {item!r}")
        elif path in LISTS_OF_STRINGS:
            if not isinstance(value, list):
                errors.append(f"{path}: expected a list, got {value!r}")
            else:
                limit = 64 if key == "flags" else 100
                for i, item in enumerate(value):
                    check_string(f"{path}[{i}]", item, limit)
        else:
            check_string(path, value, STRING_LIMITS.get(key, 255))
            if key in ("started_at", "finished_at") and not ISO_UTC.match(str(value)):
                errors.append(f"{path}: expected ISO 8601 UTC (2026-12-02T20:15:00Z): {value!r}")

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
    errors.extend(_check_repeats(doc))
    name = doc.get("device_identifier")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        errors.append(f"device_identifier: required, 1-255 characters, got {name!r}")
    try:
        uuid.UUID(str(doc.get("submission_id")))
    except ValueError:
        errors.append(f"submission_id: not a UUID: {doc.get('submission_id')!r}")
    return errors


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def cv_pct(values: list[float]) -> float | None:
    """Coefficient of variation in percent, sample standard deviation (as CONTRACT Part 2 says)."""
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    if mean <= 0:
        return None
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return math.sqrt(var) / mean * 100


def _check_repeats(doc) -> list[str]:
    """score is the median of samples and cv_pct their coefficient of variation."""
    errors = []
    results = doc.get("results") if isinstance(doc.get("results"), dict) else {}
    for category in CATEGORIES:
        result = results.get(category)
        if not isinstance(result, dict) or not isinstance(result.get("samples"), list):
            continue
        samples = result["samples"]
        if not samples or not all(isinstance(v, int | float) for v in samples):
            continue
        if result.get("score") is None or abs(result["score"] - median(samples)) > 0.006:
            score = result.get("score")
            errors.append(f"results.{category}.score: {score!r} is not the median of {samples}")
        expected = cv_pct(samples)
        actual = result.get("cv_pct")
        if (expected is None) != (actual is None) or (
            expected is not None and abs(actual - expected) > 0.006
        ):
            errors.append(f"results.{category}.cv_pct: {actual!r}, not {expected!r} of {samples}")
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
