"""Callaway & Sant'Anna (2021) group-time average treatment effects, ATT(g,t).

`att_gt` mirrors R `did` 2.5.0's function of the same name (arguments, defaults for the
estimation choices, point estimates and analytic standard errors), so results can be checked
side by side. Aggregations live in `pipelines.did.aggte`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.did._group_time.cells import enumerate_cells
from pipelines.did._group_time.estimate import estimate_cells
from pipelines.did._group_time.prepare import prepare
from pipelines.did._group_time.small_groups import small_groups, warning_text
from pipelines.did._influence.analytic import standard_errors, sum_of_squares, wald_pretest
from pipelines.did._influence.intervals import IntervalSettings, build_intervals
from pipelines.did._regression.formula import parse_covariates_by_group
from pipelines.did._results import group_time
from pipelines.did._results.group_time import GroupTimeResult
from pipelines.did.overlap import GroupOverlap

_CHOICES = {
    "control_group": ("nevertreated", "notyettreated"),
    "est_method": ("dr", "ipw", "reg"),
    "base_period": ("varying", "universal"),
}


@dataclass(frozen=True)
class AttGtResult(GroupTimeResult):
    """Group-time ATTs with their influence functions, intervals and the pre-trend test.

    `influence_function` is (n_units x cells), scaled as in R `did`: a cell's large-sample
    variance is mean(IF^2) / n_units (cluster sums replace unit rows when clustered), and `vcov`
    is that covariance matrix. Intervals are att +/- crit_val * se, cell by cell; `df` holds the
    t degrees of freedom of the small-sample intervals (inf for normal ones). Cohorts in
    `small_groups` have fewer than two treated units: their cells keep their ATT but have no
    standard error or interval (their own variance cannot be estimated).
    """

    group: np.ndarray
    time: np.ndarray
    att: np.ndarray
    se: np.ndarray
    df: np.ndarray
    crit_val: np.ndarray
    influence_function: np.ndarray
    n_units: int
    pretest_stat: float
    pretest_df: int
    pretest_pvalue: float
    pretest_denominator_df: float  # inf: chi-squared test (R's); finite: F test on W / df
    inference: IntervalSettings
    settings: dict
    time_periods: np.ndarray
    unit_group: np.ndarray = field(repr=False)
    unit_weight: np.ndarray = field(repr=False)
    cluster: np.ndarray | None = field(repr=False)
    strata: np.ndarray = field(repr=False)
    overlap: tuple[GroupOverlap, ...] = ()
    """R's overlap check per cohort (doubly robust and IPW only): cells that failed it are nan."""

    @property
    def not_estimable(self) -> tuple[GroupOverlap, ...]:
        """The cohorts with cells set to missing for lack of overlap."""
        return tuple(record for record in self.overlap if record.not_estimable)

    small_groups: np.ndarray = field(default_factory=lambda: np.array([]))

    @property
    def n_clusters(self) -> int:
        return self.n_units if self.cluster is None else int(self.cluster.max()) + 1

    def _key_columns(self) -> dict[str, np.ndarray]:
        return {"group": self.group, "time": self.time}

    def summary(self) -> str:
        """A readable table of the estimates, the interval type and the pre-test."""
        return group_time.attgt_summary(self)

    def plot(self):
        """Plotly figure of ATT(g,t) with intervals, one panel per cohort."""
        return group_time.attgt_figure(self)


def _check_choice(name: str, value: str) -> None:
    if value not in _CHOICES[name]:
        raise ValueError(f"{name} must be one of {_CHOICES[name]}, got {value!r}")


def _check_scalars(anticipation: float, alp: float, biters: int) -> None:
    if not np.isfinite(anticipation) or anticipation < 0:
        raise ValueError(f"anticipation must be a non-negative number, got {anticipation!r}")
    if not 0 < alp < 1:
        raise ValueError(f"alp must be strictly between 0 and 1, got {alp!r}")
    if int(biters) != biters or biters < 1:
        raise ValueError(f"biters must be a positive whole number, got {biters!r}")


