"""The ingest ledger: one row per raw file with what became of it, and the warehouse schema.

Results of this run (:class:`FileResult`, :class:`SourceSummary`) are written to
``ingest_ledger`` together with the removal of whatever earlier versions of the same files left,
so a changed file replaces its rows instead of adding to them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from pipelines.ingest.files import FileFacts
from pipelines.warehouse import fetch_all, read_sql, run_script

PACKAGE = "pipelines.ingest"

UNREADABLE = "unreadable: "
"""How the ledger's error message of a file that could not be read (an I/O error) begins."""

FILE_LEVEL_REASONS: tuple[str, ...] = (
    "unknown school",
    "lost leading zeros",
    "scientific notation",
    "missing required value",
)
"""Reject reasons that, for most of a file's records, point to the whole file (a roster year
missing, a column a spreadsheet mangled or an export left empty): the ``data_complete`` check
then blocks publication instead of publishing marts without that file."""


@dataclass(frozen=True)
class FileResult:
    """What happened to one file in this run."""

    path: str
    status: str
    """``loaded``, ``skipped`` (unchanged since it was loaded), ``failed``, ``removed`` or
    ``quarantined`` (set aside by the evaluator in the quarantine folder: never read)."""
    layout: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None
    seconds: float = 0.0
    facts: FileFacts | None = field(default=None, repr=False)
    delimiter: str | None = None
    rows_set_aside: int | None = None
    """Quarantined files: the records the file holds (``None`` when it cannot be counted)."""


@dataclass
class SourceSummary:
    """Every file of one raw folder in this run, for the asset's metadata."""

    source: str
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    reject_reasons: list[tuple[str, int]] = field(default_factory=list)
    """The most frequent reasons of this source's rejects in the warehouse, with counts."""

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.files)

    def metadata(self) -> dict[str, object]:
        """Counts of this run (skipped files add no rows)."""
        return {
            "files_seen": sum(result.status != "removed" for result in self.files),
            "files_loaded": self.count("loaded"),
            "files_skipped": self.count("skipped"),
            "files_failed": self.count("failed"),
            "files_removed": self.count("removed"),
            "files_quarantined": self.count("quarantined"),
            "rows_read": sum(result.rows_read for result in self.files),
            "rows_loaded": sum(result.rows_loaded for result in self.files),
            "rows_rejected": sum(result.rows_rejected for result in self.files),
            "reject_reasons": ", ".join(f"{reason} {rows}" for reason, rows in self.reject_reasons)
            or "none",
            "seconds": round(self.seconds, 3),
        }


def record_results(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    results: Sequence[FileResult],
    context_version: str | None,
) -> None:
    """Insert the ledger rows of ``results`` (within the caller's transaction)."""
    run_script(
        conn,
        read_sql(PACKAGE, "record_files.sql"),
        {
            "source": source,
            "paths": [r.path for r in results],
            "sha256s": [r.facts.sha256 if r.facts else None for r in results],
            "sizes": [r.facts.size if r.facts else None for r in results],
            "encodings": [r.facts.encoding if r.facts else None for r in results],
            "delimiters": [r.delimiter for r in results],
            "layouts": [r.layout for r in results],
            "rows_read": [r.rows_read for r in results],
            "rows_loaded": [r.rows_loaded for r in results],
            "rows_rejected": [r.rows_rejected for r in results],
            "statuses": [r.status for r in results],
            "error_messages": [r.error for r in results],
            "rows_set_aside": [r.rows_set_aside for r in results],
            "context_version": context_version,
            "ingested_at": datetime.now(UTC).replace(tzinfo=None),
            "seconds": [r.seconds for r in results],
        },
    )


def replace_in_ledger(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    results: Sequence[FileResult],
    context_version: str | None,
) -> None:
    """Forget what the files left earlier and record these results, in one transaction."""
    conn.begin()
    run_script(conn, read_sql(PACKAGE, "forget_files.sql"), {"paths": [r.path for r in results]})
    record_results(conn, source, results, context_version)
    conn.commit()


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the ingest tables if this warehouse does not have them yet.

    A warehouse built with another version of the schema is emptied first: it only holds what
    derives from the raw files, so the ingest rebuilds it (every file is then new to it).
    """
    schema = read_sql(PACKAGE, "schema.sql")
    version = hashlib.sha256(schema.encode()).hexdigest()
    statements = conn.extract_statements(read_sql(PACKAGE, "schema_version.sql"))
    run_script(conn, statements[0].query)
    found = fetch_all(conn, statements[1].query)
    if found != [(version,)]:
        conn.begin()
        run_script(conn, read_sql(PACKAGE, "drop_warehouse.sql"), {"version": version})
        run_script(conn, schema)
        conn.commit()
