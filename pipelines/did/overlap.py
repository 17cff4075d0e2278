"""Overlap (common support) of the propensity-score estimators, judged as R `did` judges it.

R `did` 2.5.1 checks every (g,t) cell before a doubly robust or inverse-probability estimate:
an unweighted logit of "in cohort g" on the covariates, over the cell's treated and comparison
units, and the cell is not estimable (NA, with the warning "overlap condition violated") when
the largest fitted propensity reaches 0.999. Treated units with such a propensity have no
comparison unit like them: any weighting of comparisons would have to put (almost) all weight
on none. Outcome regression is not checked: it extrapolates its comparison-unit regression to
them instead.

:func:`outside_support` names the treated units that fail the same rule, so that an analysis
can set them aside (a common-support sample) and count them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

OVERLAP_LIMIT = 0.999
"""R's guard: a fitted propensity score at or above this makes a cell not estimable."""

RULE = (
    "unweighted logit of cohort membership on the cohort's covariates among its partnered and "
    "comparison schools (R did's overlap guard): a partnered school with fitted propensity "
    f">= {OVERLAP_LIMIT} has no comparable comparison school"
)
"""How support is judged, in words (for tables and messages)."""

_MAX_STEPS = 100
_TOLERANCE = 1e-8


class OverlapWarning(RuntimeWarning):
    """Some ATT(g,t) cells are not estimable for lack of overlap (set to missing, as R)."""


@dataclass(frozen=True)
class GroupOverlap:
    """The overlap check of one cohort (its first checked cell's sample)."""

    group: float
    n_treated: int
    n_outside_support: int  # treated units with fitted propensity >= OVERLAP_LIMIT
    n_comparison: int
    not_estimable: tuple[float, ...]  # periods of the cohort's cells set to missing

    def describe(self) -> str:
        """The refusal in words, e.g. for a status table."""
        periods = ", ".join(f"{t:g}" for t in self.not_estimable)
        return (
            f"cohort {self.group:g}: {self.n_outside_support} of {self.n_treated} treated units "
            f"have no comparable comparison unit among {self.n_comparison} (fitted propensity "
            f">= {OVERLAP_LIMIT}); its cells for periods {periods} are not estimable"
        )


def preliminary_propensity(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Fitted values of the unweighted logit of ``d`` on ``x`` (with intercept), as R's guard.

    Iteratively reweighted least squares as R's glm and fastglm run it (at most 100 steps,
    deviance tolerance 1e-8). Under (quasi-)separation the coefficients diverge and the fitted
    values of the separated units approach one: this fit reports them instead of failing on a
    singular information matrix, because that is exactly what the guard must see.
    """
    if x.shape[1] == 1:
        return np.full(len(d), float(d.mean()))
    eta = np.where(d == 1, 1.0, -1.0) * np.log(3.0)  # glm's start: mu = (y + 0.5) / 2
    deviance = np.inf
    for _ in range(_MAX_STEPS):
        mu = 1.0 / (1.0 + np.exp(-eta))
        variance = np.clip(mu * (1.0 - mu), 1e-300, None)
        z = eta + (d - mu) / variance
        root = np.sqrt(variance)
        beta = np.linalg.lstsq(x * root[:, None], z * root, rcond=None)[0]
        eta = x @ beta
        mu = 1.0 / (1.0 + np.exp(-eta))
        with np.errstate(divide="ignore", invalid="ignore"):
            new = -2.0 * np.sum(np.where(d == 1, np.log(mu), np.log1p(-mu)))
        if not np.isfinite(new) or abs(new - deviance) / (abs(new) + 0.1) < _TOLERANCE:
            break
        deviance = new
    return 1.0 / (1.0 + np.exp(-eta))


def outside_support(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    xformla: str | Sequence[str] | Mapping[float, str | Sequence[str]] | None,
    control_group: str = "nevertreated",
    anticipation: float = 0,
    max_rounds: int = 5,
) -> dict[float, list]:
    """Ids of the treated units outside their comparisons' support, by cohort.

    Each cohort's treated units are checked against the comparison units of its first
    post-treatment cell with the rule of R's guard (:data:`RULE`). Setting units aside changes
    the fit, so the check is repeated on the remaining units (at most ``max_rounds`` times)
    until every cohort passes. Cohorts with no unit outside support are absent.
    """
    from pipelines.did._group_time.cells import comparison_mask, enumerate_cells
    from pipelines.did._group_time.prepare import prepare
    from pipelines.did._regression.formula import parse_covariates_by_group

    covariates, by_group = parse_covariates_by_group(xformla)
    outside: dict[float, list] = {}
    remaining = data
    for _ in range(max_rounds):
        prepared = prepare(
            remaining,
            yname=yname,
            tname=tname,
            idname=idname,
            gname=gname,
            covariates=covariates,
            weightsname=None,
            clustervars=None,
            panel=True,
            allow_unbalanced_panel=False,
            control_group=control_group,
            anticipation=anticipation,
            covariates_by_group=by_group,
        )
        if prepared.panel is None:
            raise ValueError("outside_support needs a balanced panel")
        cells = enumerate_cells(
            prepared.time_periods,
            prepared.groups,
            base_period="universal",
            anticipation=anticipation,
            control_group=control_group,
        )
        found = False
        for group in prepared.groups:
            cell = next(c for c in cells if c.group == group and c.post)
            treated = prepared.unit_group == group
            sample = treated | comparison_mask(prepared.unit_group, cell)
            x = prepared.panel.x
            x = (x if x.ndim == 2 else x[cell.earlier])[:, prepared.columns_for(group)]
            fitted = preliminary_propensity(x[sample], treated[sample].astype(float))
            if fitted.max() < OVERLAP_LIMIT:
                continue
            ids = prepared.unit_ids[sample][(fitted >= OVERLAP_LIMIT) & treated[sample]]
            if len(ids) == 0:
                continue
            outside.setdefault(float(group), []).extend(ids.tolist())
            found = True
        if not found:
            return outside
        dropped = [i for ids in outside.values() for i in ids]
        remaining = data[~data[idname].isin(dropped)]
    raise ValueError(
        f"overlap not reached after setting treated units aside {max_rounds} times: the "
        "covariates separate treated from comparison units"
    )
