"""Raw files on disk: which ones exist, their fingerprint and encoding, a UTF-8 copy if needed.

One streaming pass per file computes everything the ledger and the reader need (SHA-256, size,
byte-order mark, line count), so even a multi-gigabyte export is read once before DuckDB
parses it.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

SOURCES: tuple[str, ...] = ("rosters", "program", "activity", "assessments")
"""The raw folders, in the order they are ingested (later ones are checked against rosters)."""

QUARANTINE = "quarantine"
"""Folder of the raw folder where the evaluator sets files aside: ``quarantine/<source>/...``."""

_CHUNK = 4 * 1024 * 1024
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
WINDOWS_1252 = "windows-1252"


@dataclass(frozen=True)
class FileFacts:
    """What one pass over a raw file learned."""

    path: Path
    sha256: str
    size: int
    encoding: str
    """``utf-8``, ``utf-8-sig`` (with a byte-order mark), ``windows-1252`` or ``utf-16``."""
    lines: int
    """Physical lines (a last line without a line break counts too)."""


def discover(source_dir: Path) -> list[Path]:
    """Every regular file under ``source_dir`` (recursively), hidden files excluded, sorted."""
    if not source_dir.is_dir():
        return []
    return sorted(
        path
        for path in source_dir.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(source_dir).parts)
    )


def scan_all(paths: list[Path]) -> list[FileFacts | OSError]:
    """:func:`scan` every file, on as many threads as cores (hashing releases the GIL); an
    unreadable file gives its ``OSError`` in its place."""

    def scan_or_error(path: Path) -> FileFacts | OSError:
        try:
            return scan(path)
        except OSError as error:
            return error

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(scan_or_error, paths))


def scan(path: Path) -> FileFacts:
    """Hash the file, measure it and look at its byte-order mark in one streaming pass.

    The encoding is taken from the byte-order mark (UTF-8 without one). Whether the text is
    really UTF-8 is left to DuckDB, which checks every cell it reads and reports the lines that
    are not; the ingest then reads that file again as Windows-1252 (see :func:`write_utf8_copy`).
    Decoding here would cost more than hashing.
    """
    digest = hashlib.sha256()
    size = newlines = 0
    last = b""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(_UTF16_BOMS):
            return FileFacts(path, "", 0, "utf-16", 0)
        handle.seek(0)
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    encoding = UTF8_BOM if head.startswith(_UTF8_BOM) else UTF8
    lines = newlines + (1 if last not in (b"", b"\n") else 0)
    return FileFacts(path, digest.hexdigest(), size, encoding, lines)


def _windows_1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Decode the bytes UTF-8 rejected as Windows-1252 (Latin-1 for its 5 unused bytes)."""
    text = []
    for byte in error.object[error.start : error.end]:
        try:
            text.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            text.append(chr(byte))
    return "".join(text), error.end


codecs.register_error("partner_impact_cp1252", _windows_1252_fallback)


def decode_text(data: bytes) -> str:
    """Text of raw bytes: UTF-8 where valid, Windows-1252 for the bytes that are not."""
    return data.decode(UTF8, errors="partner_impact_cp1252")


def write_utf8_copy(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` re-encoded as UTF-8, streaming, line endings untouched.

    Each undecodable byte is read as Windows-1252, so a file that is Windows-1252 throughout and
    a UTF-8 file with a few Windows-1252 names both come out right.
    """
    decoder = codecs.getincrementaldecoder(UTF8)(errors="partner_impact_cp1252")
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(_CHUNK):
            writer.write(decoder.decode(chunk).encode(UTF8))
        writer.write(decoder.decode(b"", final=True).encode(UTF8))
