from django.contrib import admin

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "device", "doc_type", "mime_type", "size_bytes", "uploaded_at")
    list_filter = ("doc_type", "mime_type")
    search_fields = ("title", "original_filename", "device__hostname", "sha256")
    list_select_related = ("device",)
    readonly_fields = (
        "original_filename",
        "stored_name",
        "mime_type",
        "size_bytes",
        "sha256",
        "uploaded_at",
    )

    def has_add_permission(self, request):
        return False  # uploads arrive with the documents feature (API and device page)
