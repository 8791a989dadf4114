"""The submission payload (POST /api/benchmark) and the benchmark read shapes.

Strict JSON types: a number must be a JSON number (not "12"), a boolean true/false, a string a
string. Every field but device_identifier is optional and may be null. Unknown keys are not
rejected: the validated values fill the columns, the document as received is stored beside them.
"""

import math
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import (
    MaxLengthValidator,
    MinLengthValidator,
    ProhibitNullCharactersValidator,
    RegexValidator,
)
from rest_framework import serializers
from rest_framework.fields import ProhibitSurrogateCharactersValidator, SkipField, empty

from inventory.serializers import BenchmarkSummarySerializer

MAX_SCORE = 10_000.0
MAX_METRIC = 1e15  # far beyond any real measurement, small enough for every column type
MAX_COUNT = 2**31 - 1  # PositiveIntegerField on every database
MAX_BIG = 2**53  # PositiveBigIntegerField, and exact in a double
MAX_DEPTH = 32
MAX_LIST = 4096

MSG_NOT_STRING = "Not a valid string."
MSG_NOT_NUMBER = "A valid number is required (a JSON number, not a string)."
MSG_NOT_FINITE = "Must be a finite number."
MSG_NOT_INTEGER = "A valid integer is required."
MSG_NOT_BOOLEAN = "Must be true or false."
MSG_NUL = "Strings may not contain NUL characters."
MSG_SURROGATE = "Strings may not contain unpaired surrogate characters."
MSG_TOO_DEEP = f"Nested deeper than {MAX_DEPTH} levels."


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(MSG_NOT_STRING, code="invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    default_error_messages = {"invalid": MSG_NOT_NUMBER}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not math.isfinite(data):
            raise serializers.ValidationError(MSG_NOT_FINITE, code="invalid")
        if isinstance(data, int) and abs(data) > MAX_METRIC:
            # checked before float(): a 400-digit integer would overflow the conversion
            self.fail("max_value", max_value=self.max_value or MAX_METRIC)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": MSG_NOT_INTEGER}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float):
            # jq and friends may print 4.0 for 4: accept integral floats, refuse 4.5 and inf
            if not (math.isfinite(data) and data.is_integer()):
                self.fail("invalid")
            data = int(data)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": MSG_NOT_BOOLEAN}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


def text(max_length: int = 255) -> StrictCharField:
    return StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=max_length)


def number(max_value: float = MAX_METRIC) -> StrictFloatField:
    return StrictFloatField(required=False, allow_null=True, min_value=0, max_value=max_value)


def count(max_value: int = MAX_COUNT) -> StrictIntegerField:
    return StrictIntegerField(required=False, allow_null=True, min_value=0, max_value=max_value)


def boolean() -> StrictBooleanField:
    return StrictBooleanField(required=False, allow_null=True)


def score() -> StrictFloatField:
    return number(max_value=MAX_SCORE)


def text_list(max_length: int = 255) -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(max_length=max_length, allow_blank=True),
        required=False,
        allow_null=True,
        max_length=MAX_LIST,
    )


def section(serializer_class: type[serializers.Serializer], *, many: bool = False):
    if many:
        return serializer_class(many=True, required=False, allow_null=True, max_length=MAX_LIST)
    return serializer_class(required=False, allow_null=True)


# --- hardware ------------------------------------------------------------------------------


class SystemSerializer(serializers.Serializer):
    machine_id = text(64)
    system_uuid = text(64)
    system_vendor = text()
    system_model = text()
    system_serial = text(128)
    chassis_type = text(100)


class CpuSerializer(serializers.Serializer):
    vendor = text()
    model = text()
    microarchitecture = text()
    cores = count(1_000_000)
    threads = count(1_000_000)
    base_freq_ghz = number(1000)
    max_freq_ghz = number(1000)
    cache_l1_kb = count()
    cache_l2_kb = count()
    cache_l3_kb = count()
    flags = text_list(64)
    tdp_w = number(100_000)


class DimmSerializer(serializers.Serializer):
    slot = text()
    size_mb = count(MAX_BIG)
    type = text(100)
    speed_mhz = count()
    vendor = text()
    part_number = text()


