"""TWFE static and event-study estimates against pyfixest (fixest's Python twin), to 1e-8.

pyfixest is a dev-only oracle: it mirrors fixest's CRV1 small-sample convention
(ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min") is fixest's
ssc(adj=TRUE, fixef.K="nested", cluster.adj=TRUE)). Its demeaning tolerance is tightened so
that its own iteration error does not hide ours.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from pipelines.did.twfe import STATIC_TERM, twfe
from tests.conftest import REFERENCE_DIR

TOL = 1e-8


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE_DIR / "mpdta.csv")
    rng = np.random.default_rng(20240601)
    # lpop is constant within county; a time-varying covariate exercises the covariate path.
    data["x_tv"] = data["lpop"] * (data["year"] - 2005) / 10 + rng.normal(size=len(data))
    data["state"] = data["countyreal"] // 1000
    data["g"] = data["first.treat"]
    return data


@pytest.fixture(scope="module")
def ehec() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE_DIR / "ehec_data.csv")
    rng = np.random.default_rng(7)
    data["x_tv"] = rng.normal(size=len(data)) + 0.01 * (data["year"] - 2008)
    data["g"] = data["yexp2"].fillna(0)
    return data


def _oracle(formula: str, data: pd.DataFrame, cluster: str, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(
            formula, data, vcov={"CRV1": cluster}, fixef_rm="none", fixef_tol=1e-14, **kwargs
        )
    return fit.tidy()


def _with_treat_post(data: pd.DataFrame) -> pd.DataFrame:
    out = data.copy()
    out["treat_post"] = ((out["g"] > 0) & (out["year"] >= out["g"])).astype(float)
    return out


def _with_event_time(data: pd.DataFrame, ref: int = -1, bins=None) -> pd.DataFrame:
    out = data.copy()
    rel = out["year"] - out["g"]
    if bins is not None:
        rel = rel.clip(*bins)
    # fixest idiom: never-treated units sit in the reference category, so all their dummies are 0.
    out["rel"] = np.where(out["g"] > 0, rel, ref).astype(int)
    return out


def _assert_matches(ours: pd.DataFrame, oracle: pd.DataFrame, oracle_terms: list[str]) -> None:
    ours = ours.set_index("term")
    assert len(ours) == len(oracle_terms)
    np.testing.assert_allclose(ours["estimate"], oracle.loc[oracle_terms, "Estimate"], 0, TOL)
    np.testing.assert_allclose(ours["se"], oracle.loc[oracle_terms, "Std. Error"], 0, TOL)
    np.testing.assert_allclose(ours["t"], oracle.loc[oracle_terms, "t value"], 1e-7, 0)
    np.testing.assert_allclose(ours["p_value"], oracle.loc[oracle_terms, "Pr(>|t|)"], 1e-6, 1e-12)
    np.testing.assert_allclose(ours["ci_lower"], oracle.loc[oracle_terms, "2.5%"], 0, TOL)
    np.testing.assert_allclose(ours["ci_upper"], oracle.loc[oracle_terms, "97.5%"], 0, TOL)


@pytest.mark.parametrize(
    ("xformla", "cluster"),
    [(None, "countyreal"), ("~ x_tv", "countyreal"), (None, "state"), ("~ x_tv", "year")],
)
def test_static_mpdta_matches_pyfixest(mpdta, xformla, cluster):
    ours = twfe(
        mpdta, "lemp", "year", "countyreal", "first.treat", xformla=xformla, clustervars=cluster
    )
    rhs = "treat_post" + (" + x_tv" if xformla else "")
    oracle = _oracle(f"lemp ~ {rhs} | countyreal + year", _with_treat_post(mpdta), cluster)
    _assert_matches(ours.to_frame(), oracle, ["treat_post"] + (["x_tv"] if xformla else []))
    assert ours.n_clusters == mpdta[cluster].nunique()


def test_event_study_mpdta_matches_pyfixest(mpdta):
    ours = twfe(mpdta, "lemp", "year", "countyreal", "first.treat", xformla=["x_tv"], dynamic=True)
    oracle = _oracle(
        "lemp ~ i(rel, ref=-1) + x_tv | countyreal + year", _with_event_time(mpdta), "countyreal"
    )
    frame = ours.to_frame()
    assert frame["event_time"].dropna().tolist() == [-4, -3, -2, 0, 1, 2, 3]
    _assert_matches(frame, oracle, [f"rel::{e}" for e in (-4, -3, -2, 0, 1, 2, 3)] + ["x_tv"])
    assert (ours.num_pre_periods, ours.num_post_periods) == (3, 4)


@pytest.mark.parametrize("weights", [None, "W"])
def test_static_ehec_matches_pyfixest(ehec, weights):
    ours = twfe(ehec, "dins", "year", "stfips", "yexp2", xformla="~ x_tv", weightsname=weights)
    oracle = _oracle(
        "dins ~ treat_post + x_tv | stfips + year",
        _with_treat_post(ehec),
        "stfips",
        weights=weights,
    )
    _assert_matches(ours.to_frame(), oracle, ["treat_post", "x_tv"])


@pytest.mark.parametrize(
    ("weights", "ref", "bins"), [(None, -1, None), ("W", -1, None), ("W", -2, (-5, 4))]
)
def test_event_study_ehec_matches_pyfixest(ehec, weights, ref, bins):
    ours = twfe(
        ehec,
        "dins",
        "year",
        "stfips",
        "yexp2",
        dynamic=True,
        ref_period=ref,
        bin_endpoints=bins,
        weightsname=weights,
    )
    oracle = _oracle(
        f"dins ~ i(rel, ref={ref}) | stfips + year",
        _with_event_time(ehec, ref, bins),
        "stfips",
        weights=weights,
    )
    event_times = ours.event_times
    assert ref not in event_times
    if bins:
        assert (min(event_times), max(event_times)) == bins
        assert ours.event_terms[0] == "event_time::<=-5"
    _assert_matches(ours.to_frame(), oracle, [f"rel::{e}" for e in event_times])


def test_unbalanced_panel_with_weights_matches_pyfixest(mpdta):
    # Dropping rows breaks the one-sweep closed form: alternating projections must iterate.
    rng = np.random.default_rng(3)
    data = mpdta[rng.random(len(mpdta)) > 0.25].copy()
    data["w"] = rng.uniform(0.5, 2.0, len(data))
    ours = twfe(
        data,
        "lemp",
        "year",
        "countyreal",
        "first.treat",
        xformla="~ x_tv",
        weightsname="w",
        clustervars="state",
    )
    oracle = _oracle(
        "lemp ~ treat_post + x_tv | countyreal + year", _with_treat_post(data), "state", weights="w"
    )
    _assert_matches(ours.to_frame(), oracle, ["treat_post", "x_tv"])


def test_fixest_small_sample_convention(mpdta):
    """K counts FE not nested in the clusters, as documented for fixest's ssc(fixef.K="nested")."""
    n, units, years = len(mpdta), mpdta["countyreal"].nunique(), mpdta["year"].nunique()
    by_unit = twfe(mpdta, "lemp", "year", "countyreal", "first.treat")
    # unit FE nested in unit clusters: K = 1 slope + 5 year effects
    assert by_unit.fit.dof_k == 1 + years
    assert by_unit.fit.ssc == pytest.approx(units / (units - 1) * (n - 1) / (n - 1 - years))
    by_year = twfe(mpdta, "lemp", "year", "countyreal", "first.treat", clustervars="year")
    # year FE nested in year clusters, unit FE not: K = 1 + 500
    assert by_year.fit.dof_k == 1 + units
    assert by_year.df_t == years - 1


