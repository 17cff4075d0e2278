"""The nightly schedule and the raw-files sensor, evaluated as the Dagster daemon would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)

from pipelines.definitions import EVERYTHING_JOB, defs
from pipelines.ops.automation import SETTLE_SECONDS, TIMEZONE_ENV_VAR
from pipelines.settings import PROJECT_ROOT

LONG_AGO = time.time() - 3600


def _sensor():
    return defs.get_repository_def().get_sensor_def("raw_files")


def _tick(instance: DagsterInstance, cursor: str | None) -> tuple[object, str | None]:
    context = build_sensor_context(instance=instance, cursor=cursor)
    outcome = _sensor()(context)
    return outcome, context.cursor


def _write(path: Path, text: str, mtime: float = LONG_AGO) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))


@pytest.fixture
def instance(data_dir: Path, tmp_path: Path):
    (tmp_path / "instance").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "instance")) as temporary:
        yield temporary


def test_schedule_and_sensor_are_off_by_default_and_run_everything() -> None:
    repository = defs.get_repository_def()
    schedule = repository.get_schedule_def("nightly")
    sensor = repository.get_sensor_def("raw_files")
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
    assert sensor.default_status == DefaultSensorStatus.STOPPED
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.job_name == sensor.job_name == EVERYTHING_JOB
    job = defs.resolve_job_def(EVERYTHING_JOB)
    graph = defs.resolve_asset_graph()
    assert set(job.asset_layer.executable_asset_keys) == set(graph.materializable_asset_keys)
    # A job over every asset fails when partitioned and unpartitioned assets are mixed.
    assert not any(node.is_partitioned for node in graph.asset_nodes)


def test_schedule_requests_the_everything_job_at_two_in_the_configured_zone() -> None:
    schedule = defs.get_repository_def().get_schedule_def("nightly")
    assert schedule.execution_timezone == "America/Chicago"
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 3, 9, 2, 0))
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.tags["partner_impact/trigger"] == "nightly"


def test_schedule_time_zone_comes_from_the_environment_and_is_checked() -> None:
    load = (
        "from pipelines.definitions import defs; print(defs.get_repository_def()"
        ".get_schedule_def('nightly').execution_timezone)"
    )
    env = {**os.environ, TIMEZONE_ENV_VAR: "Europe/Paris", "PYTHONPATH": str(PROJECT_ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", load], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "Europe/Paris"
    env[TIMEZONE_ENV_VAR] = "Alabama/Montgomery"
    failed = subprocess.run([sys.executable, "-c", load], env=env, capture_output=True, text=True)
    assert failed.returncode != 0
    assert "PARTNER_IMPACT_TIMEZONE='Alabama/Montgomery' is not a time zone name" in failed.stderr


def test_sensor_runs_once_per_content_of_the_raw_folder(data_dir: Path, instance) -> None:
    raw = data_dir / "raw"
    outcome, cursor = _tick(instance, None)
    assert isinstance(outcome, SkipReason) and "No raw files" in outcome.skip_message

    _write(raw / "rosters" / "ccd_2012.csv", "a,b\n1,2\n")
    _write(raw / "activity" / "log_2012_01.csv", "x\n1\n")
    first, cursor = _tick(instance, cursor)
    assert isinstance(first, RunRequest)
    assert first.tags["partner_impact/trigger"] == "raw_files"

    # The same tick evaluated again from the same cursor (e.g. the daemon restarted before it
    # stored the cursor) asks for the same run key: Dagster starts that run once.
    again, _ = _tick(instance, json.dumps({"requests": 0, "requested": None, "files": {}}))
    assert again.run_key == first.run_key

    # Same files: nothing to do, even when a file was touched without changing its content.
    outcome, cursor = _tick(instance, cursor)
    assert isinstance(outcome, SkipReason) and "No raw file added" in outcome.skip_message
    os.utime(raw / "rosters" / "ccd_2012.csv", (LONG_AGO + 60, LONG_AGO + 60))
    outcome, cursor = _tick(instance, cursor)
    assert isinstance(outcome, SkipReason)

    # Changed content under the same name and size: a new run.
    _write(raw / "rosters" / "ccd_2012.csv", "a,b\n1,3\n", mtime=LONG_AGO + 120)
    second, cursor = _tick(instance, cursor)
    assert isinstance(second, RunRequest) and second.run_key != first.run_key

    # Back to the first content: the files differ from the last run's, so a run again, under a
    # key of its own.
    _write(raw / "rosters" / "ccd_2012.csv", "a,b\n1,2\n")
    third, cursor = _tick(instance, cursor)
    assert isinstance(third, RunRequest) and third.run_key not in {first.run_key, second.run_key}

    # A removed file changes what the warehouse must hold: a run.
    (raw / "activity" / "log_2012_01.csv").unlink()
    fourth, cursor = _tick(instance, cursor)
    assert isinstance(fourth, RunRequest)

    # Hidden files and folders outside the raw sources are not the ingest's: no run.
    _write(raw / "rosters" / ".~lock.ccd_2012.csv#", "lock")
    _write(raw / "notes" / "readme.txt", "not a source")
    outcome, cursor = _tick(instance, cursor)
    assert isinstance(outcome, SkipReason)


def test_sensor_waits_for_files_still_arriving(data_dir: Path, instance) -> None:
    raw = data_dir / "raw"
    _write(raw / "assessments" / "armt_2011.csv", "partly copied", mtime=time.time())
    outcome, cursor = _tick(instance, None)
    assert isinstance(outcome, SkipReason)
    assert f"modified in the last {SETTLE_SECONDS} s" in outcome.skip_message
    assert "assessments/armt_2011.csv" in outcome.skip_message
    old = time.time() - SETTLE_SECONDS - 1
    os.utime(raw / "assessments" / "armt_2011.csv", (old, old))
    outcome, _ = _tick(instance, cursor)
    assert isinstance(outcome, RunRequest)


def test_the_readme_turns_on_the_schedule_and_sensor_that_exist() -> None:
    """The README's commands start the schedule and sensor by their defined names, and its
    service runs the daemon on this code location."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    repository = defs.get_repository_def()
    schedules = {s.name for s in repository.schedule_defs}
    sensors = {s.name for s in repository.sensor_defs}
    started = {
        kind: set(re.findall(rf"dagster {kind} start (\w+) -m pipelines\.definitions", readme))
        for kind in ("schedule", "sensor")
    }
    assert started == {"schedule": schedules, "sensor": sensors}
    assert "dagster-daemon run -m pipelines.definitions" in readme
    assert "dagster-webserver -h 127.0.0.1" in readme
    assert TIMEZONE_ENV_VAR in readme
