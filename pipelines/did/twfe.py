"""Two-way fixed-effects difference-in-differences: static and event-study regressions.

Shown beside the heterogeneity-robust estimators because it is what most readers know, and
because with staggered adoption and growing effects it can be badly biased (Goodman-Bacon
2021): the comparison is the point. Coefficients and CRV1 standard errors reproduce
`fixest::feols(y ~ treat | id + time, cluster = ~id)` exactly, small-sample corrections
included (see `_fe` for the convention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.did._fe import ClusteredFit, FixedEffects, feols, t_inference
from pipelines.did._formula import parse_covariates

STATIC_TERM = "treat_post"
EVENT_PREFIX = "event_time::"


@dataclass(frozen=True)
class TwfeResult:
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

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.coef.index)

    @property
    def df_t(self) -> int:
        """Degrees of freedom of the t reference distribution: clusters − 1, as fixest."""
        return self.fit.df_t

    @property
    def num_pre_periods(self) -> int:
        """Number of estimated leads (event times < 0), for HonestDiD."""
        return sum(e < 0 for e in self.event_times) if self.dynamic else 0

    @property
    def num_post_periods(self) -> int:
        """Number of estimated lags (event times ≥ 0), for HonestDiD."""
        return sum(e >= 0 for e in self.event_times) if self.dynamic else 1

    def to_frame(self) -> pd.DataFrame:
        """One row per regressor: estimate, CRV1 SE, t, p-value and CI (t with G−1 df)."""
        inference = t_inference(self.coef.to_numpy(), self.se.to_numpy(), self.df_t, self.alp)
        frame = pd.DataFrame({"term": self.coef.index})
        if self.dynamic:
            event_time = dict(zip(self.event_terms, self.event_times, strict=True))
            frame["event_time"] = pd.array(
                [event_time.get(term) for term in self.coef.index], dtype="Int64"
            )
        frame["estimate"] = self.coef.to_numpy()
        frame["se"] = self.se.to_numpy()
        for key, values in inference.items():
            frame[key] = values
        frame["n_obs"] = self.n_obs
        frame["n_clusters"] = self.n_clusters
        return frame

    def summary(self) -> str:
        """A plain-text table of the estimates with the specification underneath."""
        frame = self.to_frame()
        level = round(100 * (1 - self.alp))
        kind = "event study" if self.dynamic else "static"
        lines = [
            f"Two-way fixed effects ({kind}), outcome: {self.yname}",
            f"{'term':<24}{'estimate':>11}{'se':>11}{'t':>8}{'p':>8}{f'{level}% CI':>24}",
        ]
        for row in frame.itertuples(index=False):
            ci = f"[{row.ci_lower:.4f}, {row.ci_upper:.4f}]"
            lines.append(
                f"{row.term:<24}{row.estimate:>11.4f}{row.se:>11.4f}{row.t:>8.2f}"
                f"{row.p_value:>8.3f}{ci:>24}"
            )
        lines.append(
            f"Observations: {self.n_obs}  units: {self.n_units}  "
            f"clusters ({self.cluster_var}): {self.n_clusters}"
        )
        lines.append(
            "Unit and time fixed effects; CRV1 standard errors with fixest's small-sample "
            f"correction; t({self.df_t}) reference distribution."
        )
        if self.dynamic:
            lines.append(f"Reference period (omitted): event time {self.ref_period}.")
            if self.bin_endpoints is not None:
                lo, hi = self.bin_endpoints
                lines.append(f"Endpoints binned: event times <= {lo} and >= {hi}.")
        if self.n_dropped_missing:
            lines.append(f"Rows dropped for missing values: {self.n_dropped_missing}.")
        return "\n".join(lines)

    def plot(self, title: str | None = None):
        """Event-study (or static) estimates with CIs as a Plotly figure."""
        import plotly.graph_objects as go

        frame = self.to_frame()
        frame = frame[frame["term"].isin(self.event_terms)]
        x = frame["event_time"].astype(float) if self.dynamic else [0.0]
        figure = go.Figure()
        figure.add_trace(
            go.Scatter(
                x=list(x),
                y=frame["estimate"],
                mode="markers+lines" if self.dynamic else "markers",
                name="estimate",
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": frame["ci_upper"] - frame["estimate"],
                    "arrayminus": frame["estimate"] - frame["ci_lower"],
                },
            )
        )
        if self.dynamic:
            figure.add_trace(
                go.Scatter(
                    x=[self.ref_period],
                    y=[0.0],
                    mode="markers",
                    marker={"symbol": "circle-open", "size": 11},
                    name=f"reference period ({self.ref_period}), fixed at 0",
                )
            )
            figure.add_vline(x=-0.5, line_dash="dot", line_color="grey")
        figure.add_hline(y=0.0, line_color="black", line_width=1)
        level = round(100 * (1 - self.alp))
        figure.update_layout(
            title=title or f"Two-way fixed effects: {self.yname} ({level}% CIs)",
            xaxis_title="years since first treated" if self.dynamic else "",
            yaxis_title=f"effect on {self.yname}",
        )
        return figure


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
    covariates = parse_covariates(xformla)
    cluster_var = _cluster_variable(clustervars, idname)
    _check_columns(data, yname, tname, idname, gname, covariates, cluster_var, weightsname)
    panel, n_dropped = _prepare(
        data, yname, tname, idname, gname, covariates, cluster_var, weightsname
    )

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
    if covariates:
        design = np.column_stack([treatment, panel[covariates].to_numpy(dtype=float)])
    else:
        design = treatment
    names = terms + covariates

    weights = None if weightsname is None else panel[weightsname].to_numpy(dtype=float)
    fixed_effects = FixedEffects.from_frame(panel, [idname, tname])
    cluster_codes, _ = pd.factorize(panel[cluster_var], sort=True)
    y = panel[yname].to_numpy(dtype=float)
    clustered = feols(y, design, names, fixed_effects, cluster_codes, weights)

    return TwfeResult(
        coef=pd.Series(clustered.ols.coef, index=names, name="estimate"),
        vcov=pd.DataFrame(clustered.vcov, index=names, columns=names),
        dynamic=dynamic,
        event_terms=terms,
        event_times=event_times,
        ref_period=ref_period if dynamic else None,
        bin_endpoints=tuple(bin_endpoints) if (dynamic and bin_endpoints) else None,
        n_obs=len(y),
        n_units=fixed_effects.n_levels[0],
        n_clusters=clustered.n_clusters,
        cluster_var=cluster_var,
        alp=alp,
        yname=yname,
        n_dropped_missing=n_dropped,
        fit=clustered,
    )


def _cluster_variable(clustervars: str | Sequence[str] | None, idname: str) -> str:
    if clustervars is None:
        return idname
    names = [clustervars] if isinstance(clustervars, str) else list(dict.fromkeys(clustervars))
    others = [name for name in names if name != idname]
    if len(others) > 1:
        raise ValueError(
            f"clustervars supports one clustering variable besides {idname!r}, got {names}"
        )
    return others[0] if others else idname


def _check_columns(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    covariates: list[str],
    cluster_var: str,
    weightsname: str | None,
) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    wanted = [yname, tname, idname, gname, *covariates, cluster_var]
    if weightsname is not None:
        wanted.append(weightsname)
    missing = [name for name in dict.fromkeys(wanted) if name not in data.columns]
    if missing:
        raise ValueError(f"columns not found in data: {missing}")
    numeric = {"outcome": [yname], "time": [tname], "group": [gname], "covariate": covariates}
    if weightsname is not None:
        numeric["weights"] = [weightsname]
    for role, columns in numeric.items():
        for column in columns:
            dtype = data[column].dtype
            if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
                raise ValueError(f"{role} column {column!r} must be numeric, got dtype {dtype}")


def _prepare(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    covariates: list[str],
    cluster_var: str,
    weightsname: str | None,
) -> tuple[pd.DataFrame, int]:
    columns = list(
        dict.fromkeys(
            [yname, tname, idname, gname, *covariates, cluster_var]
            + ([weightsname] if weightsname else [])
        )
    )
    panel = data[columns]
    for key in (idname, tname, cluster_var):
        if panel[key].isna().any():
            raise ValueError(f"column {key!r} has missing values")
    groups_per_unit = panel.groupby(idname, sort=False)[gname].nunique(dropna=False)
    if (groups_per_unit > 1).any():
        raise ValueError(
            f"{int((groups_per_unit > 1).sum())} unit(s) have a {gname!r} that changes over "
            f"time; the first treated period must be constant within {idname!r}"
        )
    if panel.duplicated([idname, tname]).any():
        raise ValueError(
            f"repeated ({idname}, {tname}) rows: the panel must have one row per unit and period"
        )
    needed = [yname, *covariates] + ([weightsname] if weightsname else [])
    complete = panel[needed].notna().all(axis=1)
    panel = panel[complete]
    if weightsname is not None and not (panel[weightsname] > 0).all():
        raise ValueError(f"weights column {weightsname!r} must be strictly positive")
    if panel.empty:
        raise ValueError("no complete rows to estimate on")
    return panel, int((~complete).sum())


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
