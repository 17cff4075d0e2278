"""Publishing a folder of tables all at once: readers, crashes, old layouts, old versions.

Each test publishes small tables of its own (an in-memory DuckDB with a ``marts`` schema) with
the pipeline's publisher, so a "version" of the folder is recognizable in every row: version
``k`` has ``ROWS + k`` rows with ``k`` in every row of every table.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.marts.publish import (
    GRACE,
    KEEP_PREVIOUS,
    current_version,
    publish_marts,
    versions_dir,
)
from pipelines.settings import PROJECT_ROOT

TABLES = ("alpha", "beta", "gamma")
ROWS = 200_000

# Publishes version 1, 2, 3, ... of the tables forever (killed by the test).
_PUBLISHER = """
import sys
from pathlib import Path
import duckdb
from pipelines.marts.publish import publish_marts
marts, tables, rows = Path(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3])
conn = duckdb.connect()
conn.execute("CREATE SCHEMA marts")
conn.execute(
    "CREATE TABLE base AS SELECT range AS i, md5(range::VARCHAR) AS filler "
    f"FROM range({rows} + 10000)"
)
version = int(sys.argv[4])
while True:
    for table in tables:  # views: the loop's time is all publication
        conn.execute(
            f"CREATE OR REPLACE VIEW marts.{table} AS SELECT {version} AS k, * FROM base "
            f"WHERE i < {rows} + {version}"
        )
    publish_marts(conn, tables, marts)
    print(version, flush=True)
    version += 1
"""

# Reads the published folder until told to stop; prints what it saw as JSON.
_READER = """
import json, sys, time
from pathlib import Path
import duckdb
import pyarrow.parquet as pq
marts, tables, rows = Path(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3])
stop = Path(sys.argv[4])
held = duckdb.connect(str(marts / "analyst.duckdb"), read_only=True)
seen, problems, reads = set(), [], 0
def check(where, versions, count):
    if len(versions) != 1 or count != rows + versions[0]:
        problems.append([where, versions, count])
    else:
        seen.add(versions[0])
while not stop.exists():
    with duckdb.connect(str(marts / "analyst.duckdb"), read_only=True) as conn:
        union = " UNION ALL ".join(
            f"SELECT '{t}' AS t, min(k) AS lo, max(k) AS hi, count(*) AS n FROM {t}" for t in tables
        )
        result = conn.execute(union).fetchall()
        versions = sorted({lo for _, lo, _, _ in result} | {hi for _, _, hi, _ in result})
        check("analyst.duckdb", versions, result[0][3] if len({n for *_, n in result}) == 1 else -1)
    for table in tables:
        # DuckDB through the link; pyarrow opens a file twice, so it reads a resolved snapshot.
        ((low, high, count),) = duckdb.execute(
            "SELECT min(k), max(k), count(*) FROM read_parquet($path)",
            {"path": str(marts / f"{table}.parquet")},
        ).fetchall()
        check("duckdb " + table, sorted({low, high}), count)
        column = pq.read_table(marts.resolve() / f"{table}.parquet", columns=["k"]).column("k")
        check("pyarrow " + table, sorted(set(column.to_pylist())), len(column))
    held.execute(f"SELECT count(*) FROM {tables[0]}").fetchall()
    reads += 1
    if reads == 1:
        print("reading", flush=True)
