"""Versions of what an asset is built from, so that unchanged work is not redone.

A nightly run over unchanged files must be quick: ingest skips files whose content, rules and
rosters it has already seen, and each later asset compares the version of its inputs (the staged
data's fingerprint and the code that transforms it) with the one it was last built from. When
they match, the asset keeps its table and reports the outcomes its checks had then.
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
from dagster import AssetCheckResult

from pipelines.query_checks import QueryCheck
from pipelines.warehouse import fetch_all, read_sql, run_script

PACKAGE = "pipelines.ingest"


@cache
def code_fingerprint(*packages: str) -> str:
    """SHA-256 of every source file in the trees of ``packages`` (Python, SQL, templates, YAML):
    changes when their rules change."""
    digest = hashlib.sha256()
    for package in packages:
        root = Path(str(resources.files(package)))
        for path in sorted(p for p in root.rglob("*") if p.is_file() and _is_source(p)):
            digest.update(f"{package}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _is_source(path: Path) -> bool:
    """Whether ``path`` is part of the code (not a compiled cache)."""
    return "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}


def data_fingerprint(conn: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> str:
    """Fingerprint of what is staged from ``sources`` (from the ingest ledger)."""
    return fetch_all(conn, read_sql(PACKAGE, "data_fingerprint.sql"), {"sources": list(sources)})[
        0
    ][0]


def combine(*parts: str) -> str:
    """One version from several."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    run_script(conn, read_sql(PACKAGE, "versions.sql"))


def reusable_results(
    conn: duckdb.DuckDBPyConnection, asset: str, version: str, checks: Sequence[QueryCheck]
) -> list[AssetCheckResult] | None:
    """The stored check results of ``asset`` if it was last built from ``version``, else None."""
    _ensure_tables(conn)
    rows = fetch_all(conn, read_sql(PACKAGE, "stored_version.sql"), {"asset": asset})
    if not rows or rows[0][0] != version:
        return None
    outcomes = {name: (passed, failures, examples) for _, name, passed, failures, examples in rows}
    if any(check.name not in outcomes for check in checks):
        return None
    return [check.result(*outcomes[check.name], reused=True) for check in checks]


def save_version(
    conn: duckdb.DuckDBPyConnection, asset: str, version: str, results: Sequence[AssetCheckResult]
) -> None:
    """Record that ``asset`` was built from ``version`` with these check results."""
    _ensure_tables(conn)
    run_script(
        conn,
        read_sql(PACKAGE, "save_version.sql"),
        {
            "asset": asset,
            "version": version,
            "built_at": datetime.now(UTC).replace(tzinfo=None),
            "check_names": [result.check_name for result in results],
            "passed": [result.passed for result in results],
            "failures": [result.metadata["failures"].value for result in results],
            "examples": [result.metadata["examples"].value for result in results],
        },
    )
