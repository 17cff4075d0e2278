"""One materialization of a mart, and of the published marts: rebuilt only when needed.

A mart whose inputs (the ingest ledger entries of its sources) and code are unchanged since it
was built is kept as is, with its checks' outcomes from then; the publication is redone only
when some mart's inputs, the code or the marts folder changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dagster import AssetCheckResult

from pipelines.ingest.files import SOURCES
from pipelines.marts.build import MARTS, build_mart, mart_exists, mart_rows
from pipelines.marts.publish import is_published, publish_marts
from pipelines.provenance import (
    WarehouseVersions,
    code_fingerprint,
    combine,
    data_fingerprint,
    reuse_or_rebuild,
)
from pipelines.query_checks import QueryCheck

CODE_PACKAGES = ("pipelines.marts", "pipelines.layouts")
"""The code that builds the marts: any change to it rebuilds them."""

MART_SOURCES: dict[str, tuple[str, ...]] = {
    "schools": ("rosters",),
    "student_scores": ("assessments",),
    "school_outcomes": ("assessments",),
    "treatment": ("rosters", "program", "activity"),
    "school_panel": SOURCES,
    "partnering_dose": ("rosters", "program", "activity"),
    "data_quality": SOURCES,
}
"""The raw folders each mart is computed from: it is rebuilt only when one of them changed."""

PUBLISHED_MARTS = "published_marts"


@dataclass(frozen=True)
class RefreshedMart:
    rows: int
    rebuilt: bool
    check_results: list[AssetCheckResult]


def refresh_mart(
    conn: duckdb.DuckDBPyConnection, name: str, checks: Sequence[QueryCheck]
) -> RefreshedMart:
    """``marts.<name>`` up to date and checked (kept, with its outcomes, if nothing changed)."""
    version = combine(code_fingerprint(*CODE_PACKAGES), data_fingerprint(conn, MART_SOURCES[name]))

    def build() -> list[AssetCheckResult]:
        build_mart(conn, name)
        return [check.evaluate(conn) for check in checks]

    store = WarehouseVersions(conn, name, checks, present=mart_exists(conn, name))
    results = reuse_or_rebuild(store, version, build)
    return RefreshedMart(mart_rows(conn, name), results.rebuilt, list(results.value))


def refresh_published_marts(conn: duckdb.DuckDBPyConnection, marts_dir: Path) -> bool:
    """Publish every mart into ``marts_dir`` unless it holds this version already; whether it
    was (re)published."""
    # The marts folder is part of the version: analyst.duckdb holds its absolute path.
    # (Not resolved: the folder is a link to the version published last.)
    version = combine(
        code_fingerprint(*CODE_PACKAGES),
        data_fingerprint(conn, SOURCES),
        str(marts_dir.absolute()),
    )

    def publish() -> list[AssetCheckResult]:
        publish_marts(conn, MARTS, marts_dir)
        return []

    store = WarehouseVersions(conn, PUBLISHED_MARTS, [], present=is_published(MARTS, marts_dir))
    return reuse_or_rebuild(store, version, publish).rebuilt
