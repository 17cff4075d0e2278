"""Demographic flags: every vendor's codes read into one coding, bad codes rejected by name."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance, materialize

from pipelines.ingest.assets import INGEST_ASSETS
from pipelines.layouts import ARMT
from pipelines.marts.assets import MART_ASSETS
from pipelines.warehouse import WarehouseResource
from tests.conftest import VENDOR_SAMPLES_DIR

ASPIRE = VENDOR_SAMPLES_DIR / "act_aspire_2015_sample.csv"
ROSTER = """school_year,ncessch,leaid,system_code,school_code,school_name,system_name,level,gslo,\
gshi,school_type,charter,locale,enrollment,free_lunch,reduced_lunch
{year},010123004019,0101230,123,4019,Fake Middle School,Fake School District,Middle,06,08,\
Regular School,No,41-Rural: Fringe,600,300,40
"""
SUBGROUP_MARTS = (
    "schools", "student_scores", "school_outcomes", "treatment", "school_panel", "school_subgroups",
)  # fmt: skip
FLAGS = (
    "gender, race_ethnicity, economically_disadvantaged, english_learner, disability, "
    "section_504, migrant"
)


def _ingest(data_dir: Path, year: int, assessment: Path | None = None, text: str = "") -> None:
    (data_dir / "raw" / "rosters").mkdir()
    (data_dir / "raw" / "rosters" / f"ccd_{year}.csv").write_text(ROSTER.format(year=year))
    folder = data_dir / "raw" / "assessments"
    folder.mkdir()
    if assessment is not None:
        shutil.copyfile(assessment, folder / assessment.name)
    else:
        (folder / f"armt_student_results_{year}.csv").write_text(text)
    result = materialize(
        INGEST_ASSETS,
        resources={"warehouse": WarehouseResource()},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success


def _expected_aspire_flags() -> list[tuple]:
    """The sample's loaded rows' flags, read here straight from the vendor's columns."""
    races = {
        "Hispanic or Latino": "Hispanic",
        "American Indian / Alaska Native": "American Indian",
        "Asian": "Asian",
        "Black/African American": "Black",
        "Native Hawaiian / Other Pacific Islander": "Pacific Islander",
        "White": "White",
    }
    rows = []
    with ASPIRE.open(newline="") as handle:
        for line, record in enumerate(csv.DictReader(handle), start=2):
            marked = [label for column, label in races.items() if record.get(column) == "Y"]
            race = "Two or more" if len(marked) > 1 else (marked[0] if marked else None)
            rows.append(
                (
                    line,
                    {"F": "female", "M": "male"}.get(record["Gender"]),
                    race,
                    record["Economically Disadvantaged"] == "Y",
                    record["ELL"] == "Y",
                    record["IEP"] == "Y",
                    record["Section 504"] == "Y",
                    record["Migrant"] == "Y",
                )
            )
    return rows


def test_real_aspire_flags_are_read_in_the_standard_coding(data_dir: Path) -> None:
    _ingest(data_dir, 2015, ASPIRE)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        loaded = conn.execute(
            f"SELECT line, {FLAGS} FROM stg_assessment_records ORDER BY line"
        ).fetchall()
    expected = {row[0]: row for row in _expected_aspire_flags()}
    assert len(loaded) == 9
    assert [tuple(row) for row in loaded] == [expected[row[0]] for row in loaded]
    # The sample has girls and boys, Black and White students, and disadvantaged students
    # (an empty Aspire cell means "no", not "unknown").
    assert {row[1] for row in loaded} == {"female", "male"}
    assert {row[3] for row in loaded} >= {True, False}


def _armt_row(student: str, flags: dict[str, str]) -> dict[str, str]:
    row = dict.fromkeys(ARMT.columns, "")
    row.update(
        SYS_CD="123",
        SCH_CD="4019",
        STUDENT_ID=student,
        GRADE="6",
        TEST_DATE="04/20/2010",
        READ_SS="650",
        READ_LVL="Level III",
        MATH_SS="640",
        MATH_LVL="Level II",
    )
    row.update(flags)
    return row


def test_armt_codes_map_to_the_same_coding_and_an_unknown_code_is_rejected_by_name(
    data_dir: Path,
) -> None:
    rows = [
        _armt_row("1000000001", {"GENDER": "F", "ETHNICITY": "H", "FREE_REDUCED": "Y"}),
        _armt_row("1000000002", {"GENDER": "M", "ETHNICITY": "W", "FREE_REDUCED": "N"}),
        _armt_row("1000000003", {"GENDER": "M", "ETHNICITY": "B", "FREE_REDUCED": "X"}),
    ]
    lines = [",".join(ARMT.columns)] + [",".join(row[c] for c in ARMT.columns) for row in rows]
    _ingest(data_dir, 2010, text="\n".join(lines) + "\n")
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        loaded = conn.execute(
            f"SELECT line, {FLAGS} FROM stg_assessment_records ORDER BY line"
        ).fetchall()
        rejects = conn.execute("SELECT line, column_name, value, reason FROM rejects").fetchall()
    # ARMT carries no English-learner, IEP, 504 or migrant column: those are unknown (NULL).
    assert loaded == [
        (2, "female", "Hispanic", True, None, None, None, None),
        (3, "male", "White", False, None, None, None, None),
    ]
    assert rejects == [(4, "FREE_REDUCED", "X", "invalid code")]


