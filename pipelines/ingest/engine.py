"""Ingest every file of one raw folder into the warehouse.

For each file: fingerprint it, skip it when the ledger already holds this content (checked
against the same rosters), else recognize its layout from the header. Files of the same layout
and header are then parsed together with DuckDB, validated in SQL, and replace whatever earlier
versions of them left in the warehouse, in one transaction per batch. A file that cannot be
loaded (empty, unknown layout, ...) is recorded as ``failed`` in the ledger with a message
naming the problem; the other files still load: whatever goes wrong while reading or parsing one
file (a compressed or binary file, broken quoting, a parser error) becomes that file's ledger
entry, never an error of the whole source. A file that could not be *read* (it vanished,
permissions, a failing disk or share) is failed too, its message starting with
:data:`UNREADABLE`: that is not a data problem, and the ``files_readable`` check stops the run
rather than publish marts without the file's rows. Files the evaluator moved into the quarantine
folder (``data/raw/quarantine/<source>/``) are never read: the ledger lists them as
``quarantined`` with the number of records they hold.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import duckdb

from pipelines.ingest import assessments
from pipelines.ingest.containers import prepare
from pipelines.ingest.files import (
    QUARANTINE,
    UTF8,
    UTF8_BOM,
    WINDOWS_1252,
    FileFacts,
    discover,
    scan_all,
    write_utf8_copy,
)
from pipelines.ingest.ledger import (
    UNREADABLE,
    FileResult,
    SourceSummary,
    ensure_schema,
    record_results,
    replace_in_ledger,
)
from pipelines.ingest.reader import (
    BatchFile,
    FileRejectedError,
    column_identifiers,
    count_records,
    read_batch,
)
from pipelines.ingest.recognize import Layout, RecognizedFile, recognize, sanitize_message
from pipelines.ingest.validation_sql import (
    generic_problem_sql,
    header_lookup,
    table_parameters,
    table_projections,
)
from pipelines.layouts import ASSESSMENT_LAYOUTS, SYSTEM_TOTAL_SCHOOL_CODE, AssessmentLayout
from pipelines.warehouse import fetch_all, read_sql, run_script

PACKAGE = "pipelines.ingest"
BATCH_BYTES = 1 << 30
"""Files are read together up to about this many bytes (memory stays bounded)."""
TOP_REASONS = 5
"""How many reject reasons per source the run summary names."""

Log = Callable[[str], None]


def failure_message(error: BaseException) -> str:
    """What a clerk reads in the ledger when reading or parsing one file failed.

    I/O errors start with :data:`UNREADABLE` (the file is fine, the disk or share is not);
    parser errors say the file could not be read as CSV. Digit runs are masked, only the first
    line is kept, so no data value is quoted.
    """
    if isinstance(error, FileRejectedError):
        return str(error)
    message = sanitize_message(str(error))
    # DuckDB reads the raw files itself: its I/O errors are the file's, as Python's are.
    if isinstance(error, OSError | duckdb.IOException):
        return f"{UNREADABLE}{message}"
    return f"could not be read as CSV ({message}): check the file opens in a text editor"


class _NotUtf8Error(Exception):
    """Files of a batch whose cells DuckDB found not to be UTF-8: read them as Windows-1252."""

    def __init__(self, paths: set[str]) -> None:
        super().__init__(f"{len(paths)} file(s) are not UTF-8")
        self.paths = paths


def _batches(pending: list[RecognizedFile]) -> Iterator[list[RecognizedFile]]:
    """Files that can be read in one scan (same layout and header), up to BATCH_BYTES each."""
    groups: dict[tuple[str, str, tuple[str, ...]], list[RecognizedFile]] = {}
    for item in pending:
        key = (item.layout.name, item.header.delimiter, item.header.names)
        groups.setdefault(key, []).append(item)
    for group in groups.values():
        batch: list[RecognizedFile] = []
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


def _load_batch(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    batch: list[RecognizedFile],
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
        not_utf8 = {path for (path,) in fetch_all(conn, read_sql(PACKAGE, "not_utf8.sql"))}
        if not_utf8:
            raise _NotUtf8Error(not_utf8)
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
        record_results(conn, source, results, context_version)
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
    batch: list[RecognizedFile],
    context_version: str | None,
    scratch_dir: Path,
) -> list[FileResult]:
    """Load a batch; if it fails, load its files one by one so that only bad ones fail."""
    started = time.perf_counter()
    try:
        return _load_batch(conn, source, batch, context_version, scratch_dir)
    except _NotUtf8Error as error:
        transcoded = [
            replace(item, facts=replace(item.facts, encoding=WINDOWS_1252))
            if item.path in error.paths
            else item
            for item in batch
        ]
        return _ingest_batch(conn, source, transcoded, context_version, scratch_dir)
    except Exception as error:  # any failure of one file is that file's outcome
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
            error=failure_message(error),
            seconds=time.perf_counter() - started,
            facts=item.facts,
            delimiter=item.header.delimiter,
        )
        replace_in_ledger(conn, source, [result], context_version)
        return [result]


def ingest_source(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    raw_dir: Path,
    log: Log,
    rules_version: str,
    assessment_layouts: Sequence[AssessmentLayout] = ASSESSMENT_LAYOUTS,
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
    pending: list[RecognizedFile] = []
    failed: list[FileResult] = []
    with tempfile.TemporaryDirectory(prefix=".ingest-", dir=raw_dir.parent) as scratch:
        scratch_dir = Path(scratch)
        for number, (path, facts) in enumerate(zip(files, scan_all(files), strict=True)):
            relative = path.relative_to(raw_dir).as_posix()
            if isinstance(facts, OSError):
                message = f"{UNREADABLE}{sanitize_message(str(facts))}"
                failed.append(FileResult(relative, "failed", error=message))
                continue
            known = previous.get(relative)
            if known is not None and known == (facts.sha256, "loaded", context_version):
                summary.files.append(FileResult(relative, "skipped"))
                continue
            try:
                prepared = prepare(facts, scratch_dir, number)
                pending.append(recognize(source, prepared, relative, assessment_layouts))
            except Exception as error:  # the file fails alone, with its reason
                failed.append(
                    FileResult(relative, "failed", error=failure_message(error), facts=facts)
                )
        if failed:
            replace_in_ledger(conn, source, failed, context_version)
        for batch in _batches(pending):
            summary.files.extend(_ingest_batch(conn, source, batch, context_version, scratch_dir))
        set_aside = _quarantined(raw_dir, source, scratch_dir)
    if set_aside:
        replace_in_ledger(conn, source, set_aside, context_version)
        summary.files.extend(set_aside)
    summary.files.extend(failed)
    present = {path.relative_to(raw_dir).as_posix() for path in files}
    present |= {result.path for result in set_aside}
    removed = [
        FileResult(relative, "removed")
        for relative, (_, status, _) in sorted(previous.items())
        if relative not in present and status != "removed"
    ]
    if removed:
        replace_in_ledger(conn, source, removed, None)
        summary.files.extend(removed)
    for result in sorted(summary.files, key=lambda r: r.path):
        if result.status == "failed":
            log(f"{result.path}: failed: {result.error}")
        elif result.status == "removed":
            log(f"{result.path}: removed from the raw folder; its rows were taken out")
        elif result.status == "quarantined":
            held = (
                "an unknown number of" if result.rows_set_aside is None else result.rows_set_aside
            )
            log(f"{result.path}: set aside in the quarantine folder ({held} rows not loaded)")
        elif result.status == "loaded":
            log(
                f"{result.path}: {result.layout}, {result.rows_read} rows read, "
                f"{result.rows_loaded} loaded, {result.rows_rejected} rejected"
            )
    summary.reject_reasons = [
        (reason, rows)
        for reason, rows in fetch_all(
            conn, read_sql(PACKAGE, "reject_reasons.sql"), {"source": source, "top": TOP_REASONS}
        )
    ]
    summary.seconds = time.perf_counter() - started
    return summary


def _quarantined(raw_dir: Path, source: str, scratch_dir: Path) -> list[FileResult]:
    """The files the evaluator set aside under ``quarantine/<source>/``, with their row counts.

    They are never loaded; their records are counted (after decompressing them if needed) so the
    report can say how much was set aside. A file that cannot even be counted says so.
    """
    results = []
    files = discover(raw_dir / QUARANTINE / source)
    for number, (path, facts) in enumerate(zip(files, scan_all(files), strict=True)):
        relative = path.relative_to(raw_dir).as_posix()
        rows: int | None = None
        if isinstance(facts, FileFacts):
            try:
                rows = count_records(prepare(facts, scratch_dir, -1 - number).path)
            except Exception:  # a file that cannot even be counted is still set aside
                rows = None
        results.append(
            FileResult(
                relative,
                "quarantined",
                error="set aside by the evaluator (quarantine folder): not loaded",
                facts=facts if isinstance(facts, FileFacts) else None,
                rows_set_aside=rows,
            )
        )
    return results
