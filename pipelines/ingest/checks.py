"""The checks of the ingest layer (their queries are in ``checks/``; the machinery is
:mod:`pipelines.query_checks`)."""

from dagster import AssetCheckSeverity

from pipelines.ingest.ledger import FILE_LEVEL_REASONS, UNREADABLE
from pipelines.query_checks import QueryCheck

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
