"""Each data check fails when its problem is there, not only passes when it is not.

A small raw folder (the hand-written rosters of ``tests/bad_inputs``) is ingested by a real run
of every asset with two program problems built in: a partnered school with no logged contact
and contacts logged at a school the program does not list. The warning checks must flag them
while the blocking ones let the run publish. Then the warehouse that run left is damaged the
way a bug or a crash could (a staged row lost, a row staged twice, a school code changed) and
each blocking ingest check, run on it, must fail and name what it found.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.checks import ingest_checks
from tests.test_ingest_bad_inputs import BAD_INPUTS, RunOutcome, _run_everything

PROGRAM = """system_code,school_code,school_name,cohort,partner_id,last_year
001,0010,Alpha Elementary School,2012,IP0001,
001,0020,Beta Middle School,2012,IP0003,
"""
# Alpha is partnered and logged; Beta is partnered and never logged; Gamma is logged but not
# in the program.
ACTIVITY = """log_id,contact_date,partner_id,system_code,school_code,record_type,activity_type,\
focus_area,minutes,teacher_count,teacher_ids,notes
L0001,10/03/2011,IP0001,001,0010,one-on-one,co-planning,reading,45,1,T9000001,
L0002,10/04/2011,IP0001,001,0010,group,PLC facilitation,mathematics,60,2,T9000001;T9000002,
L0003,10/05/2011,IP0002,002,0100,support,resource support,other,20,0,,
"""
ACTIVITY_FILE = "activity/log_2011_10.csv"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunOutcome]:
    root = tmp_path_factory.mktemp("checks_detect")
    raw = root / "data" / "raw"
    shutil.copytree(BAD_INPUTS / "raw" / "rosters", raw / "rosters")
    (raw / "program").mkdir()
    (raw / "program" / "program.csv").write_text(PROGRAM)
    (raw / "activity").mkdir()
    (raw / ACTIVITY_FILE).write_text(ACTIVITY)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PARTNER_IMPACT_DATA_DIR", str(root / "data"))
        env.setenv("PARTNER_IMPACT_KEY_FILE", str(root / "secrets" / "pseudonym.key"))
        env.delenv("PARTNER_IMPACT_PSEUDONYM_KEY", raising=False)
        yield _run_everything(root / "data")


def test_program_warnings_flag_what_is_wrong_and_the_run_still_publishes(run) -> None:
    assert run.checks[("partnering_dose", "partnered_schools_have_activity")] is False
    assert run.checks[("partnering_dose", "activity_only_at_program_schools")] is False
    # Warnings only: every blocking check passed, so the marts were published.
    for name in ("rows_reconcile", "unique_keys", "files_readable", "schools_in_roster"):
        assert run.checks[("stg_activity", name)] is True, name
    assert (run.warehouse.parent / "marts" / "partnering_dose.parquet").exists()


def _damaged(warehouse: Path, tmp_path: Path, damage: str) -> Path:
    """A copy of the run's warehouse with one statement of damage applied."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute(damage)
    return copy


def _evaluate(warehouse: Path, check_name: str):
    (check,) = [c for c in ingest_checks("activity") if c.name == check_name]
    assert check.blocking
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return check.evaluate(conn)


@pytest.mark.parametrize(
    ("check_name", "damage", "named"),
    [
        (
            "rows_reconcile",
            "DELETE FROM stg_activity WHERE rowid = (SELECT min(rowid) FROM stg_activity)",
            ACTIVITY_FILE,
        ),
        (
            "unique_keys",
            "INSERT INTO stg_activity SELECT * FROM stg_activity LIMIT 1",
            "",
        ),
        (
            "schools_in_roster",
            "UPDATE stg_activity SET school_code = '0999' "
            "WHERE rowid = (SELECT min(rowid) FROM stg_activity)",
            "0999",
        ),
    ],
)
def test_each_blocking_ingest_check_fails_on_a_damaged_warehouse(
    run, tmp_path: Path, check_name: str, damage: str, named: str
) -> None:
    assert _evaluate(run.warehouse, check_name).passed  # the undamaged warehouse passes
    result = _evaluate(_damaged(run.warehouse, tmp_path, damage), check_name)
    assert not result.passed
    assert result.metadata["failures"].value >= 1
    assert named in result.metadata["examples"].value
