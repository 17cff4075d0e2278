"""Demographic and program flags declared in a layout file (``flags:``, docs/layouts.md).

An agency's own layout for a new vendor declares which of its columns hold the flags and how its
codes map onto the standard coding (docs/marts.md, "Student flags"); a file in that layout goes
through the real ingest and marts and its students arrive with their flags standardized. The
built-in layouts declare theirs the same way, exactly as the Python tables did before, and a
mistake in a ``flags:`` section is refused naming the file and the field.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import DagsterInstance, materialize

from pipelines.ingest.assets import INGEST_ASSETS
from pipelines.layouts import ASSESSMENT_LAYOUTS
from pipelines.layouts.declared import LayoutFileError, assessment_layouts
from pipelines.layouts.demographics import FlagColumn, RaceFlagColumns, declared_flags
from pipelines.marts.assets import MART_ASSETS
from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import WarehouseResource

BAD_INPUTS = Path(__file__).parent / "bad_inputs" / "raw"
GOOD_FILES = (
    "rosters/ccd_2011.csv",
    "rosters/ccd_2012_semicolons.csv",
    "program/program.csv",
    "activity/log_2011_10.csv",
)
"""The hand-made good files the marts need beside the export (tests/bad_inputs)."""

# A vendor no built-in layout knows. Its flags (docs/layouts.md's example) use its own codes for
# each shape of flag column: a code map (numbers as text, two-letter race codes), Y or an empty
# cell, quoted "Yes"/"No" (YAML would read them unquoted as true/false) and Y/N.
AGENCY_FIELDS = """\
name: state_interim
test: State Interim
vendor: Cambium
first_year: 2011
last_year: 2011
shape: wide
student_id: Student ID
school_code: School
system_code: District
grade: Grade
subjects:
  - {subject: ela, scale_score: ELA Score, level: ELA Level, test_date: Test Date}
  - {subject: math, scale_score: Math Score, level: Math Level, test_date: Test Date}
levels:
  labels: [Below, Approaching, Meets, Exceeds]
  proficient: [Meets, Exceeds]
score_ranges:
  - {subject: ela, grades: [3, 4, 5, 6, 7, 8], low: 100, high: 999}
  - {subject: math, grades: [3, 4, 5, 6, 7, 8], low: 100, high: 999}
