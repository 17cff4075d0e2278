"""Publish the marts atomically: Parquet files plus ``analyst.duckdb``, views over them.

Every table is first written completely into a hidden staging folder inside ``marts/`` (same
filesystem), flushed to disk, and only then renamed over its published file: a rename is atomic,
so a reader sees the old table or the new one, never half of one, and a run that fails before
the renames leaves every previous mart untouched. ``analyst.duckdb`` is built the same way under
a temporary name; the pipeline holds it open only while building that copy.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipelines.ingest.checks_sql import sql_string
from pipelines.ingest.reader import quote_identifier
from pipelines.warehouse import read_sql, run_script

PACKAGE = "pipelines.marts"
_STAGING_PREFIX = ".publish-"


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_stale_staging(marts_dir: Path) -> None:
    """Drop what a crashed earlier publish left behind (never a published file)."""
    for leftover in marts_dir.glob(f"{_STAGING_PREFIX}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _build_analyst_db(path: Path, tables: Sequence[str], marts_dir: Path) -> None:
    template = read_sql(PACKAGE, "analyst_view.sql")
    conn = duckdb.connect(str(path))
    try:
        for table in tables:
            parquet = (marts_dir / f"{table}.parquet").resolve()
            run_script(
                conn,
                template.replace("{view}", quote_identifier(table)).replace(
                    "{parquet}", sql_string(str(parquet))
                ),
            )
        conn.execute("CHECKPOINT").fetchall()
    finally:
        conn.close()


def publish_marts(
    conn: duckdb.DuckDBPyConnection, tables: Sequence[str], marts_dir: Path
) -> dict[str, Path]:
    """Write ``marts.<table>`` for each table to ``marts_dir/<table>.parquet``, atomically.

    Then replace ``marts_dir/analyst.duckdb`` by a fresh file of views over the Parquet files
    (absolute paths, so it works from any working directory). Returns the published paths.
    """
    marts_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(marts_dir)
    staging = marts_dir / f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
    staging.mkdir()
    copy_sql = read_sql(PACKAGE, "export_parquet.sql")
    try:
        for table in tables:
            target = staging / f"{table}.parquet"
            run_script(
                conn,
                copy_sql.replace("{table}", quote_identifier(table)),
                {"target": str(target)},
            )
            _fsync(target)
        _fsync(staging)
        published = {}
        for table in tables:
            published[table] = marts_dir / f"{table}.parquet"
            (staging / f"{table}.parquet").replace(published[table])
        # Views are bound when created, so the analysts' file is built once the Parquet files
        # it points to are in place.
        analyst_staging = staging / "analyst.duckdb"
        _build_analyst_db(analyst_staging, tables, marts_dir)
        _fsync(analyst_staging)
        analyst_staging.replace(marts_dir / "analyst.duckdb")
        _fsync(marts_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return published


def is_published(tables: Sequence[str], marts_dir: Path) -> bool:
    """Whether every table's Parquet file and ``analyst.duckdb`` are in ``marts_dir``."""
    names = [f"{table}.parquet" for table in tables] + ["analyst.duckdb"]
    return all((marts_dir / name).is_file() for name in names)
