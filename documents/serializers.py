"""Document shapes of the API: the upload form (multipart) and the metadata answered."""

from django.urls import reverse
from rest_framework import serializers

from benchsite.pagination import MSG_ONCE
from inventory.serializers import StrictCharField, refuse_unknown

from .models import DocType, Document


class DocumentSerializer(serializers.ModelSerializer):
    """A document's metadata; `filename` is the client's name, for display."""

    filename = serializers.CharField(source="original_filename", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = (
            "id",
            "doc_type",
            "title",
            "filename",
            "mime_type",
            "size_bytes",
            "sha256",
            "uploaded_at",
            "download_url",
        )
        read_only_fields = fields

    def get_download_url(self, document) -> str:
        path = reverse("document-download", kwargs={"pk": document.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


MSG_ONE_FILE = "Send one file per request ({sent} were sent)."


GUESS = "guess"  # a doc_type that asks for the type to be guessed (documents.doc_types)
# an upload's types: DocumentUploadDocTypeEnum in the OpenAPI document, DocTypeEnum the others
UPLOAD_DOC_TYPES = [*DocType.choices, (GUESS, "guessed from the title, the file name, the content")]


class DocumentUploadSerializer(serializers.Serializer):
    """POST /api/devices/{id}/docs (multipart/form-data)."""

    file = serializers.FileField(
        allow_empty_file=False, max_length=None, use_url=False, help_text="The document."
    )
    doc_type = serializers.ChoiceField(
        choices=UPLOAD_DOC_TYPES,
        default=DocType.OTHER,
        help_text="Without it, other, as the contract says. `guess` (beyond the contract): the "
        "type a word of the title or file name names (invoice, facture, Rechnung…), else photo "
        "for an image, else other, as the admin's upload rows guess it.",
    )
    title = serializers.CharField(
        max_length=Document._meta.get_field("title").max_length,
        required=False,
        allow_blank=True,
        default="",
    )

    def validate(self, attrs):
        # `-F doctype=invoice` was a 201 of an "other" document: a misspelt key is named; a
        # form of a page signed in (session and CSRF token) sends its token as a field
        refuse_unknown(self, "a document", shown=("csrfmiddlewaretoken",), by="an upload")
        # two files in one request: the last was stored and the first dropped without a word;
        # a type or title given twice: the last was taken without a word
        data = self.initial_data
        for name in ("file", "doc_type", "title"):
            sent = len(data.getlist(name)) if hasattr(data, "getlist") else 1
            if sent > 1 and name == "file":
                raise serializers.ValidationError({name: [MSG_ONE_FILE.format(sent=sent)]})
            if sent > 1:
                raise serializers.ValidationError({name: [MSG_ONCE.format(count=sent)]})
        return attrs


class DocumentEditSerializer(serializers.Serializer):
    """PATCH /api/docs/{id} (JSON), beyond the contract: what people say about a document, its
    type and title; its file never changes."""

    doc_type = serializers.ChoiceField(choices=DocType.choices, required=False)
    title = StrictCharField(
        max_length=Document._meta.get_field("title").max_length, required=False, allow_blank=True
    )

    def validate(self, attrs):
        # what a document's answer shows besides is taken and let be (read, change, send back)
        refuse_unknown(self, "a document", DocumentSerializer.Meta.fields)
        return attrs
