"""File names, folder names, headers and cell values written to change SQL change nothing.

A raw folder holds ordinary files beside files whose names, sub-folder names, extra header
columns and cell values carry quotes, semicolons, SQL statements, SQL comment markers, DuckDB
parameter markers (``$source``, ``$1``, ``?``) and the placeholders our SQL templates use
(``{table}``); the data folder's own path does too. The ingest, marts and publication run on it
(a real Dagster run); every such file must load as plain data, every table must still exist, and
every hostile text must come out exactly as it went in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from pipelines.definitions import defs
from pipelines.ingest.assets import INGEST_ASSETS
from pipelines.marts.assets import MART_ASSETS, published_marts
from pipelines.marts.build import MARTS

BAD_INPUTS = Path(__file__).parent / "bad_inputs" / "raw"
DATA_NAME = """data '); DROP TABLE ingest_ledger; -- $path {table}"""

HOSTILE_NOTES = (
    "'); DROP TABLE stg_activity; --",
    'a "quoted" note; DELETE FROM rejects WHERE true; /* $source {table} $1 ? */',
)
HOSTILE_COLUMNS = ("it's", 'a"b', 'x"); DROP TABLE rejects; --', "$source", "{table}", "?", "$1")
# path under raw/ -> rows it must load
HOSTILE_FILES = {
    """activity/o'brien"; DROP TABLE ingest_ledger; --.csv""": 1,
    "activity/$source {table} $1 ?.csv": 1,
    "activity/x'); DELETE FROM stg_activity; --/log.csv": 1,
    "activity/back\\slash %s %(name)s.csv": 2,
    "assessments/armt '; DROP TABLE stg_assessments; --.csv": 1,
    "rosters/ccd 2013 '; DROP TABLE stg_rosters; --.csv": 4,
}


def _activity_row(log_id: str, note: str) -> str:
    quoted = '"' + note.replace('"', '""') + '"'
    return f"{log_id},10/05/2011,IP0001,001,0010,one-on-one,modeling,reading,30,1,T9000001,{quoted}"


def _write_hostile_files(raw: Path) -> None:
    activity_header = (BAD_INPUTS / "activity" / "log_2011_10.csv").read_text().splitlines()[0]
    names = iter(HOSTILE_FILES)
    for number in range(3):
        path = raw / next(names)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{activity_header}\n{_activity_row(f'L090{number}', 'plain')}\n")
    (raw / next(names)).write_text(
        f"{activity_header}\n"
        + "".join(_activity_row(f"L091{n}", note) + "\n" for n, note in enumerate(HOSTILE_NOTES))
    )
    armt = (BAD_INPUTS / "assessments" / "armt_2011.csv").read_text().splitlines()
    extra_header = ",".join('"' + c.replace('"', '""') + '"' for c in HOSTILE_COLUMNS)
    extra_values = ",".join("'; DROP TABLE stg_rosters; --" for _ in HOSTILE_COLUMNS)
    (raw / next(names)).write_text(
        f"{armt[0]},{extra_header}\n{armt[1].replace('7100000001', '7100000099')},{extra_values}\n"
    )
    roster = (BAD_INPUTS / "rosters" / "ccd_2011.csv").read_text()
    (raw / next(names)).write_text(roster.replace("2011", "2013"))


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[bool, Path]:
    root = tmp_path_factory.mktemp("hostile")
    data = root / DATA_NAME
    shutil.copytree(BAD_INPUTS, data / "raw")
    _write_hostile_files(data / "raw")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PARTNER_IMPACT_DATA_DIR", str(data))
        env.setenv("PARTNER_IMPACT_KEY_FILE", str(root / "secrets '; --" / "pseudonym.key"))
        env.delenv("PARTNER_IMPACT_PSEUDONYM_KEY", raising=False)
        result = materialize(
            [*INGEST_ASSETS, *MART_ASSETS, published_marts],
            resources=dict(defs.resources),
            instance=DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    return result.success, data


def _query(data: Path, sql: str, parameters: dict | None = None) -> list[tuple]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(sql, parameters).fetchall()


def test_the_run_succeeds_and_every_table_is_still_there(hostile_run) -> None:
    success, data = hostile_run
    assert success
    tables = {name for (name,) in _query(data, "SELECT table_name FROM duckdb_tables()")}
    assert {
        "ingest_ledger",
        "rejects",
        "stg_rosters",
        "stg_program",
        "stg_activity",
        "stg_assessment_records",
        "stg_assessments",
    } <= tables
    assert {path.stem for path in (data / "marts").glob("*.parquet")} == set(MARTS)


@pytest.mark.parametrize("path", sorted(HOSTILE_FILES))
def test_each_hostile_file_loads_as_data_under_its_own_name(hostile_run, path: str) -> None:
    _, data = hostile_run
    ((status, loaded, rejected),) = _query(
        data,
        "SELECT status, rows_loaded, rows_rejected FROM ingest_ledger WHERE path = $path",
        {"path": path},
    )
    assert (status, loaded, rejected) == ("loaded", HOSTILE_FILES[path], 0)
    published = duckdb.execute(
        "SELECT count(*) FROM read_parquet($parquet) WHERE path = $path",
        {"parquet": str(data / "marts" / "data_quality.parquet"), "path": path},
    ).fetchall()
    assert published == [(1,)]


def test_hostile_cell_values_are_stored_exactly_as_written(hostile_run) -> None:
    _, data = hostile_run
    notes = {
        note for (note,) in _query(data, "SELECT notes FROM stg_activity WHERE log_id LIKE 'L091%'")
    }
    assert notes == set(HOSTILE_NOTES)
    ((rows,),) = _query(data, "SELECT count(*) FROM stg_activity")
    assert rows > 10  # nothing was deleted
