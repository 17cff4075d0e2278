"""Generated states where the program does nothing, through the whole pipeline, and the same
states with the program's effect: what the headline estimates when there is nothing to find,
and the bias of adjusting a cohort for a later cohort's (post-treatment) covariates.

Each seed gives two ``small`` states that differ only in the program's true effect
(``--effect-scale 0`` and the default): the same schools, students, shocks and partnered
schools. The difference of an estimate between the two is what the estimator makes of the
effect alone, with the sampling noise of the state cancelled, so a few seeds show a bias of
0.01 SD against the generator's truth, which no single state could.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from pipelines.did import att_gt
from pipelines.estimates.panel import subject_panels
from pipelines.estimates.specification import load_analysis
from pipelines.sample.config import DEFAULT_PARAMETERS
from tests.test_report_pipeline import PipelineRun, run_pipeline

# Three whole-pipeline runs (null states) and three ingest + marts runs (effect states) on
# small states: about 5 minutes on a quiet machine.
pytestmark = pytest.mark.slow

SEEDS = (1, 2, 3)
SUBJECTS = ("ela", "math", "science")
HEADLINE = "cs_adjusted_never"
NULL = dataclasses.replace(DEFAULT_PARAMETERS, program=DEFAULT_PARAMETERS.program.scaled(0.0))


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, PipelineRun]]:
    runs = {}
    for seed in SEEDS:
        runs[seed] = {
            # The null states go through the whole pipeline; the effect states only need marts.
            "null": run_pipeline(tmp_path_factory.mktemp(f"null_{seed}"), "small", seed, NULL),
            "effect": run_pipeline(
                tmp_path_factory.mktemp(f"effect_{seed}"),
                "small",
                seed,
                groups=("ingest", "marts"),
            ),
        }
        for run in runs[seed].values():
            assert run.result.success
    return runs


def _published(run: PipelineRun, name: str) -> pd.DataFrame:
    return pd.read_parquet(run.data / "estimates" / f"{name}.parquet")


def _headline(run: PipelineRun) -> pd.DataFrame:
    comparison = _published(run, "estimates_comparison")
    return comparison[comparison["specification"] == HEADLINE].set_index("subject")


def test_without_an_effect_the_headline_is_centred_on_zero_at_the_nominal_rate(states) -> None:
    rows = pd.concat(
        [_headline(pair["null"]).assign(seed=seed) for seed, pair in states.items()]
    ).reset_index()
    print(rows[["seed", "subject", "att", "se", "ci_lower", "ci_upper"]].to_string())
    assert len(rows) == len(SEEDS) * len(SUBJECTS)
    excludes_zero = (rows["ci_lower"] > 0) | (rows["ci_upper"] < 0)
    # 9 intervals at 95%: more than 2 excluding zero has probability 0.008 if they are valid.
    assert excludes_zero.sum() <= 2
    # The selection of low performers does not leak in: the mean is within its noise of zero
    # (subjects of a state share schools, so each seed counts once).
    by_seed = rows.groupby("seed")[["att", "se"]].mean()
    assert abs(by_seed["att"].mean()) < 2.5 * by_seed["se"].mean() / np.sqrt(len(SEEDS))
    for pair in states.values():
        status = _published(pair["null"], "estimates_status")
        assert not (status["status"] == "failed").any(), status[status["status"] == "failed"]


def _first_year_effect(run: PipelineRun, xformla) -> pd.Series:
    """ATT(2012, 2012) by subject with the headline settings and the given adjustment."""
    panel = pd.read_parquet(run.data / "marts" / "school_panel.parquet")
    analysis = load_analysis()
    spec = analysis.headline_specification
    effects = {}
    for subject_panel in subject_panels(panel, analysis):
        frame, columns, _ = subject_panel.sample(spec.covariates)
        adjustment = subject_panel.adjustments[spec.covariates]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = att_gt(
                frame, "mean_z", "school_year", "school_id", "cohort",
                xformla=xformla(columns, adjustment), control_group=spec.control_group,
                est_method=spec.est_method, base_period=spec.base_period,
            )  # fmt: skip
        cell = (result.group == 2012) & (result.time == 2012)
        effects[subject_panel.subject] = float(result.att[cell][0])
    return pd.Series(effects)


def _truth_first_year(run: PipelineRun) -> pd.Series:
    att = pd.DataFrame(json.loads(run.truth.read_text())["att"])
    first = att[(att["cohort"] == 2012) & (att["year"] == 2012)]
    return first.set_index("subject")["att_school_mean"]


def test_each_cohort_adjusted_for_its_own_window_is_unbiased_for_the_first_year_effect(
    states,
) -> None:
    """ATT(2012, 2012), effect state minus null state, against the truth, over the seeds.

    Adjusting cohort 2012 for the 2013 cohort's prior mean (spring 2010-2012, which holds the
    2012 cohort's first partnered year) takes part of the effect away; its own window does not.
    """
    rows = []
    for seed, pair in states.items():
        for label, xformla in (
            ("every cohort's covariates", lambda columns, _: columns),
            ("own cohort's covariates", lambda _, adjustment: adjustment.xformla),
        ):
            effect = _first_year_effect(pair["effect"], xformla)
            null = _first_year_effect(pair["null"], xformla)
            error = effect - null - _truth_first_year(pair["effect"])
            rows.append(pd.DataFrame({"seed": seed, "adjustment": label, "error": error}))
        published = _published(pair["null"], "estimates_attgt")
        first = published[
            (published["specification"] == HEADLINE)
            & (published["group"] == 2012)
            & (published["time"] == 2012)
        ].set_index("subject")["att"]
        # The published headline cells are the ones adjusted for each cohort's own covariates.
        own = _first_year_effect(pair["null"], lambda _, adjustment: adjustment.xformla)
        np.testing.assert_allclose(first[own.index], own, rtol=0, atol=1e-12)
    errors = pd.concat(rows).reset_index(names="subject")
    bias = errors.groupby("adjustment")["error"].agg(["mean", "std", "count"])
    print(errors.to_string())
    print(bias.to_string())
    assert abs(bias.loc["own cohort's covariates", "mean"]) < 0.003
    assert bias.loc["every cohort's covariates", "mean"] < -0.005
