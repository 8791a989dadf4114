"""What a device's history says of its documents, in the same words whoever wrote them: the
API ('Added through the API: document "a.pdf" (manual).') and the device page's documents rows
('Added document "a.pdf" (manual).'), where the page said only Django's 'Added document “User
manual”.', without the type."""

from inventory import changelog

from .models import Document


def document_named(document: Document) -> str:
    """A document as a history line names it: document "manual.pdf" (manual)."""
    return f"document {changelog.shown(document.original_filename)} ({document.doc_type})"


def document_edits(before: dict[str, str], document: Document) -> str:
    """What an edit changed of a document's type and title, as a history line says it
    ('document "a.pdf": type "other" → "manual"'); empty when it changed nothing. `before`:
    document_said() of the document before the edit."""
    changes = changelog.field_changes(before, document_said(document))
    if not changes:
        return ""
    name = changelog.shown(document.original_filename)
    return f"document {name}: {changelog.describe_changes(changes)}"


def document_said(document: Document) -> dict[str, str]:
    """What people say about a document, which an edit changes: its type and its title."""
    return {"type": document.doc_type, "title": document.title}


def document_page_edits(initial: dict, document: Document) -> str:
    """document_edits() of an edit made in the admin, from the values its page showed (a form's
    `initial`): the form has set the new ones on the document already."""
    return document_edits({"type": initial["doc_type"], "title": initial["title"]}, document)


def documents_deleted_log(*, actor, documents) -> None:
    """A 'Deleted document "a.pdf" (manual).' line in each device's history, for documents
    deleted in the admin away from their device's page (their list, their own page)."""
    changelog.device_history_log(
        actor=actor,
        entries=[
            changelog.Entry(document.device, f"Deleted {document_named(document)}.")
            for document in documents
        ],
    )
