"""What a raw file really is, before it is read as CSV: compressed, a workbook, old-Mac text.

Agencies send what their tools save: a gzip- or zip-compressed export, a spreadsheet saved under
a ``.csv``-like name, text with carriage-return-only line endings (classic Mac OS, some
mainframe exports). :func:`prepare` looks at the file's first bytes (never its name) and either
returns the file to read as it is, writes a plain CSV copy into the scratch folder (decompressed,
line endings normalized) or raises :class:`~pipelines.ingest.reader.FileRejectedError` with what
the clerk should do. The ledger still records the raw file's own SHA-256 and size.
"""

from __future__ import annotations

import codecs
import gzip
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

from pipelines.ingest.files import FileFacts, scan
from pipelines.ingest.reader import FileRejectedError

EXCEL_WORKBOOK = "this is an Excel workbook: save it as CSV (UTF-8)"
"""Why a workbook is refused. No spreadsheet library is installed; a clerk's export is one click."""

_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"
_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # legacy .xls (and other Office) compound files
_HEAD = 64 * 1024
_CHUNK = 4 * 1024 * 1024


def _copy_cr_as_lf(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` with each bare carriage return turned into a line feed."""
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(_CHUNK):
            writer.write(chunk.replace(b"\r", b"\n"))


def _only_cr_line_endings(head: bytes) -> bool:
    return b"\r" in head and b"\n" not in head


def _zip_member(path: Path, target: Path) -> None:
    """Extract the one file of a zip archive to ``target``; refuse workbooks and bundles."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [info for info in archive.infolist() if not info.is_dir()]
            listed = {info.filename for info in names}
            if "[Content_Types].xml" in listed or any(n.startswith("xl/") for n in listed):
                raise FileRejectedError(EXCEL_WORKBOOK)
            if len(names) != 1:
                raise FileRejectedError(
                    f"a zip archive holding {len(names)} files: unzip it into the folder "
                    "(one CSV file per export)"
                )
            with archive.open(names[0]) as member, target.open("wb") as writer:
                shutil.copyfileobj(member, writer, _CHUNK)
    except zipfile.BadZipFile as error:
        raise FileRejectedError(
            "a damaged or incomplete zip archive: copy the export again"
        ) from error


def _gunzip(path: Path, target: Path) -> None:
    try:
        with gzip.open(path, "rb") as member, target.open("wb") as writer:
            shutil.copyfileobj(member, writer, _CHUNK)
    except (gzip.BadGzipFile, EOFError) as error:
        raise FileRejectedError(
            "a damaged or incomplete gzip file: copy the export again"
        ) from error


def prepare(facts: FileFacts, scratch: Path, number: int) -> FileFacts:
    """The facts of the plain CSV text to read for the raw file of ``facts``.

    ``number`` makes the scratch file names unique within one ingest. Returns ``facts`` itself
    for an ordinary text file; otherwise facts whose ``path`` is a prepared copy in ``scratch``
    (its line count, encoding of the copy) but whose ``sha256`` and ``size`` are the raw file's.
    Raises :class:`FileRejectedError` for workbooks, archives of several files, damaged archives
    and other binary files.
    """
    if facts.size == 0 or facts.encoding == "utf-16":
        return facts  # recognize() says what is wrong with these.
    with facts.path.open("rb") as handle:
        head = handle.read(_HEAD)
    source = facts.path
    if head.startswith(_OLE2):
        raise FileRejectedError(EXCEL_WORKBOOK)
    if head.startswith(_GZIP) or head.startswith(_ZIP):
        unpacked = scratch / f"unpacked-{number}.csv"
        (_gunzip if head.startswith(_GZIP) else _zip_member)(source, unpacked)
        with unpacked.open("rb") as handle:
            head = handle.read(_HEAD)
        if head.startswith((_ZIP, _GZIP, _OLE2)):
            raise FileRejectedError(
                "an archive inside an archive: unzip it into the folder as a CSV file"
            )
        source = unpacked
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRejectedError(
            "this is not a text file (it holds binary data): export it as CSV (UTF-8)"
        )
    if _only_cr_line_endings(head):
        normalized = scratch / f"lines-{number}.csv"
        _copy_cr_as_lf(source, normalized)
        source = normalized
    if source == facts.path:
        return facts
    return replace(scan(source), sha256=facts.sha256, size=facts.size)
