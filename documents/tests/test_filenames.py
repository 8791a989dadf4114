"""documents.filenames: the client's filename is display text, never a path."""

from urllib.parse import unquote

import pytest

from documents import storage
from documents.filenames import content_disposition, display_filename, download_filename


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("manual.pdf", "manual.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\x.png", "x.png"),
        ("/etc/shadow.txt", "shadow.txt"),
        ("C:\\Windows\\system32\\calc.pdf", "calc.pdf"),
        ("C:evil.pdf", "evil.pdf"),
        ("evil\x00.pdf", "evil.pdf"),
        ("\x00.pdf", "document.pdf"),  # only an extension: a name a saved download hides
        ("..pdf", "document.pdf"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # a right-to-left override removed
        ("  spaced.pdf  ", "spaced.pdf"),
        ("..", "document"),
        ("../", "document"),
        ("", "document"),
        (None, "document"),
        ("Übersicht – 日本.pdf", "Übersicht – 日本.pdf"),
        ("U\u0308bersicht.pdf", "Übersicht.pdf"),  # NFC
        # a browser's multipart file name (WHATWG): '"' sent as %22, CR and LF as %0D, %0A
        ("Devis %22final%22 n°3.pdf", 'Devis "final" n°3.pdf'),
        ("two%0D%0Alines.txt", "twolines.txt"),
    ],
)
def test_display_filename_keeps_only_a_harmless_last_component(sent, kept):
    assert display_filename(sent) == kept


def test_display_filename_shortens_to_255_characters_keeping_the_extension():
    name = display_filename("a" * 400 + ".pdf")
    assert len(name) == 255 and name.endswith("a.pdf")
    assert len(display_filename("b" * 400)) == 255


def test_ascii_names_are_sent_as_a_quoted_filename():
    assert content_disposition("manual v2.pdf") == 'attachment; filename="manual v2.pdf"'


def test_a_percent_sign_gets_the_exact_name_too():
    """Browsers percent-decode a plain filename: "%41%2e%2e.txt" was saved as "A...txt"."""
    assert content_disposition("%41%2e%2e.txt") == (
        "attachment; filename=\"%41%2e%2e.txt\"; filename*=UTF-8''%2541%252e%252e.txt"
    )


def test_quotes_and_backslashes_never_break_out_of_the_quoted_string():
    header = content_disposition('a"b\\c.pdf')
    assert header.startswith("attachment; filename=\"a_b_c.pdf\"; filename*=UTF-8''")
    assert unquote(header.split("filename*=UTF-8''")[1]) == 'a"b\\c.pdf'


def test_non_ascii_names_get_an_ascii_fallback_and_the_exact_name_per_rfc_5987():
    header = content_disposition("Übersicht – 日本.pdf")
    assert header == (
        "attachment; filename=\"Ubersicht .pdf\"; filename*=UTF-8''"
        "%C3%9Cbersicht%20%E2%80%93%20%E6%97%A5%E6%9C%AC.pdf"
    )
    assert content_disposition("日本.pdf").startswith('attachment; filename="document.pdf";')


@pytest.mark.parametrize(
    ("name", "kind", "downloaded"),
    [
        ("report.html", storage.TEXT, "report.html.txt"),
        ("notes.txt", storage.TEXT, "notes.txt"),
        ("boot.LOG", storage.TEXT, "boot.LOG"),  # any extension of the type, in any case
        ("README", storage.TEXT, "README.txt"),
        ("scan.pdf", storage.PNG, "scan.pdf.png"),
        ("photo.jpeg", storage.JPEG, "photo.jpeg"),
        ("photo.exe", storage.JPEG, "photo.exe.jpg"),
        ("trailing.", storage.PDF, "trailing.pdf"),
        ("x" * 250 + ".html", storage.TEXT, "x" * 250 + ".txt"),  # 255 at most
    ],
)
def test_a_download_name_ends_in_an_extension_of_the_sniffed_type(name, kind, downloaded):
    assert download_filename(name, extension=kind.extension, extensions=kind.extensions) == (
        downloaded
    )
