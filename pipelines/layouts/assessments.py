"""The state's assessment exports, one declaration per vendor layout, in the order they were used.

| spring years | test | shape | dates | school code |
|---|---|---|---|---|
| 2008-2011 | ARMT (Alabama Reading and Mathematics Test) | wide | ``MM/DD/YYYY`` | 4 digits |
| 2012-2013 | ARMT+ | wide | ``YYYY-MM-DD`` per subject | 4 digits |
| 2014-2017 | ACT Aspire (the real vendor header) | wide | ``MMDDYYYY`` | system + school |
| 2018-2019 | Scantron Performance Series | long | ``MM/DD/YY`` | 4 digits |
| 2020 | no state test (school closures) | | | |
| 2021- | ACAP (DRC layout) | wide | none: ``TestAdmin`` ``SP21`` | system + school |

Scale scores are on each test's own scale and are not comparable across tests or grades.
"""

from __future__ import annotations

from pipelines.layouts.aspire_header import ACT_ASPIRE_HEADER
from pipelines.layouts.model import AssessmentLayout, PerformanceLevels, ScoreRange, SubjectColumns

GRADES: tuple[int, ...] = (3, 4, 5, 6, 7, 8)


def _ranges(bounds: dict[str, dict[int, tuple[int, int]]]) -> tuple[ScoreRange, ...]:
    return tuple(
        ScoreRange(subject, grade, low, high)
        for subject, by_grade in bounds.items()
        for grade, (low, high) in by_grade.items()
    )


def _same_range(grades: tuple[int, ...], low: int, high: int) -> dict[int, tuple[int, int]]:
    return {grade: (low, high) for grade in grades}


ARMT = AssessmentLayout(
    name="armt",
    test="ARMT",
    vendor="Harcourt / Pearson",
    first_year=2008,
    last_year=2011,
    shape="wide",
    columns=(
        "SYS_CD",
        "SYS_NAME",
        "SCH_CD",
        "SCH_NAME",
        "STUDENT_ID",
        "LAST_NAME",
        "FIRST_NAME",
        "MI",
        "BIRTH_DATE",
        "GENDER",
        "ETHNICITY",
        "FREE_REDUCED",
        "GRADE",
        "TEST_DATE",
        "READ_SS",
        "READ_LVL",
        "MATH_SS",
        "MATH_LVL",
        "SCI_SS",
        "SCI_LVL",
    ),
    student_id="STUDENT_ID",
    system_code="SYS_CD",
    school_code="SCH_CD",
    school_code_has_system_prefix=False,
    grade="GRADE",
    subjects=(
        SubjectColumns("ela", "READ_SS", "READ_LVL", test_date="TEST_DATE"),
        SubjectColumns("math", "MATH_SS", "MATH_LVL", test_date="TEST_DATE"),
        # The Alabama Science Assessment was given with the ARMT in grades 5 and 7.
        SubjectColumns("science", "SCI_SS", "SCI_LVL", test_date="TEST_DATE"),
    ),
    levels=PerformanceLevels(
        labels=("Level I", "Level II", "Level III", "Level IV"),
        proficient=("Level III", "Level IV"),
    ),
    score_ranges=_ranges(
        {
            "ela": _same_range(GRADES, 300, 900),
            "math": _same_range(GRADES, 300, 900),
            "science": _same_range((5, 7), 300, 900),
        }
    ),
    date_format="%m/%d/%Y",
    personal_columns=("LAST_NAME", "FIRST_NAME", "MI", "BIRTH_DATE"),
)

