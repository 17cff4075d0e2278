"""Subgroup estimates: differences, the equality test, q-values and small-cell suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import null_space
from statsmodels.stats.multitest import multipletests

from pipelines.estimates.panel import subject_panels
from pipelines.estimates.specification import load_analysis
from pipelines.estimates.subgroup_differences import (
    BETWEEN,
    WITHIN,
    compare,
    equality_test,
    minimum_detectable_difference,
)
from pipelines.estimates.subgroups import (
    _ordered,
    benjamini_hochberg,
    estimate_subgroup,
    estimate_subject,
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


def _fits(frames: list[pd.DataFrame], dimension: str, labels: list[str]) -> list:
    analysis = load_analysis()
    return [
        estimate_subgroup(frame, [], dimension, label, analysis, analysis.subgroups)
        for frame, label in zip(frames, labels, strict=True)
    ]


def _within_inputs(frames: list[pd.DataFrame], labels: list[str]):
    """The subject panel's sample and the school_subgroups rows of simulated subgroups."""
    sample = frames[0].drop(columns=["mean_z", "n_tested"])
    rows = pd.concat(
        [frame.assign(subgroup=label) for frame, label in zip(frames, labels, strict=True)],
        ignore_index=True,
    )
    return sample, rows


def _only(pairs: list):
    """The estimate of the one pair compared."""
    (pair,) = pairs
    return pair.result


@pytest.mark.parametrize(("effect_b", "differs"), [(0.05, True), (0.2, False)])
def test_the_equality_test_detects_a_difference_and_accepts_equal_effects(
    effect_b: float, differs: bool
) -> None:
    frames = _two_subgroups(0.2, effect_b, seed=7)
    labels = ["female", "male"]
    sample, rows = _within_inputs(frames, labels)
    for dimension, comparison in (("gender", WITHIN), ("grade_band", BETWEEN)):
        fits = _fits(frames, dimension, labels)
        (pair,) = compare(dimension, fits, sample, rows, min_students=10)
        difference = pair.result
        assert pair.with_reference and difference.comparison == comparison
        assert difference.subgroup == "female" and difference.compared_with == "male"
        statistic, df, p_value = equality_test([difference])
        assert statistic == pytest.approx((difference.difference / difference.se) ** 2)
        print(f"{comparison}: {difference.difference:.3f} ({difference.se:.3f}), p {p_value:.4f}")
        assert df == 1
        assert (p_value < 0.01) if differs else (p_value > 0.05)
        # The subgroups share the school shocks: their difference is estimated far more
        # precisely than each effect, which only their joint scores know.
        assert difference.se < 0.7 * np.hypot(fits[0].se, fits[1].se)
        assert difference.se == pytest.approx(np.sqrt((difference.scores**2).sum()))


def test_within_schools_every_pre_program_year_makes_the_difference_more_precise() -> None:
    frames = _two_subgroups(0.2, 0.05, seed=7)
    labels = ["yes", "no"]
    # Each subgroup's own noise (students, not shared): a single base year carries it all.
    rng = np.random.default_rng(8)
    frames = [f.assign(mean_z=f["mean_z"] + rng.normal(0, 0.1, len(f))) for f in frames]
    sample, rows = _within_inputs(frames, labels)
    within = _only(
        compare("english_learner", _fits(frames, "english_learner", labels), sample, rows, 10)
    )
    between = _only(compare("grade_band", _fits(frames, "grade_band", labels), sample, rows, 10))
    print(f"within {within.se:.4f}, between {between.se:.4f}")
    assert within.se < 0.8 * between.se
    assert abs(within.difference - 0.15) < 3 * within.se


def test_a_difference_resting_on_too_few_students_is_withheld() -> None:
    frames = _two_subgroups(0.2, 0.2, seed=7)
    # Subgroup "yes" has 40 students per school-year but shares few school-years with "no".
    few = frames[1][frames[1]["school_year"].isin([3, 4, 5]) & (frames[1]["school_id"] <= 2)]
    sample, rows = _within_inputs([frames[0], few.assign(n_tested=3)], ["yes", "no"])
    fits = _fits([frames[0], frames[1]], "disability", ["yes", "no"])
    (pair,) = compare("disability", fits, sample, rows, min_students=10)
    assert isinstance(pair.result, str) and "fewer than 10 students" in pair.result


