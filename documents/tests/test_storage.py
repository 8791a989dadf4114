"""documents.storage: what is accepted by content, and how uploads are spooled and stored."""

import hashlib

import pytest

from documents import storage

from . import files

UNRECOGNISED = storage.MSG_UNSUPPORTED.format(kind="unrecognised binary data")


def kind_of(content: bytes) -> storage.FileKind:
    with storage.spool([content], max_bytes=len(content) + 1) as spooled:
        return spooled.kind


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (files.pdf_bytes(), storage.PDF),
        (files.png_bytes(), storage.PNG),
        (files.JPEG, storage.JPEG),
        (files.WEBP, storage.WEBP),
        (files.gif_bytes(), storage.GIF),
        (files.TEXT, storage.TEXT),
        (b"\xef\xbb\xbfnotes with a BOM\n", storage.TEXT),
        # text whose first letters are some binary format's magic is still text
        (b"BMW service booklet, page 2\n", storage.TEXT),
        (b"GIFs of the rack\n", storage.TEXT),
        (b"ID3 tags are for music\n", storage.TEXT),
        (b"price < 100 EUR, see <https://example.com>\n", storage.TEXT),
    ],
    ids=["pdf", "png", "jpeg", "webp", "gif", "text", "bom", "bm", "gif-word", "id3", "lt"],
)
def test_accepted_kinds_are_recognised_by_content(content, kind):
    assert kind_of(content) is kind


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (files.pe_bytes(), storage.MSG_EXECUTABLE.format(kind="Windows PE")),
        (files.elf_bytes(), storage.MSG_EXECUTABLE.format(kind="ELF")),
        (files.macho_bytes(), storage.MSG_EXECUTABLE.format(kind="Mach-O")),
        (files.SHELL, storage.MSG_SCRIPT),
        (b"\xef\xbb\xbf#!/usr/bin/env python3\nprint(1)\n", storage.MSG_SCRIPT),
        (files.HTML, storage.MSG_MARKUP),
        (b"\n  <html><body>hi</body></html>", storage.MSG_MARKUP),
        (files.SVG, storage.MSG_MARKUP),
        (b"<svg onload=alert(1)>", storage.MSG_MARKUP),
        (b"<?xml version='1.0'?><a/>", storage.MSG_MARKUP),
        # markup by its first character, though it names no element of the markers
        (b"<img src=x onerror=alert(1)>", storage.MSG_MARKUP),
        (b"Dear reader,\n<script>alert(1)</script>\n", storage.MSG_MARKUP),
        (b"%!PS-Adobe-3.0\n", storage.MSG_UNSUPPORTED.format(kind="PostScript")),
        (files.zip_bytes(), storage.MSG_UNSUPPORTED.format(kind="application/zip")),
        (b"\x00\x01\x02\x03binary", UNRECOGNISED),
        (b"latin-1 \xe9t\xe9\n", UNRECOGNISED),
        (b"text with a NUL\x00 byte", UNRECOGNISED),
        # UTF-8 cut short in its last character is no valid UTF-8
        (b"caf\xc3", UNRECOGNISED),
    ],
    ids=[
        "pe",
        "elf",
        "macho",
        "shell",
        "bom-shebang",
        "html",
        "html-after-space",
        "svg",
        "svg-bare",
        "xml",
        "img",
        "script-later",
        "postscript",
        "zip",
        "binary",
        "latin1",
        "nul",
        "cut-utf8",
    ],
)
def test_refused_kinds_say_why(content, message):
    with pytest.raises(storage.UnsupportedContent) as refused:
        kind_of(content)
    assert str(refused.value) == message


def test_a_text_invalid_only_in_its_last_chunk_is_refused():
    chunks = [b"a" * 70_000, b"b" * 70_000, b"\xff"]
    with pytest.raises(storage.UnsupportedContent), storage.spool(chunks, max_bytes=10**6):
        pass


def test_a_utf8_character_split_across_chunks_is_still_text():
    encoded = "Übersicht".encode()
    chunks = [b"x" * 10 + encoded[:1], encoded[1:]]
    with storage.spool(chunks, max_bytes=100) as spooled:
        assert spooled.kind is storage.TEXT


def test_an_empty_upload_is_refused():
    with pytest.raises(storage.UnsupportedContent, match="empty"), storage.spool([], max_bytes=10):
        pass


def test_spool_hashes_counts_and_keeps_the_exact_bytes():
    content = files.pdf_bytes()
    chunks = [content[i : i + 7] for i in range(0, len(content), 7)]
    with storage.spool(chunks, max_bytes=len(content)) as spooled:
        assert spooled.sha256 == hashlib.sha256(content).hexdigest()
        assert spooled.size_bytes == len(content)
        assert spooled.file.read() == content


def test_spool_stops_reading_at_the_first_chunk_past_the_limit():
    consumed = []

    def chunks():
        for _ in range(1000):
            consumed.append(1)
            yield b"x" * 1024

    with pytest.raises(storage.UploadTooLarge) as refused, storage.spool(chunks(), max_bytes=4096):
        pass
    assert len(consumed) == 5
    assert str(refused.value) == storage.MSG_TOO_LARGE.format(limit="0.00390625 MB")


def test_a_file_exactly_at_the_limit_is_accepted():
    content = b"y" * 2048
    with storage.spool([content], max_bytes=2048) as spooled:
        assert spooled.size_bytes == 2048


def test_stored_names_are_the_hash_with_a_fan_out_directory_and_the_sniffed_extension():
    digest = hashlib.sha256(b"x").hexdigest()
    assert storage.stored_name(digest, storage.JPEG) == f"{digest[:2]}/{digest}.jpg"


def test_put_replaces_a_truncated_copy_and_keeps_an_intact_one(upload_dir):
    content = files.png_bytes()
    name = storage.stored_name(hashlib.sha256(content).hexdigest(), storage.PNG)
    path = upload_dir / name
    path.parent.mkdir(parents=True)
    path.write_bytes(content[:10])  # a write cut short by a crash

    with storage.spool([content], max_bytes=10**6) as spooled:
        assert storage.put(name, spooled.file, size_bytes=spooled.size_bytes) is True
        assert path.read_bytes() == content
        assert storage.put(name, spooled.file, size_bytes=spooled.size_bytes) is False
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