ARMT_PLUS = AssessmentLayout(
    name="armt_plus",
    test="ARMT+",
    vendor="Pearson",
    first_year=2012,
    last_year=2013,
    shape="wide",
    columns=(
        "Administration",
        "System Code",
        "System Name",
        "School Code",
        "School Name",
        "SSID",
        "Student Last Name",
        "Student First Name",
        "Date of Birth",
        "Gender",
        "Race",
        "Meal Status",
        "Grade",
        "Reading Test Date",
        "Reading Scale Score",
        "Reading Achievement Level",
        "Math Test Date",
        "Math Scale Score",
        "Math Achievement Level",
        "Science Test Date",
        "Science Scale Score",
        "Science Achievement Level",
    ),
    student_id="SSID",
    system_code="System Code",
    school_code="School Code",
    school_code_has_system_prefix=False,
    grade="Grade",
    subjects=(
        SubjectColumns(
            "ela", "Reading Scale Score", "Reading Achievement Level", None, "Reading Test Date"
        ),
        SubjectColumns(
            "math", "Math Scale Score", "Math Achievement Level", None, "Math Test Date"
        ),
        SubjectColumns(
            "science",
            "Science Scale Score",
            "Science Achievement Level",
            None,
            "Science Test Date",
        ),
    ),
    levels=PerformanceLevels(
        labels=(
            "Does Not Meet Standards",
            "Partially Meets Standards",
            "Meets Standards",
            "Exceeds Standards",
        ),
        proficient=("Meets Standards", "Exceeds Standards"),
    ),
    score_ranges=_ranges(
        {
            "ela": _same_range(GRADES, 300, 900),
            "math": _same_range(GRADES, 300, 900),
            "science": _same_range((5, 7), 300, 900),
        }
    ),
    date_format="%Y-%m-%d",
    personal_columns=("Student Last Name", "Student First Name", "Date of Birth"),
)


def _aspire_subject(subject: str, prefix: str) -> SubjectColumns:
    return SubjectColumns(
        subject=subject,
        scale_score=f"{prefix} Scale Score",
        level=f"{prefix} Readiness Level",
        tested_grade=f"{prefix} Tested Grade",
        test_date=f"{prefix} Test Administration Date",
    )


# ACT Aspire score scales by grade (published vertical scale bounds, grades 3-8).
_ASPIRE_BOUNDS = {
    "ela": {
        3: (401, 429),
        4: (402, 431),
        5: (403, 434),
        6: (404, 436),
        7: (405, 438),
        8: (406, 440),
    },
    "math": {
        3: (400, 434),
        4: (402, 440),
        5: (404, 446),
        6: (406, 451),
        7: (408, 453),
        8: (410, 456),
    },
    "science": {5: (404, 440), 7: (408, 446)},
}

ACT_ASPIRE = AssessmentLayout(
    name="act_aspire",
    test="ACT Aspire",
    vendor="ACT / Pearson",
    first_year=2014,
    last_year=2017,
    shape="wide",
    columns=ACT_ASPIRE_HEADER,
    student_id="State Student ID",
    system_code="State District Code",
    school_code="State School Code",
    school_code_has_system_prefix=True,
    grade="Actual Grade",
    # Alabama reported Aspire Reading as its reading/ELA measure; English and Writing are in the
    # file but not mapped.
    subjects=(
        _aspire_subject("ela", "Reading"),
        _aspire_subject("math", "Mathematics"),
        _aspire_subject("science", "Science"),
    ),
    levels=PerformanceLevels(
        # In Need of Support, Close, Ready, Exceeding.
        labels=("N", "C", "R", "E"),
        proficient=("R", "E"),
    ),
    score_ranges=_ranges(_ASPIRE_BOUNDS),
    date_format="%m%d%Y",
    personal_columns=(
        "First Name",
        "Last Name",
        "Middle Initial",
        "DOB",
        "Local ID",
        "Pearson Student ID",
        "Student ID",
        *(f"Class or Group {i}" for i in range(1, 11)),
        *(f"Teacher Email {i}" for i in range(1, 11)),
        *(
            f"{subject} Test ExternalLoginKey"
            for subject in ("English", "Mathematics", "Reading", "Science", "Writing")
        ),
        "Extracted By",
    ),
    line_terminator="\r\n",
)

