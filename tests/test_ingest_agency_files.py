"""Files as agencies really send them, each beside good files, with its exact outcome (issue 13).

Two real pipelines over small hand-made raw folders (built here, from the good files of
``tests/bad_inputs``):

- *formats*: one run (Dagster ``materialize``) over compressed exports, workbooks saved under a
  CSV name, binary junk, old-Mac line endings, quoted values holding blank lines and
  spreadsheet-mangled ids and codes. Each file loads or fails alone with its reason; none of them
  had loaded before, so the run publishes (a new file that fails only warns).
- *stops*: ``partner-impact run`` and ``partner-impact status`` as an operator runs them, over one
  data folder that changes between runs: a file copied twice, a loaded file replaced by a
  workbook, then by an export whose codes lost their leading zeros, then set aside in the
  quarantine folder; a roster whose key column was renamed; a program file whose codes lost
  their zeros. Each blocking run exits 1, leaves the published marts byte for byte, and names
  the file in its output and in ``status``.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import shutil
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import DagsterInstance, materialize

from pipelines.cli import main
from pipelines.definitions import defs
from pipelines.ingest.containers import EXCEL_WORKBOOK
from pipelines.ops.run import summary_lines
from pipelines.privacy.pseudonymize import load_key
from pipelines.report.facts import set_aside_files
from pipelines.report.render import data_sample
from pipelines.report.render.example import example_inputs
from pipelines.report.render.inputs import validate_inputs
from pipelines.settings import PROJECT_ROOT, get_settings

BAD_INPUTS = Path(__file__).parent / "bad_inputs" / "raw"
GOOD_FILES = (
    "rosters/ccd_2011.csv",
    "rosters/ccd_2012_semicolons.csv",
    "program/program.csv",
    "activity/log_2011_10.csv",
    "assessments/armt_2011.csv",
)
ARMT_HEADER = (BAD_INPUTS / "assessments/armt_2011.csv").read_text().splitlines()[0]
ACTIVITY_HEADER = (BAD_INPUTS / "activity/log_2011_10.csv").read_text().splitlines()[0]
LEADING_ZEROS = (
    "codes have 4 digits: a spreadsheet dropped the leading zeros; save the column as text "
    "and export again"
)


def armt(*students: tuple[str, str]) -> str:
    """An ARMT 2011 export: one grade-4 record per ``(school code, student id)`` of system 001."""
    rows = [
        f"001,Autauga County,{school},Alpha Elementary School,{student},Doe,Jane,A,03/04/2001,F,"
        "W,Y,4,04/12/2011,612,Level III,598,Level II,,"
        for school, student in students
    ]
    return "\n".join([ARMT_HEADER, *rows]) + "\n"


def activity(*rows: str) -> str:
    return "\n".join([ACTIVITY_HEADER, *rows]) + "\n"


def contact(log_id: str, minutes: str = "30", notes: str = "") -> str:
    return (
        f"{log_id},10/12/2011,IP0001,001,0010,one-on-one,modeling,reading,{minutes},1,"
        f"T9000001,{notes}"
    )


def workbook() -> bytes:
    """The bytes of an .xlsx workbook (a zip of XML parts), as Excel saves one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buffer.getvalue()


def zipped(**members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _environment(env: pytest.MonkeyPatch, root: Path) -> Path:
    data = root / "data"
    (data / "raw").mkdir(parents=True)
    for relative in GOOD_FILES:
        (data / "raw" / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BAD_INPUTS / relative, data / "raw" / relative)
    env.setenv("PARTNER_IMPACT_DATA_DIR", str(data))
    env.setenv("PARTNER_IMPACT_KEY_FILE", str(root / "secrets" / "pseudonym.key"))
    env.delenv("PARTNER_IMPACT_PSEUDONYM_KEY", raising=False)
    env.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    env.setenv("PARTNER_IMPACT_DAGSTER_STORAGE", str(root / "dagster" / "storage"))
    env.setenv("PARTNER_IMPACT_DAGSTER_ARTIFACTS", str(root / "dagster" / "artifacts"))
    env.setenv("PARTNER_IMPACT_DAGSTER_COMPUTE_LOGS", str(root / "dagster" / "logs"))
    return data


def _ledger(data: Path) -> dict[str, tuple]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            "SELECT path, status, rows_read, rows_loaded, rows_rejected, error_message, "
            "rows_set_aside FROM ingest_ledger"
        ).fetchall()
    return {path: tuple(rest) for path, *rest in rows}


def _rejects(data: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            "SELECT path, line, column_name, value, reason, detail FROM rejects ORDER BY path, line"
        ).fetchall()
    found: dict[str, list[tuple]] = {}
    for path, *rest in rows:
        found.setdefault(path, []).append(tuple(rest))
    return found


