"""Assessment layouts declared as data files (YAML or TOML), validated field by field.

The built-in layouts live in ``pipelines/layouts/declared/``; an agency adds next year's vendor
layout by dropping a file into its layouts folder (``data/layouts/`` by default, see
:func:`agency_layouts_dir`) without touching code. Every file is validated when it is read: an
error names the file and the field (``data/layouts/sc_ready.yaml: field 'levels.proficient':
'Exceeds' is not one of the labels``). A layout's ``flags`` section maps its demographic and
program columns onto the standard coding of :mod:`pipelines.layouts.demographics`. See
docs/layouts.md for the fields and a walk-through.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipelines.layouts.demographics import BOOLEAN_FLAGS, FALSE, FLAGS, STANDARD_VALUES, TRUE
from pipelines.layouts.model import (
    SUBJECTS,
    AssessmentLayout,
    FlagColumn,
    FlagDeclaration,
    PerformanceLevels,
    RaceFlagColumns,
    ScoreRange,
    SubjectColumns,
)
from pipelines.settings import get_settings

SUFFIXES = (".yaml", ".yml", ".toml")
"""The files of a layouts folder that declare layouts (others are ignored)."""

_FIELDS = {
    "name": "a short identifier, e.g. acap",
    "test": "the test's name",
    "vendor": "the vendor's name",
    "first_year": "first spring year",
    "last_year": "last spring year",
    "shape": "wide or long",
    "columns": "header names",
    "student_id": "a column",
    "school_code": "a column",
    "system_code": "a column or null",
    "school_code_has_system_prefix": "true or false",
    "grade": "a column",
    "subjects": "a list",
    "levels": "labels and proficient",
    "score_ranges": "a list",
    "date_format": "a format or null",
    "subject_column": "a column",
    "admin_column": "a column",
    "admin_format": "a format",
    "personal_columns": "a list of columns",
    "line_terminator": "a line ending",
    "flags": "demographic and program flags",
}
_REQUIRED = (
    "name",
    "test",
    "vendor",
    "first_year",
    "last_year",
    "shape",
    "student_id",
    "school_code",
    "grade",
    "subjects",
    "levels",
    "score_ranges",
)
_SUBJECT_FIELDS = ("subject", "scale_score", "level", "tested_grade", "test_date", "label")
_RANGE_FIELDS = ("subject", "grades", "low", "high")
_FLAG_COLUMN_FIELDS = ("column", "codes", "blank", "aliases")
_RACE_COLUMNS_FIELDS = ("columns", "mark")
_STANDARD_CODING = 'docs/marts.md, "Student flags"'


class LayoutFileError(ValueError):
    """A layout file that cannot be used; the message names the file and the field."""


class _Fields:
    """Typed access to one mapping of a layout file, with errors naming the field."""

    def __init__(self, source: str, data: object, prefix: str = "") -> None:
        self.source = source
        self.prefix = prefix
        if not isinstance(data, Mapping):
            raise self.error("", "expected a mapping of fields")
        self.data = data

    def error(self, field: str, problem: str) -> LayoutFileError:
        where = f"{self.prefix}{field}" if field else (self.prefix.rstrip(".") or "(top level)")
        return LayoutFileError(f"{self.source}: field {where!r}: {problem}")

    def unknown(self, allowed: Iterable[str]) -> None:
        extra = sorted(set(map(str, self.data)) - set(allowed))
        if extra:
            raise self.error(extra[0], f"unknown field (known: {', '.join(sorted(allowed))})")

    def value(self, field: str, required: bool) -> Any:
        if field not in self.data or self.data[field] is None:
            if required:
                raise self.error(field, "missing")
            return None
        return self.data[field]

    def text(self, field: str, required: bool = True) -> str | None:
        value = self.value(field, required)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.error(field, "expected non-empty text")
        return value

    def integer(self, field: str) -> int:
        value = self.value(field, True)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(field, "expected a whole number")
        return value

    def boolean(self, field: str, default: bool) -> bool:
        value = self.value(field, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(field, "expected true or false")
        return value

    def texts(self, field: str, required: bool = False) -> tuple[str, ...]:
        value = self.value(field, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(field, "expected a list of non-empty texts")
        return tuple(value)

    def items(self, field: str) -> list[Any]:
        value = self.value(field, True)
        if not isinstance(value, list) or not value:
            raise self.error(field, "expected a non-empty list")
        return value


def _subject(source: str, number: int, data: object) -> SubjectColumns:
    fields = _Fields(source, data, f"subjects[{number}].")
    fields.unknown(_SUBJECT_FIELDS)
    subject = fields.text("subject")
    if subject not in SUBJECTS:
        raise fields.error("subject", f"{subject!r} is not one of {', '.join(SUBJECTS)}")
    return SubjectColumns(
        subject=subject,
        scale_score=fields.text("scale_score"),
        level=fields.text("level"),
        tested_grade=fields.text("tested_grade", required=False),
        test_date=fields.text("test_date", required=False),
        label=fields.text("label", required=False),
    )


def _ranges(source: str, items: list[Any], subjects: set[str]) -> tuple[ScoreRange, ...]:
    ranges: list[ScoreRange] = []
    for number, data in enumerate(items):
        fields = _Fields(source, data, f"score_ranges[{number}].")
        fields.unknown(_RANGE_FIELDS)
        subject = fields.text("subject")
        if subject not in subjects:
            raise fields.error("subject", f"{subject!r} is not one of the layout's subjects")
        grades = fields.value("grades", True)
        if (
            not isinstance(grades, list)
            or not grades
            or not all(isinstance(g, int) and not isinstance(g, bool) for g in grades)
        ):
            raise fields.error("grades", "expected a non-empty list of whole numbers")
        low, high = fields.integer("low"), fields.integer("high")
        if low >= high:
            raise fields.error("high", f"must be above low ({low})")
        ranges.extend(ScoreRange(subject, grade, low, high) for grade in grades)
    seen: set[tuple[str, int]] = set()
    for item in ranges:
        if (item.subject, item.grade) in seen:
            raise LayoutFileError(
                f"{source}: field 'score_ranges': {item.subject} grade {item.grade} twice"
            )
        seen.add((item.subject, item.grade))
    return tuple(ranges)


def _standard_value(fields: _Fields, field: str, flag: str, value: object) -> str:
    """The standard value of ``flag`` that ``value`` declares (yes/no flags: true or false)."""
    if flag in BOOLEAN_FLAGS and isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, str) and value in STANDARD_VALUES[flag]:
        return value
    allowed = ", ".join(STANDARD_VALUES[flag])
    raise fields.error(
        field, f"{value!r} is not a standard value of {flag} ({allowed}; {_STANDARD_CODING})"
    )


def _raw_text(fields: _Fields, field: str, raw: object, what: str) -> str:
    """A raw code or column name of a flag mapping, as written in the file."""
    if not isinstance(raw, str):
        # YAML 1.1 turns unquoted Yes/No/On/Off into booleans and digits into numbers, which
        # would lose how the vendor spells the code (Yes or YES, 01 or 1).
        raise fields.error(
            field,
            f"{what} {raw!r} is not text (YAML reads unquoted Yes, No, On, Off and numbers as "
            'values): quote it, e.g. "Yes"',
        )
    if not raw.strip():
        raise fields.error(field, f"an empty {what} (an empty cell's meaning is blank)")
    if raw != raw.strip():
        raise fields.error(field, f"{what} {raw!r} has spaces around it (cells are read trimmed)")
    return raw


def _mapping(fields: _Fields, field: str, required: bool, what: str) -> Mapping[Any, Any] | None:
    value = fields.value(field, required)
    if value is not None and (not isinstance(value, Mapping) or not value):
        raise fields.error(field, f"expected a mapping of {what}")
    return value


def _codes(fields: _Fields, field: str, flag: str, required: bool) -> tuple[tuple[str, str], ...]:
    """``(raw code, standard value)`` pairs of a ``codes`` or ``aliases`` mapping, in file order."""
    value = _mapping(fields, field, required, "raw codes to standard values")
    if value is None:
        return ()
    pairs = []
    for raw, standard in value.items():
        code = _raw_text(fields, field, raw, "code")
        pairs.append((code, _standard_value(fields, f"{field}.{code}", flag, standard)))
    return tuple(pairs)


def _race_columns(fields: _Fields) -> RaceFlagColumns:
    value = _mapping(fields, "columns", True, "columns to race labels")
    pairs = []
    for raw, label in value.items():
        column = _raw_text(fields, "columns", raw, "column")
        pairs.append(
            (column, _standard_value(fields, f"columns.{column}", "race_ethnicity", label))
        )
    return RaceFlagColumns(tuple(pairs), fields.text("mark", required=False) or "Y")


def _flag(source: str, flag: str, data: object) -> FlagDeclaration:
    """One flag's declaration: a column with codes, or (race) one Y/N column per group."""
    fields = _Fields(source, data, f"flags.{flag}.")
    if flag == "race_ethnicity" and "columns" in fields.data:
        fields.unknown(_RACE_COLUMNS_FIELDS)
        return _race_columns(fields)
    fields.unknown(_FLAG_COLUMN_FIELDS)
    column = fields.text("column")
    codes = _codes(fields, "codes", flag, required=True)
    blank = fields.value("blank", False)
    aliases = _codes(fields, "aliases", flag, required=False)
    for raw, _ in aliases:
        if raw in dict(codes):
            raise fields.error(f"aliases.{raw}", f"code {raw!r} is also one of the codes")
    return FlagColumn(
        flag=flag,
        column=column,
        codes=codes,
        blank=None if blank is None else _standard_value(fields, "blank", flag, blank),
        aliases=aliases,
    )


