"""For whom: the headline's Callaway–Sant'Anna estimate within each subgroup of students.

For a subject, a dimension (prior-achievement tercile, economically disadvantaged, ...) and one
of its subgroups, the outcome panel is the school x year mean z of the subgroup's students
(``school_subgroups`` mart) with the school's covariates from the subject panel; the estimate
is the simple aggregation of ATT(g,t) with the settings of ``subgroups.specification`` (the
headline), schools as units (so intervals are clustered at the school).

The panel must be balanced: years in which fewer than half of the schools with the subgroup
have it are left out (the English-learner and disability flags of the early eras come from
later records, so their first years are thin), then schools missing the subgroup in a kept year.

Each dimension also gets the difference between every pair of its subgroups and a Wald test
that its subgroups' effects are equal (``pipelines.estimates.subgroup_differences``: within
schools where the subgroups share them). Multiplicity: Benjamini–Hochberg q-values
(statsmodels) within each family (confirmatory or exploratory, declared in the analysis file)
and subject, separately for the subgroup effects and for the equality tests.

Privacy: a cell resting on fewer than ``min_students`` student scores in the partnered or in the
comparison schools is published with its estimate and counts suppressed; complementary
suppression (``pipelines.privacy.suppression``) then hides further counts of the dimension so
that no suppressed count can be recovered from the others and the totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from pipelines.estimates.callaway import att_gt_arguments
from pipelines.estimates.covariates import GROUP, ID, TIME
from pipelines.estimates.panel import SubjectPanel
from pipelines.estimates.specification import Analysis, SubgroupSettings
from pipelines.estimates.subgroup_differences import (
    DIFFERENCE_COLUMNS,
    compare,
    difference_row,
    equality_test,
    minimum_detectable_difference,
    normal_p_value,
    withheld_row,
)
from pipelines.privacy.suppression import suppress_counts

SUBGROUP_ORDER = {
    "prior_achievement": ("lowest third", "middle third", "highest third"),
    "grade_band": ("grades 3-5", "grades 6-8"),
    "school_level": ("elementary", "middle", "other"),
}
MIN_PERIOD_COVERAGE = 0.5
"""A year enters a subgroup panel when at least this share of the schools with the subgroup
have it that year."""
CELL_COLUMNS = (
    "dimension", "subgroup", "family", "att", "se", "ci_lower", "ci_upper", "p_value",
    "q_value", "n_schools", "n_students", "n_students_comparison", "suppressed", "note",
)  # fmt: skip
TEST_COLUMNS = (
    "dimension", "family", "test", "statistic", "df", "p_value", "q_value", "n_subgroups",
    "mde_difference",
)  # fmt: skip


@dataclass(frozen=True)
class SubgroupFit:
    """One subgroup's estimate with what the equality test and suppression need."""

    dimension: str
    subgroup: str
    att: float
    se: float
    ci_lower: float
    ci_upper: float
    n_schools: int
    n_students: int
    n_students_comparison: int
    influence: pd.Series
    """Influence function of the overall ATT by school id, scaled so Var = sum(IF^2) / n^2."""
    n_units: int
    partnered_schools: tuple[int, ...] = ()
    note: str = ""

    @property
    def scores(self) -> pd.Series:
        """By school id, the influence function over n rescaled so that sum(scores ** 2) is the
        published variance ``se ** 2`` (the bootstrap's, with its small-sample correction: the
        raw influence function alone understates it): comparisons with other subgroups keep
        the influence functions' correlations and the published standard errors."""
        raw = self.influence / self.n_units
        size = float(np.sqrt((raw**2).sum()))
        return raw * (self.se / size) if size > 0 and np.isfinite(self.se) else raw


