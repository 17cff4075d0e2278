"""Asset checks as SQL queries: the machinery every layer's ``checks.py`` declares its checks with.

Each check is a query (in ``checks/`` next to the layer's code) returning ``failures`` and up to
five ``examples``; examples name files, codes and pseudonyms, never raw ids. Checks run inside
the asset that owns them, on its warehouse connection, right after it materializes: a blocking
check that fails stops everything downstream (so nothing unaccounted is ever published).
Checks any layer can use (unique keys) keep their queries in ``pipelines/checks/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from pipelines.sql_text import fill
from pipelines.warehouse import fetch_all, read_sql

PACKAGE = "pipelines"
"""Where the shared check queries live (``pipelines/checks/``)."""


@dataclass(frozen=True)
class QueryCheck:
    """One asset check: a query over the warehouse that counts failures."""

    asset: str
    name: str
    package: str
    sql_file: str
    description: str
    blocking: bool = False
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
    fragments: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, object] = field(default_factory=dict)

    def spec(self) -> AssetCheckSpec:
        return AssetCheckSpec(
            self.name,
            asset=AssetKey(self.asset),
            blocking=self.blocking,
            description=self.description,
        )

    def result(
        self, passed: bool, failures: int, examples: str, *, reused: bool = False
    ) -> AssetCheckResult:
        """The check's result; ``reused`` when it comes from a run over the same data."""
        return AssetCheckResult(
            asset_key=AssetKey(self.asset),
            check_name=self.name,
            passed=passed,
            severity=self.severity,
            metadata={"failures": int(failures), "examples": examples or "", "reused": reused},
        )

    def evaluate(self, conn: duckdb.DuckDBPyConnection) -> AssetCheckResult:
        """Run the check's query now."""
        sql = fill(read_sql(self.package, f"{self.sql_file}.sql", folder="checks"), self.fragments)
        failures, examples = fetch_all(conn, sql, self.parameters or None)[0]
        return self.result(failures == 0, failures, "\n".join(examples or []))


def unique_keys_check(asset: str, table: str, keys: tuple[str, ...]) -> QueryCheck:
    """Blocking check that no two rows of ``table`` share ``keys``."""
    return QueryCheck(
        asset,
        "unique_keys",
        PACKAGE,
        "unique_keys",
        f"One row per ({', '.join(keys)}), across files too.",
        blocking=True,
        fragments={"table": table, "keys": ", ".join(keys)},
    )