def test_the_minimum_detectable_difference_is_that_of_the_best_measured_pair() -> None:
    frames = _two_subgroups(0.2, 0.2, seed=11)
    # A third subgroup measured far worse (its own noise): the pair of the first two sets it.
    noisy = frames[1].assign(
        mean_z=frames[1]["mean_z"] + np.random.default_rng(5).normal(0, 0.4, len(frames[1]))
    )
    labels = ["A", "B", "C"]
    fits = _fits([frames[0], noisy, frames[1]], "race_ethnicity", labels)
    sample, rows = _within_inputs([frames[0], noisy, frames[1]], labels)
    pairs = {
        (p.subgroup, p.compared_with): p.result
        for p in compare("race_ethnicity", fits, sample, rows, 10)
    }
    assert list(pairs) == [("A", "B"), ("A", "C"), ("B", "C")]
    a_c, b_c = pairs["A", "C"], pairs["B", "C"]
    mde = minimum_detectable_difference(list(pairs.values()), alpha=0.05)
    # (z_0.975 + z_0.80) standard errors of the best pair's difference: 1.960 + 0.842 = 2.802.
    assert mde == pytest.approx(2.802 * a_c.se, rel=1e-3)
    assert mde == pytest.approx(minimum_detectable_difference([a_c], alpha=0.05))
    assert mde < minimum_detectable_difference([b_c], alpha=0.05)
    # A difference twice the MDE is found; one a fifth of it is not.
    for difference, found in ((2 * mde, True), (0.2 * mde, False)):
        shifted = _two_subgroups(0.2 + difference, 0.2, seed=11)
        sample, rows = _within_inputs(shifted, ["A", "C"])
        (pair,) = compare(
            "race_ethnicity", _fits(shifted, "race_ethnicity", ["A", "C"]), sample, rows, 10
        )
        assert (equality_test([pair.result])[2] < 0.05) == found


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
    result = estimate_subject(subject_panels(panel, analysis)[0], rows, analysis)
    shown = result.cells[result.cells["dimension"] == "school_level"].set_index("subgroup")
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
    # Levels share no school: compared between schools, every pair in display order.
    differences = result.differences.set_index(["subgroup", "compared_with"])
    assert list(differences.index) == [
        ("elementary", "middle"),
        ("elementary", "other"),
        ("middle", "other"),
    ]
    assert set(differences["comparison"]) == {BETWEEN}
    for first, second in differences.index:
        expected = shown.loc[first, "att"] - shown.loc[second, "att"]
        assert differences.loc[(first, second), "difference"] == pytest.approx(expected)
    (test,) = result.tests[result.tests["dimension"] == "school_level"].itertuples()
    assert test.df == 2 and test.p_value < 0.01


def test_between_school_differences_keep_the_published_standard_errors() -> None:
    """Two levels with no school in common: the difference's variance is the sum of the two
    published variances (the bootstrap's), not of the raw influence functions'."""
    frames = _two_subgroups(0.2, 0.1, seed=3)
    frames[1] = frames[1].assign(school_id=frames[1]["school_id"] + 1000)
    fits = _fits(frames, "school_level", ["elementary", "middle"])
    difference = _only(compare("school_level", fits, *_within_inputs(frames, ["e", "m"]), 10))
    assert difference.se == pytest.approx(np.hypot(fits[0].se, fits[1].se), rel=1e-9)
    raw = [np.sqrt(((f.influence / f.n_units) ** 2).sum()) for f in fits]
    assert not np.isclose(difference.se, np.hypot(*raw), rtol=1e-3)


def test_labels_outside_a_declared_order_are_kept_before_the_reference() -> None:
    labels = ["highest third", "lowest third", "unexpected", "middle third"]
    assert _ordered("prior_achievement", labels) == [
        "lowest third",
        "middle third",
        "unexpected",
        "highest third",
    ]
    assert _ordered("gender", ["male", "female"]) == ["female", "male"]
    assert _ordered("race_ethnicity", ["White", "Asian", "Black"])[-1] == "White"
