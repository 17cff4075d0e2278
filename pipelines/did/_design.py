"""Design matrices for the nuisance models of the group-time estimators.

Non-numeric covariate columns are expanded to treatment-coded dummies over their levels in the
whole sample, as R's model.matrix does, so a level missing from one comparison is an all-zero
column there rather than a different parameterization.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def design_matrix(frame: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Intercept plus covariates as a float matrix, with the column labels."""
    columns = [np.ones(len(frame))]
    labels = ["(Intercept)"]
    for name in names:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            columns.append(values.to_numpy(dtype=float))
            labels.append(name)
            continue
        levels = sorted(pd.unique(values.dropna()))
        for level in levels[1:]:
            columns.append((values == level).to_numpy(dtype=float))
            labels.append(f"{name}{level}")
    matrix = np.column_stack(columns)
    if np.linalg.matrix_rank(matrix) < matrix.shape[1]:
        raise ValueError(
            f"covariates {names} are collinear (singular design matrix): drop redundant terms"
        )
    return matrix, labels
