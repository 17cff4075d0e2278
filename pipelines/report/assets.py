"""Dagster asset of the leadership impact report: marts + estimates -> impact_report.html.

The report is written to a temporary file and renamed over ``data/reports/impact_report.html``
(by ``build_report``), so a failed run leaves the previous report. When its inputs are unchanged
since the published report was built, the report is kept (``rebuilt`` false). If no subject has
a headline estimate there is nothing to report: the previous report stays and the
``report_published`` check fails with the reason.
"""

import time

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines.estimates.tables import TABLES
from pipelines.report.checks import REPORT_CHECK, report_published


@asset(
    group_name="report",
    deps=[AssetKey("published_marts"), *(AssetKey(name) for name in TABLES)],
    kinds={"html"},
    tags={"confidentiality": "public"},
    description="The leadership impact report, data/reports/impact_report.html: one "
    "self-contained file (plotly.js inlined, no network request), small cells suppressed.",
    check_specs=[REPORT_CHECK],
)
def impact_report(context: AssetExecutionContext) -> MaterializeResult:
    from pipelines.report.build import publish_report
    from pipelines.settings import get_settings

    started = time.perf_counter()
    outcome = publish_report(get_settings())
    if outcome.problem:
        context.log.warning(f"Impact report not built: {outcome.problem}")
    return MaterializeResult(
        metadata={
            "path": str(outcome.path),
            "rebuilt": outcome.rebuilt,
            "synthetic": outcome.synthetic,
            "bytes": outcome.path.stat().st_size if outcome.path.is_file() else 0,
            "seconds": round(time.perf_counter() - started, 3),
        },
        check_results=[report_published(outcome.problem, reused=outcome.reused)],
    )


REPORT_ASSETS = [impact_report]
