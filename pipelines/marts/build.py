"""Build the mart tables in the warehouse (schema ``marts``) from the staging tables."""

from __future__ import annotations

import re

import duckdb

from pipelines.layouts import ACTIVITY_TYPES, RECORD_TYPES
from pipelines.sql_text import sql_string
from pipelines.warehouse import fetch_all, read_sql, run_script

PACKAGE = "pipelines.marts"

MARTS: tuple[str, ...] = (
    "schools",
    "student_scores",
    "school_outcomes",
    "treatment",
    "school_panel",
    "partnering_dose",
    "data_quality",
)
"""Every mart, in build order; each is ``marts.<name>`` in the warehouse and
``<name>.parquet`` once published."""

CONFIDENTIAL_MARTS: frozenset[str] = frozenset({"student_scores"})
"""Student-level marts: for analysts under the data agreement, never for publication."""


def column_suffix(label: str) -> str:
    """A column-name fragment for a label: ``"feedback/debrief"`` -> ``feedback_debrief``."""
    return re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")


def share_columns_sql() -> str:
    """Share-of-minutes columns, one per declared activity type and record type."""
    columns = []
    for prefix, column, labels in (
        ("activity", "activity_type", ACTIVITY_TYPES),
        ("record", "record_type", RECORD_TYPES),
    ):
        for label in labels:
            columns.append(
                f"coalesce(sum(c.minutes) FILTER (WHERE c.{column} = {sql_string(label)}), 0)"
                f" / sum(c.minutes) AS share_{prefix}_{column_suffix(label)}"
            )
    return ",\n        ".join(columns)


def build_mart(conn: duckdb.DuckDBPyConnection, name: str) -> int:
    """(Re)build ``marts.<name>``; return its row count."""
    sql = read_sql(PACKAGE, f"{name}.sql")
    if name == "partnering_dose":
        sql = sql.replace("{share_columns}", share_columns_sql())
    run_script(conn, sql)
    return mart_rows(conn, name)


def mart_exists(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the warehouse holds ``marts.<name>``."""
    return bool(fetch_all(conn, read_sql(PACKAGE, "mart_exists.sql"), {"name": name})[0][0])


def mart_rows(conn: duckdb.DuckDBPyConnection, name: str) -> int:
    """Rows of ``marts.<name>`` (``name`` is one of :data:`MARTS`)."""
    return fetch_all(conn, f"SELECT count(*) FROM marts.{name}")[0][0]
