"""Aggregations of ATT(g,t) into summary effects (Callaway & Sant'Anna 2021, section 3).

`aggte` mirrors R `did` 2.5.0's `aggte`: "simple" (post-treatment cells weighted by cohort
size), "dynamic" (event study by exposure length e = t - g), "group" (per cohort) and "calendar"
(per period). Standard errors include the estimation of the cohort-size weights (R's "wif").
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipelines.did._influence.intervals import IntervalSettings, build_intervals
from pipelines.did._results import group_time
from pipelines.did._results.base import symmetric_interval
from pipelines.did._results.group_time import GroupTimeResult, estimate_frame
from pipelines.did.attgt import AttGtResult

_KEY_COLUMN = {"dynamic": "event_time", "group": "group", "calendar": "time"}


@dataclass(frozen=True)
class AggteResult(GroupTimeResult):
    """An aggregated effect (`overall_att`) and, except for "simple", its components."""

    type: str
    overall_att: float
    overall_se: float
    overall_df: float  # t degrees of freedom of the overall interval (inf = normal)
    overall_crit_val: float
    keys: np.ndarray  # event times, cohorts or periods
    att: np.ndarray
    se: np.ndarray
    df: np.ndarray
    crit_val: np.ndarray
    overall_influence: np.ndarray
    influence_function: np.ndarray  # (n_units, len(keys))
    inference: IntervalSettings
    settings: dict
    min_e: float
    max_e: float
    balance_e: int | None
    cluster: np.ndarray | None = field(default=None, repr=False)
    # Cohorts whose cells were left out: fewer than two treated units, no valid interval.
    excluded_groups: np.ndarray = field(default_factory=lambda: np.array([]))

    @property
    def overall_ci(self) -> tuple[float, float]:
        """Pointwise interval for the overall effect."""
        return symmetric_interval(self.overall_att, self.overall_se, self.overall_crit_val)

    @property
    def event_times(self) -> np.ndarray:
        """Event times of a dynamic aggregation (with `coef` and `vcov`, what HonestDiD reads)."""
        if self.type != "dynamic":
            raise AttributeError(f"a {self.type!r} aggregation has no event times")
        return self.keys.astype(int)

    @property
    def coef(self) -> np.ndarray:
        return self.att

    def _key_columns(self) -> dict[str, np.ndarray]:
        return {_KEY_COLUMN[self.type]: self.keys}

    def to_frame(self) -> pd.DataFrame:
        """Components keyed by event_time, group or time; the overall row for "simple"."""
        if self.type == "simple":
            lower, upper = self.overall_ci
            return estimate_frame({}, [self.overall_att], [self.overall_se], [lower], [upper])
        return super().to_frame()

    def summary(self) -> str:
        """A readable table of the overall effect and its components."""
        return group_time.aggte_summary(self)

    def plot(self):
        """Plotly figure: an event study for "dynamic", effects by group or period otherwise."""
        return group_time.aggte_figure(self)


class _Aggregator:
    """The pieces every aggregation needs, on R's integer time scale."""

    def __init__(self, result: AttGtResult):
        self.result = result
        self.att = result.att
        self.influence = result.influence_function
        # R maps periods and cohorts to their rank in the union of both before comparing them,
        # so max_e counts positions, not calendar units (they agree for consecutive periods).
        scale = np.unique(np.concatenate([result.time_periods, result.group]))
        self.time = np.searchsorted(scale, result.time) + 1
        self.group = np.searchsorted(scale, result.group) + 1
        self.scale = scale
        weights = result.unit_weight
        self.unit_group = result.unit_group
        cohorts = np.unique(result.group)
        self.cohort_share = {g: float(np.mean(weights * (self.unit_group == g))) for g in cohorts}
        self.pg = np.array([self.cohort_share[g] for g in result.group])

    def weight_influence(self, keepers: np.ndarray) -> np.ndarray:
        """Influence of estimating the cohort-size weights of the kept cells (n x kept)."""
        weights = self.result.unit_weight
        pg = self.pg[keepers]
        total = pg.sum()
        cohort = self.result.group[keepers]
        centered = weights[:, None] * (self.unit_group[:, None] == cohort[None, :]) - pg[None, :]
        return centered / total - np.outer(centered.sum(axis=1), pg / total**2)

    def combine(self, keepers: np.ndarray, weights: np.ndarray, with_wif: bool) -> np.ndarray:
        if len(keepers) == 0:
            raise ValueError("no ATT(g,t) cells fall in this aggregation")
        combined = self.influence[:, keepers] @ weights
        if with_wif:
            combined = combined + self.weight_influence(keepers) @ self.att[keepers]
        return combined


