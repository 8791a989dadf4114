import factory
from django.utils import timezone

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


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManufacturerLink

    device = factory.SubFactory(DeviceFactory)
    label = "Drivers"
    url = "https://support.example.com/drivers"
