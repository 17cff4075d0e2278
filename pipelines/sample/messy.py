"""``--messy RATE``: corrupt a share of rows the way real exports are corrupted, and say how.

Each file gets ``round(RATE * data rows)`` corrupted rows, one corruption per row, each recorded
as a :class:`Corruption` with its physical line (header = line 1) and what the ingest is expected
to do: ``reject`` the affected records, ``repair`` the value and load the row, or
``drop_duplicate`` (an exact copy of the line before it). A ``windows_1252_text`` line is written
wholly in Windows-1252 (the rest of the file is UTF-8). Values of student-id and personal
columns and free-text notes are never copied into the record (``redacted``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import numpy as np
import pyarrow as pa

from pipelines.layouts import AssessmentLayout
from pipelines.sample.csvio import CsvTable, cp1252_placeholder

DUPLICATE_ROW = "duplicate_row"
MALFORMED_DATE = "malformed_date"
UNKNOWN_SCHOOL = "unknown_school"
NON_NUMERIC_SCORE = "non_numeric_score"
OUT_OF_RANGE_SCORE = "out_of_range_score"
NON_NUMERIC_MINUTES = "non_numeric_minutes"
OUT_OF_RANGE_MINUTES = "out_of_range_minutes"
MISSING_STUDENT_ID = "missing_student_id"
STRAY_WHITESPACE = "stray_whitespace"
WINDOWS_1252_TEXT = "windows_1252_text"

EXPECTED_OUTCOME = {
    DUPLICATE_ROW: "drop_duplicate",
    STRAY_WHITESPACE: "repair",
    WINDOWS_1252_TEXT: "repair",
}
"""Every other kind is expected to be rejected."""

UNKNOWN_SCHOOL_CODES = (9000, 9999)
"""Generated school codes stay below 9000, so a code in this range is in no roster."""
MINUTES_RANGE = (1, 480)
"""Plausible minutes of one contact (at most a school day)."""

_NAME_COLUMNS = {
    "armt": ("LAST_NAME", "FIRST_NAME", "SCH_NAME"),
    "armt_plus": ("Student Last Name", "Student First Name", "School Name"),
    "act_aspire": ("Last Name", "First Name", "State School Name"),
    "scantron": ("Student Last Name", "Student First Name", "School Name"),
    "acap": ("LName", "FName", "School"),
}
_ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú"}


@dataclass(frozen=True)
class Corruption:
    """One corrupted row of one raw file."""

    file: str
    """Path relative to the raw folder, with ``/`` separators."""
    line: int
    """1-based physical line of the corrupted row; the header is line 1."""
    kind: str
    expected: str
    column: str | None = None
    subject: str | None = None
    """Canonical subject of the affected record; ``None`` when the whole row is affected."""
    original: str | None = None
    new: str | None = None
    """The value as it reads once decoded (Windows-1252 bytes decoded as Windows-1252)."""
    redacted: bool = False
    """True when the values are ids, personal data or notes and are left out on purpose."""
    duplicate_of_line: int | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Targets:
    """Which columns of a layout each kind of corruption may hit."""

    kinds: tuple[str, ...]
    school_column: str | None = None
    school_prefixed: bool = False
    id_column: str | None = None
    date_columns: tuple[tuple[str | None, str], ...] = ()
    date_format: str | None = None
    numeric_columns: tuple[tuple[str | None, str], ...] = ()
    numeric_bounds: tuple[tuple[str | None, int, int], ...] = ()
    subject_column: str | None = None
    subject_labels: tuple[tuple[str, str], ...] = ()
    whitespace_columns: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()
    redacted_columns: frozenset[str] = field(default_factory=frozenset)

    def columns(self) -> set[str]:
        named = {self.school_column, self.id_column, self.subject_column}
        named |= {c for _, c in self.date_columns} | {c for _, c in self.numeric_columns}
        named |= set(self.whitespace_columns) | set(self.text_columns)
        return {c for c in named if c is not None}


def assessment_targets(layout: AssessmentLayout) -> Targets:
    dates = tuple(dict.fromkeys((s.subject, s.test_date) for s in layout.subjects if s.test_date))
    date_columns = {column for _, column in dates}
    if len(date_columns) == 1 and len(dates) > 1:
        dates = ((None, next(iter(date_columns))),)  # one date shared by every subject
    shared_score = layout.shape == "long"
    scores = tuple(
        dict.fromkeys((None if shared_score else s.subject, s.scale_score) for s in layout.subjects)
    )
    bounds = tuple(
        (
            s.subject,
            min(r.low for r in layout.score_ranges if r.subject == s.subject),
            max(r.high for r in layout.score_ranges if r.subject == s.subject),
        )
        for s in layout.subjects
    )
    if shared_score:  # one score column for every subject: out of range for all of them
        bounds = ((None, min(b[1] for b in bounds), max(b[2] for b in bounds)),)
    kinds = [
        DUPLICATE_ROW,
        UNKNOWN_SCHOOL,
        NON_NUMERIC_SCORE,
        OUT_OF_RANGE_SCORE,
        MISSING_STUDENT_ID,
        STRAY_WHITESPACE,
        WINDOWS_1252_TEXT,
    ]
    if dates:
        kinds.insert(1, MALFORMED_DATE)
    whitespace = (layout.school_code, layout.student_id, layout.grade)
    whitespace += tuple(dict.fromkeys(s.level for s in layout.subjects))
    return Targets(
        kinds=tuple(kinds),
        school_column=layout.school_code,
        school_prefixed=layout.school_code_has_system_prefix,
        id_column=layout.student_id,
        date_columns=dates,
        date_format=layout.date_format,
        numeric_columns=scores,
        numeric_bounds=bounds,
        subject_column=layout.subject_column,
        subject_labels=tuple((s.label, s.subject) for s in layout.subjects if s.label),
        whitespace_columns=whitespace,
        text_columns=_NAME_COLUMNS[layout.name],
        redacted_columns=frozenset({layout.student_id, *layout.personal_columns}),
    )


ROSTER_TARGETS = Targets(
    kinds=(DUPLICATE_ROW, STRAY_WHITESPACE, WINDOWS_1252_TEXT),
    whitespace_columns=("system_code", "school_code", "ncessch", "level", "enrollment"),
    text_columns=("school_name", "system_name"),
)

ACTIVITY_TARGETS = Targets(
    kinds=(
        DUPLICATE_ROW,
        MALFORMED_DATE,
        UNKNOWN_SCHOOL,
        NON_NUMERIC_MINUTES,
        OUT_OF_RANGE_MINUTES,
        STRAY_WHITESPACE,
        WINDOWS_1252_TEXT,
    ),
    school_column="school_code",
    date_columns=((None, "contact_date"),),
    date_format="%m/%d/%Y",
    numeric_columns=((None, "minutes"),),
    numeric_bounds=((None, *MINUTES_RANGE),),
    whitespace_columns=("school_code", "record_type", "activity_type", "minutes", "partner_id"),
    text_columns=("notes",),
    redacted_columns=frozenset({"teacher_ids", "notes"}),
)


def _render_date(pattern: str, year: int, month: str, day: str) -> str:
    return (
        pattern.replace("%Y", f"{year:04d}")
        .replace("%y", f"{year % 100:02d}")
        .replace("%m", month)
        .replace("%d", day)
    )


def _malformed_date(original: str, pattern: str, rng: np.random.Generator) -> str:
    parsed = dt.datetime.strptime(original, pattern).date()
    variant = int(rng.integers(0, 4))
    if variant == 0:
        return _render_date(pattern, parsed.year, "02", "30")
    if variant == 1:
        return _render_date(pattern, parsed.year, "13", f"{parsed.day:02d}")
    if variant == 2:
        return _render_date(pattern, 0, "00", "00")
    other = "%m/%d/%Y" if pattern == "%Y-%m-%d" else "%Y-%m-%d"
    return parsed.strftime(other)


def _accent(text: str) -> str:
    if "'" in text:
        return text.replace("'", "\u2019")
    word_end = text.find(" ") if " " in text else len(text)
    for i in range(word_end - 1, -1, -1):
        if text[i] in _ACCENTED:
            return text[:i] + _ACCENTED[text[i]] + text[i + 1 :]
    return text + "\u00e9"


def _cp1252_text(original: str) -> str:
    if original.endswith("."):
        return original[:-1] + "\u2026"
    return _accent(original)


class _Corrupter:
    def __init__(self, table: CsvTable, targets: Targets, file: str, rng: np.random.Generator):
        self.table = table
        self.targets = targets
        self.file = file
        self.rng = rng
        self.edits: dict[str, dict[int, str]] = {}

    def cell_values(self, rows: np.ndarray) -> dict[str, list[str | None]]:
        take = pa.array(rows)
        return {
            column: self.table.arrays[self.table.column_index(column)].take(take).to_pylist()
            for column in self.targets.columns()
        }

    def pick(self, options: list) -> object:
        return options[int(self.rng.integers(0, len(options)))]

    def corrupt_cell(self, row: int, kind: str, values: dict[str, str | None]) -> dict | None:
        """Edit one cell of ``row`` for ``kind``; the record fields, or None if impossible."""
        targets = self.targets
        subject = None
        if kind == MALFORMED_DATE:
            present = [(s, c) for s, c in targets.date_columns if values[c]]
            if not present:
                return None
            subject, column = self.pick(present)
            new = _malformed_date(values[column], targets.date_format, self.rng)
        elif kind == UNKNOWN_SCHOOL:
            column = targets.school_column
            code = f"{int(self.rng.integers(*UNKNOWN_SCHOOL_CODES)):04d}"
            new = values[column][:3] + code if targets.school_prefixed else code
        elif kind in (NON_NUMERIC_SCORE, NON_NUMERIC_MINUTES):
            present = [(s, c) for s, c in targets.numeric_columns if values[c]]
            if not present:
                return None
            subject, column = self.pick(present)
            new = self.pick(["N/A", "*", "--", "ABS", values[column][:-1] + "O"])
        elif kind in (OUT_OF_RANGE_SCORE, OUT_OF_RANGE_MINUTES):
            present = [(s, c) for s, c in targets.numeric_columns if values[c]]
            if not present:
                return None
            subject, column = self.pick(present)
            low, high = next((lo, hi) for s, lo, hi in targets.numeric_bounds if s == subject)
            above = high + int(self.rng.integers(1, max(2, high // 2)))
            below = low - int(self.rng.integers(1, low + 100))
            new = str(self.pick([above, below]))
        elif kind == MISSING_STUDENT_ID:
            column, new = targets.id_column, ""
        elif kind == STRAY_WHITESPACE:
            present = [c for c in targets.whitespace_columns if values[c]]
            column = self.pick(present)
            new = self.pick([f" {values[column]}", f"{values[column]} ", f"  {values[column]}  "])
        elif kind == WINDOWS_1252_TEXT:
            present = [c for c in targets.text_columns if values[c]]
            if not present:
                return None
            column = self.pick(present)
            new = _cp1252_text(values[column])
        else:
            raise ValueError(f"unknown corruption kind {kind}")
        if kind == WINDOWS_1252_TEXT:
            self.encode_row_as_cp1252(row)
            new_cell = cp1252_placeholder(new)
        else:
            new_cell = new
        self.edits.setdefault(column, {})[row] = new_cell
        if targets.subject_column:
            labels = dict(targets.subject_labels)
            subject = labels.get(values[targets.subject_column])
        redacted = column in targets.redacted_columns
        return {
            "column": column,
            "subject": subject,
            "original": None if redacted else values[column],
            "new": None if redacted else new,
            "redacted": redacted,
        }

    def encode_row_as_cp1252(self, row: int) -> None:
        """Write every non-ASCII cell of ``row`` in Windows-1252, as a tool that re-saved the
        line would, so the line decodes consistently as Windows-1252."""
        for name, array in zip(self.table.columns, self.table.arrays, strict=True):
            if array.null_count == len(array):
                continue
            value = array[row].as_py()
            if value and not value.isascii():
                self.edits.setdefault(name, {})[row] = cp1252_placeholder(value)

    def apply_edits(self) -> list[pa.Array]:
        arrays = list(self.table.arrays)
        for column, edits in self.edits.items():
            index = self.table.column_index(column)
            values = arrays[index].to_numpy(zero_copy_only=False).astype(object)
            for row, new in edits.items():
                values[row] = new
            arrays[index] = pa.array(values, type=pa.string())
        return arrays


def corrupt(
    table: CsvTable, targets: Targets, rate: float, file: str, rng: np.random.Generator
) -> tuple[CsvTable, list[Corruption]]:
    """``table`` with ``round(rate * rows)`` rows corrupted, and the record of each corruption."""
    n = table.n_rows
    count = min(n, round(rate * n))
    if count == 0:
        return table, []
    rows = np.sort(rng.choice(n, size=count, replace=False))
    kinds = rng.choice(len(targets.kinds), size=count)
    corrupter = _Corrupter(table, targets, file, rng)
    values = corrupter.cell_values(rows)
    duplicated = np.zeros(n, dtype=bool)
    pending: list[tuple[int, str, dict]] = []
    for i, row in enumerate(rows.tolist()):
        kind = targets.kinds[kinds[i]]
        cells = {column: column_values[i] for column, column_values in values.items()}
        fields = None if kind == DUPLICATE_ROW else corrupter.corrupt_cell(row, kind, cells)
        if fields is None and kind != DUPLICATE_ROW:
            kind, fields = STRAY_WHITESPACE, corrupter.corrupt_cell(row, STRAY_WHITESPACE, cells)
        duplicated[row] = kind == DUPLICATE_ROW
        pending.append((row, kind, fields or {}))
    copies = 1 + duplicated.astype(np.int64)
    first_position = np.cumsum(copies) - copies
    arrays = corrupter.apply_edits()
    if duplicated.any():
        order = pa.array(np.repeat(np.arange(n), copies))
        arrays = [array.take(order) for array in arrays]
    records = []
    for row, kind, fields in pending:
        line = int(first_position[row]) + 2
        if kind == DUPLICATE_ROW:
            record = Corruption(
                file, line + 1, kind, EXPECTED_OUTCOME[kind], duplicate_of_line=line
            )
        else:
            record = Corruption(file, line, kind, EXPECTED_OUTCOME.get(kind, "reject"), **fields)
        records.append(record)
    result = CsvTable(table.columns, arrays, table.line_terminator, table.quote_strings)
    return result, records
