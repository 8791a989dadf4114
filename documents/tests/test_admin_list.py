"""The documents' list of a fleet admin with hundreds of papers: found by the device's location
and owner, and told when each device's warranty ends."""

import datetime
import re

import pytest
from django.urls import reverse

from documents.models import DocType, Document
from inventory import lifecycle
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

URL = "/admin/documents/document/"
TYPES = (DocType.WARRANTY, DocType.INVOICE, DocType.MANUAL, DocType.PHOTO, DocType.OTHER)


def file_documents(devices, count: int) -> list[Document]:
    """`count` documents, of every type in turn, on each of `devices` in turn (rows only: the
    list reads no file)."""
    return Document.objects.bulk_create(
        Document(
            device=devices[index % len(devices)],
            doc_type=TYPES[index % len(TYPES)],
            original_filename=f"paper-{index:03d}.pdf",
            stored_name=f"{index:064x}.pdf",
            mime_type="application/pdf",
            size_bytes=1000 + index,
            sha256=f"{index:064x}",
        )
        for index in range(count)
    )


def cells(response, column: str) -> list[str]:
    return re.findall(rf'<td class="field-{column}[^"]*">(.*?)</td>', response.content.decode())


def test_the_list_finds_the_documents_of_the_devices_in_a_room_or_of_an_owner(
    admin_client, django_assert_max_num_queries
):
    """ "Every warranty paper of the machines in room B12", "everything Alice owns": the list
    filtered by a document's own fields only."""
    devices = [
        DeviceFactory(location="B12", owner="Alice"),
        DeviceFactory(location="B12", owner="Bob"),
        DeviceFactory(location="lab", owner="Alice"),
        DeviceFactory(location="", owner=""),
    ]
    DeviceFactory(location="C3", owner="Carol")  # no document: offered by neither filter
    filed = file_documents(devices, 50)
    in_b12 = [d for d in filed if d.device.location == "B12"]

    # session, user, the counts, the rows with their devices, each filter's choices: none a row
    with django_assert_max_num_queries(10):
        response = admin_client.get(URL, {"device__location": "B12", "doc_type": "warranty"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == len(
        [d for d in in_b12 if d.doc_type == DocType.WARRANTY]
    )
    assert len(cells(response, "warranty")) == response.context["cl"].result_count
    page = response.content.decode()
    for title in ("By device&#x27;s location", "By device&#x27;s owner"):
        assert title in page
    filters = {
        spec.title: [c["display"] for c in spec.choices(response.context["cl"])]
        for spec in response.context["cl"].filter_specs
    }
    assert filters["device's location"] == ["All", "(none)", "B12", "lab"]
    assert filters["device's owner"] == ["All", "(none)", "Alice", "Bob"]

    def found(**query) -> int:
        return admin_client.get(URL, query).context["cl"].result_count

    assert found(device__owner="Alice") == len([d for d in filed if d.device.owner == "Alice"])
    assert found(device__location="") == len([d for d in filed if d.device.location == ""])
    assert found(device__location="B12", device__owner="Bob") == len(
        [d for d in in_b12 if d.device.owner == "Bob"]
    )


def test_the_list_says_when_each_devices_warranty_ends_and_sorts_by_it(admin_client):
    today = lifecycle.today()
    ends = {
        "ended": today - datetime.timedelta(days=40),
        "soon": today + datetime.timedelta(days=12),
        "later": today + datetime.timedelta(days=400),
        "unknown": None,
    }
    devices = [DeviceFactory(hostname=name, warranty_until=until) for name, until in ends.items()]
    file_documents(devices, 4)
    column = list(admin_client.get(URL).context["cl"].list_display).index("warranty")

    soonest = admin_client.get(URL, {"o": str(column)})
    latest = admin_client.get(URL, {"o": f"-{column}"})

    said = {
        "ended": f"ended on {ends['ended'].isoformat()}",
        "soon": "ends in 12 days",
        "later": "ends in 1 year and 1 month",
        "unknown": "–",
    }
    rows = [d.device.hostname for d in soonest.context["cl"].result_list]
    assert rows == ["ended", "soon", "later", "unknown"]  # the unknown last, either way
    assert [d.device.hostname for d in latest.context["cl"].result_list] == [
        "later",
        "soon",
        "ended",
        "unknown",
    ]
    assert [re.sub(r"<[^>]+>", "", cell) for cell in cells(soonest, "warranty")] == [
        said[name] for name in rows
    ]
    assert f'title="until {ends["soon"].isoformat()}"' in soonest.content.decode()
    assert reverse("admin:documents_document_changelist") == URL


def test_the_list_finds_a_hash_by_its_start_as_pasted_and_not_by_any_fragment(
    admin_client, django_assert_max_num_queries
):
    """Searching "B12" (a room) found an unrelated document whose hash held "b12": a hash is
    matched only by a term that looks like one a person pastes, from its start."""
    devices = [DeviceFactory(hostname="node-1")]
    filed = file_documents(devices, 2)
    Document.objects.filter(pk=filed[0].pk).update(sha256="9f" + "0b12" * 15 + "aa")
    pasted = "9F0B120B12"  # its start, as a person pastes it, in capitals

    def found(term: str) -> list[int]:
        return [d.pk for d in admin_client.get(URL, {"q": term}).context["cl"].result_list]

    with django_assert_max_num_queries(10):
        response = admin_client.get(URL, {"q": pasted})
    assert [d.pk for d in response.context["cl"].result_list] == [filed[0].pk]
    assert found("9f" + "0b12" * 15 + "aa") == [filed[0].pk]
    assert found("B12") == []
    assert found("0b120b120b12") == []  # a fragment from its middle
    assert found("9f0b120") == []  # seven characters: too short to be a pasted hash
    # the other fields are searched as before
    assert found("paper-001") == [filed[1].pk]
    assert sorted(found("node-1")) == sorted(d.pk for d in filed)
