"""Minimum detectable effects: the smallest true effect an estimate would detect reliably.

For an estimate with standard error ``se`` whose t statistic has ``df`` degrees of freedom, the
minimum detectable effect (MDE) at level ``alpha`` (two-sided) and power ``power`` is the true
effect whose test rejects "no effect" with probability ``power``. With a noncentral t reference
it solves  P(|T| > t_{1 - alpha/2, df}; noncentrality = MDE / se) = power, which is close to
(t_{1-alpha/2,df} + t_{power,df}) * se (Bloom 1995). statsmodels' power routines solve it:
``TTestPower`` (a one-sample t test with ``nobs = df + 1``, whose noncentrality is
effect_size * sqrt(nobs)) for finite df, ``NormalIndPower`` (one sample: ``ratio=0``) for
normal intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MinimumDetectableEffect:
    mde: float  # in the estimate's units
    se: float
    df: float  # inf: normal reference
    alpha: float
    power: float
    method: str  # the calculation, in words


def minimum_detectable_effect(
    se: float, df: float = np.inf, alpha: float = 0.05, power: float = 0.8
) -> MinimumDetectableEffect:
    """MDE of an estimate with standard error ``se`` and t degrees of freedom ``df``.

    Raises ValueError for a non-positive or missing ``se``, ``df`` <= 1, or ``alpha``/``power``
    outside (0, 1).
    """
    from statsmodels.stats.power import NormalIndPower, TTestPower

    if not (np.isfinite(se) and se > 0):
        raise ValueError(f"se must be a positive number, got {se!r}")
    if not (df > 1):
        raise ValueError(f"df must be more than 1 (inf for a normal reference), got {df!r}")
    for name, value in (("alpha", alpha), ("power", power)):
        if not 0 < value < 1:
            raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    if np.isfinite(df):
        nobs = float(df) + 1.0
        standardized = TTestPower().solve_power(
            effect_size=None, nobs=nobs, alpha=alpha, power=power, alternative="two-sided"
        )
        # solve_power returns a scalar or a one-element array depending on the solver path.
        multiplier = float(np.ravel(standardized)[0]) * np.sqrt(nobs)
        method = (
            f"noncentral t with {df:.1f} degrees of freedom (statsmodels TTestPower): the true "
            f"effect detected with probability {power:g} by a two-sided {alpha:g} test, "
            f"{multiplier:.3f} standard errors"
        )
    else:
        solved = NormalIndPower().solve_power(
            effect_size=None, nobs1=1, alpha=alpha, power=power, ratio=0,
            alternative="two-sided",
        )  # fmt: skip
        multiplier = float(np.ravel(solved)[0])
        method = (
            f"normal reference (statsmodels NormalIndPower): the true effect detected with "
            f"probability {power:g} by a two-sided {alpha:g} test, {multiplier:.3f} standard "
            "errors"
        )
    return MinimumDetectableEffect(multiplier * se, float(se), float(df), alpha, power, method)
