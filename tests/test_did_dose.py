"""Dose-response: ATT by dose group and the continuous curve ATT(d|d), ACRT(d|d)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.did import aggte, att_gt
from pipelines.did.dose import att_by_dose_group, dose_response, treated_doses

SCHOOLS = {"yname": "z", "tname": "year", "idname": "school", "gname": "cohort"}
YEARS = np.arange(2008, 2016)


def dose_panel(seed: int, effect, n_never: int = 300, n_treated: int = 60) -> pd.DataFrame:
    """Schools × years; treated schools (cohorts 2012 and 2013) gain effect(dose) once treated."""
    rng = np.random.default_rng(seed)
    n = n_never + n_treated
    cohort = np.zeros(n)
    cohort[n_never : n_never + n_treated // 2] = 2012
    cohort[n_never + n_treated // 2 :] = 2013
    dose = np.where(cohort > 0, rng.uniform(1, 5, n), np.nan)
    z = (
        rng.normal(0, 0.4, n)[:, None]
        + rng.normal(0, 0.05, len(YEARS))[None, :]
        + rng.normal(0, 0.1, (n, len(YEARS)))
    )
    treated_now = (cohort[:, None] > 0) & (YEARS[None, :] >= cohort[:, None])
    z = z + treated_now * np.nan_to_num(effect(dose))[:, None]
    return pd.DataFrame(
        {
            "school": np.repeat(np.arange(n), len(YEARS)),
            "year": np.tile(YEARS, n),
            "z": z.ravel(),
            "cohort": np.repeat(cohort, len(YEARS)),
            "minutes": np.repeat(dose, len(YEARS)),
        }
    )


def linear(dose):
    return 0.02 + 0.03 * dose


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return dose_panel(1, linear)


@pytest.fixture(scope="module")
def curve(panel):
    return dose_response(panel, **SCHOOLS, dose="minutes", random_state=0)


def test_dose_groups_reproduce_separate_att_gt_runs(panel):
    result = att_by_dose_group(panel, **SCHOOLS, dose="minutes", n_groups=3)
    frame = result.to_frame()
    assert list(frame.columns) == [
        "dose_group", "dose_min", "dose_max", "n_schools", "att", "se", "ci_lower", "ci_upper",
    ]  # fmt: skip
    assert list(frame["dose_group"]) == ["low", "middle", "high"]
    per_school = panel.groupby("school")[["cohort", "minutes"]].first()
    treated = per_school[per_school["cohort"] > 0]
    edges = treated["minutes"].quantile([1 / 3, 2 / 3]).to_numpy()
    members = {
        "low": treated.index[treated["minutes"] <= edges[0]],
        "middle": treated.index[(treated["minutes"] > edges[0]) & (treated["minutes"] <= edges[1])],
        "high": treated.index[treated["minutes"] > edges[1]],
    }
    never = per_school.index[per_school["cohort"] == 0]
    for row in frame.itertuples(index=False):
        ids = members[row.dose_group]
        alone = aggte(att_gt(panel[panel["school"].isin(ids.union(never))], **SCHOOLS), "simple")
        assert row.n_schools == len(ids)
        assert row.dose_min == treated.loc[ids, "minutes"].min()
        assert row.dose_max == treated.loc[ids, "minutes"].max()
        assert row.att == alone.overall_att
        assert row.se == alone.overall_se
        assert (row.ci_lower, row.ci_upper) == alone.overall_ci
    assert result.n_comparison == len(never)
    # Effects rise with dose in this panel: the high group beats the low one.
    assert frame["att"].iloc[2] > frame["att"].iloc[0]


def test_dose_as_series_bins_and_aggregation(panel):
    per_school = panel.groupby("school")["minutes"].first().dropna()
    from_series = att_by_dose_group(panel, **SCHOOLS, dose=per_school, n_groups=2)
    from_column = att_by_dose_group(panel, **SCHOOLS, dose="minutes", n_groups=2)
    pd.testing.assert_frame_equal(from_series.to_frame(), from_column.to_frame())
    binned = att_by_dose_group(
        panel, **SCHOOLS, dose="minutes", bins=[0, 2.5, 10], aggregation="dynamic"
    ).to_frame()
    assert binned["n_schools"].sum() == 60
    assert binned["dose_max"].iloc[0] <= 2.5 < binned["dose_min"].iloc[1]
    low = per_school.index[per_school <= 2.5].union(panel.loc[panel["cohort"] == 0, "school"])
    dynamic = aggte(att_gt(panel[panel["school"].isin(low)], **SCHOOLS), type="dynamic")
    assert binned["att"].iloc[0] == dynamic.overall_att


def test_treated_schools_without_a_dose_are_left_out(panel):
    doses = panel.groupby("school")["minutes"].first().dropna()
    doses = doses.drop(doses.index[:5])
    with pytest.warns(UserWarning, match="5 treated unit"):
        result = att_by_dose_group(panel, **SCHOOLS, dose=doses)
    assert result.to_frame()["n_schools"].sum() == 55
    # Schools first treated after the last year have no dose and count as never treated.
    late = panel.assign(cohort=np.where(panel["school"] == 0, 2030, panel["cohort"]))
    assert len(treated_doses(late, "school", "year", "cohort", "minutes")) == 60


def test_dose_group_errors(panel):
    with pytest.raises(ValueError, match="never-treated units only"):
        att_by_dose_group(panel, **SCHOOLS, dose="minutes", control_group="notyettreated")
    tied = panel.assign(minutes=np.where(panel["cohort"] > 0, 1.0, np.nan))
    with pytest.raises(ValueError, match="tied values"):
        att_by_dose_group(tied, **SCHOOLS, dose="minutes")
    with pytest.raises(ValueError, match="outside the given bins"):
        att_by_dose_group(panel, **SCHOOLS, dose="minutes", bins=[0, 2, 3])
    with pytest.raises(ValueError, match="dose column"):
        att_by_dose_group(panel, **SCHOOLS, dose="hours")


def test_curve_recovers_a_linear_dose_response_within_its_bands(curve):
    frame = curve.to_frame()
    truth = linear(frame["dose"])
    assert ((frame["att_band_lower"] <= truth) & (truth <= frame["att_band_upper"])).all()
    assert ((frame["acrt_band_lower"] <= 0.03) & (frame["acrt_band_upper"] >= 0.03)).all()
    # Informative, not just wide: the band excludes zero effect in the middle of the doses.
    middle = frame.iloc[len(frame) // 2]
    assert middle["att_band_lower"] > 0 and middle["att_band_upper"] - middle["att"] < 0.06
    # Uniform bands contain the pointwise intervals.
    assert (frame["att_band_lower"] <= frame["att_ci_lower"] + 1e-12).all()
    assert (frame["acrt_band_upper"] >= frame["acrt_ci_upper"] - 1e-12).all()
    assert curve.att.crit_val > 1.96
    assert curve.degree == 1 and set(curve.cv_scores) == {1, 2, 3}


def test_average_att_equals_the_cs_aggregations(panel, curve):
    group = aggte(att_gt(panel, **SCHOOLS), type="group")
    assert curve.overall_att == pytest.approx(group.overall_att, abs=1e-10)
    # The bootstrap resamples comparison schools too: its SE is close to the analytic one.
    assert curve.overall_att_se == pytest.approx(group.overall_se, rel=0.2)
    at_one = dose_response(panel, **SCHOOLS, dose="minutes", event_time=1, n_boot=20)
    dynamic = aggte(att_gt(panel, **SCHOOLS), type="dynamic").to_frame().set_index("event_time")
    assert at_one.overall_att == pytest.approx(dynamic.loc[1, "att"], abs=1e-10)


def test_degree_choice_and_slope():
    curved = dose_panel(3, lambda d: 0.3 * (d - 3) ** 2)
    result = dose_response(curved, **SCHOOLS, dose="minutes", n_boot=50, random_state=1)
    assert result.degree >= 2
    assert result.cv_scores[result.degree] < result.cv_scores[1]
    # ACRT is the derivative of ATT(d|d): compare with finite differences on the grid.
    cubic = dose_response(curved, **SCHOOLS, dose="minutes", degree=3, n_boot=20)
    grid = cubic.dose_grid
    numeric = np.gradient(cubic.att.estimate, grid)
    np.testing.assert_allclose(cubic.acrt.estimate[1:-1], numeric[1:-1], atol=1e-3)
    assert cubic.cv_scores == {}
    with pytest.raises(ValueError, match="degree"):
        dose_response(curved, **SCHOOLS, dose="minutes", degree=0)


def test_summary_and_plots_say_dose_is_not_randomized(panel, curve):
    assert "not randomized" in curve.summary()
    figure = curve.plot()
    assert "not randomized" in figure.layout.title.text
    assert any("not randomized" in note.text for note in figure.layout.annotations)
    groups = att_by_dose_group(panel, **SCHOOLS, dose="minutes")
    assert "not randomized" in groups.summary()
    assert "not randomized" in groups.plot().layout.title.text
    rows = curve.to_frame().iloc[[0, 10]]
    predicted = curve.predict(rows["dose"])
    for column in ("att", "att_se", "acrt", "acrt_ci_lower"):
        np.testing.assert_allclose(predicted[column], rows[column], rtol=1e-12)
