"""Documents in the admin: an upload inline on the device page and their own changelist.

Every write goes through documents.services, like the API's: uploads are checked by content and
limited in size, and a deletion (one, a bulk action, an inline's delete box) releases the stored
file only when nothing references its content any more.
"""

import logging
import re
from collections import Counter
from contextlib import suppress

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.db.models import F, OrderBy
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property
from django.utils.html import format_html

from benchsite.auth import may_view
from benchsite.bulk_delete import deleted_objects
from benchsite.records_admin import BlankNamedFilter, LinksItMayOpen, ListsByDate, NamedRowsFormSet
from inventory import changelog, lifecycle
from inventory.models import Device

from . import services, storage
from .forms import DocumentForm, download_link
from .history import document_edits, document_named, document_page_edits, documents_deleted_log
from .models import DocType, Document

logger = logging.getLogger(__name__)


class DocumentFormSet(NamedRowsFormSet):
    """The device page's documents, written through the services like the API's.

    A document exists only with its stored file, so rows are saved as the admin commits them.
    """

    def is_multipart(self):
        """Always: a row for a new document is always offered (and more are added in the page).
        Django asks only the first form, which is a stored document's once the device has one:
        the device page's form then went without `multipart/form-data`, the browser sent a file's
        name alone, and every upload after the first was dropped under "changed successfully"."""
        return True

    def save_new(self, form, commit=True):
        data = form.cleaned_data
        for upload in data["file"]:  # a row's files, a document each
            document = services.document_store(
                device=self.instance,
                upload=upload,
                doc_type=data["doc_type"] or None,
                title=data["title"],
            )
            self.stored.append(document)
            self.history.append(f"Added {document_named(document)}.")
        return document

    @cached_property
    def stored(self) -> list[Document]:
        """The documents this save stored, whose files go if the page's transaction does not
        commit (DocumentUploads)."""
        return []

    @cached_property
    def history(self) -> list[str]:
        """What this save did, as the device's history says it (documents.history, the API's
        words): 'Added document "a.pdf" (manual).'"""
        return []

    def save_existing(self, form, obj, commit=True):
        data = form.cleaned_data
        document = services.document_update(
            document=obj, doc_type=data["doc_type"], title=data["title"]
        )
        edits = document_page_edits(form.initial, document)
        if edits:
            self.history.append(f"Changed {edits}.")
        return document

    def delete_existing(self, obj, commit=True):
        if commit:
            services.document_delete(document=obj)
            self.history.append(f"Deleted {document_named(obj)}.")


# a hash as a person pastes it: hexadecimal, 8 characters at least ("B12", a room, is not one)
SHA256_PREFIX = re.compile(r"[0-9a-fA-F]{8,64}")


def typed_edits(document: Document) -> str:
    """document_edits() of a document the list's guess typed: it was "other"."""
    return document_edits({"type": DocType.OTHER, "title": document.title}, document)


NOTHING_SAVED = "nothing on this page was saved"


class DocumentUploads:
    """For the ModelAdmin of a page with the DocumentInline: a storage that fails while the page
    is saved is a message on the page, not a server error, and the files the save had already
    stored (the page's transaction rolled their rows back) are given back."""

    def save_formset(self, request, form, formset, change):
        if isinstance(formset, DocumentFormSet):
            request.documents_stored = formset.stored
        super().save_formset(request, form, formset, change)

    def construct_change_message(self, request, form, formsets, add=False):
        """Django's parts for the page's form and its other rows: the documents' lines are
        documents_history()'s, which name each document's type as the API's lines do."""
        others = [formset for formset in formsets if not isinstance(formset, DocumentFormSet)]
        return super().construct_change_message(request, form, others, add)

    @staticmethod
    def documents_history(formsets) -> list[str]:
        """What the save did to the device's documents, a sentence each, in the API's words."""
        return [
            line
            for formset in formsets
            if isinstance(formset, DocumentFormSet)
            for line in formset.history
        ]

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except Exception as exc:
            if not storage.is_unavailable(exc):
                raise
            logger.error("document storage failed: %s", exc, exc_info=exc)
            failed = exc
        # the page's transaction is over: nothing references these files any more
        for document in getattr(request, "documents_stored", ()):
            with suppress(Exception):  # the storage is failing: check_documents lists leftovers
                services.document_file_release(
                    sha256=document.sha256, stored_name=document.stored_name
                )
        # the disk's own words and the setting (a full UPLOAD_DIR "did not answer")
        messages.error(request, storage.failure_said(failed, nothing_saved=NOTHING_SAVED))
        return HttpResponseRedirect(request.get_full_path())


