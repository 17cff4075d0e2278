"""Validation and reshaping of long data for the group-time estimators.

The rules mirror R `did` 2.5.0's pre-processing (complete cases, weights normalized to mean one,
never-treated coded as infinity, cohorts treated before the first period dropped, units with
missing periods dropped from a balanced panel) but bad input raises a `ValueError` that names
the problem instead of being coerced silently.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.did._design import design_matrix


@dataclass(frozen=True)
class PanelArrays:
    """A balanced panel as units x periods matrices (units sorted by id)."""

    y: np.ndarray  # (n, T) outcomes
    w: np.ndarray  # (n,) or (n, T) when weights vary over time
    x: np.ndarray  # (n, k) or (T, n, k) when covariates vary over time


@dataclass(frozen=True)
class RowArrays:
    """Observations as rows: repeated cross-sections or an unbalanced panel."""

    y: np.ndarray  # (rows,)
    period: np.ndarray  # (rows,) index into time_periods
    w: np.ndarray  # (rows,)
    x: np.ndarray  # (rows, k)
    group: np.ndarray  # (rows,) first-treatment period, inf for never treated
    unit: np.ndarray  # (rows,) row of the influence function the observation belongs to


@dataclass(frozen=True)
class PreparedData:
    """Everything the estimators need, in arrays; one influence-function row per unit."""

    time_periods: np.ndarray  # sorted periods
    groups: np.ndarray  # sorted treated cohorts that can be estimated
    unit_group: np.ndarray  # (n,) cohort per influence-function row, inf = never treated
    unit_weight: np.ndarray  # (n,) sampling weight per row, mean one over all observations
    cluster: np.ndarray | None  # (n,) integer cluster codes, None = clustered by unit only
    strata: np.ndarray  # (n,) variance strata for small-sample inference: cohort (x period)
    covariate_labels: list[str]
    panel: PanelArrays | None
    rows: RowArrays | None

    @property
    def n(self) -> int:
        return len(self.unit_group)


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _check_columns(data: pd.DataFrame, needed: list[str], yname: str, tname: str, gname: str):
    missing = [name for name in dict.fromkeys(needed) if name not in data.columns]
    if missing:
        raise ValueError(f"columns not found in data: {missing}")
    for name, label in ((yname, "outcome"), (tname, "time"), (gname, "group")):
        column = data[name]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            raise ValueError(f"the {label} column {name!r} must be numeric, got {column.dtype}")


def _check_unit_invariant(frame: pd.DataFrame, idname: str, column: str, what: str) -> None:
    per_unit = frame.groupby(idname, sort=False)[column].nunique(dropna=False)
    changing = int((per_unit > 1).sum())
    if changing:
        raise ValueError(
            f"{what} column {column!r} changes over time for {changing} unit(s): it must be "
            "constant within each unit (treatment is irreversible)"
        )


def _weights(frame: pd.DataFrame, weightsname: str | None) -> np.ndarray:
    if weightsname is None:
        return np.ones(len(frame))
    weights = frame[weightsname].to_numpy(dtype=float)
    if (weights < 0).any() or weights.mean() <= 0:
        raise ValueError(f"weights {weightsname!r} must be non-negative with a positive mean")
    return weights / weights.mean()


def _restrict_cohorts(
    frame: pd.DataFrame, tname: str, control_group: str, anticipation: float
) -> tuple[pd.DataFrame, np.ndarray]:
    """Apply R's cohort rules; returns the kept rows and the estimable treated cohorts."""
    group = frame["_g"].to_numpy()
    periods = np.sort(frame[tname].unique())
    exclude_latest = None
    if not np.isinf(group).any():
        if control_group == "nevertreated":
            raise ValueError(
                "no never-treated units: use control_group='notyettreated' (comparisons with "
                "not-yet-treated units) or add never-treated units (gname 0 or missing)"
            )
        # The last cohort serves as comparison until it is treated; later periods have none.
        exclude_latest = group.max()
        frame = frame[frame[tname] < exclude_latest - anticipation]
        periods = np.sort(frame[tname].unique())
        group = frame["_g"].to_numpy()
    if len(periods) < 2:
        raise ValueError("at least two time periods with a valid comparison group are needed")
    first = periods[0]
    early = np.isfinite(group) & (group <= first + anticipation)
    if early.any():
        warnings.warn(
            f"dropped {int(early.sum())} rows of units already treated in the first period",
            UserWarning,
            stacklevel=4,
        )
        frame = frame[~early]
        group = frame["_g"].to_numpy()
    cohorts = np.unique(group[np.isfinite(group)])
    if exclude_latest is not None:
        cohorts = cohorts[cohorts != exclude_latest]
    if len(cohorts) == 0:
        raise ValueError(
            "no treated cohort can be estimated: gname must be the first treated period "
            "(0 or missing for never treated) and some units must be treated after the first period"
        )
    return frame, cohorts


