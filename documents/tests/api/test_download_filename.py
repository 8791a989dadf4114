"""GET /api/docs/{id}/download: the saved file's name ends in an extension of its sniffed type."""

import pytest

from documents.models import Document

from .test_documents import download, post_file

pytestmark = pytest.mark.django_db

# Plain text by every check (the markup markers are looked for in the first kilobyte only), and
# a page to any browser that goes by the name.
TEXT_THEN_HTML = b"A report.\n" + b"." * 1100 + b"\n<html><script>alert(1)</script></html>\n"


def test_text_named_html_downloads_as_html_txt(api, device):
    response = post_file(api, device, TEXT_THEN_HTML, "report.html", content_type="text/html")
    assert response.status_code == 201, response.content
    assert response.json()["mime_type"] == "text/plain"
    assert response.json()["filename"] == "report.html"  # the original name, as sent

    got = download(api, response.json())

    assert got["Content-Type"] == "text/plain; charset=utf-8"
    assert got["Content-Disposition"] == 'attachment; filename="report.html.txt"'


def test_an_existing_document_whose_name_matches_its_type_keeps_it(api, device):
    response = post_file(api, device, b"plain notes\n", "notes.md", content_type="text/plain")
    Document.objects.filter(pk=response.json()["id"]).update(original_filename="boot.log")

    got = download(api, response.json())

    assert got["Content-Disposition"] == 'attachment; filename="boot.log"'


def test_a_document_recorded_as_html_downloads_as_plain_text(api, device):
    """A row that says text/html (a database restored from an archive someone edited) does
    not make a browser render the file: downloads announce one of the accepted types only."""
    response = post_file(api, device, TEXT_THEN_HTML, "report.txt", content_type="text/plain")
    Document.objects.filter(pk=response.json()["id"]).update(mime_type="text/html")

    got = download(api, response.json())

    assert got["Content-Type"] == "text/plain; charset=utf-8"
    assert got["Content-Disposition"] == 'attachment; filename="report.txt"'
