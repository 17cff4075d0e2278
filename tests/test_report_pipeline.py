"""The whole pipeline on a generated ``small`` state: ingest -> marts -> estimates -> report.

One real run of the nightly job (persistent Dagster instance in a temporary folder) is shared
by these tests, the browser test below and the notebooks' test. The generator's truth file is
moved away before the run: the pipeline must not need it. The raw folder carries the
``SYNTHETIC`` marker the report reads (until the generator writes it, the tests do).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetSelection, DagsterInstance

from pipelines.cli import main
from pipelines.definitions import EVERYTHING_JOB, defs
from pipelines.estimates.tables import TABLES
from pipelines.layouts import SYNTHETIC_MARKER
from pipelines.report.build import REPORT_NAME, VERSION_FILE, publish_report
from pipelines.report.facts import ledger_hash
from pipelines.sample import generate_sample
from pipelines.sample.config import DEFAULT_PARAMETERS, ModelParameters
from pipelines.settings import PROJECT_ROOT, get_settings
from tests.browser.chromium import ChromiumMissingError, check_chromium, visit
from tests.test_report import BANNER, SECTION_ORDER, parse

pytestmark = pytest.mark.slow  # one real run of the whole pipeline on the small state: ~25 s


@dataclass(frozen=True)
class PipelineRun:
    root: Path
    data: Path
    environment: dict[str, str]
    result: object  # dagster ExecuteInProcessResult
    truth: Path

    @property
    def report(self) -> Path:
        return self.data / "reports" / REPORT_NAME

    def use(self, monkeypatch: pytest.MonkeyPatch, data: Path | None = None) -> None:
        """Point this test's environment at the run (or at a copy of its data folder)."""
        for name, value in self.environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("PARTNER_IMPACT_PSEUDONYM_KEY", raising=False)
        if data is not None:
            monkeypatch.setenv("PARTNER_IMPACT_DATA_DIR", str(data))

    def metadata(self, asset: str) -> dict:
        for event in self.result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            if materialization.asset_key.to_user_string() == asset:
                return {name: value.value for name, value in materialization.metadata.items()}
        raise KeyError(asset)


def run_pipeline(
    root: Path,
    scale: str,
    seed: int,
    params: ModelParameters = DEFAULT_PARAMETERS,
    groups: tuple[str, ...] | None = None,
) -> PipelineRun:
    """Generate a state under ``root/data/raw``, mark it synthetic, run the nightly job.

    ``params`` are the generator's; ``groups`` limits the run to those asset groups (e.g.
    ``("ingest", "marts")``), the whole job by default.
    """
    data = root / "data"
    generate_sample(data / "raw", scale=scale, seed=seed, params=params)
    (data / "raw" / SYNTHETIC_MARKER).write_text(f"partner-impact sample --scale {scale}\n")
    truth = root / "sample_truth.json"
    shutil.move(data / "sample_truth.json", truth)
    environment = {
        "PARTNER_IMPACT_DATA_DIR": str(data),
        "PARTNER_IMPACT_KEY_FILE": str(root / "secrets" / "pseudonym.key"),
        "DAGSTER_HOME": str(PROJECT_ROOT),
    }
    for part in ("storage", "artifacts", "compute_logs"):
        path = root / "dagster" / part
        path.mkdir(parents=True)
        environment[f"PARTNER_IMPACT_DAGSTER_{part.upper()}"] = str(path)
    with pytest.MonkeyPatch.context() as env:
        for name, value in environment.items():
            env.setenv(name, value)
        env.delenv("PARTNER_IMPACT_PSEUDONYM_KEY", raising=False)
        selection = None
        if groups is not None:
            selection = list(AssetSelection.groups(*groups).resolve(defs.resolve_asset_graph()))
        with DagsterInstance.get() as instance:
            result = defs.resolve_job_def(EVERYTHING_JOB).execute_in_process(
                instance=instance, raise_on_error=False, asset_selection=selection
            )
    return PipelineRun(root, data, environment, result, truth)


_RUNS: dict[tuple[str, int], PipelineRun] = {}


def shared_run(factory: pytest.TempPathFactory, scale: str, seed: int) -> PipelineRun:
    """One run per state for the whole session, whichever test module asks first."""
    if (scale, seed) not in _RUNS:
        _RUNS[scale, seed] = run_pipeline(factory.mktemp(f"{scale}_run"), scale, seed)
    return _RUNS[scale, seed]


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    # test_notebooks imports this fixture too; the cache keeps it to one run.
    return shared_run(tmp_path_factory, "small", 2012)


def _published(run: PipelineRun, name: str) -> pd.DataFrame:
    return pd.read_parquet(run.data / "estimates" / f"{name}.parquet")