class RamSerializer(serializers.Serializer):
    total_mb = count(MAX_BIG)
    used_mb = count(MAX_BIG)
    free_mb = count(MAX_BIG)
    shared_mb = count(MAX_BIG)
    slots_total = count(100_000)
    slots_used = count(100_000)
    ecc = boolean()
    layout = section(DimmSerializer, many=True)


class GpuSerializer(serializers.Serializer):
    vendor = text()
    model = text()
    driver_version = text()
    memory_dedicated_mb = count(MAX_BIG)
    memory_shared_mb = count(MAX_BIG)
    api_support = text_list(100)


class StorageDeviceSerializer(serializers.Serializer):
    name = text()
    type = text(50)
    interface = text(100)
    capacity_gb = number()
    vendor = text()
    model = text()
    serial = text()
    smart_health = text(100)
    temperature_c = number(1000)


class PartitionSerializer(serializers.Serializer):
    name = text()
    mount_point = text(4096)
    fs_type = text(50)
    used_gb = number()
    total_gb = number()


class StorageSerializer(serializers.Serializer):
    devices = section(StorageDeviceSerializer, many=True)
    partitions = section(PartitionSerializer, many=True)


class InterfaceSerializer(serializers.Serializer):
    name = text()
    type = text(50)
    mac = text(64)
    ip = text(255)
    speed_mbps = count()
    driver = text()
    wake_on_lan = boolean()


class NetworkSerializer(serializers.Serializer):
    interfaces = section(InterfaceSerializer, many=True)


class MotherboardSerializer(serializers.Serializer):
    vendor = text()
    model = text()
    bios_vendor = text()
    bios_version = text()
    bios_date = text(50)


class OsSerializer(serializers.Serializer):
    name = text()
    version = text()
    kernel_version = text()
    architecture = text(50)
    virtualization_type = text(100)


class HardwareSerializer(serializers.Serializer):
    system = section(SystemSerializer)
    cpu = section(CpuSerializer)
    ram = section(RamSerializer)
    gpu = section(GpuSerializer)
    storage = section(StorageSerializer)
    network = section(NetworkSerializer)
    motherboard = section(MotherboardSerializer)
    os = section(OsSerializer)


# --- results -------------------------------------------------------------------------------


class CpuResultSerializer(serializers.Serializer):
    events_per_sec_single = number()
    events_per_sec_multi = number()
    duration_s = number()
    score_single = score()
    score_multi = score()
    score = score()


class MemoryResultSerializer(serializers.Serializer):
    throughput_mib_s = number()
    score = score()


class DiskResultSerializer(serializers.Serializer):
    read_mb_s = number()
    write_mb_s = number()
    iops_read = number()  # a rate: fio reports fractional IOPS
    iops_write = number()
    latency_ms = number()
    score = score()


class NetworkResultSerializer(serializers.Serializer):
    upload_mbps = number()
    download_mbps = number()
    ping_ms = number()
    jitter_ms = number()
    packet_loss_percent = number(100)
    retransmits = count(MAX_BIG)
    score = score()


class GpuResultSerializer(serializers.Serializer):
    glmark2_score = number()
    score = score()


class ResultsSerializer(serializers.Serializer):
    cpu = section(CpuResultSerializer)
    memory = section(MemoryResultSerializer)
    disk = section(DiskResultSerializer)
    network = section(NetworkResultSerializer)
    gpu = section(GpuResultSerializer)
    global_score = score()  # the client's own figure: stored in results, never used


class SubmissionSerializer(serializers.Serializer):
    """What bench.sh posts (CONTRACT.md, "The submission")."""

    device_identifier = StrictCharField(
        max_length=255,
        validators=(RegexValidator(r"^[^\x00-\x1f\x7f]*$", "Control characters are not allowed."),),
    )
    bench_script_version = text(50)
    submission_id = serializers.UUIDField(required=False, allow_null=True)
    hardware = section(HardwareSerializer)
    results = section(ResultsSerializer)

    def run_validation(self, data=empty):
        # The common case, a valid document, takes the compiled path (fast_validate, below);
        # anything it cannot vouch for goes through DRF, which builds the error body.
        validated = submission_fast_validate(data)
        if validated is not None:
            return validated
        return super().run_validation(data)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            problems = document_problems(data)
            if problems:
                raise serializers.ValidationError(problems)
            sid = data.get("submission_id")
            if sid is not None and not isinstance(sid, str):
                raise serializers.ValidationError(
                    {"submission_id": ["Must be a UUID string."]}, code="invalid"
                )
        return super().to_internal_value(data)


