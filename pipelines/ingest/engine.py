"""Ingest every file of one raw folder into the warehouse.

For each file: fingerprint it, skip it when the ledger already holds this content (checked
against the same rosters), else recognize its layout from the header. Files of the same layout
and header are then parsed together with DuckDB, validated in SQL, and replace whatever earlier
versions of them left in the warehouse, in one transaction per batch. A file that cannot be read
(empty, unknown layout, ...) is recorded as ``failed`` in the ledger with a message naming the
problem; the other files still load.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.ingest import assessments
from pipelines.ingest.checks_sql import (
    generic_problem_sql,
    header_lookup,
    table_parameters,
    table_projections,
)
from pipelines.ingest.files import (
    UTF8,
    UTF8_BOM,
    FileFacts,
    discover,
    scan_all,
    write_utf8_copy,
)
from pipelines.ingest.reader import (
    BatchFile,
    FileRejectedError,
    Header,
    column_identifiers,
    header_candidates,
    read_batch,
)
from pipelines.layouts import (
    ACTIVITY,
    ASSESSMENT_LAYOUTS,
    PROGRAM,
    ROSTERS,
    SYSTEM_TOTAL_SCHOOL_CODE,
    AssessmentLayout,
    TableLayout,
    detect_assessment_layout,
    missing_columns,
)
from pipelines.warehouse import fetch_all, read_sql, run_script

PACKAGE = "pipelines.ingest"
TABLE_LAYOUT_OF_SOURCE: dict[str, TableLayout] = {
    "rosters": ROSTERS,
    "program": PROGRAM,
    "activity": ACTIVITY,
}
BATCH_BYTES = 1 << 30
"""Files are read together up to about this many bytes (memory stays bounded)."""
_SHOWN_COLUMNS = 40

Layout = AssessmentLayout | TableLayout
Log = Callable[[str], None]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file in this run."""

    path: str
    status: str
    """``loaded``, ``skipped`` (unchanged since it was loaded), ``failed`` or ``removed``."""
    layout: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None
    seconds: float = 0.0
    facts: FileFacts | None = field(default=None, repr=False)
    delimiter: str | None = None


@dataclass
class SourceSummary:
    """Every file of one raw folder in this run, for the asset's metadata."""

    source: str
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

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
            "rows_read": sum(result.rows_read for result in self.files),
            "rows_loaded": sum(result.rows_loaded for result in self.files),
            "rows_rejected": sum(result.rows_rejected for result in self.files),
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class _Pending:
    path: str
    facts: FileFacts
    layout: Layout
    header: Header


def sanitize_message(message: str) -> str:
    """First line of an error message, with any long digit run (it could be an id) masked."""
    first_line = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return re.sub(r"\d{5,}", "#####", first_line)


def _describe_header(names: tuple[str, ...]) -> str:
    shown = ", ".join(
        repr(sanitize_message(name) if name else "") for name in names[:_SHOWN_COLUMNS]
    )
    more = f", ... ({len(names)} columns in all)" if len(names) > _SHOWN_COLUMNS else ""
    return f"[{shown}{more}]"


def _closest(layouts: Sequence[Layout], names: tuple[str, ...]) -> str:
    missing = {layout.name: missing_columns(layout, names) for layout in layouts}
    name = min(missing, key=lambda key: len(missing[key]))
    needed = ", ".join(repr(column) for column in missing[name][:10])
    extra = f" and {len(missing[name]) - 10} more" if len(missing[name]) > 10 else ""
    return f"closest layout {name!r} lacks {needed}{extra}"


def choose_layout(source: str, candidates: list[Header]) -> tuple[Layout, Header]:
    """The layout of a ``source`` file and the header split that matched it.

    Raises :class:`FileRejectedError` naming the columns seen when no layout of ``source`` fits.
    """
    layouts: list[Layout]
    if source == "assessments":
        layouts = list(ASSESSMENT_LAYOUTS)
        for header in candidates:
            found = detect_assessment_layout(header.names)
            if found is not None:
                return found, header
    else:
        layouts = [TABLE_LAYOUT_OF_SOURCE[source]]
        for header in candidates:
            if not missing_columns(layouts[0], header.names):
                return layouts[0], header
    seen = max(candidates, key=lambda header: len(header.names))
    raise FileRejectedError(
        f"unknown layout: the header has {len(seen.names)} column(s) "
        f"{_describe_header(seen.names)}; no {source} layout fits "
        f"({_closest(layouts, seen.names)})"
    )


