"""Input checks, sample preparation and the two-way fit shared by the regression event studies.

`twfe`, `sun_abraham` and `did_imputation` take the same long panel arguments (outcome, time,
unit, first treated period, covariates, clusters, weights) and apply the same rules to them, so
a given input is accepted, rejected or trimmed identically by all three.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.did._regression.fixed_effects import ClusteredFit, FixedEffects, feols
from pipelines.did._regression.formula import parse_covariates


@dataclass(frozen=True)
class PanelInput:
    """The complete rows of the columns in use, with the names that say what each column is."""

    panel: pd.DataFrame
    yname: str
    tname: str
    idname: str
    gname: str
    covariates: list[str]
    cluster_var: str
    weightsname: str | None
    n_dropped_missing: int  # rows dropped for a missing outcome, covariate or weight

    def weights(self) -> np.ndarray | None:
        """Regression weights per row, None when unweighted."""
        if self.weightsname is None:
            return None
        return self.panel[self.weightsname].to_numpy(dtype=float)

    def cluster_codes(self) -> np.ndarray:
        """Cluster of each row, coded 0..G-1 in sorted order of the cluster values."""
        codes, _ = pd.factorize(self.panel[self.cluster_var], sort=True)
        return codes

    def fit_unit_time_effects(
        self, treatment: np.ndarray, terms: list[str]
    ) -> tuple[ClusteredFit, int]:
        """Regress the outcome on `treatment` columns and the covariates, with unit and time
        fixed effects and CRV1 errors; returns the fit and the number of units."""
        panel = self.panel
        covariate_values = panel[self.covariates].to_numpy(dtype=float).reshape(len(panel), -1)
        fixed_effects = FixedEffects.from_frame(panel, [self.idname, self.tname])
        fit = feols(
            panel[self.yname].to_numpy(dtype=float),
            np.column_stack([treatment, covariate_values]),
            terms + self.covariates,
            fixed_effects,
            self.cluster_codes(),
            self.weights(),
        )
        return fit, fixed_effects.n_levels[0]


def read_panel(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    xformla: str | Sequence[str] | None,
    clustervars: str | Sequence[str] | None,
    weightsname: str | None,
    *,
    fixed_effects: Sequence[str] = (),
) -> PanelInput:
    """Check the columns and keep the complete rows of the ones in use.

    `fixed_effects` names further columns to keep (fixed-effect dimensions other than the unit
    and time, e.g. a state); like the unit and time they may not have missing values.

    Raises ``ValueError`` for missing columns, non-numeric outcome, time, group, covariates or
    weights, missing unit, time or cluster values, a unit whose `gname` changes, repeated
    unit-period rows, non-positive weights, or no complete row.
    """
    covariates = parse_covariates(xformla)
    cluster_var = _cluster_variable(clustervars, idname)
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    weights = [] if weightsname is None else [weightsname]
    columns = list(
        dict.fromkeys(
            [yname, tname, idname, gname, *covariates, cluster_var, *fixed_effects, *weights]
        )
    )
    missing = [name for name in columns if name not in data.columns]
    if missing:
        raise ValueError(f"columns not found in data: {missing}")
    numeric = {
        "outcome": [yname],
        "time": [tname],
        "group": [gname],
        "covariate": covariates,
        "weights": weights,
    }
    for role, names in numeric.items():
        for name in names:
            dtype = data[name].dtype
            if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
                raise ValueError(f"{role} column {name!r} must be numeric, got dtype {dtype}")

    panel = data[columns]
    for key in dict.fromkeys((idname, tname, cluster_var, *fixed_effects)):
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
    complete = panel[[yname, *covariates, *weights]].notna().all(axis=1)
    panel = panel[complete]
    if weightsname is not None and not (panel[weightsname] > 0).all():
        raise ValueError(f"weights column {weightsname!r} must be strictly positive")
    if panel.empty:
        raise ValueError("no complete rows to estimate on")
    return PanelInput(
        panel=panel,
        yname=yname,
        tname=tname,
        idname=idname,
        gname=gname,
        covariates=covariates,
        cluster_var=cluster_var,
        weightsname=weightsname,
        n_dropped_missing=int((~complete).sum()),
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
