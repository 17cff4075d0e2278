"""One spring year of scores, written in that year's vendor layout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa

from pipelines.layouts import AssessmentLayout
from pipelines.layouts.demographics import FALSE, TRUE, FlagColumn, RaceFlagColumns
from pipelines.sample.csvio import CsvTable
from pipelines.sample.names import FIRST_NAMES_FEMALE, FIRST_NAMES_MALE, LAST_NAMES
from pipelines.sample.schools import State
from pipelines.sample.students import EPOCH, RACES, Students
from pipelines.sample.teachers import Teachers

NOT_TESTED = -1


@dataclass(frozen=True)
class SubjectResults:
    """Scores of one subject for every student row (``NOT_TESTED`` where absent)."""

    score: np.ndarray
    level: np.ndarray
    percentile: np.ndarray
    test_day: np.ndarray
    """Days since 1990-01-01."""

    @cached_property
    def tested(self) -> np.ndarray:
        return self.score != NOT_TESTED


@dataclass(frozen=True)
class YearResults:
    """A spring year's tested students, in file row order, and their results by subject."""

    year: int
    layout: AssessmentLayout
    students: Students
    subjects: dict[str, SubjectResults]
    """Canonical subjects (``ela``, ``math``, ``science``)."""
    extra_subjects: dict[str, SubjectResults] = field(default_factory=dict)
    """Unmapped subjects a vendor reports too (Aspire English and Writing)."""
    middle_initial: np.ndarray | None = None


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def _padded(values: np.ndarray, width: int) -> pa.Array:
    return pa.compute.utf8_lpad(_text(values), width=width, padding="0")


def _lookup(strings: Sequence[str], index: np.ndarray) -> pa.Array:
    return pa.array(list(strings), type=pa.string()).take(pa.array(np.asarray(index)))


def _const(value: str, n: int) -> pa.Array:
    return _lookup([value], np.zeros(n, dtype=np.int64))


def _masked(array: pa.Array, keep: np.ndarray) -> pa.Array:
    """``array`` with nulls (empty cells) where ``keep`` is false."""
    return pa.compute.if_else(pa.array(keep), array, pa.scalar(None, pa.string()))


def _dates(days: np.ndarray, formatter: Callable[[dt.date], str]) -> pa.Array:
    unique, inverse = np.unique(days, return_inverse=True)
    as_dates = (EPOCH + unique.astype("timedelta64[D]")).astype(dt.date)
    return _lookup([formatter(d) for d in as_dates], inverse)


def _fmt(pattern: str) -> Callable[[dt.date], str]:
    return lambda day: day.strftime(pattern)


