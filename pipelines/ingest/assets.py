"""Dagster assets of the ingest layer: one per raw folder, each a staging table.

Every materialization brings the warehouse up to date with the folder (new and changed files
loaded, unchanged ones skipped, removed ones taken out) and reports what it did in this run.
"""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from pipelines.ingest.files import SOURCES
from pipelines.warehouse import WarehouseResource, fetch_all

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

    @asset(
        name=f"stg_{source}",
        group_name="ingest",
        deps=deps,
        kinds={"duckdb"},
        description=_DESCRIPTIONS[source],
    )
    def ingest(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        from pipelines.ingest.engine import ingest_source
        from pipelines.pseudonymize import install_sql_function, load_key
        from pipelines.settings import get_settings

        settings = get_settings()
        key = load_key(settings)
        with warehouse.get_connection() as conn:
            install_sql_function(conn, key)
            summary = ingest_source(conn, source, settings.raw_dir, context.log.info)
            staged = fetch_all(conn, f"SELECT count(*) FROM stg_{source}")[0][0]
        failed = [result for result in summary.files if result.status == "failed"]
        for result in failed:
            context.log.error(f"{result.path} was not loaded: {result.error}")
        return MaterializeResult(
            metadata={
                **summary.metadata(),
                "staged_rows_total": staged,
                "failed_files": "\n".join(f"{r.path}: {r.error}" for r in failed) or "none",
            }
        )

    return ingest


INGEST_ASSETS: list[AssetsDefinition] = [_ingest_asset(source) for source in SOURCES]