class DocumentInline(admin.TabularInline):
    model = Document
    form = DocumentForm
    formset = DocumentFormSet
    fields = ("file", "doc_type", "title", "mime_type", "size", "uploaded_at")
    readonly_fields = ("mime_type", "size", "uploaded_at")
    extra = 1

    class Media:
        js = ("documents/uploads.js",)  # a save over the upload limit stopped in the page

    def has_add_permission(self, request, obj=None):
        """Uploads with the device page's Save, which an account that may not change the device
        does not have: Django leaves such an account's upload row on the page (its formset's
        rows are read before the page takes them away), a row it could not send."""
        # `obj`: the device of its page; None on the add page, saved by who may add devices
        may_save = request.user.has_perm(f"inventory.{'add' if obj is None else 'change'}_device")
        return may_save and super().has_add_permission(request, obj)

    @admin.display(description="file")
    def file(self, document: Document) -> str:
        """A stored document's row, read-only for an account that may not change documents,
        shows its file as its download link (`file` is the upload form's field, which such a
        row showed as "None"); the upload row of an account that may add them stays a file
        input (the link in its place, of a document not stored, was a 500 of the page)."""
        return download_link(document)

    @admin.display(description="size")
    def size(self, document: Document) -> str:
        return filesizeformat(document.size_bytes) if document.size_bytes is not None else ""


