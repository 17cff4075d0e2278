"""Dagster assets of the marts layer: mart tables in the warehouse, then their publication.

Mart assets rebuild ``marts.<name>`` in the warehouse and run its checks; ``published_marts``
writes them all as Parquet into ``data/marts/`` plus ``analyst.duckdb``. Blocking checks run
inside the mart assets, before the publication, so a mart that fails one is never published and
the previous files stay. A mart whose inputs and code are unchanged since it was built is kept
as is (with its checks' outcomes from then), which keeps a no-change nightly run short.
"""

import time

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    asset,
)

from pipelines.marts.build import CONFIDENTIAL_MARTS, MARTS
from pipelines.marts.checks import mart_checks
from pipelines.warehouse import WarehouseResource

MART_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "schools": ("stg_rosters",),
    "student_scores": ("stg_assessments",),
    "school_outcomes": ("student_scores",),
    "treatment": ("schools", "stg_program", "stg_activity"),
    "school_panel": ("student_scores", "schools", "treatment"),
    "school_subgroups": ("student_scores", "schools", "treatment"),
    "partnering_dose": ("stg_activity", "treatment", "schools"),
    "data_quality": ("stg_rosters", "stg_program", "stg_activity", "stg_assessments"),
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
    "school_subgroups": "School x subject x year x subgroup (prior-achievement tercile, "
    "economically disadvantaged, English learner, disability, gender, race/ethnicity, grade "
    "band, school level): students tested and mean z; the panels of the subgroup estimates.",
    "partnering_dose": "School x year: contacts, minutes, teachers reached, minutes per "
    "teacher, share of minutes by activity type and record type.",
    "data_quality": "The ingest ledger and reject counts by reason, per file.",
}


def _mart_asset(name: str) -> AssetsDefinition:
    checks = mart_checks(name)

    @asset(
        name=name,
        group_name="marts",
        deps=[AssetKey(dependency) for dependency in MART_DEPENDENCIES[name]],
        kinds={"duckdb"},
        description=_DESCRIPTIONS[name],
        tags={"confidentiality": "confidential" if name in CONFIDENTIAL_MARTS else "internal"},
        check_specs=[check.spec() for check in checks],
    )
    def mart(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        from pipelines.marts.refresh import refresh_mart

        started = time.perf_counter()
        with warehouse.get_connection() as conn:
            refreshed = refresh_mart(conn, name, checks)
        return MaterializeResult(
            metadata={
                "rows": refreshed.rows,
                "rebuilt": refreshed.rebuilt,
                "seconds": round(time.perf_counter() - started, 3),
            },
            check_results=refreshed.check_results,
        )

    return mart


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
    from pipelines.marts.refresh import refresh_published_marts
    from pipelines.settings import get_settings

    started = time.perf_counter()
    settings = get_settings()
    with warehouse.get_connection() as conn:
        republished = refresh_published_marts(conn, settings.marts_dir)
    if republished:
        context.log.info(f"Published {len(MARTS)} marts to {settings.marts_dir}")
    paths = [settings.marts_dir / f"{name}.parquet" for name in MARTS]
    return MaterializeResult(
        metadata={
            "marts_dir": str(settings.marts_dir),
            "files": "\n".join(path.name for path in paths),
            "bytes": sum(path.stat().st_size for path in paths),
            "republished": republished,
            "seconds": round(time.perf_counter() - started, 3),
        }
    )


MART_ASSETS: list[AssetsDefinition] = [_mart_asset(name) for name in MARTS]
