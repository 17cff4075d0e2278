"""Analytic inference from influence functions, on R `did`'s scale.

An influence-function matrix has one row per independent unit (one per observation for
repeated cross-sections) and is scaled so that an estimate's variance is mean(IF^2) / n.
With a cluster variable the rows are summed within clusters first (Callaway & Sant'Anna 2021,
Remark 10), without small-sample correction, as R does.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

# R sets standard errors at or below this to missing: they come from cells that are fixed
# (the reference period) or degenerate.
TINY_SE = np.sqrt(np.finfo(float).eps) * 10


class WaldTest(NamedTuple):
    statistic: float
    df: int
    pvalue: float


def cluster_sums(influence: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """Influence functions summed within clusters (unchanged without clusters)."""
    if cluster is None:
        return influence
    n_clusters = int(cluster.max()) + 1
    if influence.ndim == 1:
        return np.bincount(cluster, influence, minlength=n_clusters)
    return np.column_stack(
        [np.bincount(cluster, column, minlength=n_clusters) for column in influence.T]
    )


def vcov(influence: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """Variance-covariance matrix of the estimates (already divided by n)."""
    n = influence.shape[0]
    sums = cluster_sums(influence, cluster)
    return sums.T @ sums / n**2


def standard_errors(variance_diagonal: np.ndarray) -> np.ndarray:
    se = np.sqrt(np.clip(variance_diagonal, 0.0, None))
    return np.where(se <= TINY_SE, np.nan, se)


def standard_error(influence: np.ndarray, cluster: np.ndarray | None) -> float:
    """Standard error of one estimate from its influence function."""
    n = len(influence)
    sums = cluster_sums(influence, cluster)
    se = float(np.sqrt(np.sum(sums**2)) / n)
    return float("nan") if se <= TINY_SE else se


def wald_pretest(att: np.ndarray, covariance: np.ndarray, usable: np.ndarray) -> WaldTest | None:
    """Joint test that the selected (pre-treatment) ATT(g,t) are all zero."""
    index = np.flatnonzero(usable)
    if len(index) == 0:
        return None
    sub = covariance[np.ix_(index, index)]
    if not np.isfinite(sub).all() or 1.0 / np.linalg.cond(sub, p=1) <= np.finfo(float).eps:
        return None
    estimates = att[index]
    statistic = float(estimates @ np.linalg.solve(sub, estimates))
    return WaldTest(statistic, len(index), float(stats.chi2.sf(statistic, len(index))))
