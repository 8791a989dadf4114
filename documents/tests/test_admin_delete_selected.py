"""*Delete selected* of documents and of manufacturer links on "Select all N": their
delete_queryset deleted one object at a time (2,348 queries for 1,500 documents, 4,519 for
1,500 links); now Django's collector deletes them in statements per batch. Each document's
stored file still goes after the commit, file by file, unless another document keeps it."""

import hashlib
import io
from urllib.parse import urlencode

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from benchsite.tests.test_bulk_delete import hidden_form
from documents import storage
from documents.models import Document
from inventory.models import Device, ManufacturerLink

pytestmark = pytest.mark.django_db

DOCUMENTS = "/admin/documents/document/"
LINKS = "/admin/inventory/manufacturerlink/"


@pytest.fixture
def admin():
    client = Client()
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    return client


def documents(count: int, hostname: str = "nas", shared_with: int = 0) -> None:
    """`count` documents of a device `hostname`, each with a stored file of its own; the
    first `shared_with` share their content with another document (an upload of it twice)."""
    device = Device.objects.get_or_create(hostname=hostname)[0]
    rows = []
    for n in range(count):
        body = f"manual {n if n >= shared_with else 'shared'}\n".encode()
        sha256 = hashlib.sha256(body).hexdigest()
        name = f"{sha256[:2]}/{sha256}.txt"
        storage.put(name, io.BytesIO(body), size_bytes=len(body))
        rows.append(
            Document(
                device=device,
                title=f"{hostname} manual {n}",
                original_filename=f"m{n}.txt",
                stored_name=name,
                mime_type="text/plain",
                size_bytes=len(body),
                sha256=sha256,
            )
        )
    Document.objects.bulk_create(rows)


def delete_all(client, url: str, model):
    """Select all N on `url` (a filtered list), Delete selected, then "Yes, I'm sure"."""
    shown = [str(pk) for pk in model.objects.values_list("pk", flat=True)[:100]]
    page = client.post(
        url,
        {
            "action": "delete_selected",
            "select_across": "1",
            "index": "0",
            "_selected_action": shown,
        },
    )
    return page, hidden_form(page)


def test_documents_go_with_their_history_and_their_files_after_the_commit(
    admin, stored_files, django_capture_on_commit_callbacks
):
    documents(12, "nas", shared_with=1)
    documents(1, "desk", shared_with=1)  # the content of nas's first: its file stays
    kept = Document.objects.get(device__hostname="desk")
    url = f"{DOCUMENTS}?{urlencode({'q': 'nas'})}"
    page, posted = delete_all(admin, url, Document)
    # the confirmation says the files go, as the device's does
    assert "Their stored files, deleted from the storage" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True) as released:
        response = admin.post(url, posted)

    assert response.status_code == 302
    assert list(Document.objects.values_list("pk", flat=True)) == [kept.pk]
    assert len(released) == 12  # each file's release, after the commit
    assert stored_files() == [kept.stored_name]
    lines = LogEntry.objects.filter(action_flag=DELETION, content_type__model="document")
    assert lines.count() == 12


def warm_content_types() -> None:
    """The history lines' content types, read once a process: counted or not by the test that
    reads them first (one query more for the first test of a worker, whatever its count)."""
    ContentType.objects.get_for_models(Device, Document, ManufacturerLink)


@pytest.mark.parametrize("count", [5, 40])
def test_deleting_documents_costs_no_query_more_per_document(
    admin, count, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """ "Yes, I'm sure": the session, the user, the selection counted and read, the history
    lines, the collector's read and DELETE; the files' releases after the commit, one each,
    as before. It deleted each document apart."""
    documents(count)
    _, posted = delete_all(admin, DOCUMENTS, Document)
    warm_content_types()
    with django_capture_on_commit_callbacks() as released, django_assert_max_num_queries(16):
        response = admin.post(DOCUMENTS, posted)
    assert response.status_code == 302 and not Document.objects.exists()
    assert len(released) == count


def links(count: int) -> None:
    device = Device.objects.create(hostname="nas")
    ManufacturerLink.objects.bulk_create(
        ManufacturerLink(device=device, label=f"BIOS {n}", url=f"https://x.test/{n}")
        for n in range(count)
    )


def test_links_go_with_their_history(admin):
    links(12)
    _, posted = delete_all(admin, LINKS, ManufacturerLink)

    response = admin.post(LINKS, posted)

    assert response.status_code == 302 and not ManufacturerLink.objects.exists()
    assert Device.objects.filter(hostname="nas").exists()
    lines = LogEntry.objects.filter(action_flag=DELETION, content_type__model="manufacturerlink")
    assert lines.count() == 12


@pytest.mark.parametrize("count", [5, 40])
def test_deleting_links_costs_no_query_more_per_link(admin, count, django_assert_max_num_queries):
    links(count)
    _, posted = delete_all(admin, LINKS, ManufacturerLink)
    warm_content_types()
    with django_assert_max_num_queries(16):
        response = admin.post(LINKS, posted)
    assert response.status_code == 302 and not ManufacturerLink.objects.exists()
