"""Publish a folder of tables atomically: Parquet files plus ``analyst.duckdb``, views over them.

``data/marts`` is a symbolic link to one complete *version* of the folder, kept beside it in
``data/marts_versions/<version>/``. A publication writes every table of a new version (and its
``analyst.duckdb``) completely, flushes it to disk, and only then swaps the link with one
``rename``. A rename is atomic, so readers see the whole previous set of tables or the whole new
one, never half a table and never a mix of old and new tables; a run that fails or is killed at
any point before the swap leaves the published folder exactly as it was (what it left half-built
is removed by the next publication).

Readers need not know any of this: ``data/marts/<table>.parquet`` is an ordinary path for every
engine (pyarrow and pandas, which open a file twice, should read :func:`current_version`'s
folder instead, docs/marts.md). The views of a version's ``analyst.duckdb`` point into that
version's own files, so an analyst's open connection keeps reading one consistent snapshot;
superseded versions are kept for :data:`GRACE` (and the last :data:`KEEP_PREVIOUS` of them in
any case) so those sessions keep working, then removed.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.sql_text import quote_identifier, sql_string
from pipelines.warehouse import read_sql, run_script

PACKAGE = "pipelines.marts"
ANALYST_DB = "analyst.duckdb"
KEEP_PREVIOUS = 2
"""Superseded versions always kept, however old (analysts' open sessions read them)."""
GRACE = timedelta(days=1)
"""A superseded version younger than this (since it was superseded) is kept too."""
_STAGING_PREFIX = ".staging-"
_LINK_PREFIX = ".publish-link-"
_STAMP = "%Y%m%dT%H%M%S.%fZ"


def versions_dir(published: Path) -> Path:
    """Where the versions of the published folder ``published`` live: ``<name>_versions``."""
    return published.parent / f"{published.name}_versions"


def current_version(published: Path) -> Path | None:
    """The version folder ``published`` links to (None if it is not a link)."""
    if not published.is_symlink():
        return None
    return (published.parent / published.readlink()).resolve()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _new_version_name(now: datetime) -> str:
    return f"{now.strftime(_STAMP)}-{uuid.uuid4().hex[:8]}"


def _remove_stale(versions: Path, published: Path) -> None:
    """Drop what crashed publications left: staging folders and links never swapped in."""
    for leftover in versions.glob(f"{_STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in published.parent.glob(f"{_LINK_PREFIX}{published.name}-*"):
        leftover.unlink(missing_ok=True)


def _write_tables(conn: duckdb.DuckDBPyConnection, tables: Sequence[str], folder: Path) -> None:
    copy_sql = read_sql(PACKAGE, "export_parquet.sql")
    for table in tables:
        target = folder / f"{table}.parquet"
        run_script(
            conn, copy_sql.replace("{table}", quote_identifier(table)), {"target": str(target)}
        )
        _fsync(target)


def _build_analyst_db(version: Path, tables: Sequence[str]) -> None:
    """``analyst.duckdb`` in ``version``: one view per table over the version's own file."""
    template = read_sql(PACKAGE, "analyst_view.sql")
    building = version / f".{ANALYST_DB}.building"
    conn = duckdb.connect(str(building))
    try:
        for table in tables:
            parquet = version / f"{table}.parquet"
            run_script(
                conn,
                template.replace("{view}", quote_identifier(table)).replace(
                    "{parquet}", sql_string(str(parquet))
                ),
            )
        conn.execute("CHECKPOINT").fetchall()
    finally:
        conn.close()
    _fsync(building)
    building.replace(version / ANALYST_DB)


def _swap_link(published: Path, version: Path) -> None:
    """Point ``published`` at ``version`` with one atomic rename."""
    link = published.parent / f"{_LINK_PREFIX}{published.name}-{uuid.uuid4().hex}"
    link.symlink_to(version.relative_to(published.parent))
    legacy = None
    try:
        if published.is_dir() and not published.is_symlink():
            # A folder published before versions existed. A rename cannot put a link over a
            # folder, so it is moved aside first: readers miss it for an instant, once.
            legacy = version.parent / f"{_STAGING_PREFIX}legacy-{uuid.uuid4().hex}"
            published.rename(legacy)
        link.replace(published)
    except BaseException:
        link.unlink(missing_ok=True)
        if legacy is not None and not published.exists():
            legacy.rename(published)
        raise
    _fsync(published.parent)
    if legacy is not None:
        shutil.rmtree(legacy, ignore_errors=True)


def _prune(versions: Path, current: Path, now: datetime) -> None:
    """Remove superseded versions analysts can no longer need, and never-published ones."""
    names = sorted(
        entry.name
        for entry in versions.iterdir()
        if entry.is_dir() and not entry.name.startswith(".")
    )
    if current.name not in names:
        return
    position = names.index(current.name)
    expired = names[position + 1 :]  # built after the current one, never swapped in
    older = names[:position]
    for index, name in enumerate(older):
        if index >= len(older) - KEEP_PREVIOUS:
            continue
        # A version folder is never modified once published: its time is its publication's.
        superseded_at = datetime.fromtimestamp((versions / names[index + 1]).stat().st_mtime, UTC)
        if now - superseded_at < GRACE:
            continue
        expired.append(name)
    for name in expired:
        shutil.rmtree(versions / name, ignore_errors=True)


def publish_marts(
    conn: duckdb.DuckDBPyConnection,
    tables: Sequence[str],
    marts_dir: Path,
) -> dict[str, Path]:
    """Publish ``marts.<table>`` of ``conn`` for each table as ``marts_dir/<table>.parquet``.

    The folder then holds exactly these tables and ``analyst.duckdb`` (views over them, with
    absolute paths, so it works from any working directory), all replaced at once (see the
    module docs). Returns the published paths.
    """
    versions = versions_dir(marts_dir)
    versions.mkdir(parents=True, exist_ok=True)
    _remove_stale(versions, marts_dir)
    now = datetime.now(UTC)
    staging = versions / f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        _write_tables(conn, tables, staging)
        _fsync(staging)
        version = versions / _new_version_name(now)
        staging.rename(version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        # Views are bound when created, so they are built where the files will stay.
        _build_analyst_db(version, tables)
        _fsync(version)
        _fsync(versions)
        _swap_link(marts_dir, version)
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    _prune(versions, version, now)
    return {table: marts_dir / f"{table}.parquet" for table in tables}


def is_published(tables: Sequence[str], marts_dir: Path) -> bool:
    """Whether every table's Parquet file and ``analyst.duckdb`` are in ``marts_dir``."""
    names = [f"{table}.parquet" for table in tables] + [ANALYST_DB]
    return all((marts_dir / name).is_file() for name in names)
