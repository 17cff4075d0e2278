"""Materialize every asset and check in-process, as the nightly job does; report the status.

``partner-impact run`` prints one summary line per layer (ingest, marts, estimates, report) on
standard output when the run ends, and, on a terminal, each step as it runs on standard error.
Dagster's own log goes to its run history (the UI); on the console it is off unless asked for.
Nothing printed quotes a data value: counts, asset names, paths and error messages whose digit
runs are masked.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.settings import configure_dagster_environment

TRIGGER_TAG = "partner_impact/trigger"
PID_TAG = "partner_impact/pid"
HOST_TAG = "partner_impact/host"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

_INGEST_COUNTS = ("files_loaded", "files_skipped", "files_failed", "rows_loaded", "rows_rejected")
_LAYER_ORDER = ("ingest", "marts", "estimates", "report")


def _step_layers(job: Any, asset_graph: Any) -> dict[str, str]:
    """Each step (op) of ``job`` -> its layer (asset group)."""
    layers = {}
    steps = {node.name for node in job.graph.node_defs}
    for assets_def in asset_graph.assets_defs:
        if assets_def.is_executable and assets_def.op.name in steps:
            layers[assets_def.op.name] = next(iter(assets_def.group_names_by_key.values()))
    return layers


def _materialized(result: Any) -> dict[str, dict[str, Any]]:
    """Asset name -> its metadata values, for every asset this run materialized."""
    found = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        found[materialization.asset_key.to_user_string()] = {
            name: value.value for name, value in materialization.metadata.items()
        }
    return found


def _ingest_lines(assets: dict[str, dict[str, Any]]) -> Iterator[str]:
    staged = {name: meta for name, meta in assets.items() if name.startswith("stg_")}
    if not staged:
        yield "ingest: not run"
        return
    total = {name: sum(int(meta.get(name, 0)) for meta in staged.values()) for name in (
        *_INGEST_COUNTS, "files_removed")}  # fmt: skip
    yield (
        f"ingest: files loaded {total['files_loaded']}, skipped {total['files_skipped']}, "
        f"failed {total['files_failed']}, removed {total['files_removed']}; "
        f"rows loaded {total['rows_loaded']}, rejected {total['rows_rejected']}"
    )
    for name, meta in sorted(staged.items()):
        counts = ", ".join(
            f"{count.replace('_', ' ')} {meta[count]}" for count in _INGEST_COUNTS if count in meta
        )
        yield f"  {name}: {counts}"
        reasons = str(meta.get("reject_reasons", "none"))
        if reasons != "none":
            yield f"    rejected rows by reason: {reasons}"
        if int(meta.get("files_quarantined", 0)):
            yield f"    quarantined (set aside, not loaded): {meta['files_quarantined']} file(s)"
        failed = str(meta.get("failed_files", "none"))
        if failed != "none":
            yield from (f"    failed: {line}" for line in failed.splitlines())


def _marts_line(assets: dict[str, dict[str, Any]]) -> str:
    published = assets.get("published_marts")
    if published is None:
        return "marts: not published; the previous marts stay"
    tables = len(str(published.get("files", "")).split())
    state = "published to" if published.get("republished") else "unchanged in"
    return f"marts: {tables} tables {state} {published.get('marts_dir')}"


def _estimates_line(assets: dict[str, dict[str, Any]], layers: dict[str, str]) -> str:
    names = [name for name in assets if layers.get(name) == "estimates"]
    if not names:
        return "estimates: not published; the previous ones stay"
    rebuilt = any(assets[name].get("rebuilt") for name in names)
    line = f"estimates: {len(names)} tables {'published' if rebuilt else 'unchanged'}"
    failed = sum(int(assets[name].get("failed_steps", 0)) for name in names)
    if failed:
        where = "; ".join(
            str(assets[name]["failed_in"]) for name in names if assets[name].get("failed_in")
        )
        line += f"; {failed} estimation step(s) failed: {where} (see the estimates_status table)"
    refused = sum(int(assets[name].get("not_estimable_steps", 0)) for name in names)
    if refused:
        where = "; ".join(
            str(assets[name]["not_estimable_in"])
            for name in names
            if assets[name].get("not_estimable_in")
        )
        line += f"; {refused} step(s) not estimable (expected refusals, not failures): {where}"
    return line


def _report_line(assets: dict[str, dict[str, Any]], layers: dict[str, str], result: Any) -> str:
    names = [name for name in assets if layers.get(name) == "report"]
    if not names:
        return "report: not built; the previous report stays"
    problems = [
        evaluation.description
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.asset_key.to_user_string() in names and not evaluation.passed
    ]
    if problems:
        return f"report: not built: {problems[0]}; the previous report stays"
    meta = assets[names[0]]
    return f"report: {meta.get('path')} ({'rebuilt' if meta.get('rebuilt') else 'unchanged'})"


def summary_lines(result: Any, layers: dict[str, str]) -> list[str]:
    """One line per layer (ingest details indented below it), then errors and failed checks."""
    assets = _materialized(result)
    # Multi-assets materialize several assets in one step: map each asset to its step's layer.
    asset_layers = dict(layers)
    for event in result.get_asset_materialization_events():
        asset_layers[event.asset_key.to_user_string()] = layers.get(event.step_key, "?")
    present = set(layers.values())
    lines: list[str] = []
    for layer in (*_LAYER_ORDER, *sorted(present - set(_LAYER_ORDER))):
        if layer not in present:
            continue
        if layer == "ingest":
            lines.extend(_ingest_lines(assets))
        elif layer == "marts":
            lines.append(_marts_line(assets))
        elif layer == "estimates":
            lines.append(_estimates_line(assets, asset_layers))
        elif layer == "report":
            lines.append(_report_line(assets, asset_layers, result))
        else:
            done = sum(asset_layers.get(name) == layer for name in assets)
            lines.append(f"{layer}: {done} assets materialized")
    lines.extend(_failure_lines(result))
    return lines


def _failure_lines(result: Any) -> Iterator[str]:
    from pipelines.ops.progress import step_error

    for event in result.all_events:
        if event.is_step_failure:
            error = event.event_specific_data.error
            yield f"ERROR {event.step_key}: {step_error(error)}"
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                yield from check_failure_lines(evaluation)


def check_failure_lines(evaluation: Any) -> list[str]:
    """A failed check in words: its name and severity, then each example (files and lines).

    Examples are what the check's query wrote: paths, lines, codes and pseudonyms, never raw ids.
    """
    key = evaluation.asset_check_key
    metadata = {name: getattr(value, "value", value) for name, value in evaluation.metadata.items()}
    lines = [
        f"check {key.asset_key.to_user_string()}:{key.name} {evaluation.severity.value}: failed"
    ]
    if metadata.get("failures") is not None:
        lines[0] += f" ({metadata['failures']} problem(s))"
    lines.extend(f"    {example}" for example in str(metadata.get("examples") or "").splitlines())
    return lines


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _interrupted(run: Any) -> bool:
    """A run this machine's CLI started that is still marked started but whose process is gone."""
    from dagster import DagsterRunStatus

    pid = run.tags.get(PID_TAG)
    return (
        run.status == DagsterRunStatus.STARTED
        and pid is not None
        and run.tags.get(HOST_TAG) == socket.gethostname()
        and not _process_alive(int(pid))
    )


