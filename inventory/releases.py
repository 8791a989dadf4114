"""A machine's OS release: its latest snapshot's OS name and version as /etc/os-release says
them ("Debian GNU/Linux", "11 (bullseye)"). How a release is named, which ones the fleet runs
(the device list's OS filter), the machines running one (that filter, the API's `?os=` and
`?os_version=`). The filter offered OS names only: Debian 11 and 12 were one choice.
"""

from django.db.models import QuerySet

from .models import Device

NAME, VERSION = "latest_snapshot__os_name", "latest_snapshot__os_version"
MAX_CHOICES = 50  # the filter's choices, as its neighbours offer


def release_name(name: str, version: str) -> str:
    """A release as people read it, "Debian GNU/Linux 11 (bullseye)" (the filter's choice, the
    compare page's OS)."""
    return " ".join(part for part in (name, version) if part)


def releases_run() -> list[tuple[str, str]]:
    """The (name, version) pairs of the machines' latest snapshots, by name then version, read
    off the index of the two (inventory_snap_os_release); a snapshot without an OS name left
    out. Those of every snapshot offered releases only a machine's past ran."""
    return list(
        Device.objects.filter(latest_snapshot__isnull=False)
        .exclude(**{NAME: ""})
        .order_by(NAME, VERSION)
        .values_list(NAME, VERSION)
        .distinct()[:MAX_CHOICES]
    )


def devices_running(devices: QuerySet, *, name: str = "", version: str | None = None):
    """The devices whose latest snapshot runs an OS named `name` (when given) in `version`
    (when given; "" is a snapshot without one): whole values, case-insensitive, as the API's
    other filters compare theirs."""
    if name:
        devices = devices.filter(**{f"{NAME}__iexact": name})
    if version is not None:
        devices = devices.filter(**{f"{VERSION}__iexact": version})
    return devices