# --- formats: one run over every kind of file ------------------------------------------------


@dataclass
class Formats:
    success: bool
    ledger: dict[str, tuple]
    rejects: dict[str, list[tuple]]
    metadata: dict[str, dict]
    summary: list[str]
    pseudonym: object


@pytest.fixture(scope="module")
def formats(tmp_path_factory: pytest.TempPathFactory) -> Formats:
    root = tmp_path_factory.mktemp("agency_formats")
    with pytest.MonkeyPatch.context() as env:
        data = _environment(env, root)
        assessments, activity_dir = data / "raw" / "assessments", data / "raw" / "activity"
        (assessments / "armt_2011_gzipped.csv.gz").write_bytes(
            gzip.compress(armt(("0010", "7100000101"), ("0020", "7100000102")).encode())
        )
        (assessments / "armt_2011_zipped.zip").write_bytes(
            zipped(**{"export.csv": armt(("0010", "7100000201"))})
        )
        (assessments / "armt_2011_two_exports.zip").write_bytes(
            zipped(a=armt(("0010", "7100000301")), b=armt(("0010", "7100000302")))
        )
        (assessments / "armt_2011_saved_from_excel.csv").write_bytes(workbook())
        (assessments / "armt_2011_legacy.xls").write_bytes(
            bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504
        )
        (assessments / "armt_2011_binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0d")
        # One id a spreadsheet turned into a number, one school code that lost its zeros, three
        # good records: 2 of 5 rows, not most of the file, so row-level rejects.
        (assessments / "armt_2011_mangled.csv").write_text(
            armt(
                ("0010", "7100000401"),
                ("0010", "7.1E+09"),
                ("10", "7100000403"),
                ("0020", "7100000404"),
                ("0010", "7100000405"),
            )
        )
        # Old-Mac line endings (carriage return only): the bad record is on line 3.
        (activity_dir / "log_2011_11_old_mac.csv").write_bytes(
            activity(contact("L0501"), contact("L0502", minutes="abc"), contact("L0503"))
            .replace("\n", "\r")
            .encode()
        )
        # A note holding a blank line: its record spans lines 2-4, so the bad one is on line 6.
        (activity_dir / "log_2011_12_note_with_blank_line.csv").write_text(
            activity(
                contact("L0601", notes='"First paragraph.\n\nSecond paragraph."'),
                contact("L0602"),
                contact("L0603", minutes="thirty"),
            )
        )
        # A quote never closed in the header: Python's CSV reader gives up on it (this error used
        # to escape and stop the whole activity folder).
        (activity_dir / "log_2011_13_unclosed_quote.csv").write_text(
            '"log_id,contact_date' + "x" * 200_000 + "\n"
        )
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
        key = load_key(get_settings())
        from pipelines.definitions import EVERYTHING_JOB
        from pipelines.ops.run import _step_layers

        layers = _step_layers(defs.resolve_job_def(EVERYTHING_JOB), defs.resolve_asset_graph())
        return Formats(
            result.success,
            _ledger(data),
            _rejects(data),
            metadata,
            summary_lines(result, layers),
            key.pseudonymize,
        )


# path: (status, rows read, loaded, rejected, error message)
EXPECTED_FORMATS = {
    "assessments/armt_2011_gzipped.csv.gz": ("loaded", 2, 2, 0, None),
    "assessments/armt_2011_zipped.zip": ("loaded", 1, 1, 0, None),
    "assessments/armt_2011_two_exports.zip": (
        "failed", 0, 0, 0,
        "a zip archive holding 2 files: unzip it into the folder (one CSV file per export)",
    ),
    "assessments/armt_2011_saved_from_excel.csv": ("failed", 0, 0, 0, EXCEL_WORKBOOK),
    "assessments/armt_2011_legacy.xls": ("failed", 0, 0, 0, EXCEL_WORKBOOK),
    "assessments/armt_2011_binary.csv": (
        "failed", 0, 0, 0,
        "this is not a text file (it holds binary data): export it as CSV (UTF-8)",
    ),
    "assessments/armt_2011_mangled.csv": ("loaded", 5, 3, 2, None),
    "activity/log_2011_11_old_mac.csv": ("loaded", 3, 2, 1, None),
    "activity/log_2011_12_note_with_blank_line.csv": ("loaded", 3, 2, 1, None),
    "activity/log_2011_13_unclosed_quote.csv": (
        "failed", 0, 0, 0,
        "could not be read as CSV (field larger than field limit (#####)): check the file opens "
        "in a text editor",
    ),
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(EXPECTED_FORMATS))
def test_each_agency_file_loads_or_fails_alone_with_a_clerk_readable_reason(
    formats: Formats, path: str
) -> None:
    assert formats.ledger[path][:5] == EXPECTED_FORMATS[path]