date_format: "%m/%d/%Y"
personal_columns: [Student Name]
"""


def documented_flags() -> str:
    """The ``flags:`` example of docs/layouts.md, exactly as the page shows it."""
    found = re.search(
        r"<!-- flags-example:begin -->\n```yaml\n(.*?)```\n<!-- flags-example:end -->",
        (PROJECT_ROOT / "docs" / "layouts.md").read_text(),
        re.S,
    )
    assert found, "docs/layouts.md lost its flags example"
    return found.group(1)


# The layout's flags are the documented example.
AGENCY_LAYOUT = AGENCY_FIELDS + documented_flags()
HEADER = (
    "District,School,Student ID,Student Name,Grade,Sex,Race Code,FRL,LEP,SWD,Test Date,"
    "ELA Score,ELA Level,Math Score,Math Level"
)
EXPORT_ROWS = (
    # line 2..6; the last one's Sex code is not declared
    "001,0010,8000000001,Ann,5,2,HI,F,Yes,N,04/12/2011,510,Meets,610,Meets",
    "001,0010,8000000002,Bob,5,1,WH,,No,Y,04/12/2011,420,Below,430,Below",
    "002,0100,8000000003,Cat,5,2,BL,R,No,N,04/12/2011,560,Exceeds,650,Exceeds",
    "002,0100,8000000004,Dan,5,,MR,,,N,04/12/2011,480,Approaching,500,Approaching",
    "001,0010,8000000005,Eve,5,X,AS,F,No,N,04/12/2011,530,Meets,540,Meets",
)


def _agency_mapping() -> dict:
    return yaml.safe_load(AGENCY_LAYOUT)


def test_an_agency_layout_declares_flags_that_arrive_standardized_in_the_marts(
    data_dir: Path,
) -> None:
    (data_dir / "layouts").mkdir()
    (data_dir / "layouts" / "state_interim.yaml").write_text(AGENCY_LAYOUT)
    for good in GOOD_FILES:
        (data_dir / "raw" / good).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BAD_INPUTS / good, data_dir / "raw" / good)
    (data_dir / "raw" / "assessments").mkdir()
    (data_dir / "raw" / "assessments" / "interim_2011.csv").write_text(
        "\n".join([HEADER, *EXPORT_ROWS]) + "\n"
    )

    result = materialize(
        [*INGEST_ASSETS, *MART_ASSETS],
        resources={"warehouse": WarehouseResource()},
        instance=DagsterInstance.ephemeral(),
    )

    assert result.success
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        ledger = conn.execute(
            "SELECT layout, rows_read, rows_loaded, rows_rejected FROM ingest_ledger "
            "WHERE source = 'assessments'"
        ).fetchall()
        rejects = conn.execute("SELECT line, column_name, value, reason FROM rejects").fetchall()
        students = conn.execute(
            "SELECT school_id, scale_score, gender, race_ethnicity, economically_disadvantaged, "
            "english_learner, disability, section_504, migrant FROM marts.student_scores "
            "WHERE subject = 'ela' ORDER BY scale_score"
        ).fetchall()
        subgroups = conn.execute(
            "SELECT school_id, dimension, subgroup, n_tested FROM marts.school_subgroups "
            "WHERE subject = 'math' "
            "AND dimension NOT IN ('prior_achievement', 'grade_band', 'school_level') "
            "ORDER BY ALL"
        ).fetchall()
    assert ledger == [("state_interim", 5, 4, 1)]
    assert rejects == [(6, "Sex", "X", "invalid code")]
    # Section 504 and migrant are not declared: unknown. An empty FRL cell is "no" (blank:
    # false); an empty Sex or LEP cell is unknown.
    assert students == [
        (10010, 420.0, "male", "White", False, False, True, None, None),
        (20100, 480.0, None, "Two or more", False, None, False, None, None),
        (10010, 510.0, "female", "Hispanic", True, True, False, None, None),
        (20100, 560.0, "female", "Black", True, False, False, None, None),
    ]
    assert subgroups == [
        (10010, "disability", "no", 1),
        (10010, "disability", "yes", 1),
        (10010, "economically_disadvantaged", "no", 1),
        (10010, "economically_disadvantaged", "yes", 1),
        (10010, "english_learner", "no", 1),
        (10010, "english_learner", "yes", 1),
        (10010, "gender", "female", 1),
        (10010, "gender", "male", 1),
        (10010, "race_ethnicity", "Hispanic", 1),
        (10010, "race_ethnicity", "White", 1),
        (20100, "disability", "no", 2),
        (20100, "economically_disadvantaged", "no", 1),
        (20100, "economically_disadvantaged", "yes", 1),
        (20100, "english_learner", "no", 1),
        (20100, "gender", "female", 1),
        (20100, "race_ethnicity", "Black", 1),
        (20100, "race_ethnicity", "Two or more", 1),
    ]


def test_declared_flags_of_an_agency_layout(tmp_path: Path) -> None:
    (tmp_path / "state_interim.yaml").write_text(AGENCY_LAYOUT)
    layout = assessment_layouts(tmp_path)[-1]
    assert declared_flags(layout) == {
        "gender",
        "race_ethnicity",
        "economically_disadvantaged",
        "english_learner",
        "disability",
    }
    assert layout.flags[3] == FlagColumn(
        "english_learner", "LEP", (("Yes", "true"), ("No", "false"))
    )


def _set(path: str, value: object):
    """A change to the agency mapping: ``value`` at ``flags.<path>`` (dots between keys)."""

    def change(data: dict) -> None:
        *parents, last = path.split(".")
        target = data["flags"]
        for key in parents:
            target = target[key]
        target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("sex", {"column": "Sex", "codes": {"1": "male"}}),
            "field 'flags.sex': unknown flag (known: gender, race_ethnicity, "
            "economically_disadvantaged, english_learner, disability, section_504, migrant)",
        ),
        (
            _set("gender.codes", {"1": "male", "2": "woman"}),
            "field 'flags.gender.codes.2': 'woman' is not a standard value of gender "
            '(female, male; docs/marts.md, "Student flags")',
        ),
        (
            _set("english_learner.codes", {"Yes": "Y", "No": False}),
            "field 'flags.english_learner.codes.Yes': 'Y' is not a standard value of "
            'english_learner (true, false; docs/marts.md, "Student flags")',
        ),
        (
            _set("economically_disadvantaged.blank", "no"),
            "field 'flags.economically_disadvantaged.blank': 'no' is not a standard value of "
            "economically_disadvantaged (true, false; ",
        ),
        (
            _set("race_ethnicity.codes.HI", "Latino"),
            "field 'flags.race_ethnicity.codes.HI': 'Latino' is not a standard value of "
            "race_ethnicity (White, Black, Hispanic, Asian, American Indian, Pacific Islander, "
            "Two or more; ",
        ),
        (
            _set("race_ethnicity", {"columns": {"Hispanic": "Hispanic", "Other": "Other"}}),
            "field 'flags.race_ethnicity.columns.Other': 'Other' is not a standard value of "
            "race_ethnicity (",
        ),
        (
            _set("english_learner.codes", {True: True, False: False}),
            "field 'flags.english_learner.codes': code True is not text (YAML reads unquoted "
            "Yes, No, On, Off and numbers as values): quote it",
        ),
        (
            _set("gender.column", "Student ID"),
            "field 'flags.gender.column': 'Student ID' is already the column of 'student_id'",
        ),
        (
            _set("gender.column", "ela score"),
            "field 'flags.gender.column': 'ela score' is already the column of "
            "'subjects[0].scale_score'",
        ),
        (
            _set("disability.column", "LEP"),
            "field 'flags.disability.column': 'LEP' is already the column of "
            "'flags.english_learner.column'",
        ),
        (
            _set("race_ethnicity", {"columns": {"Student Name": "White", "Sex": "Black"}}),
            "field 'flags.race_ethnicity.columns.Student Name': 'Student Name' is already the "
            "column of 'personal_columns'",
        ),
        (
            _set("gender.columns", {"Male": "male"}),
            "field 'flags.gender.columns': unknown field (known: aliases, blank, codes, column)",
        ),
        (
            _set("gender.aliases", {"1": "male"}),
            "field 'flags.gender.aliases.1': code '1' is also one of the codes",
        ),
        (_set("disability.codes", {}), "field 'flags.disability.codes': expected a mapping"),
    ],
)
def test_a_bad_flags_section_is_refused_naming_the_file_and_field(
    tmp_path: Path, change, message: str
) -> None:
    data = _agency_mapping()
    change(data)
    path = tmp_path / "state_interim.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(LayoutFileError) as caught:
        assessment_layouts(tmp_path)
    assert str(caught.value).startswith(f"{path}: {message}")


_YES_NO = (("Y", "true"), ("N", "false"))
_GENDER_LETTER = (("F", "female"), ("M", "male"))
_RACE_LETTER = (
    ("W", "White"),
    ("B", "Black"),
    ("H", "Hispanic"),
    ("A", "Asian"),
    ("I", "American Indian"),
    ("P", "Pacific Islander"),
    ("M", "Two or more"),
)
_RACE_LABELS = tuple(
    (label, label)
    for label in (
        "White",
        "Black",
        "Hispanic",
        "Asian",
        "American Indian",
        "Pacific Islander",
        "Two or more",
    )
)
# What pipelines/layouts/demographics.py declared in Python before the flags moved into the
# layout files (written out here, so that the files cannot drift from it unnoticed).
FORMER_PYTHON_TABLES: dict[str, tuple[FlagColumn | RaceFlagColumns, ...]] = {
    "armt": (
        FlagColumn("gender", "GENDER", _GENDER_LETTER),
        FlagColumn("race_ethnicity", "ETHNICITY", _RACE_LETTER),
        FlagColumn("economically_disadvantaged", "FREE_REDUCED", _YES_NO),
    ),
    "armt_plus": (
        FlagColumn(
            "gender", "Gender", (("Female", "female"), ("Male", "male")), aliases=_GENDER_LETTER
        ),
        FlagColumn("race_ethnicity", "Race", _RACE_LABELS, aliases=_RACE_LETTER),
        FlagColumn(
            "economically_disadvantaged",
            "Meal Status",
            (("Free", "true"), ("Reduced", "true"), ("Paid", "false")),
            aliases=(("F", "true"), ("R", "true"), ("P", "false"), ("Y", "true"), ("N", "false")),
        ),
    ),
    "act_aspire": (
        FlagColumn("gender", "Gender", _GENDER_LETTER),
        RaceFlagColumns(
            (
                ("Hispanic or Latino", "Hispanic"),
                ("American Indian / Alaska Native", "American Indian"),
                ("Asian", "Asian"),
                ("Black/African American", "Black"),
                ("Native Hawaiian / Other Pacific Islander", "Pacific Islander"),
                ("White", "White"),
            )
        ),
        FlagColumn("economically_disadvantaged", "Economically Disadvantaged", _YES_NO, "false"),
        FlagColumn("english_learner", "ELL", _YES_NO, "false"),
        FlagColumn("disability", "IEP", _YES_NO, "false"),
        FlagColumn("section_504", "Section 504", _YES_NO, "false"),
        FlagColumn("migrant", "Migrant", _YES_NO, "false"),
    ),
    "scantron": (
        FlagColumn("gender", "Gender", _GENDER_LETTER),
        FlagColumn(
            "race_ethnicity",
            "Ethnicity",
            (
                ("White", "White"),
                ("Black or African American", "Black"),
                ("Hispanic or Latino", "Hispanic"),
                ("Asian", "Asian"),
                ("American Indian or Alaska Native", "American Indian"),
                ("Native Hawaiian or Other Pacific Islander", "Pacific Islander"),
                ("Two or More Races", "Two or more"),
            ),
        ),
        FlagColumn(
            "economically_disadvantaged",
            "Lunch Status",
            (("Free", "true"), ("Reduced", "true"), ("Paid", "false")),
        ),
        FlagColumn("english_learner", "ELL", _YES_NO),
        FlagColumn("disability", "Special Ed", _YES_NO),
    ),
    "acap": (
        FlagColumn("gender", "Gender", _GENDER_LETTER),
        RaceFlagColumns(
            (
                ("Hispanic", "Hispanic"),
                ("RaceI", "American Indian"),
                ("RaceA", "Asian"),
                ("RaceB", "Black"),
                ("RaceP", "Pacific Islander"),
                ("RaceW", "White"),
            )
        ),
        FlagColumn(
            "economically_disadvantaged", "Lunch", (("F", "true"), ("R", "true"), ("P", "false"))
        ),
        FlagColumn("english_learner", "English", _YES_NO),
        FlagColumn("disability", "IEP", _YES_NO),
        FlagColumn("section_504", "Plan504", _YES_NO, "false"),
        FlagColumn("migrant", "Migrant", _YES_NO, "false"),
    ),
}


@pytest.mark.parametrize("layout", ASSESSMENT_LAYOUTS, ids=lambda layout: layout.name)
def test_the_built_in_layout_files_declare_the_flags_the_python_tables_did(layout) -> None:
    assert layout.flags == FORMER_PYTHON_TABLES[layout.name]
    assert declared_flags(layout) == declared_flags(layout.name)
    assert declared_flags(layout) == {
        "race_ethnicity" if isinstance(e, RaceFlagColumns) else e.flag
        for e in FORMER_PYTHON_TABLES[layout.name]
    }


TOML_LAYOUT = """\
name = "state_interim"
test = "State Interim"
vendor = "Cambium"
first_year = 2011
last_year = 2011
shape = "wide"
student_id = "Student ID"
school_code = "School"
system_code = "District"
grade = "Grade"
date_format = "%m/%d/%Y"
subjects = [
  { subject = "ela", scale_score = "ELA Score", level = "ELA Level", test_date = "Test Date" },
]
levels = { labels = ["Below", "Meets"], proficient = ["Meets"] }
score_ranges = [{ subject = "ela", grades = [5], low = 100, high = 999 }]

[flags.gender]
column = "Sex"
codes = { "1" = "male", "2" = "female" }

[flags.economically_disadvantaged]
column = "FRL"
codes = { F = true, R = true }
blank = false
"""


def test_a_toml_layout_declares_flags_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "state_interim.toml").write_text(TOML_LAYOUT)
    layout = assessment_layouts(tmp_path)[-1]
    assert layout.flags == (
        FlagColumn("gender", "Sex", (("1", "male"), ("2", "female"))),
        FlagColumn("economically_disadvantaged", "FRL", (("F", "true"), ("R", "true")), "false"),
    )
