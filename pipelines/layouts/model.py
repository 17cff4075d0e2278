"""The shapes of a file layout: plain frozen dataclasses, no behaviour beyond lookups.

A layout says where each field lives in a raw file. The synthetic-state generator writes files
from these declarations and the ingest reads files with them, so the two can never disagree.

Conventions shared by every layout:

- Column names are exact header strings (case and spaces as the vendor writes them).
- Subjects are canonical codes: ``"ela"`` (reading / English language arts), ``"math"``,
  ``"science"``.
- Date formats use the ``%`` codes that both Python's ``strptime`` and DuckDB's ``strptime``
  understand (``%m %d %Y %y``).
- Codes (system, school, student ids) are text: leading zeros matter, never read them as numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Shape = Literal["wide", "long"]

SUBJECTS: tuple[str, ...] = ("ela", "math", "science")


@dataclass(frozen=True)
class ScoreRange:
    """The valid scale-score range (inclusive) of one subject at one tested grade."""

    subject: str
    grade: int
    low: int
    high: int

    def contains(self, score: float) -> bool:
        return self.low <= score <= self.high


@dataclass(frozen=True)
class SubjectColumns:
    """Where one subject's result lives in a row.

    In a wide layout each subject has its own columns. In a long layout every subject shares the
    same columns and ``label`` is the value of the layout's ``subject_column`` that marks this
    subject's rows. A row (wide) or record (long) whose ``scale_score`` cell is empty means the
    student did not take that subject: it is not an error.
    """

    subject: str
    scale_score: str
    level: str
    tested_grade: str | None = None
    """Grade the subject was tested at; ``None`` means use the layout's enrolled ``grade``."""
    test_date: str | None = None
    """Test date column (format ``AssessmentLayout.date_format``); ``None`` when the layout has
    no date and the year comes from ``AssessmentLayout.admin_column``."""
    label: str | None = None
    """Long layouts only: the subject column's value for this subject."""


@dataclass(frozen=True)
class PerformanceLevels:
    """A test's performance-level labels, lowest first, and which of them count as proficient."""

    labels: tuple[str, ...]
    proficient: tuple[str, ...]

    def rank(self, label: str) -> int | None:
        """1-based rank of ``label`` (1 = lowest level), ``None`` when it is not a known label."""
        return self.labels.index(label) + 1 if label in self.labels else None


@dataclass(frozen=True)
class FlagColumn:
    """One demographic or program flag in one column: ``codes`` maps each raw value to its
    standard value (the standard coding: ``pipelines/layouts/demographics.py``).

    ``blank`` is the standard value of an empty cell (``None``: empty means unknown). A raw value
    outside ``codes`` and ``aliases`` is an error naming file, line and column.
    """

    flag: str
    column: str
    codes: tuple[tuple[str, str], ...]
    blank: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()
    """Further raw codes accepted on reading (exports of the same era seen with them); the
    generator writes ``codes`` only."""

    @property
    def accepted(self) -> tuple[tuple[str, str], ...]:
        """Every raw code read, with its standard value."""
        return (*self.codes, *self.aliases)

    @property
    def flag_columns(self) -> tuple[str, ...]:
        """The columns read for the flag."""
        return (self.column,)


@dataclass(frozen=True)
class RaceFlagColumns:
    """Race as one Y/N column per group (ACT Aspire, DRC): one ``Y`` names the group, two or
    more ``Y`` mean ``Two or more``, none means unknown."""

    columns: tuple[tuple[str, str], ...]
    """(column, standard race label) pairs."""
    yes: str = "Y"

    flag = "race_ethnicity"
    """The standard flag the columns hold (a class attribute, not a field)."""

    @property
    def flag_columns(self) -> tuple[str, ...]:
        """The columns read for the flag."""
        return tuple(column for column, _ in self.columns)


FlagDeclaration = FlagColumn | RaceFlagColumns
"""Where a layout keeps one standard flag, and in which codes."""


