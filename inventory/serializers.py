"""Device, snapshot and tag shapes of the read/edit API."""

import datetime

from django.core.validators import URLValidator
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import columns, lifecycle, schema, selectors
from .matching import MSG_HOSTNAME_TAKEN, device_get_by_hostname
from .models import Device, HardwareSnapshot, ManufacturerLink
from .services import DEVICE_EDITABLE_FIELDS
from .validators import NAME_PATTERN, LinkURLValidator, validate_hostname

DEVICE_FIELDS = (
    "id",
    "hostname",
    "fqdn",
    "description",
    "asset_tag",
    "location",
    "owner",
    "tags",
    "machine_id",
    "system_uuid",
    "serial",
    # an extension: the machine's life (inventory.lifecycle)
    *lifecycle.LIFECYCLE_FIELDS,
    "created_at",
    "updated_at",
)
SCORE_FIELDS = ("global_score", *(f"{name}_score" for name in schema.CATEGORY_NAMES))


class StringsOnly:
    """A text field that takes a JSON string only: DRF's CharField turns 5 into "5" (a
    location of 5, tags [1, 2] stored as "1" and "2"); here anything but a string is a 400
    naming the field."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StringsOnly, serializers.CharField):
    pass


class CalendarDateField(serializers.DateField):
    """A date, YYYY-MM-DD: one written so that is no day (2027-02-30) is said to be no day,
    where DRF answered "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
    of the very format it was written in. `strict`: YYYY-MM-DD alone (DRF's also takes
    "2026-1-1", and digits of other scripts)."""

    default_error_messages = {
        "no_day": "{value} is written YYYY-MM-DD but is no day of the calendar."
    }

    def __init__(self, *, strict: bool = False, **kwargs):
        self.strict = strict
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and lifecycle.ISO_DATE.fullmatch(value.strip()):
            try:
                datetime.date.fromisoformat(value.strip())
            except ValueError:
                self.fail("no_day", value=value.strip())
        elif self.strict:
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class EditSerializer(serializers.ModelSerializer):
    """A ModelSerializer for edits whose text fields take strings only (StringsOnly) and whose
    dates tell a day that is not one from a wrong format (CalendarDateField)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.DateField: CalendarDateField,
    }


class TagListField(serializers.ListField):
    """Tags as a list of names (stored as Tag rows): the device's `tag_names` when a list has
    read them for its page (selectors.with_tag_names), else its tags, read now."""

    child = serializers.CharField(max_length=50)

    def get_attribute(self, instance):
        names = getattr(instance, "tag_names", None)
        return names if names is not None else [tag.name for tag in instance.tags.all()]

    def to_representation(self, data):
        return list(data)


class DeviceListSerializer(serializers.ModelSerializer):
    """A device with its ranking figures (CONTRACT: its latest valid run's scores)."""

    tags = TagListField(read_only=True)
    latest_validity = serializers.SerializerMethodField()
    latest_validity_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    # the categories whose score the ranking run left out of its global score (a network
    # measured against the machine itself): the figure is given, but says nothing of the fleet
    ranking_excluded_categories = serializers.ListField(
        source="ranking_excluded", child=serializers.CharField(), read_only=True
    )
    # an extension: the hostnames a renamed machine had, the newest first (inventory.renames)
    former_hostnames = serializers.ListField(
        source="former_hostname_list", child=serializers.CharField(), read_only=True
    )

    class Meta:
        model = Device
        fields = (
            *DEVICE_FIELDS,
            *SCORE_FIELDS,
            "last_benchmark_at",
            "latest_validity",
            "latest_validity_reasons",
            "ranking_excluded_categories",
            "former_hostnames",
        )
        read_only_fields = fields

    def get_latest_validity(self, device) -> str | None:
        """The latest run's validity ("valid", "suspect"); null for a device never benchmarked."""
        return device.latest_validity or None


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = HardwareSnapshot
        fields = (
            "id",
            "device",
            "captured_at",
            "bench_script_version",
            *(field.column.name for field in columns.stored_fields()),
            "storage",
            "network",
            "raw",
        )
        read_only_fields = fields


