"""What the report was built from: data facts from the ``data_quality`` mart, the synthetic mark.

The ledger hash identifies the exact raw files: SHA-256 over each file's path, content hash,
status and row counts (sorted by path; files removed from ``data/raw/`` left out). It does not
include ingest times, so the same files always give the same hash.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pandas as pd

from pipelines.layouts import SYNTHETIC_MARKER
from pipelines.report.render.inputs import DataFacts

_LEDGER_COLUMNS = ("path", "sha256", "status", "rows_read", "rows_loaded", "rows_rejected")


def is_synthetic(raw_dir: Path) -> bool:
    """Whether ``raw_dir`` holds the synthetic sample (its generator leaves the marker file)."""
    return (raw_dir / SYNTHETIC_MARKER).is_file()


def ingested_files(data_quality: pd.DataFrame) -> pd.DataFrame:
    """One row per raw file currently in ``data/raw/`` (loaded or failed), sorted by path."""
    files = data_quality.drop_duplicates("path")
    files = files[files["status"] != "removed"]
    return files.sort_values("path").reset_index(drop=True)


def ledger_hash(data_quality: pd.DataFrame) -> str:
    """SHA-256 of the ledger entries of the files the data came from."""
    digest = hashlib.sha256()
    for row in ingested_files(data_quality)[list(_LEDGER_COLUMNS)].itertuples(index=False):
        digest.update(("\t".join(str(value) for value in row) + "\n").encode())
    return digest.hexdigest()


def tests_by_year(school_outcomes: pd.DataFrame) -> pd.DataFrame:
    """``test, first_year, last_year`` of each state test in the scores."""
    spans = school_outcomes.groupby("test")["school_year"].agg(["min", "max"]).reset_index()
    spans.columns = ["test", "first_year", "last_year"]
    return spans.sort_values("first_year").reset_index(drop=True)


def data_facts(
    data_quality: pd.DataFrame,
    school_panel: pd.DataFrame,
    tests: pd.DataFrame,
    run_time: datetime,
) -> DataFacts:
    """The report's :class:`DataFacts` (run_time must be timezone-aware)."""
    files = ingested_files(data_quality)
    rejected = data_quality[
        (data_quality["outcome"] == "rejected") & data_quality["path"].isin(files["path"])
    ]
    by_reason = rejected.groupby("reason", as_index=False)["rows"].sum()
    return DataFacts(
        n_schools=int(school_panel["school_id"].nunique()),
        first_year=int(school_panel["school_year"].min()),
        last_year=int(school_panel["school_year"].max()),
        tests=tests,
        rows_loaded=int(files["rows_loaded"].sum()),
        rows_rejected=int(files["rows_rejected"].sum()),
        file_count=len(files),
        ledger_hash=ledger_hash(data_quality),
        run_time=run_time,
        rejects_by_reason=by_reason.sort_values("rows", ascending=False).reset_index(drop=True),
        set_aside=set_aside_files(data_quality),
    )


def set_aside_files(data_quality: pd.DataFrame) -> pd.DataFrame:
    """``path, rows`` of each file set aside in the quarantine folder (rows it held)."""
    files = ingested_files(data_quality)
    quarantined = files[files["status"] == "quarantined"]
    if "rows_set_aside" not in quarantined.columns:
        return pd.DataFrame({"path": pd.Series(dtype=str), "rows": pd.Series(dtype="Int64")})
    return pd.DataFrame(
        {"path": quarantined["path"], "rows": quarantined["rows_set_aside"].astype("Int64")}
    ).reset_index(drop=True)
