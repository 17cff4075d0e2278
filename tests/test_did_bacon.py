"""Goodman-Bacon decomposition against R bacondecomp's documented output and the paper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.did.bacon import (
    EARLIER_VS_LATER,
    LATER_VS_EARLIER,
    TREATED_VS_ALWAYS,
    TREATED_VS_NEVER,
    bacon_decomposition,
)
from tests.conftest import REFERENCE_DIR


@pytest.fixture(scope="module")
def castle() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "castle.csv")


@pytest.fixture(scope="module")
def math_reform() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "math_reform.csv")


def _twfe_by_dummies(data: pd.DataFrame, y: str, t: str, i: str, d: str) -> float:
    """Independent TWFE: least squares on unit and period dummies (not the within transform)."""
    design = pd.concat(
        [
            data[[d]].astype(float),
            pd.get_dummies(data[i], prefix="u", dtype=float),
            pd.get_dummies(data[t], prefix="t", drop_first=True, dtype=float),
        ],
        axis=1,
    )
    coef, *_ = np.linalg.lstsq(design.to_numpy(), data[y].to_numpy(dtype=float), rcond=None)
    return float(coef[0])


def test_castle_by_type_matches_bacondecomp_vignette(castle):
    # bacondecomp vignette (CRAN), bacon(l_homicide ~ post, castle, id_var = "state",
    # time_var = "year"), printed with 5 decimals:
    #   Earlier vs Later Treated 0.05976 -0.00554
    #   Later vs Earlier Treated 0.03190  0.07032
    #   Treated vs Untreated     0.90834  0.08796
    result = bacon_decomposition(castle, "l_homicide", "year", "state", "post")
    table = result.by_type().set_index("type")
    expected = {
        EARLIER_VS_LATER: (0.05976, -0.00554),
        LATER_VS_EARLIER: (0.03190, 0.07032),
        TREATED_VS_NEVER: (0.90834, 0.08796),
    }
    assert list(table.index) == list(expected)
    for kind, (weight, estimate) in expected.items():
        assert table.loc[kind, "weight"] == pytest.approx(weight, abs=5e-6)
        assert table.loc[kind, "estimate"] == pytest.approx(estimate, abs=5e-6)
    # "Two-way FE estimate = 0.0818116169306475" (bacondecomp's example notebook).
    assert result.twfe == pytest.approx(0.0818116169306475, abs=1e-12)


def test_castle_ids_by_name_or_number_agree(castle):
    by_name = bacon_decomposition(castle, "l_homicide", "year", "state", "post")
    by_number = bacon_decomposition(castle, "l_homicide", "year", "sid", "post")
    pd.testing.assert_frame_equal(by_name.to_frame(), by_number.to_frame())


def test_math_reform_matches_bacondecomp_readme(math_reform):
    result = bacon_decomposition(math_reform, "incearn_ln", "class", "state", "reform_math")
    table = result.by_type().set_index("type")
    # README: bacon_summary(df_bacon), 5 decimals.
    for kind, weight, estimate in [
        (EARLIER_VS_LATER, 0.06353, 0.02868),
        (LATER_VS_EARLIER, 0.05265, 0.03375),
        (TREATED_VS_NEVER, 0.88382, -0.00129),
    ]:
        assert table.loc[kind, "weight"] == pytest.approx(weight, abs=5e-6)
        assert table.loc[kind, "estimate"] == pytest.approx(estimate, abs=5e-6)
    # README: head(df_bacon), 8-9 significant digits.
    rows = result.to_frame().set_index(["treated_group", "control_group"])
    for treated, control, estimate, weight in [
        (1987, 1985, 0.04575585, 0.031655309),
        (1986, 1985, 0.11390411, 0.001978457),
        (1984, 1985, 0.12012908, 0.001978457),
        (1985, 1987, 0.01021379, 0.039569136),
        (1986, 1987, -0.09374495, 0.005440756),
        (1984, 1987, 0.09784857, 0.013354583),
    ]:
        assert rows.loc[(treated, control), "estimate"] == pytest.approx(estimate, abs=5e-9)
        assert rows.loc[(treated, control), "weight"] == pytest.approx(weight, abs=5e-10)
    assert set(rows.loc[(1984, np.inf), ["type"]].to_numpy().ravel()) == {TREATED_VS_NEVER}


@pytest.mark.parametrize("dataset", ["castle", "math_reform"])
def test_weights_sum_to_one_and_estimates_to_twfe(dataset, request):
    data = request.getfixturevalue(dataset)
    columns = {
        "castle": ("l_homicide", "year", "state", "post"),
        "math_reform": ("incearn_ln", "class", "state", "reform_math"),
    }[dataset]
    result = bacon_decomposition(data, *columns)
    frame = result.to_frame()
    assert frame["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (frame["weight"] > 0).all()
    assert result.decomposed_twfe == pytest.approx(result.twfe, abs=1e-10)
    assert result.twfe == pytest.approx(_twfe_by_dummies(data, *columns), abs=1e-10)


def _staggered_panel(effect, always_treated: bool = False, seed: int = 7) -> pd.DataFrame:
    """Balanced panel: cohorts first treated in 4 and 7 of periods 1..10, plus never-treated."""
    rng = np.random.default_rng(seed)
    cohorts = [4] * 6 + [7] * 9 + [np.inf] * 5 + ([1] * 3 if always_treated else [])
    rows = []
    for unit, cohort in enumerate(cohorts):
        level = rng.normal()
        for period in range(1, 11):
            treated = float(period >= cohort)
            gain = effect(period - cohort + 1) if treated else 0.0
            y = level + 0.2 * period + gain + 0.01 * rng.normal()
            rows.append((unit, period, treated, y))
    return pd.DataFrame(rows, columns=["id", "period", "d", "y"])


def test_paper_figure_2_weights():
    # Goodman-Bacon (2021), figure 2: 100 periods, never treated, k treated at 34, l at 85.
    # Weights s_kU = .365, s_lU = .222, s^k_kl = .278, s^l_kl = .135 (as in bacondecomp tests).
    rows = []
    for unit, first in enumerate([np.inf, 34, 85]):
        for period in range(1, 101):
            rows.append((unit, period, float(period >= first), np.sin(unit + period)))
    data = pd.DataFrame(rows, columns=["id", "t", "d", "y"])
    frame = bacon_decomposition(data, "y", "t", "id", "d").to_frame()
    weights = frame.set_index(["treated_group", "control_group"])["weight"].round(3)
    assert weights[(34, np.inf)] == 0.365
    assert weights[(85, np.inf)] == 0.222
    assert weights[(34, 85)] == 0.278
    assert weights[(85, 34)] == 0.135


def test_always_treated_units_become_a_control_type():
    data = _staggered_panel(lambda e: 0.5, always_treated=True)
    result = bacon_decomposition(data, "y", "period", "id", "d")
    frame = result.to_frame()
    always = frame[frame["type"] == TREATED_VS_ALWAYS]
    assert sorted(always["treated_group"]) == [4.0, 7.0]
    assert set(always["control_group"]) == {1.0}
    assert 1.0 not in set(frame["treated_group"])  # no variation: never a treated group
    assert result.decomposed_twfe == pytest.approx(result.twfe, abs=1e-10)
    assert result.twfe == pytest.approx(_twfe_by_dummies(data, "y", "period", "id", "d"), abs=1e-10)


def test_growing_effects_show_why_twfe_is_biased():
    # The effect grows by 0.1 per period of exposure. Every comparison with a clean control
    # recovers a positive effect, but later-vs-earlier 2x2s subtract the early cohort's own
    # growing effect and turn negative, dragging TWFE below every cohort's average effect.
    data = _staggered_panel(lambda e: 0.1 * e)
    result = bacon_decomposition(data, "y", "period", "id", "d")
    table = result.by_type().set_index("type")
    assert table.loc[TREATED_VS_NEVER, "estimate"] > 0.25
    assert table.loc[EARLIER_VS_LATER, "estimate"] > 0.1
    assert table.loc[LATER_VS_EARLIER, "estimate"] < 0
    true_average = np.mean([0.1 * e for e in range(1, 8)] + [0.1 * e for e in range(1, 5)])
    assert result.twfe < 0.75 * true_average


def test_summary_and_plot(castle):
    result = bacon_decomposition(castle, "l_homicide", "year", "state", "post")
    text = result.summary()
    assert "TWFE coefficient: 0.081812" in text
    assert "later vs earlier treated" in text
    figure = result.plot()
    assert {trace.name for trace in figure.data} == {
        EARLIER_VS_LATER,
        LATER_VS_EARLIER,
        TREATED_VS_NEVER,
    }
    assert sum(len(trace.x) for trace in figure.data) == len(result.to_frame())


def test_unbalanced_panel_is_rejected(castle):
    with pytest.raises(ValueError, match="balanced panel"):
        bacon_decomposition(castle.iloc[1:], "l_homicide", "year", "state", "post")


def test_treatment_switching_off_is_rejected(castle):
    broken = castle.copy()
    broken.loc[(broken["state"] == "Florida") & (broken["year"] == 2009), "post"] = 0
    with pytest.raises(ValueError, match="absorbing"):
        bacon_decomposition(broken, "l_homicide", "year", "state", "post")


def test_missing_values_and_non_binary_treatment_are_rejected(castle):
    with_gap = castle.copy()
    with_gap.loc[3, "post"] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        bacon_decomposition(with_gap, "l_homicide", "year", "state", "post")
    with pytest.raises(ValueError, match="must be 0/1"):
        bacon_decomposition(castle, "l_homicide", "year", "state", "cdl")
    with pytest.raises(ValueError, match="columns not found"):
        bacon_decomposition(castle, "nope", "year", "state", "post")
