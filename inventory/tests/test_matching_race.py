"""One machine submitting under two new hostnames at the same moment (PostgreSQL, where
submissions run side by side): one device, as when they come one after the other."""

import pytest
from django.db import connection, transaction

from benchsite.tests.threads import first_held
from inventory.matching import IdentityKeys, device_find_or_create
from inventory.models import Device

KEYS = IdentityKeys(machine_id="0f" * 16, system_uuid="4c4c4544-0042-3510-8052-b4c04f4e4d32")


@pytest.mark.django_db(transaction=True)
def test_two_new_names_of_one_machine_at_once_are_one_device_renamed():
    """Both found no device of their name and none of their keys, and each created one: two
    devices sharing every key, which matched neither afterwards (a key held twice identifies
    no one), so each later rename of the machine made a third."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write transaction (BEGIN IMMEDIATE) by itself")
    with first_held(lambda: device_find_or_create(identifier="x-a", keys=KEYS)):
        with transaction.atomic():  # it reads the keys while the first is not committed
            found = device_find_or_create(identifier="x-b", keys=KEYS)

    assert (found.created, found.renamed_from) == (False, "x-a")
    assert list(Device.objects.values_list("hostname", flat=True)) == ["x-b"]
