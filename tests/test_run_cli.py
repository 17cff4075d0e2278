"""``partner-impact run``: every asset and check in-process, non-zero exit on a blocking failure;
``partner-impact status``: the ledger summary and the last run's outcome."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.settings import PROJECT_ROOT

BAD_INPUTS = Path(__file__).parent / "bad_inputs"


def _published(marts: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(marts.iterdir())}


def test_run_publishes_then_refuses_to_publish_unaccounted_data(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    shutil.rmtree(data_dir / "raw")
    shutil.copytree(BAD_INPUTS / "raw", data_dir / "raw")

    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "stg_activity: files loaded 10, files skipped 0, files failed 3" in out
    assert "check stg_activity:no_failed_files WARN: failed" in out
    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert "activity: 10 files loaded, 3 failed, 0 removed; rows read 28" in status
    assert "failed: activity/log_2012_05_empty.csv: the file is empty: no header line" in status
    assert "Last run: materialize_everything SUCCESS" in status
    marts = data_dir / "marts"
    before = _published(marts)
    assert {"school_panel.parquet", "student_scores.parquet", "analyst.duckdb"} <= set(before)

    # A second export of the 2011 roster duplicates every school-year: the blocking unique-key
    # check stops the run before anything downstream, and the published marts stay as they were.
    rosters = data_dir / "raw" / "rosters"
    shutil.copyfile(rosters / "ccd_2011.csv", rosters / "ccd_2011_resent.csv")
    assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert "check stg_rosters:unique_keys ERROR: failed" in out
    assert "The run failed" in out
    assert _published(marts) == before
    assert main(["status"]) == 0
    assert "Last run: materialize_everything FAILURE" in capsys.readouterr().out