def _unpadded_us_date(day: dt.date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


class _Row:
    """Columns of one file under construction; unnamed columns stay empty."""

    def __init__(self, results: YearResults, state: State) -> None:
        self.results = results
        self.n = len(results.students)
        students = results.students
        schools = state.schools
        self.system = schools.system[students.school]
        self.system_code = _lookup(state.systems.code, self.system)
        self.system_name = _lookup(state.systems.name, self.system)
        self.school_code = _lookup(schools.code, students.school)
        self.school_name = _lookup(schools.name, students.school)
        self.full_school_code = pa.compute.binary_join_element_wise(
            self.system_code, self.school_code, pa.scalar("")
        )
        self.student_id = _text(students.sid)
        first_index = np.where(
            students.female, students.first_name, students.first_name + len(FIRST_NAMES_FEMALE)
        )
        self.first_name = _lookup(FIRST_NAMES_FEMALE + FIRST_NAMES_MALE, first_index)
        self.last_name = _lookup(LAST_NAMES, students.last_name)
        self.sex_code = _lookup(["M", "F"], students.female.astype(np.int64))
        self.grade = _text(students.grade)
        self.grade_padded = _padded(students.grade, 2)
        initials = results.middle_initial
        self.middle_initial = _lookup(
            [""] + [chr(c) for c in range(ord("A"), ord("Z") + 1)],
            initials if initials is not None else np.zeros(self.n, dtype=np.int64),
        )

    def subject(self, subject: str) -> SubjectResults:
        if subject in self.results.subjects:
            return self.results.subjects[subject]
        return self.results.extra_subjects[subject]

    def score(self, subject: str) -> pa.Array:
        result = self.subject(subject)
        return _masked(_text(result.score), result.tested)

    def level(self, subject: str, labels: Sequence[str]) -> pa.Array:
        result = self.subject(subject)
        return _masked(_lookup(labels, np.clip(result.level, 0, len(labels) - 1)), result.tested)

    def date(self, subject: str, formatter: Callable[[dt.date], str]) -> pa.Array:
        result = self.subject(subject)
        return _masked(_dates(result.test_day, formatter), result.tested)

    def if_tested(self, subject: str, array: pa.Array) -> pa.Array:
        return _masked(array, self.subject(subject).tested)


def _standard_flags(students: Students) -> dict[str, np.ndarray]:
    """Each student's flags in the standard coding (``pipelines/layouts/demographics.py``)."""

    def yes_no(values: np.ndarray) -> np.ndarray:
        return np.where(values, TRUE, FALSE)

    return {
        "gender": np.where(students.female, "female", "male"),
        "race_ethnicity": np.asarray(RACES, dtype=object)[students.race],
        "economically_disadvantaged": yes_no(students.econ),
        "english_learner": yes_no(students.english_learner),
        "disability": yes_no(students.disability),
        "section_504": yes_no(students.section_504),
        "migrant": yes_no(np.zeros(len(students), dtype=bool)),
    }


def _flag_column(entry: FlagColumn, standard: np.ndarray, sid: np.ndarray) -> pa.Array:
    """Raw codes of one flag column; a standard value with two raw codes (free and reduced
    meals) takes the second for one student in seven."""
    raw = np.full(len(standard), None, dtype=object)
    for value in dict.fromkeys(v for _, v in entry.codes):
        options = [code for code, v in entry.codes if v == value]
        if entry.blank == value:
            options = [None]
        pick = np.where((sid % 7 == 0) & (len(options) > 1), options[-1], options[0])
        mine = standard == value
        raw[mine] = pick[mine]
    return pa.array(raw.tolist(), type=pa.string())


def flag_cells(layout: AssessmentLayout, students: Students) -> dict[str, pa.Array]:
    """The demographic columns ``layout`` carries (its ``flags``), one cell per student (file
    order)."""
    standard = _standard_flags(students)
    cells: dict[str, pa.Array] = {}
    for entry in layout.flags:
        if isinstance(entry, RaceFlagColumns):
            race = standard["race_ethnicity"]
            several = race == "Two or more"
            for column, label in entry.columns:
                # Students of two or more races are marked in the White and Black columns.
                marked = (race == label) | (several & np.isin(label, ("White", "Black")))
                cells[column] = _lookup(["N", entry.yes], marked.astype(np.int64))
        else:
            cells[entry.column] = _flag_column(entry, standard[entry.flag], students.sid)
    return cells


def _table(layout: AssessmentLayout, filled: dict[str, pa.Array], n: int) -> CsvTable:
    unknown = set(filled) - set(layout.columns)
    if unknown:
        raise KeyError(f"{layout.name} has no columns {sorted(unknown)}")
    empty = pa.nulls(n, pa.string())
    arrays = [filled.get(name, empty) for name in layout.columns]
    return CsvTable(list(layout.columns), arrays, layout.line_terminator)


def _armt(row: _Row, state: State) -> CsvTable:
    layout = row.results.layout
    students = row.results.students
    labels = layout.levels.labels
    filled = {
        "SYS_CD": row.system_code,
        "SYS_NAME": row.system_name,
        "SCH_CD": row.school_code,
        "SCH_NAME": row.school_name,
        "STUDENT_ID": row.student_id,
        "LAST_NAME": row.last_name,
        "FIRST_NAME": row.first_name,
        "MI": row.middle_initial,
        "BIRTH_DATE": _dates(students.birth_day, _fmt("%m/%d/%Y")),
        **flag_cells(layout, students),
        "GRADE": row.grade,
        # One test date per student: the reading session.
        "TEST_DATE": _dates(row.subject("ela").test_day, _fmt(layout.date_format)),
    }
    prefixes = {"ela": "READ", "math": "MATH", "science": "SCI"}
    for subject, prefix in prefixes.items():
        filled[f"{prefix}_SS"] = row.score(subject)
        filled[f"{prefix}_LVL"] = row.level(subject, labels)
    return _table(layout, filled, row.n)


def _armt_plus(row: _Row, state: State) -> CsvTable:
    layout = row.results.layout
    students = row.results.students
    filled = {
        "Administration": _const(f"Spring {row.results.year}", row.n),
        "System Code": row.system_code,
        "System Name": row.system_name,
        "School Code": row.school_code,
        "School Name": row.school_name,
        "SSID": row.student_id,
        "Student Last Name": row.last_name,
        "Student First Name": row.first_name,
        "Date of Birth": _dates(students.birth_day, _fmt("%Y-%m-%d")),
        **flag_cells(layout, students),
        "Grade": row.grade,
    }
    for subject in layout.subjects:
        prefix = subject.scale_score.removesuffix(" Scale Score")
        filled[subject.scale_score] = row.score(subject.subject)
        filled[subject.level] = row.level(subject.subject, layout.levels.labels)
        filled[f"{prefix} Test Date"] = row.date(subject.subject, _fmt(layout.date_format))
    return _table(layout, filled, row.n)


_ASPIRE_SUBJECTS = (
    ("English", "english"),
    ("Mathematics", "math"),
    ("Reading", "ela"),
    ("Science", "science"),
    ("Writing", "writing"),
)


def _aspire(row: _Row, state: State, teachers: Teachers) -> CsvTable:
    layout = row.results.layout
    students = row.results.students
    year = row.results.year
    school_teachers = state.schools.teacher_offset[students.school]
    count = state.schools.teacher_count[students.school]
    reading_teacher = school_teachers + (2 * (students.grade - 3)) % count
    math_teacher = school_teachers + (2 * (students.grade - 3) + 1) % count
    filled = {
        "State": _const("AL", row.n),
        "State District Code": row.system_code,
        "State District Name": row.system_name,
        "State School Code": row.full_school_code,
        "State School Name": row.school_name,
        "State Student ID": row.student_id,
        "First Name": row.first_name,
        "Last Name": row.last_name,
        "Middle Initial": row.middle_initial,
        "DOB": _dates(students.birth_day, _unpadded_us_date),
        "Gender": row.sex_code,
        "Actual Grade": row.grade_padded,
        "Class or Group 1": _lookup(teachers.name, reading_teacher),
        "Class or Group 2": _lookup(teachers.name, math_teacher),
        "Teacher Email 1": _lookup(teachers.email, reading_teacher),
        "Teacher Email 2": _lookup(teachers.email, math_teacher),
        "Extract Date": _const(f"0801{year}", row.n),
        "Extract Time": _const("022420", row.n),
        "Extracted By": _const("State Admin", row.n),
        "Tenant ID": _const("1001", row.n),
    }
    filled.update(flag_cells(layout, students))
    labels = layout.levels.labels
    proficient = np.array([label in layout.levels.proficient for label in labels])
    for prefix, subject in _ASPIRE_SUBJECTS:
        result = row.subject(subject)
        ready = proficient[np.clip(result.level, 0, len(labels) - 1)]
        filled[f"{prefix} Testing Grade"] = row.if_tested(subject, row.grade_padded)
        filled[f"{prefix} Test Administration Date"] = row.date(subject, _fmt(layout.date_format))
        filled[f"{prefix} Tested Grade"] = row.if_tested(subject, row.grade_padded)
        filled[f"{prefix} Tested Off Grade Flag"] = row.if_tested(subject, _const("N", row.n))
        filled[f"{prefix} Scale Score"] = row.score(subject)
        filled[f"{prefix} ACT Readiness Benchmark"] = row.if_tested(
            subject, _lookup(["N", "Y"], ready.astype(np.int64))
        )
        filled[f"{prefix} Readiness Level"] = row.level(subject, labels)
        filled[f"{prefix} Irregularity"] = row.if_tested(subject, _const("N", row.n))
        filled[f"{prefix} National Percentile Rank"] = row.if_tested(
            subject, _text(result.percentile)
        )
    return _table(layout, filled, row.n)


def _scantron(row: _Row, state: State) -> CsvTable:
    """Long: one row per student and subject tested, a student's subjects together."""
    layout = row.results.layout
    students = row.results.students
    per_subject = [row.subject(s.subject) for s in layout.subjects]
    tested = np.stack([result.tested for result in per_subject], axis=1)
    student_row, subject_index = np.nonzero(tested)  # row-major: student order kept
    score = np.stack([r.score for r in per_subject], axis=1)[student_row, subject_index]
    level = np.stack([r.level for r in per_subject], axis=1)[student_row, subject_index]
    percentile = np.stack([r.percentile for r in per_subject], axis=1)[student_row, subject_index]
    day = np.stack([r.test_day for r in per_subject], axis=1)[student_row, subject_index]
    take = pa.array(student_row)
    standard_error = 55 + (students.sid[student_row] + subject_index * 7) % 40
    filled = {
        "District ID": row.system_code.take(take),
        "District Name": row.system_name.take(take),
        "School ID": row.school_code.take(take),
        "School Name": row.school_name.take(take),
        "Student ID": row.student_id.take(take),
        "Student Last Name": row.last_name.take(take),
        "Student First Name": row.first_name.take(take),
        "Birth Date": _dates(students.birth_day, _fmt("%m/%d/%Y")).take(take),
        "Grade": row.grade.take(take),
        **{column: cells.take(take) for column, cells in flag_cells(layout, students).items()},
        "Test": _lookup([s.label for s in layout.subjects], subject_index),
        "Test Date": _dates(day, _fmt(layout.date_format)),
        "Scaled Score": _text(score),
        "Standard Error": _text(standard_error),
        "National Percentile": _text(percentile),
        "Performance Level": _lookup(layout.levels.labels, level),
    }
    return _table(layout, filled, len(student_row))


def _acap(row: _Row, state: State) -> CsvTable:
    layout = row.results.layout
    students = row.results.students
    filled = {
        "TestAdmin": _const(f"SP{row.results.year % 100:02d}", row.n),
        "SchoolID": row.full_school_code,
        "District": row.system_name,
        "School": row.school_name,
        "Grade": row.grade,
        "StateID": row.student_id,
        "LName": row.last_name,
        "FName": row.first_name,
        "MName": row.middle_initial,
        "DOB": _dates(students.birth_day, _fmt("%Y%m%d")),
        **flag_cells(layout, students),
    }
    for subject in layout.subjects:
        prefix = subject.scale_score.removesuffix("SS")
        result = row.subject(subject.subject)
        raw = np.clip(np.rint(result.percentile * 0.55 + 4), 0, 60).astype(np.int64)
        filled[f"{prefix}Grade"] = row.if_tested(subject.subject, row.grade)
        filled[f"{prefix}RS"] = row.if_tested(subject.subject, _text(raw))
        filled[subject.scale_score] = row.score(subject.subject)
        filled[subject.level] = row.level(subject.subject, layout.levels.labels)
        if f"{prefix}SPR" in layout.columns:
            filled[f"{prefix}SPR"] = row.if_tested(subject.subject, _text(result.percentile))
    return _table(layout, filled, row.n)


def assessment_table(results: YearResults, state: State, teachers: Teachers) -> CsvTable:
    """The CSV table of ``results`` in its layout (row order as given)."""
    row = _Row(results, state)
    name = results.layout.name
    if name == "act_aspire":
        return _aspire(row, state, teachers)
    builders = {"armt": _armt, "armt_plus": _armt_plus, "scantron": _scantron, "acap": _acap}
    return builders[name](row, state)