# Four schools of system 123, one per CCD level, over two springs; 4019 is reorganized from a
# middle school into a K-8 school ("Other") in 2011.
LEVELS = {
    2010: {"4010": "Elementary", "4019": "Middle", "4030": "Other", "4040": "High"},
    2011: {"4010": "Elementary", "4019": "Other", "4030": "Other", "4040": "High"},
}
# Each school's tested students: (grade, number of students).
STUDENTS = {"4010": (4, 3), "4019": (7, 2), "4030": (5, 2), "4040": (7, 1)}


def _levels_roster(year: int) -> str:
    header, row = ROSTER.strip().split("\n")
    lines = [header]
    for school, level in LEVELS[year].items():
        lines.append(
            row.format(year=year)
            .replace("010123004019", f"01012300{school}")
            .replace(",4019,", f",{school},")
            .replace(",Middle,", f",{level},")
        )
    return "\n".join(lines) + "\n"


def _levels_export(year: int) -> str:
    lines = [",".join(ARMT.columns)]
    number = 0
    for school, (grade, count) in STUDENTS.items():
        for _ in range(count):
            number += 1
            row = _armt_row(f"20000000{number:02d}", {"GENDER": "F", "FREE_REDUCED": "N"})
            row.update(
                SCH_CD=school,
                GRADE=str(grade),
                TEST_DATE=f"04/20/{year}",
                READ_SS=str(600 + 7 * number + year % 10),
                MATH_SS=str(580 + 5 * number),
            )
            lines.append(",".join(row[c] for c in ARMT.columns))
    return "\n".join(lines) + "\n"


def test_school_level_is_the_roster_level_that_year_and_takes_every_tested_student(
    data_dir: Path,
) -> None:
    raw = data_dir / "raw"
    (raw / "rosters").mkdir()
    (raw / "assessments").mkdir()
    for year in LEVELS:
        (raw / "rosters" / f"ccd_{year}.csv").write_text(_levels_roster(year))
        (raw / "assessments" / f"armt_student_results_{year}.csv").write_text(_levels_export(year))
    result = materialize(
        [*INGEST_ASSETS, *MART_ASSETS],
        selection=[*(asset.key for asset in INGEST_ASSETS), *(AssetKey(m) for m in SUBGROUP_MARTS)],
        resources={"warehouse": WarehouseResource()},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        levels = conn.execute(
            "SELECT school_id % 10000, school_year, subgroup, n_tested FROM marts.school_subgroups "
            "WHERE dimension = 'school_level' AND subject = 'ela' ORDER BY ALL"
        ).fetchall()
        totals = dict(
            conn.execute(
                "SELECT dimension, sum(n_tested) FROM marts.school_subgroups "
                "WHERE subject = 'ela' GROUP BY dimension"
            ).fetchall()
        )
        # Every tested student is in the subgroup of the school's level (the rosters require a
        # level: a student of a school-year without a roster row is rejected at ingest).
        mismatched = conn.execute(
            """
            SELECT count(*)
            FROM marts.school_panel AS p
            LEFT JOIN marts.school_subgroups AS s
                ON s.dimension = 'school_level' AND s.school_id = p.school_id
                AND s.subject = p.subject AND s.school_year = p.school_year
            WHERE s.n_tested IS DISTINCT FROM p.n_tested OR NOT abs(s.mean_z - p.mean_z) < 1e-12
            """
        ).fetchone()
    # CCD "Other" (K-8 and other spans) and "High" (a 7-12 school's tested grades) are both
    # "other".
    assert levels == [
        (4010, 2010, "elementary", 3),
        (4010, 2011, "elementary", 3),
        (4019, 2010, "middle", 2),
        (4019, 2011, "other", 2),
        (4030, 2010, "other", 2),
        (4030, 2011, "other", 2),
        (4040, 2010, "other", 1),
        (4040, 2011, "other", 1),
    ]
    assert mismatched == (0,)
    # The other dimensions keep their names (each is one bit of the grouping sets): 16 ELA
    # scores, the 8 of 2011 with a prior score; ARMT rows here leave race/ethnicity empty.
    assert totals == {
        "prior_achievement": 8,
        "economically_disadvantaged": 16,
        "gender": 16,
        "grade_band": 16,
        "school_level": 16,
    }
