"""A JSON parser that enforces MAX_SUBMISSION_KB and never lets hostile JSON become a 500, the
multipart parser of document uploads, both refusing a compressed body, and the content
negotiation of the API."""

import codecs
import json
import sys

from django.conf import settings
from rest_framework import parsers, renderers
from rest_framework.exceptions import NotAcceptable, ParseError
from rest_framework.negotiation import DefaultContentNegotiation

from .exceptions import PayloadTooLarge, UnsupportedContentEncoding


class JSONParser(parsers.BaseParser):
    # Not a subclass of DRF's JSONParser: DRF reads request.body whole for those before calling
    # parse(), which answered bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with that limit instead of
    # MAX_SUBMISSION_KB, and held bodies up to it in memory. This one gets the stream.
    media_type = "application/json"
    renderer_class = renderers.JSONRenderer
    # NaN and Infinity are not JSON: refused here, unless the view names them by field itself
    parse_constant = None

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.MAX_SUBMISSION_KB * 1024
        request = parser_context.get("request")
        refuse_content_coding(request)
        declared = _content_length(request)
        if declared is not None and declared > limit:
            raise PayloadTooLarge(declared, limit)
        # Read at most one byte past the limit: a body without Content-Length (chunked) that is
        # too large is refused without being read whole.
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(None, limit)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            # a byte order mark (PowerShell's Out-File writes one) is ignored, as RFC 8259 allows
            text = text.removeprefix("\ufeff")
            return json.loads(text, parse_constant=self.parse_constant or _reject_constant)
        except RecursionError:
            raise ParseError("JSON parse error - nesting too deep.") from None
        except (ValueError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {_reason(exc)}") from None


class MultiPartParser(parsers.MultiPartParser):
    """DRF's, refusing a compressed body as the JSON parser does."""

    def parse(self, stream, media_type=None, parser_context=None):
        refuse_content_coding((parser_context or {}).get("request"))
        return super().parse(stream, media_type, parser_context)


def refuse_content_coding(request) -> None:
    """A body in a content coding is a 415 naming it: the parsers read bodies as they are sent,
    so a gzip submission was a 400 "JSON parse error - 'utf-8' codec can't decode byte 0x8b"
    and a body labelled `br` but sent plain was stored as if the label were not there."""
    header = request.META.get("HTTP_CONTENT_ENCODING", "") if request is not None else ""
    codings = [coding.strip() for coding in header.split(",") if coding.strip()]
    if any(coding.lower() != "identity" for coding in codings):
        raise UnsupportedContentEncoding(", ".join(codings))


def _reason(exc: Exception) -> str:
    if "integer string conversion" in str(exc):  # Python's advice to itself: not the client's
        return f"an integer of more than {sys.get_int_max_str_digits()} digits."
    return str(exc)


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON (numbers must be finite)")


def _content_length(request) -> int | None:
    if request is None:
        return None
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class SubmissionJSONParser(JSONParser):
    """The submission's parser: NaN and Infinity are read as floats, so that the validation
    (benchmarks.validation) answers with the field that holds them rather than a parse error."""

    parse_constant = staticmethod(float)


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's, but `?format=` that names no format of the endpoint is a 406 naming `format`:
    DRF answered it 404 "Not found." for a device that exists (a script passing the export's
    `format=csv` to another endpoint took the device for gone)."""

    def filter_renderers(self, renderers, format):
        chosen = [renderer for renderer in renderers if renderer.format == format]
        if not chosen:
            offered = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise NotAcceptable({"format": [f"This endpoint answers in {offered}, not {format}."]})
        return chosen
