"""One materialization of a staging table: bring it up to date with its raw folder, then check it.

The checks' outcomes are reused when nothing they look at changed (the staged data of the source
and the rosters, the ingest rules and the pseudonymization key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dagster import AssetCheckResult

from pipelines.ingest.engine import Log, ingest_source
from pipelines.ingest.ledger import SourceSummary
from pipelines.layouts import ASSESSMENT_LAYOUTS
from pipelines.layouts.declared import assessment_layouts, layouts_fingerprint
from pipelines.privacy.pseudonymize import PseudonymKey, install_sql_function
from pipelines.provenance import (
    WarehouseVersions,
    code_fingerprint,
    combine,
    data_fingerprint,
    reuse_or_rebuild,
)
from pipelines.query_checks import QueryCheck
from pipelines.warehouse import fetch_all

CODE_PACKAGES = ("pipelines.ingest", "pipelines.layouts")
"""The code whose rules decide what a file loads as: a change re-reads every file."""


@dataclass(frozen=True)
class StagedSource:
    """What one run did to ``stg_<source>``, and its checks' outcomes."""

    summary: SourceSummary
    staged_rows: int
    check_results: list[AssetCheckResult]


def stage_source(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    raw_dir: Path,
    key: PseudonymKey,
    checks: Sequence[QueryCheck],
    log: Log,
) -> StagedSource:
    """Ingest ``raw_dir / source`` into ``stg_<source>`` and run (or reuse) its checks."""
    rules = combine(code_fingerprint(*CODE_PACKAGES), key.fingerprint())
    layouts = ASSESSMENT_LAYOUTS
    if source == "assessments":
        # The agency's layout files are validated first: an error names the file and field. They
        # are part of the rules: a changed layout file re-reads every assessment file.
        layouts = assessment_layouts()
        rules = combine(rules, layouts_fingerprint())
    install_sql_function(conn, key)
    summary = ingest_source(conn, source, raw_dir, log, rules, layouts)
    name = f"stg_{source}"
    staged = fetch_all(conn, f"SELECT count(*) FROM {name}")[0][0]
    version = combine(rules, data_fingerprint(conn, sorted({source, "rosters"})))
    results = reuse_or_rebuild(
        WarehouseVersions(conn, name, checks),
        version,
        lambda: [check.evaluate(conn) for check in checks],
    )
    return StagedSource(summary, staged, list(results.value))
