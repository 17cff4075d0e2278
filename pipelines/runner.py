"""Materialize every asset and check in-process, as the nightly job does."""

from __future__ import annotations

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
    return 0
