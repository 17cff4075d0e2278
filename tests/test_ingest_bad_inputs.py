"""Bad raw files beside good ones: each has an exact, recorded outcome and none stops the run.

None of these files loses data silently: the files that fail are new (they never loaded) and no
file has most of its rows rejected for a cause of the whole file, so the blocking
``data_complete`` check passes (tests/test_ingest_agency_files.py has the files that stop it).

The hand-written files in ``tests/bad_inputs/raw`` are ingested by a real Dagster run of every
asset (ephemeral instance, temporary warehouse); then one file is replaced by other content under
the same name and the run repeated.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from pipelines.definitions import defs
from pipelines.privacy.pseudonymize import PseudonymKey, load_key
from pipelines.settings import get_settings

BAD_INPUTS = Path(__file__).parent / "bad_inputs"
REPLACED = "activity/log_2011_10.csv"
# Written at run time (such names do not belong in a repository): a file name and a header that
# would change the SQL if either were pasted into it.
HOSTILE_NAME = """activity/log_2012_10_o'brien"; DROP TABLE rejects; --.csv"""
HOSTILE_HEADER = "assessments/armt_2011_extra_column.csv"


@dataclass(frozen=True)
class Pseudonym:
    """An expected id value, which the rejects table holds pseudonymized."""

    raw_id: str


@dataclass
class RunOutcome:
    success: bool
    ledger: dict[str, dict]
    rejects: dict[str, list[tuple]]
    metadata: dict[str, dict]
    checks: dict[tuple[str, str], bool]
    warehouse: Path
    key: PseudonymKey


