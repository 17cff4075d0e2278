"""Dagster assets of the ingest layer: one per raw folder, each a staging table.

Every materialization brings the warehouse up to date with the folder (new and changed files
loaded, unchanged ones skipped, removed ones taken out), reports what it did in this run, and
runs the folder's checks (reusing their last outcomes when nothing they look at changed).
"""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from pipelines.ingest.checks import ingest_checks
from pipelines.ingest.files import SOURCES
from pipelines.layouts import ASSESSMENT_LAYOUTS
from pipelines.warehouse import WarehouseResource, fetch_all

CODE_PACKAGES = ("pipelines.ingest", "pipelines.layouts")
"""The code whose rules decide what a file loads as: a change re-reads every file."""

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
        from pipelines.ingest.engine import ingest_source
        from pipelines.ingest.versions import (
            code_fingerprint,
            combine,
            data_fingerprint,
            reusable_results,
            save_version,
        )
        from pipelines.layouts.declared import assessment_layouts, layouts_fingerprint
        from pipelines.privacy.pseudonymize import install_sql_function, load_key
        from pipelines.settings import get_settings

        settings = get_settings()
        key = load_key(settings)
        rules = combine(code_fingerprint(*CODE_PACKAGES), key.fingerprint())
        layouts = ASSESSMENT_LAYOUTS
        if source == "assessments":
            # The agency's layout files are validated first: an error names the file and field.
            layouts = assessment_layouts()
            rules = combine(rules, layouts_fingerprint())
        with warehouse.get_connection() as conn:
            install_sql_function(conn, key)
            summary = ingest_source(
                conn, source, settings.raw_dir, context.log.info, rules, layouts
            )
            staged = fetch_all(conn, f"SELECT count(*) FROM {name}")[0][0]
            version = combine(rules, data_fingerprint(conn, sorted({source, "rosters"})))
            results = reusable_results(conn, name, version, checks)
            if results is None:
                results = [check.evaluate(conn) for check in checks]
                save_version(conn, name, version, results)
        failed = [result for result in summary.files if result.status == "failed"]
        for result in failed:
            context.log.error(f"{result.path} was not loaded: {result.error}")
        return MaterializeResult(
            metadata={
                **summary.metadata(),
                "staged_rows_total": staged,
                "failed_files": "\n".join(f"{r.path}: {r.error}" for r in failed) or "none",
            },
            check_results=results,
        )

    return ingest


INGEST_ASSETS: list[AssetsDefinition] = [_ingest_asset(source) for source in SOURCES]
