"""Read queries of documents shared by the admin and the API."""

from django.db.models import QuerySet

from inventory.models import Device

from .models import Document


def document_list(*, device: Device) -> QuerySet[Document]:
    """A device's documents, newest first (one query; the device FK index serves it)."""
    return Document.objects.filter(device=device).order_by("-uploaded_at", "-id")