def _prepare(source: str, facts: FileFacts, path: str) -> _Pending:
    if facts.encoding == "utf-16":
        raise FileRejectedError("UTF-16 text is not supported: export the file as UTF-8 CSV")
    if facts.size == 0:
        raise FileRejectedError("the file is empty: no header line")
    layout, header = choose_layout(source, header_candidates(facts.path))
    return _Pending(path, facts, layout, header)


def _batches(pending: list[_Pending]) -> Iterator[list[_Pending]]:
    """Files that can be read in one scan (same layout and header), up to BATCH_BYTES each."""
    groups: dict[tuple[str, str, tuple[str, ...]], list[_Pending]] = {}
    for item in pending:
        key = (item.layout.name, item.header.delimiter, item.header.names)
        groups.setdefault(key, []).append(item)
    for group in groups.values():
        batch: list[_Pending] = []
        size = 0
        for item in group:
            if batch and size + item.facts.size > BATCH_BYTES:
                yield batch
                batch, size = [], 0
            batch.append(item)
            size += item.facts.size
        yield batch


def _validate(conn: duckdb.DuckDBPyConnection, source: str, layout: Layout) -> None:
    if isinstance(layout, AssessmentLayout):
        run_script(conn, assessments.validation_sql(layout), assessments.parameters(layout))
        return
    # A table, not a view: views cannot hold statement parameters.
    run_script(
        conn,
        "CREATE OR REPLACE TEMP TABLE file_checked AS "
        f"SELECT *, {generic_problem_sql(layout)} AS generic_problem FROM file_rows",
        table_parameters(layout),
    )
    run_script(
        conn,
        read_sql(PACKAGE, f"{source}.sql"),
        {"system_total_code": SYSTEM_TOTAL_SCHOOL_CODE, **table_parameters(layout)},
    )


def _record(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    results: Sequence[FileResult],
    context_version: str | None,
) -> None:
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
            "context_version": context_version,
            "ingested_at": datetime.now(UTC).replace(tzinfo=None),
            "seconds": [r.seconds for r in results],
        },
    )


def _replace_in_ledger(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    results: Sequence[FileResult],
    context_version: str | None,
) -> None:
    """Forget what the files left earlier and record these results, in one transaction."""
    conn.begin()
    run_script(conn, read_sql(PACKAGE, "forget_files.sql"), {"paths": [r.path for r in results]})
    _record(conn, source, results, context_version)
    conn.commit()


def _load_batch(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    batch: list[_Pending],
    context_version: str | None,
    scratch_dir: Path,
) -> list[FileResult]:
    started = time.perf_counter()
    layout, header = batch[0].layout, batch[0].header
    lookup = header_lookup(header.names, column_identifiers(header.names))
    if isinstance(layout, AssessmentLayout):
        projections = assessments.projections(layout, lookup)
    else:
        projections = table_projections(layout, lookup)
    members = []
    for number, item in enumerate(batch):
        csv_path = item.facts.path
        if item.facts.encoding not in (UTF8, UTF8_BOM):
            csv_path = scratch_dir / f"utf8-{number}.csv"
            write_utf8_copy(item.facts.path, csv_path)
        members.append(BatchFile(item.path, item.facts, csv_path))
    conn.begin()
    try:
        run_script(conn, read_sql(PACKAGE, "forget_files.sql"), {"paths": [i.path for i in batch]})
        read_batch(conn, members, header, projections)
        _validate(conn, source, layout)
        run_script(conn, read_sql(PACKAGE, "record_rejects.sql"), {"source": source})
        counts = {
            path: (read, rejected)
            for path, read, rejected in fetch_all(conn, read_sql(PACKAGE, "batch_outcome.sql"))
        }
        elapsed = time.perf_counter() - started
        total_bytes = sum(item.facts.size for item in batch) or 1
        results = [
            FileResult(
                item.path,
                "loaded",
                layout.name,
                counts[item.path][0],
                counts[item.path][0] - counts[item.path][1],
                counts[item.path][1],
                seconds=elapsed * item.facts.size / total_bytes,
                facts=item.facts,
                delimiter=header.delimiter,
            )
            for item in batch
        ]
        _record(conn, source, results, context_version)
        conn.commit()
        return results
    except BaseException:
        conn.rollback()
        raise
    finally:
        for member in members:
            if member.csv_path != member.facts.path:
                member.csv_path.unlink(missing_ok=True)