def _run_everything(data: Path) -> RunOutcome:
    result = materialize(
        list(defs.assets),
        resources=dict(defs.resources),
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    metadata = {
        event.asset_key.to_user_string(): {
            name: value.value
            for name, value in event.step_materialization_data.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }
    checks = {
        (evaluation.asset_key.to_user_string(), evaluation.check_name): evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }
    warehouse = data / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        ledger_rows = conn.execute(
            "SELECT path, status, rows_read, rows_loaded, rows_rejected, delimiter, encoding, "
            "layout, error_message, sha256 FROM ingest_ledger"
        ).fetchall()
        reject_rows = conn.execute(
            "SELECT path, line, column_name, value, reason FROM rejects ORDER BY path, line"
        ).fetchall()
    names = ("status", "read", "loaded", "rejected", "delimiter", "encoding", "layout", "error")
    ledger = {row[0]: dict(zip((*names, "sha256"), row[1:], strict=True)) for row in ledger_rows}
    rejects: dict[str, list[tuple]] = {}
    for path, *rest in reject_rows:
        rejects.setdefault(path, []).append(tuple(rest))
    key = load_key(get_settings())
    return RunOutcome(result.success, ledger, rejects, metadata, checks, warehouse, key)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunOutcome, RunOutcome]:
    """Two runs: the bad inputs as written, then with one file replaced."""
    root = tmp_path_factory.mktemp("bad_inputs")
    data = root / "data"
    shutil.copytree(BAD_INPUTS / "raw", data / "raw")
    activity = (data / "raw" / REPLACED).read_text().splitlines()
    (data / "raw" / HOSTILE_NAME).write_text(
        activity[0] + "\n" + activity[1].replace("L0001", "L0201") + "\n"
    )
    armt = (data / "raw" / "assessments" / "armt_2011.csv").read_text().splitlines()
    (data / "raw" / HOSTILE_HEADER).write_text(
        armt[0]
        + ',Note "x"); DROP TABLE stg_rosters; --\n'
        + armt[1].replace("7100000001", "7100000020")
        + ",fine\n"
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PARTNER_IMPACT_DATA_DIR", str(data))
        env.setenv("PARTNER_IMPACT_KEY_FILE", str(root / "secrets" / "pseudonym.key"))
        env.delenv("PARTNER_IMPACT_PSEUDONYM_KEY", raising=False)
        first = _run_everything(data)
        shutil.copyfile(BAD_INPUTS / "replacement" / "log_2011_10.csv", data / "raw" / REPLACED)
        second = _run_everything(data)
    return first, second


# path: (status, rows read, loaded, rejected)
EXPECTED_FILES = {
    "rosters/ccd_2011.csv": ("loaded", 4, 4, 0),
    "rosters/ccd_2012_semicolons.csv": ("loaded", 4, 4, 0),
    "program/program.csv": ("loaded", 2, 2, 0),
    "activity/log_2011_10.csv": ("loaded", 3, 3, 0),
    "activity/log_2011_11_bom.csv": ("loaded", 2, 2, 0),
    "activity/log_2011_12_cp1252.csv": ("loaded", 2, 2, 0),
    "activity/log_2012_01_quoted_newlines.csv": ("loaded", 3, 2, 1),
    "activity/log_2012_02_dates.csv": ("loaded", 4, 1, 3),
    # 2 of 4 rows: not most of the file, so a row-level problem (3 of 4 would block the run).
    "activity/log_2012_03_unknown_school.csv": ("loaded", 4, 2, 2),
    "activity/log_2012_04_truncated.csv": ("loaded", 3, 2, 1),
    "activity/log_2012_05_empty.csv": ("failed", 0, 0, 0),
    "activity/log_2012_06_header_only.csv": ("loaded", 0, 0, 0),
    "activity/log_2012_07_missing_column.csv": ("failed", 0, 0, 0),
    "activity/log_2012_08_duplicates.csv": ("loaded", 4, 2, 2),
    "activity/log_2012_09_carets.csv": ("failed", 0, 0, 0),
    "activity/log_2012_11_blank_lines.csv": ("loaded", 3, 2, 1),
    "assessments/armt_2011.csv": ("loaded", 5, 3, 2),
    "assessments/armt_plus_2012.csv": ("loaded", 9, 2, 7),
    "assessments/vendor_export_2013.csv": ("failed", 0, 0, 0),
}

# path: [(line, column, offending value, reason)]; student ids appear only pseudonymized.
EXPECTED_REJECTS = {
    # The record on line 2 spans two physical lines: the bad one is on line 5, as an editor shows.
    "activity/log_2012_01_quoted_newlines.csv": [(5, "minutes", "abc", "not a number")],
    "activity/log_2012_02_dates.csv": [
        (2, "contact_date", "02/30/2012", "invalid date"),
        (3, "contact_date", "13/01/2012", "invalid date"),
        (4, "contact_date", "2012-02-03", "invalid date"),
    ],
    "activity/log_2012_03_unknown_school.csv": [
        (2, "school_code", "9999", "unknown school"),
        (3, "school_code", "0100", "unknown school"),
    ],
    "activity/log_2012_04_truncated.csv": [(4, "record_type", None, "wrong number of fields")],
    "activity/log_2012_08_duplicates.csv": [
        (3, "log_id", "L0081", "duplicate row"),
        (5, "log_id", "L0082", "duplicate key"),
    ],
    # Blank lines are skipped but counted: the bad record is on line 5 in any editor.
    "activity/log_2012_11_blank_lines.csv": [(5, "minutes", "thirty", "not a number")],
    "assessments/armt_2011.csv": [
        (5, "STUDENT_ID", Pseudonym("7100000001"), "duplicate row"),  # same as line 2
        (6, "STUDENT_ID", Pseudonym("7100000003"), "duplicate key"),  # other scores than line 4
    ],
    "assessments/armt_plus_2012.csv": [
        (3, "Reading Scale Score", "N/A", "not a number"),
        (4, "Math Scale Score", "950", "out of range"),
        (5, "Grade", "4", "out of range"),  # science is not tested in grade 4
        (6, "SSID", None, "missing required value"),
        (7, "Reading Achievement Level", "Meets", "invalid code"),
        (8, "Reading Scale Score", "-5", "out of range"),
        (10, None, None, "invalid date"),  # math dated a year after reading
    ],
}


def test_the_run_succeeds_with_bad_files_beside_good_ones(runs) -> None:
    first, second = runs
    assert first.success and second.success
    assert set(first.ledger) == set(EXPECTED_FILES) | {HOSTILE_NAME, HOSTILE_HEADER}
    # New files that fail only warn: they never loaded, so no published row goes missing.
    assert first.checks[("stg_activity", "no_failed_files")] is False
    for run in runs:
        blocking = {"rows_reconcile", "unique_keys", "schools_in_roster", "data_complete"}
        assert all(passed for (_, name), passed in run.checks.items() if name in blocking)
        assert len([name for (_, name) in run.checks if name == "rows_reconcile"]) == 4


@pytest.mark.parametrize("path", sorted(EXPECTED_FILES))
def test_each_file_has_its_exact_outcome(runs, path: str) -> None:
    entry = runs[0].ledger[path]
    assert (entry["status"], entry["read"], entry["loaded"], entry["rejected"]) == (
        EXPECTED_FILES[path]
    )
    assert entry["read"] == entry["loaded"] + entry["rejected"]
    assert len(runs[0].rejects.get(path, [])) == entry["rejected"]


@pytest.mark.parametrize("path", sorted(EXPECTED_REJECTS))
def test_bad_rows_land_in_rejects_with_line_column_and_reason(runs, path: str) -> None:
    key = runs[0].key
    expected = [
        (
            line,
            column,
            key.pseudonymize(value.raw_id) if isinstance(value, Pseudonym) else value,
            reason,
        )
        for line, column, value, reason in EXPECTED_REJECTS[path]
    ]
    assert runs[0].rejects[path] == expected


def test_failed_files_say_why_and_name_what_they_saw(runs) -> None:
    ledger = runs[0].ledger
    assert ledger["activity/log_2012_05_empty.csv"]["error"] == "the file is empty: no header line"
    missing = ledger["activity/log_2012_07_missing_column.csv"]["error"]
    assert missing.startswith("unknown layout") and "lacks 'minutes'" in missing
    unknown = ledger["assessments/vendor_export_2013.csv"]["error"]
    assert "['Student', 'Score', 'Year']" in unknown
    carets = ledger["activity/log_2012_09_carets.csv"]["error"]
    assert "1 column(s)" in carets


def test_delimiters_and_encodings_are_recognized(runs) -> None:
    ledger = runs[0].ledger
    assert ledger["rosters/ccd_2012_semicolons.csv"]["delimiter"] == ";"
    assert ledger["activity/log_2011_11_bom.csv"]["encoding"] == "utf-8-sig"
    assert ledger["activity/log_2011_12_cp1252.csv"]["encoding"] == "windows-1252"
    with duckdb.connect(str(runs[0].warehouse), read_only=True) as conn:
        notes = dict(conn.execute("SELECT log_id, notes FROM stg_activity").fetchall())
        first_column = conn.execute(
            "SELECT count(*) FROM stg_activity WHERE path = 'activity/log_2011_11_bom.csv' "
            "AND log_id LIKE 'L%'"
        ).fetchall()[0][0]
    assert notes["L0011"] == "Café réunion with the teacher."
    assert notes["L0021"] == "A naïve question about the teacher\u2019s plan."
    assert notes["L0031"] == "Two lines:\nfirst, second."
    assert first_column == 2  # the byte-order mark did not stick to the first column's name


def test_stray_whitespace_is_repaired_and_system_totals_kept_apart(runs) -> None:
    with duckdb.connect(str(runs[0].warehouse), read_only=True) as conn:
        schools = conn.execute(
            "SELECT DISTINCT school_code FROM stg_assessments "
            "WHERE path = 'assessments/armt_2011.csv'"
        ).fetchall()
        totals = conn.execute("SELECT count(*) FROM stg_rosters WHERE is_system_total").fetchall()[
            0
        ][0]
        mart_totals = conn.execute(
            "SELECT count(*) FROM marts.schools WHERE school_code = '0000'"
        ).fetchall()[0][0]
    assert sorted(code for (code,) in schools) == ["0010", "0100"]
    assert (totals, mart_totals) == (2, 0)


def test_a_replaced_file_replaces_its_rows_and_the_rest_is_skipped(runs) -> None:
    first, second = runs
    assert second.ledger[REPLACED]["sha256"] != first.ledger[REPLACED]["sha256"]
    assert second.ledger[REPLACED]["loaded"] == 2
    with duckdb.connect(str(second.warehouse), read_only=True) as conn:
        log_ids = conn.execute(
            "SELECT log_id FROM stg_activity WHERE path = $path ORDER BY log_id", {"path": REPLACED}
        ).fetchall()
        total = conn.execute("SELECT count(*) FROM stg_activity").fetchall()[0][0]
    assert [log_id for (log_id,) in log_ids] == ["L0101", "L0102"]
    loaded = sum(v[2] for k, v in EXPECTED_FILES.items() if k.startswith("activity/"))
    assert total == loaded + 1 - 1  # the hostile-named file adds one; the replacement one less
    activity = second.metadata["stg_activity"]
    assert (activity["files_loaded"], activity["files_failed"]) == (1, 3)
    assert activity["files_skipped"] == 10
    assert second.metadata["stg_assessments"]["files_loaded"] == 0
    assert second.metadata["schools"]["rebuilt"] is False
    assert second.metadata["partnering_dose"]["rebuilt"] is True


def test_hostile_file_names_and_headers_change_no_sql(runs) -> None:
    ledger = runs[0].ledger
    assert (ledger[HOSTILE_NAME]["status"], ledger[HOSTILE_NAME]["loaded"]) == ("loaded", 1)
    assert (ledger[HOSTILE_HEADER]["status"], ledger[HOSTILE_HEADER]["loaded"]) == ("loaded", 1)
    with duckdb.connect(str(runs[0].warehouse), read_only=True) as conn:
        tables = {
            name for (name,) in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
    assert {"rejects", "stg_rosters", "stg_activity"} <= tables
