"""Asset checks of the ingest layer, and the helper every check of the pipeline uses.

Each check is a SQL query (in ``checks/``) returning ``failures`` and up to five ``examples``;
examples name files, codes and pseudonyms, never raw ids.
"""

from collections.abc import Mapping

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    asset_check,
)

from pipelines.warehouse import WarehouseResource, fetch_all, read_sql

PACKAGE = "pipelines.ingest"

UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "rosters": ("school_year", "system_code", "school_code"),
    "program": ("system_code", "school_code"),
    "activity": ("log_id",),
    "assessments": ("student_key", "subject", "school_year"),
}
"""The key of each staging table: the asset check fails if any key repeats (across files)."""

RECORD_TABLES: dict[str, str] = {
    "rosters": "stg_rosters",
    "program": "stg_program",
    "activity": "stg_activity",
    "assessments": "stg_assessment_records",
}
"""The table holding one row per loaded record of each source (what reconciliation counts)."""

ROSTER_YEAR_OF: dict[str, str] = {
    "program": "s.cohort",
    "activity": "s.school_year",
    "assessments": "s.school_year",
}
"""Which roster year a staged row's school must appear in."""


def check_sql(name: str, **fragments: str) -> str:
    """The check query ``checks/<name>.sql`` with its ``{placeholders}`` (code constants) filled."""
    sql = read_sql(PACKAGE, f"checks/{name}.sql")
    for placeholder, value in fragments.items():
        sql = sql.replace("{" + placeholder + "}", value)
    return sql


def query_check(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    parameters: Mapping[str, object] | None = None,
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR,
) -> AssetCheckResult:
    """Run a check query (``failures``, ``examples``) and turn it into a check result."""
    failures, examples = fetch_all(conn, sql, parameters)[0]
    return AssetCheckResult(
        passed=failures == 0,
        severity=severity,
        metadata={"failures": int(failures), "examples": "\n".join(examples or [])},
    )


def ingest_checks(source: str) -> list[AssetChecksDefinition]:
    """The checks of ``stg_<source>``: reconciliation, unique keys, roster codes, failed files."""
    asset_key = AssetKey(f"stg_{source}")
    staging_table = f"stg_{source}"

    @asset_check(
        asset=asset_key,
        name="rows_reconcile",
        blocking=True,
        description="Each file's rows read = rows loaded + rows rejected, and nothing else is "
        "staged (blocking: marts are not built from unaccounted rows).",
    )
    def rows_reconcile(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> AssetCheckResult:
        with warehouse.get_connection() as conn:
            sql = check_sql("reconciliation", staging_table=RECORD_TABLES[source])
            return query_check(conn, sql, {"source": source})

    @asset_check(
        asset=asset_key,
        name="unique_keys",
        blocking=True,
        description=f"No two staged rows share the key ({', '.join(UNIQUE_KEYS[source])}), "
        "including across files.",
    )
    def unique_keys(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> AssetCheckResult:
        with warehouse.get_connection() as conn:
            sql = check_sql("unique_keys", table=staging_table, keys=", ".join(UNIQUE_KEYS[source]))
            return query_check(conn, sql)

    @asset_check(
        asset=asset_key,
        name="no_failed_files",
        description="Every file could be read (a failed file stops alone; see the ledger).",
    )
    def no_failed_files(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> AssetCheckResult:
        with warehouse.get_connection() as conn:
            return query_check(
                conn, check_sql("failed_files"), {"source": source}, AssetCheckSeverity.WARN
            )

    checks = [rows_reconcile, unique_keys, no_failed_files]
    if source in ROSTER_YEAR_OF:

        @asset_check(
            asset=asset_key,
            name="schools_in_roster",
            blocking=True,
            description="Every staged school code is in that year's roster.",
        )
        def schools_in_roster(
            context: AssetCheckExecutionContext, warehouse: WarehouseResource
        ) -> AssetCheckResult:
            with warehouse.get_connection() as conn:
                sql = check_sql(
                    "schools_in_roster",
                    table=staging_table,
                    year_expression=ROSTER_YEAR_OF[source],
                )
                return query_check(conn, sql)

        checks.append(schools_in_roster)
    return checks