def _ingest_batch(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    batch: list[_Pending],
    context_version: str | None,
    scratch_dir: Path,
) -> list[FileResult]:
    """Load a batch; if it fails, load its files one by one so that only bad ones fail."""
    started = time.perf_counter()
    try:
        return _load_batch(conn, source, batch, context_version, scratch_dir)
    except (OSError, duckdb.Error) as error:
        if len(batch) > 1:
            return [
                result
                for item in batch
                for result in _ingest_batch(conn, source, [item], context_version, scratch_dir)
            ]
        item = batch[0]
        result = FileResult(
            item.path,
            "failed",
            item.layout.name,
            error=sanitize_message(str(error)),
            seconds=time.perf_counter() - started,
            facts=item.facts,
            delimiter=item.header.delimiter,
        )
        _replace_in_ledger(conn, source, [result], context_version)
        return [result]


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


def ingest_source(
    conn: duckdb.DuckDBPyConnection, source: str, raw_dir: Path, log: Log, rules_version: str
) -> SourceSummary:
    """Bring the warehouse up to date with every file under ``raw_dir / source``.

    ``conn`` must have the ``pseudonym()`` SQL function installed. Rosters must be ingested
    before the other sources, whose school codes are checked against them. A file is skipped
    when the ledger holds it loaded with the same content and the same context: the same
    ``rules_version`` (ingest code and pseudonymization key) and, for files checked against
    rosters, the same rosters.
    """
    started = time.perf_counter()
    ensure_schema(conn)
    summary = SourceSummary(source)
    previous = {
        path: (sha256, status, version)
        for path, sha256, status, version in fetch_all(
            conn, read_sql(PACKAGE, "ledger_entries.sql"), {"source": source}
        )
    }
    context_version = rules_version
    if source != "rosters":
        run_script(conn, read_sql(PACKAGE, "roster_schools.sql"))
        rosters = fetch_all(conn, read_sql(PACKAGE, "roster_version.sql"))[0][0]
        context_version = hashlib.sha256(f"{rules_version}\0{rosters}".encode()).hexdigest()
    files = discover(raw_dir / source)
    pending: list[_Pending] = []
    failed: list[FileResult] = []
    for path, facts in zip(files, scan_all(files), strict=True):
        relative = path.relative_to(raw_dir).as_posix()
        if isinstance(facts, OSError):
            message = f"unreadable: {sanitize_message(str(facts))}"
            failed.append(FileResult(relative, "failed", error=message))
            continue
        known = previous.get(relative)
        if known is not None and known == (facts.sha256, "loaded", context_version):
            summary.files.append(FileResult(relative, "skipped"))
            continue
        try:
            pending.append(_prepare(source, facts, relative))
        except FileRejectedError as error:
            failed.append(FileResult(relative, "failed", error=str(error), facts=facts))
        except OSError as error:
            message = f"unreadable: {sanitize_message(str(error))}"
            failed.append(FileResult(relative, "failed", error=message, facts=facts))
    if failed:
        _replace_in_ledger(conn, source, failed, context_version)
    with tempfile.TemporaryDirectory(prefix=".ingest-", dir=raw_dir.parent) as scratch:
        for batch in _batches(pending):
            summary.files.extend(_ingest_batch(conn, source, batch, context_version, Path(scratch)))
    summary.files.extend(failed)
    present = {path.relative_to(raw_dir).as_posix() for path in files}
    removed = [
        FileResult(relative, "removed")
        for relative, (_, status, _) in sorted(previous.items())
        if relative not in present and status != "removed"
    ]
    if removed:
        _replace_in_ledger(conn, source, removed, None)
        summary.files.extend(removed)
    for result in sorted(summary.files, key=lambda r: r.path):
        if result.status == "failed":
            log(f"{result.path}: failed: {result.error}")
        elif result.status == "removed":
            log(f"{result.path}: removed from the raw folder; its rows were taken out")
        elif result.status == "loaded":
            log(
                f"{result.path}: {result.layout}, {result.rows_read} rows read, "
                f"{result.rows_loaded} loaded, {result.rows_rejected} rejected"
            )
    summary.seconds = time.perf_counter() - started
    return summary