def _mapped_columns(layout: AssessmentLayout) -> dict[str, str]:
    """Every column the layout maps or drops, case folded, with the field that names it."""
    fields: list[tuple[str, str | None]] = [
        ("student_id", layout.student_id),
        ("school_code", layout.school_code),
        ("system_code", layout.system_code),
        ("grade", layout.grade),
        ("subject_column", layout.subject_column),
        ("admin_column", layout.admin_column),
    ]
    for n, subject in enumerate(layout.subjects):
        for name in ("scale_score", "level", "tested_grade", "test_date"):
            fields.append((f"subjects[{n}].{name}", getattr(subject, name)))
    fields += [("personal_columns", column) for column in layout.personal_columns]
    mapped: dict[str, str] = {}
    for field, column in fields:
        if column is not None:
            mapped.setdefault(column.casefold(), field)
    return mapped


def _flags(source: str, data: object, layout: AssessmentLayout) -> tuple[FlagDeclaration, ...]:
    """The ``flags`` section: each standard flag's declaration, in the order of ``FLAGS``.

    A flag column may not be a column the layout already maps or drops, nor another flag's
    (compared without case, as headers are).
    """
    if data is None:
        return ()
    fields = _Fields(source, data, "flags.")
    for name in fields.data:
        if name not in FLAGS:
            raise fields.error(str(name), f"unknown flag (known: {', '.join(FLAGS)})")
    entries = sorted(
        (_flag(source, flag, item) for flag, item in fields.data.items()),
        key=lambda entry: FLAGS.index(entry.flag),
    )
    taken = _mapped_columns(layout)
    for entry in entries:
        for column in entry.flag_columns:
            field = (
                f"flags.{entry.flag}.column"
                if isinstance(entry, FlagColumn)
                else f"flags.{entry.flag}.columns.{column}"
            )
            if column.casefold() in taken:
                raise LayoutFileError(
                    f"{source}: field {field!r}: {column!r} is already the column of "
                    f"{taken[column.casefold()]!r}"
                )
            taken[column.casefold()] = field
    return tuple(entries)


