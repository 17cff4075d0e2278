"""Design matrices for the nuisance models of the group-time estimators.

Non-numeric covariate columns are expanded to treatment-coded dummies over their levels in the
whole sample, as R's model.matrix does, so a level missing from one comparison is an all-zero
column there rather than a different parameterization. Missing values stay missing (nan) so
that the rows can be dropped as incomplete.
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
            columns.append(values.to_numpy(dtype=float, na_value=np.nan))
            labels.append(name)
            continue
        missing = values.isna().to_numpy()
        for level in sorted(pd.unique(values.dropna()))[1:]:
            dummy = (values == level).to_numpy(dtype=float)
            dummy[missing] = np.nan
            columns.append(dummy)
            labels.append(f"{name}{level}")
    return np.column_stack(columns), labels


def columns_of(frame: pd.DataFrame, names: list[str], chosen: list[str]) -> np.ndarray:
    """Indices of the intercept and of the ``chosen`` covariates' columns in ``design_matrix``.

    A non-numeric covariate owns one column per level but the first, as ``design_matrix``
    expands it; the levels are those of the whole ``frame``.
    """
    indices, start = [0], 1
    for name in names:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            width = 1
        else:
            width = max(len(pd.unique(values.dropna())) - 1, 0)
        if name in chosen:
            indices.extend(range(start, start + width))
        start += width
    return np.array(indices)


def check_full_rank(matrix: np.ndarray, labels: list[str]) -> None:
    """Raise if covariates are collinear (with each other or the intercept) in the sample."""
    if matrix.shape[1] == 1:
        return
    # The triangular factor of a QR decomposition has the singular values of the design.
    singular = np.linalg.svd(np.linalg.qr(matrix, mode="r"), compute_uv=False)
    # numpy's rank tolerance for the full matrix, not for its small triangular factor.
    tolerance = singular.max() * max(matrix.shape) * np.finfo(float).eps
    if (singular <= tolerance).any():
        raise ValueError(
            f"covariates {labels[1:]} are collinear (singular design matrix): drop redundant "
            "or constant terms"
        )