def subgroup_panel(sample: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The balanced school x year panel of one subgroup (outcome and counts replaced)."""
    frame = sample.drop(columns=["mean_z", "n_tested"]).merge(
        rows[[ID, TIME, "mean_z", "n_tested"]], on=[ID, TIME], how="inner"
    )
    # Coverage among the schools that have the subgroup at all (grades 6-8 are only in middle
    # and K-8 schools).
    coverage = frame.groupby(TIME)[ID].nunique() / max(frame[ID].nunique(), 1)
    years = coverage.index[coverage >= MIN_PERIOD_COVERAGE]
    frame = frame[frame[TIME].isin(years)]
    complete = frame.groupby(ID)[TIME].nunique() == len(years)
    return frame[frame[ID].isin(complete[complete].index)].reset_index(drop=True)


def _unit_order(frame: pd.DataFrame) -> np.ndarray:
    """School ids in the order of the library's influence-function rows (cohort, then id)."""
    units = frame.groupby(ID)[GROUP].first().reset_index()
    units["order"] = units[GROUP].where(units[GROUP] > 0, np.inf)
    return units.sort_values(["order", ID])[ID].to_numpy()


def _counts(frame: pd.DataFrame) -> tuple[int, int]:
    """Student scores of the subgroup in partnered schools' partnered years and in comparison
    schools over the same years."""
    treated = frame[GROUP] > 0
    post_years = frame.loc[treated, GROUP].min() if treated.any() else np.inf
    partnered = frame[treated & (frame[TIME] >= frame[GROUP])]["n_tested"].sum()
    comparison = frame[~treated & (frame[TIME] >= post_years)]["n_tested"].sum()
    return int(partnered), int(comparison)


def estimate_subgroup(
    frame: pd.DataFrame,
    covariates: list[str],
    dimension: str,
    subgroup: str,
    analysis: Analysis,
    settings: SubgroupSettings,
) -> SubgroupFit:
    """Callaway–Sant'Anna on one subgroup's panel; a ``ValueError`` when not estimable."""
    from pipelines.did import aggte, att_gt

    n_partnered = frame.loc[frame[GROUP] > 0, ID].nunique()
    if n_partnered < settings.min_partnered_schools:
        raise ValueError(
            f"{n_partnered} partnered schools have these students in every year of the panel "
            f"(at least {settings.min_partnered_schools} needed)"
        )
    spec = analysis.specifications[settings.specification]
    result = att_gt(
        frame, "mean_z", TIME, ID, GROUP, **att_gt_arguments(spec, analysis, covariates)
    )
    simple = aggte(result, type="simple", random_state=analysis.seed)
    lower, upper = simple.overall_ci
    partnered, comparison = _counts(frame)
    units = _unit_order(frame)
    if len(units) != result.n_units:
        raise ValueError(f"{result.n_units} units estimated, {len(units)} in the panel")
    return SubgroupFit(
        dimension=dimension,
        subgroup=subgroup,
        att=float(simple.overall_att),
        se=float(simple.overall_se),
        ci_lower=float(lower),
        ci_upper=float(upper),
        n_schools=int(result.n_units),
        n_students=partnered,
        n_students_comparison=comparison,
        influence=pd.Series(np.asarray(simple.overall_influence, float).ravel(), index=units),
        n_units=int(result.n_units),
        partnered_schools=tuple(frame.loc[frame[GROUP] > 0, ID].unique().tolist()),
    )


def _ordered(dimension: str, labels) -> list[str]:
    """Display order; the last is the reference of the differences. A dimension with a declared
    order keeps its last declared label last, and labels outside the order (a new code in the
    marts) come before it rather than being dropped. Otherwise ``yes`` and ``female`` first,
    then alphabetical (race and ethnicity: ``White`` last)."""
    present = set(labels)
    order = SUBGROUP_ORDER.get(dimension)
    if order:
        *shown, last = order
        unknown = sorted(present - set(order))
        return [x for x in shown if x in present] + unknown + [last] * (last in present)
    return sorted(present, key=lambda label: (label not in ("yes", "female"), label))


class SubjectSubgroups(NamedTuple):
    """One subject's published subgroup tables."""

    cells: pd.DataFrame  # estimates_subgroups
    differences: pd.DataFrame  # estimates_subgroup_differences
    tests: pd.DataFrame  # estimates_subgroup_tests


def estimate_subject(
    panel: SubjectPanel, school_subgroups: pd.DataFrame, analysis: Analysis
) -> SubjectSubgroups:
    """Cells, differences and equality tests of one subject.

    A subgroup the estimator refuses (too few partnered schools, no cohort left: a
    ``ValueError``) is published as a suppressed cell whose ``note`` says why; any other error
    propagates (the caller records the step as failed). Differences and tests use the cells
    large enough to publish (``pipelines.estimates.subgroup_differences``).
    """
    settings = analysis.subgroups
    spec = analysis.specifications[settings.specification]
    sample, covariates, _ = panel.sample(spec.covariates)
    rows = school_subgroups[school_subgroups["subject"] == panel.subject]
    cells, differences, tests = [], [], []
    for dimension in settings.dimensions:
        mine = rows[rows["dimension"] == dimension]
        fits = []
        for subgroup in _ordered(dimension, mine["subgroup"].unique()):
            frame = subgroup_panel(sample, mine[mine["subgroup"] == subgroup])
            try:
                fit = estimate_subgroup(frame, covariates, dimension, subgroup, analysis, settings)
            except ValueError as error:
                partnered, comparison = _counts(frame) if not frame.empty else (0, 0)
                cells.append(
                    _not_estimated(dimension, subgroup, frame, partnered, comparison, str(error))
                )
                continue
            fits.append(fit)
            cells.append(_cell(fit))
        usable = [fit for fit in fits if _large_enough(fit, settings)]
        if len(usable) < 2:
            continue
        estimated, with_reference = [], []
        for pair in compare(dimension, usable, sample, mine, settings.min_students):
            if isinstance(pair.result, str):
                differences.append(
                    withheld_row(dimension, pair.subgroup, pair.compared_with, pair.result)
                )
                continue
            differences.append(difference_row(pair.result, analysis.alpha))
            estimated.append(pair.result)
            if pair.with_reference:
                with_reference.append(pair.result)
        if with_reference:
            statistic, df, p_value = equality_test(with_reference)
            tests.append(
                {
                    "dimension": dimension,
                    "test": "Wald test that every subgroup's effect equals "
                    f"{with_reference[0].compared_with}'s ({with_reference[0].comparison})",
                    "statistic": statistic,
                    "df": df,
                    "p_value": p_value,
                    "n_subgroups": len(with_reference) + 1,
                    "mde_difference": minimum_detectable_difference(estimated, analysis.alpha),
                }
            )
    return SubjectSubgroups(
        cells=_finish_cells(cells, settings),
        differences=_with_family(differences, DIFFERENCE_COLUMNS, settings, q_value=False),
        tests=_with_family(tests, TEST_COLUMNS, settings, q_value=True),
    )


def _finish_cells(cells: list[dict], settings: SubgroupSettings) -> pd.DataFrame:
    frame = pd.DataFrame(cells)
    if frame.empty:
        return pd.DataFrame(columns=CELL_COLUMNS)
    frame["family"] = frame["dimension"].map(settings.family)
    frame = suppress_cells(frame, settings.min_students)
    frame["q_value"] = benjamini_hochberg(frame)
    return frame[list(CELL_COLUMNS)]


def _with_family(
    rows: list[dict], columns: tuple[str, ...], settings: SubgroupSettings, q_value: bool
) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in columns if c not in ("family", "q_value")])
    frame["family"] = frame["dimension"].map(settings.family)
    if q_value:
        frame["q_value"] = benjamini_hochberg(frame)
    return frame[list(columns)]


