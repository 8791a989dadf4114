"""The forms of documents in the admin: the device page's rows (an upload of one file or several,
a stored document's type and title) and a stored file shown as its download link."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from . import services, storage
from .models import DocType, Document
from .viewing import viewable


def download_link(document: Document) -> str:
    """The document's download under its name and, for a PDF or an image, a "View" that shows
    it in the browser's tab (documents.http.VIEWABLE): the same endpoint and checks."""
    url = reverse("document-download", kwargs={"pk": document.pk})
    link = format_html('<a href="{}">{}</a>', url, document.original_filename)
    if not viewable(document):
        return link
    return format_html(
        '{} <a href="{}?inline=1" aria-label="View {}">View</a>',
        link,
        url,
        document.original_filename,
    )


class StoredFileWidget(forms.Widget):
    """A stored document's file, shown as its download link: a content is never replaced."""

    def __init__(self, document: Document, attrs=None):
        super().__init__(attrs)
        self.document = document

    def render(self, name, value, attrs=None, renderer=None):
        return download_link(self.document)


# short: a longer choice than "datasheet" widened the column, and the documents' table no longer
# fitted its box at 1400 px (its delete boxes scrolled out of sight)
GUESS_CHOICE = ("", "guess")


class FilesInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """One file or several chosen at once: a list of uploads, empty when none. A fleet's papers
    were filed one row, one "Add another Document" and one file dialog each: 30 of them, 30."""

    widget = FilesInput

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        if not uploads:
            return [upload for upload in [super().clean(None, initial)] if upload]
        cleaned, refused = [], []
        for upload in uploads:
            try:
                cleaned.append(super().clean(upload, initial))
            except ValidationError as exc:  # among several, which one ("is empty")
                named = len(uploads) > 1 and getattr(upload, "name", "")
                refused += [ValidationError(f"{upload.name}: {m}") for m in exc] if named else [exc]
        if refused:
            raise ValidationError(refused)
        return [upload for upload in cleaned if upload]

    def has_changed(self, initial, data):
        return not self.disabled and bool(data)


FILE_HELP = (
    "PDF, PNG, JPEG, WebP, GIF or plain text; checked by content. Several files may be chosen "
    "at once: a document each, with this row's type and title. At most {limit} MB a save, all "
    "the page's files together."
)


class DocumentForm(forms.ModelForm):
    """A new document's file, type and title; an existing one's type and title.

    A new document's type may be left blank: the upload's title, name and content choose it
    (documents.doc_types), where it was "other" whatever the file. Several files chosen in one
    row are a document each, of the row's type (or each its own guess) and title.
    """

    file = FilesField()

    class Meta:
        model = Document
        fields = ("doc_type", "title")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            field = self.fields["file"]
            field.required, field.disabled = False, True
            field.widget = StoredFileWidget(self.instance)
        else:
            # the page is one request, refused whole past the limit (benchsite.bodylimit)
            self.fields["file"].help_text = FILE_HELP.format(limit=settings.MAX_UPLOAD_MB)
            # read by documents/uploads.js, which stops such a save before it is sent
            self.fields["file"].widget.attrs["data-max-total-bytes"] = services.max_upload_bytes()
            doc_type = self.fields["doc_type"]
            doc_type.required = False
            doc_type.choices = [GUESS_CHOICE, *DocType.choices]
            doc_type.help_text = (
                "Left at guess: the type a word of the title or file name names (invoice, "
                "facture, Rechnung, manual, Handbuch, warranty, garantie…), else photo for an "
                "image, else other."
            )
            self.initial["doc_type"] = ""

    def clean_file(self):
        uploads = self.cleaned_data.get("file") or []
        if self.instance.pk:
            return uploads
        refused = []
        for upload in uploads:
            try:
                services.document_check(upload=upload)
            except storage.UploadRejected as exc:
                # among several, which one: nothing of the row is stored
                said = str(exc) if len(uploads) == 1 else f"{upload.name}: {exc}"
                refused.append(ValidationError(said, code="rejected"))
        if refused:
            raise ValidationError(refused)
        return uploads