SCANTRON = AssessmentLayout(
    name="scantron",
    test="Scantron Performance Series",
    vendor="Scantron",
    first_year=2018,
    last_year=2019,
    shape="long",
    columns=(
        "District ID",
        "District Name",
        "School ID",
        "School Name",
        "Student ID",
        "Student Last Name",
        "Student First Name",
        "Birth Date",
        "Grade",
        # Student demographics an agency adds to the export (pipelines/layouts/demographics.py).
        "Gender",
        "Ethnicity",
        "Lunch Status",
        "ELL",
        "Special Ed",
        "Test",
        "Test Date",
        "Scaled Score",
        "Standard Error",
        "National Percentile",
        "Performance Level",
    ),
    student_id="Student ID",
    system_code="District ID",
    school_code="School ID",
    school_code_has_system_prefix=False,
    grade="Grade",
    subject_column="Test",
    subjects=(
        SubjectColumns("ela", "Scaled Score", "Performance Level", None, "Test Date", "Reading"),
        SubjectColumns("math", "Scaled Score", "Performance Level", None, "Test Date", "Math"),
        SubjectColumns(
            "science", "Scaled Score", "Performance Level", None, "Test Date", "Science"
        ),
    ),
    levels=PerformanceLevels(
        labels=("Level 1", "Level 2", "Level 3", "Level 4"),
        proficient=("Level 3", "Level 4"),
    ),
    score_ranges=_ranges(
        {
            "ela": _same_range(GRADES, 1300, 3700),
            "math": _same_range(GRADES, 1300, 3700),
            "science": _same_range((5, 7), 1300, 3700),
        }
    ),
    date_format="%m/%d/%y",
    personal_columns=("Student Last Name", "Student First Name", "Birth Date"),
)


def _acap_subject(subject: str, prefix: str) -> SubjectColumns:
    return SubjectColumns(
        subject=subject,
        scale_score=f"{prefix}SS",
        level=f"{prefix}Lev",
        tested_grade=f"{prefix}Grade",
    )


# Every ACAP column name is a DRC column name (see drc_sc_ready_2024_sample.csv), so a real DRC
# export with these fields is detected as this layout too.
ACAP = AssessmentLayout(
    name="acap",
    test="ACAP",
    vendor="DRC",
    first_year=2021,
    last_year=2099,
    shape="wide",
    columns=(
        "TestAdmin",
        "SchoolID",
        "District",
        "School",
        "Grade",
        "StateID",
        "PermID",
        "LName",
        "FName",
        "MName",
        "DOB",
        "Gender",
        "Hispanic",
        "RaceI",
        "RaceA",
        "RaceB",
        "RaceP",
        "RaceW",
        "Lunch",
        "English",
        "Migrant",
        "Plan504",
        "IEP",
        "ELAGrade",
        "ELARS",
        "ELASS",
        "ELALev",
        "ELASPR",
        "MathGrade",
        "MathRS",
        "MathSS",
        "MathLev",
        "MathSPR",
        "SciGrade",
        "SciRS",
        "SciSS",
        "SciLev",
    ),
    student_id="StateID",
    system_code=None,
    school_code="SchoolID",
    school_code_has_system_prefix=True,
    grade="Grade",
    subjects=(
        _acap_subject("ela", "ELA"),
        _acap_subject("math", "Math"),
        # ACAP tests science in grades 4, 6 and 8.
        _acap_subject("science", "Sci"),
    ),
    levels=PerformanceLevels(labels=("1", "2", "3", "4"), proficient=("3", "4")),
    score_ranges=_ranges(
        {
            "ela": _same_range(GRADES, 200, 800),
            "math": _same_range(GRADES, 200, 800),
            "science": _same_range((4, 6, 8), 200, 800),
        }
    ),
    date_format=None,
    admin_column="TestAdmin",
    admin_format="SP%y",
    personal_columns=("PermID", "LName", "FName", "MName", "DOB"),
)

ASSESSMENT_LAYOUTS: tuple[AssessmentLayout, ...] = (ARMT, ARMT_PLUS, ACT_ASPIRE, SCANTRON, ACAP)

NO_TEST_YEARS: tuple[int, ...] = (2020,)
"""Spring years without a state test (2020: schools closed)."""


def layout_for_year(spring_year: int) -> AssessmentLayout | None:
    """The layout the state used in ``spring_year``; ``None`` when there was no test."""
    if spring_year in NO_TEST_YEARS:
        return None
    return next((layout for layout in ASSESSMENT_LAYOUTS if spring_year in layout.years), None)
