"""The check of the report layer: was the report built from this run's estimates?

Not a query: the report is a file, and the reason it could not be built comes from the build.
"""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec

REPORT_PUBLISHED = "report_published"

REPORT_CHECK = AssetCheckSpec(
    REPORT_PUBLISHED,
    asset="impact_report",
    description="The report was built from this run's estimates (else the previous report stays).",
)


def report_published(problem: str | None, *, reused: bool) -> AssetCheckResult:
    """Passed unless ``problem`` says why no report could be built (a warning: the previous
    report stays published)."""
    return AssetCheckResult(
        check_name=REPORT_PUBLISHED,
        passed=problem is None,
        severity=AssetCheckSeverity.WARN,
        description=problem,
        metadata={"reused": reused},
    )