def test_missing_outcomes_are_dropped_and_counted(mpdta):
    data = mpdta.copy()
    data.loc[data.index[:7], "lemp"] = np.nan
    result = twfe(data, "lemp", "year", "countyreal", "first.treat")
    assert result.n_obs == len(data) - 7
    assert result.n_dropped_missing == 7
    assert "dropped for missing values: 7" in result.summary()


def test_bad_input_raises_clear_errors(mpdta):
    args = ("lemp", "year", "countyreal", "first.treat")
    with pytest.raises(ValueError, match="not found"):
        twfe(mpdta, "nope", *args[1:])
    with pytest.raises(ValueError, match="must be numeric"):
        twfe(mpdta.assign(lemp=mpdta["lemp"].astype(str)), *args)
    changing = mpdta.copy()
    changing.loc[changing.index[0], "first.treat"] = 2004
    with pytest.raises(ValueError, match="changes over time"):
        twfe(changing, *args)
    with pytest.raises(ValueError, match="collinear with the fixed effects"):
        twfe(mpdta, *args, xformla="~ lpop")
    with pytest.raises(ValueError, match="collinear with the other"):
        twfe(mpdta.assign(x2=2 * mpdta["x_tv"]), *args, xformla="~ x_tv + x2")
    with pytest.raises(ValueError, match="repeated"):
        twfe(pd.concat([mpdta, mpdta.iloc[:1]]), *args)
    with pytest.raises(ValueError, match="strictly positive"):
        twfe(mpdta.assign(w=0.0), *args, weightsname="w")
    with pytest.raises(ValueError, match="reference period"):
        twfe(mpdta, *args, dynamic=True, ref_period=-9)


def test_summary_and_plot(mpdta):
    result = twfe(mpdta, "lemp", "year", "countyreal", "first.treat", dynamic=True)
    text = result.summary()
    assert "event_time::-4" in text and "Reference period (omitted): event time -1" in text
    figure = result.plot()
    estimates = figure.data[0]
    assert list(estimates.x) == [-4, -3, -2, 0, 1, 2, 3]
    np.testing.assert_allclose(estimates.y, result.coef[result.event_terms])
    assert list(figure.data[1].x) == [-1] and list(figure.data[1].y) == [0.0]
    assert STATIC_TERM in twfe(mpdta, "lemp", "year", "countyreal", "first.treat").summary()
