"""A VM cloned from a template, told from its template whatever the case its former name is
sent in: hostnames are case-insensitive everywhere else (README "Device matching")."""

import pytest

from inventory.models import Device

from .test_services import ingest, system

pytestmark = pytest.mark.django_db


def test_a_template_back_under_its_former_name_in_other_letters_is_another_machine():
    """The clone's first run renamed the template's device; the template, back under its name
    as its installer spelt it (VM-A, the device said vm-a), renamed the device back."""
    uuid, template_id, clone_id = "9d1e2f3a-0000-4000-8000-00000000c10e", "a1" * 16, "b2" * 16

    def run(hostname, machine_id):
        keys = system(machine_id=machine_id, system_uuid=uuid, system_serial="VMW-1234")
        return ingest({"device_identifier": hostname, **keys})

    first = run("vm-a", template_id)
    assert run("vm-b", clone_id).renamed_from == "vm-a"

    back = run("VM-A", template_id)

    assert back.device_created and back.renamed_from is None
    assert Device.objects.get(pk=first.device_id).hostname == "vm-b"