def test_new_files_that_fail_only_warn_and_the_run_publishes(formats: Formats) -> None:
    assert formats.success
    assert "published_marts" in formats.metadata
    failed = formats.metadata["stg_assessments"]["failed_files"].splitlines()
    assert f"assessments/armt_2011_saved_from_excel.csv: {EXCEL_WORKBOOK}" in failed


def test_spreadsheet_mangled_ids_and_codes_are_rejected_with_that_reason(formats) -> None:
    mangled = formats.rejects["assessments/armt_2011_mangled.csv"]
    assert [(line, column, reason) for line, column, _, reason, _ in mangled] == [
        (3, "STUDENT_ID", "scientific notation"),
        (4, "SCH_CD", "lost leading zeros"),
    ]
    assert mangled[0][2] == formats.pseudonym("7.1E+09")  # never the raw value
    assert mangled[1][2:] == ("10", "lost leading zeros", f"school {LEADING_ZEROS}")


def test_line_numbers_are_physical_lines(formats: Formats) -> None:
    assert formats.rejects["activity/log_2011_11_old_mac.csv"] == [
        (3, "minutes", "abc", "not a number", None)
    ]
    assert formats.rejects["activity/log_2011_12_note_with_blank_line.csv"] == [
        (6, "minutes", "thirty", "not a number", None)
    ]


def test_the_run_summary_gives_the_top_reject_reasons_per_source(formats: Formats) -> None:
    assert formats.metadata["stg_activity"]["reject_reasons"] == "not a number 2"
    assert formats.metadata["stg_assessments"]["reject_reasons"] == (
        "duplicate key 1, duplicate row 1, lost leading zeros 1, scientific notation 1"
    )
    assert "    rejected rows by reason: not a number 2" in formats.summary


# --- stops: partner-impact run / status over a changing folder ---------------------------------


@dataclass
class Step:
    exit_code: int
    out: str
    status: str
    marts: dict[str, bytes]
    ledger: dict[str, tuple]


def _cli(*arguments: str) -> tuple[int, str]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(list(arguments))
    return code, buffer.getvalue()


def _published(marts: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(marts.glob("*.parquet"))}


@pytest.fixture(scope="module")
def stops(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Step]:
    root = tmp_path_factory.mktemp("agency_stops")
    steps: dict[str, Step] = {}
    with pytest.MonkeyPatch.context() as env:
        data = _environment(env, root)
        raw = data / "raw"
        extra = raw / "assessments" / "armt_2011_extra.csv"
        extra.write_text(armt(("0010", "7100000701"), ("0020", "7100000702")))

        def step(name: str) -> None:
            code, out = _cli("run")
            _, status = _cli("status")
            steps[name] = Step(code, out, status, _published(data / "marts"), _ledger(data))

        step("baseline")
        copy = raw / "assessments" / "armt_2011_extra - Copy.csv"
        shutil.copyfile(extra, copy)
        step("copied_twice")
        copy.unlink()
        extra.write_bytes(workbook())
        step("replaced_by_workbook")
        extra.write_text(armt(("10", "7100000701"), ("20", "7100000702"), ("10", "7100000703")))
        step("codes_lost_zeros")
        quarantine = raw / "quarantine" / "assessments"
        quarantine.mkdir(parents=True)
        extra.rename(quarantine / extra.name)
        step("quarantined")
        roster = (BAD_INPUTS / "rosters" / "ccd_2011.csv").read_text()
        renamed = raw / "rosters" / "ccd_2013_renamed_key.csv"
        renamed.write_text(roster.replace("school_code", "SchoolCode").replace("2011,", "2013,"))
        step("roster_fails")
        renamed.unlink()
        program = raw / "program" / "program.csv"
        program.write_text(
            "system_code,school_code,school_name,cohort,partner_id,last_year\n"
            "1,10,Alpha Elementary School,2012,IP0001,\n"
            "2,100,Gamma Elementary School,2012,IP0002,\n"
        )
        step("program_lost_zeros")
    return steps


def _blocked(stops: dict[str, Step], name: str, published: str = "baseline") -> Step:
    """The step ``name``, after checking it exited 1 and kept the marts ``published`` left."""
    step = stops[name]
    assert step.exit_code == 1
    assert "The run failed; the previous marts, estimates and report are untouched." in step.out
    assert step.marts == stops[published].marts
    assert "Last run: materialize_everything FAILURE" in step.status
    assert "  This run published nothing: the marts below are the last published ones." in (
        step.status
    )
    return step


def test_the_baseline_publishes(stops: dict[str, Step]) -> None:
    baseline = stops["baseline"]
    assert baseline.exit_code == 0
    assert {"school_panel.parquet", "data_quality.parquet"} <= set(baseline.marts)


