"""For whom, compared: how much more one subgroup gained than another, and whether any did.

Every pair of a dimension's published subgroups is compared (the first in display order minus
the second: ``lowest third`` minus ``highest third``, ``yes`` minus ``no``). The equality test
uses the pairs with the dimension's last subgroup (the reference: ``highest third``, ``no``,
``male``, ``White``), which say everything the others do. Two designs, by how the dimension
splits:

- **Within schools** (prior achievement, poverty, English learners, disability, gender, race
  and ethnicity: students of both subgroups sit in the same schools). The outcome is the
  school-year difference of the two subgroups' mean z, in the school-years that have both; its
  change in partnered schools against unpartnered ones is the difference in effects. The
  school's own shocks and level cancel in the difference, and it is estimated with Borusyak,
  Jaravel & Spiess's imputation estimator (school and year effects fitted on every untreated
  school-year), which uses every pre-program year as the baseline rather than the single year
  before the cohort that Callaway & Sant'Anna's universal base uses (docs/analysis.md gives
  the gain on the demo state). No covariates: the selection covariates describe a school, and
  a school's level cancels in a within-school difference.
- **Between schools** (grade band, school level: the subgroups are mostly in different
  schools). The difference of the two subgroups' Callaway & Sant'Anna estimates, with their
  published standard errors and the correlation of their school-level influence functions
  (they share comparison schools, and K-8 schools for grade band).

Every difference carries its scores by school (Var = sum of squares, Cov = sum of products),
so the dimension's equality test is a Wald test on its differences from the reference at once;
the minimum detectable difference is that of the best-measured pair.

Privacy: a within-school difference rests on the students of both subgroups in the schools
compared; when fewer than ``min_students`` of either (in partnered or in comparison schools) are
there, it is published without its estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from pipelines.estimates.covariates import GROUP, ID, TIME

if TYPE_CHECKING:
    from pipelines.estimates.subgroups import SubgroupFit

BETWEEN_SCHOOL_DIMENSIONS = frozenset({"grade_band", "school_level"})
"""Dimensions whose subgroups are mostly in different schools (compared between schools)."""
WITHIN = "within schools: imputation on the school-year difference of the two subgroups"
BETWEEN = "between schools: difference of the two subgroups' estimates"
MDE_POWER = 0.8
"""Power of the minimum detectable difference published with each equality test."""
DIFFERENCE_COLUMNS = (
    "dimension", "family", "subgroup", "compared_with", "comparison", "difference", "se",
    "ci_lower", "ci_upper", "p_value", "n_schools", "n_partnered_schools", "suppressed", "note",
)  # fmt: skip


@dataclass(frozen=True)
class Difference:
    """One subgroup's effect minus another's (``compared_with``)."""

    dimension: str
    subgroup: str
    compared_with: str
    comparison: str  # WITHIN or BETWEEN
    difference: float
    se: float
    n_schools: int
    n_partnered_schools: int
    scores: pd.Series
    """By school id: Var(difference) = sum(scores ** 2); two differences' covariance is the sum
    of their scores' products."""


class Pair(NamedTuple):
    """One compared pair: its estimate, or the reason it is not published (words)."""

    subgroup: str
    compared_with: str
    result: Difference | str
    reference: str
    """The dimension's reference subgroup (its last): the pairs with it make the test."""

    @property
    def with_reference(self) -> bool:
        return self.compared_with == self.reference


def compare(
    dimension: str,
    fits: Sequence[SubgroupFit],
    sample: pd.DataFrame,
    rows: pd.DataFrame,
    min_students: int,
) -> list[Pair]:
    """Every pair of ``fits`` (in their order: the earlier minus the later)."""
    reference = fits[-1].subgroup
    pairs = []
    for i, first in enumerate(fits):
        for second in fits[i + 1 :]:
            if dimension in BETWEEN_SCHOOL_DIMENSIONS:
                result: Difference | str = _between(first, second)
            else:
                try:
                    result = _within(
                        dimension, first.subgroup, second.subgroup, sample, rows, min_students
                    )
                except ValueError as error:
                    result = f"not estimable: {error}"[:500]
            pairs.append(Pair(first.subgroup, second.subgroup, result, reference))
    return pairs


def _between(fit: SubgroupFit, other: SubgroupFit) -> Difference:
    scores = fit.scores.sub(other.scores, fill_value=0.0)
    partnered = set(fit.partnered_schools) | set(other.partnered_schools)
    return Difference(
        dimension=fit.dimension,
        subgroup=fit.subgroup,
        compared_with=other.subgroup,
        comparison=BETWEEN,
        difference=fit.att - other.att,
        se=float(np.sqrt((scores**2).sum())),
        n_schools=len(scores),
        n_partnered_schools=len(partnered),
        scores=scores,
    )


