"""Sun & Abraham against fixest's printed output on base_stagg, and against pyfixest to 1e-8.

Reference numbers (fixest 0.12, printed in its documentation):
- with the covariate x1: `etable(feols(y ~ x1 + sunab(year_treated, year) | id + year,
  base_stagg))` and `summary(res_sunab, agg = "ATT")`, from the examples of `?sunab`
  (github.com/lrberge/fixest, docs/reference/sunab.html);
- without covariates: `feols(y ~ sunab(year_treated, year) | id + year, base_stagg)`, printed
  by the fixest author in lrberge/fixest issue #287.
Each number is checked to half a unit of its last printed digit. pyfixest's saturated event
study (which cannot take covariates) is the full-precision oracle without them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from scipy import stats

from pipelines.did.sun_abraham import NEVER_TREATED, sun_abraham
from pipelines.did.wild_bootstrap import wild_bootstrap
from tests.conftest import REFERENCE_DIR

TOL = 1e-8

# etable: event time -> (estimate, SE) as printed (4 significant digits).
FIXEST_X1 = {
    -9: ("0.3518", "0.3591"),
    -8: ("-0.0790", "0.2975"),
    -7: ("0.1010", "0.3670"),
    -6: ("-0.0564", "0.3089"),
    -5: ("-0.2953", "0.2940"),
    -4: ("-0.3037", "0.2491"),
    -3: ("-0.0884", "0.2558"),
    -2: ("0.0847", "0.2443"),
    0: ("-5.188", "0.2211"),
    1: ("-3.540", "0.2128"),
    2: ("-2.155", "0.2258"),
    3: ("-0.7750", "0.2771"),
    4: ("1.069", "0.3104"),
    5: ("2.118", "0.4481"),
    6: ("4.631", "0.4604"),
    7: ("4.890", "0.3394"),
    8: ("6.244", "0.2976"),
}
# summary(res_sunab, agg = "ATT"): estimate, SE, t, p.
FIXEST_X1_ATT = ("-1.133749", "0.205070", "-5.52858", "2.882e-07")
FIXEST_X1_COEF = ("0.994678", "0.018378")
# Issue #287, no covariates: event time -> (estimate, SE, t, p).
FIXEST_NO_COVARIATES = {
    -9: ("2.343297", "1.122482", "2.087603", "0.039539"),
    -8: ("-0.866391", "1.186767", "-0.730043", "0.467179"),
    -7: ("-0.345837", "0.713641", "-0.484608", "0.629082"),
    -6: ("-0.471113", "0.731894", "-0.643691", "0.521343"),
    -5: ("-0.796544", "0.527162", "-1.511005", "0.134142"),
    -4: ("-0.280033", "0.429222", "-0.652419", "0.515723"),
    -3: ("-0.315766", "0.528401", "-0.597587", "0.551552"),
    -2: ("0.241325", "0.457825", "0.527113", "0.599357"),
}


def _close_to_printed(value: float, printed: str) -> bool:
    """|value − printed| ≤ half a unit of the printed number's last significant digit."""
    mantissa = printed.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(printed.lower().split("e")[1]) if "e" in printed.lower() else 0
    return abs(value - float(printed)) <= 0.5 * 10 ** (exponent - decimals) * (1 + 1e-9)


@pytest.fixture(scope="module")
def base_stagg() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE_DIR / "base_stagg.csv")
    data["g"] = data["year_treated"].where(data["year_treated"] < 10000, 0)
    return data


@pytest.fixture(scope="module")
def with_x1(base_stagg):
    return sun_abraham(base_stagg, "y", "year", "id", "year_treated", xformla="~ x1")


