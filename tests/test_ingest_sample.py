"""A generated state with corrupted rows, through a full run: the truth file is the oracle.

The ``demo`` sample (``PARTNER_IMPACT_TEST_SAMPLE_SCALE=small`` for a quicker one) with
``--messy 0.01`` is generated once, then every asset is materialized
by a real Dagster run (persistent instance in a temporary folder, so its event and compute logs
can be scanned). Every row the generator corrupted must be rejected or repaired exactly as its
truth file says, no clean row may be rejected, and no raw student or teacher id may appear in
the warehouse, the marts, the Dagster storage or the run's output.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from pipelines.definitions import EVERYTHING_JOB, defs
from pipelines.layouts import detect_assessment_layout
from pipelines.sample import generate_sample
from pipelines.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

SCALE = os.environ.get("PARTNER_IMPACT_TEST_SAMPLE_SCALE", "demo")

RECORD_TABLES = {
    "rosters": "stg_rosters",
    "program": "stg_program",
    "activity": "stg_activity",
    "assessments": "stg_assessment_records",
}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("sample_state")
    data = root / "data"
    generate_sample(data / "raw", scale=SCALE, seed=1, messy=0.01)
    truth = json.loads((data / "sample_truth.json").read_text())
    dagster_dir = root / "dagster"
    # The run's settings, kept so later command-line runs use the same folders and key.
    settings = {
        "PARTNER_IMPACT_DATA_DIR": str(data),
        "PARTNER_IMPACT_KEY_FILE": str(root / "secrets" / "pseudonym.key"),
        "DAGSTER_HOME": str(PROJECT_ROOT),
    }
    for variable, part in (
        ("STORAGE", "storage"),
        ("ARTIFACTS", "artifacts"),
        ("COMPUTE_LOGS", "logs"),
    ):
        settings[f"PARTNER_IMPACT_DAGSTER_{variable}"] = str(dagster_dir / part)
        (dagster_dir / part).mkdir(parents=True)
    with pytest.MonkeyPatch.context() as env:
        env.delenv("PARTNER_IMPACT_PSEUDONYM_KEY", raising=False)
        for name, value in settings.items():
            env.setenv(name, value)
        with DagsterInstance.get() as instance:
            result = defs.resolve_job_def(EVERYTHING_JOB).execute_in_process(
                instance=instance, raise_on_error=False
            )
    return {
        "data": data,
        "truth": truth,
        "result": result,
        "dagster_dir": dagster_dir,
        "settings": settings,
    }


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_the_run_succeeds_and_every_blocking_check_passes(state) -> None:
    result = state["result"]
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) > 20
    failed_errors = [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in evaluations
        if not e.passed and e.severity.value == "ERROR"
    ]
    assert failed_errors == []


def test_every_corrupted_row_is_rejected_or_repaired_as_documented(state) -> None:
    warehouse = state["data"] / "warehouse.duckdb"
    rejects = {
        (path, line): reason
        for path, line, reason in _query(warehouse, "SELECT path, line, reason FROM rejects")
    }
    loaded = {
        (path, line)
        for table in RECORD_TABLES.values()
        for path, line in _query(warehouse, f"SELECT path, line FROM {table}")
    }
    corruptions = state["truth"]["corruptions"]
    assert len(corruptions) > 1000
    for corruption in corruptions:
        where = (corruption["file"], corruption["line"])
        if corruption["expected"] == "repair":
            assert where in loaded and where not in rejects, corruption
        elif corruption["expected"] == "drop_duplicate":
            assert rejects.get(where) == "duplicate row", corruption
        else:
            assert corruption["expected"] == "reject"
            assert where in rejects and where not in loaded, corruption
    expected_rejected = {(c["file"], c["line"]) for c in corruptions if c["expected"] != "repair"}
    assert set(rejects) == expected_rejected  # no clean row is rejected


def test_repaired_values_are_loaded_as_the_truth_says(state) -> None:
    """Stray spaces trimmed; Windows-1252 text in a UTF-8 file decoded as Windows-1252."""
    warehouse = state["data"] / "warehouse.duckdb"
    rosters = {
        (path, line): (school_code, school_name, system_name)
        for path, line, school_code, school_name, system_name in _query(
            warehouse, "SELECT path, line, school_code, school_name, system_name FROM stg_rosters"
        )
    }
    checked = 0
    for corruption in state["truth"]["corruptions"]:
        row = rosters.get((corruption["file"], corruption["line"]))
        if row is None or corruption["redacted"]:
            continue
        if corruption["kind"] == "windows_1252_text":
            assert corruption["new"] in row[1:], corruption
            checked += 1
        elif corruption["kind"] == "stray_whitespace" and corruption["column"] == "school_code":
            assert row[0] == corruption["original"], corruption
            checked += 1
    assert checked > 0


def test_reasons_match_the_kind_of_corruption(state) -> None:
    warehouse = state["data"] / "warehouse.duckdb"
    rejects = dict(
        ((path, line), reason)
        for path, line, reason in _query(warehouse, "SELECT path, line, reason FROM rejects")
    )
    reasons = {
        "malformed_date": {"invalid date"},
        "unknown_school": {"unknown school"},
        "non_numeric_score": {"not a number"},
        "non_numeric_minutes": {"not a number"},
        "out_of_range_score": {"out of range"},
        "out_of_range_minutes": {"out of range"},
        "missing_student_id": {"missing required value"},
        "duplicate_row": {"duplicate row"},
    }
    for corruption in state["truth"]["corruptions"]:
        if corruption["kind"] in reasons:
            reason = rejects[(corruption["file"], corruption["line"])]
            assert reason in reasons[corruption["kind"]], corruption


def test_rows_reconcile_from_files_to_marts(state) -> None:
    warehouse = state["data"] / "warehouse.duckdb"
    ((read, loaded, rejected),) = _query(
        warehouse, "SELECT sum(rows_read), sum(rows_loaded), sum(rows_rejected) FROM ingest_ledger"
    )
    assert read == loaded + rejected
    assert read == sum(state["truth"]["rows"].values())  # data rows the generator wrote
    assert rejected == _query(warehouse, "SELECT count(*) FROM rejects")[0][0]
    analyst = state["data"] / "marts" / "analyst.duckdb"
    ((scores,),) = _query(analyst, "SELECT count(*) FROM student_scores")
    assert scores == _query(warehouse, "SELECT count(*) FROM stg_assessments")[0][0]
    ((quality_rows,),) = _query(analyst, "SELECT sum(rows) FROM data_quality")
    assert quality_rows == read


def test_z_scores_are_standardized_within_test_subject_grade_and_year(state) -> None:
    analyst = state["data"] / "marts" / "analyst.duckdb"
    cells = _query(
        analyst,
        "SELECT test, subject, grade, school_year, avg(z), stddev_samp(z), count(*) "
        "FROM student_scores GROUP BY ALL",
    )
    assert len(cells) > 100
    for *_, mean, sd, n in cells:
        assert abs(mean) < 1e-9 and abs(sd - 1) < 1e-9 and n >= 2


def test_cohort_means_match_the_truth(state) -> None:
    """Partnered cohorts' observed mean z by year, as the generator computed it."""
    analyst = state["data"] / "marts" / "analyst.duckdb"
    observed = {
        (cohort, year, subject): mean_z
        for cohort, year, subject, mean_z in _query(
            analyst,
            "SELECT cohort, school_year, subject, sum(mean_z * n_tested) / sum(n_tested) "
            "FROM school_panel WHERE cohort > 0 GROUP BY ALL",
        )
    }
    compared = 0
    for row in state["truth"]["selection"]["cohort_means_by_year"]:
        for subject in ("ela", "math", "science"):
            expected = row.get(f"mean_z_{subject}")
            if expected is not None:
                got = observed[(row["cohort"], row["year"], subject)]
                assert got == pytest.approx(expected, abs=0.03)
                compared += 1
    assert compared > 30