def aggte(
    result: AttGtResult,
    type: str = "group",
    balance_e: int | None = None,
    min_e: float | None = None,
    max_e: float | None = None,
    bstrap: bool | None = None,
    cband: bool | None = None,
    alp: float | None = None,
    random_state: int | np.random.Generator | None = None,
    small_sample: bool | None = None,
    na_rm: bool = False,
    exclude_small_groups: bool = True,
) -> AggteResult:
    """Aggregate ATT(g,t) as R `did::aggte` does.

    `type` is "simple", "group", "dynamic" or "calendar". `min_e`/`max_e` bound the event times
    (max_e also caps the exposure used by "simple" and "group"); `balance_e` keeps only cohorts
    observed for at least that many periods after treatment, for a balanced event study.
    `bstrap`, `cband`, `alp` and `small_sample` default to the att_gt result's choices;
    `random_state` seeds the bootstrap. Uniform bands (`cband`) cover the components (event
    times, groups or periods); the overall effect's interval is pointwise.

    Cells of cohorts too small for an interval (`result.small_groups`: fewer than two treated
    units) are left out of every aggregation, point estimate included, so that its interval
    is valid; `excluded_groups` and the summary name them, and a warning says so.
    `exclude_small_groups=False` keeps them, as R does (their variance is then understated).

    `na_rm=True` is R's `na.rm = TRUE`: cells that could not be estimated (missing ATT, e.g.
    for lack of overlap) are left out and the rest aggregated, with cohort weights over the
    cohorts that remain (for "group", cohorts without any estimated post-treatment cell are
    left out). Without it a missing cell is an error, as in R.
    """
    if type not in ("simple", "dynamic", "group", "calendar"):
        raise ValueError(f"type must be simple, dynamic, group or calendar, got {type!r}")
    excluded = np.asarray(result.small_groups if exclude_small_groups else [], dtype=float)
    if len(excluded):
        result = _without_groups(result, excluded)
        warnings.warn(
            f"aggte left out cohort {', '.join(f'{g:g}' for g in excluded)}: fewer than two "
            "treated units, so no valid interval for its cells",
            UserWarning,
            stacklevel=2,
        )
    if na_rm:
        result = _without_missing(result, type, max_e)
    if np.isnan(result.att).any():
        missing = [
            f"({g:g}, {t:g})"
            for g, t, a in zip(result.group, result.time, result.att, strict=True)
            if np.isnan(a)
        ]
        raise ValueError(
            f"ATT(g,t) is missing for cells {', '.join(missing)}: cannot aggregate (na_rm=True "
            "aggregates the cells that could be estimated)"
        )
    if balance_e is not None and (int(balance_e) != balance_e or balance_e < 0):
        raise ValueError(f"balance_e must be a non-negative whole number, got {balance_e!r}")
    base = result.inference
    settings = IntervalSettings(
        small_sample=base.small_sample if small_sample is None else bool(small_sample),
        bstrap=base.bstrap if bstrap is None else bool(bstrap),
        biters=base.biters,
        cband=base.cband if cband is None else bool(cband),
        alp=base.alp if alp is None else float(alp),
    )
    if not 0 < settings.alp < 1:
        raise ValueError(f"alp must be strictly between 0 and 1, got {settings.alp!r}")
    low = -np.inf if min_e is None else float(min_e)
    high = np.inf if max_e is None else float(max_e)
    builder = {
        "simple": _simple,
        "group": _by_group,
        "dynamic": _dynamic,
        "calendar": _calendar,
    }[type]
    overall, overall_if, keys, att, component_if = builder(
        _Aggregator(result), low, high, balance_e
    )
    rng = np.random.default_rng(random_state)

    def intervals(influence: np.ndarray, uniform: bool):
        return build_intervals(
            influence,
            cluster=result.cluster,
            strata=result.strata,
            settings=settings,
            rng=rng,
            uniform=uniform,
        )

    whole = intervals(overall_if, uniform=False)
    parts = intervals(component_if, uniform=True)
    return AggteResult(
        type=type,
        overall_att=float(overall),
        overall_se=float(whole.se[0]),
        overall_df=float(whole.df[0]),
        overall_crit_val=float(whole.crit_val[0]),
        keys=keys,
        att=att,
        se=parts.se,
        df=parts.df,
        crit_val=parts.crit_val,
        overall_influence=overall_if,
        influence_function=component_if,
        inference=settings,
        settings=dict(result.settings),
        min_e=low,
        max_e=high,
        balance_e=balance_e,
        cluster=result.cluster,
        excluded_groups=excluded,
    )


def _without_groups(result: AttGtResult, groups: np.ndarray) -> AttGtResult:
    """`result` restricted to the cells of cohorts other than `groups`."""
    keep = ~np.isin(result.group, groups)
    if not keep.any():
        raise ValueError(
            "every cohort has fewer than two treated units: no aggregation has a valid interval"
        )
    return _cells(result, keep, small_groups=np.array([]))


