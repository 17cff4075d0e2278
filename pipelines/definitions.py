"""The Dagster code location: every asset, check, job and resource of partner-impact."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

# DuckDB allows one writer and the multiprocess executor starts an interpreter per step, so
# every run executes in-process.
defs = Definitions(
    assets=[],
    executor=in_process_executor,
)
