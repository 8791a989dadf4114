"""A document's type when the person who filed it gave none: guessed from the words of its title
and file name (English, French, German), else from its content (an image is a photo), else
"other". Plain functions: a given type is never passed here, it always wins.
"""

import re

from inventory.folding import fold

from .models import DocType

# Words as folded() writes them (lower case, accents dropped as the searches drop them). A
# word matches a whole word of the name, or the word with a plural "s"; a German one anywhere
# in a word, as compounds hold it ("Benutzerhandbuch", "Stromrechnung", "Garantieschein").
# Two words match side by side.
_WORDS = {
    DocType.INVOICE: ("invoice", "facture"),
    DocType.MANUAL: ("manual", "manuel", "guide", "handbook"),
    DocType.WARRANTY: ("warranty", "warranties", "guarantee"),
    DocType.DATASHEET: ("datasheet", "data sheet", "spec sheet", "fiche technique"),
}
_GERMAN = {
    DocType.INVOICE: ("rechnung",),
    DocType.MANUAL: ("handbuch", "anleitung"),
    # "garantie" is French too; "gewährleistung" written with ä or ae
    DocType.WARRANTY: ("garantie", "gewahrleistung", "gewaehrleistung"),
    DocType.DATASHEET: ("datenblatt",),
}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[a-z]+")


def folded(text: str) -> list[str]:
    """The words of `text`, lower case, without accents: "UserGuide_Gewährleistung-2024.pdf"
    → user, guide, gewahrleistung, pdf."""
    return _WORD.findall(fold(_CAMEL.sub(" ", text)).lower())


def _word_type(words: list[str], at: int) -> str | None:
    word = words[at]
    pair = " ".join(words[at : at + 2])
    for doc_type, said in _WORDS.items():
        if pair in said or word in said or (word.endswith("s") and word[:-1] in said):
            return doc_type
    for doc_type, said in _GERMAN.items():
        if any(german in word for german in said):
            return doc_type
    return None


def doc_type_guess(*, title: str, filename: str, mime_type: str) -> str:
    """The type of a document filed without one: the first word of its title, then of its file
    name, that names a type; else a photo for an image; else other."""
    for text in (title, filename):
        words = folded(text or "")
        for at in range(len(words)):
            doc_type = _word_type(words, at)
            if doc_type:
                return doc_type
    if mime_type.startswith("image/"):
        return DocType.PHOTO
    return DocType.OTHER