@extend_schema_field({"type": "string", "maxLength": 255, "pattern": NAME_PATTERN})
class HostnameField(StrictCharField):
    """A hostname, its control characters refused (the model's validator) and published as the
    pattern of a name: drf-spectacular published that validator's inverted class as the class
    every name had to match, the reverse of the rule."""

    def __init__(self, **kwargs):
        super().__init__(max_length=255, validators=[validate_hostname], **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 50,
        # no pattern: a tag made before the rule is sent back as it is named
        "description": "A new tag's name may not hold a control or invisible character.",
    }
)
class TagNameField(StrictCharField):
    """A tag's name; a new tag's control and invisible characters are refused as a hostname's
    are (DeviceUpdateSerializer.validate_tags: a tag made before the rule is taken)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=50, **kwargs)


MSG_UNKNOWN_FIELD = "Not a field of {what}; those {by} takes: {fields}."


def refuse_unknown(
    serializer: serializers.Serializer, what: str, shown=(), besides=(), by="an edit"
) -> None:
    """A key that is no field of what is edited is a 400 naming it: `{"locaton": "Rack Q"}`
    was a 200 that changed nothing, which a script took for done. The serializer's read-only
    fields and what the object's answer shows besides (`shown`: a device's scores, a
    document's size) are taken and left as they are, so that an object read, changed and
    sent back is an edit; `besides`, what the request edits beyond the serializer's fields
    (a device's `attention_muted`), is named among those an edit (`by`) takes."""
    data = serializer.initial_data
    if not hasattr(data, "keys"):
        return
    known = {*serializer.fields, *shown, *besides}
    if unknown := [key for key in data.keys() if key not in known]:
        editable = [name for name, field in serializer.fields.items() if not field.read_only]
        fields = ", ".join([*editable, *besides])
        said = MSG_UNKNOWN_FIELD.format(what=what, by=by, fields=fields)
        raise serializers.ValidationError({str(key)[:50]: [said] for key in unknown[:20]})


class DeviceUpdateSerializer(EditSerializer):
    """PATCH/PUT /api/devices/{id}: the metadata people edit."""

    hostname = HostnameField()
    tags = serializers.ListField(child=TagNameField(), required=False, max_length=100)

    class Meta:
        model = Device
        fields = (*DEVICE_EDITABLE_FIELDS, "tags")  # what the admin's form edits too
        # the case-insensitive uniqueness is validate_hostname's; the control characters the
        # model's validator (as a submission's device_identifier): HostnameField

    def validate_tags(self, names: list[str]) -> list[str]:
        if refused := selectors.tag_names_refused(names):
            raise serializers.ValidationError(
                {str(i): [refused[name]] for i, name in enumerate(names) if name in refused}
            )
        return names

    def validate(self, attrs):
        """A key the device has not, refused; the dates as the admin's form checks them
        (inventory.lifecycle), those not sent as stored: a warranty end sent alone is not
        before the stored purchase date."""
        refuse_unknown(
            self, "a device", self.context.get("shown", ()), self.context.get("besides", ())
        )
        if not any(name in attrs for name in lifecycle.LIFECYCLE_FIELDS):
            return attrs
        values = {
            name: attrs[name] if name in attrs else getattr(self.instance, name, None)
            for name in lifecycle.LIFECYCLE_FIELDS
        }
        errors = lifecycle.lifecycle_errors(values, today=lifecycle.today())
        if errors:
            # a stored date found wrong against the purchase date sent: named by the one sent
            named: dict[str, list[str]] = {}
            for name, message in errors.items():
                if name not in attrs and "purchased_on" not in attrs:
                    continue  # as stored before this edit
                named.setdefault(name if name in attrs else "purchased_on", []).append(message)
            if named:
                raise serializers.ValidationError(named)
        return attrs

    def validate_hostname(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        other = device_get_by_hostname(value)
        if other is not None and other.pk != getattr(self.instance, "pk", None):
            raise serializers.ValidationError(MSG_HOSTNAME_TAKEN)
        return value


class HttpUrlField(StringsOnly, serializers.URLField):
    """A URL whose scheme is http or https, nothing else (no javascript:, file:, ftp:); its
    host may be a LAN machine's bare name (inventory.validators)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # in place of URLField's own URL validator, which also accepts ftp and ftps
        self.validators = [
            *(v for v in self.validators if not isinstance(v, URLValidator)),
            LinkURLValidator(),
        ]


class LinkSerializer(EditSerializer):
    """A manufacturer link: GET/POST /api/devices/{id}/links, GET/PATCH/PUT /api/links/{id}."""

    url = HttpUrlField(max_length=ManufacturerLink._meta.get_field("url").max_length)

    class Meta:
        model = ManufacturerLink
        fields = ("id", "label", "url", "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")

    def validate(self, attrs):
        refuse_unknown(self, "a link", by="an edit" if self.instance else "a new link")
        return attrs


class HardwareChangesQuerySerializer(serializers.Serializer):
    """GET /api/hardware-changes' parameters."""

    since = CalendarDateField(
        strict=True,
        required=False,
        input_formats=("iso-8601",),
        help_text="YYYY-MM-DD: the changes of snapshots taken from that day on (midnight in the "
        "server's TIME_ZONE). Default: 30 days ago.",
    )
    device = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The changes of this device only, all of them (the fleet's list gives each "
        "machine's newest 3), retired or not.",
    )
    include_retired = serializers.BooleanField(
        default=False, help_text="The retired machines' changes too."
    )
    parts = serializers.BooleanField(
        default=False,
        help_text="Only the changes of a part (a DIMM, a disk, a NIC, the CPU, the board, the "
        "GPU): a BIOS, OS or kernel update alone is left out, and each machine's newest 3 are "
        "its parts' changes.",
    )


class HardwareChangeSerializer(serializers.Serializer):
    """One machine's hardware change, from one snapshot to the next (inventory.hardware_changes)."""

    device = serializers.IntegerField(source="device_id")
    hostname = serializers.CharField()
    captured_at = serializers.DateTimeField(help_text="when the newer snapshot was taken")
    before_snapshot = serializers.IntegerField()
    after_snapshot = serializers.IntegerField()
    changes = serializers.ListField(
        child=serializers.CharField(),
        help_text='what changed, in words ("RAM 32→64 GB", "disk replaced: …"); empty when the '
        "snapshots differ only in what no phrase tells (RAM within rounding, a value one run "
        "could not read)",
    )
    device_changes = serializers.IntegerField(
        help_text="the machine's changes since the date, all of them (beyond the contract)"
    )
