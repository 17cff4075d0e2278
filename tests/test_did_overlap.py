"""Overlap: cells R `did` refuses for lack of common support, refused the same way here.

The data are mpdta with a covariate that separates cohort 2004 from every comparison county
(the generated states' cohort 2012 looks like this to a logit). R `did` 2.5.1's rule, as its
Python port csdid applies it (the oracle here): an unweighted logit of cohort membership on the
covariates, and a cell with fitted propensity >= 0.999 is NA with "overlap condition violated".
Before this rule the library stopped with "singular covariates" instead.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pipelines.did import aggte, att_gt
from pipelines.did.overlap import OverlapWarning, outside_support
from tests.test_did_attgt import MPDTA, dataset

csdid = pytest.importorskip("csdid.att_gt")

FORMULA = "~ lpop + x"


@pytest.fixture(scope="module")
def separated() -> pd.DataFrame:
    data = dataset("mpdta").copy()
    rng = np.random.default_rng(5)
    counties = data["countyreal"].unique()
    noise = pd.Series(rng.normal(0, 1, len(counties)), index=counties)
    data["x"] = data["countyreal"].map(noise) + np.where(data["first.treat"] == 2004, 6.0, 0.0)
    return data


def oracle(data: pd.DataFrame, est_method: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return csdid.ATTgt(
            yname="lemp",
            tname="year",
            idname="countyreal",
            gname="first.treat",
            data=data,
            xformla=FORMULA,
            control_group=["nevertreated"],
        ).fit(est_method=est_method, bstrap=False)


@pytest.mark.parametrize("est_method", ["dr", "ipw"])
def test_the_cells_r_refuses_are_missing_and_the_others_equal_r(separated, est_method) -> None:
    with pytest.warns(OverlapWarning, match="cohort 2004: 20 of 20 treated units"):
        ours = att_gt(
            separated, **MPDTA, xformla=FORMULA, est_method=est_method, small_sample=False
        )
    theirs = np.array(oracle(separated, est_method).results["att"], dtype=float)
    np.testing.assert_array_equal(np.isnan(ours.att), np.isnan(theirs))
    assert np.isnan(ours.att[ours.group == 2004]).all()
    known = ~np.isnan(theirs)
    np.testing.assert_allclose(ours.att[known], theirs[known], rtol=0, atol=1e-8)
    (refused,) = ours.not_estimable
    assert (refused.group, refused.n_treated, refused.n_outside_support) == (2004, 20, 20)
    assert refused.n_comparison == 309
    assert refused.not_estimable == (2004, 2005, 2006, 2007)


def test_outcome_regression_is_not_checked_it_extrapolates(separated) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", OverlapWarning)
        result = att_gt(separated, **MPDTA, xformla=FORMULA, est_method="reg")
    assert np.isfinite(result.att).all() and result.overlap == ()


@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_na_rm_aggregates_the_estimated_cells_as_r(separated, kind) -> None:
    with pytest.warns(OverlapWarning):
        result = att_gt(separated, **MPDTA, xformla=FORMULA, est_method="dr", small_sample=False)
    with pytest.raises(ValueError, match="na_rm=True"):
        aggte(result, type=kind)
    ours = aggte(result, type=kind, na_rm=True, bstrap=False)
    theirs = oracle(separated, "dr").aggte(typec=kind, na_rm=True, bstrap=False).atte
    assert ours.overall_att == pytest.approx(theirs["overall_att"], abs=1e-12)
    assert ours.overall_se == pytest.approx(theirs["overall_se"], abs=1e-10)
    if kind == "group":
        assert list(ours.keys) == [2006, 2007]


def test_outside_support_names_the_units_and_the_rest_is_estimable(separated) -> None:
    outside = outside_support(separated, **MPDTA, xformla=FORMULA)
    cohort_2004 = set(separated.loc[separated["first.treat"] == 2004, "countyreal"])
    assert set(outside) == {2004.0} and set(outside[2004.0]) == cohort_2004
    # A partial case: three counties of cohort 2006 beyond every comparison county.
    data = dataset("mpdta").copy()
    chosen = data.loc[data["first.treat"] == 2006, "countyreal"].unique()[:3]
    data["x"] = np.where(data["countyreal"].isin(chosen), 8.0, 0.0) + data["lpop"] / 10
    data["z"] = data["countyreal"].isin(chosen) * 1.0 + data["lpop"] ** 2 / 100
    found = outside_support(data, **MPDTA, xformla="~ x + z")
    assert {g: sorted(ids) for g, ids in found.items()} == {2006.0: sorted(chosen)}
    kept = data[~data["countyreal"].isin(found[2006.0])]
    with warnings.catch_warnings():
        warnings.simplefilter("error", OverlapWarning)
        result = att_gt(kept, **MPDTA, xformla="~ x + z", est_method="dr")
    assert np.isfinite(result.att).all()
