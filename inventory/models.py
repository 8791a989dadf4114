import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from . import columns, lifecycle, schema
from .renames import former_hostnames_list
from .validators import (
    LinkURLFormField,
    LinkURLValidator,
    NoInvisibleCharacters,
    validate_hostname,
    validate_tag_name,
)


class TagManager(models.Manager):
    def named(self, names) -> dict[str, "Tag"]:
        """The tags of these names (trimmed), by name as asked, whatever their case: compared in
        Python, as SQLite's LOWER() folds ASCII letters alone ("étage" was a second tag beside
        "Étage", and ?tag=étage did not find it). A fleet has a few hundred tags at most."""
        return {name: tags[0] for name, tags in self.all_named(names).items()}

    def all_named(self, names) -> dict[str, list["Tag"]]:
        """named(), with every tag of each name, oldest first: two that an earlier version let
        in on SQLite ("Étage" and "étage", said by the check inventory.W001) are one name."""
        wanted = {name.strip(): tag_key(name) for name in names if name.strip()}
        if not wanted:
            return {}
        by_case: dict[str, list[Tag]] = {}
        for tag in self.only("id", "name").order_by("pk"):
            by_case.setdefault(tag_key(tag.name), []).append(tag)
        return {name: by_case[key] for name, key in wanted.items() if key in by_case}


def tag_key(name: str) -> str:
    """A tag's name as tags are told apart: its case folded ("ΟΔΟΣ" is "οδοσ", as PostgreSQL
    lowers it), an accent written as one character or two alike (NFC: "É" typed on a Mac, E
    and its combining accent, made a second "Étage" that looked the same)."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


class Tag(models.Model):
    """A free label on devices ("rack-2", "proxmox", "lab")."""

    name = models.CharField(max_length=50, validators=[validate_tag_name])

    objects = TagManager()

    class Meta:
        ordering = ("name",)
        constraints = (
            models.UniqueConstraint(
                Lower("name"),
                name="inventory_tag_name_ci_unique",
                violation_error_message=(
                    "A tag with this name already exists (tag names are compared whatever "
                    "their case)."
                ),
            ),
        )

    def __str__(self):
        return self.name

    def validate_constraints(self, exclude=None):
        super().validate_constraints(exclude=exclude)
        same = Tag.objects.named([self.name]).get(self.name.strip())
        if same is not None and same.pk != self.pk:  # "Étage" beside "étage", on SQLite too
            raise ValidationError(self._meta.constraints[0].violation_error_message)


class NullsLastIndex(models.Index):
    """An index in the order of `fields` with NULLs after every value, as the device list sorts
    (a device never benchmarked comes last in both directions: inventory.filters.DeviceOrdering).
    SQLite puts NULLs last in a descending index already and refuses the words; PostgreSQL puts
    them first unless told, and would then sort the whole fleet for every page of the ranking."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        expressions = [
            models.F(name).desc(nulls_last=True) if order == "DESC" else models.F(name).asc()
            for name, order in self.fields_orders
        ]
        index = models.Index(*expressions, name=self.name, db_tablespace=self.db_tablespace)
        return index.create_sql(model, schema_editor, using=using, **kwargs)


def abstract_model(name: str, module: str, fields: dict[str, models.Field]) -> type[models.Model]:
    """An abstract model holding `fields`: columns generated from inventory.schema."""
    meta = type("Meta", (), {"abstract": True})
    return type(name, (models.Model,), {"__module__": module, "Meta": meta, **fields})


def category_score_fields(*, editable: bool = True) -> dict[str, models.Field]:
    """One score column per category of the schema: cpu_score, memory_score, ..."""
    return {
        f"{category.name}_score": models.FloatField(
            category.label, null=True, blank=True, editable=editable
        )
        for category in schema.CATEGORIES
    }