def test_partnering_dose_matches_the_truth_less_the_rejected_contacts(state) -> None:
    analyst = state["data"] / "marts" / "analyst.duckdb"
    dose = {
        (system, school, year): (contacts, teachers)
        for system, school, year, contacts, teachers in _query(
            analyst,
            "SELECT system_code, school_code, school_year, contacts, teachers_reached "
            "FROM partnering_dose WHERE partnered",
        )
    }
    truth = state["truth"]["dose_response"]["by_school_year"]
    assert {(r["system_code"], r["school_code"], r["year"]) for r in truth} <= set(dose)
    lost = sum(
        r["contacts"] - dose[(r["system_code"], r["school_code"], r["year"])][0] for r in truth
    )
    rejected_contacts = sum(
        c["file"].startswith("activity/") and c["expected"] == "reject"
        for c in state["truth"]["corruptions"]
    )
    assert lost == rejected_contacts
    assert all(dose[(r["system_code"], r["school_code"], r["year"])][1] > 0 for r in truth)


def _raw_ids(raw: Path) -> set[str]:
    """Every student id of the assessment files and every teacher id of the activity logs."""
    ids: set[str] = set()
    for path in sorted((raw / "assessments").iterdir()):
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            layout = detect_assessment_layout(header)
            column = [name.strip() for name in header].index(layout.student_id)
            ids.update(row[column].strip() for row in reader if len(row) > column)
    for path in sorted((raw / "activity").iterdir()):
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            for row in csv.DictReader(handle):
                ids.update(t.strip() for t in (row["teacher_ids"] or "").split(";"))
    ids.discard("")
    return ids