def _large_enough(fit: SubgroupFit, settings: SubgroupSettings) -> bool:
    return min(fit.n_students, fit.n_students_comparison) >= settings.min_students


def _cell(fit: SubgroupFit) -> dict:
    return {
        "dimension": fit.dimension,
        "subgroup": fit.subgroup,
        "att": fit.att,
        "se": fit.se,
        "ci_lower": fit.ci_lower,
        "ci_upper": fit.ci_upper,
        "p_value": normal_p_value(fit.att, fit.se),
        "n_schools": fit.n_schools,
        "n_students": fit.n_students,
        "n_students_comparison": fit.n_students_comparison,
        "suppressed": False,
        "note": "",
    }


def _not_estimated(
    dimension: str, subgroup: str, frame: pd.DataFrame, partnered: int, comparison: int, why: str
) -> dict:
    return {
        "dimension": dimension,
        "subgroup": subgroup,
        "att": np.nan,
        "se": np.nan,
        "ci_lower": np.nan,
        "ci_upper": np.nan,
        "p_value": np.nan,
        "n_schools": int(frame[ID].nunique()) if not frame.empty else 0,
        "n_students": partnered,
        "n_students_comparison": comparison,
        "suppressed": True,
        "note": f"not estimable: {why}"[:500],
    }


_ESTIMATE_COLUMNS = ("att", "se", "ci_lower", "ci_upper", "p_value")


def suppress_cells(cells: pd.DataFrame, min_students: int) -> pd.DataFrame:
    """Hide estimates of cells under ``min_students`` in either group, and the counts that
    would let a reader recover a hidden count from the dimension's totals.

    Per dimension, the counts form a subgroup x (partnered, comparison) table whose totals are
    treated as published (the conservative case); ``suppress_counts`` chooses the complementary
    cells. A cell whose count is hidden only to protect another keeps its estimate.
    """
    cells = cells.copy()
    for _, rows in cells.groupby("dimension", sort=False):
        table = rows.set_index("subgroup")[["n_students", "n_students_comparison"]].astype(float)
        small = (table < min_students).any(axis=1)
        hidden = suppress_counts(table, threshold=min_students).hidden
        hidden_counts = hidden.loc[table.index, ["n_students", "n_students_comparison"]]
        for subgroup in table.index:
            at = rows.index[rows["subgroup"] == subgroup][0]
            if small[subgroup]:
                cells.loc[at, list(_ESTIMATE_COLUMNS)] = np.nan
                cells.loc[at, "suppressed"] = True
                cells.loc[at, "note"] = (
                    cells.loc[at, "note"] or f"fewer than {min_students} students"
                )
            if hidden_counts.loc[subgroup].any() or small[subgroup]:
                cells.loc[at, ["n_students", "n_students_comparison"]] = np.nan
                if not small[subgroup] and not cells.loc[at, "note"]:
                    cells.loc[at, "note"] = "counts hidden to protect a suppressed cell"
    return cells


def benjamini_hochberg(frame: pd.DataFrame) -> pd.Series:
    """q-values within each family (of the rows with a p-value); NaN elsewhere."""
    q_values = pd.Series(np.nan, index=frame.index)
    if frame.empty:
        return q_values
    for _, rows in frame.groupby("family"):
        known = rows["p_value"].dropna()
        if known.empty:
            continue
        q_values.loc[known.index] = multipletests(known.to_numpy(), method="fdr_bh")[1]
    return q_values