# A device's ranking figures: the scores of its latest valid run (else its latest run), kept
# on every submission (inventory.runs.device_run_record), so that the ranking is an indexed
# column of the device row (inventory knows nothing of benchmarks; the figures are numbers).
RankingFigures = abstract_model(
    "RankingFigures",
    __name__,
    {
        "global_score": models.FloatField("global", null=True, blank=True, editable=False),
        **category_score_fields(editable=False),
        "last_benchmark_at": models.DateTimeField(
            "last benchmark", null=True, blank=True, editable=False
        ),
        # the latest arrival of a run (its received_at), whatever the run's time: a machine whose
        # clock is behind dates its runs in the past, and was "not heard from" (inventory.quiet)
        # a minute after its run arrived
        "last_received_at": models.DateTimeField(null=True, blank=True, editable=False),
        # the validity of the latest run, whatever the figures come from
        "latest_validity": models.CharField(max_length=10, blank=True, editable=False),
        "latest_validity_reasons": models.JSONField(default=list, blank=True, editable=False),
        # the run the figures come from: a newer valid run replaces them, a suspect run only
        # while the device has no valid one
        "ranking_run_at": models.DateTimeField(null=True, blank=True, editable=False),
        "ranking_run_valid": models.BooleanField(null=True, blank=True, editable=False),
        # how that run measured each category ({"cpu": "sysbench-…", …}): figures are compared
        # only with figures measured the same way (peers, insights)
        "ranking_methods": models.JSONField(default=dict, blank=True, editable=False),
        # the same as one text (columns.methods_key): the machines measured alike are an index
        # range (a CPU model's peers, their median read off the index)
        "ranking_methods_key": models.TextField(blank=True, db_default="", editable=False),
        # the categories that run measured but left out of its global score (a network measured
        # on loopback): shown, but neither barred nor scaled against the fleet in the ranking
        "ranking_excluded": models.JSONField(default=list, blank=True, editable=False),
    },
)


