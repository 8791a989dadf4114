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