print(json.dumps({"seen": sorted(seen), "problems": problems[:5], "reads": reads}))
"""


def _memory_marts(version: int, rows: int = ROWS) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA marts")
    for table in TABLES:
        conn.execute(
            f"CREATE TABLE marts.{table} AS SELECT {version} AS k, range AS i "
            f"FROM range({rows} + {version})"
        )
    return conn


def _publish(marts: Path, version: int, rows: int = ROWS) -> None:
    with _memory_marts(version, rows) as conn:
        publish_marts(conn, TABLES, marts)


def _published_version(marts: Path, rows: int = ROWS) -> int:
    """The one version every published table and view holds (fails on a torn folder)."""
    versions = set()
    for table in TABLES:
        column = pq.read_table(marts / f"{table}.parquet", columns=["k"]).column("k")
        (version,) = set(column.to_pylist())
        assert len(column) == rows + version
        versions.add(version)
    with duckdb.connect(str(marts / "analyst.duckdb"), read_only=True) as conn:
        for table in TABLES:
            ((low, high, count),) = conn.execute(
                f"SELECT min(k), max(k), count(*) FROM {table}"
            ).fetchall()
            versions |= {low, high}
            assert count == rows + low
    (version,) = versions
    return version


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}


def test_a_publication_replaces_every_table_at_once_and_leaves_no_scratch(
    tmp_path: Path,
) -> None:
    marts = tmp_path / "marts"
    _publish(marts, 1)
    first = current_version(marts)
    assert first is not None and first.parent == versions_dir(marts)
    _publish(marts, 2)
    assert _published_version(marts) == 2
    assert current_version(marts) != first
    assert sorted(path.name for path in marts.iterdir()) == sorted(
        [f"{table}.parquet" for table in TABLES] + ["analyst.duckdb"]
    )
    assert not [p for p in versions_dir(marts).iterdir() if p.name.startswith(".")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # The link is relative: the data folder can move.
    assert not marts.readlink().is_absolute()


def test_a_folder_published_before_versions_is_replaced_whole(tmp_path: Path) -> None:
    marts = tmp_path / "marts"
    marts.mkdir()
    (marts / ".gitkeep").touch()
    (marts / "alpha.parquet").write_bytes(b"an old file")
    (marts / "retired.parquet").write_bytes(b"a table no longer published")
    _publish(marts, 3)
    assert marts.is_symlink()
    assert _published_version(marts) == 3
    assert not (marts / "retired.parquet").exists()
    assert [p.name for p in versions_dir(marts).iterdir()] == [current_version(marts).name]


def test_readers_in_other_processes_never_block_publication_nor_see_a_torn_folder(
    tmp_path: Path,
) -> None:
    marts = tmp_path / "marts"
    _publish(marts, 1)
    stop = tmp_path / "stop"
    arguments = [str(marts), ",".join(TABLES), str(ROWS), str(stop)]
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", _READER, *arguments],
            stdout=subprocess.PIPE,
            env=_child_env(),
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for reader in readers:  # they hold analyst.duckdb open read-only from here on
            assert reader.stdout.readline().strip() == "reading"
        started = time.perf_counter()
        for version in range(2, 12):
            _publish(marts, version)
        publishing = time.perf_counter() - started
    finally:
        stop.touch()
    reports = [json.loads(reader.communicate(timeout=60)[0]) for reader in readers]
    assert all(reader.returncode == 0 for reader in readers)
    for report in reports:
        assert report["problems"] == []
        assert report["reads"] > 5
        assert len(report["seen"]) >= 2  # they did read while versions changed
    assert _published_version(marts) == 11
    assert publishing < 60


@pytest.mark.slow
def test_kill_9_during_publication_leaves_the_previous_folder_whole(tmp_path: Path) -> None:
    marts = tmp_path / "marts"
    _publish(marts, 0)
    interrupted = 0
    for round_number, delay in enumerate([0.1, 0.3, 0.5]):
        publisher = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PUBLISHER,
                str(marts),
                ",".join(TABLES),
                str(ROWS),
                str(100 * (round_number + 1)),
            ],
            stdout=subprocess.PIPE,
            env=_child_env(),
            text=True,
        )
        first = int(publisher.stdout.readline())  # it is publishing in a loop from here on
        time.sleep(delay)
        publisher.send_signal(signal.SIGKILL)
        output, _ = publisher.communicate(timeout=30)
        completed = [first] + [int(line) for line in output.split()]
        # Killed before it could print the version it had just swapped in, or not.
        assert _published_version(marts) in (completed[-1], completed[-1] + 1)
        current = current_version(marts).name
        unfinished = [
            path
            for path in versions_dir(marts).iterdir()
            if path.name.startswith(".") or path.name > current
        ]
        interrupted += bool(unfinished)
    assert interrupted >= 1  # most kills land in a publication, not between two
    _publish(marts, 999)
    assert _published_version(marts) == 999
    assert not [p for p in versions_dir(marts).iterdir() if p.name.startswith(".")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_superseded_versions_are_kept_a_while_for_open_sessions_then_removed(
    tmp_path: Path,
) -> None:
    marts = tmp_path / "marts"
    for version in range(1, 6):
        _publish(marts, version, rows=10)
    versions = versions_dir(marts)
    assert len(list(versions.iterdir())) == 5  # all superseded less than a day ago
    held = duckdb.connect(str(marts / "analyst.duckdb"), read_only=True)
    try:
        # Age every version by more than the grace period: the next publication keeps only the
        # last KEEP_PREVIOUS superseded ones, among them the one the open session reads.
        old = (datetime.now() - GRACE - timedelta(hours=1)).timestamp()
        for path in versions.iterdir():
            os.utime(path, (old, old))
        _publish(marts, 6, rows=10)
        assert len(list(versions.iterdir())) == 1 + KEEP_PREVIOUS
        assert held.execute("SELECT min(k), count(*) FROM alpha").fetchall() == [(5, 15)]
    finally:
        held.close()
    assert _published_version(marts, rows=10) == 6
