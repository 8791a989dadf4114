import factory
from django.utils import timezone

from inventory.history import hardware_key
from inventory.models import Device, HardwareSnapshot, ManufacturerLink, Tag


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    hostname = factory.Sequence(lambda n: f"host-{n:04d}")
    location = "lab"
    owner = "ops"


class SnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HardwareSnapshot

    device = factory.SubFactory(DeviceFactory)
    captured_at = factory.LazyFunction(timezone.now)
    cpu_vendor = "AMD"
    cpu_model = "AMD Ryzen 5 5600G"
    cpu_cores = 6
    cpu_threads = 12
    ram_total_mb = 32768
    os_name = "Debian GNU/Linux"

    # with its hardware key, as snapshot_record stores it (hardware_key="": one stored before)
    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        snapshot = super()._build(model_class, *args, **kwargs)
        if "hardware_key" not in kwargs:
            snapshot.hardware_key = hardware_key(snapshot)
        return snapshot

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if "hardware_key" not in kwargs:
            kwargs["hardware_key"] = hardware_key(model_class(*args, **kwargs))
        return super()._create(model_class, *args, **kwargs)


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManufacturerLink

    device = factory.SubFactory(DeviceFactory)
    label = "Drivers"
    url = "https://support.example.com/drivers"


def upgraded_then_updated(hostname: str, ram_mb: tuple[int, int]) -> Device:
    """A machine whose RAM went from one size to the other 19 days ago, then had its kernel
    updated 3 times, a day apart: its newest 3 hardware changes are the kernel's."""
    device, now = DeviceFactory(hostname=hostname), timezone.now()
    steps = [(ram_mb[0], 1), (ram_mb[1], 1), (ram_mb[1], 2), (ram_mb[1], 3), (ram_mb[1], 4)]
    for n, (ram, kernel) in enumerate(steps):
        SnapshotFactory(
            device=device,
            captured_at=now - timezone.timedelta(days=20 - n),
            ram_total_mb=ram,
            kernel_version=f"6.1.0-{kernel}-amd64",
        )
    return device