def layout_from_mapping(source: str, data: object) -> AssessmentLayout:
    """The :class:`AssessmentLayout` a file's mapping declares; ``source`` names it in errors."""
    fields = _Fields(source, data)
    fields.unknown(_FIELDS)
    for field in _REQUIRED:
        fields.value(field, True)
    shape = fields.text("shape")
    if shape not in ("wide", "long"):
        raise fields.error("shape", "expected wide or long")
    first_year, last_year = fields.integer("first_year"), fields.integer("last_year")
    if last_year < first_year:
        raise fields.error("last_year", f"before first_year ({first_year})")
    subjects = tuple(_subject(source, n, item) for n, item in enumerate(fields.items("subjects")))
    if len({s.subject for s in subjects}) != len(subjects):
        raise fields.error("subjects", "a subject is declared twice")
    levels = _Fields(source, fields.value("levels", True), "levels.")
    levels.unknown(("labels", "proficient"))
    labels = levels.texts("labels", required=True)
    proficient = levels.texts("proficient", required=True)
    for label in proficient:
        if label not in labels:
            raise levels.error("proficient", f"{label!r} is not one of the labels")
    subject_column = fields.text("subject_column", required=False)
    if shape == "long":
        if subject_column is None:
            raise fields.error("subject_column", "a long layout names its subject column")
        for n, subject in enumerate(subjects):
            if subject.label is None:
                raise LayoutFileError(
                    f"{source}: field 'subjects[{n}].label': a long layout labels each subject"
                )
    date_format = fields.text("date_format", required=False)
    if date_format is None and any(s.test_date for s in subjects):
        raise fields.error("date_format", "missing (a subject has a test date column)")
    admin_column = fields.text("admin_column", required=False)
    admin_format = fields.text("admin_format", required=False)
    if (admin_column is None) != (admin_format is None):
        raise fields.error("admin_format", "admin_column and admin_format go together")
    if date_format is None and admin_column is None:
        raise fields.error("admin_column", "without test dates the administration gives the year")
    system_code = fields.text("system_code", required=False)
    prefixed = fields.boolean("school_code_has_system_prefix", False)
    if system_code is None and not prefixed:
        raise fields.error("system_code", "missing (or set school_code_has_system_prefix: true)")
    layout = AssessmentLayout(
        name=fields.text("name"),
        test=fields.text("test"),
        vendor=fields.text("vendor"),
        first_year=first_year,
        last_year=last_year,
        shape=shape,
        columns=(),
        student_id=fields.text("student_id"),
        school_code=fields.text("school_code"),
        system_code=system_code,
        school_code_has_system_prefix=prefixed,
        grade=fields.text("grade"),
        subjects=subjects,
        levels=PerformanceLevels(labels, proficient),
        score_ranges=_ranges(source, fields.items("score_ranges"), {s.subject for s in subjects}),
        date_format=date_format,
        subject_column=subject_column,
        admin_column=admin_column,
        admin_format=admin_format,
        personal_columns=fields.texts("personal_columns"),
        line_terminator=_line_terminator(fields),
    )
    # Without a declared header, the layout's header is the columns it maps.
    columns = fields.texts("columns") or layout.required_columns
    missing = [column for column in layout.required_columns if column not in columns]
    if missing:
        raise fields.error("columns", f"lacks the mapped column {missing[0]!r}")
    return replace(
        layout, columns=columns, flags=_flags(source, fields.value("flags", False), layout)
    )


