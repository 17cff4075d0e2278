"""att_gt against R `did` 2.5.0 with analytic standard errors (ref_attgt.csv, ref_pretest.csv).

The scenarios and their R calls are named in the reference README: `nev`/`nyt` = never-treated /
not-yet-treated comparisons, `dr`/`ipw`/`reg` = estimation method, `cov` = xformla ~ lpop; the
`sim` scenario is the R vignette's simulated panel with its covariate X.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest

from pipelines.did import att_gt
from tests.conftest import REFERENCE_DIR

REFS = REFERENCE_DIR / "r_did_analytic_csdid_refs"
MPDTA = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}
SIM = {"yname": "Y", "tname": "period", "idname": "id", "gname": "G", "xformla": "~ X"}

# scenario -> (dataset, att_gt arguments)
SCENARIOS = {
    "mpdta_nev_dr": ("mpdta", MPDTA),
    "mpdta_nyt_dr": ("mpdta", {**MPDTA, "control_group": "notyettreated"}),
    "mpdta_nev_reg_cov": ("mpdta", {**MPDTA, "est_method": "reg", "xformla": "~ lpop"}),
    "mpdta_nev_ipw": ("mpdta", {**MPDTA, "est_method": "ipw"}),
    "sim_nev_dr": ("sim", SIM),
    "rc": ("extra", {**MPDTA, "panel": False}),
    "universal": ("extra", {**MPDTA, "base_period": "universal"}),
    "anticipation1": ("extra", {**MPDTA, "anticipation": 1}),
    "weighted": ("extra", {**MPDTA, "weightsname": "wt"}),
    "clustered": ("extra", {**MPDTA, "clustervars": "clust"}),
}
_FILES = {
    "mpdta": REFERENCE_DIR / "mpdta.csv",
    "sim": REFS / "sim_data.csv",
    "extra": REFS / "mpdta_extra.csv",
}

ATT_TOL = 1e-8
SE_TOL = 1e-6


@cache
def dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(_FILES[name])


@cache
def reference(file: str) -> pd.DataFrame:
    return pd.read_csv(REFS / file)


@cache
def fitted(scenario: str):
    """att_gt for a reference scenario in R-parity mode (cached: results are immutable)."""
    name, arguments = SCENARIOS[scenario]
    with warnings.catch_warnings():
        # anticipation = 1 drops the 2004 cohort (treated by the first period), as R does;
        # test_did_attgt_gaps checks that warning.
        warnings.simplefilter("ignore", UserWarning)
        return att_gt(dataset(name), **arguments, small_sample=False)


def assert_cells_match(scenario: str, ref: pd.DataFrame) -> None:
    ours = fitted(scenario).to_frame()
    expected = ref[ref["scenario"] == scenario]
    merged = expected.merge(ours, left_on=["group", "t"], right_on=["group", "time"], how="outer")
    assert len(merged) == len(expected) == len(ours), "different (g,t) cells than R"
    np.testing.assert_allclose(merged["att_y"], merged["att_x"], rtol=0, atol=ATT_TOL)
    assert (merged["se_x"].isna() == merged["se_y"].isna()).all(), "missing SEs differ from R"
    np.testing.assert_allclose(merged["se_y"], merged["se_x"], rtol=0, atol=SE_TOL)


@pytest.mark.parametrize("scenario", sorted(reference("ref_attgt.csv")["scenario"].unique()))
def test_attgt_matches_r(scenario):
    assert_cells_match(scenario, reference("ref_attgt.csv"))


@pytest.mark.parametrize("scenario", sorted(reference("ref_pretest.csv")["scenario"].unique()))
def test_pretest_matches_r(scenario):
    expected = reference("ref_pretest.csv").set_index("scenario").loc[scenario]
    result = fitted(scenario)
    assert result.pretest_stat == pytest.approx(expected["W"], abs=1e-6)
    # R rounds the p-value to five decimals.
    assert result.pretest_pvalue == pytest.approx(expected["Wpval"], abs=6e-6)


def test_frame_columns_and_pointwise_intervals():
    result = fitted("mpdta_nev_dr")
    frame = result.to_frame()
    assert list(frame.columns) == ["group", "time", "att", "se", "ci_lower", "ci_upper"]
    assert result.n_units == 500
    assert result.influence_function.shape == (500, len(frame))
    np.testing.assert_allclose(frame["ci_upper"] - frame["att"], 1.959963984540054 * frame["se"])
    assert result.pretest_df == 5


def test_covariate_list_equals_formula():
    data = dataset("mpdta")
    as_list = att_gt(
        data, **{**MPDTA, "est_method": "reg", "xformla": ["lpop"]}, small_sample=False
    )
    np.testing.assert_array_equal(as_list.att, fitted("mpdta_nev_reg_cov").att)


def test_missing_group_means_never_treated():
    data = dataset("mpdta").copy()
    data["first.treat"] = data["first.treat"].replace(0, np.nan)
    result = att_gt(data, **MPDTA, small_sample=False)
    np.testing.assert_allclose(result.att, fitted("mpdta_nev_dr").att, rtol=0, atol=1e-14)
    np.testing.assert_allclose(result.se, fitted("mpdta_nev_dr").se, rtol=0, atol=1e-14)


def test_ipw_with_covariates_is_close_to_dr():
    """Both use the same propensity score; with a good outcome model they nearly coincide."""
    data = dataset("mpdta")
    ipw = att_gt(data, **{**MPDTA, "est_method": "ipw", "xformla": "~ lpop"})
    dr = att_gt(data, **{**MPDTA, "est_method": "dr", "xformla": "~ lpop"})
    assert np.all(np.isfinite(ipw.se))
    np.testing.assert_allclose(ipw.att, dr.att, atol=0.01)
