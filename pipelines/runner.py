"""Materialize every asset and check in-process, as the nightly job does; report the status."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipelines.settings import configure_dagster_environment

_INGEST_COUNTS = ("files_loaded", "files_skipped", "files_failed", "rows_loaded", "rows_rejected")


def _print_ingest_summary(result: object) -> None:
    """One line per ingest asset: files loaded/skipped/failed, rows loaded/rejected."""
    for event in result.get_asset_materialization_events():  # type: ignore[attr-defined]
        materialization = event.event_specific_data.materialization
        metadata = materialization.metadata
        if not materialization.asset_key.path[-1].startswith("stg_"):
            continue
        counts = ", ".join(
            f"{name.replace('_', ' ')} {metadata[name].value}"
            for name in _INGEST_COUNTS
            if name in metadata
        )
        print(f"{materialization.asset_key.to_user_string()}: {counts}")


def _print_failures(result: object) -> None:
    for event in result.all_events:  # type: ignore[attr-defined]
        if event.is_step_failure:
            print(f"FAILED step {event.step_key}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                severity = evaluation.severity.value
                key = evaluation.asset_check_key
                print(f"check {key.asset_key.to_user_string()}:{key.name} {severity}: failed")


def run_all() -> int:
    """Materialize all assets and their checks; return a process exit code (0 = success).

    Non-zero when an asset fails or a blocking check fails (which stops what depends on it, so
    the previous marts stay published).
    """
    settings = configure_dagster_environment()
    from dagster import DagsterInstance

    from pipelines.definitions import EVERYTHING_JOB, defs

    job = defs.resolve_job_def(EVERYTHING_JOB)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    _print_ingest_summary(result)
    _print_failures(result)
    if not result.success:
        print("The run failed; the previous marts and report are untouched.")
        return 1
    print(f"Marts: {settings.marts_dir}")
    from pipelines.reporting.build import REPORT_NAME

    report = settings.reports_dir / REPORT_NAME
    if report.is_file():
        print(f"Report: {report}")
    return 0


def _print_ledger_summary(data_quality: Path) -> None:
    import duckdb

    from pipelines.warehouse import read_sql

    # The published mart, not the warehouse: reading it never waits for (or blocks) a run.
    with duckdb.connect() as conn:
        rows = conn.execute(
            read_sql("pipelines", "status.sql"), {"path": str(data_quality)}
        ).fetchall()
        failed = conn.execute(
            "SELECT DISTINCT path, error_message FROM read_parquet($path) "
            "WHERE status = 'failed' ORDER BY path",
            {"path": str(data_quality)},
        ).fetchall()
    for source, loaded, failed_files, removed, read, loaded_rows, rejected, last in rows:
        print(
            f"{source}: {loaded} files loaded, {failed_files} failed, {removed} removed; "
            f"rows read {read}, loaded {loaded_rows}, rejected {rejected}; last ingest {last}"
        )
    for path, error in failed:
        print(f"  failed: {path}: {error}")


def status() -> int:
    """Print the ledger summary of the published marts and the last run's outcome."""
    settings = configure_dagster_environment()
    from dagster import DagsterInstance

    data_quality = settings.marts_dir / "data_quality.parquet"
    if data_quality.exists():
        _print_ledger_summary(data_quality)
    else:
        print(f"No marts published yet in {settings.marts_dir}.")
    with DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            print("No run recorded yet.")
            return 0
        run = runs[0]
        record = instance.get_run_record_by_id(run.run_id)
        started = record.start_time if record else None
        ended = record.end_time if record else None
        when = ""
        if started:
            when = f" started {datetime.fromtimestamp(started, UTC):%Y-%m-%d %H:%M:%S} UTC"
        if started and ended:
            when += f", took {ended - started:.0f} s"
        print(f"Last run: {run.job_name} {run.status.value}{when}")
    return 0
