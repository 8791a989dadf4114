"""GET /api/docs/{id}/download?inline=1: a PDF or an image shown in the browser's tab, sandboxed,
and the admin's "View" link to it; every other kind still an attachment."""

import pytest

from benchsite.tests.accounts import staff_client
from documents.models import Document

from .. import files
from .test_documents import EACH_BINARY_KIND, post_file, streamed
from .test_download_filename import TEXT_THEN_HTML

pytestmark = pytest.mark.django_db

# what Chromium needs to show a PDF in its viewer and an image page centred and fitted (tried by
# hand in Chromium 156), and nothing more: no script, no form, an opaque origin
INLINE_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
PDF_INLINE_POLICY = "frame-ancestors 'none'"  # Safari shows a sandboxed PDF as an empty window
ATTACHMENT_POLICY = "default-src 'none'; sandbox"
VALUES = ("1", "true", "TRUE", "0", "false", "False")


def view(client, pk: int, inline: str = "1"):
    response = client.get(f"/api/docs/{pk}/download", {"inline": inline})
    if response.streaming:
        streamed(response)
    return response


@EACH_BINARY_KIND
def test_a_pdf_or_an_image_asked_inline_is_shown_in_the_tab_sandboxed(
    api, device, content, name, mime_type
):
    pk = post_file(api, device, content, name).json()["id"]

    got = view(api, pk)

    assert got.status_code == 200
    assert streamed(got) == content
    assert got["Content-Type"] == mime_type
    assert got["Content-Disposition"] == f'inline; filename="{name}"'
    assert got["X-Content-Type-Options"] == "nosniff"
    assert got["Content-Security-Policy"] == (
        PDF_INLINE_POLICY if mime_type == "application/pdf" else INLINE_POLICY
    )
    assert got["Cache-Control"] == "private, no-cache"


def test_only_a_pdf_or_an_image_is_shown_inline(api, device):
    """Plain text, and a row that says HTML or SVG (a database restored from an archive someone
    edited), are never shown in the tab: announced as text, as an attachment."""
    pdf = post_file(api, device, files.pdf_bytes(), "manual.pdf").json()["id"]
    texts = {}
    for recorded in ("text/plain", "text/html", "image/svg+xml"):
        texts[recorded] = post_file(
            api, device, TEXT_THEN_HTML + recorded.encode(), "report.txt", content_type="text/plain"
        ).json()["id"]
        Document.objects.filter(pk=texts[recorded]).update(mime_type=recorded)

    got = {
        recorded: (r["Content-Type"], r["Content-Disposition"], r["Content-Security-Policy"])
        for recorded, r in ((key, view(api, pk)) for key, pk in {"pdf": pdf, **texts}.items())
    }

    as_text = ("text/plain; charset=utf-8", 'attachment; filename="report.txt"', ATTACHMENT_POLICY)
    assert got == {
        "pdf": ("application/pdf", 'inline; filename="manual.pdf"', PDF_INLINE_POLICY),
        "text/plain": as_text,
        "text/html": as_text,
        "image/svg+xml": as_text,
    }


def test_inline_is_1_or_true_and_0_or_false_whatever_their_case(api, device):
    pk = post_file(api, device, files.pdf_bytes(), "manual.pdf").json()["id"]

    got = {value: view(api, pk, value)["Content-Disposition"].split(";")[0] for value in VALUES}

    assert got == {"1": "inline", "true": "inline", "TRUE": "inline"} | {
        "0": "attachment",
        "false": "attachment",
        "False": "attachment",
    }


@pytest.mark.parametrize("query", ["inline=yes", "inline=", "inline=1&inline=1"])
def test_an_inline_that_is_neither_1_nor_0_is_a_400_naming_it(api, device, query):
    pk = post_file(api, device, files.pdf_bytes(), "manual.pdf").json()["id"]

    got = api.get(f"/api/docs/{pk}/download?{query}", HTTP_ACCEPT="application/pdf")

    assert got.status_code == 400
    assert list(got.json()) == ["inline"]


def test_viewing_takes_the_downloads_permissions(api, anon, token_client, device):
    pk = post_file(api, device, files.pdf_bytes(), "manual.pdf").json()["id"]

    assert view(anon, pk).status_code == 401
    assert view(token_client("submit"), pk).status_code == 403
    assert view(token_client("read"), pk)["Content-Disposition"].startswith("inline;")
    assert view(api, pk + 1).status_code == 404


def test_the_admin_offers_view_beside_the_download_of_a_pdf_or_an_image_only(api, device):
    pdf = post_file(api, device, files.pdf_bytes(), "manual.pdf").json()["id"]
    text = post_file(api, device, b"RTFM\n", "notes.txt", content_type="text/plain").json()["id"]
    viewer = staff_client("inventory.view_device", "documents.view_document")

    device_page = viewer.get(f"/admin/inventory/device/{device.pk}/change/").content.decode()
    changelist = viewer.get("/admin/documents/document/").content.decode()
    document_page = viewer.get(f"/admin/documents/document/{pdf}/change/").content.decode()

    view_link = f'<a href="/api/docs/{pdf}/download?inline=1" aria-label="View manual.pdf">View</a>'
    for page in (device_page, changelist, document_page):
        assert f'<a href="/api/docs/{pdf}/download">manual.pdf</a> {view_link}' in page
        assert f"/api/docs/{text}/download?inline" not in page
    for page in (device_page, changelist):
        assert f'<a href="/api/docs/{text}/download">notes.txt</a></' in page  # no View
    got = view(viewer, pdf)  # the account's session, as the link is followed
    assert got.status_code == 200
    assert got["Content-Disposition"] == 'inline; filename="manual.pdf"'
