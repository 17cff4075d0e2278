"""The real ACT Aspire export layout (anonymized vendor sample) is accepted by the ingest."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from dagster import DagsterInstance, materialize

from pipelines.ingest.assets import INGEST_ASSETS
from pipelines.warehouse import WarehouseResource
from tests.conftest import VENDOR_SAMPLES_DIR

ASPIRE = VENDOR_SAMPLES_DIR / "act_aspire_2015_sample.csv"

# The sample's school: 'State School Code' 1234019 = system 123, school 4019.
ROSTER = """school_year,ncessch,leaid,system_code,school_code,school_name,system_name,level,gslo,\
gshi,school_type,charter,locale,enrollment,free_lunch,reduced_lunch
2015,010123004019,0101230,123,4019,Fake Middle School,Fake School District,Middle,06,08,\
Regular School,No,41-Rural: Fringe,600,300,40
"""


def test_real_aspire_export_is_read_and_personal_columns_never_reach_the_warehouse(
    data_dir: Path,
) -> None:
    (data_dir / "raw" / "rosters").mkdir()
    (data_dir / "raw" / "rosters" / "ccd_2015.csv").write_text(ROSTER)
    (data_dir / "raw" / "assessments").mkdir()
    shutil.copyfile(ASPIRE, data_dir / "raw" / "assessments" / ASPIRE.name)

    result = materialize(
        INGEST_ASSETS,
        resources={"warehouse": WarehouseResource()},
        instance=DagsterInstance.ephemeral(),
    )

    assert result.success
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        ledger = conn.execute(
            "SELECT layout, status, rows_read, rows_loaded, rows_rejected FROM ingest_ledger "
            "WHERE source = 'assessments'"
        ).fetchall()
        reasons = conn.execute(
            "SELECT line, column_name, reason FROM rejects ORDER BY line"
        ).fetchall()
        first = conn.execute(
            "SELECT subject, grade, scale_score, level, proficient, test_date::VARCHAR, "
            "school_year, system_code, school_code FROM stg_assessments WHERE line = 2 "
            "ORDER BY subject"
        ).fetchall()
        keys = conn.execute("SELECT DISTINCT student_key FROM stg_assessments").fetchall()
        tables = [
            name for (name,) in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        ]
        text = [
            value
            for table in tables
            for value in conn.execute(
                f"SELECT string_agg(DISTINCT CAST(COLUMNS(*) AS VARCHAR), ' ') FROM {table}"
            ).fetchall()[0]
        ]
    # 16 records: 9 students of grades 3-8 with complete codes load; the sample's high-school
    # and incomplete rows are rejected with a reason.
    assert ledger == [("act_aspire", "loaded", 16, 9, 7)]
    assert [reason for *_, reason in reasons] == [
        "out of range",  # grade 10: the state test covers grades 3-8
        "out of range",
        "out of range",  # grade 9
        "missing required value",  # no school code
        "missing required value",  # no grade
        "missing required value",
        "missing required value",  # no student id
    ]
    assert first == [
        ("ela", 7, 417.0, "C", False, "2015-05-19", 2015, "123", "4019"),
        ("math", 7, 423.0, "R", True, "2015-05-19", 2015, "123", "4019"),
        ("science", 7, 419.0, "N", False, "2015-05-19", 2015, "123", "4019"),
    ]
    assert all(len(key) == 32 and int(key, 16) >= 0 for (key,) in keys)
    stored = " ".join(value for value in text if value)
    for personal in ("1122334455", "FirstName_01", "LastName_01", "5/21/2002", "1000001"):
        assert personal not in stored
