"""The interface every result class of the library shares.

Each estimator returns a frozen dataclass that derives from `Result`: `to_frame()` gives one
row per estimate (with `ci_lower` and `ci_upper` where the estimator has intervals) and
`summary()` a plain-text report; every result but `WildBootstrapResult` also draws itself
with `plot()` (a Plotly figure). Families of results share more through intermediate bases:
`GroupTimeResult` (ATT(g,t) and its aggregations) and `EventStudyResult` (the regression
event studies).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class Result:
    """Base of the result classes: a frame of the estimates and a text summary."""

    def to_frame(self) -> pd.DataFrame:
        """One row per estimate."""
        raise NotImplementedError

    def summary(self) -> str:
        """A plain-text report of the estimates and how they were obtained."""
        raise NotImplementedError


def symmetric_interval(
    estimate: np.ndarray | float, se: np.ndarray | float, crit_val: np.ndarray | float
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """The interval estimate ± crit_val × se, as (lower, upper), element by element."""
    return estimate - crit_val * se, estimate + crit_val * se
