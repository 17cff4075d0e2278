"""Imputation estimator (Borusyak, Jaravel & Spiess 2024) against independent calculations.

- Point estimates: least squares with explicit unit and year dummies on the untreated rows
  (numpy), then imputation by hand, on mpdta (whose 2004 cohort has a single pre-period).
- Theorem-3 standard errors: a dense recomputation of the weights
  v₀ = −Ω₀Z₀(Z₀'Ω₀Z₀)⁺Z₁'w₁ and of equation (8), and diff-diff's ImputationDiD (which reports
  parity with R `didimputation`), to ~1e-10.
- Pre-trend leads: pyfixest's feols on the untreated rows with CRV1, to 1e-8.
- pyfixest's did2s (Gardner's two-stage estimator, numerically the imputation estimator) where
  it runs, to its default demeaning tolerance.
- A growing-effect staggered panel: imputation, Sun–Abraham and Callaway–Sant'Anna recover the
  truth; static TWFE does not, and the Goodman-Bacon decomposition shows why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from pipelines.did import aggte, att_gt, twfe
from pipelines.did._regression.fixed_effects import SingularDesignError
from pipelines.did.bacon import bacon_decomposition
from pipelines.did.imputation import did_imputation
from pipelines.did.sun_abraham import sun_abraham
from tests.conftest import REFERENCE_DIR

TOL = 1e-10


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE_DIR / "mpdta.csv")
    rng = np.random.default_rng(11)
    data["g"] = data["first.treat"]
    data["x"] = rng.normal(size=len(data)) + 0.1 * (data["year"] - 2003)
    data["state"] = data["countyreal"] // 1000
    data["w"] = np.exp(data["lpop"]) / 100.0
    return data


@pytest.fixture(scope="module")
def basic(mpdta):
    return did_imputation(mpdta, "lemp", "year", "countyreal", "g", pretrends=3)


def _dense_reference(
    data: pd.DataFrame,
    covariates: list[str],
    weight: str | None,
    cluster: str,
    *,
    yname: str = "lemp",
    fixed_effects: tuple[str, str] = ("countyreal", "year"),
) -> dict:
    """Imputation and its Theorem-3 covariance from explicit dummy matrices (no absorbing)."""
    group = data["g"].replace(0, np.inf)
    treated = (data["year"] >= group).to_numpy()
    first, second = fixed_effects
    units = pd.get_dummies(data[first]).to_numpy(float)
    years = pd.get_dummies(data[second]).to_numpy(float)[:, 1:]
    Z = np.column_stack([units, years, data[covariates].to_numpy(float)])
    omega = np.ones(len(data)) if weight is None else data[weight].to_numpy(float)
    Z0, Z1, y = Z[~treated], Z[treated], data[yname].to_numpy(float)
    gram_inv = np.linalg.pinv(Z0.T @ (omega[~treated, None] * Z0))
    theta = gram_inv @ Z0.T @ (omega[~treated] * y[~treated])
    tau = y[treated] - Z1 @ theta
    event_time = (data["year"] - data["g"]).to_numpy()[treated]
    w1 = omega[treated]
    horizons = sorted(set(event_time))
    targets = np.column_stack([np.where(event_time == h, w1, 0) for h in horizons] + [w1])
    targets = targets / targets.sum(axis=0)
    v0 = -(omega[~treated, None] * Z0) @ (gram_inv @ (Z1.T @ targets))
    # Equation (8) on cohort × event-time cells, clusters as the sum over c.
    clusters = data[cluster].to_numpy()
    cells = pd.DataFrame(
        {"c": clusters[treated], "cell": list(zip(data["g"][treated], event_time, strict=True))}
    )
    cells["a"], cells["b"] = w1, w1 * tau
    per_cluster = cells.groupby(["cell", "c"])[["a", "b"]].sum()
    per_cluster["ab"], per_cluster["aa"] = (
        per_cluster["a"] * per_cluster["b"],
        per_cluster["a"] ** 2,
    )
    sums = per_cluster.groupby(level="cell")[["ab", "aa"]].sum()
    tau_tilde = (sums["ab"] / sums["aa"]).loc[cells["cell"]].to_numpy()
    residual0 = y[~treated] - Z0 @ theta
    psi = np.zeros((len(data), targets.shape[1]))
    psi[~treated] = v0 * residual0[:, None]
    psi[treated] = targets * (tau - tau_tilde)[:, None]
    scores = pd.DataFrame(psi).groupby(clusters).sum().to_numpy()
    return {
        "estimates": targets.T @ tau,
        "vcov": scores.T @ scores,
        "v": np.concatenate([v0, targets]),
        "Z": np.concatenate([Z0, Z1]),
        "horizons": horizons,
    }


def test_point_estimates_equal_explicit_dummy_imputation(basic, mpdta):
    reference = _dense_reference(mpdta, [], None, "countyreal")
    post = basic.coef[[f"event_time::{h}" for h in reference["horizons"]]]
    np.testing.assert_allclose(post, reference["estimates"][:-1], rtol=0, atol=TOL)
    assert basic.overall_att == pytest.approx(reference["estimates"][-1], abs=TOL)
    # The 2004 cohort has one untreated year (2003) and is imputed all the same.
    assert basic.n_not_imputable == 0 and basic.n_treated == 291
    assert set(basic.effects.loc[basic.effects["g"] == 2004, "event_time"]) == {0, 1, 2, 3}


def test_weighted_covariate_clustered_variance_equals_dense_theorem3(mpdta):
    result = did_imputation(
        mpdta,
        "lemp",
        "year",
        "countyreal",
        "g",
        xformla="~ x",
        weightsname="w",
        clustervars="state",
    )
    reference = _dense_reference(mpdta, ["x"], "w", "state")
    ours = np.concatenate([result.coef.to_numpy(), [result.overall_att]])
    np.testing.assert_allclose(ours, reference["estimates"], rtol=0, atol=TOL)
    np.testing.assert_allclose(result.vcov, reference["vcov"][:-1, :-1], rtol=0, atol=TOL)
    assert result.overall_se == pytest.approx(np.sqrt(reference["vcov"][-1, -1]), abs=TOL)
    assert result.n_clusters == 29
    # The implied weights are orthogonal to every step-1 regressor over the whole sample.
    assert np.abs(reference["Z"].T @ reference["v"]).max() < 1e-10


def test_standard_errors_match_diff_diff(mpdta, basic):
    import diff_diff

    for covariates in (None, ["x"]):
        ours = (
            basic
            if covariates is None
            else did_imputation(mpdta, "lemp", "year", "countyreal", "g", xformla=covariates)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = diff_diff.ImputationDiD().fit(
                mpdta,
                outcome="lemp",
                unit="countyreal",
                time="year",
                first_treat="g",
                covariates=covariates,
            )
            study = theirs.aggregate("event_study")
            pretest = theirs.pretrend_test(n_leads=3)
        post = study.event_time >= 0
        terms = [f"event_time::{e}" for e in study.event_time[post]]
        np.testing.assert_allclose(ours.coef[terms], study.att[post], rtol=0, atol=1e-9)
        np.testing.assert_allclose(ours.se[terms], study.se[post], rtol=0, atol=TOL)
        assert ours.overall_att == pytest.approx(theirs.overall_att, abs=1e-9)
        assert ours.overall_se == pytest.approx(theirs.overall_se, abs=TOL)
        if covariates is None:
            # Leads -3..-1 and diff-diff's -4..-2 span the same space: same joint test.
            assert ours.pretrend_test.statistic == pytest.approx(pretest["f_stat"], rel=1e-9)
            assert ours.pretrend_test.pvalue == pytest.approx(pretest["p_value"], rel=1e-8)


def test_pretrend_leads_equal_fixest_style_regression_on_untreated(basic, mpdta):
    untreated = mpdta[mpdta["year"] < mpdta["g"].replace(0, np.inf)].copy()
    relative = untreated["year"] - untreated["g"]
    for e in (1, 2, 3):
        untreated[f"lead{e}"] = (relative == -e).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(
            "lemp ~ lead3 + lead2 + lead1 | countyreal + year",
            untreated,
            vcov={"CRV1": "countyreal"},
            fixef_rm="none",
            fixef_tol=1e-14,
        )
    leads = ["event_time::-3", "event_time::-2", "event_time::-1"]
    np.testing.assert_allclose(basic.coef[leads], fit.coef(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(basic.se[leads], fit.se(), rtol=0, atol=1e-8)
    assert basic.num_pre_periods == 3 and basic.num_post_periods == 4
    assert basic.to_frame()["n_obs"].tolist() == [171, 171, 191, 191, 60, 20, 20]


def test_matches_pyfixest_did2s_where_it_runs(mpdta):
    # did2s drops the 2004 cohort's single untreated year as a singleton and then fails on
    # mpdta; without that cohort it runs. Its demeaning tolerance cannot be tightened.
    data = mpdta[mpdta["g"] != 2004].copy()
    treated = data["year"] >= data["g"].replace(0, np.inf)
    data["treat"] = treated.astype(int)
    data["rel"] = np.where(treated, data["year"] - data["g"], -1).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.did2s(
            data,
            yname="lemp",
            first_stage="~ 0 | countyreal + year",
            second_stage="~ i(rel, ref=-1)",
            treatment="treat",
            cluster="countyreal",
        )
    ours = did_imputation(data, "lemp", "year", "countyreal", "g")
    np.testing.assert_allclose(ours.coef, fit.coef(), rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def df_het() -> pd.DataFrame:
    # R did2s's example data (46,500 unit-years, 1990-2020; see tests/data/README.md).
    return pd.read_csv(REFERENCE_DIR / "did2s_df_het.csv.gz")


def test_state_and_year_first_stage_reproduces_the_did2s_readme(df_het):
    # did2s README: did2s(df_het, yname = "dep_var", first_stage = ~ 0 | state + year,
    # second_stage = ~ i(treat, ref = FALSE), treatment = "treat", cluster_var = "state")
    # prints treat = TRUE 2.152*** (0.0476), 46,500 observations. The point estimate is the
    # imputation estimator's overall ATT with state (not unit) effects in the first stage; the
    # printed SE is Gardner's GMM SE, which Theorem 3 does not reproduce (checked below).
    result = did_imputation(
        df_het,
        "dep_var",
        "year",
        "unit",
        "g",
        first_stage="~ 0 | state + year",
        clustervars="state",
    )
    assert round(result.overall_att, 3) == 2.152
    assert result.n_obs == 46_500 and result.n_not_imputable == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        static = pf.did2s(
            df_het,
            yname="dep_var",
            first_stage="~ 0 | state + year",
            second_stage="~ i(treat, ref=0)",
            treatment="treat",
            cluster="state",
        )
    assert static.coef().iat[0] == pytest.approx(result.overall_att, abs=1e-6)
    assert round(float(static.se().iat[0]), 4) == 0.0476  # the README's SE, for the record
    # Theorem-3 variance with explicit state and year dummies.
    reference = _dense_reference(
        df_het, [], None, "state", yname="dep_var", fixed_effects=("state", "year")
    )
    ours = np.concatenate([result.coef.to_numpy(), [result.overall_att]])
    np.testing.assert_allclose(ours, reference["estimates"], rtol=0, atol=TOL)
    np.testing.assert_allclose(result.vcov, reference["vcov"][:-1, :-1], rtol=0, atol=TOL)
    assert result.overall_se == pytest.approx(np.sqrt(reference["vcov"][-1, -1]), abs=TOL)
    # The unit-and-year default is a different estimator on these data.
    default = did_imputation(df_het, "dep_var", "year", "unit", "g", clustervars="state")
    assert abs(default.overall_att - result.overall_att) > 1e-3


def test_state_and_year_event_study_matches_did2s(df_het):
    # did2s README, event study: second_stage = ~ i(rel_year, ref = Inf) with the same first
    # stage. Its post-period coefficients are the imputation estimates by event time (its
    # leads are mean first-stage residuals, not Test-1 leads, so only event times >= 0 are
    # compared). pyfixest's did2s stands in for R's (it matches the README's static table).
    data = df_het.assign(rel=df_het["rel_year"].replace(np.inf, -1000.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.did2s(
            data,
            yname="dep_var",
            first_stage="~ 0 | state + year",
            second_stage="~ i(rel, ref=-1000.0)",
            treatment="treat",
            cluster="state",
        )
    theirs = fit.coef()
    ours = did_imputation(
        df_het, "dep_var", "year", "unit", "g", first_stage=["state", "year"], clustervars="state"
    )
    assert ours.event_times == list(range(21))
    expected = [theirs[f"rel::{float(e)}"] for e in ours.event_times]
    # pyfixest demeans the two-way effects iteratively (tolerance 1e-6 on the sums); our
    # estimates are exact (the dense check above), so they agree to that convergence.
    np.testing.assert_allclose(ours.coef.to_numpy(), expected, rtol=0, atol=2e-5)
    # The README's plot: estimates track the true effects te + te_dynamic.
    treated = df_het[df_het["treat"] == 1]
    truth = (treated["te"] + treated["te_dynamic"]).groupby(treated["rel_year"]).mean()
    assert np.abs(ours.coef.to_numpy() - truth.loc[0:20].to_numpy()).max() < 0.25


def test_state_and_year_first_stage_leads_use_the_same_effects(df_het):
    # Test 1 with a custom first stage: leads on the untreated rows with state and year
    # effects, CRV1 by state (pyfixest's feols, fixest's conventions).
    result = did_imputation(
        df_het,
        "dep_var",
        "year",
        "unit",
        "g",
        first_stage="~ 0 | state + year",
        clustervars="state",
        pretrends=3,
        horizons=[0],
    )
    untreated = df_het[df_het["treat"] == 0].copy()
    relative = untreated["year"] - untreated["g"].replace(0, np.inf)
    for lead in (3, 2, 1):
        untreated[f"lead{lead}"] = (relative == -lead).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecations inside pyfixest
        fit = pf.feols(
            "dep_var ~ lead3 + lead2 + lead1 | state + year",
            data=untreated,
            vcov={"CRV1": "state"},
        )
    leads = result.to_frame().iloc[:3]
    np.testing.assert_allclose(leads["estimate"], fit.coef(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(leads["se"], fit.se(), rtol=1e-6)
    assert result.pretrend_test.df2 == 39  # 40 state clusters


def test_first_stage_default_is_unit_and_time_effects(mpdta, basic):
    explicit = did_imputation(
        mpdta, "lemp", "year", "countyreal", "g", pretrends=3, first_stage="~ 0 | countyreal + year"
    )
    pd.testing.assert_series_equal(explicit.coef, basic.coef, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(explicit.vcov, basic.vcov, rtol=0, atol=1e-12)
    # Covariates may sit left of the bar, as in did2s's first_stage = ~ x | fe1 + fe2.
    left = did_imputation(
        mpdta, "lemp", "year", "countyreal", "g", first_stage="~ x | countyreal + year"
    )
    right = did_imputation(mpdta, "lemp", "year", "countyreal", "g", xformla="~ x")
    pd.testing.assert_series_equal(left.coef, right.coef, rtol=0, atol=1e-12)


def test_first_stage_errors_name_the_problem(mpdta):
    args = (mpdta, "lemp", "year", "countyreal", "g")
    with pytest.raises(ValueError, match="columns not found in data: \\['region'\\]"):
        did_imputation(*args, first_stage=["region", "year"])
    with pytest.raises(ValueError, match="first_stage"):
        did_imputation(*args, first_stage="~ 0 + countyreal + year")
    with pytest.raises(ValueError, match="first_stage"):
        did_imputation(*args, first_stage=[])
    with pytest.raises(SingularDesignError):
        did_imputation(*args, first_stage=["countyreal", "state", "year"])


def test_effects_without_never_treated_units_are_imputed_only_where_identified(mpdta):
    treated_only = mpdta[mpdta["g"] > 0]
    result = did_imputation(treated_only, "lemp", "year", "countyreal", "g")
    # 2007 has no untreated unit left: its treated rows cannot be imputed (BJS Prop. 5).
    in_2007 = (treated_only["year"] == 2007) & (treated_only["year"] >= treated_only["g"])
    assert result.n_not_imputable == int(in_2007.sum())
    assert 2007 not in set(result.effects["year"])
    assert "left out: " in result.summary()
    # Hand imputation with explicit dummies on the identified rows.
    data = treated_only.reset_index(drop=True)
    untreated = data[data["year"] < data["g"]]
    Z0 = np.column_stack(
        [pd.get_dummies(untreated["countyreal"]), pd.get_dummies(untreated["year"]).iloc[:, 1:]]
    ).astype(float)
    theta = np.linalg.lstsq(Z0, untreated["lemp"], rcond=None)[0]
    units = sorted(untreated["countyreal"].unique())
    years = sorted(untreated["year"].unique())
    rows = data[(data["year"] >= data["g"]) & (data["year"] < 2007)]
    fitted = [
        theta[units.index(u)] + (theta[len(units) + years.index(t) - 1] if t != years[0] else 0)
        for u, t in zip(rows["countyreal"], rows["year"], strict=True)
    ]
    assert result.overall_att == pytest.approx(np.mean(rows["lemp"] - fitted), abs=TOL)


def test_bootstrap_reproduces_the_analytic_standard_errors(mpdta, basic):
    boot = did_imputation(
        mpdta,
        "lemp",
        "year",
        "countyreal",
        "g",
        pretrends=3,
        bstrap=True,
        biters=2000,
        cband=True,
        random_state=5,
    )
    np.testing.assert_allclose(boot.se, basic.se, rtol=0.1)
    assert boot.overall_se == pytest.approx(basic.overall_se, rel=0.1)
    assert boot.crit_val > basic.crit_val  # a uniform band is wider than pointwise intervals
    again = did_imputation(
        mpdta,
        "lemp",
        "year",
        "countyreal",
        "g",
        pretrends=3,
        bstrap=True,
        biters=2000,
        cband=True,
        random_state=5,
    )
    assert again.crit_val == boot.crit_val
    np.testing.assert_array_equal(again.se, boot.se)
    # The covariance keeps the analytic correlations.
    correlation = boot.vcov / np.outer(boot.se, boot.se)
    expected = basic.vcov / np.outer(basic.se, basic.se)
    np.testing.assert_allclose(correlation, expected, atol=1e-12)


def test_result_conventions(basic, mpdta):
    frame = basic.to_frame()
    assert list(frame.columns) == [
        "term",
        "event_time",
        "estimate",
        "se",
        "t",
        "p_value",
        "ci_lower",
        "ci_upper",
        "n_obs",
        "n_clusters",
    ]
    assert basic.event_times == [-3, -2, -1, 0, 1, 2, 3]
    block = basic.vcov.loc[basic.event_terms, basic.event_terms].to_numpy()
    assert np.allclose(block, block.T) and np.all(np.linalg.eigvalsh(block) > 0)
    lower, upper = basic.overall_ci
    assert lower < basic.overall_att < upper
    text = basic.summary()
    assert "ATT (all treated)" in text and "F(3, 499)" in text
    assert len(basic.plot().data) == 1
    only = did_imputation(mpdta, "lemp", "year", "countyreal", "g", horizons=[0, 2])
    assert only.event_times == [0, 2] and only.overall_att == pytest.approx(basic.overall_att)


def test_rejects_bad_requests(mpdta):
    args = (mpdta, "lemp", "year", "countyreal", "g")
    with pytest.raises(ValueError, match="horizons must be event times >= 0"):
        did_imputation(*args, horizons=[-1, 0])
    with pytest.raises(ValueError, match=r"horizon\(s\) \[7\]"):
        did_imputation(*args, horizons=[7])
    with pytest.raises(ValueError, match="pretrends must be a positive integer"):
        did_imputation(*args, pretrends=0)
    with pytest.raises(ValueError, match="no untreated observation at event time"):
        did_imputation(*args, pretrends=5)
    with pytest.raises(SingularDesignError, match="lpop"):
        did_imputation(*args, xformla="~ lpop")


def _growing_effect_panel(seed: int = 1) -> pd.DataFrame:
    """200 schools × 2008-2017: three staggered cohorts of 50 and 50 never partnered.

    School means of z-scores with an intra-class correlation of 0.2 (school effects of
    variance 0.2, student noise of variance 0.8 averaged over 60 students), a common trend,
    and an effect that grows with exposure: 0.04 in the first year, +0.04 each year after.
    """
    rng = np.random.default_rng(seed)
    cohorts = np.repeat([2010, 2012, 2014, 0], 50)
    years = np.arange(2008, 2018)
    school = np.repeat(np.arange(len(cohorts)), len(years))
    year = np.tile(years, len(cohorts))
    cohort = cohorts[school]
    exposure = np.where((cohort > 0) & (year >= cohort), year - cohort, -1)
    tau = np.where(exposure >= 0, 0.04 * (exposure + 1), 0.0)
    z = (
        rng.normal(0, np.sqrt(0.2), len(cohorts))[school]
        + 0.02 * (year - 2008)
        + tau
        + rng.normal(0, np.sqrt(0.8 / 60), len(school))
    )
    return pd.DataFrame(
        {"school": school, "year": year, "cohort": cohort, "z": z, "tau": tau, "e": exposure}
    )


@pytest.fixture(scope="module")
def growing() -> pd.DataFrame:
    return _growing_effect_panel()


def test_robust_estimators_recover_a_growing_effect_that_twfe_misses(growing):
    truth = growing.loc[growing["e"] >= 0, "tau"].mean()
    by_exposure = growing[growing["e"] >= 0].groupby("e")["tau"].mean()
    args = (growing, "z", "year", "school", "cohort")

    imputation = did_imputation(*args)
    abraham = sun_abraham(*args)
    callaway = aggte(att_gt(*args, control_group="notyettreated"), type="simple")
    for estimate, se in (
        (imputation.overall_att, imputation.overall_se),
        (abraham.overall_att, abraham.overall_se),
        (callaway.overall_att, callaway.overall_se),
    ):
        assert abs(estimate - truth) < 2 * se
    for result in (imputation, abraham):
        post = result.to_frame().query("event_time >= 0").set_index("event_time")
        gap = (post["estimate"] - by_exposure.loc[post.index]).abs()
        assert (gap < 3 * post["se"]).all()

    static = twfe(*args)
    twfe_estimate, twfe_se = static.coef.iloc[0], static.se.iloc[0]
    # Already-treated schools serve as controls while their effect keeps growing.
    assert twfe_estimate < truth - 4 * twfe_se
    assert twfe_estimate < 0.7 * truth


def test_bacon_decomposition_explains_the_twfe_gap(growing):
    data = growing.assign(treat=(growing["e"] >= 0).astype(int))
    decomposition = bacon_decomposition(data, "z", "year", "school", "treat")
    static = twfe(growing, "z", "year", "school", "cohort")
    assert decomposition.twfe == pytest.approx(static.coef.iloc[0], abs=1e-8)
    frame = decomposition.to_frame()
    assert (frame["weight"] * frame["estimate"]).sum() == pytest.approx(decomposition.twfe)
    # Comparisons that use already-treated schools as controls carry much of the weight and,
    # because those controls' effects keep growing, come out negative: TWFE is dragged down.
    by_type = decomposition.by_type().set_index("type")
    truth = growing.loc[growing["e"] >= 0, "tau"].mean()
    assert by_type.loc["later vs earlier treated", "weight"] > 0.25
    assert by_type.loc["later vs earlier treated", "estimate"] < 0 < truth


def test_overall_scores_give_the_variance_and_combine_fits_on_the_same_clusters(mpdta):
    """Var(overall ATT) is the sum of squared cluster scores, and the estimator is linear in
    the outcome: the fit on y1 - y2 is the difference of the fits, with the standard error
    that the difference of their scores gives. So separate fits can be tested jointly."""
    rng = np.random.default_rng(4)
    data = mpdta.assign(other=mpdta["lemp"] * 0.9 + rng.normal(0, 0.02, len(mpdta)))
    data["gap"] = data["lemp"] - data["other"]
    fits = {
        name: did_imputation(data, name, "year", "countyreal", "first.treat")
        for name in ("lemp", "other", "gap")
    }
    for fit in fits.values():
        assert np.sqrt((fit.overall_scores**2).sum()) == pytest.approx(fit.overall_se, rel=1e-12)
        assert list(fit.overall_scores.index) == sorted(data["countyreal"].unique())
    gap = fits["gap"]
    assert fits["lemp"].overall_att - fits["other"].overall_att == pytest.approx(gap.overall_att)
    difference = fits["lemp"].overall_scores - fits["other"].overall_scores
    assert np.sqrt((difference**2).sum()) == pytest.approx(gap.overall_se, rel=1e-9)
    # Treating the two fits as independent would overstate the difference's error here.
    assert np.hypot(fits["lemp"].overall_se, fits["other"].overall_se) > 1.5 * gap.overall_se