def test_the_run_publishes_every_estimate_table_and_the_report(small_run) -> None:
    assert small_run.result.success
    for name in TABLES:
        assert (small_run.data / "estimates" / f"{name}.parquet").is_file()
        assert small_run.metadata(name)["rebuilt"] is True
    report = small_run.metadata("impact_report")
    assert report["rebuilt"] is True and report["synthetic"] is True
    assert small_run.report.is_file() and report["bytes"] == small_run.report.stat().st_size
    checks = {e.check_name: e.passed for e in small_run.result.get_asset_check_evaluations()}
    assert checks["report_published"]
    status = _published(small_run, "estimates_status")
    failed = status[status["status"] == "failed"]
    # Doubly robust needs comparison schools as needy as partnered ones: there are none.
    assert set(failed["specification"]) <= {"cs_doubly_robust"}
    assert small_run.metadata("estimates_status")["failed_steps"] == len(failed)
    expected = "; ".join(
        f"{spec} {step} ({', '.join(sorted(rows['subject']))})"
        for (spec, step), rows in failed.groupby(["specification", "step"])
    )
    assert small_run.metadata("estimates_status")["failed_in"] == expected


def test_report_headline_equals_estimates_aggregate(small_run) -> None:
    html = small_run.report.read_text(encoding="utf-8")
    aggregate = _published(small_run, "estimates_aggregate")
    headline = aggregate[
        (aggregate["specification"] == "cs_adjusted_never") & (aggregate["aggregation"] == "simple")
    ]
    cards = parse(html).cards
    assert set(cards) == set(headline["subject"]) == {"ela", "math", "science"}
    for row in headline.itertuples(index=False):

        def sd(x: float) -> str:
            return f"{x:.2f}".replace("-", "−")

        assert f"{sd(row.att)} SD" in cards[row.subject]
        assert f"{sd(row.ci_lower)} to {sd(row.ci_upper)}" in cards[row.subject]


def test_report_is_marked_synthetic_and_states_its_data(small_run) -> None:
    html = small_run.report.read_text(encoding="utf-8")
    parsed = parse(html)
    assert parsed.section_ids == SECTION_ORDER
    assert html.count(BANNER) >= len(SECTION_ORDER)
    quality = pd.read_parquet(small_run.data / "marts" / "data_quality.parquet")
    files = quality.drop_duplicates("path")
    assert ledger_hash(quality) in html
    assert f"from {len(files):,} raw files" in html
    for table in parsed.tables:
        for row in table:
            for css, text in row:
                if "n" in css.split() and text not in ("*", "–", ""):
                    assert int(text.replace(",", "")) >= 10, f"published count {text}"


def test_a_second_run_with_nothing_new_keeps_estimates_and_report(
    small_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(small_run.data, copy)
    small_run.use(monkeypatch, data=copy)
    kept = [copy / "reports" / REPORT_NAME, copy / "estimates" / "estimates_provenance.parquet"]
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in kept}

    assert main(["run"]) == 0

    out = capsys.readouterr().out
    assert f"estimates: {len(TABLES)} tables unchanged" in out
    assert f"report: {copy / 'reports' / REPORT_NAME} (unchanged)" in out
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in kept} == before


def test_a_failing_report_leaves_the_previous_one(
    small_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(small_run.data, copy)
    small_run.use(monkeypatch, data=copy)
    settings = get_settings()
    report = settings.reports_dir / REPORT_NAME
    before = report.read_bytes()
    event_study = settings.estimates_dir / "estimates_event_study.parquet"
    pd.read_parquet(event_study).drop(columns=["ci_upper"]).to_parquet(event_study)
    (settings.reports_dir / VERSION_FILE).unlink()

    with pytest.raises(KeyError, match="ci_upper"):
        publish_report(settings)

    assert report.read_bytes() == before
    # No half-written temporary file is left beside it.
    assert [p.name for p in settings.reports_dir.iterdir()] == [REPORT_NAME]


def test_without_a_headline_estimate_the_previous_report_stays_and_the_reason_is_given(
    small_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "data"
    shutil.copytree(small_run.data, copy)
    small_run.use(monkeypatch, data=copy)
    settings = get_settings()
    report = settings.reports_dir / REPORT_NAME
    before = report.read_bytes()
    aggregate = settings.estimates_dir / "estimates_aggregate.parquet"
    frame = pd.read_parquet(aggregate)
    frame[frame["specification"] != "cs_adjusted_never"].to_parquet(aggregate)
    (settings.reports_dir / VERSION_FILE).unlink()

    outcome = publish_report(settings)

    assert not outcome.rebuilt and "cs_adjusted_never" in outcome.problem
    assert report.read_bytes() == before


def test_the_pipeline_report_opens_offline_with_every_chart_rendered(
    small_run, tmp_path: Path
) -> None:
    # A browser start and 5 MB of plotly.js: about 7 s.
    try:
        check_chromium()
    except ChromiumMissingError as problem:
        pytest.fail(str(problem))
    page = visit(small_run.report, tmp_path / "chromium-profile", tmp_path / "report.png")
    assert page.console_errors == [] and page.page_errors == []
    assert page.requests == [page.url]
    assert len(page.charts) >= 10 and page.unrendered_charts == []
    assert page.screenshot.stat().st_size > 50_000
