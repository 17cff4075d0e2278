"""Multiplier bootstrap: close to the analytic SEs, uniform bands wider, reproducible."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pipelines.did import aggte, att_gt
from tests.test_did_attgt import MPDTA, dataset

DRAWS = 10_000


@pytest.fixture(scope="module")
def analytic():
    return att_gt(dataset("mpdta"), **MPDTA, small_sample=False)


@pytest.fixture(scope="module")
def bootstrapped():
    return att_gt(
        dataset("mpdta"),
        **MPDTA,
        bstrap=True,
        biters=DRAWS,
        cband=True,
        random_state=20240601,
        small_sample=False,
    )


def test_bootstrap_se_within_five_percent_of_analytic(analytic, bootstrapped):
    np.testing.assert_array_equal(bootstrapped.att, analytic.att)
    np.testing.assert_allclose(bootstrapped.se, analytic.se, rtol=0.05)


@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggregated_bootstrap_se_within_five_percent(analytic, bootstrapped, kind):
    reference = aggte(analytic, type=kind)
    boot = aggte(bootstrapped, type=kind, random_state=7)
    assert boot.overall_se == pytest.approx(reference.overall_se, rel=0.05)
    np.testing.assert_allclose(boot.se, reference.se, rtol=0.05)


def test_uniform_band_is_wider_than_pointwise(analytic, bootstrapped):
    z = stats.norm.ppf(0.975)
    assert (bootstrapped.crit_val > z).all()
    width = bootstrapped.ci_upper - bootstrapped.ci_lower
    pointwise = 2 * z * bootstrapped.se
    assert (width > pointwise).all()
    dynamic = aggte(bootstrapped, type="dynamic", random_state=3)
    assert (dynamic.crit_val > z).all()
    assert dynamic.overall_crit_val == pytest.approx(z)


def test_small_sample_band_is_wider_than_small_sample_pointwise():
    data = dataset("mpdta")
    pointwise = att_gt(data, **MPDTA)
    band = att_gt(data, **MPDTA, cband=True, random_state=1)
    np.testing.assert_array_equal(band.se, pointwise.se)
    assert (band.crit_val > pointwise.crit_val).all()


def test_reproducible_with_random_state():
    data = dataset("mpdta")
    runs = [
        att_gt(data, **MPDTA, bstrap=True, cband=True, biters=499, random_state=seed)
        for seed in (11, 11, 12)
    ]
    np.testing.assert_array_equal(runs[0].se, runs[1].se)
    np.testing.assert_array_equal(runs[0].crit_val, runs[1].crit_val)
    assert not np.array_equal(runs[0].se, runs[2].se)
    first = aggte(runs[0], type="dynamic", random_state=5)
    again = aggte(runs[0], type="dynamic", random_state=5)
    np.testing.assert_array_equal(first.se, again.se)
    np.testing.assert_array_equal(first.crit_val, again.crit_val)


def test_clustered_bootstrap_matches_clustered_analytic():
    data = dataset("extra")
    analytic = att_gt(data, **MPDTA, clustervars="clust", small_sample=False)
    boot = att_gt(
        data,
        **MPDTA,
        clustervars="clust",
        bstrap=True,
        biters=DRAWS,
        random_state=3,
        small_sample=False,
    )
    np.testing.assert_allclose(boot.se, analytic.se, rtol=0.05)


def test_reference_cells_keep_missing_se():
    result = att_gt(
        dataset("extra"), **MPDTA, base_period="universal", bstrap=True, cband=True, random_state=2
    )
    reference = result.time == result.group - 1
    assert np.isnan(result.se[reference]).all()
    assert np.isfinite(result.se[~reference]).all()
    assert np.isfinite(result.crit_val[~reference]).all()
