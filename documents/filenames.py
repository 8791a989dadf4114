"""The client's filename: kept for display and downloads only, never in a filesystem path."""

import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME_LENGTH = 255  # Document.original_filename
FALLBACK_STEM = "document"
# Control, format (e.g. U+202E, which turns "cod.exe" into "exe.doc" on screen), surrogate,
# private-use, unassigned and line/paragraph separator characters.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_MAX_EXTENSION = 16


def display_filename(name: str | None) -> str:
    """The last path component of `name`, without invisible or control characters, at most 255
    characters (the extension kept); "document" when nothing is left, "document.pdf" when only
    an extension is (`\\0.pdf` was stored as `.pdf`, a name a saved download hides)."""
    # a form's file name as browsers (and curl -F) send it: `"` as %22, CR and LF as %0D, %0A
    # (WHATWG's multipart encoding; 'Devis "final".pdf' was stored as 'Devis %22final%22.pdf')
    name = (name or "").replace("%22", '"').replace("%0D", "").replace("%0A", "")
    name = unicodedata.normalize("NFC", name)
    name = _SEPARATORS.split(name)[-1]
    name = _DRIVE.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = name.strip()
    if name.strip(".") == "":
        return FALLBACK_STEM
    stem, dot, extension = name.rpartition(".")
    if dot and not stem.strip(". "):
        name = f"{FALLBACK_STEM}.{extension}"
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= _MAX_EXTENSION:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name


def download_filename(name: str, *, extension: str, extensions: frozenset[str]) -> str:
    """`name` when its extension is one of `extensions` (those of the sniffed type), else
    `name.<extension>`: a saved download opens as what it is, never as what its name claims
    (`report.html` stored as text saves as `report.html.txt`, not as a page a browser runs)."""
    stem, dot, own = name.rpartition(".")
    if dot and own.lower() in extensions:
        return name
    name = name[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip(". ") or FALLBACK_STEM
    return f"{name}.{extension}"


def content_disposition(filename: str, *, disposition: str = "attachment") -> str:
    """`attachment` (or `inline`) with the filename per RFC 6266: a quoted ASCII `filename`,
    plus `filename*=UTF-8''…` (RFC 5987) with the exact name when it is not plain ASCII, or holds
    a `%` (browsers percent-decode a plain `filename`: `%41.txt` was saved as `A.txt`). A file
    shown inline is saved from the tab under that name."""
    if disposition not in ("attachment", "inline"):
        raise ValueError(f"disposition: attachment or inline, not {disposition!r}")
    ascii_name = _ascii_fallback(filename)
    header = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != filename or "%" in filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def _ascii_fallback(filename: str) -> str:
    decomposed = unicodedata.normalize("NFKD", filename)
    ascii_name = decomposed.encode("ascii", "ignore").decode("ascii")
    # Inside a quoted-string: printable ASCII only, and no quote or backslash to escape.
    ascii_name = re.sub(r'[^\x20-\x7e]|["\\]', "_", ascii_name)
    ascii_name = re.sub(r" +", " ", ascii_name).strip()
    stem, dot, extension = ascii_name.rpartition(".")
    if not ascii_name.strip("._ ") or (dot and not stem.strip("._ ")):
        ascii_name = FALLBACK_STEM + (f".{extension}" if dot and extension else "")
    return ascii_name
