"""WWC baseline equivalence: numbers by hand, weights, Cox index, classification boundaries."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipelines.did.balance import baseline_equivalence

# Four partnered schools (cohort 2012 or 2013) and five comparison schools, 2010-2012.
Z_2010 = [-0.40, -0.10, -0.30, 0.00, 0.10, 0.20, -0.20, 0.30, 0.05]
Z_2011 = [-0.20, -0.30, -0.50, 0.20, 0.30, 0.00, 0.00, 0.10, 0.25]
Z_2012 = [0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90]  # after the program started
FRL = [0.80, 0.70, 0.90, 0.60, 0.50, 0.40, 0.70, 0.30, 0.45]
CHARTER = [0, 1, 0, 0, 0, 0, 1, 0, 0]
COHORT = [2012, 2012, 2013, 2013, 0, 0, 0, np.nan, 0]
TESTED = [10, 20, 30, 40, 50, 60, 70, 80, 90]


@pytest.fixture
def schools() -> pd.DataFrame:
    rows = []
    for year, z in ((2010, Z_2010), (2011, Z_2011), (2012, Z_2012)):
        for school in range(9):
            rows.append(
                {
                    "school": f"s{school}",
                    "year": year,
                    "z": z[school],
                    "frl": FRL[school],
                    "charter": CHARTER[school],
                    "cohort": COHORT[school],
                    "tested": TESTED[school] + (year - 2010),
                }
            )
    return pd.DataFrame(rows)


def hand_g(treated: np.ndarray, comparison: np.ndarray) -> tuple[float, float]:
    n1, n2 = len(treated), len(comparison)
    pooled = math.sqrt(
        ((n1 - 1) * treated.var(ddof=1) + (n2 - 1) * comparison.var(ddof=1)) / (n1 + n2 - 2)
    )
    omega = 1 - 3 / (4 * (n1 + n2) - 9)
    return omega * (treated.mean() - comparison.mean()) / pooled, pooled


def test_numbers_equal_a_hand_computation(schools):
    result = baseline_equivalence(
        schools, "school", ["z", "frl", "charter"], gname="cohort", tname="year"
    )
    frame = result.to_frame()
    assert list(frame.columns) == [
        "variable", "mean_treated", "mean_comparison", "sd_pooled", "n_treated", "n_comparison",
        "hedges_g", "classification", "method",
    ]  # fmt: skip
    # Baseline = years before the first cohort (2012): 2010 and 2011.
    assert result.baseline_periods == [2010, 2011]
    z = (np.array(Z_2010) + np.array(Z_2011)) / 2
    g, pooled = hand_g(z[:4], z[4:])
    row = frame.set_index("variable").loc["z"]
    assert row["mean_treated"] == pytest.approx(z[:4].mean(), abs=1e-14)
    assert row["mean_comparison"] == pytest.approx(z[4:].mean(), abs=1e-14)
    assert row["sd_pooled"] == pytest.approx(pooled, rel=1e-12)
    assert row["hedges_g"] == pytest.approx(g, rel=1e-12)
    assert (row["n_treated"], row["n_comparison"]) == (4, 5)
    assert g < -0.25 and row["classification"] == "not satisfied"

    frl = np.array(FRL)
    g_frl, _ = hand_g(frl[:4], frl[4:])
    assert frame.set_index("variable").loc["frl", "hedges_g"] == pytest.approx(g_frl, rel=1e-12)

    # Charter status is 0/1: Cox index, ω · log odds ratio / 1.65.
    p1, p2 = 1 / 4, 1 / 5
    cox = (1 - 3 / 27) * (math.log(p1 / (1 - p1)) - math.log(p2 / (1 - p2))) / 1.65
    charter = frame.set_index("variable").loc["charter"]
    assert charter["method"] == "cox_index"
    assert charter["hedges_g"] == pytest.approx(cox, rel=1e-12)


def test_weights_and_given_sd(schools):
    result = baseline_equivalence(
        schools,
        "school",
        ["z"],
        gname="cohort",
        tname="year",
        pre_periods=[2011],
        weights="tested",
        sd={"z": 1.0},
    ).to_frame()
    weight = np.array(TESTED, dtype=float) + 1  # 2011 counts
    z = np.array(Z_2011)
    mean_t = np.sum(weight[:4] * z[:4]) / weight[:4].sum()
    mean_c = np.sum(weight[4:] * z[4:]) / weight[4:].sum()
    row = result.iloc[0]
    assert row["mean_treated"] == pytest.approx(mean_t, abs=1e-14)
    assert row["mean_comparison"] == pytest.approx(mean_c, abs=1e-14)
    # In student SD units the difference is divided by 1, only ω applies.
    assert row["hedges_g"] == pytest.approx((1 - 3 / 27) * (mean_t - mean_c), rel=1e-12)
    assert row["sd_pooled"] == 1.0 and row["method"] == "hedges_g (given SD)"


def test_equal_weights_change_nothing(schools):
    plain = baseline_equivalence(schools, "school", ["z", "frl"], gname="cohort", tname="year")
    weighted = baseline_equivalence(
        schools.assign(w=3.0), "school", ["z", "frl"], gname="cohort", tname="year", weights="w"
    )
    pd.testing.assert_frame_equal(plain.to_frame(), weighted.to_frame(), rtol=1e-12)


def test_group_column_and_cross_section(schools):
    baseline = schools[schools["year"] == 2010].assign(partnered=lambda f: f["cohort"] > 0)
    by_flag = baseline_equivalence(baseline, "school", ["z"], group_col="partnered").to_frame()
    g, _ = hand_g(np.array(Z_2010[:4]), np.array(Z_2010[4:]))
    assert by_flag["hedges_g"].iloc[0] == pytest.approx(g, rel=1e-12)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (0.0, "satisfied"),
        (0.05, "satisfied"),
        (0.0501, "requires adjustment"),
        (-0.05, "satisfied"),
        (0.25, "requires adjustment"),
        (-0.2501, "not satisfied"),
        (0.2501, "not satisfied"),
    ],
)
def test_classification_boundaries(target, expected):
    """Differences built so that g is exactly at (or just past) the WWC cut points."""
    omega = 1 - 3 / (4 * 20 - 9)
    difference = target / omega
    values = np.r_[np.full(10, difference), np.zeros(10)]
    frame = pd.DataFrame({"unit": range(20), "x": values, "treated": [1] * 10 + [0] * 10})
    row = (
        baseline_equivalence(frame, "unit", ["x"], group_col="treated", sd={"x": 1.0})
        .to_frame()
        .iloc[0]
    )
    assert row["hedges_g"] == pytest.approx(target, abs=1e-15)
    assert row["classification"] == expected


def test_bad_input(schools):
    with pytest.raises(ValueError, match="exactly one of"):
        baseline_equivalence(schools, "school", ["z"])
    with pytest.raises(ValueError, match="give pre_periods"):
        schools_flag = schools.assign(p=schools["cohort"].fillna(0) > 0)
        baseline_equivalence(schools_flag, "school", ["z"], group_col="p", tname="year")
    with pytest.raises(ValueError, match="changes within a unit"):
        baseline_equivalence(schools.assign(p=schools["year"] == 2010), "school", ["z"], "p")
    with pytest.raises(ValueError, match="not found"):
        baseline_equivalence(schools, "school", ["enrollment"], gname="cohort", tname="year")
    with pytest.raises(ValueError, match="fewer than 2"):
        baseline_equivalence(
            schools[schools["school"].isin(["s0", "s4", "s5"])], "school", ["z"], gname="cohort",
            tname="year",
        )  # fmt: skip


def test_summary_and_love_plot(schools):
    result = baseline_equivalence(
        schools, "school", ["z", "frl", "charter"], gname="cohort", tname="year"
    )
    text = result.summary()
    assert "not satisfied" in text and "baseline periods 2010, 2011" in text
    figure = result.plot()
    thresholds = sorted(shape.x0 for shape in figure.layout.shapes if shape.type == "line")
    assert thresholds == [0.05, 0.25]
    plotted = {name for trace in figure.data for name in trace.y}
    assert plotted == {"z", "frl", "charter"}
    xs = np.concatenate([np.asarray(trace.x) for trace in figure.data])
    np.testing.assert_allclose(np.sort(xs), np.sort(result.to_frame()["hedges_g"].abs().to_numpy()))
