from django.db import models

from inventory.models import Device


class DocType(models.TextChoices):
    MANUAL = "manual", "manual"
    DATASHEET = "datasheet", "datasheet"
    INVOICE = "invoice", "invoice"
    WARRANTY = "warranty", "warranty"
    PHOTO = "photo", "photo"
    OTHER = "other", "other"


class Document(models.Model):
    """A file attached to a device, stored once per content under its sha256."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(
        "type", max_length=20, choices=DocType.choices, default=DocType.OTHER
    )
    title = models.CharField(max_length=255, blank=True)
    original_filename = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=80, editable=False)
    mime_type = models.CharField("content type", max_length=100, editable=False)
    size_bytes = models.PositiveBigIntegerField("size", editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-uploaded_at", "-id")
        indexes = (
            # "is this content still referenced?" before a stored file is removed
            models.Index(fields=("sha256",), name="documents_document_sha256"),
        )

    def __str__(self):
        return self.title or self.original_filename
