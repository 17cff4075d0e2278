"""The default small-sample intervals: Welch's t for a single comparison, R's without it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pipelines.did import aggte, att_gt
from tests.test_did_attgt import MPDTA, dataset, fitted


def test_single_comparison_is_welch_t():
    data = dataset("mpdta")
    result = att_gt(data, **MPDTA)
    cell = (result.group == 2004) & (result.time == 2005)
    wide = data.pivot(index="countyreal", columns="year", values="lemp")
    cohort = data.groupby("countyreal")["first.treat"].first()
    change = wide[2005] - wide[2003]
    treated, never = change[cohort == 2004], change[cohort == 0]
    welch = stats.ttest_ind(treated, never, equal_var=False)
    se = (treated.mean() - never.mean()) / welch.statistic
    assert result.att[cell][0] == pytest.approx(treated.mean() - never.mean(), abs=1e-12)
    assert result.se[cell][0] == pytest.approx(se, rel=1e-10)
    assert result.df[cell][0] == pytest.approx(welch.df, rel=1e-10)
    assert result.crit_val[cell][0] == pytest.approx(stats.t.ppf(0.975, welch.df), rel=1e-10)


def test_default_intervals_are_wider_than_r():
    data = dataset("mpdta")
    default = att_gt(data, **MPDTA)
    r_like = fitted("mpdta_nev_dr")
    np.testing.assert_array_equal(default.att, r_like.att)
    assert (default.se > r_like.se).all()
    assert (default.crit_val > r_like.crit_val).all()
    np.testing.assert_allclose(r_like.crit_val, stats.norm.ppf(0.975))
    # The pre-test uses the corrected covariance and an F reference: a more cautious test.
    assert default.pretest_stat < r_like.pretest_stat
    assert default.pretest_pvalue > r_like.pretest_pvalue
    assert default.pretest_denominator_df == pytest.approx(
        default.df[default.group > default.time].min()
    )
    assert r_like.pretest_denominator_df == np.inf


def test_aggregations_inherit_and_can_override():
    data = dataset("mpdta")
    default = att_gt(data, **MPDTA)
    corrected = aggte(default, type="dynamic")
    as_r = aggte(default, type="dynamic", small_sample=False)
    reference = aggte(fitted("mpdta_nev_dr"), type="dynamic")
    np.testing.assert_allclose(as_r.se, reference.se, rtol=0, atol=1e-15)
    assert (corrected.se > as_r.se).all()
    assert np.isfinite(corrected.df).all()
    assert corrected.overall_crit_val > stats.norm.ppf(0.975)


def test_clustered_small_sample_uses_cluster_count():
    result = att_gt(dataset("extra"), **MPDTA, clustervars="clust")
    np.testing.assert_array_equal(result.df, 28)
    ratio = result.se / fitted("clustered").se
    np.testing.assert_allclose(ratio, np.sqrt(29 / 28))
