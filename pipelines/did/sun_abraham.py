"""Sun & Abraham (2021) interaction-weighted event study.

A dynamic TWFE regression mixes the effects of different cohorts and relative periods when
effects are heterogeneous (its lead and lag coefficients are "contaminated"). Sun and Abraham
saturate the regression instead: one dummy per treated cohort × relative period (the cohort
average treatment effects on the treated, CATT), with unit and time fixed effects and a clean
control cohort, then average the CATTs of each relative period with the cohorts' shares as
weights. Covariates stay in the regression.

Conventions follow `fixest::sunab` + `aggregate.fixest` so that results match fixest:

- control cohort: units never treated within the sample (`gname` 0, missing, or after the last
  period, as fixest reads a cohort value absent from the periods). Without any, the last-treated
  cohort is the control and periods from its first treated period on are dropped (Sun &
  Abraham 2021, section 4.1; fixest would instead drop collinear dummies arbitrarily);
- units treated in or before the first period have no pre-period and are dropped;
- shares are the (weighted) observation counts of each cohort × relative-period cell in the
  estimation sample, taken as fixed: the aggregated covariance is L V Lᵀ (fixest's
  convention; the paper's extra term for estimated shares is not added);
- the overall ATT (`summary(..., agg = "ATT")` in fixest) averages every cell with relative
  period ≥ 0, weighted by its observation count;
- CRV1 standard errors with fixest's small-sample factor and t(G − 1) inference (see
  `_regression/fixed_effects.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from pipelines.did._regression.fixed_effects import ClusteredFit, linear_combination, t_inference
from pipelines.did._regression.panel_input import read_panel
from pipelines.did._results.base import symmetric_interval
from pipelines.did._results.event_study import (
    EVENT_PREFIX,
    ClusteredRegressionResult,
    coefficient_lines,
    cohort_label,
)

NEVER_TREATED = "never treated"


@dataclass(frozen=True)
class SunAbrahamResult(ClusteredRegressionResult):
    """Interaction-weighted event study with CRV1 inference.

    `coef` and `vcov` hold the event-time effects (in event-time order, named
    ``event_time::e``) followed by the covariates, as `TwfeResult` does, so HonestDiD can take
    ``result.coef[result.event_terms]`` and ``result.vcov.loc[terms, terms]``.
    `cohort_effects` lists the underlying CATTs with their weights.
    """

    coef: pd.Series
    vcov: pd.DataFrame
    event_terms: list[str]
    event_times: list[int]
    ref_period: int
    overall_att: float
    overall_se: float
    # cohort, event_time, term, estimate, se, n_obs, weight (share within its event time),
    # att_weight (share in the overall ATT)
    cohort_effects: pd.DataFrame
    aggregation: pd.DataFrame  # rows: event terms and "ATT"; columns: cohort-cell terms
    control_cohort: str | float  # NEVER_TREATED or the last-treated cohort used as control
    n_obs: int
    n_units: int
    n_clusters: int
    cluster_var: str
    alp: float
    yname: str
    n_dropped_missing: int
    n_dropped_always_treated: int  # units treated in or before the first period
    fit: ClusteredFit = field(repr=False)  # the saturated regression (CATT coefficients)

    @property
    def overall_ci(self) -> tuple[float, float]:
        """Confidence interval of the overall ATT (t with G − 1 df)."""
        crit = float(stats.t.ppf(1 - self.alp / 2, self.df_t))
        return symmetric_interval(self.overall_att, self.overall_se, crit)

    def summary(self) -> str:
        """A plain-text table of the event-time effects and the overall ATT."""
        overall = pd.DataFrame(
            {"term": ["ATT (e >= 0)"], "estimate": [self.overall_att], "se": [self.overall_se]}
        ).assign(**t_inference([self.overall_att], [self.overall_se], self.df_t, self.alp))
        lines = [
            f"Sun & Abraham interaction-weighted event study, outcome: {self.yname}",
            *coefficient_lines(pd.concat([self.to_frame(), overall]), self.alp),
        ]
        control = (
            NEVER_TREATED
            if self.control_cohort == NEVER_TREATED
            else f"last-treated cohort {cohort_label(self.control_cohort)} (periods before it)"
        )
        lines += [
            f"{self._sample_line()}  cohort cells: {len(self.cohort_effects)}",
            f"Control cohort: {control}. Reference period (omitted): event time {self.ref_period}.",
            "Cohort × relative-period effects weighted by cell shares; unit and time fixed "
            "effects; CRV1 standard errors with fixest's small-sample correction; "
            f"t({self.df_t}) reference distribution.",
        ]
        if self.n_dropped_always_treated:
            lines.append(
                f"Units treated in or before the first period, dropped: "
                f"{self.n_dropped_always_treated}."
            )
        lines += self._missing_rows_lines()
        return "\n".join(lines)

    def plot(self, title: str | None = None):
        """Event-study estimates with CIs as a Plotly figure, reference period marked at 0."""
        return self._figure("Sun & Abraham event study", title, self.ref_period)


def sun_abraham(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    xformla: str | Sequence[str] | None = None,
    ref_period: int = -1,
    clustervars: str | Sequence[str] | None = None,
    weightsname: str | None = None,
    alp: float = 0.05,
) -> SunAbrahamResult:
    """Sun & Abraham (2021) interaction-weighted event study, matching `fixest::sunab`.

    Parameters mirror R `did` and `twfe`: `gname` is the first treated period (0, missing or a
    value after the last period = never treated; constant within a unit); relative period
    e = `tname` − `gname`. The regression has one dummy per treated cohort × relative period
    except `ref_period`, the covariates of `xformla` ("~ x1 + x2" or a list), and unit and
    time fixed effects; `weightsname` gives regression weights (which also weight the
    shares). `clustervars` defaults to `idname` (see `twfe`). Rows with a missing outcome,
    covariate or weight are dropped and counted.

    Returns event-time effects (each the share-weighted mean of its cohorts' CATTs) and the
    overall ATT over relative periods ≥ 0, with CRV1 covariances aggregated linearly.

    Raises ``ValueError`` for the input errors `twfe` rejects, a treated cohort without an
    observation at `ref_period`, no control cohort, or a singular design.
    """
    sample = read_panel(data, yname, tname, idname, gname, xformla, clustervars, weightsname)
    panel, control_cohort, n_always = _select_sample(sample.panel, tname, idname, gname)
    sample = replace(sample, panel=panel)
    covariates = sample.covariates

    group = panel[gname].to_numpy(dtype=float)
    time = panel[tname].to_numpy(dtype=float)
    treated = ~np.isnan(group)
    relative = np.where(treated, time - group, np.nan)
    cells = _cohort_cells(group[treated], relative[treated], ref_period)

    cell_index = pd.MultiIndex.from_frame(cells[["cohort", "event_time"]])
    row_cell = cell_index.get_indexer(pd.MultiIndex.from_arrays([group, relative]))
    interactions = np.zeros((len(panel), len(cells)))
    in_cell = row_cell >= 0
    interactions[np.flatnonzero(in_cell), row_cell[in_cell]] = 1.0
    clustered, n_units = sample.fit_unit_time_effects(interactions, cells["term"].tolist())

    weights = sample.weights()
    row_weight = np.ones(len(panel)) if weights is None else weights
    cells["n_obs"] = np.bincount(row_cell[in_cell], minlength=len(cells))
    cell_mass = np.bincount(row_cell[in_cell], weights=row_weight[in_cell], minlength=len(cells))
    aggregation, event_times = _share_weights(cells, cell_mass)
    cells["weight"] = aggregation.to_numpy()[:-1].sum(axis=0)
    cells["att_weight"] = aggregation.loc["ATT"].to_numpy()
    cells["estimate"] = clustered.ols.coef[: len(cells)]
    cells["se"] = clustered.se[: len(cells)]

    # Event-time effects and the ATT are linear in the CATTs; covariates pass through.
    n_cov = len(covariates)
    L = np.zeros((len(aggregation) + n_cov, len(cells) + n_cov))
    L[: len(aggregation), : len(cells)] = aggregation.to_numpy()
    L[len(aggregation) :, len(cells) :] = np.eye(n_cov)
    estimates, covariance = linear_combination(clustered.ols.coef, clustered.vcov, L)
    keep = [i for i in range(len(L)) if i != len(event_times)]  # the ATT row goes apart
    terms = aggregation.index[:-1].tolist() + covariates

    return SunAbrahamResult(
        coef=pd.Series(estimates[keep], index=terms, name="estimate"),
        vcov=pd.DataFrame(covariance[np.ix_(keep, keep)], index=terms, columns=terms),
        event_terms=aggregation.index[:-1].tolist(),
        event_times=event_times,
        ref_period=ref_period,
        overall_att=float(estimates[len(event_times)]),
        overall_se=float(np.sqrt(covariance[len(event_times), len(event_times)])),
        cohort_effects=cells[
            ["cohort", "event_time", "term", "estimate", "se", "n_obs", "weight", "att_weight"]
        ],
        aggregation=aggregation,
        control_cohort=control_cohort,
        n_obs=len(panel),
        n_units=n_units,
        n_clusters=clustered.n_clusters,
        cluster_var=sample.cluster_var,
        alp=alp,
        yname=yname,
        n_dropped_missing=sample.n_dropped_missing,
        n_dropped_always_treated=n_always,
        fit=clustered,
    )


def _select_sample(
    panel: pd.DataFrame, tname: str, idname: str, gname: str
) -> tuple[pd.DataFrame, str | float, int]:
    """Mark the control cohort (gname → NaN), drop always-treated units, trim to the window
    the last-treated cohort can serve as control when nobody is never treated."""
    time = panel[tname].astype(float)
    group = panel[gname].astype(float)
    first, last = float(time.min()), float(time.max())
    never = group.isna() | (group <= 0) | (group > last)
    always = ~never & (group <= first)
    n_always = int(panel.loc[always, idname].nunique())
    panel = panel.assign(**{gname: group.mask(never)})[~always]
    if panel[gname].isna().any():
        control: str | float = NEVER_TREATED
    else:
        control = float(panel[gname].max())
        panel = panel[panel[tname] < control]
        panel = panel.assign(**{gname: panel[gname].mask(panel[gname] == control)})
    if not panel[gname].notna().any():
        raise ValueError(
            "no treated cohort left to estimate: need at least one cohort besides the control "
            "cohort (never-treated units, or else the last-treated cohort)"
        )
    if not panel[gname].isna().any():
        raise ValueError("no control cohort: need never-treated units or a later-treated cohort")
    return panel, control, n_always


def _cohort_cells(group: np.ndarray, relative: np.ndarray, ref_period: int) -> pd.DataFrame:
    """The cohort × relative-period cells that get a dummy, ordered by event time then cohort."""
    observed = pd.DataFrame({"cohort": group, "event_time": relative}).drop_duplicates()
    has_ref = observed.loc[observed["event_time"] == ref_period, "cohort"]
    lacking = sorted(set(observed["cohort"]) - set(has_ref))
    if lacking:
        raise ValueError(
            f"cohort(s) {[cohort_label(g) for g in lacking]} have no observation at the reference "
            f"period {ref_period}: choose a ref_period every treated cohort observes"
        )
    cells = observed[observed["event_time"] != ref_period].sort_values(["event_time", "cohort"])
    cells = cells.reset_index(drop=True)
    cells["event_time"] = cells["event_time"].astype(int)
    cells["term"] = [
        f"{EVENT_PREFIX}{e}:cohort::{cohort_label(g)}"
        for g, e in zip(cells["cohort"], cells["event_time"], strict=True)
    ]
    return cells


def _share_weights(cells: pd.DataFrame, cell_mass: np.ndarray) -> tuple[pd.DataFrame, list[int]]:
    """Rows: each event time (cohort shares within it), then "ATT" (all cells with e ≥ 0)."""
    event_times = sorted(cells["event_time"].unique().tolist())
    rows = []
    for e in event_times:
        mass = np.where(cells["event_time"] == e, cell_mass, 0.0)
        rows.append(mass / mass.sum())
    post_mass = np.where(cells["event_time"] >= 0, cell_mass, 0.0)
    if post_mass.sum() == 0:
        raise ValueError("no treated observation at or after treatment: no ATT to estimate")
    rows.append(post_mass / post_mass.sum())
    index = [f"{EVENT_PREFIX}{e}" for e in event_times] + ["ATT"]
    return pd.DataFrame(rows, index=index, columns=cells["term"].tolist()), event_times
