"""What a browser is asked to show in its tab rather than save: which kinds, under which policy.

Apart from documents.http, which the API's views import with DRF: the admin, which Django
imports at setup, asks viewable() too.
"""

from .models import Document
from .storage import GIF, JPEG, KIND_BY_MIME, PDF, PNG, WEBP

# What a browser shows in its tab as it is, running nothing of it: a PDF in its own viewer, an
# image. Never text, nor anything the row says beyond the accepted types (SVG, HTML).
VIEWABLE = frozenset({PDF, PNG, JPEG, WEBP, GIF})
# A file downloaded but opened in a tab anyway: no script, no plugin, no same-origin access.
ATTACHMENT_POLICY = "default-src 'none'; sandbox"
# An image viewed in the tab: sandboxed as well (an opaque origin, no script, no form, no
# popup), and nothing loaded but the file itself. Chromium's image page needs its inline style,
# without which the image is not centred nor fitted.
INLINE_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
# A PDF viewed in the tab: not sandboxed. The browsers' own viewers run a PDF's scripts in the
# viewer, never in this origin's pages; under `sandbox` Safari shows an empty window (it runs
# its viewer as the document's script) and Chromium long refused its viewer, which now drops a
# PDF's policy. Framed by no page, as every page of the server.
PDF_INLINE_POLICY = "frame-ancestors 'none'"


def inline_policy(kind) -> str:
    """The Content-Security-Policy of a VIEWABLE kind shown in the tab."""
    return PDF_INLINE_POLICY if kind is PDF else INLINE_POLICY


def viewable(document: Document) -> bool:
    """Whether the document is shown in a browser's tab when asked (`inline`)."""
    return KIND_BY_MIME.get(document.mime_type) in VIEWABLE
