"""Publishing marts: atomic Parquet files and an analysts' DuckDB file of views over them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from dagster import DagsterInstance, materialize

from pipelines.definitions import defs
from pipelines.marts.build import MARTS
from pipelines.marts.publish import publish_marts
from pipelines.settings import get_settings
from pipelines.warehouse import WarehouseResource

BAD_INPUTS = Path(__file__).parent / "bad_inputs"


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data folder holding the bad-inputs files, selected through the environment."""
    root = tmp_path_factory.mktemp("publish")
    shutil.copytree(BAD_INPUTS / "raw", root / "data" / "raw")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PARTNER_IMPACT_DATA_DIR", str(root / "data"))
        env.setenv("PARTNER_IMPACT_KEY_FILE", str(root / "secrets" / "pseudonym.key"))
        env.delenv("PARTNER_IMPACT_PSEUDONYM_KEY", raising=False)
        yield root / "data"


@pytest.fixture(scope="module")
def published(environment: Path) -> Path:
    """The marts folder after a full run."""
    result = materialize(
        list(defs.assets),
        resources=dict(defs.resources),
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    return get_settings().marts_dir


def test_every_mart_is_a_parquet_file_with_its_documented_columns(published: Path) -> None:
    dictionary = (Path(__file__).parents[1] / "docs" / "marts.md").read_text()
    for name in MARTS:
        schema = pq.read_schema(published / f"{name}.parquet")
        assert f"## `{name}`" in dictionary
        section = dictionary.split(f"## `{name}`")[1].split("\n## ")[0]
        for column in schema.names:
            assert f"`{column}`" in section, (name, column)
    assert not list(published.glob(".publish-*"))


def test_analyst_file_holds_only_views_and_works_read_only_from_anywhere(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with duckdb.connect(str(published / "analyst.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM duckdb_tables()").fetchall() == [(0,)]
        views = {
            name
            for (name,) in conn.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
        assert views == set(MARTS)
        ((panel_rows,),) = conn.execute("SELECT count(*) FROM school_panel").fetchall()
    assert panel_rows == pq.read_metadata(published / "school_panel.parquet").num_rows > 0


def test_publishing_while_an_analyst_reads_neither_blocks_nor_tears(published: Path) -> None:
    settings = get_settings()
    analyst = duckdb.connect(str(published / "analyst.duckdb"), read_only=True)
    try:
        before = analyst.execute("SELECT count(*) FROM treatment").fetchall()
        with WarehouseResource().get_connection() as conn:
            publish_marts(conn, MARTS, settings.marts_dir)
        assert analyst.execute("SELECT count(*) FROM treatment").fetchall() == before
    finally:
        analyst.close()
    with duckdb.connect(str(published / "analyst.duckdb"), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM treatment").fetchall() == before


def test_a_failed_publication_leaves_the_previous_marts_untouched(published: Path) -> None:
    before = {path.name: (path.read_bytes(), path.stat().st_ino) for path in published.iterdir()}
    with WarehouseResource().get_connection() as conn, pytest.raises(duckdb.Error):
        # The last table does not exist: its export fails after the others were written.
        publish_marts(conn, [*MARTS, "not_a_mart"], get_settings().marts_dir)
    after = {path.name: (path.read_bytes(), path.stat().st_ino) for path in published.iterdir()}
    assert after == before
