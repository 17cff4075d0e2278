"""exit_effects: effects by years in the program and after leaving, beside the ITT ATT."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pipelines.did import aggte, att_gt
from pipelines.did.exit import exit_effects

YEARS = np.arange(2008, 2018)
COHORTS = {2011: 20, 2012: 30}
N_NEVER = 300
EFFECT_PER_YEAR = 0.05  # the effect grows by this much per partnered year...
FADE = 0.5  # ...and halves every year after a school leaves
COLUMNS = {"yname": "y", "tname": "year", "idname": "school", "gname": "cohort"}


def true_effect(cohort: np.ndarray, last: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Effect of each unit-year: grows while partnered, fades after leaving."""
    stop = np.where(last > 0, last, np.inf)
    partnered_years = np.minimum(year, stop) - cohort + 1
    faded = FADE ** np.maximum(year - stop, 0)
    return np.where((cohort > 0) & (year >= cohort), EFFECT_PER_YEAR * partnered_years * faded, 0)


def panel(rng: np.random.Generator, leave_share: float) -> pd.DataFrame:
    cohort = np.concatenate([np.full(size, year) for year, size in COHORTS.items()])
    leaves = rng.random(len(cohort)) < leave_share
    last = np.where(leaves, cohort + rng.integers(1, 4, len(cohort)), 0)
    cohort = np.concatenate([cohort, np.zeros(N_NEVER)])
    last = np.concatenate([last, np.zeros(N_NEVER)])
    n = len(cohort)
    x = rng.normal(size=n)
    year = np.tile(YEARS, (n, 1))
    y = (
        rng.normal(0, 0.4, (n, 1))
        + 0.1 * x[:, None] * (year - 2008)  # a covariate-driven trend: adjustment matters
        + rng.normal(0, 0.1, (n, len(YEARS)))
        + true_effect(cohort[:, None], last[:, None], year)
    )
    return pd.DataFrame(
        {
            "school": np.repeat(np.arange(n), len(YEARS)),
            "year": year.ravel(),
            "cohort": np.repeat(cohort, len(YEARS)),
            "last": np.repeat(last, len(YEARS)),
            "x": np.repeat(x, len(YEARS)),
            "y": y.ravel(),
            "effect": true_effect(
                np.repeat(cohort, len(YEARS)), np.repeat(last, len(YEARS)), year.ravel()
            ),
        }
    )


def truth(data: pd.DataFrame) -> pd.DataFrame:
    """The mean true effect of each bin's unit-years."""
    treated = data[(data["cohort"] > 0) & (data["year"] >= data["cohort"])]
    stop = treated["last"].where(treated["last"] > 0, np.inf)
    inside = treated["year"] <= stop
    key = np.where(inside, treated["year"] - treated["cohort"] + 1, treated["year"] - stop)
    frame = treated.assign(
        analysis=np.where(inside, "years_partnered", "years_since_exit"), key=key.astype(int)
    )
    return frame.groupby(["analysis", "key"])["effect"].mean()


def test_without_leavers_years_partnered_is_the_dynamic_aggregation():
    data = panel(np.random.default_rng(0), leave_share=0.0)
    ours = exit_effects(data, **COLUMNS, lastname="last", xformla=["x"]).to_frame()
    assert set(ours["analysis"]) == {"years_partnered"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = att_gt(data, **COLUMNS, xformla=["x"], est_method="reg", base_period="universal")
    dynamic = aggte(cs, type="dynamic")
    post = dynamic.keys >= 0
    np.testing.assert_allclose(ours["att"], dynamic.att[post], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours["key"], dynamic.keys[post].astype(int) + 1)
    # The SEs differ only by aggte's term for estimating the cohort shares.
    np.testing.assert_allclose(ours["se"], dynamic.se[post], rtol=0.1)


def test_recovers_the_effect_in_the_program_and_its_fading_after_leaving():
    data = panel(np.random.default_rng(1), leave_share=0.4)
    result = exit_effects(data, **COLUMNS, lastname="last", xformla="~ x")
    frame = result.to_frame().set_index(["analysis", "key"])
    expected = truth(data).reindex(frame.index)
    estimable = frame["se"].notna()
    z = (frame["att"] - expected)[estimable] / frame["se"][estimable]
    assert (z.abs() < 4).all(), z
    assert {"years_partnered", "years_since_exit"} <= set(frame.index.get_level_values(0))
    assert "After leaving" in result.summary()
    assert len(result.plot().data) == 2
    # The intent-to-treat dynamic effect mixes leavers in: below the in-program effect late on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = att_gt(data, **COLUMNS, xformla=["x"], est_method="reg", base_period="universal")
    dynamic = aggte(cs, type="dynamic")
    late = frame.loc[("years_partnered", 5), "att"]
    assert dynamic.att[list(dynamic.keys).index(4)] < late - 0.03


def test_placebo_intervals_cover_zero_at_about_the_nominal_rate():
    rng = np.random.default_rng(2)
    misses, total = 0, 0
    for _ in range(60):
        data = panel(rng, leave_share=0.4).assign(y=lambda f: f["y"] - f["effect"])
        frame = exit_effects(data, **COLUMNS, lastname="last", xformla=["x"]).to_frame()
        frame = frame[frame["se"].notna()]
        misses += int(((frame["ci_lower"] > 0) | (frame["ci_upper"] < 0)).sum())
        total += len(frame)
    assert misses / total <= 0.08


def test_a_bin_with_one_unit_has_no_interval():
    data = panel(np.random.default_rng(3), leave_share=0.0)
    first = data["school"] == 0
    data.loc[first, "last"] = 2011  # one school of cohort 2011 leaves after one year
    frame = exit_effects(data, **COLUMNS, lastname="last").to_frame()
    after = frame[frame["analysis"] == "years_since_exit"]
    assert (after["n_schools"] == 1).all() and after["se"].isna().all()


def test_bad_input():
    data = panel(np.random.default_rng(4), leave_share=0.0)
    with pytest.raises(ValueError, match="columns not found"):
        exit_effects(data, **COLUMNS, lastname="exit_year")
    bad = data.assign(last=np.where(data["cohort"] > 0, 2009, 0))
    with pytest.raises(ValueError, match="last treated period before their cohort"):
        exit_effects(bad, **COLUMNS, lastname="last")
    with pytest.raises(ValueError, match="no never-treated"):
        exit_effects(data[data["cohort"] > 0], **COLUMNS, lastname="last")


def test_covariates_by_cohort_adjust_each_cohort_with_its_own_columns():
    """As att_gt's mapping: cohort g's cells use only g's covariates (no post-treatment ones)."""
    rng = np.random.default_rng(3)
    data = panel(rng, leave_share=0.0)
    data["x_late"] = np.repeat(rng.normal(size=data["school"].nunique()), len(YEARS))
    by_cohort = {2011: ["x"], 2012: ["x", "x_late"]}
    ours = exit_effects(data, **COLUMNS, lastname="last", xformla=by_cohort).to_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = att_gt(data, **COLUMNS, xformla=by_cohort, est_method="reg", base_period="universal")
    dynamic = aggte(cs, type="dynamic")
    post = dynamic.keys >= 0
    np.testing.assert_allclose(ours["att"], dynamic.att[post], rtol=0, atol=1e-12)
    everything = exit_effects(data, **COLUMNS, lastname="last", xformla=["x", "x_late"])
    assert not np.allclose(everything.to_frame()["att"], ours["att"], rtol=0, atol=1e-12)