@dataclass(frozen=True)
class AssessmentLayout:
    """One vendor's student-level assessment export.

    ``columns`` is the full header in file order (what the generator writes). Detection only
    needs ``required_columns``, so a real export with extra or reordered columns still matches.
    """

    name: str
    """Stable identifier, e.g. ``"act_aspire"``; what the ingest ledger records."""
    test: str
    """Test code used downstream for standardization (z within test x subject x grade x year)."""
    vendor: str
    first_year: int
    """First spring year the state gave this test."""
    last_year: int
    """Last spring year the state gave this test."""
    shape: Shape
    columns: tuple[str, ...]
    student_id: str
    """The state student id (persistent across years); pseudonymized at ingest."""
    school_code: str
    system_code: str | None
    """``None`` when the system code is only the prefix of ``school_code``."""
    school_code_has_system_prefix: bool
    """True when ``school_code`` holds system + school (``"0010010"``): the 4-digit state school
    code is then its last 4 characters and the system code its first 3."""
    grade: str
    """Enrolled grade column."""
    subjects: tuple[SubjectColumns, ...]
    levels: PerformanceLevels
    score_ranges: tuple[ScoreRange, ...]
    date_format: str | None
    """Format of the test-date columns (``None`` when the layout has none)."""
    subject_column: str | None = None
    """Long layouts only: the column naming the subject of each record."""
    admin_column: str | None = None
    """Column naming the test administration (e.g. ``"SP21"``) when there is no test date."""
    admin_format: str | None = None
    """Format of ``admin_column``: ``strptime(value, admin_format).year`` is the spring year."""
    personal_columns: tuple[str, ...] = ()
    """Names, dates of birth, other student ids, teacher names and emails: dropped at ingest."""
    line_terminator: str = "\n"
    """What the vendor ends lines with (the generator writes it; readers accept both)."""
    flags: tuple[FlagDeclaration, ...] = ()
    """The demographic and program flags the exports carry, in the order of the standard flags
    (``pipelines.layouts.demographics.FLAGS``); a flag not declared is unknown. Flag columns are
    optional in a file: one missing from a header is read as unknown."""

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Every column the ingest maps; a header must hold all of them to match this layout."""
        wanted: list[str] = [self.student_id, self.school_code, self.grade]
        optional = (self.system_code, self.subject_column, self.admin_column)
        wanted.extend(column for column in optional if column is not None)
        for subject in self.subjects:
            wanted.extend(
                column
                for column in (
                    subject.scale_score,
                    subject.level,
                    subject.tested_grade,
                    subject.test_date,
                )
                if column is not None
            )
        return tuple(dict.fromkeys(wanted))

    def subject_columns(self, subject: str) -> SubjectColumns | None:
        """The columns of ``subject`` (canonical code), ``None`` when this test lacks it."""
        return next((s for s in self.subjects if s.subject == subject), None)

    def score_range(self, subject: str, grade: int) -> ScoreRange | None:
        """The valid score range of ``subject`` at ``grade``, ``None`` when it is not tested."""
        return next(
            (r for r in self.score_ranges if r.subject == subject and r.grade == grade), None
        )

    def tested_grades(self, subject: str) -> tuple[int, ...]:
        """Grades at which ``subject`` is tested (those with a declared score range)."""
        return tuple(r.grade for r in self.score_ranges if r.subject == subject)


@dataclass(frozen=True)
class TableLayout:
    """A non-assessment file (rosters, activity logs, program roster): one row per record."""

    name: str
    columns: tuple[str, ...]
    """Full header in file order; every column must be in the header."""
    key_columns: tuple[str, ...]
    """Columns that identify a row uniquely (after exact duplicates are dropped)."""
    nullable_columns: tuple[str, ...] = ()
    """Columns whose cells may be empty; every other cell must hold a value."""
    code_columns: tuple[str, ...] = ()
    """Fixed-width codes kept as text (leading zeros matter)."""
    integer_columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()
    date_format: str | None = None
    id_columns: tuple[str, ...] = ()
    """Person ids pseudonymized at ingest (``;``-separated lists allowed)."""
    free_text_columns: tuple[str, ...] = ()
    """Free text kept in the warehouse only, never published."""
    allowed_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Closed vocabularies as ``(column, values)`` pairs."""
    line_terminator: str = "\n"

    def values_allowed(self, column: str) -> tuple[str, ...] | None:
        """The closed vocabulary of ``column``, ``None`` when it is free."""
        return dict(self.allowed_values).get(column)
