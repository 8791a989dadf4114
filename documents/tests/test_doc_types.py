"""The type a document filed without one is given: words of its title and name, else its content."""

import pytest

from documents import storage
from documents.doc_types import doc_type_guess


@pytest.mark.parametrize(
    ("title", "filename", "kind", "expected"),
    [
        # the words, in English, French and German, whatever their case and accents
        ("", "invoice-2024-118.pdf", storage.PDF, "invoice"),
        ("", "Facture_FR-0042.pdf", storage.PDF, "invoice"),
        ("", "Stromrechnung März.pdf", storage.PDF, "invoice"),
        ("", "HP_EliteDesk_800_G6_User_Guide.pdf", storage.PDF, "manual"),
        ("", "UserGuide.pdf", storage.PDF, "manual"),
        ("", "Manuel d'utilisation.pdf", storage.PDF, "manual"),
        ("", "Benutzerhandbuch.pdf", storage.PDF, "manual"),
        ("", "Quick Start Guides.pdf", storage.PDF, "manual"),
        ("", "warranty-certificate.pdf", storage.PDF, "warranty"),
        ("", "Certificat de garantie.pdf", storage.PDF, "warranty"),
        ("", "Garantieschein.pdf", storage.PDF, "warranty"),
        ("", "GEWÄHRLEISTUNG.pdf", storage.PDF, "warranty"),
        ("", "Gewaehrleistung.txt", storage.TEXT, "warranty"),
        ("", "ST4000VN008 data sheet.pdf", storage.PDF, "datasheet"),
        ("", "Datenblatt.pdf", storage.PDF, "datasheet"),
        # an image named by none of them is a photo; anything else, other
        ("", "IMG_20240301_1022.jpg", storage.JPEG, "photo"),
        ("", "front.png", storage.PNG, "photo"),
        ("", "scan0001.pdf", storage.PDF, "other"),
        ("", "notes.txt", storage.TEXT, "other"),
        # words win over the content (a scanned invoice), the title over the file name
        ("", "facture-scan.jpg", storage.JPEG, "invoice"),
        ("Invoice 2024-07", "scan0001.pdf", storage.PDF, "invoice"),
        ("Rechnung", "user-guide.pdf", storage.PDF, "invoice"),
        ("Rack photo", "IMG_1.jpg", storage.JPEG, "photo"),
        # a word inside another English or French one is not that word
        ("", "manually-cleaned.pdf", storage.PDF, "other"),
        ("", "guided-tour.png", storage.PNG, "photo"),
    ],
)
def test_a_type_is_guessed_from_the_words_then_the_content(title, filename, kind, expected):
    assert doc_type_guess(title=title, filename=filename, mime_type=kind.mime_type) == expected
