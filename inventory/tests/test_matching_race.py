"""One machine submitting under two new hostnames at the same moment (PostgreSQL, where
submissions run side by side): one device, as when they come one after the other."""

import threading

import pytest
from django.db import connection, transaction

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
    created, go_on = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                device_find_or_create(identifier="x-a", keys=KEYS)
                created.set()
                go_on.wait(10)  # the other submission reads the keys meanwhile
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert created.wait(10)
        threading.Timer(0.5, go_on.set).start()
        with transaction.atomic():
            found = device_find_or_create(identifier="x-b", keys=KEYS)
    finally:
        go_on.set()
        thread.join(10)

    assert (found.created, found.renamed_from) == (False, "x-a")
    assert list(Device.objects.values_list("hostname", flat=True)) == ["x-b"]
