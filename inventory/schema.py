"""The submission bench.sh posts (CONTRACT.md, "The submission"), declared once.

Every other place derives from these declarations: the validation of POST /api/benchmark
(pydantic, strict JSON types), the hardware snapshot's columns (`Column` marks a field stored in
a column of its own: inventory.columns lists them, inventory.models builds them), the API's
snapshot fields, the admin's
hardware sections and the snapshot diff (inventory.history), the score categories with their
weights, labels and colours (scoring, charts, the ranking), and the OpenAPI document.

Adding a hardware field is one line here (plus a migration when it has a Column, plus bench.sh).
The rules of the contract: numbers are JSON numbers, finite and >= 0; counts are integers (an
integral float such as jq's 4.0 is accepted); booleans are true/false; strings are stripped.
Every field but device_identifier is optional and may be null. Unknown keys are ignored here and
kept in the stored raw document.
"""

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, create_model

from .validators import CONTROL_CHARACTERS, NAME_PATTERN

MAX_SCORE = 10_000.0
MAX_METRIC = 1e15  # far beyond any real measurement, small enough for every column type
MAX_COUNT = 2**31 - 1  # PositiveIntegerField on every database
MAX_BIG = 2**53  # PositiveBigIntegerField, and exact in a double
MAX_LIST = 4096


@dataclass(frozen=True)
class Column:
    """A hardware field stored in a HardwareSnapshot column of its own.

    `unit` says how people read the value ("mb", "kb", "ghz", "w"); `change` how a difference
    between two snapshots of one machine reads: "" is no hardware change (a reading),
    "value" names both values, "amount" is a quantity that must move by more than rounding,
    "presence" also tells a component fitted or pulled, "update" names both values of what is
    updated, not fitted (BIOS, OS, kernel): a list of parts changed leaves it out.
    """

    name: str
    label: str
    unit: str = ""
    change: str = ""
    short: str = ""  # the label in a change phrase ("CPU", "BIOS"); `label` when empty


def _integral(value: Any) -> Any:
    # jq and friends may print 4.0 for 4: an integral float is the integer; 4.5 stays invalid
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def text(max_length: int = 255):
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length)]


def count(high: int = MAX_COUNT):
    return Annotated[int, Field(ge=0, le=high), BeforeValidator(_integral)]


def number(high: float = MAX_METRIC):
    return Annotated[float, Field(ge=0, le=high, allow_inf_nan=False)]


def stored(kind, name: str, label: str, **options):
    """A field kept in a snapshot column of its own (see Column), null when not reported."""
    return Annotated[kind | None, Column(name, label, **options)]


def listed(item):
    return Annotated[list[item], Field(max_length=MAX_LIST)]


Text = text()
Score = number(MAX_SCORE)
Percent = number(100)


class Section(BaseModel):
    """A JSON object of the submission: strict types, unknown keys ignored (kept in raw)."""

    model_config = ConfigDict(strict=True, extra="ignore")


# --- hardware ------------------------------------------------------------------------------


class System(Section):
    model_config = ConfigDict(title="System")

    # identity keys: stored on the device (a renamed machine is matched by them)
    machine_id: text(64) | None = None
    system_uuid: text(64) | None = None
    system_serial: text(128) | None = None
    system_vendor: stored(Text, "system_vendor", "system vendor") = None
    system_model: stored(Text, "system_model", "system model") = None
    chassis_type: stored(text(100), "chassis_type", "chassis type") = None


class Cpu(Section):
    model_config = ConfigDict(title="CPU")

    vendor: stored(Text, "cpu_vendor", "CPU vendor") = None
    model: stored(Text, "cpu_model", "CPU model", change="value", short="CPU") = None
    microarchitecture: stored(Text, "cpu_microarchitecture", "microarchitecture") = None
    sockets: stored(count(1024), "cpu_sockets", "sockets") = None
    cores: stored(count(1_000_000), "cpu_cores", "cores") = None
    threads: stored(
        count(1_000_000), "cpu_threads", "threads", change="value", short="CPU threads"
    ) = None
    base_freq_ghz: stored(number(1000), "cpu_base_freq_ghz", "base frequency", unit="ghz") = None
    max_freq_ghz: stored(number(1000), "cpu_max_freq_ghz", "max frequency", unit="ghz") = None
    cache_l1_kb: stored(count(), "cpu_cache_l1_kb", "L1 cache", unit="kb") = None
    cache_l2_kb: stored(count(), "cpu_cache_l2_kb", "L2 cache", unit="kb") = None
    cache_l3_kb: stored(count(), "cpu_cache_l3_kb", "L3 cache", unit="kb") = None
    flags: stored(listed(text(64)), "cpu_flags", "CPU flags") = None
    tdp_w: stored(number(100_000), "cpu_tdp_w", "TDP", unit="w") = None


