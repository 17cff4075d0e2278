"""Effect sizes in the What Works Clearinghouse (WWC) conventions.

The leadership report speaks WWC: effects as Hedges' g (standardized mean differences with the
small-sample correction), the improvement index (the expected percentile-rank change of an
average comparison student), and baseline equivalence of the comparison group. Formulas follow
the WWC Procedures and Standards Handbook (v5.0): ω = 1 − 3 / (4N − 9) with N = n₁ + n₂,
g = ω (ȳ₁ − ȳ₂) / s_pooled, improvement index = 100·Φ(g) − 50.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

#: WWC threshold for a "substantively important" effect, in SD units.
SUBSTANTIVELY_IMPORTANT = 0.25
#: Baseline-equivalence cut points (absolute g): at most the first is satisfied, at most the
#: second requires statistical adjustment, above it equivalence is not satisfied.
EQUIVALENCE_SATISFIED = 0.05
EQUIVALENCE_ADJUSTMENT = 0.25
# Cut points are compared with this slack so that a g computed as 0.05000000000000001 is 0.05.
_BOUNDARY_SLACK = 1e-12


def small_sample_correction(n_treated: ArrayLike, n_comparison: ArrayLike) -> np.ndarray:
    """Hedges' correction ω = 1 − 3 / (4N − 9), N the total sample size (WWC convention)."""
    total = np.asarray(n_treated, dtype=float) + np.asarray(n_comparison, dtype=float)
    if np.any(total < 3):
        raise ValueError("Hedges' correction needs at least 3 observations in total")
    return 1.0 - 3.0 / (4.0 * total - 9.0)


def hedges_g(
    mean_treated: ArrayLike,
    mean_comparison: ArrayLike,
    sd_treated: ArrayLike,
    sd_comparison: ArrayLike,
    n_treated: ArrayLike,
    n_comparison: ArrayLike,
) -> float | np.ndarray:
    """Hedges' g from group means, standard deviations and sizes (vectorised).

    The difference in means is divided by the pooled within-group SD,
    sqrt(((n₁−1)s₁² + (n₂−1)s₂²) / (n₁+n₂−2)), and multiplied by the small-sample correction.
    """
    n1 = np.asarray(n_treated, dtype=float)
    n2 = np.asarray(n_comparison, dtype=float)
    s1 = np.asarray(sd_treated, dtype=float)
    s2 = np.asarray(sd_comparison, dtype=float)
    if np.any(n1 < 2) or np.any(n2 < 2):
        raise ValueError("each group needs at least 2 observations for a pooled SD")
    if np.any(s1 < 0) or np.any(s2 < 0):
        raise ValueError("standard deviations must be non-negative")
    pooled = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
    if np.any(pooled == 0):
        raise ValueError("the pooled standard deviation is zero: g is undefined")
    difference = np.asarray(mean_treated, dtype=float) - np.asarray(mean_comparison, dtype=float)
    return _scalar_or_array(small_sample_correction(n1, n2) * difference / pooled)


def hedges_g_from_att(
    att: ArrayLike, n_treated: ArrayLike, n_comparison: ArrayLike, sd: ArrayLike = 1.0
) -> float | np.ndarray:
    """Hedges' g from an effect estimate (e.g. an ATT).

    Outcomes standardized to student z-scores make the ATT already a difference in SD units
    (`sd=1`); otherwise pass the pooled student-level SD of the outcome. The same factor
    ω / sd converts an ATT's confidence limits to g units.
    """
    sd = np.asarray(sd, dtype=float)
    if np.any(sd <= 0):
        raise ValueError("sd must be positive")
    correction = small_sample_correction(n_treated, n_comparison)
    return _scalar_or_array(correction * np.asarray(att, dtype=float) / sd)


def improvement_index(g: ArrayLike) -> float | np.ndarray:
    """WWC improvement index: 100·Φ(g) − 50, the percentile-point gain of the median
    comparison student had they received the intervention."""
    return _scalar_or_array(100.0 * stats.norm.cdf(np.asarray(g, dtype=float)) - 50.0)


def classify_baseline_equivalence(g: ArrayLike) -> str | np.ndarray:
    """WWC baseline equivalence of a pre-intervention difference expressed as Hedges' g.

    |g| <= 0.05: "satisfied"; 0.05 < |g| <= 0.25: "requires adjustment" (the impact model
    must adjust for the baseline measure); |g| > 0.25: "not satisfied". Missing g is
    "unknown".
    """
    values = np.abs(np.asarray(g, dtype=float))
    labels = np.select(
        [
            np.isnan(values),
            values <= EQUIVALENCE_SATISFIED + _BOUNDARY_SLACK,
            values <= EQUIVALENCE_ADJUSTMENT + _BOUNDARY_SLACK,
        ],
        ["unknown", "satisfied", "requires adjustment"],
        default="not satisfied",
    )
    return str(labels) if labels.ndim == 0 else labels


def _scalar_or_array(values: np.ndarray) -> float | np.ndarray:
    return float(values) if np.ndim(values) == 0 else values