def _close_interrupted_runs(instance: Any) -> None:
    """Mark as failed the runs a killed ``partner-impact run`` left marked as started."""
    from dagster import DagsterRunStatus, RunsFilter

    for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED])):
        if _interrupted(run):
            instance.report_run_failed(
                run, "The process running it stopped before the run finished (killed?)."
            )


def run_all(progress: bool | None = None, log_level: str = "critical") -> int:
    """Materialize all assets and their checks; return a process exit code (0 = success).

    Non-zero when an asset fails or a blocking check fails (which stops what depends on it, so
    the previous marts, estimates and report stay published). ``progress`` shows each step on
    standard error (default: when it is a terminal); ``log_level`` is the level of Dagster's own
    log on the console.
    """
    configure_dagster_environment()
    from dagster import DagsterInstance, colored_console_logger

    from pipelines.layouts.declared import LayoutFileError, assessment_layouts

    try:
        # Validated before anything runs: a mistake in a layout file names the file and field.
        assessment_layouts()
    except LayoutFileError as error:
        print(f"ERROR layouts: {error}")
        print("The run did not start; the previous marts, estimates and report are untouched.")
        return 1

    from pipelines.definitions import EVERYTHING_JOB, defs
    from pipelines.ops.progress import progress_logger

    job = defs.resolve_job_def(EVERYTHING_JOB)
    layers = _step_layers(job, defs.resolve_asset_graph())
    interactive = sys.stderr.isatty()
    loggers = {"console": colored_console_logger}
    run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if interactive if progress is None else progress:
        loggers["progress"] = progress_logger(sys.stderr, layers, interactive)
        run_config["loggers"]["progress"] = {}
    tags = {TRIGGER_TAG: "cli", PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    with DagsterInstance.get() as instance:
        _close_interrupted_runs(instance)
        result = job.with_logger_defs(loggers).execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=tags
        )
    for line in summary_lines(result, layers):
        print(line)
    if not result.success:
        print("The run failed; the previous marts, estimates and report are untouched.")
        return 1
    return 0


