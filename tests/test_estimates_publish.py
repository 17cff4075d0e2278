"""Publishing the estimate tables with the marts' publisher, and their version."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.estimates.provenance import Version, published_version
from pipelines.estimates.publish import publish_estimates, read_estimates
from pipelines.estimates.tables import COLUMNS, TABLES, assemble
from pipelines.provenance import frame_fingerprint


def _tables(att: float) -> dict[str, pd.DataFrame]:
    comparison = pd.DataFrame({column: [0] for column in COLUMNS["estimates_comparison"]}).assign(
        specification="cs", subject="ela", estimator="CS", att=att, method="m"
    )
    tables = assemble({"estimates_comparison": [comparison]})
    tables["estimates_provenance"] = Version("a" * 64, "b" * 64, "c" * 64).frame("cs", 1.5)
    return tables


def test_fingerprint_ignores_row_and_column_order_but_not_values() -> None:
    frame = pd.DataFrame({"school_id": [2, 1, 3], "year": [1, 1, 2], "z": [0.5, -0.1, 0.2]})
    shuffled = frame.iloc[[2, 0, 1]][["z", "year", "school_id"]]
    assert frame_fingerprint(frame, ["school_id"]) == frame_fingerprint(shuffled, ["school_id"])
    changed = frame.assign(z=[0.5, -0.1, 0.2000001])
    assert frame_fingerprint(frame, ["school_id"]) != frame_fingerprint(changed, ["school_id"])


def test_tables_are_published_with_views_and_their_version_is_read_back(tmp_path: Path) -> None:
    directory = tmp_path / "estimates"
    assert published_version(directory, TABLES) is None
    publish_estimates(_tables(0.05), directory)
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [f"{name}.parquet" for name in TABLES] + ["analyst.duckdb"]
    )
    assert published_version(directory, TABLES) == Version("a" * 64, "b" * 64, "c" * 64)
    with duckdb.connect(str(directory / "analyst.duckdb"), read_only=True) as conn:
        assert conn.sql("SELECT att FROM estimates_comparison").fetchall() == [(0.05,)]
        assert conn.sql("SELECT count(*) FROM estimates_attgt").fetchall() == [(0,)]
    back = read_estimates(directory, TABLES)
    assert list(back["estimates_status"].columns) == list(COLUMNS["estimates_status"])


def test_republishing_replaces_every_table_and_leaves_no_staging(tmp_path: Path) -> None:
    directory = tmp_path / "estimates"
    publish_estimates(_tables(0.05), directory)
    publish_estimates(_tables(0.07), directory)
    assert read_estimates(directory, ["estimates_comparison"])["estimates_comparison"][
        "att"
    ].tolist() == [0.07]
    assert not list(directory.glob(".publish-*"))
