import logging

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response

from benchsite.lookup import object_or_404
from benchsite.pagination import query_once
from benchsite.parsers import MultiPartParser
from inventory import changelog
from inventory.models import Device

from . import selectors, services, storage
from .history import document_edits, document_named, document_said
from .http import (
    StoredFileDamaged,
    UploadSizeGuard,
    api_error,
    document_response,
    refuse_declared_oversize,
)
from .models import Document
from .serializers import (
    GUESS,
    DocumentEditSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
)

logger = logging.getLogger(__name__)

MSG_FILE_MISSING = "The stored file of this document is missing."
MSG_INLINE = "Expected 1 or 0 (true or false)."
INLINE_VALUES = {"1": True, "true": True, "0": False, "false": False}


def inline_asked(request) -> bool:
    """`?inline=1` (or true): the download to be shown in the browser's tab; 400 naming it for
    a value that is neither yes nor no."""
    said = query_once(request, "inline", "0")
    if said.lower() not in INLINE_VALUES:
        raise serializers.ValidationError({"inline": [MSG_INLINE]})
    return INLINE_VALUES[said.lower()]


class StorageUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The document storage did not answer; nothing was changed."
    default_code = "storage_unavailable"


MSG_FILE_DAMAGED = (
    "The stored copy of this document is damaged (its size is not the uploaded file's): upload "
    "the file again to repair it; manage.py check_documents --verify lists damaged copies."
)


