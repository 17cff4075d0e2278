"""Publish the estimate tables atomically, with the marts' publisher, and read them back.

The tables go to ``data/estimates/`` (``<table>.parquet`` plus ``analyst.duckdb``, views over
them), a link to a complete version in ``data/estimates_versions/`` swapped in one rename, as
the marts are. Not into ``data/marts/``: the marts' publisher makes a folder hold exactly the
tables it is given, so publishing the estimates there would drop the marts (docs/analysis.md,
"Where the estimates are published").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

PACKAGE = "pipelines.estimates"


def publish_estimates(tables: Mapping[str, pd.DataFrame], directory: Path) -> dict[str, Path]:
    """Write every table to ``directory/<name>.parquet`` atomically (all or none replaced)."""
    import duckdb

    from pipelines.marts.publish import publish_marts
    from pipelines.sql_text import quote_identifier
    from pipelines.warehouse import read_sql, run_script

    stage = read_sql(PACKAGE, "stage_table.sql")
    conn = duckdb.connect()
    try:
        for name, frame in tables.items():
            conn.register("frame", frame)
            run_script(conn, stage.replace("{table}", quote_identifier(name)))
            conn.unregister("frame")
        return publish_marts(conn, list(tables), directory)
    finally:
        conn.close()


def read_estimates(directory: Path, names: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The published tables ``names`` (``FileNotFoundError`` if one is missing).

    They are read from the version the folder links to when called, so all come from one
    publication even if another lands meanwhile.
    """
    version = directory.resolve()
    return {name: pd.read_parquet(version / f"{name}.parquet") for name in names}
