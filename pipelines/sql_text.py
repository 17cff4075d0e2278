"""Writing SQL text safely: literals, identifiers and code-owned placeholders.

Values from input are always bound as statement parameters; these helpers are for the parts of
a statement that cannot be parameters (table and column names, lists declared in code).
"""

from __future__ import annotations

from collections.abc import Mapping


def sql_string(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """``name`` as a DuckDB identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def fill(sql: str, fragments: Mapping[str, str]) -> str:
    """``sql`` with its ``{placeholders}`` replaced (by code constants, never by input)."""
    for placeholder, value in fragments.items():
        sql = sql.replace("{" + placeholder + "}", value)
    return sql
