"""The pipeline's DuckDB warehouse: the Dagster resource and small helpers to run SQL files.

Only the pipeline opens ``warehouse.duckdb``; analysts read the published Parquet marts or
``analyst.duckdb`` instead (DuckDB allows one writing process, and even a reader blocks it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from typing import Any

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from pipelines.settings import get_settings

# Settings every pipeline connection uses. Keeping insertion order costs parallelism; the one
# statement that needs it (the CSV scan) turns it on for itself.
CONNECTION_CONFIG: dict[str, Any] = {
    "preserve_insertion_order": False,
    "memory_limit": "4GB",
}


class WarehouseResource(DuckDBResource):
    """:class:`DuckDBResource` whose database defaults to ``settings.warehouse_path``.

    The path is resolved when a run opens the connection, not when the definitions load, so a
    test or a CLI run that points ``PARTNER_IMPACT_DATA_DIR`` elsewhere gets its own warehouse.
    """

    database: str = Field(default="", description="DuckDB file; empty = the settings' warehouse")
    connection_config: dict[str, Any] = Field(default_factory=lambda: dict(CONNECTION_CONFIG))

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        settings = get_settings()
        database = self.database or str(settings.warehouse_path)
        if database != ":memory:":
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(database, config=dict(self.connection_config))
        try:
            # Progress bars would write to the compute logs.
            conn.execute("SET enable_progress_bar = false")
            yield conn
        finally:
            conn.close()


def read_sql(package: str, name: str, folder: str = "sql") -> str:
    """The text of the SQL file ``folder/name`` shipped in ``package`` (e.g. ``pipelines.ingest``).

    Each layer keeps its statements in ``sql/`` and its check queries in ``checks/``.
    """
    # One name per joinpath: a namespace package's MultiplexedPath takes only one.
    return resources.files(package).joinpath(folder).joinpath(name).read_text(encoding="utf-8")


def run_script(
    conn: duckdb.DuckDBPyConnection, sql: str, parameters: Mapping[str, Any] | None = None
) -> None:
    """Run every statement of ``sql`` to completion (statements separated by ``;``).

    Named parameters are bound only in the statements that use them.
    """
    for statement in conn.extract_statements(sql):
        # The parser's own list: a name mentioned in a comment is not a parameter.
        used = {
            name: value
            for name, value in (parameters or {}).items()
            if name in statement.named_parameters
        }
        conn.execute(statement.query, used or None).fetchall()


def fetch_all(
    conn: duckdb.DuckDBPyConnection, sql: str, parameters: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Rows of one query, fetched to the end (DuckDB keeps a result open until then)."""
    return conn.execute(sql, dict(parameters) if parameters else None).fetchall()