class Dimm(Section):
    slot: Text | None = None
    size_mb: count(MAX_BIG) | None = None
    type: text(100) | None = None
    speed_mhz: count() | None = None
    vendor: Text | None = None
    part_number: Text | None = None


class Ram(Section):
    model_config = ConfigDict(title="RAM")

    total_mb: stored(
        count(MAX_BIG), "ram_total_mb", "RAM total", unit="mb", change="amount", short="RAM"
    ) = None
    used_mb: count(MAX_BIG) | None = None
    free_mb: count(MAX_BIG) | None = None
    shared_mb: count(MAX_BIG) | None = None
    slots_total: stored(count(100_000), "ram_slots_total", "RAM slots") = None
    slots_used: stored(
        count(100_000), "ram_slots_used", "RAM slots used", change="value", short="DIMMs"
    ) = None
    ecc: stored(bool, "ram_ecc", "ECC") = None
    layout: stored(listed(Dimm), "ram_layout", "DIMMs") = None


class Gpu(Section):
    model_config = ConfigDict(title="GPU")

    vendor: stored(Text, "gpu_vendor", "GPU vendor") = None
    model: stored(Text, "gpu_model", "GPU model", change="presence", short="GPU") = None
    driver_version: stored(Text, "gpu_driver_version", "GPU driver") = None
    memory_dedicated_mb: stored(
        count(MAX_BIG), "gpu_memory_dedicated_mb", "dedicated memory", unit="mb"
    ) = None
    memory_shared_mb: stored(count(MAX_BIG), "gpu_memory_shared_mb", "shared memory", unit="mb") = (
        None
    )
    api_support: stored(listed(text(100)), "gpu_api_support", "GPU APIs") = None


class Disk(Section):
    name: Text | None = None
    type: text(50) | None = None
    interface: text(100) | None = None
    capacity_gb: number() | None = None
    vendor: Text | None = None
    model: Text | None = None
    serial: Text | None = None
    smart_health: text(100) | None = None
    temperature_c: number(1000) | None = None
    # SMART counters (CONTRACT Part 2); SCSI/SAS report the grown defect list as reallocated
    power_on_hours: count(MAX_BIG) | None = None
    reallocated_sectors: count(MAX_BIG) | None = None
    pending_sectors: count(MAX_BIG) | None = None
    offline_uncorrectable: count(MAX_BIG) | None = None
    media_errors: count(MAX_BIG) | None = None
    percent_used: count(MAX_COUNT) | None = None  # NVMe wear; may pass 100


class Partition(Section):
    name: Text | None = None
    mount_point: text(4096) | None = None
    fs_type: text(50) | None = None
    used_gb: number() | None = None
    total_gb: number() | None = None


class Storage(Section):
    model_config = ConfigDict(title="Storage")

    devices: listed(Disk) | None = None
    partitions: listed(Partition) | None = None


class Interface(Section):
    name: Text | None = None
    type: text(50) | None = None
    mac: text(64) | None = None
    ip: Text | None = None
    speed_mbps: count() | None = None
    driver: Text | None = None
    wake_on_lan: bool | None = None
    # an extension (bench.sh 1.2.6): the bond, bridge or team the interface is a port of
    master: Text | None = None


class Network(Section):
    model_config = ConfigDict(title="Network")

    interfaces: listed(Interface) | None = None


class Motherboard(Section):
    model_config = ConfigDict(title="Motherboard & BIOS")

    vendor: stored(Text, "motherboard_vendor", "motherboard vendor") = None
    model: stored(Text, "motherboard_model", "motherboard model", change="value", short="board") = (
        None
    )
    bios_vendor: stored(Text, "bios_vendor", "BIOS vendor") = None
    bios_version: stored(Text, "bios_version", "BIOS version", change="update", short="BIOS") = None
    bios_date: stored(text(50), "bios_date", "BIOS date") = None


class Os(Section):
    model_config = ConfigDict(title="OS")

    name: stored(Text, "os_name", "OS") = None
    version: stored(Text, "os_version", "OS version", change="update", short="OS") = None
    kernel_version: stored(
        Text, "kernel_version", "kernel version", change="update", short="kernel"
    ) = None
    architecture: stored(text(50), "architecture", "architecture") = None
    virtualization_type: stored(text(100), "virtualization_type", "virtualisation") = None


class Hardware(Section):
    """The machine as bench.sh found it; stored whole (`raw`) and in the snapshot's columns.

    Storage and network are lists of devices: stored as JSON (with the keys this schema does
    not know, such as raw SMART attributes), not as columns.
    """

    system: System | None = None
    cpu: Cpu | None = None
    ram: Ram | None = None
    gpu: Gpu | None = None
    storage: Storage | None = None
    network: Network | None = None
    motherboard: Motherboard | None = None
    os: Os | None = None


