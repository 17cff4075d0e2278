"""Asset checks as SQL queries, and the checks of the ingest layer.

Each check is a query (in ``checks/`` next to the layer's code) returning ``failures`` and up to
five ``examples``; examples name files, codes and pseudonyms, never raw ids. Checks run inside
the asset that owns them, on its warehouse connection, right after it materializes: a blocking
check that fails stops everything downstream (so nothing unaccounted is ever published).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from pipelines.ingest.ledger import FILE_LEVEL_REASONS, UNREADABLE
from pipelines.warehouse import fetch_all, read_sql

PACKAGE = "pipelines.ingest"

UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "rosters": ("school_year", "system_code", "school_code"),
    "program": ("system_code", "school_code"),
    "activity": ("log_id",),
    "assessments": ("student_key", "subject", "school_year"),
}
"""The key of each staging table: the check fails if any key repeats (across files too)."""

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


def fill(sql: str, fragments: Mapping[str, str]) -> str:
    """``sql`` with its ``{placeholders}`` replaced (by code constants, never by input)."""
    for placeholder, value in fragments.items():
        sql = sql.replace("{" + placeholder + "}", value)
    return sql


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


def ingest_checks(source: str) -> list[QueryCheck]:
    """The checks of ``stg_<source>``: reconciliation, unique keys, roster codes, failed and
    unreadable files."""
    asset = f"stg_{source}"
    checks = [
        QueryCheck(
            asset,
            "rows_reconcile",
            PACKAGE,
            "reconciliation",
            "Each file's rows read = rows loaded + rows rejected, and nothing else is staged "
            "(blocking: marts are never built from unaccounted rows).",
            blocking=True,
            fragments={"staging_table": RECORD_TABLES[source]},
            parameters={"source": source},
        ),
        QueryCheck(
            asset,
            "unique_keys",
            PACKAGE,
            "duplicate_keys",
            f"One row per ({', '.join(UNIQUE_KEYS[source])}), across files too; a failure names "
            "the files and lines holding the repeated keys.",
            blocking=True,
            fragments={"table": asset, "keys": ", ".join(UNIQUE_KEYS[source])},
        ),
        QueryCheck(
            asset,
            "no_failed_files",
            PACKAGE,
            "failed_files",
            "Every file could be loaded (a bad file stops alone; the ledger says why). A new "
            "file that fails only warns; the data_complete check blocks when rows would vanish.",
            severity=AssetCheckSeverity.WARN,
            parameters={"source": source},
        ),
        QueryCheck(
            asset,
            "files_readable",
            PACKAGE,
            "unreadable_files",
            "No file failed with an I/O error (vanished, permissions, a failing disk or share): "
            "blocking, since publishing without it would drop its rows silently.",
            blocking=True,
            parameters={"source": source, "unreadable": UNREADABLE},
        ),
        QueryCheck(
            asset,
            "data_complete",
            PACKAGE,
            "data_complete",
            "No rows vanish without a word: blocks when a file that loaded before can no longer "
            "be loaded, a roster file fails, or most of a file's records are rejected for a cause "
            "of the whole file (unknown school, lost leading zeros, scientific notation, a "
            "column left empty). Moving the file to the quarantine folder sets it aside.",
            blocking=True,
            parameters={"source": source, "file_level_reasons": list(FILE_LEVEL_REASONS)},
        ),
    ]
    if source in ROSTER_YEAR_OF:
        checks.append(
            QueryCheck(
                asset,
                "schools_in_roster",
                PACKAGE,
                "schools_in_roster",
                "Every staged school code is in that year's roster.",
                blocking=True,
                fragments={"table": asset, "year_expression": ROSTER_YEAR_OF[source]},
            )
        )
    return checks