def _strings_in(database: Path, *, parquet_dir: Path | None = None) -> set[str]:
    """Every distinct text value of every table (or Parquet file), lists flattened."""
    values: set[str] = set()
    with duckdb.connect(str(database), read_only=True) as conn:
        if parquet_dir is None:
            sources = [
                f'"{schema}"."{table}"'
                for schema, table in conn.execute(
                    "SELECT schema_name, table_name FROM duckdb_tables()"
                ).fetchall()
            ]
        else:
            sources = [f"read_parquet('{path}')" for path in sorted(parquet_dir.glob("*.parquet"))]
        for source in sources:
            columns = conn.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
            for name, kind, *_ in columns:
                expression = f'"{name}"'
                if kind.endswith("[]"):
                    expression = f'unnest("{name}")'
                rows = conn.execute(
                    f"SELECT DISTINCT CAST({expression} AS VARCHAR) FROM {source}"
                ).fetchall()
                values.update(value for (value,) in rows if value is not None)
    return values


def test_no_raw_id_reaches_warehouse_marts_or_logs(state) -> None:
    data = state["data"]
    raw_ids = _raw_ids(data / "raw")
    assert len(raw_ids) > 10_000
    token = re.compile(r"[A-Za-z0-9]+")
    stored = _strings_in(data / "warehouse.duckdb") | _published_strings(data)
    found = {t for value in stored for t in token.findall(value)} & raw_ids
    assert found == set()
    for folder in ("marts", "estimates"):
        with duckdb.connect(str(data / folder / "analyst.duckdb"), read_only=True) as conn:
            assert conn.execute("SELECT count(*) FROM duckdb_tables()").fetchall() == [(0,)]
    report = _report_text(data)
    assert set(token.findall(report)) & raw_ids == set()
    logs = _logs(state)
    assert len(logs) > 10_000
    assert set(token.findall(logs)) & raw_ids == set()


def test_no_raw_id_reaches_the_console(state) -> None:
    """What an evaluator's terminal or a timer's mail shows: ``partner-impact run`` with
    Dagster's log at debug level (every step, check and event) and ``status`` (the ledger
    summary of the messy sample), standard output and error."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PARTNER_IMP")}
    env.update(state["settings"])
    console = ""
    for arguments in (("run", "--log-level", "debug", "--progress"), ("status",)):
        completed = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", *arguments],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
        console += completed.stdout + completed.stderr
    # It did log every step, and status summed up the ledger (rejected rows included).
    assert " - DEBUG - " in console and "STEP_SUCCESS" in console
    assert "rejected" in console and "Last run:" in console
    tokens = set(re.findall(r"[A-Za-z0-9]+", console))
    assert tokens & _raw_ids(state["data"] / "raw") == set()


def _published_strings(data: Path) -> set[str]:
    """Every text value of the published marts and estimates."""
    return _strings_in(data / "marts" / "analyst.duckdb", parquet_dir=data / "marts") | _strings_in(
        data / "estimates" / "analyst.duckdb", parquet_dir=data / "estimates"
    )


def _report_text(data: Path) -> str:
    report = data / "reports" / "impact_report.html"
    assert report.stat().st_size > 100_000
    return report.read_text(encoding="utf-8")


def _logs(state: dict) -> str:
    """The Dagster storage folder (run and event storage, compute logs) and the run's events."""
    logs = " ".join(
        path.read_bytes().decode("utf-8", errors="replace")
        for path in state["dagster_dir"].rglob("*")
        if path.is_file()
    )
    return logs + " ".join(
        str(event.message) for event in state["result"].all_events if event.message
    )


def test_no_free_text_note_leaves_the_warehouse(state) -> None:
    data = state["data"]
    notes: set[str] = set()
    for path in sorted((data / "raw" / "activity").iterdir()):
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            notes.update((row["notes"] or "").strip() for row in csv.DictReader(handle))
    notes.discard("")
    assert len(notes) > 20
    # The notes are in the warehouse (so this scan would find them), and nowhere else.
    kept = _strings_in(data / "warehouse.duckdb")
    assert len(notes & kept) > 20
    published = "\n".join(_published_strings(data))
    elsewhere = {"published tables": published, "report": _report_text(data), "logs": _logs(state)}
    for where, text in elsewhere.items():
        assert [note for note in notes if note in text] == [], where


def test_a_run_with_no_new_files_redoes_nothing(state, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(state["data"], copy)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PARTNER_IMPACT_DATA_DIR", str(copy))
        env.setenv(
            "PARTNER_IMPACT_KEY_FILE", str(state["data"].parent / "secrets" / "pseudonym.key")
        )
        result = defs.resolve_job_def(EVERYTHING_JOB).execute_in_process(
            instance=DagsterInstance.ephemeral()
        )
    metadata = {
        event.asset_key.to_user_string(): {
            name: value.value
            for name, value in event.step_materialization_data.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }
    assert all(metadata[f"stg_{s}"]["files_loaded"] == 0 for s in RECORD_TABLES)
    assert not any(metadata[name].get("rebuilt", False) for name in metadata)
    assert metadata["published_marts"]["republished"] is True  # the copy moved the data dir
    reused = [e.metadata["reused"].value for e in result.get_asset_check_evaluations()]
    assert reused and all(reused)