def document_problems(document: Any) -> dict[str, Any]:
    """Problems anywhere in the raw document, unknown keys included, as a nested error dict.

    The stored raw document must be storable everywhere: PostgreSQL refuses NUL characters and
    unpaired surrogates in text and jsonb, and very deep nesting is a denial-of-service shape.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return _nested_error(path[: MAX_DEPTH + 1], MSG_TOO_DEEP)
        if isinstance(value, str):
            if problem := _string_problem(value):
                return _nested_error(path, problem)
        elif isinstance(value, Mapping):
            for key, child in value.items():
                if problem := _string_problem(key):
                    return _nested_error((*path, _printable(key)), problem)
                stack.append((child, (*path, key)))
        elif isinstance(value, list):
            stack.extend((child, (*path, str(index))) for index, child in enumerate(value))
    return {}


def _string_problem(value: str) -> str | None:
    if "\x00" in value:
        return MSG_NUL
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return MSG_SURROGATE
    return None


def _printable(key: str) -> str:
    return key.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


def _nested_error(path: tuple[str, ...], message: str) -> dict[str, Any]:
    error: Any = [message]
    for key in reversed(path or ("non_field_errors",)):
        error = {key: error}
    return error


# --- the compiled fast path ----------------------------------------------------------------
# DRF's nested serializers cost ~10 ms for the contract's example (a deep copy of every field
# per nested instance, per list item). The same declarations are compiled once into plain
# closures that accept exactly what DRF accepts and return the same validated data; at the
# first doubt they give up (_Reject) and DRF runs, so every error body is DRF's own.
# benchmarks/tests/test_submission_fast_path.py checks the two agree on generated documents.


class _Reject(Exception):
    """The fast path cannot vouch for this value: let DRF validate (and word the error)."""


_Validator = Callable[[Any], Any]
_STANDARD_TEXT_VALIDATORS = (
    MaxLengthValidator,
    MinLengthValidator,
    ProhibitNullCharactersValidator,
    ProhibitSurrogateCharactersValidator,
)


def _nullable(field: serializers.Field, check: _Validator) -> _Validator:
    allow_null = field.allow_null

    def validate(value):
        if value is None:
            if allow_null:
                return None
            raise _Reject
        return check(value)

    return validate


def _compile_text(field: StrictCharField) -> _Validator:
    if not field.trim_whitespace:
        return _compile_generic(field)
    allow_blank, max_length, min_length = field.allow_blank, field.max_length, field.min_length
    extra = [v for v in field.validators if not isinstance(v, _STANDARD_TEXT_VALIDATORS)]

    def check(value):
        if type(value) is not str:
            raise _Reject
        value = value.strip()
        if not value:
            if allow_blank:
                return ""
            raise _Reject
        if (max_length is not None and len(value) > max_length) or (
            min_length is not None and len(value) < min_length
        ):
            raise _Reject
        # NUL and surrogates cannot get here: document_problems() refused them already.
        for validator in extra:
            try:
                validator(value)
            except (serializers.ValidationError, DjangoValidationError):
                raise _Reject from None
        return value

    return _nullable(field, check)


def _compile_number(field: StrictFloatField) -> _Validator:
    low = -math.inf if field.min_value is None else field.min_value
    high = math.inf if field.max_value is None else field.max_value

    def check(value):
        kind = type(value)
        if kind is int:
            if abs(value) > MAX_METRIC:
                raise _Reject
            value = float(value)
        elif kind is not float or not math.isfinite(value):
            raise _Reject
        if not low <= value <= high:
            raise _Reject
        return value

    return _nullable(field, check)


def _compile_count(field: StrictIntegerField) -> _Validator:
    low = -math.inf if field.min_value is None else field.min_value
    high = math.inf if field.max_value is None else field.max_value

    def check(value):
        kind = type(value)
        if kind is float:
            if not (math.isfinite(value) and value.is_integer()):
                raise _Reject
            value = int(value)
        elif kind is not int:
            raise _Reject
        if not low <= value <= high:
            raise _Reject
        return value

    return _nullable(field, check)


def _compile_boolean(field: StrictBooleanField) -> _Validator:
    def check(value):
        if type(value) is not bool:
            raise _Reject
        return value

    return _nullable(field, check)


def _compile_list(field: serializers.ListField | serializers.ListSerializer) -> _Validator:
    if not field.allow_empty or field.min_length:
        return _compile_generic(field)
    item = _compile(field.child)
    max_length = field.max_length

    def check(value):
        if type(value) is not list or (max_length is not None and len(value) > max_length):
            raise _Reject
        return [item(child) for child in value]

    return _nullable(field, check)


def _compile_object(serializer: serializers.Serializer) -> _Validator:
    cls = type(serializer)
    custom = any(
        getattr(cls, name) is not getattr(serializers.Serializer, name)
        for name in ("run_validation", "to_internal_value", "validate")
    ) or any(hasattr(cls, f"validate_{name}") for name in serializer.fields)
    if custom or serializer.validators:
        return _compile_generic(serializer)
    entries = []
    for name, child in serializer.fields.items():
        if child.read_only:
            continue
        if child.source != name or child.default is not empty:
            return _compile_generic(serializer)
        entries.append((name, _compile(child), child.required))

    def check(value):
        if not isinstance(value, Mapping):
            raise _Reject
        validated = {}
        for name, validate, required in entries:
            child_value = value.get(name, empty)
            if child_value is empty:
                if required:
                    raise _Reject
                continue
            validated[name] = validate(child_value)
        return validated

    return _nullable(serializer, check)


def _compile_generic(field: serializers.Field) -> _Validator:
    """Any other field: its own DRF validation (exact, merely not faster)."""

    def validate(value):
        try:
            return field.run_validation(value)
        except (serializers.ValidationError, DjangoValidationError, SkipField):
            raise _Reject from None

    return validate


def _compile(field: serializers.Field) -> _Validator:
    for kind, compiler in (
        (StrictCharField, _compile_text),
        (StrictFloatField, _compile_number),
        (StrictIntegerField, _compile_count),
        (StrictBooleanField, _compile_boolean),
        (serializers.ListField, _compile_list),
        (serializers.ListSerializer, _compile_list),
    ):
        if isinstance(field, kind):
            return compiler(field)
    if isinstance(field, serializers.Serializer):
        return _compile_object(field)
    return _compile_generic(field)


@cache
def _submission_validator() -> _Validator:
    # The top level has its own pre-checks (SubmissionSerializer.to_internal_value): compile
    # the fields of a plain copy and run the pre-checks in submission_fast_validate().
    root = SubmissionSerializer()
    entries = [(name, _compile(field), field.required) for name, field in root.fields.items()]

    def check(document):
        validated = {}
        for name, validate, required in entries:
            value = document.get(name, empty)
            if value is empty:
                if required:
                    raise _Reject
                continue
            validated[name] = validate(value)
        return validated

    return check


def submission_fast_validate(data: Any) -> dict[str, Any] | None:
    """The validated submission exactly as SubmissionSerializer would return it, or None when
    the document is not plainly valid (the caller then runs DRF for the error body)."""
    if not isinstance(data, Mapping) or document_problems(data):
        return None
    sid = data.get("submission_id")
    if sid is not None and type(sid) is not str:
        return None
    try:
        return _submission_validator()(data)
    except _Reject:
        return None


# --- read shapes ---------------------------------------------------------------------------


class BenchmarkDetailSerializer(BenchmarkSummarySerializer):
    """GET /api/benchmarks/{id}: the summary plus the raw results and how it was scored."""

    device = serializers.IntegerField(source="device_id", read_only=True)
    snapshot = serializers.IntegerField(source="snapshot_id", read_only=True, allow_null=True)
    scoring_version = serializers.IntegerField(read_only=True)
    weights = serializers.DictField(child=serializers.FloatField(), read_only=True)
    submission_id = serializers.UUIDField(read_only=True, allow_null=True)
    results = serializers.DictField(read_only=True)
    extra = serializers.DictField(read_only=True)


class IngestResponseSerializer(serializers.Serializer):
    """The answer to a submission (documents the contract in the OpenAPI schema)."""

    status = serializers.CharField()
    device_id = serializers.IntegerField()
    snapshot_id = serializers.IntegerField()
    benchmark_id = serializers.IntegerField()
    global_score = serializers.FloatField(allow_null=True)
    device_url = serializers.URLField()