def _saturated_oracle(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pf.event_study(
            data, yname="y", idname="id", tname="year", gname="g", estimator="saturated"
        )
        aggregated = model.aggregate().astype(float)
    return aggregated, model.tidy()


def test_matches_fixest_printed_output_with_covariate(with_x1):
    frame = with_x1.to_frame().set_index("term")
    for e, (estimate, se) in FIXEST_X1.items():
        row = frame.loc[f"event_time::{e}"]
        assert _close_to_printed(row["estimate"], estimate), (e, row["estimate"], estimate)
        assert _close_to_printed(row["se"], se), (e, row["se"], se)
    assert _close_to_printed(frame.loc["x1", "estimate"], FIXEST_X1_COEF[0])
    assert _close_to_printed(frame.loc["x1", "se"], FIXEST_X1_COEF[1])
    att, se, t, p = FIXEST_X1_ATT
    assert _close_to_printed(with_x1.overall_att, att)
    assert _close_to_printed(with_x1.overall_se, se)
    assert _close_to_printed(with_x1.overall_att / with_x1.overall_se, t)
    p_value = 2 * stats.t.sf(abs(float(t)), with_x1.df_t)
    assert _close_to_printed(p_value, p)
    assert with_x1.df_t == 94 and with_x1.n_obs == 950 and with_x1.n_clusters == 95


def test_matches_fixest_printed_output_without_covariates(base_stagg):
    result = sun_abraham(base_stagg, "y", "year", "id", "year_treated")
    frame = result.to_frame().set_index("event_time")
    for e, printed in FIXEST_NO_COVARIATES.items():
        row = frame.loc[e]
        for column, value in zip(("estimate", "se", "t", "p_value"), printed, strict=True):
            assert _close_to_printed(row[column], value), (e, column, row[column], value)


def test_matches_pyfixest_saturated_event_study(base_stagg):
    aggregated, cells = _saturated_oracle(base_stagg)
    result = sun_abraham(base_stagg, "y", "year", "id", "g")
    frame = result.to_frame().set_index("event_time")
    assert list(frame.index) == [int(e) for e in aggregated.index]
    np.testing.assert_allclose(frame["estimate"], aggregated["Estimate"], rtol=0, atol=TOL)
    np.testing.assert_allclose(frame["se"], aggregated["Std. Error"], rtol=0, atol=TOL)
    # The cohort × relative-period CATTs themselves.
    oracle = cells["Estimate"].rename(
        lambda name: "event_time::{}:cohort::{}".format(
            int(float(name.split("::")[1].split(":")[0])), name.rsplit("::", 1)[1]
        )
    )
    ours = result.cohort_effects.set_index("term")
    np.testing.assert_allclose(ours["estimate"], oracle.loc[ours.index], rtol=0, atol=TOL)
    np.testing.assert_allclose(
        ours["se"],
        cells["Std. Error"].to_numpy()[oracle.index.get_indexer(ours.index)],
        rtol=0,
        atol=TOL,
    )


def test_last_treated_cohort_is_the_control_without_never_treated(base_stagg):
    treated_only = base_stagg[base_stagg["g"] > 0]
    result = sun_abraham(treated_only, "y", "year", "id", "g")
    assert result.control_cohort == 10.0
    # The same regression by hand: cohort 10 recoded as never treated, years before 10 only.
    trimmed = treated_only[treated_only["year"] < 10].assign(
        g=lambda d: d["g"].where(d["g"] < 10, 0)
    )
    aggregated, _ = _saturated_oracle(trimmed)
    frame = result.to_frame().set_index("event_time")
    assert list(frame.index) == [int(e) for e in aggregated.index]
    np.testing.assert_allclose(frame["estimate"], aggregated["Estimate"], rtol=0, atol=TOL)
    np.testing.assert_allclose(frame["se"], aggregated["Std. Error"], rtol=0, atol=TOL)
    assert result.n_obs == len(trimmed)


def test_weights_enter_the_regression_and_the_shares(base_stagg):
    data = base_stagg.assign(w=1.0 + (base_stagg["id"] % 7) / 3.0)
    result = sun_abraham(data, "y", "year", "id", "g", xformla=["x1"], weightsname="w")
    cells = result.cohort_effects
    dummies = {}
    relative = data["year"] - data["g"]
    for row in cells.itertuples(index=False):
        name = f"c{int(row.cohort)}_e{row.event_time}".replace("-", "m")
        dummies[name] = ((data["g"] == row.cohort) & (relative == row.event_time)).astype(float)
    explicit = pd.concat([data, pd.DataFrame(dummies)], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(
            f"y ~ {' + '.join(dummies)} + x1 | id + year",
            explicit,
            weights="w",
            vcov={"CRV1": "id"},
            fixef_tol=1e-14,
        )
    coef, vcov = fit.coef(), fit._vcov
    names = list(fit.coef().index)
    order = [names.index(name) for name in dummies]
    np.testing.assert_allclose(cells["estimate"], coef.iloc[order], rtol=0, atol=TOL)
    # Shares are the cells' weight totals: rebuild the ATT combination from scratch.
    mass = np.array([data.loc[column.astype(bool), "w"].sum() for column in dummies.values()])
    post = (cells["event_time"] >= 0).to_numpy()
    share = np.where(post, mass, 0.0) / mass[post].sum()
    full = np.zeros(len(names))
    full[order] = share
    assert result.overall_att == pytest.approx(full @ coef.to_numpy(), abs=TOL)
    assert result.overall_se == pytest.approx(np.sqrt(full @ vcov @ full), abs=TOL)


def test_recovers_the_true_effects_of_base_stagg(with_x1, base_stagg):
    treated = base_stagg[base_stagg["g"] > 0]
    truth = treated.groupby("time_to_treatment")["treatment_effect_true"].mean()
    frame = with_x1.to_frame().dropna(subset=["event_time"]).set_index("event_time")
    gap = (frame["estimate"] - truth.loc[frame.index]).abs()
    assert (gap <= 3 * frame["se"]).all(), gap / frame["se"]
    true_att = base_stagg.loc[base_stagg["time_to_treatment"] >= 0, "treatment_effect_true"].mean()
    assert abs(with_x1.overall_att - true_att) <= with_x1.overall_se


def test_result_conventions_match_twfe_for_honestdid(with_x1):
    assert with_x1.event_times == [*range(-9, -1), *range(0, 9)]
    assert with_x1.num_pre_periods == 8 and with_x1.num_post_periods == 9
    terms = with_x1.event_terms
    assert with_x1.coef[terms].shape == (17,)
    block = with_x1.vcov.loc[terms, terms].to_numpy()
    assert np.allclose(block, block.T) and np.all(np.linalg.eigvalsh(block) > 0)
    frame = with_x1.to_frame()
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
    # Shares within an event time sum to one; the ATT weights cover the post cells only.
    assert np.allclose(with_x1.aggregation.sum(axis=1), 1.0)
    att_weights = with_x1.aggregation.loc["ATT"]
    post_terms = with_x1.cohort_effects.loc[with_x1.cohort_effects["event_time"] >= 0, "term"]
    assert set(att_weights[att_weights > 0].index) == set(post_terms)
    assert with_x1.control_cohort == NEVER_TREATED
    text = with_x1.summary()
    assert "ATT (e >= 0)" in text and "-1.1337" in text and "never treated" in text
    figure = with_x1.plot()
    assert len(figure.data) == 2 and list(figure.data[0].x) == [float(e) for e in range(-9, -1)] + [
        float(e) for e in range(0, 9)
    ]


def test_overall_att_feeds_the_wild_cluster_bootstrap(with_x1):
    weights = {term: w for term, w in with_x1.aggregation.loc["ATT"].items() if w > 0}
    boot = wild_bootstrap(with_x1, weights, B=99, random_state=3)
    assert boot.to_frame()["estimate"].iloc[0] == pytest.approx(with_x1.overall_att, abs=1e-12)
    assert boot.p_value < 0.05


def test_always_treated_units_are_dropped(base_stagg):
    extra = base_stagg[base_stagg["id"] == base_stagg["id"].iloc[0]].assign(
        id=-1, g=1, year_treated=1, y=lambda d: d["y"] + 5.0
    )
    result = sun_abraham(pd.concat([base_stagg, extra]), "y", "year", "id", "g")
    reference = sun_abraham(base_stagg, "y", "year", "id", "g")
    assert result.n_dropped_always_treated == 1
    np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=1e-12)
    assert "dropped: 1" in result.summary()


def test_rejects_a_cohort_without_the_reference_period(base_stagg):
    with pytest.raises(ValueError, match=r"cohort\(s\) \['2'\] have no observation"):
        sun_abraham(base_stagg, "y", "year", "id", "g", ref_period=-2)
    with pytest.raises(ValueError, match="columns not found"):
        sun_abraham(base_stagg, "y", "year", "id", "g", xformla="~ nope")
    never_only = base_stagg[base_stagg["g"].isin([0, 2])].assign(g=0)
    with pytest.raises(ValueError, match="no treated cohort"):
        sun_abraham(never_only, "y", "year", "id", "g")
