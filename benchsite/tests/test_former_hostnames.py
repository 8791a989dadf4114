"""A renamed machine is found by any hostname it had: pc-07 renamed acct-07 by a submission
(CONTRACT: "a rename by a submission") was found by no search of pc-07, in the API or the
admin; the old name was in its history's lines alone."""

import copy
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Device
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

DEVICES = "/admin/inventory/device/"


def renamed_by_a_submission(submit, example, old: str, new: str) -> int:
    example = copy.deepcopy(example)
    system = example["hardware"]["system"]  # a machine of its own
    system.update(machine_id=uuid.uuid4().hex, system_uuid=str(uuid.uuid4()), system_serial="")
    example.update(device_identifier=old, submission_id=str(uuid.uuid4()))
    device_id = submit(example).json()["device_id"]
    example.update(device_identifier=new, submission_id=str(uuid.uuid4()))
    assert submit(example).json()["device_id"] == device_id
    return device_id


def admin_rows(admin_client, query: str) -> list[str]:
    page = admin_client.get(DEVICES, {"q": query}).content.decode()
    return re.findall(r'<th class="field-hostname_marked"><a href="[^"]+">(.*?)</a>', page)


def test_a_machine_renamed_by_a_submission_is_found_by_its_former_name(
    api, submit, example, admin_client
):
    device_id = renamed_by_a_submission(submit, example, "pc-07", "acct-07")
    DeviceFactory(hostname="pc-08")

    found = api.get("/api/devices", {"search": "pc-07"}).json()["results"]
    assert [(d["hostname"], d["former_hostnames"]) for d in found] == [("acct-07", ["pc-07"])]
    detail = api.get(f"/api/devices/{device_id}").json()
    assert detail["hostname"] == "acct-07" and detail["former_hostnames"] == ["pc-07"]

    assert admin_rows(admin_client, "pc-07") == [
        'acct-07 <span class="bt-quiet bt-formerly">formerly pc-07</span>'
    ]
    page = admin_client.get(f"{DEVICES}{device_id}/change/").content.decode()
    assert '<p class="bt-quiet" id="formerly">Formerly pc-07: a search of that name' in page


def test_the_search_reads_former_names_with_no_query_a_row(api, submit, example):
    for n in range(2):
        renamed_by_a_submission(submit, example, f"pc-{n}", f"acct-{n}")
    with CaptureQueriesContext(connection) as two:
        assert len(api.get("/api/devices", {"search": "pc-"}).json()["results"]) == 2
    for n in range(2, 8):
        renamed_by_a_submission(submit, example, f"pc-{n}", f"acct-{n}")
    with CaptureQueriesContext(connection) as eight:
        assert len(api.get("/api/devices", {"search": "pc-"}).json()["results"]) == 8
    assert len(eight) == len(two)


def test_a_rename_in_the_admin_or_the_api_keeps_the_name_and_a_name_had_again_is_no_former(
    api, admin_client
):
    device = DeviceFactory(hostname="pc-07")
    form = {
        "hostname": "acct-07",
        **{
            f"{inline}-{n}_FORMS": 0
            for inline in ("links", "documents")
            for n in ("TOTAL", "INITIAL")
        },
    }
    response = admin_client.post(f"{DEVICES}{device.pk}/change/", form)
    assert response.status_code == 302
    assert (
        api.patch(f"/api/devices/{device.pk}", {"hostname": "compta-7"}, format="json").status_code
        == 200
    )

    assert api.get(f"/api/devices/{device.pk}").json()["former_hostnames"] == ["acct-07", "pc-07"]
    assert admin_rows(admin_client, "acct-07") == [
        'compta-7 <span class="bt-quiet bt-formerly">formerly acct-07, pc-07</span>'
    ]
    # back to its first name: no longer a former one, nor said twice
    assert (
        api.patch(f"/api/devices/{device.pk}", {"hostname": "PC-07"}, format="json").status_code
        == 200
    )
    assert Device.objects.get(pk=device.pk).former_hostname_list == ["compta-7", "acct-07"]