# --- results -------------------------------------------------------------------------------


class CategoryResult(Section):
    """What every category reports: its score (the median of its repeats) and how it was got."""

    score: Score | None = None
    samples: Annotated[list[Score], Field(max_length=1000)] | None = None
    cv_pct: number() | None = None  # coefficient of variation of the samples, in percent
    method: text(100) | None = None  # a new name whenever the test changes what it measures


class CpuResult(CategoryResult):
    events_per_sec_single: number() | None = None
    events_per_sec_multi: number() | None = None
    duration_s: number() | None = None
    score_single: Score | None = None
    score_multi: Score | None = None


class MemoryResult(CategoryResult):
    throughput_mib_s: number() | None = None


class DiskResult(CategoryResult):
    read_mb_s: number() | None = None
    write_mb_s: number() | None = None
    iops_read: number() | None = None  # a rate: fio reports fractional IOPS
    iops_write: number() | None = None
    latency_ms: number() | None = None


class NetworkResult(CategoryResult):
    upload_mbps: number() | None = None
    download_mbps: number() | None = None
    ping_ms: number() | None = None
    jitter_ms: number() | None = None
    packet_loss_percent: Percent | None = None
    retransmits: count(MAX_BIG) | None = None
    target: Text | None = None  # the iperf3 server as given to --iperf-server


class GpuResult(CategoryResult):
    glmark2_score: number() | None = None


class Conditions(Section):
    """What the machine was doing while measured (CONTRACT Part 2); other keys kept as sent."""

    cpu_busy_percent: Percent | None = None
    cpu_steal_percent: Percent | None = None
    cpu_throttled: bool | None = None
    cpu_freq_dropped: bool | None = None
    cpu_governor: text(100) | None = None
    on_battery: bool | None = None
    virtualization: text(100) | None = None
    short_mode: bool | None = None
    load_avg_1m: number() | None = None
    started_at: text(64) | None = None  # ISO 8601; one that does not parse is not a run time
    finished_at: text(64) | None = None
    run_duration_s: number() | None = None


@dataclass(frozen=True)
class Category:
    """A score category: its key in `results`, weight in the global score, label, and how the
    charts draw it: colour, and the dash pattern of its line and the shape of its points, which
    tell the lines apart without their colours (an SVG stroke-dasharray; a shape of
    benchsite.chart_styles)."""

    name: str
    label: str
    weight: float
    color: str
    result: type[CategoryResult]
    max_cv_pct: float = 5.0  # a noisier run is suspect (VALIDITY_MAX_CV_PCT)
    dash: str = ""
    marker: str = "circle"


# The order is the order of every table, chart legend and export column. The colours are 3:1 or
# more on the admin's white and on its dark mode's #121212 (a chart's lines and points); the
# global score's line is solid, with round points.
CATEGORIES: tuple[Category, ...] = (
    Category("cpu", "CPU", 0.30, "#4e79a7", CpuResult, dash="9 4", marker="square"),
    Category("memory", "memory", 0.20, "#59a14f", MemoryResult, dash="2 3", marker="triangle"),
    Category("disk", "disk", 0.25, "#d37216", DiskResult, dash="9 3 2 3", marker="diamond"),
    Category(
        "network",
        "network",
        0.15,
        "#b07aa1",
        NetworkResult,
        max_cv_pct=15.0,
        dash="9 3 2 3 2 3",
        marker="triangle-down",
    ),
    Category("gpu", "GPU", 0.10, "#e15759", GpuResult, dash="4 3", marker="plus"),
)
CATEGORY_NAMES: tuple[str, ...] = tuple(category.name for category in CATEGORIES)

Results = create_model(
    "Results",
    __base__=Section,
    **{category.name: (category.result | None, None) for category in CATEGORIES},
    # the client's own figure: stored in results, never used (the server computes its own)
    global_score=(Score | None, None),
    conditions=(Conditions | None, None),
)


class Submission(Section):
    """POST /api/benchmark: one bench.sh run."""

    device_identifier: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            min_length=1,
            max_length=255,
            pattern=rf"^[^{CONTROL_CHARACTERS}]*$",
        ),
        Field(json_schema_extra={"pattern": NAME_PATTERN}),  # published: ECMA-262's regex
    ]
    bench_script_version: text(50) | None = None
    # a UUID as a JSON string (strict mode would take only a Python UUID object)
    submission_id: Annotated[UUID, Field(strict=False)] | None = None
    hardware: Hardware | None = None
    results: Results | None = None