def difference_panel(
    sample: pd.DataFrame, rows: pd.DataFrame, subgroup: str, compared_with: str
) -> pd.DataFrame:
    """School-years with both subgroups: ``mean_z`` is the subgroup's minus the other's,
    ``n_tested`` the smaller of their counts; cohort from ``sample``."""
    keys = [ID, TIME]
    columns = [*keys, "mean_z", "n_tested"]
    both = rows.loc[rows["subgroup"] == subgroup, columns].merge(
        rows.loc[rows["subgroup"] == compared_with, columns], on=keys, suffixes=("", "_other")
    )
    gaps = both[keys].assign(
        mean_z=both["mean_z"] - both["mean_z_other"],
        n_tested=np.minimum(both["n_tested"], both["n_tested_other"]),
    )
    frame = sample[[ID, TIME, GROUP]].merge(gaps, on=keys, how="inner")
    return frame.sort_values(keys).reset_index(drop=True)


def _within(
    dimension: str,
    subgroup: str,
    compared_with: str,
    sample: pd.DataFrame,
    rows: pd.DataFrame,
    min_students: int,
) -> Difference:
    from pipelines.did import did_imputation

    frame = difference_panel(sample, rows, subgroup, compared_with)
    treated = frame[GROUP] > 0
    post = treated & (frame[TIME] >= frame[GROUP])
    first_cohort = frame.loc[treated, GROUP].min() if treated.any() else np.inf
    # n_tested is the smaller subgroup's count: both subgroups have at least this many.
    partnered = frame.loc[post, "n_tested"].sum()
    comparison = frame.loc[~treated & (frame[TIME] >= first_cohort), "n_tested"].sum()
    if min(partnered, comparison) < min_students:
        raise ValueError(
            f"fewer than {min_students} students of a subgroup in the schools that have both"
        )
    fit = did_imputation(frame, "mean_z", TIME, ID, GROUP)
    return Difference(
        dimension=dimension,
        subgroup=subgroup,
        compared_with=compared_with,
        comparison=WITHIN,
        difference=float(fit.overall_att),
        se=float(fit.overall_se),
        n_schools=int(frame[ID].nunique()),
        n_partnered_schools=int(frame.loc[treated, ID].nunique()),
        scores=fit.overall_scores,
    )


def _covariance(differences: Sequence[Difference]) -> np.ndarray:
    index = sorted(set().union(*(d.scores.index for d in differences)))
    scores = np.column_stack(
        [d.scores.reindex(index, fill_value=0.0).to_numpy() for d in differences]
    )
    return scores.T @ scores


def equality_test(differences: Sequence[Difference]) -> tuple[float, int, float]:
    """Wald statistic, df and p-value of 'every subgroup's effect equals the reference's' (so
    all are equal), from the differences with the reference and their joint covariance."""
    theta = np.array([d.difference for d in differences])
    statistic = float(theta @ np.linalg.pinv(_covariance(differences)) @ theta)
    return statistic, len(differences), float(stats.chi2.sf(statistic, len(differences)))


def minimum_detectable_difference(
    differences: Sequence[Difference], alpha: float, power: float = MDE_POWER
) -> float:
    """The smallest true difference between two of the dimension's subgroups that these data
    would detect with probability ``power`` (two-sided test at ``alpha``, normal reference),
    for the pair measured most precisely among ``differences``: a smaller difference between
    any two subgroups would likely go unseen. No multiplicity adjustment, so a lower bound for
    the q-value tests. NaN when no pair has a positive standard error.
    """
    from pipelines.did.power import minimum_detectable_effect

    ses = [d.se for d in differences if np.isfinite(d.se) and d.se > 0]
    if not ses:
        return float("nan")
    return minimum_detectable_effect(min(ses), alpha=alpha, power=power).mde


def normal_p_value(estimate: float, se: float) -> float:
    """Two-sided p-value of ``estimate / se`` against a standard normal; NaN without an SE."""
    ratio = estimate / se if se > 0 else np.nan
    return float(2 * stats.norm.sf(abs(ratio))) if np.isfinite(ratio) else np.nan


def difference_row(item: Difference, alpha: float) -> dict:
    """One published row of ``estimates_subgroup_differences`` (normal interval)."""
    z = float(stats.norm.ppf(1 - alpha / 2))
    return {
        "dimension": item.dimension,
        "subgroup": item.subgroup,
        "compared_with": item.compared_with,
        "comparison": item.comparison,
        "difference": item.difference,
        "se": item.se,
        "ci_lower": item.difference - z * item.se,
        "ci_upper": item.difference + z * item.se,
        "p_value": normal_p_value(item.difference, item.se),
        "n_schools": item.n_schools,
        "n_partnered_schools": item.n_partnered_schools,
        "suppressed": False,
        "note": "",
    }


def withheld_row(dimension: str, subgroup: str, compared_with: str, why: str) -> dict:
    """A published row without an estimate, saying why."""
    comparison = BETWEEN if dimension in BETWEEN_SCHOOL_DIMENSIONS else WITHIN
    return {
        "dimension": dimension,
        "subgroup": subgroup,
        "compared_with": compared_with,
        "comparison": comparison,
        **dict.fromkeys(("difference", "se", "ci_lower", "ci_upper", "p_value"), np.nan),
        "n_schools": np.nan,
        "n_partnered_schools": np.nan,
        "suppressed": True,
        "note": why,
    }
