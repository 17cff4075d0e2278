"""The Dagster code location: every asset, check, job and resource of partner-impact."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from pipelines.estimates.assets import ESTIMATE_ASSETS
from pipelines.ingest.assets import INGEST_ASSETS
from pipelines.marts.assets import MART_ASSETS, published_marts
from pipelines.ops.automation import nightly_schedule, raw_files_sensor
from pipelines.report.assets import REPORT_ASSETS
from pipelines.warehouse import WarehouseResource

EVERYTHING_JOB = "materialize_everything"
"""The job ``partner-impact run`` (and the nightly run) executes: every asset and check."""

everything_job = define_asset_job(EVERYTHING_JOB, selection=AssetSelection.all())

# DuckDB allows one writer and the multiprocess executor starts an interpreter per step, so
# every run executes in-process.
defs = Definitions(
    assets=[*INGEST_ASSETS, *MART_ASSETS, published_marts, *ESTIMATE_ASSETS, *REPORT_ASSETS],
    jobs=[everything_job],
    schedules=[nightly_schedule(everything_job)],
    sensors=[raw_files_sensor(everything_job)],
    resources={"warehouse": WarehouseResource()},
    executor=in_process_executor,
)
