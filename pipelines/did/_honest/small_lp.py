"""Many tiny linear programs, solved by HiGHS without `scipy.optimize.linprog`'s overhead.

The conditional tests of HonestDiD solve one to three LPs of a few dozen rows for each of
1,000 values of θ. `linprog` spends ~90% of such a call validating inputs and options; this
helper hands the dense problem to the HiGHS solver that SciPy ships (``scipy.optimize.
_highspy._core``, a private module) with the options set once. If that module is missing (a
future SciPy), it falls back to `linprog(method="highs")`, which solves the same problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

try:  # pragma: no cover - exercised by whichever branch the installed SciPy supports
    import scipy.optimize._highspy._core as _highs
except ImportError:  # pragma: no cover
    _highs = None

_INFINITY = 1e30  # HiGHS's infinity, as scipy passes it


@dataclass(frozen=True)
class LpSolution:
    """An optimal solution: x, the objective value and the row duals (scipy's marginals)."""

    x: np.ndarray
    fun: float
    row_duals: np.ndarray


def solve(
    cost: np.ndarray,
    matrix: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
) -> LpSolution | None:
    """min cost'x subject to row_lower ≤ matrix x ≤ row_upper, col_lower ≤ x ≤ col_upper.

    Infinite bounds are ±np.inf. Returns None unless HiGHS reports an optimum.
    """
    if _highs is None:  # pragma: no cover
        return _solve_with_linprog(cost, matrix, row_lower, row_upper, col_lower, col_upper)
    n_rows, n_cols = matrix.shape
    columns = np.asfortranarray(matrix)
    nonzero = columns != 0
    lp = _highs.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    lp.a_matrix_.format_ = _highs.MatrixFormat.kColwise
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.clip(col_lower, -_INFINITY, _INFINITY).astype(float)
    lp.col_upper_ = np.clip(col_upper, -_INFINITY, _INFINITY).astype(float)
    lp.row_lower_ = np.clip(row_lower, -_INFINITY, _INFINITY).astype(float)
    lp.row_upper_ = np.clip(row_upper, -_INFINITY, _INFINITY).astype(float)
    lp.a_matrix_.start_ = np.r_[0, np.cumsum(nonzero.sum(axis=0))].astype(np.int32)
    lp.a_matrix_.index_ = np.nonzero(nonzero.T)[1].astype(np.int32)
    lp.a_matrix_.value_ = columns.T[nonzero.T].astype(float)
    solver = _highs._Highs()
    options = _highs.HighsOptions()
    options.output_flag = False
    options.log_to_console = False
    solver.passOptions(options)
    solver.passModel(lp)
    solver.run()
    if solver.getModelStatus() != _highs.HighsModelStatus.kOptimal:
        return None
    solution = solver.getSolution()
    return LpSolution(
        x=np.array(solution.col_value),
        fun=float(solver.getInfo().objective_function_value),
        row_duals=np.array(solution.row_dual),
    )


def _solve_with_linprog(  # pragma: no cover
    cost: np.ndarray,
    matrix: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
) -> LpSolution | None:
    equal = row_lower == row_upper
    upper = ~equal & np.isfinite(row_upper)
    lower = ~equal & np.isfinite(row_lower)
    a_ub = np.vstack([matrix[upper], -matrix[lower]])
    b_ub = np.r_[row_upper[upper], -row_lower[lower]]
    result = linprog(
        cost,
        A_ub=a_ub if len(a_ub) else None,
        b_ub=b_ub if len(b_ub) else None,
        A_eq=matrix[equal] if equal.any() else None,
        b_eq=row_upper[equal] if equal.any() else None,
        bounds=list(
            zip(
                np.where(np.isinf(col_lower), None, col_lower),
                np.where(np.isinf(col_upper), None, col_upper),
                strict=True,
            )
        ),
        method="highs",
    )
    if result.status != 0:
        return None
    duals = np.zeros(len(matrix))
    if upper.any():
        duals[upper] += result.ineqlin.marginals[: upper.sum()]
    if lower.any():
        duals[lower] -= result.ineqlin.marginals[upper.sum() :]
    if equal.any():
        duals[equal] = result.eqlin.marginals
    return LpSolution(x=result.x, fun=float(result.fun), row_duals=duals)