def _print_ledger_summary(data_quality: Path) -> None:
    import duckdb

    from pipelines.warehouse import read_sql

    # The published mart, not the warehouse: reading it never waits for (or blocks) a run.
    with duckdb.connect() as conn:
        rows = conn.execute(
            read_sql("pipelines.ops", "status.sql"), {"path": str(data_quality)}
        ).fetchall()
        failed = conn.execute(
            "SELECT DISTINCT path, error_message FROM read_parquet($path) "
            "WHERE status = 'failed' ORDER BY path",
            {"path": str(data_quality)},
        ).fetchall()
    print("Published marts:")
    for (
        source,
        loaded,
        failed_files,
        removed,
        quarantined,
        read,
        loaded_rows,
        rejected,
        last,
    ) in rows:
        print(
            f"{source}: {loaded} files loaded, {failed_files} failed, {removed} removed; "
            f"rows read {read}, loaded {loaded_rows}, rejected {rejected}; last ingest {last}"
        )
        if quarantined:
            print(f"  {quarantined} file(s) set aside in the quarantine folder")
    for path, error in failed:
        print(f"  failed: {path}: {error}")


def _print_last_run(instance: Any) -> None:
    from dagster import DagsterEventType

    from pipelines.ops.progress import step_error

    runs = instance.get_runs(limit=1)
    if not runs:
        print("No run recorded yet.")
        return
    run = runs[0]
    record = instance.get_run_record_by_id(run.run_id)
    started = record.start_time if record else None
    ended = record.end_time if record else None
    when = ""
    if started:
        when = f" started {datetime.fromtimestamp(started, UTC):%Y-%m-%d %H:%M:%S} UTC"
    if started and ended:
        when += f", took {ended - started:.0f} s"
    trigger = run.tags.get(TRIGGER_TAG)
    by = f" ({trigger})" if trigger else ""
    state = run.status.value
    if _interrupted(run):
        state += ", interrupted: its process is gone"
    print(f"Last run: {run.job_name} {state}{by}{when}")
    failures = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.STEP_FAILURE
    ).records
    for failure in failures:
        event = failure.event_log_entry.dagster_event
        print(f"  ERROR {event.step_key}: {step_error(event.event_specific_data.error)}")
    # What this run found, also when it published nothing: failed files and failed checks.
    materializations = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    ).records
    for record in materializations:
        materialization = record.event_log_entry.dagster_event.event_specific_data.materialization
        failed = materialization.metadata.get("failed_files")
        if failed is not None and failed.value != "none":
            for line in str(failed.value).splitlines():
                print(f"  this run: failed: {line}")
    evaluations = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    for record in evaluations:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed:
            for line in check_failure_lines(evaluation):
                print(f"  {line}")
    if run.status.value == "FAILURE":
        print("  This run published nothing: the marts below are the last published ones.")


def status() -> int:
    """Print the ledger summary of the published marts and the last run's outcome: its failed
    files and failed checks (naming files and lines), also when that run published nothing."""
    settings = configure_dagster_environment()
    from dagster import DagsterInstance

    data_quality = settings.marts_dir / "data_quality.parquet"
    with DagsterInstance.get() as instance:
        _print_last_run(instance)
    if data_quality.exists():
        _print_ledger_summary(data_quality)
    else:
        print(f"No marts published yet in {settings.marts_dir}.")
    return 0
