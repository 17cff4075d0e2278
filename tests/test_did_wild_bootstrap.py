"""Wild cluster bootstrap: the fast cluster-space algebra against a brute-force re-estimation.

No packaged oracle is available (pyfixest's wild bootstrap needs the `wildboottest` package,
which is not a dependency), so the checks are (1) with few clusters, where every Rademacher
(2^G) or Webb (6^G) weight vector is enumerated, the bootstrap distribution equals the one
obtained by literally rebuilding y*, re-running least squares with explicit unit and time
dummies and recomputing CRV1 for each weight vector; (2) with many clusters the bootstrap
p-values and intervals approach the analytic t ones; (3) the WCR interval is the inversion of
the test; (4) draws are reproducible.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipelines.did.twfe import twfe
from pipelines.did.wild_bootstrap import WEBB_VALUES, wild_bootstrap
from tests.conftest import REFERENCE_DIR


@pytest.fixture(scope="module")
def ehec() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE_DIR / "ehec_data.csv")
    data["x_tv"] = np.random.default_rng(5).normal(size=len(data))
    return data


@pytest.fixture(scope="module")
def mpdta_static():
    return twfe(
        pd.read_csv(REFERENCE_DIR / "mpdta.csv"), "lemp", "year", "countyreal", "first.treat"
    )


def _few_states(ehec: pd.DataFrame, n_treated: int, n_never: int) -> pd.DataFrame:
    treated = sorted(ehec.loc[ehec["yexp2"].notna(), "stfips"].unique())[:n_treated]
    never = sorted(ehec.loc[ehec["yexp2"].isna(), "stfips"].unique())[:n_never]
    return ehec[ehec["stfips"].isin(treated + never)].reset_index(drop=True)


def _brute_force(data, weightsname, terms, impose_null, weight_vectors, cluster="stfips"):
    """Re-estimate the TWFE regression with explicit dummies for every cluster weight vector.

    Returns the sample statistic and the bootstrap statistics, both without the small-sample
    factor (a constant that cancels in the p-value): t for one term, Wald W/q for several.
    """
    unit = pd.factorize(data["stfips"], sort=True)[0]
    time = pd.factorize(data["year"], sort=True)[0]
    clusters = pd.factorize(data[cluster], sort=True)[0]
    g = data["yexp2"].fillna(0).to_numpy()
    treat_post = ((g > 0) & (data["year"].to_numpy() >= g)).astype(float)
    slopes = np.column_stack([treat_post, data["x_tv"].to_numpy()])
    dummies = np.column_stack(
        [
            (unit[:, None] == np.arange(unit.max() + 1)),
            (time[:, None] == np.arange(1, time.max() + 1)),
        ]
    ).astype(float)
    design = np.column_stack([slopes, dummies])
    y = data["dins"].to_numpy()
    w = np.ones(len(y)) if weightsname is None else data[weightsname].to_numpy(float)
    cols = [["treat_post", "x_tv"].index(term) for term in terms]
    root_w = np.sqrt(w)[:, None]

    def wls(target, matrix):
        return np.linalg.lstsq(matrix * root_w, target * root_w[:, 0], rcond=None)[0]

    def stat(target, centre):
        coef = wls(target, design)
        resid = target - design @ coef
        bread = np.linalg.inv(design.T @ (design * w[:, None]))
        scores = np.zeros((clusters.max() + 1, design.shape[1]))
        np.add.at(scores, clusters, design * (w * resid)[:, None])
        vcov = (bread @ scores.T @ scores @ bread)[np.ix_(cols, cols)]
        gap = coef[cols] - centre
        return (
            gap @ np.linalg.solve(vcov, gap) / len(cols)
            if len(cols) > 1
            else gap[0] / np.sqrt(vcov[0, 0])
        )

    sample = stat(y, np.zeros(len(cols)))
    if impose_null:  # the null (coefficients = 0) imposed: drop those columns
        kept = [j for j in range(design.shape[1]) if j not in cols]
        base = design[:, kept] @ wls(y, design[:, kept])
        centre = np.zeros(len(cols))
    else:
        coef = wls(y, design)
        base = design @ coef
        centre = coef[cols]
    resid = y - base
    boot = np.array([stat(base + v[clusters] * resid, centre) for v in weight_vectors])
    return sample, boot


def _ssc(data: pd.DataFrame) -> float:
    # fixest: G/(G-1) * (n-1)/(n-K), K = 2 slopes + the year effects (state FE nested in clusters)
    n, G, T = len(data), data["stfips"].nunique(), data["year"].nunique()
    return G / (G - 1) * (n - 1) / (n - 2 - T)


@pytest.mark.parametrize("impose_null", [True, False])
def test_rademacher_enumeration_equals_brute_force(ehec, impose_null):
    data = _few_states(ehec, 4, 4)
    result = twfe(data, "dins", "year", "stfips", "yexp2", xformla="~ x_tv", weightsname="W")
    boot = wild_bootstrap(result, "treat_post", B=999, impose_null=impose_null)
    assert boot.enumerated and boot.B == 2**8
    vectors = np.array(list(itertools.product([1.0, -1.0], repeat=8)))
    sample, brute = _brute_force(data, "W", ["treat_post"], impose_null, vectors)
    assert boot.statistic == pytest.approx(sample / np.sqrt(_ssc(data)), rel=1e-9)
    np.testing.assert_allclose(
        np.sort(np.abs(boot.bootstrap_statistics)),
        np.sort(np.abs(brute)) / np.sqrt(_ssc(data)),
        rtol=1e-8,
        atol=1e-12,  # WCU with v = 1 everywhere gives t* = 0 up to rounding
    )
    assert boot.p_value == pytest.approx(np.mean(np.abs(brute) >= abs(sample) * (1 - 1e-10)))
    assert (boot.p_value * 2**8) == pytest.approx(round(boot.p_value * 2**8))
    if impose_null:  # v and -v give the same |t*|: p is a multiple of 2 / 2^G
        assert (boot.p_value * 2**7) == pytest.approx(round(boot.p_value * 2**7))


@pytest.mark.parametrize("cluster", ["region", "year"])
def test_coarser_or_crossed_clusters_equal_brute_force(ehec, cluster):
    # region nests the state effects; year clusters leave the state effects non-nested, so the
    # bootstrap must carry them as dummies.
    data = _few_states(ehec, 4, 4).assign(region=lambda frame: frame["stfips"] % 4)
    result = twfe(data, "dins", "year", "stfips", "yexp2", xformla="~ x_tv", clustervars=cluster)
    boot = wild_bootstrap(result, "treat_post")
    G = data[cluster].nunique()
    assert boot.enumerated and boot.B == 2**G
    vectors = np.array(list(itertools.product([1.0, -1.0], repeat=G)))
    sample, brute = _brute_force(data, None, ["treat_post"], True, vectors, cluster)
    scale = np.sqrt(result.fit.ssc)
    assert boot.statistic == pytest.approx(sample / scale, rel=1e-9)
    np.testing.assert_allclose(
        np.sort(np.abs(boot.bootstrap_statistics)), np.sort(np.abs(brute)) / scale, rtol=1e-8
    )


@pytest.mark.parametrize("impose_null", [True, False])
def test_webb_enumeration_and_joint_test_equal_brute_force(ehec, impose_null):
    data = _few_states(ehec, 2, 2)
    result = twfe(data, "dins", "year", "stfips", "yexp2", xformla="~ x_tv")
    vectors = np.array(list(itertools.product(WEBB_VALUES, repeat=4)))
    single = wild_bootstrap(result, "treat_post", weights="webb", impose_null=impose_null)
    assert single.enumerated and single.B == 6**4
    sample, brute = _brute_force(data, None, ["treat_post"], impose_null, vectors)
    assert single.p_value == pytest.approx(np.mean(np.abs(brute) >= abs(sample) * (1 - 1e-10)))
    joint = wild_bootstrap(
        result, ["treat_post", "x_tv"], joint=True, weights="webb", impose_null=impose_null
    )
    sample, brute = _brute_force(data, None, ["treat_post", "x_tv"], impose_null, vectors)
    assert joint.statistic == pytest.approx(sample / _ssc(data), rel=1e-9)
    np.testing.assert_allclose(
        np.sort(joint.bootstrap_statistics),
        np.sort(brute) / _ssc(data),
        rtol=1e-7,
        atol=1e-12,  # unrestricted, equal weights on every cluster give 0 up to rounding
    )
    assert joint.ci_lower is None and np.isnan(joint.to_frame()["ci_lower"].iloc[0])


def test_webb_weights_have_unit_variance_and_six_points():
    assert WEBB_VALUES.mean() == pytest.approx(0.0)
    assert (WEBB_VALUES**2).mean() == pytest.approx(1.0)
    assert len(np.unique(WEBB_VALUES)) == 6


@pytest.mark.parametrize("impose_null", [True, False])
def test_many_clusters_approach_the_analytic_t_test(mpdta_static, impose_null):
    analytic = mpdta_static.to_frame().iloc[0]
    boot = wild_bootstrap(
        mpdta_static, "treat_post", B=9999, impose_null=impose_null, random_state=42
    )
    assert not boot.enumerated and boot.B == 9999
    assert boot.statistic == pytest.approx(analytic["t"])
    # 500 clusters: the bootstrap p (≈ 0.006) is within Monte Carlo noise of the t(499) one.
    assert abs(boot.p_value - analytic["p_value"]) < 0.004
    width = analytic["ci_upper"] - analytic["ci_lower"]
    assert abs(boot.ci_lower - analytic["ci_lower"]) < 0.03 * width
    assert abs(boot.ci_upper - analytic["ci_upper"]) < 0.03 * width


def test_joint_pretrend_test_approaches_the_analytic_wald_test():
    data = pd.read_csv(REFERENCE_DIR / "mpdta.csv")
    result = twfe(data, "lemp", "year", "countyreal", "first.treat", dynamic=True)
    leads = ["event_time::-4", "event_time::-3", "event_time::-2"]
    beta, vcov = result.coef[leads].to_numpy(), result.vcov.loc[leads, leads].to_numpy()
    f_stat = beta @ np.linalg.solve(vcov, beta) / 3
    analytic_p = stats.f.sf(f_stat, 3, result.df_t)
    for impose_null in (True, False):
        boot = wild_bootstrap(
            result, leads, joint=True, B=4999, impose_null=impose_null, random_state=3
        )
        assert boot.statistic == pytest.approx(f_stat)
        assert abs(boot.p_value - analytic_p) < 0.02


@pytest.mark.parametrize("impose_null", [True, False])
def test_interval_is_the_inversion_of_the_test(ehec, impose_null):
    data = _few_states(ehec, 6, 6)
    result = twfe(data, "dins", "year", "stfips", "yexp2")
    kwargs = {"B": 1999, "impose_null": impose_null, "random_state": 9}
    boot = wild_bootstrap(result, "treat_post", **kwargs)
    se = float(result.se["treat_post"])
    assert boot.ci_lower < result.coef["treat_post"] < boot.ci_upper
    for bound, inward in ((boot.ci_lower, 1.0), (boot.ci_upper, -1.0)):
        inside = wild_bootstrap(
            result, "treat_post", null_value=bound + inward * 1e-6 * se, **kwargs
        )
        outside = wild_bootstrap(
            result, "treat_post", null_value=bound - inward * 1e-6 * se, **kwargs
        )
        assert inside.p_value > 0.05 >= outside.p_value


def test_joint_with_one_coefficient_equals_the_single_test(mpdta_static):
    kwargs = {"B": 999, "random_state": 11}
    for impose_null in (True, False):
        single = wild_bootstrap(mpdta_static, "treat_post", impose_null=impose_null, **kwargs)
        joint = wild_bootstrap(
            mpdta_static, ["treat_post"], joint=True, impose_null=impose_null, **kwargs
        )
        assert joint.statistic == pytest.approx(single.statistic**2)
        np.testing.assert_allclose(
            joint.bootstrap_statistics, single.bootstrap_statistics**2, rtol=1e-9
        )
        assert joint.p_value == single.p_value


def test_linear_combination_of_event_time_coefficients():
    data = pd.read_csv(REFERENCE_DIR / "mpdta.csv")
    result = twfe(data, "lemp", "year", "countyreal", "first.treat", dynamic=True)
    combination = {"event_time::0": 0.5, "event_time::1": 0.5}
    boot = wild_bootstrap(result, combination, B=4999, random_state=1)
    L = np.array([combination.get(term, 0.0) for term in result.coef.index])
    estimate = L @ result.coef.to_numpy()
    se = np.sqrt(L @ result.vcov.to_numpy() @ L)
    assert boot.estimate[0] == pytest.approx(estimate)
    assert boot.statistic == pytest.approx(estimate / se)
    assert abs(boot.p_value - 2 * stats.t.sf(abs(estimate / se), result.df_t)) < 0.01
    assert "0.5*event_time::0" in boot.hypothesis


def test_reproducible_with_random_state(mpdta_static):
    first = wild_bootstrap(mpdta_static, "treat_post", B=499, random_state=123)
    again = wild_bootstrap(mpdta_static, "treat_post", B=499, random_state=123)
    other = wild_bootstrap(mpdta_static, "treat_post", B=499, random_state=124)
    np.testing.assert_array_equal(first.bootstrap_statistics, again.bootstrap_statistics)
    assert (first.p_value, first.ci_lower, first.ci_upper) == (
        again.p_value,
        again.ci_lower,
        again.ci_upper,
    )
    assert not np.array_equal(first.bootstrap_statistics, other.bootstrap_statistics)
    assert "WCR (restricted)" in first.summary()
    assert first.to_frame().loc[0, "B"] == 499


def test_bad_arguments(mpdta_static):
    with pytest.raises(ValueError, match="unknown coefficient"):
        wild_bootstrap(mpdta_static, "nope")
    with pytest.raises(ValueError, match="joint=True"):
        wild_bootstrap(mpdta_static, ["treat_post", "treat_post"])
    with pytest.raises(ValueError, match="rademacher"):
        wild_bootstrap(mpdta_static, "treat_post", weights="mammen")
    with pytest.raises(ValueError, match="ClusteredFit"):
        wild_bootstrap(object(), "treat_post")