class StoredCopyDamaged(APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = MSG_FILE_DAMAGED
    default_code = "stored_copy_damaged"


class StorageErrors:
    """A storage that fails (an object store down) is a 503 with a sentence, not a 500; the
    error is logged with its traceback."""

    def handle_exception(self, exc):
        if storage.is_unavailable(exc):
            logger.error("document storage failed: %s", exc, exc_info=exc)
            exc = StorageUnavailable(storage.failure_said(exc, nothing_saved="nothing was changed"))
        return super().handle_exception(exc)


UNAUTHORIZED = {
    401: OpenApiResponse(description="Missing or invalid token."),
    403: OpenApiResponse(description="The token lacks the scope."),
}
NOT_FOUND = {404: OpenApiResponse(description="Unknown id.")}


class DeviceDocumentViewSet(StorageErrors, mixins.ListModelMixin, viewsets.GenericViewSet):
    """GET/POST /api/devices/{id}/docs: a device's documents, and uploads (multipart)."""

    serializer_class = DocumentSerializer
    permission_model = Document
    parser_classes = (MultiPartParser,)
    pagination_class = None  # a handful per device; the contract lists them whole

    def initialize_request(self, request, *args, **kwargs):
        # Before anything parses the body (a staff session's CSRF check reads the form while
        # authenticating): count the file bytes from the first one.
        if request.method == "POST":
            self.upload_guard = UploadSizeGuard(max_bytes=services.max_upload_bytes())
            request.upload_handlers.insert(0, self.upload_guard)
        return super().initialize_request(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.document_list(device=self._device())

    def _device(self) -> Device:
        return object_or_404(Device.objects.all(), self.kwargs["device_pk"])

    @extend_schema(
        summary="A device's documents, newest first",
        responses={200: DocumentSerializer(many=True), **UNAUTHORIZED, **NOT_FOUND},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Attach a document to a device",
        description="multipart/form-data. The type is sniffed from the content: PDF, PNG, JPEG, "
        "WebP, GIF and plain UTF-8 text are accepted; identical content is stored once.",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={
            201: DocumentSerializer,
            400: OpenApiResponse(description="Validation error: the body names each field."),
            **UNAUTHORIZED,
            **NOT_FOUND,
            413: OpenApiResponse(description="The file is over MAX_UPLOAD_MB."),
            415: OpenApiResponse(
                description="Not multipart, sent with a Content-Encoding, or the content is "
                "not PDF, PNG, JPEG, WebP, GIF or plain UTF-8 text (whatever the filename or "
                "declared type)."
            ),
        },
    )
    def create(self, request, device_pk=None):
        device = self._device()
        refuse_declared_oversize(request, max_bytes=services.max_upload_bytes())
        serializer = DocumentUploadSerializer(data=request.data)
        if self.upload_guard.exceeded:
            raise api_error(storage.UploadTooLarge.over(services.max_upload_bytes()))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            document = services.document_store(
                device=device,
                upload=data["file"],
                doc_type=None if data["doc_type"] == GUESS else data["doc_type"],
                title=data["title"],
            )
        except storage.UploadRejected as exc:
            raise api_error(exc) from None
        except services.DeviceGone:
            raise NotFound() from None  # deleted while its document was uploaded
        changelog.api_change_log(
            request.user, device, f"Added through the API: {document_named(document)}."
        )
        body = DocumentSerializer(document, context=self.get_serializer_context()).data
        location = reverse("document-detail", args=(document.pk,))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class DocumentViewSet(
    StorageErrors, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """GET/PATCH/DELETE /api/docs/{id}, GET /api/docs/{id}/download."""

    serializer_class = DocumentSerializer
    permission_model = Document
    lookup_value_regex = r"\d+"

    def get_object(self):
        document = object_or_404(Document.objects.all(), self.kwargs["pk"])
        self.check_object_permissions(self.request, document)
        return document

    def perform_content_negotiation(self, request, force=False):
        # A download answers the file whatever the Accept header asks for (errors in JSON).
        return super().perform_content_negotiation(
            request, force=force or self.action == "download"
        )

    @extend_schema(
        summary="One document's metadata",
        responses={200: DocumentSerializer, **UNAUTHORIZED, **NOT_FOUND},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Change a document's type or title",
        description="Beyond the contract: `doc_type` and `title`, either or both (JSON); the "
        "file never changes (upload the new one and delete this document).",
        request=DocumentEditSerializer,
        responses={
            200: DocumentSerializer,
            400: OpenApiResponse(description="Validation error: the body names each field."),
            **UNAUTHORIZED,
            **NOT_FOUND,
        },
    )
    def partial_update(self, request, *args, **kwargs):
        document = self.get_object()
        serializer = DocumentEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        before = document_said(document)
        with transaction.atomic():  # the change and its line in the device's history, or neither
            document = services.document_update(
                document=document,
                doc_type=data.get("doc_type", document.doc_type),
                title=data.get("title", document.title),
            )
            edits = document_edits(before, document)
            if edits:
                changelog.api_change_log(
                    request.user, document.device, f"Changed through the API: {edits}"
                )
        return Response(DocumentSerializer(document, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Remove a document",
        description="Its stored file goes once no other document has the same content.",
        responses={204: OpenApiResponse(description="Removed."), **UNAUTHORIZED, **NOT_FOUND},
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.document_delete(document=instance)
        changelog.api_change_log(
            self.request.user,
            instance.device,
            f"Deleted through the API: {document_named(instance)}.",
        )

    @extend_schema(
        summary="Download a document",
        parameters=[
            OpenApiParameter(
                "inline",
                OpenApiTypes.STR,
                enum=sorted(INLINE_VALUES),
                description="1 (or true): a PDF or an image is sent to be shown in the "
                "browser's tab (Content-Disposition: inline, sandboxed); any other kind is an "
                "attachment all the same. Beyond the contract.",
            )
        ],
        responses={
            # each content type a document can have (its sniffed type; text as UTF-8)
            **{
                (200, kind.mime_type + ("; charset=utf-8" if kind is storage.TEXT else "")): (
                    OpenApiResponse(
                        OpenApiTypes.BINARY,
                        description="The file, byte for byte, as an attachment (inline when "
                        "asked, for a PDF or an image) under its original filename; "
                        "Content-Type is the sniffed type.",
                    )
                )
                for kind in storage.KINDS
            },
            400: OpenApiResponse(description="`inline` is neither 1 nor 0 (true, false)."),
            **UNAUTHORIZED,
            **NOT_FOUND,
            500: OpenApiResponse(
                description="The stored copy is damaged (not the uploaded size): the body says "
                "how to repair it."
            ),
        },
    )
    @action(detail=True, methods=("get",))
    def download(self, request, pk=None):
        document = self.get_object()
        inline = inline_asked(request)
        try:
            return document_response(request, document, inline=inline)
        except FileNotFoundError:
            logger.error(
                "document %s: stored file %s is missing", document.pk, document.stored_name
            )
            raise Http404(MSG_FILE_MISSING) from None
        except StoredFileDamaged as exc:
            logger.error(
                "document %s: stored file %s is damaged: %s", document.pk, document.stored_name, exc
            )
            raise StoredCopyDamaged() from None