def _line_terminator(fields: _Fields) -> str:
    value = fields.value("line_terminator", False)
    if value is None:
        return "\n"
    if value not in ("\n", "\r\n"):
        raise fields.error("line_terminator", 'expected "\\n" or "\\r\\n"')
    return value


def _parse(path: Path, text: str, source: str) -> object:
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        return yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "syntax error"
        raise LayoutFileError(f"{source}: not valid {path.suffix[1:].upper()}: {first}") from None


def load_layout_file(path: Path, shown_as: str | None = None) -> AssessmentLayout:
    """The layout declared in ``path`` (YAML or TOML); errors name it as ``shown_as``."""
    source = shown_as or str(path)
    return layout_from_mapping(source, _parse(path, path.read_text(encoding="utf-8"), source))


def _layout_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES)


def _check_names(layouts: Sequence[tuple[str, AssessmentLayout]]) -> None:
    seen: dict[str, str] = {}
    for source, layout in layouts:
        if layout.name in seen:
            raise LayoutFileError(
                f"{source}: field 'name': {layout.name!r} is already declared in "
                f"{seen[layout.name]}"
            )
        seen[layout.name] = source


@cache
def builtin_layouts() -> tuple[AssessmentLayout, ...]:
    """The built-in layouts (``pipelines/layouts/declared/``), in the order the state used them."""
    folder = Path(str(resources.files("pipelines.layouts").joinpath("declared")))
    declared = [
        (
            f"pipelines/layouts/declared/{p.name}",
            load_layout_file(p, f"pipelines/layouts/declared/{p.name}"),
        )
        for p in _layout_files(folder)
    ]
    _check_names(declared)
    return tuple(sorted((layout for _, layout in declared), key=lambda item: item.first_year))


def agency_layouts_dir() -> Path:
    """The folder of the agency's own layouts: ``PARTNER_IMPACT_LAYOUTS_DIR``, else
    ``<data dir>/layouts``."""
    configured = os.environ.get("PARTNER_IMPACT_LAYOUTS_DIR")
    return (
        Path(configured).expanduser().resolve()
        if configured
        else get_settings().data_dir / "layouts"
    )


def assessment_layouts(folder: Path | None = None) -> tuple[AssessmentLayout, ...]:
    """The built-in layouts, then those declared in ``folder`` (default
    :func:`agency_layouts_dir`), every file validated; raises :class:`LayoutFileError`."""
    folder = agency_layouts_dir() if folder is None else folder
    declared = [
        (f"pipelines/layouts/declared/{item.name}.yaml", item) for item in builtin_layouts()
    ]
    declared += [(str(p), load_layout_file(p)) for p in _layout_files(folder)]
    _check_names(declared)
    return tuple(layout for _, layout in declared)


def layouts_fingerprint(folder: Path | None = None) -> str:
    """SHA-256 of the agency's layout files (names and contents): a change re-reads files."""
    folder = agency_layouts_dir() if folder is None else folder
    digest = hashlib.sha256()
    for path in _layout_files(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