def test_a_file_copied_twice_stops_the_run_naming_both_files_and_lines(stops) -> None:
    step = _blocked(stops, "copied_twice")
    check = "check stg_assessments:unique_keys ERROR: failed (4 problem(s))"
    example = (
        "    assessments/armt_2011_extra - Copy.csv and assessments/armt_2011_extra.csv: 4 "
        "repeated key(s), e.g. assessments/armt_2011_extra - Copy.csv line 2 and "
        "assessments/armt_2011_extra.csv line 2"
    )
    for text in (step.out, step.status):
        lines = text.splitlines()
        assert check in [line.strip() for line in lines]
        assert example.strip() in [line.strip() for line in lines]


def test_a_loaded_file_that_can_no_longer_be_loaded_blocks_publication(stops) -> None:
    step = _blocked(stops, "replaced_by_workbook")
    path = "assessments/armt_2011_extra.csv"
    assert step.ledger[path][:5] == ("failed", 0, 0, 0, EXCEL_WORKBOOK)
    assert f"    failed: {path}: {EXCEL_WORKBOOK}" in step.out.splitlines()
    message = (
        f"    {path}: loaded before, now it cannot be loaded ({EXCEL_WORKBOOK}); its rows were "
        "taken out: fix the file, or move it to the quarantine folder"
    )
    assert "check stg_assessments:data_complete ERROR: failed (1 problem(s))" in step.out
    assert message in step.out.splitlines()
    assert f"  {message}" in step.status.splitlines()
    assert f"  this run: failed: {path}: {EXCEL_WORKBOOK}" in step.status.splitlines()


def test_most_rows_rejected_for_a_file_level_cause_blocks_publication(stops) -> None:
    step = _blocked(stops, "codes_lost_zeros")
    path = "assessments/armt_2011_extra.csv"
    assert step.ledger[path][:4] == ("loaded", 3, 0, 3)
    assert (
        f"    {path}: 3 of 3 rows rejected for a cause of the whole file (lost leading zeros 3): "
        "see its rejects; fix the file, or move it to the quarantine folder"
    ) in step.out.splitlines()


def test_a_quarantined_file_is_set_aside_counted_and_named_in_the_report(stops) -> None:
    step = stops["quarantined"]
    assert step.exit_code == 0
    assert step.marts != stops["baseline"].marts
    path = "quarantine/assessments/armt_2011_extra.csv"
    assert step.ledger[path] == (
        "quarantined",
        0,
        0,
        0,
        "set aside by the evaluator (quarantine folder): not loaded",
        3,
    )
    assert step.ledger["assessments/armt_2011_extra.csv"][0] == "removed"
    data_quality = pd.read_parquet(io.BytesIO(step.marts["data_quality.parquet"]))
    set_aside = set_aside_files(data_quality)
    assert set_aside.to_dict("records") == [{"path": path, "rows": 3}]
    # This tiny state has too few schools for estimates, so no report is built from it: the
    # data-and-sample section is rendered from the published fact on the example inputs.
    inputs = example_inputs(n_schools=60)
    inputs = replace(inputs, data=replace(inputs.data, set_aside=set_aside))
    validate_inputs(inputs)  # what build_report checks first
    report = data_sample.render(inputs).body
    assert (
        "<dt>Files set aside</dt><dd>1 file(s) set aside by the evaluator and not loaded: "
        f"{path} (3 rows)</dd>"
    ) in report


def test_a_failing_roster_blocks_publication(stops) -> None:
    step = _blocked(stops, "roster_fails", published="quarantined")
    path = "rosters/ccd_2013_renamed_key.csv"
    assert step.ledger[path][0] == "failed"
    assert step.ledger[path][4].startswith("unknown layout: the header has 16 column(s)")
    assert "check stg_rosters:data_complete ERROR: failed (1 problem(s))" in step.out
    (line,) = [
        line
        for line in step.out.splitlines()
        if line.startswith(f"    {path}: a roster file failed (unknown layout: the header has 16")
    ]
    assert line.endswith(
        "that year's schools, assessments and activity would be missing; fix the file, or "
        "move it to the quarantine folder"
    )


def test_program_codes_that_lost_their_zeros_block_publication(stops) -> None:
    step = _blocked(stops, "program_lost_zeros", published="quarantined")
    assert step.ledger["program/program.csv"][:4] == ("loaded", 2, 0, 2)
    assert (
        "    program/program.csv: 2 of 2 rows rejected for a cause of the whole file "
        "(lost leading zeros 2): see its rejects; fix the file, or move it to the quarantine "
        "folder"
    ) in step.out.splitlines()
