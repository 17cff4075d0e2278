"""Dagster assets of the marts layer: mart tables in the warehouse, then their publication.

Mart assets rebuild ``marts.<name>`` in the warehouse; ``published_marts`` writes them all as
Parquet into ``data/marts/`` plus ``analyst.duckdb``. Blocking checks on the marts run before the
publication, so a mart that fails one is never published and the previous files stay.
"""

import time

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    asset,
    asset_check,
)

from pipelines.ingest.checks import UNIQUE_KEYS, check_sql, query_check
from pipelines.marts.build import CONFIDENTIAL_MARTS, MARTS, build_mart
from pipelines.warehouse import WarehouseResource, read_sql

MART_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "schools": ("stg_rosters",),
    "student_scores": ("stg_assessments",),
    "school_outcomes": ("student_scores",),
    "treatment": ("schools", "stg_program", "stg_activity"),
    "school_panel": ("student_scores", "schools", "treatment"),
    "partnering_dose": ("stg_activity", "treatment", "schools"),
    "data_quality": ("stg_rosters", "stg_program", "stg_activity", "stg_assessments"),
}

MART_KEYS: dict[str, tuple[str, ...]] = {
    "schools": ("school_id", "school_year"),
    "student_scores": UNIQUE_KEYS["assessments"],
    "school_outcomes": ("school_id", "subject", "grade", "school_year"),
    "treatment": ("school_id",),
    "school_panel": ("school_id", "subject", "school_year"),
    "partnering_dose": ("school_id", "school_year"),
}

_DESCRIPTIONS = {
    "schools": "School x spring year from the rosters (system totals dropped).",
    "student_scores": "CONFIDENTIAL, not for publication: pseudonymized student x subject x "
    "year with scale score and z (within test x subject x grade x year).",
    "school_outcomes": "School x subject x grade x year: students tested, mean z, mean scale "
    "score, share proficient.",
    "treatment": "School: cohort (first partnered spring year, 0 = never), last year, partner.",
    "school_panel": "School x subject x year: student-weighted mean z, students tested, "
    "covariates and pre-program mean z (the main outcome panel).",
    "partnering_dose": "School x year: contacts, minutes, teachers reached, minutes per "
    "teacher, share of minutes by activity type and record type.",
    "data_quality": "The ingest ledger and reject counts by reason, per file.",
}

# Extra checks per mart beyond unique keys: (check name, SQL file, severity, blocking).
_MART_CHECKS: dict[str, tuple[tuple[str, str, AssetCheckSeverity, bool], ...]] = {
    "schools": (("plausible_ranges", "plausible_schools", AssetCheckSeverity.ERROR, False),),
    "student_scores": (
        ("rows_match_staging", "scores_match_staging", AssetCheckSeverity.ERROR, True),
        ("plausible_ranges", "plausible_z", AssetCheckSeverity.WARN, False),
    ),
    "treatment": (("plausible_ranges", "plausible_treatment", AssetCheckSeverity.ERROR, True),),
    "school_panel": (
        ("students_add_up", "outcomes_add_up", AssetCheckSeverity.ERROR, True),
        ("plausible_ranges", "plausible_panel", AssetCheckSeverity.WARN, False),
    ),
    "partnering_dose": (
        ("shares_add_up", "dose_shares", AssetCheckSeverity.ERROR, True),
        (
            "partnered_schools_have_activity",
            "partnered_without_activity",
            AssetCheckSeverity.WARN,
            False,
        ),
        (
            "activity_only_at_program_schools",
            "activity_outside_program",
            AssetCheckSeverity.WARN,
            False,
        ),
    ),
    "data_quality": (("rows_add_up", "quality_adds_up", AssetCheckSeverity.ERROR, True),),
}


def _mart_asset(name: str) -> AssetsDefinition:
    @asset(
        name=name,
        group_name="marts",
        deps=[AssetKey(dependency) for dependency in MART_DEPENDENCIES[name]],
        kinds={"duckdb"},
        description=_DESCRIPTIONS[name],
        tags={"confidentiality": "confidential" if name in CONFIDENTIAL_MARTS else "internal"},
    )
    def mart(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        started = time.perf_counter()
        with warehouse.get_connection() as conn:
            rows = build_mart(conn, name)
        return MaterializeResult(
            metadata={"rows": rows, "seconds": round(time.perf_counter() - started, 3)}
        )

    return mart


def _query_check(
    mart: str, name: str, sql_file: str, severity: AssetCheckSeverity, blocking: bool
) -> AssetChecksDefinition:
    description = read_sql("pipelines.marts", f"checks/{sql_file}.sql").splitlines()[0][3:]

    @asset_check(
        asset=AssetKey(mart), name=name, blocking=blocking, description=description.strip()
    )
    def check(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> AssetCheckResult:
        with warehouse.get_connection() as conn:
            sql = read_sql("pipelines.marts", f"checks/{sql_file}.sql")
            return query_check(conn, sql, severity=severity)

    return check


def _unique_check(mart: str) -> AssetChecksDefinition:
    keys = MART_KEYS[mart]

    @asset_check(
        asset=AssetKey(mart),
        name="unique_keys",
        blocking=True,
        description=f"One row per ({', '.join(keys)}).",
    )
    def check(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> AssetCheckResult:
        with warehouse.get_connection() as conn:
            sql = check_sql("unique_keys", table=f"marts.{mart}", keys=", ".join(keys))
            return query_check(conn, sql)

    return check


@asset(
    group_name="marts",
    deps=[AssetKey(name) for name in MARTS],
    kinds={"parquet"},
    description="Every mart published atomically as Parquet in data/marts/, plus "
    "data/marts/analyst.duckdb (views over the Parquet files, for analysts, read-only).",
)
def published_marts(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    from pipelines.marts.publish import publish_marts
    from pipelines.settings import get_settings

    started = time.perf_counter()
    settings = get_settings()
    with warehouse.get_connection() as conn:
        published = publish_marts(conn, MARTS, settings.marts_dir)
    context.log.info(f"Published {len(published)} marts to {settings.marts_dir}")
    return MaterializeResult(
        metadata={
            "marts_dir": str(settings.marts_dir),
            "files": "\n".join(path.name for path in published.values()),
            "bytes": sum(path.stat().st_size for path in published.values()),
            "seconds": round(time.perf_counter() - started, 3),
        }
    )


MART_ASSETS: list[AssetsDefinition] = [_mart_asset(name) for name in MARTS]
MART_CHECKS: list[AssetChecksDefinition] = [
    *(_unique_check(mart) for mart in MART_KEYS),
    *(_query_check(mart, *spec) for mart, specs in _MART_CHECKS.items() for spec in specs),
]
