from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self):
        from django.db.models.signals import post_delete

        from . import signals
        from .models import Document

        post_delete.connect(
            signals.document_deleted, sender=Document, dispatch_uid="documents.file_release"
        )
