"""Standard errors, degrees of freedom and critical values for a set of estimates.

One place decides how intervals are built, for ATT(g,t) cells and their aggregations alike:
- analytic standard errors (R's, or the small-sample version, see `analytic`);
- with `bstrap`, multiplier-bootstrap standard errors, rescaled by the same small-sample factor;
- pointwise critical values from Student t (normal without the small-sample correction);
- with `cband`, uniform bands: the bootstrap sup-t quantile gives the band's level per
  estimate (its normal tail), and each estimate's critical value is that quantile of its
  Student t; without the small-sample correction (infinite df) this is R's band.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

from pipelines.did._influence.analytic import (
    pointwise_critical_values,
    standard_errors,
    uncertainty,
)
from pipelines.did._influence.multiplier import multiplier_bootstrap


class IntervalSettings(NamedTuple):
    """How a result's intervals are built; aggregations inherit these by default."""

    small_sample: bool
    bstrap: bool
    biters: int
    cband: bool
    alp: float


class Intervals(NamedTuple):
    se: np.ndarray
    df: np.ndarray
    crit_val: np.ndarray


def build_intervals(
    influence: np.ndarray,
    *,
    cluster: np.ndarray | None,
    strata: np.ndarray,
    settings: IntervalSettings,
    rng: np.random.Generator | None,
    uniform: bool,
) -> Intervals:
    """Intervals for the columns of an influence function (uniform only if `uniform`)."""
    matrix = influence[:, None] if influence.ndim == 1 else influence
    se, df = uncertainty(matrix, cluster, strata, settings.small_sample)
    crit = pointwise_critical_values(df, settings.alp)
    use_band = uniform and settings.cband
    if settings.bstrap or use_band:
        boot = multiplier_bootstrap(matrix, cluster, settings.biters, settings.alp, rng)
        if settings.bstrap:
            large_sample = uncertainty(matrix, cluster, strata, small_sample=False).se
            se = np.where(np.isnan(se), np.nan, boot.se * se / large_sample)
            se = standard_errors(se**2)
        if use_band and np.isfinite(boot.crit_val):
            # The band's level per estimate (the normal tail beyond the sup-t quantile), read
            # off Student t as the pointwise intervals are. Scaling the t critical value by the
            # sup-t/normal ratio instead under-covered jointly (91% in the Monte Carlo test):
            # t tails widen faster than the normal's far out. Normal when df is infinite (R).
            tail = stats.norm.sf(max(boot.crit_val, stats.norm.ppf(1 - settings.alp / 2)))
            crit = stats.t.isf(tail, df)
    return Intervals(se, df, crit)
