"""Covariates by group: ATT(g,t) adjusted for cohort g's own covariates only.

R's `xformla` is one formula for every cohort, so covariates by group are checked against it
one cohort at a time: each cohort's cells with the mapping must equal, cell by cell, the cells
of that cohort when att_gt runs with an ordinary `xformla` of that cohort's columns. With the
same formula for every cohort the mapping reproduces R `did` exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.did import att_gt
from tests.test_did_attgt import MPDTA, assert_cells_match, dataset, reference

COHORTS = (2004, 2006, 2007)


def mpdta_with_cohort_covariates() -> pd.DataFrame:
    """mpdta with one made-up county covariate per cohort (``x_2004``, ``x_2006``, ``x_2007``)."""
    data = dataset("mpdta").copy()
    rng = np.random.default_rng(11)
    counties = data["countyreal"].unique()
    for g, scale in zip(COHORTS, (1.0, 0.5, 2.0), strict=True):
        noise = pd.Series(rng.normal(0, scale, len(counties)), index=counties)
        data[f"x_{g}"] = data["lpop"] * (g - 2000) / 5 + data["countyreal"].map(noise)
    return data


def test_the_same_formula_for_every_cohort_is_r_did() -> None:
    """Anchor: {g: "~ lpop"} for every cohort is R's xformla = ~ lpop (ref_attgt.csv)."""
    data = dataset("mpdta")
    mapping = {g: "~ lpop" for g in COHORTS}
    by_group = att_gt(data, **MPDTA, est_method="reg", xformla=mapping, small_sample=False)
    plain = att_gt(data, **MPDTA, est_method="reg", xformla="~ lpop", small_sample=False)
    np.testing.assert_allclose(by_group.att, plain.att, rtol=0, atol=1e-14)
    np.testing.assert_allclose(by_group.se, plain.se, rtol=0, atol=1e-14)
    assert_cells_match("mpdta_nev_reg_cov", reference("ref_attgt.csv"))


@pytest.mark.parametrize("est_method", ["reg", "dr", "ipw"])
@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_each_cohort_equals_att_gt_with_that_cohorts_xformla(
    est_method: str, control_group: str, base_period: str
) -> None:
    data = mpdta_with_cohort_covariates()
    options = {
        **MPDTA,
        "est_method": est_method,
        "control_group": control_group,
        "base_period": base_period,
        "small_sample": False,
    }
    by_group = att_gt(data, xformla={g: [f"x_{g}"] for g in COHORTS}, **options)
    for g in COHORTS:
        ordinary = att_gt(data, xformla=f"~ x_{g}", **options)
        mine, theirs = by_group.group == g, ordinary.group == g
        np.testing.assert_array_equal(by_group.time[mine], ordinary.time[theirs])
        np.testing.assert_allclose(by_group.att[mine], ordinary.att[theirs], rtol=0, atol=1e-12)
        np.testing.assert_allclose(by_group.se[mine], ordinary.se[theirs], rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            by_group.influence_function[:, mine],
            ordinary.influence_function[:, theirs],
            rtol=0,
            atol=1e-12,
        )
    # The cohorts really are adjusted differently: one formula for all would not give this.
    shared = att_gt(data, xformla=[f"x_{g}" for g in COHORTS], **options)
    assert np.nanmax(np.abs(shared.att - by_group.att)) > 1e-4


def test_a_cohort_without_covariates_is_refused() -> None:
    data = mpdta_with_cohort_covariates()
    with pytest.raises(ValueError, match="no covariates for group"):
        att_gt(data, **MPDTA, est_method="reg", xformla={2004: ["x_2004"], 2006: ["x_2006"]})


def test_summaries_name_each_cohorts_covariates() -> None:
    """The printed results say which covariates adjusted which cohort (they used to crash)."""
    from pipelines.did import aggte

    data = mpdta_with_cohort_covariates()
    result = att_gt(data, **MPDTA, est_method="reg", xformla={g: [f"x_{g}"] for g in COHORTS})
    for text in (result.summary(), aggte(result, type="dynamic").summary()):
        assert "Covariates by cohort: 2004: x_2004; 2006: x_2006; 2007: x_2007." in text
