"""Every device's attention evaluated again: after `manage.py rescore` (new weights or
thresholds) and the rules an upgrade applies."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from inventory.models import Device

from .services import OPENED, RESOLVED, attention_evaluate


@dataclass
class Reevaluated:
    devices: int = 0
    opened: int = 0
    resolved: int = 0


EVALUATED_TOLD = 1000  # attention_evaluate_all's progress: told every this many devices


def attention_evaluate_all(
    *, devices: Iterable[Device] | None = None, progress: Callable[[int], None] | None = None
) -> Reevaluated:
    """Re-evaluate every benchmarked device, or these `devices` (after `rescore`: new weights
    or thresholds): how many, and how many items opened and resolved; `progress` is told the
    count every EVALUATED_TOLD devices."""
    if devices is None:
        devices = Device.objects.filter(last_benchmark_at__isnull=False)
    done = Reevaluated()
    for device in devices:
        if progress is not None and done.devices and done.devices % EVALUATED_TOLD == 0:
            progress(done.devices)
        events = attention_evaluate(device=device, reevaluating=True)
        done.devices += 1
        done.opened += sum(event.kind == OPENED for event in events)
        done.resolved += sum(event.kind == RESOLVED for event in events)
    return done
