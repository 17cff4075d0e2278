"""Cohorts too small for an analytic interval.

A cohort's ATT(g,t) is its mean outcome change minus the comparisons'. With one treated unit
that mean is the unit's own value: its deviation from the mean, hence its influence function,
is zero, and the standard error holds only the comparison side. The
unit's own noise, usually the larger part, is left out: in placebo draws the 95% interval of a
one-school cohort excludes zero about 89% of the time (R `did` does the same;
tests/test_did_small_cohorts.py). No variance can be estimated from one unit, so such a cohort
gets no analytic interval, and aggregations leave its cells out and say so.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from pipelines.did._group_time.prepare import PreparedData

# Fewer treated units than this leave a cohort's own variance unestimable.
MIN_TREATED = 2


class SmallGroup(NamedTuple):
    group: float
    count: int  # treated units (observations in the sparsest period for cross-sections)
    what: str  # "unit" or "observation"

    def describe(self) -> str:
        plural = "" if self.count == 1 else "s"
        return f"cohort {self.group:g} has {self.count} treated {self.what}{plural}"


def small_groups(prepared: PreparedData) -> list[SmallGroup]:
    """Cohorts with fewer than two treated units (observations in the sparsest period for
    repeated cross-sections).

    Units, not clusters: a cohort whose units all sit in one cluster has the same blind spot
    under clustered SEs, but R's clustered intervals are kept as R computes them.
    """
    found = []
    for group in prepared.groups:
        members = prepared.unit_group == group
        if prepared.panel is None and prepared.rows is not None and prepared.unit_ids is None:
            present = np.bincount(prepared.rows.period[members])
            count = int(present[present > 0].min()) if present.any() else 0
            what = "observation"
        else:
            count, what = int(members.sum()), "unit"
        if count < MIN_TREATED:
            found.append(SmallGroup(float(group), count, what))
    return found


def warning_text(groups: list[SmallGroup]) -> str:
    reasons = "; ".join(group.describe() for group in groups)
    return (
        f"{reasons}: too few to estimate the cohort's own variance, so its ATT(g,t) have no "
        "standard error or interval (and aggregations leave them out)"
    )
