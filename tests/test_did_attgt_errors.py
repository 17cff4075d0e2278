"""att_gt rejects bad input with ValueErrors that say what is wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.did import att_gt
from tests.test_did_attgt import MPDTA, dataset


@pytest.fixture
def mpdta() -> pd.DataFrame:
    return dataset("mpdta").copy()


def test_missing_columns_are_named(mpdta):
    with pytest.raises(ValueError, match=r"columns not found in data: \['lemp_x', 'pop'\]"):
        att_gt(mpdta, **{**MPDTA, "yname": "lemp_x", "xformla": "~ pop"})


def test_non_numeric_outcome(mpdta):
    mpdta["lemp"] = mpdta["lemp"].astype(str)
    with pytest.raises(ValueError, match="outcome column 'lemp' must be numeric"):
        att_gt(mpdta, **MPDTA)


def test_group_changing_over_time(mpdta):
    mpdta.loc[
        (mpdta["countyreal"] == mpdta["countyreal"].iloc[0]) & (mpdta["year"] == 2005),
        "first.treat",
    ] = 2006
    with pytest.raises(ValueError, match="changes over time for 1 unit"):
        att_gt(mpdta, **MPDTA)


def test_no_never_treated_with_nevertreated(mpdta):
    treated = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(ValueError, match="no never-treated units"):
        att_gt(treated, **MPDTA)


def test_not_yet_treated_without_never_treated_uses_last_cohort_as_comparison(mpdta):
    treated = mpdta[mpdta["first.treat"] > 0]
    result = att_gt(treated, **MPDTA, control_group="notyettreated")
    # 2007 is the last cohort: it only serves as comparison, and 2007 itself drops out.
    assert set(result.group) == {2004, 2006}
    assert result.time.max() == 2006
    assert np.isfinite(result.se).all()


def test_cell_without_comparison_observations(mpdta):
    no_controls_2005 = mpdta[~((mpdta["first.treat"] == 0) & (mpdta["year"] == 2005))]
    with pytest.raises(ValueError, match="no comparison observations in period 2005"):
        att_gt(no_controls_2005, **MPDTA, panel=False)


def test_covariate_collinear_with_intercept(mpdta):
    mpdta["constant"] = 3.0
    with pytest.raises(ValueError, match="collinear"):
        att_gt(mpdta, **MPDTA, xformla="~ lpop + constant")


def test_covariate_singular_among_cell_units(mpdta):
    # Constant within cohort 2004 and the never treated, but not in the whole sample.
    mpdta["flag"] = np.where(mpdta["first.treat"].isin([0, 2004]), 1.0, 0.0)
    with pytest.raises(ValueError, match="singular covariates for group 2004"):
        att_gt(mpdta, **MPDTA, xformla="~ flag", est_method="reg")


def test_duplicate_unit_periods(mpdta):
    doubled = pd.concat([mpdta, mpdta.iloc[:1]])
    with pytest.raises(ValueError, match="more than once in a period"):
        att_gt(doubled, **MPDTA)


@pytest.mark.parametrize(
    ("argument", "value"),
    [("control_group", "never"), ("est_method", "ols"), ("base_period", "fixed")],
)
def test_unknown_choices(mpdta, argument, value):
    with pytest.raises(ValueError, match=argument):
        att_gt(mpdta, **MPDTA, **{argument: value})


def test_time_varying_cluster(mpdta):
    mpdta["cluster"] = mpdta["year"]
    with pytest.raises(ValueError, match="cluster column 'cluster' changes over time"):
        att_gt(mpdta, **MPDTA, clustervars="cluster")


def test_missing_periods_drop_units_unless_unbalanced_allowed(mpdta):
    gappy = mpdta.drop(index=mpdta.index[[1, 7, 13]])
    with pytest.warns(UserWarning, match="dropped 3 units"):
        balanced = att_gt(gappy, **MPDTA)
    assert balanced.n_units == 497
    unbalanced = att_gt(gappy, **MPDTA, allow_unbalanced_panel=True)
    assert unbalanced.n_units == 500
    # The unbalanced-panel estimator is the cross-section one with SEs clustered by unit.
    cross_section = att_gt(gappy, **MPDTA, panel=False)
    np.testing.assert_allclose(unbalanced.att, cross_section.att, atol=1e-12)
    assert not np.allclose(unbalanced.se, cross_section.se)
