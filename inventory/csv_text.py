"""A spreadsheet file's text, for the import of devices (inventory.csv_file): the bytes
decoded (UTF-8, with or without its BOM, else Windows-1252 as Excel writes it in Western
Europe), what was uploaded by mistake for a CSV named, and the error a file that cannot be
imported raises, naming the line of each problem."""

import re
from collections.abc import Sequence

MAX_ERRORS = 50  # reported at once: a file wrong on every line is wrong for one reason
MSG_MORE_ERRORS = "... and {count} more errors."

MSG_ENCODING = (
    "The file is not UTF-8 text ({detail}). Save it as CSV UTF-8 (with or without a BOM)."
)
MSG_NOT_CSV = (
    "This is {what}, not a CSV file: a spreadsheet saves one with File › Save as › CSV UTF-8."
)
# what is uploaded for a CSV by mistake, by its first bytes: the workbook itself most of all
NOT_CSV = (
    (b"PK\x03\x04", "a spreadsheet workbook (.xlsx or .ods)"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"),
    (b"%PDF", "a PDF"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    # a backup's archive, or a .csv.gz: its bytes are not the CSV's
    (b"\x1f\x8b", "a gzip-compressed file (a backup's archive, or a .csv.gz to unpack first)"),
)
MSG_WINDOWS_1252 = (
    "The file is not UTF-8: it was read as Windows-1252, as Excel saves a CSV in Western "
    "Europe. If an accent looks wrong below, save it as CSV UTF-8 and import that."
)
# Excel's hint of its separator, a first line "sep=;" that some tools write for it
_EXCEL_HINT = re.compile(r"sep=([,;\t])[ \t]*(?:\r\n|\r|\n)")


class ImportFileError(ValueError):
    """A file that cannot be imported; `errors` name the line of each problem."""

    def __init__(self, errors: Sequence[str]):
        shown = list(errors[:MAX_ERRORS])
        if len(errors) > MAX_ERRORS:
            shown.append(MSG_MORE_ERRORS.format(count=len(errors) - MAX_ERRORS))
        super().__init__("\n".join(shown))
        self.errors = shown


def decoded(data: bytes) -> tuple[str, list[str]]:
    """The file's text, and a note when it was not UTF-8 but read as Windows-1252 (which
    Excel writes in Western Europe, "CSV (séparateur: point-virgule)"): the preview shows
    what was read before anything is written."""
    for magic, what in NOT_CSV:  # "not UTF-8 text (line 1: byte 0x8a)" of a workbook said little
        if data.startswith(magic):
            raise ImportFileError([MSG_NOT_CSV.format(what=what)])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        raise ImportFileError([MSG_ENCODING.format(detail="it is UTF-16")])
    try:
        return data.decode("utf-8-sig"), []  # the BOM spreadsheets write is dropped
    except UnicodeDecodeError as error:
        # a UTF-8 file with a bad byte somewhere ("Łódź" read fine elsewhere) is not
        # Windows-1252: read so, every accent of it would be stored garbled ("Å\x81Ã³dÅº")
        read = data.decode("utf-8", errors="replace")
        if not any(ord(char) > 0x7F and char != "\ufffd" for char in read):
            try:
                return data.decode("cp1252"), [MSG_WINDOWS_1252]
            except UnicodeDecodeError:  # bytes Windows-1252 has no character for
                pass
        line = data[: error.start].count(b"\n") + 1
        detail = f"line {line}: byte 0x{data[error.start]:02x} is not UTF-8"
        raise ImportFileError([MSG_ENCODING.format(detail=detail)]) from None


def _utf16_without_bom(data: bytes) -> bool:
    """Latin text in UTF-16 without its byte order mark: every other byte of its start a NUL,
    which UTF-8 text never has (it read as UTF-8 with NULs: "No hostname column")."""
    head = data[:64]
    return len(head) >= 4 and any(not any(head[start::2]) for start in (0, 1))


def separator_hinted(text: str) -> str | None:
    """The separator a first line "sep=;" names (the columns are named on the next), or None
    without one (it read as the header: "No hostname column")."""
    hint = _EXCEL_HINT.match(text)
    return hint[1] if hint else None