class DeviceFieldFilter(BlankNamedFilter):
    """A field of the documents' devices (`device__location`, `device__owner`): "every warranty
    paper of the machines in room B12", "everything Alice owns". It offers the values of the
    devices that have documents, not those of every device, which listed nothing."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = f"device's {field.verbose_name}"
        self.lookup_choices = (
            model_admin.get_queryset(request)
            .order_by(field_path)
            .values_list(field_path, flat=True)
            .distinct()
        )


class NullsLast(OrderBy):
    """An ordering whose rows without a value stay last when the column is sorted the other way
    round (Django's reversal puts them first)."""

    def reverse_ordering(self):
        self.descending = not self.descending
        return self


@admin.register(Document)
class DocumentAdmin(ListsByDate, LinksItMayOpen, admin.ModelAdmin):
    # no content type column: a filter, the file's View link (a PDF, an image) and the
    # document's page tell it, and with it the list did not fit 1400 px with the sidebar open
    list_display = ("named", "device", "doc_type", "download", "size", "warranty", "uploaded_at")
    list_filter = (
        "doc_type",
        ("device__location", DeviceFieldFilter),
        ("device__owner", DeviceFieldFilter),
        "mime_type",
        "uploaded_at",
    )
    # a title's and a file name's accents and case ignored, as the device list's search does
    # (inventory.folding): "electricite" finds "Facture_Électricité.pdf", on SQLite too
    search_fields = (
        "title__folded__icontains",
        "original_filename__folded__icontains",
        "device__hostname",
    )  # and a document's hash, from its start: get_search_results
    list_select_related = ("device",)
    date_hierarchy = "uploaded_at"
    _shown = (
        "device",
        "doc_type",
        "title",
        "download",
        "mime_type",
        "size",
        "sha256",
        "stored_name",
        "uploaded_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": _shown,
                # a stored file is never changed in place (its name is its content's hash)
                "description": "To replace the file, upload the new one on the device's page "
                "and delete this document.",
            },
        ),
    )
    readonly_fields = tuple(name for name in _shown if name not in ("doc_type", "title"))

    actions = ("guess_types",)

    def get_search_results(self, request, queryset, search_term):
        """The search_fields' matches, and the document whose hash starts with the term when it
        looks like one: any fragment of a hash matched, and "B12" found unrelated papers."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if SHA256_PREFIX.fullmatch(term):
            found = found | queryset.filter(sha256__startswith=term.lower())
        return found, may_have_duplicates

    def has_add_permission(self, request):
        return False  # uploads: the device page's documents inline, or the API

    # What the list tells of the documents' devices beyond their names (their locations and
    # owners as filters, their warranty ends) is for an account that may view the devices:
    # one that may view documents alone was shown an owner's name its device page refused.
    DEVICE_FILTERS = ("device__location", "device__owner")

    def get_list_filter(self, request):
        if may_view(request.user, Device):
            return self.list_filter
        named = ((f[0] if isinstance(f, tuple) else f, f) for f in self.list_filter)
        return tuple(f for field, f in named if field not in self.DEVICE_FILTERS)

    def get_list_display(self, request):
        if may_view(request.user, Device):
            return self.list_display
        return tuple(name for name in self.list_display if name != "warranty")

    def changelist_view(self, request, extra_context=None):
        """The list, telling an account where it may upload: on a device's page, which only an
        account that may change devices can save (one that may not was sent to a 403)."""
        uploads = request.user.has_perms(("inventory.change_device", "documents.add_document"))
        context = {"uploads_on_device_page": uploads, **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_deleted_objects(self, objs, request):
        """What the delete page lists, saying that the stored files go too."""
        found = deleted_objects(objs, request, self.admin_site)  # bulk_delete's summary
        listed, counts, perms_needed, protected = found
        listed.append(
            "Their stored files, deleted from the storage (a file another document has too stays)"
        )
        return listed, counts, perms_needed, protected

    @admin.action(description="Guess the type of those typed other", permissions=("change",))
    def guess_types(self, request, queryset):
        """What an upload without a type now gets, for the documents filed before: each was
        "other" whatever its name (services.documents_guess_types)."""
        with transaction.atomic():
            changed, considered = services.documents_guess_types(documents=queryset)
            # a "Changed type." line each in its history (one INSERT for them all)
            LogEntry.objects.log_actions(
                request.user.pk, changed, CHANGE, [{"changed": {"fields": ["type"]}}]
            )
            # and its device's, in the words of the other edits (one INSERT for them all)
            changelog.device_history_log(
                actor=request.user,
                entries=[
                    changelog.Entry(document.device, f"Changed {typed_edits(document)}.")
                    for document in changed
                ],
            )
        if not considered:  # "None of the 0 selected documents typed other…" of 2 invoices
            messages.warning(request, "None of the selected documents is typed other.")
            return
        if not changed:
            messages.warning(
                request,
                f"None of the {considered} selected documents typed other has a title, file "
                "name or content that suggests a type.",
            )
            return
        counts = Counter(document.doc_type for document in changed)
        said = ", ".join(
            f"{counts[value]} {label}" for value, label in DocType.choices if counts[value]
        )
        messages.success(
            request,
            f"Typed {len(changed)} of the {considered} selected documents typed other: {said}.",
        )

    @admin.display(description="document")
    def named(self, document: Document) -> str:
        """Its title, the link to its page: one without a title said its file name here and
        again in the file column beside it."""
        return document.title or format_html("<em>{}</em>", "untitled")  # a link's colour

    @admin.display(description="file", ordering="original_filename")
    def download(self, document: Document) -> str:
        return download_link(document)

    @admin.display(description="size", ordering="size_bytes")
    def size(self, document: Document) -> str:
        return filesizeformat(document.size_bytes)

    # the device's warranty end (inventory.lifecycle), sorted soonest first, unknown last
    @admin.display(
        description="device's warranty",
        ordering=NullsLast(F("device__warranty_until"), nulls_last=True),
    )
    def warranty(self, document: Document) -> str:
        until = document.device.warranty_until
        if until is None:
            return "–"
        return format_html(
            '<span title="{}">{}</span>',
            f"until {until.isoformat()}",
            lifecycle.warranty_said(until, today=lifecycle.today()),
        )

    # each edit and deletion here is a line of the device's history too, in the words of the
    # device page's rows and the API's: it was in the document's own log alone
    @transaction.atomic
    def save_model(self, request, obj, form, change):
        services.document_update(document=obj, doc_type=obj.doc_type, title=obj.title)
        edits = document_page_edits(form.initial, obj)
        if edits:
            entry = changelog.Entry(obj.device, f"Changed {edits}.")
            changelog.device_history_log(actor=request.user, entries=[entry])

    @transaction.atomic
    def delete_model(self, request, obj):
        services.document_delete(document=obj)
        documents_deleted_log(actor=request.user, documents=[obj])

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        # what the lines name, read before the rows go (one query, with their devices)
        gone = list(
            queryset.select_related("device").only(
                "original_filename", "doc_type", "device", "device__hostname"
            )
        )
        services.documents_delete(documents=queryset)
        documents_deleted_log(actor=request.user, documents=gone)
