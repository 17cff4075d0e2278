"""For whom, compared: how much more one subgroup gained than another, and whether any did.

Each subgroup of a dimension is compared with the dimension's reference subgroup (the last
shown: ``highest third``, ``no``, ``male``, ...). Two designs, by how the dimension splits:

- **Within schools** (prior achievement, poverty, English learners, disability, gender, race
  and ethnicity: students of both subgroups sit in the same schools). The outcome is the
  school-year difference of the two subgroups' mean z, in the school-years that have both; its
  change in partnered schools against unpartnered ones is the difference in effects. The
  school's own shocks and level cancel in the difference, and it is estimated with Borusyak,
  Jaravel & Spiess's imputation estimator (school and year effects fitted on every untreated
  school-year), which uses every pre-program year as the baseline rather than the single year
  before the cohort that Callaway & Sant'Anna's universal base uses (docs/analysis.md gives
  the gain on the demo state). No covariates: the selection covariates
  describe a school, and a school's level cancels in a within-school difference.
- **Between schools** (grade band, school level: the subgroups are mostly in different
  schools). The difference of the two subgroups' Callaway & Sant'Anna estimates, with the
  covariance of their school-level influence functions (they share comparison schools and
  K-8 schools).

Every difference carries its scores by school (Var = sum of squares, Cov = sum of products),
so the dimension's equality test is a Wald test on all its differences at once, and the
minimum detectable difference is that of the best-measured pair.

Privacy: a within-school difference rests on the students of both subgroups in the schools
compared; when fewer than ``min_students`` of either (in partnered or in comparison schools) are
there, it is published without its estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
    "dimension", "family", "subgroup", "reference", "comparison", "difference", "se",
    "ci_lower", "ci_upper", "p_value", "n_schools", "n_partnered_schools", "suppressed", "note",
)  # fmt: skip


@dataclass(frozen=True)
class Difference:
    """One subgroup's effect minus the reference subgroup's."""

    dimension: str
    subgroup: str
    reference: str
    comparison: str  # WITHIN or BETWEEN
    difference: float
    se: float
    n_schools: int
    n_partnered_schools: int
    scores: pd.Series
    """By school id: Var(difference) = sum(scores ** 2); two differences' covariance is the sum
    of their scores' products."""


def compare(
    dimension: str,
    fits: Sequence[SubgroupFit],
    sample: pd.DataFrame,
    rows: pd.DataFrame,
    min_students: int,
) -> list[Difference | str]:
    """Each of ``fits`` but the last (the reference) against the last: a :class:`Difference`,
    or the reason it is not published (words)."""
    *others, reference = fits
    if dimension in BETWEEN_SCHOOL_DIMENSIONS:
        return [_between(fit, reference) for fit in others]
    results: list[Difference | str] = []
    for fit in others:
        try:
            results.append(
                _within(dimension, fit.subgroup, reference.subgroup, sample, rows, min_students)
            )
        except ValueError as error:
            results.append(f"not estimable: {error}"[:500])
    return results


def _between(fit: SubgroupFit, reference: SubgroupFit) -> Difference:
    scores = fit.scores.sub(reference.scores, fill_value=0.0)
    partnered = set(fit.partnered_schools) | set(reference.partnered_schools)
    return Difference(
        dimension=fit.dimension,
        subgroup=fit.subgroup,
        reference=reference.subgroup,
        comparison=BETWEEN,
        difference=fit.att - reference.att,
        se=float(np.sqrt((scores**2).sum())),
        n_schools=len(scores),
        n_partnered_schools=len(partnered),
        scores=scores,
    )


def difference_panel(
    sample: pd.DataFrame, rows: pd.DataFrame, subgroup: str, reference: str
) -> pd.DataFrame:
    """School-years with both subgroups: ``mean_z`` is the subgroup's minus the reference's,
    ``n_tested`` the smaller of their counts; covariates and cohort from ``sample``."""
    keys = [ID, TIME]
    columns = [*keys, "mean_z", "n_tested"]
    both = rows.loc[rows["subgroup"] == subgroup, columns].merge(
        rows.loc[rows["subgroup"] == reference, columns], on=keys, suffixes=("", "_reference")
    )
    gaps = both[keys].assign(
        mean_z=both["mean_z"] - both["mean_z_reference"],
        n_tested=np.minimum(both["n_tested"], both["n_tested_reference"]),
    )
    frame = sample[[ID, TIME, GROUP]].merge(gaps, on=keys, how="inner")
    return frame.sort_values(keys).reset_index(drop=True)


def _within(
    dimension: str,
    subgroup: str,
    reference: str,
    sample: pd.DataFrame,
    rows: pd.DataFrame,
    min_students: int,
) -> Difference:
    from pipelines.did import did_imputation

    frame = difference_panel(sample, rows, subgroup, reference)
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
        reference=reference,
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
    all are equal), with the joint covariance of the differences."""
    theta = np.array([d.difference for d in differences])
    statistic = float(theta @ np.linalg.pinv(_covariance(differences)) @ theta)
    return statistic, len(differences), float(stats.chi2.sf(statistic, len(differences)))


def minimum_detectable_difference(
    differences: Sequence[Difference], alpha: float, power: float = MDE_POWER
) -> float:
    """The smallest true difference between two of the dimension's subgroups that these data
    would detect with probability ``power`` (two-sided test at ``alpha``, normal reference),
    for the pair measured most precisely (any subgroup against the reference, or two others
    against each other): a smaller difference between any two subgroups would likely go
    unseen. No multiplicity adjustment, so a lower bound for the q-value tests. NaN when no
    pair has a positive standard error.
    """
    from pipelines.did.power import minimum_detectable_effect

    vcov = _covariance(differences)
    variances = list(np.diag(vcov)) + [
        vcov[a, a] + vcov[b, b] - 2 * vcov[a, b]
        for a in range(len(differences))
        for b in range(a + 1, len(differences))
    ]
    ses = [float(np.sqrt(v)) for v in variances if np.isfinite(v) and v > 0]
    if not ses:
        return float("nan")
    return minimum_detectable_effect(min(ses), alpha=alpha, power=power).mde


def difference_row(item: Difference, alpha: float) -> dict:
    """One published row of ``estimates_subgroup_differences`` (normal interval)."""
    z = float(stats.norm.ppf(1 - alpha / 2))
    ratio = item.difference / item.se if item.se > 0 else np.nan
    return {
        "dimension": item.dimension,
        "subgroup": item.subgroup,
        "reference": item.reference,
        "comparison": item.comparison,
        "difference": item.difference,
        "se": item.se,
        "ci_lower": item.difference - z * item.se,
        "ci_upper": item.difference + z * item.se,
        "p_value": float(2 * stats.norm.sf(abs(ratio))) if np.isfinite(ratio) else np.nan,
        "n_schools": item.n_schools,
        "n_partnered_schools": item.n_partnered_schools,
        "suppressed": False,
        "note": "",
    }


def withheld_row(dimension: str, subgroup: str, reference: str, why: str) -> dict:
    """A published row without an estimate, saying why."""
    comparison = BETWEEN if dimension in BETWEEN_SCHOOL_DIMENSIONS else WITHIN
    return {
        "dimension": dimension,
        "subgroup": subgroup,
        "reference": reference,
        "comparison": comparison,
        **dict.fromkeys(("difference", "se", "ci_lower", "ci_upper", "p_value"), np.nan),
        "n_schools": np.nan,
        "n_partnered_schools": np.nan,
        "suppressed": True,
        "note": why,
    }
