"""The demo state through the whole pipeline, checked against the generator's truth file.

The truth file is moved out of the data folder before the run (the pipeline never reads it);
only this test opens it. The headline is the ``simple`` aggregation of the headline
specification: partnered school-years weighted by cohort size, each school counting once, so
the matching truth is the cohort-size-weighted mean of ``att_school_mean`` over partnered
school-years.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.test_report import parse
from tests.test_report_pipeline import PipelineRun, shared_run

pytestmark = pytest.mark.slow  # generation ~5 s, the nightly job ~40 s on the demo state

HEADLINE = "cs_adjusted_never"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    # The same run as test_did_synthetic_state's: one demo pipeline run per session.
    return shared_run(tmp_path_factory, "demo", 2012)


def _estimates(run: PipelineRun, name: str) -> pd.DataFrame:
    return pd.read_parquet(run.data / "estimates" / f"{name}.parquet")


def _headline(run: PipelineRun) -> pd.DataFrame:
    aggregate = _estimates(run, "estimates_aggregate")
    rows = aggregate[
        (aggregate["specification"] == HEADLINE) & (aggregate["aggregation"] == "simple")
    ]
    return rows.set_index("subject")


def true_overall_effect(truth: dict) -> pd.Series:
    """Per subject: the truth the headline estimates (cohort-size-weighted school-year mean)."""
    att = pd.DataFrame(truth["att"])
    schools = pd.DataFrame(truth["partnered_schools"]).groupby("cohort").size()
    post = att[att["event_time"] >= 0].assign(size=lambda f: f["cohort"].map(schools))
    post = post.assign(weighted=post["att_school_mean"] * post["size"])
    sums = post.groupby("subject")[["weighted", "size"]].sum()
    return sums["weighted"] / sums["size"]


def test_demo_run_succeeds_on_every_partnered_school(demo_run) -> None:
    assert demo_run.result.success
    comparison = _estimates(demo_run, "estimates_comparison")
    headline = comparison[comparison["specification"] == HEADLINE]
    assert list(headline["n_treated_schools"]) == [33, 33, 33]
    assert (headline["n_schools_dropped"] == 0).all()


def test_report_headline_numbers_equal_estimates_aggregate(demo_run) -> None:
    cards = parse(demo_run.report.read_text(encoding="utf-8")).cards
    headline = _headline(demo_run)
    assert list(cards) == list(headline.index)
    for subject, row in headline.iterrows():

        def sd(x: float) -> str:
            return f"{x:.2f}".replace("-", "−")

        assert f"{sd(row['att'])} SD" in cards[subject]
        assert (
            f"{sd(row['att'])} SD ({sd(row['ci_lower'])} to {sd(row['ci_upper'])})"
            in (cards[subject])
        )


def test_the_true_effect_lies_inside_the_reported_interval(demo_run) -> None:
    truth = true_overall_effect(json.loads(demo_run.truth.read_text()))
    headline = _headline(demo_run)
    for subject, row in headline.iterrows():
        print(
            f"{subject}: estimate {row['att']:.4f} (95% CI {row['ci_lower']:.4f} to "
            f"{row['ci_upper']:.4f}), truth {truth[subject]:.4f}"
        )
        assert row["ci_lower"] < truth[subject] < row["ci_upper"]


def test_adjusting_for_selection_removes_the_bounce_back(demo_run) -> None:
    truth = json.loads(demo_run.truth.read_text())
    bias = pd.DataFrame(truth["selection"]["no_effect_did"])
    # The sample's regression to the mean: an unadjusted DiD overstates every subject's effect.
    assert (bias[bias["event_time"] >= 0].groupby("subject")["bias"].mean() > 0).all()
    comparison = _estimates(demo_run, "estimates_comparison").set_index(
        ["specification", "subject"]
    )["att"]
    for subject in ("ela", "math", "science"):
        assert comparison[("cs_unadjusted", subject)] > comparison[(HEADLINE, subject)]
