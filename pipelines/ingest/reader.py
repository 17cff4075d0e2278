"""Read raw CSV files into DuckDB: their header, their records with line numbers, bad lines.

DuckDB's CSV reader parses every cell as text (``all_varchar``) with the columns named from the
header (never sniffed), and keeps the lines it cannot split (wrong number of fields, broken
quoting) in a rejects table instead of failing. Files with the same header are read together in
one scan (a batch), which matters when a folder holds hundreds of monthly files. Nothing is
converted here: typing and validation happen in SQL afterwards, where every failure becomes a row
of ``rejects``.

Line numbers are physical lines, as any editor shows them: the header is line 1, blank lines
are skipped but counted, and a record whose quoted value holds line breaks (even blank lines)
moves the records after it down by as many lines. DuckDB numbers records instead (a value
holding a line break does not add a line); files whose physical lines are not all header,
records or bad lines are read once more with Python's CSV reader to place each record.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingest.files import FileFacts, decode_text
from pipelines.warehouse import fetch_all, read_sql, run_script

PACKAGE = "pipelines.ingest"

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
"""Delimiters tried, in order; the first one that splits the header into a known layout wins."""

_HEADER_BYTES = 1024 * 1024

# DuckDB's error types for lines it cannot split, and the reason recorded for them.
_STRUCTURAL_REASONS = {
    "MISSING COLUMNS": "wrong number of fields",
    "TOO MANY COLUMNS": "wrong number of fields",
    "UNQUOTED VALUE": "malformed quoting",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID ENCODING": "invalid encoding",
    "INVALID UNICODE": "invalid encoding",
}


class FileRejectedError(Exception):
    """A problem that stops one file (recorded in the ledger), never the run.

    Messages name the problem; they never quote data values.
    """


@dataclass(frozen=True)
class Header:
    """The header record of a file, as split by ``delimiter``."""

    names: tuple[str, ...]
    delimiter: str


def header_candidates(path: Path) -> list[Header]:
    """The file's first record split by each delimiter in :data:`DELIMITERS`.

    Raises :class:`FileRejectedError` for an empty file.
    """
    with path.open("rb") as handle:
        head = handle.read(_HEADER_BYTES)
    text = decode_text(head).lstrip("\ufeff")
    if not text.strip():
        raise FileRejectedError("the file is empty: no header line")
    candidates = []
    for delimiter in DELIMITERS:
        # newline="": a carriage return inside the header ends it like any line break.
        record = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        candidates.append(Header(tuple(name.strip() for name in record), delimiter))
    return candidates


def column_identifiers(names: Sequence[str]) -> list[str]:
    """Names DuckDB can hold for the header's columns: unique, non-empty, in file order."""
    identifiers: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        candidate = name or f"column_{position}"
        base, suffix = candidate, 2
        while candidate.casefold() in seen:
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        seen.add(candidate.casefold())
        identifiers.append(candidate)
    return identifiers


@dataclass(frozen=True)
class LinePlaces:
    """Where a file's records sit, for those whose physical lines differ from DuckDB's count.

    ``blank`` holds the blank lines in DuckDB's numbering (each record or blank line counts one);
    ``shifts`` the points ``(line, offset)`` from which the physical line is DuckDB's line plus
    ``offset`` (a new point after each record whose values hold line breaks).
    """

    blank: tuple[int, ...]
    shifts: tuple[tuple[int, int], ...]


def line_places(path: Path) -> LinePlaces:
    """Read the UTF-8 CSV file ``path`` once, recording blank lines and multi-line records."""
    blank: list[int] = []
    shifts: list[tuple[int, int]] = []
    offset = 0
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 1 << 31))
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            reader = csv.reader(handle)
            physical_end = 0
            for counted, row in enumerate(reader, start=1):
                start = physical_end + 1
                physical_end = reader.line_num
                if start - counted != offset:
                    offset = start - counted
                    shifts.append((counted, offset))
                if not row:
                    blank.append(counted)
    finally:
        csv.field_size_limit(previous_limit)
    return LinePlaces(tuple(blank), tuple(shifts))


def count_records(path: Path) -> int:
    """Records of the UTF-8 CSV file ``path`` after its header (blank lines not counted)."""
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 1 << 31))
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            return max(0, sum(1 for row in csv.reader(handle) if row) - 1)
    finally:
        csv.field_size_limit(previous_limit)


@dataclass(frozen=True)
class BatchFile:
    """One file of a batch: its ledger path, its facts, and the UTF-8 file DuckDB parses."""

    path: str
    facts: FileFacts
    csv_path: Path


def read_batch(
    conn: duckdb.DuckDBPyConnection,
    files: Sequence[BatchFile],
    header: Header,
    projections: Sequence[str],
) -> None:
    """Parse ``files`` (same header) into the temp relation ``file_rows`` and ``file_bad``.

    ``file_rows`` has ``path``, ``line`` then one column per entry of ``projections`` (SQL
    expressions over the header's columns, e.g. ``nullif(trim("SSID"), '') AS student_id``).
    ``file_bad`` has ``path``, ``line``, ``column_name``, ``reason``, ``detail`` for the lines
    DuckDB could not split (their text is never kept).
    """
    identifiers = column_identifiers(header.names)
    columns = {name: "VARCHAR" for name in identifiers}
    run_script(
        conn,
        read_sql(PACKAGE, "batch_files.sql"),
        {
            "csv_paths": [str(item.csv_path) for item in files],
            "paths": [item.path for item in files],
        },
    )
    run_script(conn, "DROP TABLE IF EXISTS file_reject_errors; DROP TABLE IF EXISTS file_scans;")
    run_script(
        conn,
        read_sql(PACKAGE, "scan_batch.sql").replace("{select_list}", ",\n    ".join(projections)),
        {
            "csv_paths": [str(item.csv_path) for item in files],
            "columns": columns,
            "delimiter": header.delimiter,
        },
    )
    run_script(
        conn,
        read_sql(PACKAGE, "locate_lines.sql"),
        {
            "structural_types": list(_STRUCTURAL_REASONS),
            "structural_reasons": list(_STRUCTURAL_REASONS.values()),
        },
    )
    # A file whose physical lines are all header, records or bad lines has no blank line and no
    # value holding a line break; the others are read once more to place their records.
    by_path = {item.path: item for item in files}
    places: dict[str, LinePlaces] = {}
    for path, records, bad_lines in fetch_all(conn, "SELECT * FROM file_counts"):
        if by_path[path].facts.lines > 1 + records + bad_lines:
            places[path] = line_places(by_path[path].csv_path)
    run_script(
        conn,
        read_sql(PACKAGE, "file_gaps.sql"),
        {
            "blank_paths": [path for path, found in places.items() for _ in found.blank],
            "blank_lines": [line for found in places.values() for line in found.blank],
        },
    )
    gaps = fetch_all(conn, "SELECT count(*) FROM file_gaps")[0][0]
    # The join that shifts line numbers past skipped lines costs seconds on big files: only
    # pay it when a line was skipped.
    numbering = "number_lines.sql" if gaps else "number_lines_no_gaps.sql"
    run_script(conn, read_sql(PACKAGE, numbering))
    shifts = [
        (path, line, offset) for path, found in places.items() for line, offset in found.shifts
    ]
    if shifts:
        run_script(
            conn,
            read_sql(PACKAGE, "physical_lines.sql"),
            {
                "shift_paths": [path for path, _, _ in shifts],
                "shift_lines": [line for _, line, _ in shifts],
                "shift_offsets": [offset for _, _, offset in shifts],
            },
        )
