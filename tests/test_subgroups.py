"""Subgroup estimates: the equality test, the q-values and small-cell suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import null_space
from statsmodels.stats.multitest import multipletests

from pipelines.estimates.panel import subject_panels
from pipelines.estimates.specification import load_analysis
from pipelines.estimates.subgroups import (
    benjamini_hochberg,
    equality_test,
    estimate_subgroup,
    estimate_subject,
    minimum_detectable_difference,
    suppress_cells,
)
from tests.test_estimates_run import EFFECT, quick_analysis, simulated_school_panel

COUNTS = ["n_students", "n_students_comparison"]


def recoverable_counts(cells: pd.DataFrame, true_counts: pd.DataFrame) -> list[str]:
    """Subgroups of one dimension whose hidden counts the published counts and every total
    (per subgroup, per column, overall) pin down exactly: a test oracle, by linear algebra."""
    values = true_counts[COUNTS].to_numpy(float)
    hidden = cells[COUNTS].isna().to_numpy()
    unknown = np.flatnonzero(hidden.ravel())
    if unknown.size == 0:
        return []
    n_rows, n_cols = values.shape
    equations = []
    for i in range(n_rows):
        line = np.zeros((n_rows, n_cols))
        line[i, :] = 1
        equations.append(line.ravel())
    for j in range(n_cols):
        line = np.zeros((n_rows, n_cols))
        line[:, j] = 1
        equations.append(line.ravel())
    restricted = np.array(equations)[:, unknown]
    freedom = null_space(restricted)
    pinned = (
        np.ones(unknown.size, bool) if freedom.shape[1] == 0 else np.abs(freedom).max(axis=1) < 1e-9
    )
    rows = unknown[pinned] // n_cols
    return sorted(set(cells["subgroup"].iloc[rows]))


def _cells(counts: dict[str, tuple[int, int]], dimension: str = "race_ethnicity") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "dimension": dimension,
                "subgroup": subgroup,
                "att": 0.1,
                "se": 0.05,
                "ci_lower": 0.0,
                "ci_upper": 0.2,
                "p_value": 0.04,
                "n_students": partnered,
                "n_students_comparison": comparison,
                "suppressed": False,
                "note": "",
            }
            for subgroup, (partnered, comparison) in counts.items()
        ]
    )


def test_a_small_cell_loses_its_estimate_and_no_hidden_count_can_be_recovered() -> None:
    counts = {"White": (500, 2000), "Black": (300, 900), "Asian": (4, 30), "Hispanic": (60, 80)}
    cells = _cells(counts)
    published = suppress_cells(cells, min_students=10)
    asian = published.set_index("subgroup").loc["Asian"]
    assert asian["suppressed"] and np.isnan(asian["att"]) and np.isnan(asian["p_value"])
    assert np.isnan(asian["n_students"])
    # Hiding the one count alone would leave it equal to the column total minus the others.
    assert recoverable_counts(cells.assign(n_students=[500, 300, np.nan, 60]), cells) == ["Asian"]
    assert recoverable_counts(published, cells) == []
    # Only the small cell loses its estimate; the others keep theirs.
    assert published["suppressed"].tolist() == [False, False, True, False]
    assert published.loc[published["subgroup"] != "Asian", "att"].notna().all()


def test_a_small_comparison_group_suppresses_too() -> None:
    published = suppress_cells(_cells({"yes": (40, 7), "no": (900, 3000)}, "english_learner"), 10)
    assert published["suppressed"].tolist() == [True, False]
    assert published[COUNTS].isna().all().all()  # two subgroups: the other's counts go too


def test_q_values_are_benjamini_hochberg_within_each_family() -> None:
    frame = pd.DataFrame(
        {
            "family": ["confirmatory"] * 3 + ["exploratory"] * 4,
            "p_value": [0.01, 0.04, 0.03, 0.001, 0.2, np.nan, 0.04],
        }
    )
    q = benjamini_hochberg(frame)
    assert q[:3].tolist() == pytest.approx(multipletests([0.01, 0.04, 0.03], method="fdr_bh")[1])
    assert q[[3, 4, 6]].tolist() == pytest.approx(
        multipletests([0.001, 0.2, 0.04], method="fdr_bh")[1]
    )
    assert np.isnan(q[5])
    # Pooling the families would give other q-values: the families are kept apart.
    pooled = multipletests([0.01, 0.04, 0.03, 0.001, 0.2, 0.04], method="fdr_bh")[1]
    assert not np.allclose(q.dropna().to_numpy(), pooled)


def _two_subgroups(effect_a: float, effect_b: float, seed: int) -> list[pd.DataFrame]:
    """School x year panels of two subgroups sharing 80 schools (30 partnered from year 5)."""
    rng = np.random.default_rng(seed)
    schools, years = np.arange(1, 81), np.arange(1, 9)
    school_effect = rng.normal(0, 0.3, len(schools))
    shock = rng.normal(0, 0.1, (len(schools), len(years)))  # shared by both subgroups
    frames = []
    for effect in (effect_a, effect_b):
        rows = []
        for i, school in enumerate(schools):
            cohort = 5 if school <= 30 else 0
            for t, year in enumerate(years):
                treated = cohort and year >= cohort
                mean_z = school_effect[i] + shock[i, t] + rng.normal(0, 0.05) + effect * treated
                rows.append((school, year, cohort, mean_z, 40))
        frames.append(
            pd.DataFrame(rows, columns=["school_id", "school_year", "cohort", "mean_z", "n_tested"])
        )
    return frames


@pytest.mark.parametrize(("effect_b", "differs"), [(0.05, True), (0.2, False)])
def test_the_equality_test_detects_a_difference_and_accepts_equal_effects(
    effect_b: float, differs: bool
) -> None:
    analysis = load_analysis()
    settings = analysis.subgroups
    fits = [
        estimate_subgroup(frame, [], "gender", label, analysis, settings)
        for frame, label in zip(
            _two_subgroups(0.2, effect_b, seed=7), ["female", "male"], strict=True
        )
    ]
    statistic, df, p_value = equality_test(fits)
    effects = [round(fit.att, 3) for fit in fits]
    print(f"effects {effects}: chi2 {statistic:.2f} ({df} df), p {p_value:.4f}")
    assert df == 1
    assert (p_value < 0.01) if differs else (p_value > 0.05)
    # The subgroups share the school shocks: their difference is estimated far more precisely
    # than each effect, which only the joint covariance of the influence functions knows.
    independent = np.hypot(fits[0].se, fits[1].se)
    assert np.sqrt((fits[0].att - fits[1].att) ** 2 / statistic) < 0.7 * independent


def test_the_minimum_detectable_difference_is_that_of_the_best_measured_pair() -> None:
    analysis = load_analysis()
    settings = analysis.subgroups
    frames = _two_subgroups(0.2, 0.2, seed=11)
    # A third subgroup measured far worse (its own noise): the pair of the first two sets it.
    noisy = frames[1].assign(
        mean_z=frames[1]["mean_z"] + np.random.default_rng(5).normal(0, 0.4, len(frames[1]))
    )
    fits = [
        estimate_subgroup(frame, [], "race_ethnicity", label, analysis, settings)
        for frame, label in zip([*frames, noisy], ["A", "B", "C"], strict=True)
    ]
    statistic, _, _ = equality_test(fits[:2])
    se_difference = abs(fits[0].att - fits[1].att) / np.sqrt(statistic)
    mde = minimum_detectable_difference(fits, alpha=0.05)
    # (z_0.975 + z_0.80) standard errors of the difference: 1.960 + 0.842 = 2.802.
    assert mde == pytest.approx(2.802 * se_difference, rel=1e-3)
    assert mde == pytest.approx(minimum_detectable_difference(fits[:2], alpha=0.05))
    assert mde < minimum_detectable_difference(fits[1:], alpha=0.05)
    # A difference twice the MDE is found; one a fifth of it is not.
    for difference, found in ((2 * mde, True), (0.2 * mde, False)):
        shifted = _two_subgroups(0.2 + difference, 0.2, seed=11)
        pair = [
            estimate_subgroup(frame, [], "gender", label, analysis, settings)
            for frame, label in zip(shifted, ["female", "male"], strict=True)
        ]
        assert (equality_test(pair)[2] < 0.05) == found


def test_school_level_splits_schools_and_estimates_each_levels_own_effect() -> None:
    """``school_level`` puts each school's whole panel in its level's subgroup (the mart's
    rows); the packaged analysis estimates it as an exploratory dimension, in display order,
    and each level's estimate covers the effect its schools had."""
    panel = simulated_school_panel(300, {2012: 30, 2013: 30}, seed=5)
    levels = np.array(["elementary", "middle", "other"])[panel["school_id"] % 3]
    true = {"elementary": 0.5, "middle": 0.0, "other": 0.25}
    partnered = (panel["cohort"] > 0) & (panel["school_year"] >= panel["cohort"])
    shift = pd.Series(levels).map(true).to_numpy() - EFFECT
    panel = panel.assign(mean_z=panel["mean_z"] + shift * partnered)
    rows = panel[["school_id", "subject", "school_year", "n_tested", "mean_z"]].assign(
        dimension="school_level", subgroup=levels
    )
    analysis = quick_analysis()
    assert analysis.subgroups.family("school_level") == "exploratory"
    assert "school_level" in analysis.subgroups.dimensions
    cells, _ = estimate_subject(subject_panels(panel, analysis)[0], rows, analysis)
    shown = cells[cells["dimension"] == "school_level"].set_index("subgroup")
    for label, row in shown.iterrows():
        print(f"{label:10} {row.att:6.3f} [{row.ci_lower:6.3f}, {row.ci_upper:6.3f}] "
              f"truth {true[label]:.3f}, {row.n_schools} schools")  # fmt: skip
    assert list(shown.index) == ["elementary", "middle", "other"]
    assert set(shown["family"]) == {"exploratory"}
    assert not shown["suppressed"].any()
    assert shown["n_schools"].sum() == panel["school_id"].nunique()  # each school in one level
    for label, effect in true.items():
        assert shown.loc[label, "ci_lower"] <= effect <= shown.loc[label, "ci_upper"], label
    # The levels' schools are not mixed: elementary's interval excludes middle's effect and the
    # other way round.
    assert shown.loc["elementary", "ci_lower"] > true["middle"]
    assert shown.loc["middle", "ci_upper"] < true["elementary"]
