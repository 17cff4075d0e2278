"""Two-way fixed-effects difference-in-differences: static and event-study regressions.

Shown beside the heterogeneity-robust estimators because it is what most readers know, and
because with staggered adoption and growing effects it can be badly biased (Goodman-Bacon
2021): the comparison is the point. Coefficients and CRV1 standard errors reproduce
`fixest::feols(y ~ treat | id + time, cluster = ~id)` exactly, small-sample corrections
included (see `_regression/fixed_effects.py` for the convention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.did._regression.fixed_effects import ClusteredFit
from pipelines.did._regression.panel_input import read_panel
from pipelines.did._results.event_study import (
    EVENT_PREFIX,
    ClusteredRegressionResult,
    coefficient_lines,
)

STATIC_TERM = "treat_post"


@dataclass(frozen=True)
class TwfeResult(ClusteredRegressionResult):
    """Estimates of a two-way fixed-effects regression with CRV1 inference.

    `coef` and `vcov` cover every regressor (treatment terms first, then covariates), so
    sensitivity tools such as HonestDiD can take the event-study block directly:
    ``result.coef[result.event_terms]`` and ``result.vcov.loc[terms, terms]``.
    """

    coef: pd.Series
    vcov: pd.DataFrame
    dynamic: bool
    event_terms: list[str]  # treatment terms, in event-time order (one term if static)
    event_times: list[int]  # event time of each event term (bins carry their endpoint)
    ref_period: int | None
    bin_endpoints: tuple[int, int] | None
    n_obs: int
    n_units: int
    n_clusters: int
    cluster_var: str
    alp: float
    yname: str
    n_dropped_missing: int
    fit: ClusteredFit = field(repr=False)

    def _term_event_times(self) -> dict[str, int] | None:
        # A static regression's frame has no event_time column.
        return super()._term_event_times() if self.dynamic else None

    def summary(self) -> str:
        """A plain-text table of the estimates with the specification underneath."""
        kind = "event study" if self.dynamic else "static"
        lines = [
            f"Two-way fixed effects ({kind}), outcome: {self.yname}",
            *coefficient_lines(self.to_frame(), self.alp),
        ]
        lines.append(self._sample_line())
        lines.append(
            "Unit and time fixed effects; CRV1 standard errors with fixest's small-sample "
            f"correction; t({self.df_t}) reference distribution."
        )
        if self.dynamic:
            lines.append(f"Reference period (omitted): event time {self.ref_period}.")
            if self.bin_endpoints is not None:
                lo, hi = self.bin_endpoints
                lines.append(f"Endpoints binned: event times <= {lo} and >= {hi}.")
        lines += self._missing_rows_lines()
        return "\n".join(lines)

    def plot(self, title: str | None = None):
        """Event-study (or static) estimates with CIs as a Plotly figure."""
        ref_period = self.ref_period if self.dynamic else None
        return self._figure("Two-way fixed effects", title, ref_period, static=not self.dynamic)


def twfe(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    xformla: str | Sequence[str] | None = None,
    dynamic: bool = False,
    ref_period: int = -1,
    bin_endpoints: tuple[int, int] | None = None,
    clustervars: str | Sequence[str] | None = None,
    weightsname: str | None = None,
    alp: float = 0.05,
) -> TwfeResult:
    """Two-way fixed-effects DiD with CRV1 cluster-robust standard errors as in fixest.

    Parameters mirror R `did`: `gname` is the first treated period (0 or missing = never
    treated; it must be constant within a unit); a unit is treated from period `gname` on
    (no anticipation). Static (`dynamic=False`): one coefficient on treated × post.
    Event study (`dynamic=True`): one dummy per event time `tname - gname`, omitting
    `ref_period`; `bin_endpoints=(lo, hi)` lumps event times <= lo into one dummy and >= hi
    into another. Never-treated units have every dummy at 0; a cohort first treated after
    the last period only contributes leads (as `fixest`'s `i(rel, ref)` would).

    `xformla` adds covariates ("~ x1 + x2" or a list); `clustervars` defaults to `idname` (if
    given with `idname` and one other variable, as in R `did`, clusters are the other
    variable); `weightsname` gives regression weights. Rows with a missing outcome, covariate
    or weight are dropped and counted in `n_dropped_missing`. Inference: CRV1 with fixest's
    small-sample factor, t(G − 1) p-values and `1 − alp` intervals.

    Raises ``ValueError`` for missing columns, non-numeric outcome, time, group, covariates
    or weights, a unit whose `gname` changes, repeated unit-period rows, non-positive
    weights, or a singular design (e.g. a covariate collinear with the fixed effects).
    """
    sample = read_panel(data, yname, tname, idname, gname, xformla, clustervars, weightsname)
    panel = sample.panel
    group = panel[gname].fillna(0).to_numpy(dtype=float)
    treated_unit = group > 0
    time = panel[tname].to_numpy(dtype=float)
    if dynamic:
        treatment, terms, event_times = _event_dummies(
            time, group, treated_unit, ref_period, bin_endpoints
        )
    else:
        treatment = (treated_unit & (time >= group)).astype(float)[:, None]
        terms, event_times = [STATIC_TERM], [0]
    clustered, n_units = sample.fit_unit_time_effects(treatment, terms)
    names = terms + sample.covariates

    return TwfeResult(
        coef=pd.Series(clustered.ols.coef, index=names, name="estimate"),
        vcov=pd.DataFrame(clustered.vcov, index=names, columns=names),
        dynamic=dynamic,
        event_terms=terms,
        event_times=event_times,
        ref_period=ref_period if dynamic else None,
        bin_endpoints=tuple(bin_endpoints) if (dynamic and bin_endpoints) else None,
        n_obs=len(panel),
        n_units=n_units,
        n_clusters=clustered.n_clusters,
        cluster_var=sample.cluster_var,
        alp=alp,
        yname=yname,
        n_dropped_missing=sample.n_dropped_missing,
        fit=clustered,
    )


def _event_dummies(
    time: np.ndarray,
    group: np.ndarray,
    treated_unit: np.ndarray,
    ref_period: int,
    bin_endpoints: tuple[int, int] | None,
) -> tuple[np.ndarray, list[str], list[int]]:
    relative = np.where(treated_unit, time - group, np.nan)
    labels: dict[int, str] = {}
    if bin_endpoints is not None:
        lo, hi = (int(v) for v in bin_endpoints)
        if not lo < ref_period < hi:
            raise ValueError(
                f"bin_endpoints {bin_endpoints} must bracket the reference period {ref_period}"
            )
        relative = np.where(treated_unit, np.clip(relative, lo, hi), np.nan)
        labels = {lo: f"{EVENT_PREFIX}<={lo}", hi: f"{EVENT_PREFIX}>={hi}"}
    observed = np.unique(relative[treated_unit]).astype(int)
    if ref_period not in observed:
        raise ValueError(
            f"reference period {ref_period} is not an observed event time "
            f"(observed: {observed.min()}..{observed.max()})"
        )
    event_times = [int(e) for e in observed if e != ref_period]
    dummies = (relative[:, None] == np.asarray(event_times, dtype=float)).astype(float)
    terms = [labels.get(e, f"{EVENT_PREFIX}{e}") for e in event_times]
    return dummies, terms, event_times