class Device(RankingFigures):
    """One machine of the fleet, named by its hostname (the submission's device_identifier)."""

    hostname = models.CharField(max_length=255, validators=[validate_hostname])
    fqdn = models.CharField("FQDN", max_length=255, blank=True)
    description = models.TextField(
        blank=True, validators=[NoInvisibleCharacters("description", lines=True)]
    )
    asset_tag = models.CharField(
        max_length=100, blank=True, validators=[NoInvisibleCharacters("asset_tag")]
    )
    location = models.CharField(
        max_length=255, blank=True, validators=[NoInvisibleCharacters("location")]
    )
    owner = models.CharField(
        max_length=255, blank=True, validators=[NoInvisibleCharacters("owner")]
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="devices")
    # Stable identity keys reported by the machine: a renamed machine is matched by them.
    machine_id = models.CharField("machine-id", max_length=64, blank=True)
    system_uuid = models.CharField("DMI system UUID", max_length=64, blank=True)
    serial = models.CharField("system serial", max_length=128, blank=True)
    # its life (inventory.lifecycle): a retired machine leaves the ranking, /metrics and the
    # attention items, its history kept; a run after its retirement brings it back
    purchased_on = models.DateField("purchase date", null=True, blank=True)
    warranty_until = models.DateField("warranty end", null=True, blank=True)
    retired_on = models.DateField(
        "retirement date",
        null=True,
        blank=True,
        help_text=(
            "Empty while in service. A bench.sh run of the machine on that day or later brings "
            "it back into service."
        ),
    )
    # the warning kinds of attention item it opens none of (insights.mute), each with who
    # muted it, when and why: {"below_peers": {"by": "alice", "at": "2026-12-06T…", "note": …}};
    # on the row a submission reads already (inventory.matching.INGEST_FIELDS); the column's
    # own default lets a server of 0.9.0 still running on the migrated database add devices
    attention_muted = models.JSONField(default=dict, db_default={}, blank=True, editable=False)
    # when each kind was last unmuted (insights.mute): {"below_peers": "2026-12-06T…"}; an
    # acknowledgement before it no longer keeps the kind's item closed (the person who unmutes
    # asks to be told again while the condition holds)
    attention_unmuted = models.JSONField(default=dict, db_default={}, blank=True, editable=False)
    # the hostnames it had, one a line, oldest first (inventory.renames): a search of one finds
    # it, on the row a search reads already (no join, no query a row); the column's own default
    # lets a server of 0.10.0 still running on the migrated database add devices
    former_hostnames = models.TextField(blank=True, default="", db_default="", editable=False)
    # The newest snapshot (snapshot_record keeps it): the hardware columns of the device list,
    # its filters and its search are one join.
    latest_snapshot = models.ForeignKey(
        "HardwareSnapshot",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # when that snapshot was captured: a run brings newer hardware only when its own snapshot is
    # at least as new (a deleted run keeps its snapshot, newer than the runs left)
    latest_snapshot_at = models.DateTimeField(null=True, blank=True, editable=False)
    # its CPU and system model normalised (columns.model_key), kept with latest_snapshot: the
    # machines alike are an index lookup, not a normalising join over the fleet
    cpu_model_key = models.CharField(
        max_length=columns.MODEL_KEY_LENGTH, blank=True, editable=False
    )
    system_model_key = models.CharField(
        max_length=columns.MODEL_KEY_LENGTH, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("hostname",)
        constraints = (
            # device_identifier is matched case-insensitively: "NAS" and "nas" are one machine.
            models.UniqueConstraint(
                Lower("hostname"),
                name="inventory_device_hostname_ci_unique",
                violation_error_message="A device with this hostname already exists (hostnames "
                "are compared whatever their case).",
            ),
        )
        indexes = (
            # identity-key matching of a renamed machine (device_find_or_create)
            models.Index(fields=("machine_id",), name="inventory_device_machine_id"),
            models.Index(fields=("system_uuid",), name="inventory_device_system_uuid"),
            models.Index(fields=("serial",), name="inventory_device_serial"),
            # ?location= filter
            models.Index(fields=("location",), name="inventory_device_location"),
            # the ranking (the device list's default order, ?ordering=-global_score, the
            # dashboard) and ?ordering=-last_benchmark_at: any page is read from the index
            NullsLastIndex(
                fields=("-global_score", "hostname", "id"), name="inventory_device_ranking"
            ),
            NullsLastIndex(
                fields=("-last_benchmark_at", "hostname", "id"), name="inventory_device_last_run"
            ),
            # the dashboard's "Not heard from": the machines quiet longest, by their runs' arrival
            # (inventory.quiet.device_quiet_longest)
            models.Index(
                fields=("last_received_at", "hostname", "id"), name="inventory_device_last_heard"
            ),
            # a machine's peers (insights, a submission's attention evaluation)
            models.Index(fields=("cpu_model_key",), name="inventory_device_cpu_key"),
            # the machines of one CPU model measured alike, in the order of their figure: how
            # many, their median and the lowest ones are read off it (insights.peer_selectors)
            models.Index(
                fields=("cpu_model_key", "ranking_methods_key", "global_score"),
                condition=models.Q(global_score__isnull=False, latest_snapshot__isnull=False),
                name="inventory_device_peers",
            ),
            models.Index(fields=("system_model_key",), name="inventory_device_system_key"),
        )

    def __str__(self):
        return self.hostname

    @property
    def former_hostname_list(self) -> list[str]:
        """The hostnames it had, the newest first."""
        return former_hostnames_list(self.former_hostnames)

    def clean(self):
        values = {name: getattr(self, name) for name in lifecycle.LIFECYCLE_FIELDS}
        errors = lifecycle.lifecycle_errors(values, today=lifecycle.today())
        if errors:
            raise ValidationError(errors)


UNIT_SUFFIX = {"mb": " (MB)", "kb": " (KB)", "ghz": " (GHz)", "w": " (W)"}


def _column(field: columns.StoredField) -> models.Field:
    """The model field of a stored hardware field, from its JSON Schema type and limits."""
    verbose_name = field.column.label + UNIT_SUFFIX.get(field.column.unit, "")
    kind = field.json_schema["type"]
    if kind == "string":
        return models.CharField(verbose_name, max_length=field.json_schema["maxLength"], blank=True)
    if kind == "integer":
        big = field.json_schema["maximum"] > 2**31 - 1
        integer = models.PositiveBigIntegerField if big else models.PositiveIntegerField
        return integer(verbose_name, null=True, blank=True)
    if kind == "number":
        return models.FloatField(verbose_name, null=True, blank=True)
    if kind == "boolean":
        return models.BooleanField(verbose_name, null=True, blank=True)
    if kind == "array":
        return models.JSONField(verbose_name, default=list, blank=True)
    raise TypeError(f"{field.column.name}: no column type for {kind!r}")


# The hardware columns, one per schema field marked with a Column (inventory.schema).
HardwareColumns = abstract_model(
    "HardwareColumns",
    __name__,
    {field.column.name: _column(field) for field in columns.stored_fields()},
)


class HardwareSnapshot(HardwareColumns):
    """The hardware of a device as one submission described it."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="snapshots")
    captured_at = models.DateTimeField(db_index=False)
    bench_script_version = models.CharField(max_length=50, blank=True)
    # the list sections, as sent (with the keys the schema does not know, e.g. SMART attributes)
    storage = models.JSONField(default=dict, blank=True, help_text="devices and partitions")
    network = models.JSONField(default=dict, blank=True, help_text="interfaces")
    raw = models.JSONField(default=dict, blank=True, help_text="The hardware object as received.")
    # derived from `storage` when the snapshot is recorded, so a disk model is searchable
    disk_models = models.TextField(blank=True, editable=False, help_text="one per line")
    # and its disks' serials and its MAC and IP addresses (inventory.columns), searchable too
    # (a database default: SQLite adds the columns in place, not by copying the whole table)
    disk_serials = models.TextField(
        blank=True, db_default="", editable=False, help_text="one per line"
    )
    addresses = models.TextField(
        blank=True, db_default="", editable=False, help_text="MAC and IP addresses, one per line"
    )
    # and its disks' identity and SMART readings, read without decoding the whole storage
    disk_readings = models.JSONField(
        default=list, blank=True, editable=False, help_text="name, serial, model, SMART fields"
    )
    # what its hardware changes are told from, digested (inventory.history.hardware_key): a
    # device's years of snapshots are told from those whose key is not the previous one's
    hardware_key = models.CharField(
        max_length=32, blank=True, db_default="", editable=False, help_text="empty: not computed"
    )

    class Meta:
        ordering = ("-captured_at", "-id")
        get_latest_by = ("captured_at", "id")
        indexes = (
            # a device's snapshots newest first; its latest snapshot (device detail)
            models.Index(
                fields=("device", "-captured_at", "-id"), name="inventory_snap_device_time"
            ),
            # the snapshots that begin or end a stretch of one hardware (the device page's
            # hardware changes, benchsite.hardware_life), read from the index alone
            models.Index(
                fields=("device", "captured_at", "id", "hardware_key"), name="inventory_snap_key"
            ),
            # the choices of the lists' filters by these (the snapshots' list, the device
            # list's OS and virtualisation), read off the index: read off the rows, SQLite
            # walked each snapshot's JSON stored before these columns (4.4 MB at 4,096 disks),
            # 100-200 ms a filter at 100 such snapshots, more with every snapshot stored
            # the OS by release (os_name, os_version: the device list's OS filter, a search's
            # "debian 11", inventory.releases), which serves the OS name's alone too
            models.Index(fields=("os_name", "os_version"), name="inventory_snap_os_release"),
            models.Index(fields=("virtualization_type",), name="inventory_snap_virt"),
            models.Index(fields=("architecture",), name="inventory_snap_arch"),
        )

    def __str__(self):
        # the admin's titles, breadcrumbs and log: in its time zone, named (the API's is UTC)
        return f"{self.device} @ {timezone.localtime(self.captured_at):%Y-%m-%d %H:%M %Z}"


class LinkURLField(models.URLField):
    """http and https URLs, a LAN host's bare name included (inventory.validators), in the
    model, the admin's forms and the API alike."""

    default_validators = [LinkURLValidator()]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": LinkURLFormField, **kwargs})


class ManufacturerLink(models.Model):
    """A link to the manufacturer's page for a device (drivers, support, BIOS)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="links")
    label = models.CharField(max_length=200)
    url = LinkURLField("URL", max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("label", "id")
        verbose_name = "manufacturer link"

    def __str__(self):
        return self.label