def _without_missing(result: AttGtResult, type: str, max_e: float | None) -> AttGtResult:
    """``result`` without its missing cells (and, for "group", cohorts left without effects)."""
    keep = ~np.isnan(result.att)
    if not keep.any():
        raise ValueError(
            "every ATT(g,t) is missing: nothing to aggregate (too few units, singular designs "
            "or no overlap?)"
        )
    if type == "group":
        high = np.inf if max_e is None else float(max_e)
        post = keep & (result.group <= result.time) & (result.time <= result.group + high)
        keep &= np.isin(result.group, result.group[post])
        if not keep.any():
            raise ValueError("no cohort has an estimated post-treatment ATT(g,t): cannot aggregate")
    return _cells(result, keep)


def _cells(result: AttGtResult, keep: np.ndarray, **changes: Any) -> AttGtResult:
    """``result`` with only the ATT(g,t) cells ``keep`` marks (and ``changes`` applied)."""
    return dataclasses.replace(
        result,
        group=result.group[keep],
        time=result.time[keep],
        att=result.att[keep],
        se=result.se[keep],
        df=result.df[keep],
        crit_val=result.crit_val[keep],
        influence_function=result.influence_function[:, keep],
        **changes,
    )


def _simple(agg: _Aggregator, low: float, high: float, balance_e):
    keepers = np.flatnonzero((agg.group <= agg.time) & (agg.time <= agg.group + high))
    pg = agg.pg[keepers]
    overall = np.sum(agg.att[keepers] * pg) / pg.sum()
    overall_if = agg.combine(keepers, pg / pg.sum(), with_wif=True)
    return overall, overall_if, np.array([]), np.array([]), np.empty((len(overall_if), 0))


def _by_group(agg: _Aggregator, low: float, high: float, balance_e):
    cohorts = np.unique(agg.result.group)
    ranks = np.unique(agg.group)
    att_g, if_g = [], []
    for rank in ranks:
        cells = np.flatnonzero(
            (agg.group == rank) & (rank <= agg.time) & (agg.time <= agg.group + high)
        )
        att_g.append(np.mean(agg.att[cells]))
        if_g.append(agg.combine(cells, np.full(len(cells), 1.0 / len(cells)), with_wif=False))
    att_g = np.array(att_g)
    if_g = np.column_stack(if_g)
    shares = np.array([agg.cohort_share[g] for g in cohorts])
    overall = np.sum(att_g * shares) / shares.sum()
    # The overall effect's weight influence is over cohorts, so build it on cohort summaries.
    weights = agg.result.unit_weight
    centered = weights[:, None] * (agg.unit_group[:, None] == cohorts[None, :]) - shares[None, :]
    wif = centered / shares.sum() - np.outer(centered.sum(axis=1), shares / shares.sum() ** 2)
    overall_if = if_g @ (shares / shares.sum()) + wif @ att_g
    return overall, overall_if, cohorts, att_g, if_g


def _dynamic(agg: _Aggregator, low: float, high: float, balance_e):
    original_t, original_g = agg.result.time, agg.result.group
    exposure = original_t - original_g
    include = np.ones(len(exposure), dtype=bool)
    event_times = np.unique(exposure)
    if balance_e is not None:
        last, first = original_t.max(), agg.scale[0]
        include = last - original_g >= balance_e
        event_times = np.unique(exposure[include])
        event_times = event_times[
            (event_times <= balance_e) & (event_times >= balance_e - last + first)
        ]
    event_times = event_times[(event_times >= low) & (event_times <= high)]
    if len(event_times) == 0:
        raise ValueError("no event times fall within min_e/max_e/balance_e")
    att_e, if_e = [], []
    for e in event_times:
        cells = np.flatnonzero((exposure == e) & include)
        pg = agg.pg[cells] / agg.pg[cells].sum()
        att_e.append(np.sum(agg.att[cells] * pg))
        if_e.append(agg.combine(cells, pg, with_wif=True))
    att_e = np.array(att_e)
    if_e = np.column_stack(if_e)
    post = event_times >= 0
    if not post.any():
        raise ValueError("no post-treatment event times in the window: cannot average them")
    overall = np.mean(att_e[post])
    overall_if = if_e[:, post].mean(axis=1)
    return overall, overall_if, event_times, att_e, if_e


def _calendar(agg: _Aggregator, low: float, high: float, balance_e):
    ranks = np.unique(agg.time)
    ranks = ranks[ranks >= agg.group.min()]
    # Periods without any post-treatment cell (all missing under na_rm) are left out, as in R.
    ranks = np.array([r for r in ranks if ((agg.time == r) & (agg.group <= agg.time)).any()])
    if len(ranks) == 0:
        raise ValueError("no period has an estimated post-treatment ATT(g,t): cannot aggregate")
    att_t, if_t = [], []
    for rank in ranks:
        cells = np.flatnonzero((agg.time == rank) & (agg.group <= agg.time))
        pg = agg.pg[cells] / agg.pg[cells].sum()
        att_t.append(np.sum(agg.att[cells] * pg))
        if_t.append(agg.combine(cells, pg, with_wif=True))
    att_t = np.array(att_t)
    if_t = np.column_stack(if_t)
    overall = np.mean(att_t)
    return overall, if_t.mean(axis=1), agg.scale[ranks - 1], att_t, if_t
