"""SQL that reads each layout's demographic columns into the one standard coding.

The declarations (which column holds which flag, with which codes) are data in each layout's
file (``flags:``, docs/layouts.md; the standard coding in ``pipelines/layouts/demographics.py``);
this module turns them into the ``file_rows``
projections, the standardizing expressions and the invalid-code problems that
``assessments.sql`` splices in. A flag column missing from a file's header is read as unknown.
"""

from __future__ import annotations

from pipelines.ingest.validation_sql import INVALID_CODE, cell
from pipelines.layouts import AssessmentLayout, normalize_header
from pipelines.layouts.demographics import (
    BOOLEAN_FLAGS,
    FLAGS,
    TRUE,
    FlagColumn,
    RaceFlagColumns,
    flag_declarations,
)
from pipelines.sql_text import sql_string


def _optional_cell(lookup: dict[str, str], column: str) -> str:
    present = normalize_header([column])[0] in lookup
    return cell(lookup, column) if present else "NULL::VARCHAR"


def _race_from_flags(entry: RaceFlagColumns, lookup: dict[str, str]) -> str:
    marks = [
        (f"({_optional_cell(lookup, c)} = {sql_string(entry.yes)})", c) for c, _ in entry.columns
    ]
    count = " + ".join(f"coalesce({mark}, FALSE)::INTEGER" for mark, _ in marks)
    branches = " ".join(
        f"WHEN {mark} THEN {sql_string(label)}"
        for (mark, _), (_, label) in zip(marks, entry.columns, strict=True)
    )
    return f"CASE WHEN {count} >= 2 THEN 'Two or more' {branches} END"


def flag_projections(layout: AssessmentLayout, lookup: dict[str, str]) -> list[str]:
    """``file_rows`` columns ``flag_<name>``: the raw cell of every standard flag (race from
    Y/N columns already as its standard label); NULL when the layout or file lacks it."""
    entries = flag_declarations(layout)
    columns = []
    for flag in FLAGS:
        entry = entries.get(flag)
        if entry is None:
            sql = "NULL::VARCHAR"
        elif isinstance(entry, RaceFlagColumns):
            sql = _race_from_flags(entry, lookup)
        else:
            sql = _optional_cell(lookup, entry.column)
        columns.append(f"{sql} AS flag_{flag}")
    return columns


def _standard(flag: str, value_sql: str) -> str:
    if flag in BOOLEAN_FLAGS:
        return f"({value_sql}) = {sql_string(TRUE)}"
    return value_sql


def flag_values_sql(layout: AssessmentLayout) -> str:
    """The standard flag columns (``gender``, ..., ``migrant``) of a ``file_rows`` row."""
    entries = flag_declarations(layout)
    columns = []
    for flag in FLAGS:
        entry = entries.get(flag)
        if isinstance(entry, FlagColumn):
            branches = " ".join(
                f"WHEN {sql_string(raw)} THEN {sql_string(value)}" for raw, value in entry.accepted
            )
            blank = "NULL" if entry.blank is None else sql_string(entry.blank)
            value = (
                f"CASE WHEN flag_{flag} IS NULL THEN {blank} "
                f"ELSE CASE flag_{flag} {branches} END END"
            )
        else:
            value = f"flag_{flag}"
        columns.append(f"{_standard(flag, value)} AS {flag}")
    return ",\n        ".join(columns)


def flag_problems_sql(layout: AssessmentLayout) -> str:
    """``WHEN`` branches of the record-problem ``CASE``: a flag cell with an unknown code."""
    branches = []
    for entry in layout.flags:
        if not isinstance(entry, FlagColumn):
            continue
        codes = ", ".join(sql_string(raw) for raw, _ in entry.accepted)
        detail = sql_string("expected one of " + ", ".join(raw for raw, _ in entry.accepted))
        branches.append(
            f"WHEN flag_{entry.flag} IS NOT NULL AND flag_{entry.flag} NOT IN ({codes}) THEN\n"
            f"                {{'column_name': {sql_string(entry.column)}, "
            f"'value': flag_{entry.flag}, 'reason': {sql_string(INVALID_CODE)}, "
            f"'detail': {detail}}}"
        )
    return "\n            ".join(branches)
