"""A retired machine stays among its peers' figures but is judged by none of their runs."""

import pytest
from django.utils import timezone

from insights.models import AttentionItem
from inventory.models import Device

pytestmark = pytest.mark.django_db

CPU = "Intel(R) Atom(TM) CPU C3538 @ 2.10GHz"


def test_a_peers_run_opens_no_below_peers_item_on_a_retired_machine(run, api):
    """The old NAS, retired, was the slowest of its model: a peer's run that judges the others
    again opened "below its peers" on it, an alert about a machine no longer in service."""
    run("old-nas", hours_ago=6, cpu=60.0, cpu_model=CPU)  # alone: below nobody yet
    response = api.patch(
        f"/api/devices/{Device.objects.get(hostname='old-nas').pk}",
        {"retired_on": timezone.localdate().isoformat()},
        "json",
    )
    assert response.status_code == 200, response.content

    for hours_ago, host in enumerate(("fast-1", "fast-2", "fast-3")):
        run(host, hours_ago=5 - hours_ago, cpu=100.0, cpu_model=CPU)

    assert not AttentionItem.objects.filter(device__hostname="old-nas").exists()
