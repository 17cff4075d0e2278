"""Cohorts too small for an analytic interval: a one-school cohort gets none, and aggregations
say what they left out.

With a single treated unit the cohort mean is that unit's own value: its deviation from the
mean, hence its influence function, is zero, and the standard error holds only the comparison
mean's variance. The school's own noise, which dominates the estimate, is left out: in placebo
draws (no effect anywhere) the 95% interval of such a cohort excludes zero about 89% of the
time (R `did` behaves the same). These placebo draws show the intervals that are reported are
honest: a cohort with fewer than two treated units reports none (SE and CI missing, with a
warning naming the cohort) and the aggregations leave it out and say so.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pipelines.did import aggte, att_gt

YEARS = np.arange(2008, 2014)
COHORTS = {2011: 1, 2012: 12}  # a one-school cohort beside a usable one
N_NEVER = 150
DRAWS = 200


def placebo_panel(rng: np.random.Generator) -> pd.DataFrame:
    """School means with school effects, year shocks and noise; no program effect at all."""
    cohort = np.concatenate([np.full(size, year) for year, size in COHORTS.items()])
    cohort = np.concatenate([cohort, np.zeros(N_NEVER)])
    n = len(cohort)
    outcome = (
        rng.normal(0, 0.4, size=(n, 1))
        + rng.normal(0, 0.05, size=(1, len(YEARS)))
        + rng.normal(0, 0.1, size=(n, len(YEARS)))
    )
    return pd.DataFrame(
        {
            "school": np.repeat(np.arange(n), len(YEARS)),
            "year": np.tile(YEARS, n),
            "cohort": np.repeat(cohort, len(YEARS)),
            "score": outcome.ravel(),
        }
    )


def fit(data: pd.DataFrame, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return att_gt(data, "score", "year", "school", "cohort", **options)


@pytest.fixture(scope="module")
def placebo() -> dict[str, float]:
    """How often reported 95% intervals exclude zero when nothing happened."""
    rng = np.random.default_rng(11)
    single, single_r, overall = [], [], []
    for _ in range(DRAWS):
        data = placebo_panel(rng)
        for options, sink in (({}, single), ({"small_sample": False}, single_r)):
            result = fit(data, **options)
            cells = (result.group == 2011) & (result.time >= 2011)
            excludes = (result.ci_lower[cells] > 0) | (result.ci_upper[cells] < 0)
            sink.append(excludes.mean())  # a missing interval excludes nothing
        simple = aggte(fit(data), type="simple")
        lower, upper = simple.overall_ci
        overall.append(lower > 0 or upper < 0)
    rates = {
        "one_school_cohort": float(np.mean(single)),
        "one_school_cohort_r": float(np.mean(single_r)),
        "simple_overall": float(np.mean(overall)),
    }
    print(f"\nplacebo rejection rates at 5% over {DRAWS} draws: {rates}")
    return rates


def test_one_school_cohort_reports_no_interval_that_excludes_zero_too_often(placebo):
    assert placebo["one_school_cohort"] <= 0.10
    assert placebo["one_school_cohort_r"] <= 0.10  # also with R's large-sample intervals


def test_overall_effect_has_about_nominal_size(placebo):
    assert placebo["simple_overall"] <= 0.09


def test_one_school_cohort_has_missing_se_and_a_warning_naming_it():
    data = placebo_panel(np.random.default_rng(1))
    with pytest.warns(UserWarning, match=r"cohort 2011 has 1 treated unit"):
        result = att_gt(data, "score", "year", "school", "cohort")
    single = result.group == 2011
    assert np.isnan(result.se[single]).all()
    assert np.isnan(result.ci_lower[single]).all() and np.isnan(result.ci_upper[single]).all()
    assert np.isfinite(result.att[single]).all()  # the point estimates are kept
    assert np.isfinite(result.se[(result.group == 2012) & (result.time != 2011)]).all()
    assert result.small_groups.tolist() == [2011]
    assert "cohort 2011" in result.summary()


@pytest.mark.parametrize("kind", ["simple", "dynamic", "group", "calendar"])
def test_aggregations_leave_out_the_small_cohort_and_say_so(kind):
    data = placebo_panel(np.random.default_rng(2))
    result = fit(data)
    without = data[data["cohort"] != 2011]
    with pytest.warns(UserWarning, match=r"left out cohort 2011"):
        aggregated = aggte(result, type=kind)
    reference = aggte(fit(without), type=kind)
    assert aggregated.excluded_groups.tolist() == [2011]
    assert aggregated.overall_att == pytest.approx(reference.overall_att, abs=1e-12)
    assert np.isfinite(aggregated.overall_se)
    assert "Left out" in aggregated.summary() and "2011" in aggregated.summary()
    if kind == "group":
        assert 2011 not in aggregated.keys


def test_r_aggregation_keeps_the_small_cohort_on_request():
    data = placebo_panel(np.random.default_rng(4))
    result = fit(data)
    kept = aggte(result, type="group", exclude_small_groups=False)
    assert 2011 in kept.keys and len(kept.excluded_groups) == 0
    assert "Left out" not in kept.summary()
