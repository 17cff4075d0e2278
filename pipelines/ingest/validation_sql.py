"""Validation SQL derived from layout declarations: column projections and generic cell rules.

The rules a layout declares as data (which cells are required, integer, dates, closed
vocabularies, ids) become one SQL ``CASE`` per file; the rules specific to one source (code
formats, ranges, cross-column and roster checks, duplicates) live in that source's ``.sql`` file.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.layouts import TableLayout, normalize_header
from pipelines.sql_text import quote_identifier, sql_string

MISSING = "missing required value"
NOT_A_NUMBER = "not a number"
INVALID_DATE = "invalid date"
INVALID_CODE = "invalid code"
OUT_OF_RANGE = "out of range"
TOO_LARGE_DETAIL = "'larger than a 32-bit integer'"
DATE_DETAIL = "'expected format ' || $date_format"


def header_lookup(header: Sequence[str], identifiers: Sequence[str]) -> dict[str, str]:
    """Map each normalized header name to the identifier DuckDB reads that column under."""
    lookup: dict[str, str] = {}
    for name, identifier in zip(normalize_header(header), identifiers, strict=True):
        lookup.setdefault(name, identifier)
    return lookup


def cell(lookup: dict[str, str], column: str | None) -> str:
    """SQL for the trimmed text of ``column`` (NULL when empty, or when ``column`` is None)."""
    if column is None:
        return "NULL::VARCHAR"
    identifier = quote_identifier(lookup[normalize_header([column])[0]])
    return f"nullif(trim({identifier}), '')"


def problem(column: str, value_sql: str, reason: str, detail_sql: str = "NULL") -> str:
    """SQL for one problem struct: where, what value, why."""
    return (
        f"{{'column_name': {sql_string(column)}, 'value': {value_sql}, "
        f"'reason': {sql_string(reason)}, 'detail': {detail_sql}}}"
    )


def table_projections(layout: TableLayout, lookup: dict[str, str]) -> list[str]:
    """``file_rows`` columns for a table layout: each declared column under its own name."""
    return [f"{cell(lookup, column)} AS {quote_identifier(column)}" for column in layout.columns]


def allowed_values_parameter(column: str) -> str:
    return "allowed_" + "".join(ch if ch.isalnum() else "_" for ch in column)


def table_parameters(layout: TableLayout) -> dict[str, object]:
    """Statement parameters :func:`generic_problem_sql` refers to."""
    parameters: dict[str, object] = {"date_format": layout.date_format or "%Y-%m-%d"}
    for column, values in layout.allowed_values:
        parameters[allowed_values_parameter(column)] = list(values)
    return parameters


def generic_problem_sql(layout: TableLayout) -> str:
    """A ``CASE`` giving the first cell of a ``file_rows`` row that breaks a declared rule."""
    branches: list[str] = []
    for column in layout.columns:
        ref = quote_identifier(column)
        shown = f"pseudonym({ref})" if column in layout.id_columns else ref
        if column not in layout.nullable_columns:
            branches.append(f"WHEN {ref} IS NULL THEN {problem(column, 'NULL', MISSING)}")
        if column in layout.integer_columns:
            branches.append(
                f"WHEN {ref} IS NOT NULL AND NOT regexp_full_match({ref}, '[-+]?[0-9]+') "
                f"THEN {problem(column, shown, NOT_A_NUMBER)}"
            )
            branches.append(
                f"WHEN {ref} IS NOT NULL AND try_cast({ref} AS INTEGER) IS NULL "
                f"THEN {problem(column, shown, OUT_OF_RANGE, TOO_LARGE_DETAIL)}"
            )
        if column in layout.date_columns:
            branches.append(
                f"WHEN {ref} IS NOT NULL AND try_strptime({ref}, $date_format) IS NULL "
                f"THEN {problem(column, shown, INVALID_DATE, DATE_DETAIL)}"
            )
        if layout.values_allowed(column) is not None:
            parameter = allowed_values_parameter(column)
            branches.append(
                f"WHEN {ref} IS NOT NULL AND NOT list_contains(${parameter}, {ref}) "
                f"THEN {problem(column, shown, INVALID_CODE)}"
            )
    return "CASE\n    " + "\n    ".join(branches) + "\nEND"
