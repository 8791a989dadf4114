from django.core.validators import URLValidator
from django.db import models
from django.db.models.functions import Lower


class Tag(models.Model):
    """A free label on devices ("rack-2", "proxmox", "lab")."""

    name = models.CharField(max_length=50)

    class Meta:
        ordering = ("name",)
        constraints = (models.UniqueConstraint(Lower("name"), name="inventory_tag_name_ci_unique"),)

    def __str__(self):
        return self.name


class Device(models.Model):
    """One machine of the fleet, named by its hostname (the submission's device_identifier)."""

    hostname = models.CharField(max_length=255)
    fqdn = models.CharField("FQDN", max_length=255, blank=True)
    description = models.TextField(blank=True)
    asset_tag = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=255, blank=True)
    owner = models.CharField(max_length=255, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="devices")
    # Stable identity keys reported by the machine: a renamed machine is matched by them.
    machine_id = models.CharField("machine-id", max_length=64, blank=True)
    system_uuid = models.CharField("DMI system UUID", max_length=64, blank=True)
    serial = models.CharField("system serial", max_length=128, blank=True)
    # Denormalised pointer to the newest benchmark, kept by benchmarks.services: the ranking
    # (ordering by its global score) is then one join instead of a subquery per device.
    latest_benchmark = models.ForeignKey(
        "benchmarks.Benchmark",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("hostname",)
        constraints = (
            # device_identifier is matched case-insensitively: "NAS" and "nas" are one machine.
            models.UniqueConstraint(Lower("hostname"), name="inventory_device_hostname_ci_unique"),
        )
        indexes = (
            # identity-key matching of a renamed machine (device_find_or_create)
            models.Index(fields=("machine_id",), name="inventory_device_machine_id"),
            models.Index(fields=("system_uuid",), name="inventory_device_system_uuid"),
            models.Index(fields=("serial",), name="inventory_device_serial"),
            # ?location= filter
            models.Index(fields=("location",), name="inventory_device_location"),
        )

    def __str__(self):
        return self.hostname


class HardwareSnapshot(models.Model):
    """The hardware of a device as one submission described it."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="snapshots")
    captured_at = models.DateTimeField(db_index=False)
    bench_script_version = models.CharField(max_length=50, blank=True)

    system_vendor = models.CharField(max_length=255, blank=True)
    system_model = models.CharField(max_length=255, blank=True)
    chassis_type = models.CharField(max_length=100, blank=True)

    cpu_vendor = models.CharField("CPU vendor", max_length=255, blank=True)
    cpu_model = models.CharField("CPU model", max_length=255, blank=True)
    cpu_microarchitecture = models.CharField("microarchitecture", max_length=255, blank=True)
    cpu_cores = models.PositiveIntegerField("cores", null=True, blank=True)
    cpu_threads = models.PositiveIntegerField("threads", null=True, blank=True)
    cpu_base_freq_ghz = models.FloatField("base frequency (GHz)", null=True, blank=True)
    cpu_max_freq_ghz = models.FloatField("max frequency (GHz)", null=True, blank=True)
    cpu_cache_l1_kb = models.PositiveIntegerField("L1 cache (KB)", null=True, blank=True)
    cpu_cache_l2_kb = models.PositiveIntegerField("L2 cache (KB)", null=True, blank=True)
    cpu_cache_l3_kb = models.PositiveIntegerField("L3 cache (KB)", null=True, blank=True)
    cpu_flags = models.JSONField("CPU flags", default=list, blank=True)
    cpu_tdp_w = models.FloatField("TDP (W)", null=True, blank=True)

    ram_total_mb = models.PositiveBigIntegerField("RAM total (MB)", null=True, blank=True)
    ram_slots_total = models.PositiveIntegerField("RAM slots", null=True, blank=True)
    ram_slots_used = models.PositiveIntegerField("RAM slots used", null=True, blank=True)
    ram_ecc = models.BooleanField("ECC", null=True, blank=True)
    ram_layout = models.JSONField("DIMMs", default=list, blank=True)

    gpu_vendor = models.CharField("GPU vendor", max_length=255, blank=True)
    gpu_model = models.CharField("GPU model", max_length=255, blank=True)
    gpu_driver_version = models.CharField("GPU driver", max_length=255, blank=True)
    gpu_memory_dedicated_mb = models.PositiveBigIntegerField(
        "GPU dedicated memory (MB)", null=True, blank=True
    )
    gpu_memory_shared_mb = models.PositiveBigIntegerField(
        "GPU shared memory (MB)", null=True, blank=True
    )
    gpu_api_support = models.JSONField("GPU APIs", default=list, blank=True)

    storage = models.JSONField(default=dict, blank=True, help_text="devices and partitions")
    network = models.JSONField(default=dict, blank=True, help_text="interfaces")

    motherboard_vendor = models.CharField(max_length=255, blank=True)
    motherboard_model = models.CharField(max_length=255, blank=True)
    bios_vendor = models.CharField("BIOS vendor", max_length=255, blank=True)
    bios_version = models.CharField("BIOS version", max_length=255, blank=True)
    bios_date = models.CharField("BIOS date", max_length=50, blank=True)

    os_name = models.CharField("OS", max_length=255, blank=True)
    os_version = models.CharField("OS version", max_length=255, blank=True)
    kernel_version = models.CharField(max_length=255, blank=True)
    architecture = models.CharField(max_length=50, blank=True)
    virtualization_type = models.CharField("virtualisation", max_length=100, blank=True)

    raw = models.JSONField(default=dict, blank=True, help_text="The hardware object as received.")

    class Meta:
        ordering = ("-captured_at", "-id")
        get_latest_by = ("captured_at", "id")
        indexes = (
            # a device's snapshots newest first; its latest snapshot (device detail)
            models.Index(
                fields=("device", "-captured_at", "-id"), name="inventory_snap_device_time"
            ),
        )

    def __str__(self):
        return f"{self.device} @ {self.captured_at:%Y-%m-%d %H:%M}"


class ManufacturerLink(models.Model):
    """A link to the manufacturer's page for a device (drivers, support, BIOS)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="links")
    label = models.CharField(max_length=200)
    url = models.URLField(
        "URL", max_length=2000, validators=(URLValidator(schemes=("http", "https")),)
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("label", "id")
        verbose_name = "manufacturer link"

    def __str__(self):
        return self.label
