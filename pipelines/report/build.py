"""Build the impact report from the published marts and estimates, unless nothing changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipelines.estimates.publish import read_estimates
from pipelines.estimates.specification import Analysis, load_analysis
from pipelines.estimates.tables import TABLES
from pipelines.provenance import (
    VersionFile,
    code_fingerprint,
    combine,
    frame_fingerprint,
    reuse_or_rebuild,
)
from pipelines.report.facts import data_facts, is_synthetic, tests_by_year
from pipelines.report.sources import NoHeadlineError, ReportSources, report_inputs
from pipelines.settings import Settings

REPORT_NAME = "impact_report.html"
VERSION_FILE = ".impact_report.version"
REPORT_MARTS = ("school_panel", "treatment", "partnering_dose", "data_quality", "schools")
CODE_PACKAGES = ("pipelines.report", "pipelines.privacy")
"""The code that turns the tables into the page: its whole tree, the renderer and its templates
included (the estimates' code counts through their provenance)."""


@dataclass(frozen=True)
class ReportOutcome:
    path: Path
    rebuilt: bool
    reused: bool  # unchanged inputs: the published report was kept
    synthetic: bool
    problem: str | None  # why no report could be built (the previous one stays)


def read_sources(settings: Settings, analysis: Analysis) -> tuple[ReportSources, pd.DataFrame]:
    """The marts and estimate tables the report reads, and the tests given each year."""
    # The resolved folder is one fixed version of the marts (pandas opens a file twice).
    marts_dir = settings.marts_dir.resolve()
    marts = {name: pd.read_parquet(marts_dir / f"{name}.parquet") for name in REPORT_MARTS}
    outcomes = pd.read_parquet(
        marts_dir / "school_outcomes.parquet", columns=["test", "school_year"]
    )
    sources = ReportSources(
        marts=marts,
        estimates=read_estimates(settings.estimates_dir, TABLES),
        headline=analysis.headline,
        outcome=analysis.outcome,
        control_group=analysis.headline_specification.control_group,
    )
    return sources, tests_by_year(outcomes)


def report_version(sources: ReportSources, tests: pd.DataFrame, synthetic: bool) -> str:
    """Fingerprint of everything the report shows except its build time."""
    provenance = sources.estimates["estimates_provenance"]
    keys = {
        "treatment": ["school_id"],
        "data_quality": ["path", "outcome", "reason"],
        "schools": ["school_id", "school_year"],
    }
    return combine(
        *provenance[["analysis_sha256", "inputs_fingerprint", "code_fingerprint"]]
        .astype(str)
        .iloc[0],
        *(frame_fingerprint(sources.marts[name], columns) for name, columns in keys.items()),
        frame_fingerprint(tests, ["test"]),
        f"synthetic={synthetic}",
        code_fingerprint(*CODE_PACKAGES),
    )


def publish_report(settings: Settings, analysis: Analysis | None = None) -> ReportOutcome:
    """Write ``data/reports/impact_report.html`` atomically if its inputs changed."""
    from pipelines.report.render import build_report

    analysis = analysis or load_analysis()
    path = settings.reports_dir / REPORT_NAME
    version_path = settings.reports_dir / VERSION_FILE
    synthetic = is_synthetic(settings.raw_dir)
    sources, tests = read_sources(settings, analysis)
    version = report_version(sources, tests, synthetic)

    def build() -> Path:
        facts = data_facts(
            sources.marts["data_quality"], sources.marts["school_panel"], tests, datetime.now(UTC)
        )
        build_report(report_inputs(sources, facts, synthetic), path)
        return path

    try:
        built = reuse_or_rebuild(VersionFile(path, version_path), version, build)
    except NoHeadlineError as error:
        return ReportOutcome(
            path, rebuilt=False, reused=False, synthetic=synthetic, problem=str(error)
        )
    return ReportOutcome(
        path, rebuilt=built.rebuilt, reused=not built.rebuilt, synthetic=synthetic, problem=None
    )
