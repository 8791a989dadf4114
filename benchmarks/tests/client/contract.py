"""bench.sh's submission checked against the contract: the server's schema of it
(inventory/schema.py: CONTRACT.md's "The submission" and Part 2's "Submission additions") and the
documented extension set.

Every key bench.sh emits must be in the schema or in EXTENSIONS (the server keeps unknown keys
in the raw document). Types follow the contract's rules: numbers are JSON numbers, finite and
>= 0, counts are integers, scores are in [0, 10000]. String lengths are the ones the server
stores: a longer string would turn the whole submission into a 400, so the client never sends
one. The messages are this module's own, worded for a reader of bench.sh's output.
"""

import math
import re
import uuid

from inventory.schema import CATEGORY_NAMES, Submission

# The contract's fields, their types and limits: the server's own schema (inventory/schema.py),
# which CONTRACT.md's submission section and Part 2 additions are declared in.
CATEGORIES = CATEGORY_NAMES


def _kind(schema: dict) -> dict:
    """A field's JSON Schema without its null branch."""
    options = [option for option in schema.get("anyOf", [schema]) if option.get("type") != "null"]
    return options[0]


def _declared(definitions: dict, ref: dict, path: str, into: dict) -> None:
    """Walk the schema's objects: each path's keys, and each leaf's JSON Schema."""
    name = ref["$ref"].rsplit("/", 1)[-1]
    properties = definitions[name]["properties"]
    into["objects"][path] = set(properties)
    for key, schema in properties.items():
        child = f"{path}.{key}" if path else key
        kind = _kind(schema)
        if "$ref" in kind:
            _declared(definitions, kind, child, into)
        elif kind.get("type") == "array" and "$ref" in kind["items"]:
            into["lists_of_objects"].add(child)
            _declared(definitions, kind["items"], f"{child}[]", into)
        else:
            into["leaves"][child] = kind


def _from_schema() -> dict:
    schema = Submission.model_json_schema()
    found: dict = {"objects": {}, "lists_of_objects": set(), "leaves": {}}
    definitions = {**schema.get("$defs", {}), "Submission": schema}
    _declared(definitions, {"$ref": "#/$defs/Submission"}, "", found)
    return found


_SCHEMA = _from_schema()
CONTRACT: dict[str, set[str]] = _SCHEMA["objects"]
_LEAVES: dict[str, dict] = _SCHEMA["leaves"]

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
        "clock_offset_s",
        "scheduled",  # bench.sh 1.3.0: daily, weekly or monthly (a run of --schedule's), or null
    },
}
_EXTENSION_INTEGERS = {
    f"results.conditions.{key}"
    for key in (
        "cpu_threads_multi",
        "cpu_freq_before_mhz",
        "cpu_freq_after_mhz",
        "cpu_freq_min_mhz",
        "cpu_freq_max_mhz",
        "swap_in_pages",
        "swap_out_pages",
        "idle_wait_s",
        "clock_offset_s",
    )
}
# seconds added to a clock behind the server's, taken off one ahead of it
SIGNED = {"results.conditions.clock_offset_s"}
_EXTENSION_FLOATS = {
    "results.conditions.load_avg_5m",
    "results.conditions.load_avg_15m",
    "results.conditions.load_avg_1m_after",
    "results.conditions.cpu_time_below_nominal_percent",
}

OBJECTS = set(CONTRACT) | set(EXTENSIONS)
LISTS_OF_OBJECTS = _SCHEMA["lists_of_objects"]
_ARRAYS = {path: kind for path, kind in _LEAVES.items() if kind.get("type") == "array"}
LISTS_OF_STRINGS = {p for p, k in _ARRAYS.items() if k["items"].get("type") == "string"}
LISTS_OF_SCORES = {p for p, k in _ARRAYS.items() if k["items"].get("type") == "number"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
INTEGERS = {p for p, k in _LEAVES.items() if k.get("type") == "integer"} | _EXTENSION_INTEGERS
FLOATS = {p for p, k in _LEAVES.items() if k.get("type") == "number"} | _EXTENSION_FLOATS
PERCENTAGES = {p for p in FLOATS if p.endswith("_percent")}
BOOLEANS = {p for p, k in _LEAVES.items() if k.get("type") == "boolean"} | {
    "results.conditions.fio_direct_io"
}
SCORES = {p for p in FLOATS if _LEAVES.get(p, {}).get("maximum") == 10_000}
STRING_LIMITS = {
    p: k.get("maxLength", 255) for p, k in _LEAVES.items() if k.get("type") == "string"
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
            elif not math.isfinite(value) or (value < 0 and path not in SIGNED):
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
                limit = _ARRAYS[path]["items"].get("maxLength", 255)
                for i, item in enumerate(value):
                    check_string(f"{path}[{i}]", item, limit)
        else:
            check_string(path, value, STRING_LIMITS.get(path, 255))
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