def prepare(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str | None,
    gname: str,
    covariates: list[str],
    weightsname: str | None,
    clustervars: str | list[str] | None,
    panel: bool,
    allow_unbalanced_panel: bool,
    control_group: str,
    anticipation: float,
) -> PreparedData:
    """Validate long data and reshape it for estimation."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame")
    if panel and idname is None:
        raise ValueError("idname is required with panel=True (set panel=False for cross-sections)")
    clusters = [name for name in _as_list(clustervars) if name != idname]
    if len(clusters) > 1:
        raise ValueError(f"at most one cluster variable beyond idname is supported, got {clusters}")
    cluster_name = clusters[0] if clusters else None
    needed = [yname, tname, gname, *covariates]
    needed += [name for name in (idname, weightsname, cluster_name) if name is not None]
    _check_columns(data, needed, yname, tname, gname)

    frame = data[list(dict.fromkeys(needed))].copy()
    # Missing or zero first-treatment period both mean never treated.
    frame["_g"] = frame[gname].fillna(0).astype(float).replace(0.0, np.inf)
    if idname is not None:
        if frame[idname].isna().any():
            raise ValueError(f"id column {idname!r} has missing values")
        _check_unit_invariant(frame, idname, "_g", "group")
        if cluster_name is not None:
            _check_unit_invariant(frame, idname, cluster_name, "cluster")
        if panel and frame.duplicated([idname, tname]).any():
            raise ValueError(f"units are observed more than once in a period ({idname}, {tname})")

    used = [c for c in needed if c != gname]
    complete = frame[used].notna().all(axis=1).to_numpy()
    if not complete.all():
        warnings.warn(
            f"dropped {int((~complete).sum())} rows with missing values",
            UserWarning,
            stacklevel=3,
        )
        frame = frame[complete]
    if len(frame) == 0:
        raise ValueError("no complete rows left after dropping missing values")

    frame["_w"] = _weights(frame, weightsname)
    last_period = frame[tname].max()
    frame.loc[frame["_g"] > last_period + anticipation, "_g"] = np.inf
    frame, cohorts = _restrict_cohorts(frame, tname, control_group, anticipation)

    mode = "rc" if not panel else "panel"
    if panel:
        n_periods = frame[tname].nunique()
        counts = frame.groupby(idname, sort=False)[tname].transform("size").to_numpy()
        balanced = bool((counts == n_periods).all())
        if not balanced and allow_unbalanced_panel:
            mode = "unbalanced"
        elif not balanced:
            dropped = frame.loc[counts < n_periods, idname].nunique()
            warnings.warn(
                f"dropped {dropped} units missing in some periods to balance the panel "
                "(set allow_unbalanced_panel=True to keep them)",
                UserWarning,
                stacklevel=3,
            )
            frame = frame[counts == n_periods]
            if len(frame) == 0:
                raise ValueError("no units are observed in every period: the panel is empty")

    periods = np.sort(frame[tname].unique())
    period_index = np.searchsorted(periods, frame[tname].to_numpy())
    x_rows, labels = design_matrix(frame, covariates)
    _check_group_sizes(frame, periods, len(labels) + 4, control_group)
    cluster_rows = None
    if cluster_name is not None:
        cluster_rows = pd.factorize(frame[cluster_name], sort=True)[0]

    if mode == "rc":
        return PreparedData(
            time_periods=periods,
            groups=cohorts,
            unit_group=frame["_g"].to_numpy(),
            unit_weight=frame["_w"].to_numpy(),
            cluster=cluster_rows,
            # Cross-section rows of one cohort in one period form a sample of their own.
            strata=np.unique(
                pd.factorize(frame["_g"])[0] * len(periods) + period_index, return_inverse=True
            )[1],
            covariate_labels=labels,
            panel=None,
            rows=RowArrays(
                y=frame[yname].to_numpy(dtype=float),
                period=period_index,
                w=frame["_w"].to_numpy(),
                x=x_rows,
                group=frame["_g"].to_numpy(),
                unit=np.arange(len(frame)),
            ),
        )

    unit_index, _ = pd.factorize(frame[idname], sort=True)
    n_units = int(unit_index.max()) + 1
    # Each unit's earliest observation carries its time-invariant attributes, as in R.
    order = np.lexsort((period_index, unit_index))
    first_row = order[np.unique(unit_index[order], return_index=True)[1]]
    unit_group = frame["_g"].to_numpy()[first_row]
    cluster_units = None if cluster_rows is None else cluster_rows[first_row]

    if mode == "unbalanced":
        weights = frame["_w"].to_numpy()
        unit_weight = np.bincount(unit_index, weights) / np.bincount(unit_index)
        return PreparedData(
            time_periods=periods,
            groups=cohorts,
            unit_group=unit_group,
            unit_weight=unit_weight,
            cluster=cluster_units,
            strata=pd.factorize(unit_group)[0],
            covariate_labels=labels,
            panel=None,
            rows=RowArrays(
                y=frame[yname].to_numpy(dtype=float),
                period=period_index,
                w=weights,
                x=x_rows,
                group=frame["_g"].to_numpy(),
                unit=unit_index,
            ),
        )

    n_periods = len(periods)
    y = np.empty((n_units, n_periods))
    y[unit_index, period_index] = frame[yname].to_numpy(dtype=float)
    w = np.empty((n_units, n_periods))
    w[unit_index, period_index] = frame["_w"].to_numpy()
    x = np.empty((n_periods, n_units, x_rows.shape[1]))
    x[period_index, unit_index] = x_rows
    w_panel = w[:, 0].copy() if (w == w[:, :1]).all() else w
    x_panel = x[0].copy() if (x == x[:1]).all() else x
    return PreparedData(
        time_periods=periods,
        groups=cohorts,
        unit_group=unit_group,
        unit_weight=w[:, 0].copy(),
        cluster=cluster_units,
        strata=pd.factorize(unit_group)[0],
        covariate_labels=labels,
        panel=PanelArrays(y=y, w=w_panel, x=x_panel),
        rows=None,
    )


def _check_group_sizes(
    frame: pd.DataFrame, periods: np.ndarray, required: int, control_group: str
) -> None:
    per_period = frame.groupby("_g").size() / len(periods)
    small = per_period[per_period < required]
    if small.empty:
        return
    labels = ", ".join("never treated" if np.isinf(g) else f"{g:g}" for g in small.index)
    if np.inf in small.index and control_group == "nevertreated":
        raise ValueError(
            f"the never-treated group is too small ({small[np.inf]:.0f} per period) to serve as "
            "comparison: use control_group='notyettreated'"
        )
    warnings.warn(
        f"some groups have very few observations, estimates may be unstable: {labels}",
        UserWarning,
        stacklevel=4,
    )
