"""PATCH /api/docs/{id}: the device's history tells each edit that changed something, and only
those."""

import pytest
from django.contrib.admin.models import LogEntry

from .. import files
from .test_documents import post_file

pytestmark = pytest.mark.django_db


def test_an_edit_that_changes_nothing_writes_no_line_in_the_history(api, device):
    """An API client that sends a document's type and title back as they are (a sync script
    saving every document it reads) left an empty "Changed through the API:" line each time."""
    document = post_file(api, device, files.pdf_bytes(), "scan0001.pdf", doc_type="manual")
    url = f"/api/docs/{document.json()['id']}"
    lines = LogEntry.objects.filter(object_id=str(device.pk))
    before = lines.count()

    response = api.patch(url, {"doc_type": "manual", "title": ""}, format="json")

    assert response.status_code == 200
    assert lines.count() == before
