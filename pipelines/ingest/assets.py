"""Dagster assets of the ingest layer: one per raw folder, each a staging table.

Every materialization brings the warehouse up to date with the folder (new and changed files
loaded, unchanged ones skipped, removed ones taken out), reports what it did in this run, and
runs the folder's checks (reusing their last outcomes when nothing they look at changed).
"""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from pipelines.ingest.checks import ingest_checks
from pipelines.ingest.files import SOURCES
from pipelines.warehouse import WarehouseResource

_DESCRIPTIONS = {
    "rosters": "Schools by spring year from data/raw/rosters/ (NCES CCD style).",
    "program": "The official list of partnered schools from data/raw/program/.",
    "activity": "Partnering contacts from data/raw/activity/ (teacher ids pseudonymized; "
    "notes never leave the warehouse).",
    "assessments": "Student results by subject from data/raw/assessments/, every vendor "
    "layout (student ids pseudonymized; names, DOB and emails never read).",
}


def _ingest_asset(source: str) -> AssetsDefinition:
    deps = [] if source == "rosters" else [AssetKey("stg_rosters")]
    checks = ingest_checks(source)
    name = f"stg_{source}"

    @asset(
        name=name,
        group_name="ingest",
        deps=deps,
        kinds={"duckdb"},
        description=_DESCRIPTIONS[source],
        check_specs=[check.spec() for check in checks],
    )
    def ingest(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        from pipelines.ingest.stage import stage_source
        from pipelines.privacy.pseudonymize import load_key
        from pipelines.settings import get_settings

        settings = get_settings()
        key = load_key(settings)
        with warehouse.get_connection() as conn:
            staged = stage_source(conn, source, settings.raw_dir, key, checks, context.log.info)
        failed = [result for result in staged.summary.files if result.status == "failed"]
        for result in failed:
            context.log.error(f"{result.path} was not loaded: {result.error}")
        return MaterializeResult(
            metadata={
                **staged.summary.metadata(),
                "staged_rows_total": staged.staged_rows,
                "failed_files": "\n".join(f"{r.path}: {r.error}" for r in failed) or "none",
            },
            check_results=staged.check_results,
        )

    return ingest


INGEST_ASSETS: list[AssetsDefinition] = [_ingest_asset(source) for source in SOURCES]