def att_gt(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str | None,
    gname: str,
    xformla: str | Sequence[str] | Mapping[float, str | Sequence[str]] | None = None,
    control_group: str = "nevertreated",
    est_method: str = "dr",
    anticipation: float = 0,
    base_period: str = "varying",
    weightsname: str | None = None,
    clustervars: str | Sequence[str] | None = None,
    panel: bool = True,
    allow_unbalanced_panel: bool = False,
    bstrap: bool = False,
    biters: int = 1000,
    cband: bool = False,
    alp: float = 0.05,
    random_state: int | np.random.Generator | None = None,
    small_sample: bool = True,
) -> AttGtResult:
    """Estimate every ATT(g,t) of a staggered adoption design (Callaway & Sant'Anna 2021).

    Arguments follow R `did::att_gt`. `gname` is a unit's first treated period (0 or missing
    for never treated); `xformla` is "~ x1 + x2" or a list of columns, or a mapping from each
    treated group to its own formula or columns (covariates by group: ATT(g,t) is adjusted for
    group g's covariates only, in treated and comparison units alike, so each group's cells
    equal R's with that group's `xformla`); `panel=False` treats rows
    as repeated cross-sections. Standard errors are analytic (influence-function based,
    clustered by `clustervars` if given) unless `bstrap=True`, which uses the multiplier
    bootstrap with `biters` draws; `cband=True` makes the intervals uniform over all cells
    (always computed by bootstrap). `random_state` seeds the bootstrap.

    `small_sample=True` (the default, and the one addition to R's interface) corrects the
    standard errors for the number of units in each cohort and uses Student t critical values
    (Welch-Satterthwaite degrees of freedom): with few treated units R's normal intervals
    under-cover. The pre-test then uses the corrected covariance and an F reference (R's
    chi-squared Wald test rejects about 23% of the time at 5% with 13 and 20 treated units).
    `small_sample=False` reproduces R `did` exactly.

    A cohort with fewer than two treated units gets no standard error or interval, with a
    warning naming it: its own variance cannot be estimated and R's interval leaves it out (a
    one-school cohort's 95% interval excludes zero 89% of the time when nothing happened). Its
    point estimates are kept (listed in `small_groups`); `aggte` leaves its cells out and says
    so.

    Doubly robust and IPW cells fail R's overlap check (:mod:`pipelines.did.overlap`) when a
    unit's fitted propensity reaches 0.999: they are set to missing with an `OverlapWarning`,
    as R does, and `overlap` records the check per cohort.

    Raises ValueError for missing columns, non-numeric outcome/time/group columns, a unit whose
    group changes over time, no never-treated units with control_group="nevertreated", cells
    without valid comparisons, singular covariates, and covariates by group missing a group.
    """
    for name, value in (
        ("control_group", control_group),
        ("est_method", est_method),
        ("base_period", base_period),
    ):
        _check_choice(name, value)
    _check_scalars(anticipation, alp, biters)
    covariates, covariates_by_group = parse_covariates_by_group(xformla)
    prepared = prepare(
        data,
        yname=yname,
        tname=tname,
        idname=idname,
        gname=gname,
        covariates=covariates,
        covariates_by_group=covariates_by_group,
        weightsname=weightsname,
        clustervars=clustervars,
        panel=panel,
        allow_unbalanced_panel=allow_unbalanced_panel,
        control_group=control_group,
        anticipation=anticipation,
    )
    cells = enumerate_cells(
        prepared.time_periods,
        prepared.groups,
        base_period=base_period,
        anticipation=anticipation,
        control_group=control_group,
    )
    estimates = estimate_cells(cells, prepared, est_method)
    too_small = small_groups(prepared)
    if too_small:
        warnings.warn(warning_text(too_small), UserWarning, stacklevel=2)
    small = np.array([group.group for group in too_small])
    group = np.array([cell.group for cell in cells])
    time = np.array([cell.time for cell in cells])
    usable = ~np.isin(group, small)
    settings = IntervalSettings(
        small_sample=bool(small_sample),
        bstrap=bool(bstrap),
        biters=int(biters),
        cband=bool(cband),
        alp=float(alp),
    )
    # Intervals (and a uniform band's critical value) only over the cells that can have one.
    kept = build_intervals(
        estimates.influence[:, usable] if usable.any() else estimates.influence[:, :1],
        cluster=prepared.cluster,
        strata=prepared.strata,
        settings=settings,
        rng=np.random.default_rng(random_state),
        uniform=True,
    )
    se, df, crit_val = (np.full(len(cells), np.nan) for _ in range(3))
    if usable.any():
        se[usable], df[usable], crit_val[usable] = kept.se, kept.df, kept.crit_val
    if not usable.all():
        df[~usable] = np.inf
        crit_val[~usable] = np.nan
    intervals = kept._replace(se=se, df=df, crit_val=crit_val)

    variance = sum_of_squares(estimates.influence, prepared.cluster) / prepared.n**2
    pre = (group > time) & np.isfinite(standard_errors(variance)) & usable
    pretest = wald_pretest(
        estimates.att,
        estimates.influence,
        prepared.cluster,
        pre,
        strata=prepared.strata if small_sample else None,
        df=intervals.df,
    )
    return AttGtResult(
        group=group,
        time=time,
        att=estimates.att,
        se=intervals.se,
        df=intervals.df,
        crit_val=intervals.crit_val,
        influence_function=estimates.influence,
        n_units=prepared.n,
        pretest_stat=pretest.statistic if pretest else float("nan"),
        pretest_df=pretest.df if pretest else 0,
        pretest_pvalue=pretest.pvalue if pretest else float("nan"),
        pretest_denominator_df=pretest.denominator_df if pretest else float("nan"),
        inference=settings,
        settings={
            "yname": yname,
            "tname": tname,
            "control_group": control_group,
            "est_method": est_method,
            "anticipation": anticipation,
            "base_period": base_period,
            "xformla": xformla,
            "panel": prepared.panel is not None,
            "clustered": prepared.cluster is not None,
        },
        time_periods=prepared.time_periods,
        unit_group=prepared.unit_group,
        unit_weight=prepared.unit_weight,
        cluster=prepared.cluster,
        strata=prepared.strata,
        overlap=estimates.overlap,
        small_groups=small,
    )
