"""HTTP plumbing of the documents API: upload limits, refusals as statuses, file responses."""

from asgiref.sync import sync_to_async
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse
from rest_framework import status
from rest_framework.exceptions import APIException

from . import storage
from .filenames import content_disposition, download_filename
from .models import Document
from .viewing import ATTACHMENT_POLICY, VIEWABLE, inline_policy

# A multipart body is the file plus its envelope (boundaries, part headers, doc_type, title).
# A declared Content-Length beyond the limit plus this is refused before anything is read.
MULTIPART_ENVELOPE_BYTES = 64 * 1024
DOWNLOAD_BLOCK_BYTES = 64 * 1024


class DocumentTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class UnsupportedDocument(APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_media_type"


def api_error(exc: storage.UploadRejected) -> APIException:
    if isinstance(exc, storage.UploadTooLarge):
        return DocumentTooLarge(str(exc))
    return UnsupportedDocument(str(exc))


class UploadSizeGuard(FileUploadHandler):
    """The first upload handler of an upload request: counts file bytes as they arrive and,
    past `max_bytes`, stops the parsing without reading the rest of the body (Django neither
    buffers nor drains it). The view then answers 413 (`exceeded`)."""

    def __init__(self, *, max_bytes: int):
        super().__init__()
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers (memory or temporary file) build the file


def refuse_declared_oversize(request, *, max_bytes: int) -> None:
    """413 when the declared Content-Length cannot fit the limit: nothing of the body is read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return
    if declared > max_bytes + MULTIPART_ENVELOPE_BYTES:
        raise api_error(storage.UploadTooLarge.over(max_bytes))


class StoredFileDamaged(Exception):
    """The stored copy's size is not the document's: it was cut short or replaced."""


def document_response(request, document: Document, *, inline: bool = False) -> FileResponse:
    """The stored file, streamed as an attachment under the original filename, announced as
    its sniffed type and never to be rendered or sniffed by the browser. `inline`: a PDF or an
    image (VIEWABLE) to be shown in the tab (viewing.inline_policy: an image sandboxed); any
    other kind is an attachment all the same.

    Raises FileNotFoundError when the stored file is missing, StoredFileDamaged when its size
    is not the one uploaded: a copy cut short would download as a whole file, shorter.
    """
    # one of the accepted types, whatever the row says (a database restored from an archive
    # someone edited can say text/html): anything else is announced as plain text
    kind = storage.KIND_BY_MIME.get(document.mime_type, storage.TEXT)
    content_type = kind.mime_type
    if kind is storage.TEXT:
        content_type += "; charset=utf-8"
    file = storage.open_stored(document.stored_name)
    if document.size_bytes is not None and file.size != document.size_bytes:
        file.close()
        raise StoredFileDamaged(f"{file.size} bytes stored of {document.size_bytes}")
    response = FileResponse(file, content_type=content_type, as_attachment=True)
    response.block_size = DOWNLOAD_BLOCK_BYTES
    if not response.has_header("Content-Length"):
        # an object storage's stream cannot be measured by FileResponse: its size is known
        response["Content-Length"] = str(file.size)
    # The original filename, ending in an extension of the sniffed type: the Content-Type, not
    # the name, says what the content is, and a saved file must not open as something else.
    filename = download_filename(
        document.original_filename, extension=kind.extension, extensions=kind.extensions
    )
    inline = inline and kind in VIEWABLE
    response["Content-Disposition"] = content_disposition(
        filename, disposition="inline" if inline else "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    # a person's invoice, fetched with a token or a session: kept by no shared cache on the way
    response["Cache-Control"] = "private, no-cache"
    response["Content-Security-Policy"] = inline_policy(kind) if inline else ATTACHMENT_POLICY
    if isinstance(getattr(request, "_request", request), ASGIRequest):
        # Under ASGI Django would read a synchronous iterator whole into memory before sending
        # it: hand it an asynchronous one that reads block by block in a worker thread.
        response.streaming_content = _read_blocks(file, DOWNLOAD_BLOCK_BYTES)
    return response


async def _read_blocks(file, block_size: int):
    read = sync_to_async(file.read, thread_sensitive=False)
    while block := await read(block_size):
        yield block
