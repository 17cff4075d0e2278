"""Fixed-effects least squares: within transformation, OLS and CRV1 with fixest's conventions.

The engine behind `twfe`, `sun_abraham`, `did_imputation` and `wild_bootstrap`. It works on
numpy arrays: callers turn frames into an outcome vector, a design matrix and integer
fixed-effect codes, and get back coefficients, a cluster-robust covariance matrix and the
pieces (demeaned design, residuals, bread) that the wild cluster bootstrap reuses.

Small-sample correction (fixest `ssc()` defaults: adj = TRUE, fixef.K = "nested",
cluster.adj = TRUE, t.df = "min"): the CRV1 sandwich is multiplied by
G/(G-1) · (n-1)/(n-K), and t-statistics are referred to a t distribution with G-1 degrees of
freedom. K counts the slope coefficients plus the fixed-effect parameters that are *not*
nested in the clustering variable: fixest starts from k + Σ levels − (m − 1) and removes
(levels − 1) for each nested dimension; if every dimension is nested, K = k + 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

# Relative size below which a demeaned column counts as absorbed by the fixed effects, and the
# pivot threshold of the rank check on unit-norm columns (fixest's collin.tol is 1e-10).
_ABSORBED_TOL = 1e-8
_COLLINEAR_TOL = 1e-10


class SingularDesignError(ValueError):
    """The regressors are collinear with each other or with the fixed effects."""


@dataclass(frozen=True)
class FixedEffects:
    """Integer codes of m fixed-effect dimensions over n observations."""

    codes: np.ndarray  # (n, m) int64, each column coded 0..levels-1
    n_levels: tuple[int, ...]
    names: tuple[str, ...]

    @classmethod
    def from_frame(cls, data: pd.DataFrame, columns: Sequence[str]) -> FixedEffects:
        """Code each column of `data` named in `columns` as one fixed-effect dimension."""
        codes, n_levels = [], []
        for column in columns:
            code, levels = pd.factorize(data[column], sort=True)
            if (code < 0).any():
                raise ValueError(f"fixed-effect column {column!r} has missing values")
            codes.append(code)
            n_levels.append(len(levels))
        stacked = np.column_stack(codes) if codes else np.empty((len(data), 0), dtype=np.int64)
        return cls(stacked.astype(np.int64), tuple(n_levels), tuple(columns))

    @property
    def n_dims(self) -> int:
        return len(self.n_levels)


@dataclass(frozen=True)
class Absorbed:
    """Result of projecting columns on the fixed effects."""

    residual: np.ndarray  # (n, p) the columns minus their fixed-effects projection
    effects: list[np.ndarray]  # per dimension, (levels, p): the fitted fixed-effect values
    iterations: int


def absorb(
    values: np.ndarray,
    fixed_effects: FixedEffects,
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> Absorbed:
    """Project the columns of `values` on the fixed effects by alternating projections.

    Each sweep subtracts the (weighted) group means of every dimension in turn, computed with
    one `np.bincount` over all columns at once. With a single dimension, or a balanced
    unweighted two-way panel, the first sweep is exact and the second only confirms it. The
    loop stops when a sweep moves no value by more than `tol` times its column's scale; the
    fitted fixed-effect values (identified up to the usual normalisation) are accumulated so
    that estimators which need them (imputation) can recover them.
    """
    x = np.array(values, dtype=np.float64, copy=True)
    squeeze = x.ndim == 1
    if squeeze:
        x = x[:, None]
    n, p = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    effects = [np.zeros((levels, p)) for levels in fixed_effects.n_levels]
    if fixed_effects.n_dims == 0:
        return Absorbed(x[:, 0] if squeeze else x, effects, 0)

    scale = np.maximum(np.abs(x).max(axis=0), np.finfo(float).tiny)
    column_index = np.arange(p)
    flat_indices, weight_sums = [], []
    for d, levels in enumerate(fixed_effects.n_levels):
        code = fixed_effects.codes[:, d]
        flat_indices.append((code[:, None] * p + column_index).ravel())
        weight_sums.append(np.bincount(code, weights=w, minlength=levels))

    sweeps = 0
    while True:
        sweeps += 1
        largest_step = 0.0
        for d, levels in enumerate(fixed_effects.n_levels):
            sums = np.bincount(
                flat_indices[d], weights=(w[:, None] * x).ravel(), minlength=levels * p
            )
            means = sums.reshape(levels, p) / weight_sums[d][:, None]
            x -= means[fixed_effects.codes[:, d]]
            effects[d] += means
            largest_step = max(largest_step, float((np.abs(means).max(axis=0) / scale).max()))
        if largest_step <= tol or fixed_effects.n_dims == 1:
            break
        if sweeps >= max_iter:
            raise RuntimeError(f"fixed-effects demeaning did not converge in {max_iter} sweeps")
    residual = x[:, 0] if squeeze else x
    return Absorbed(residual, effects, sweeps)


def demean(
    values: np.ndarray,
    fixed_effects: FixedEffects,
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> np.ndarray:
    """Within-transform `values` (n or n×p): subtract their projection on the fixed effects."""
    return absorb(values, fixed_effects, weights, tol=tol, max_iter=max_iter).residual


@dataclass(frozen=True)
class OLSFit:
    """Weighted least squares on a (demeaned) design."""

    names: list[str]
    coef: np.ndarray
    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray | None
    residuals: np.ndarray
    bread: np.ndarray  # (X'WX)^{-1}

    @property
    def n_obs(self) -> int:
        return self.X.shape[0]


def check_full_rank(
    X: np.ndarray,
    names: Sequence[str],
    weights: np.ndarray | None = None,
    reference_scale: np.ndarray | None = None,
) -> None:
    """Raise `SingularDesignError` naming the columns that make X'WX singular.

    `reference_scale` holds each column's spread before the fixed effects were absorbed: a
    column that the demeaning shrinks to (numerically) nothing is collinear with the fixed
    effects, e.g. a covariate constant within units.
    """
    sw = np.ones(X.shape[0]) if weights is None else np.sqrt(weights)
    Xw = X * sw[:, None]
    norms = np.linalg.norm(Xw, axis=0)
    if reference_scale is None:
        reference_scale = np.maximum(norms, np.finfo(float).tiny)
    absorbed = [
        name
        for name, nm, ref in zip(names, norms, reference_scale, strict=True)
        if nm <= _ABSORBED_TOL * ref or nm == 0.0
    ]
    if absorbed:
        raise SingularDesignError(
            f"regressor(s) {absorbed} are collinear with the fixed effects (no variation left "
            "after removing unit and time means, e.g. constant within units); drop them"
        )
    _, r, pivot = linalg.qr(Xw / norms, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > _COLLINEAR_TOL).sum())
    if rank < X.shape[1]:
        dropped = [names[j] for j in pivot[rank:]]
        raise SingularDesignError(
            f"the design is singular: regressor(s) {dropped} are collinear with the other "
            "regressors and fixed effects; drop or redefine them"
        )


def ols(
    y: np.ndarray,
    X: np.ndarray,
    names: Sequence[str],
    weights: np.ndarray | None = None,
    reference_scale: np.ndarray | None = None,
) -> OLSFit:
    """Weighted OLS of y on X after a rank check (see `check_full_rank`)."""
    check_full_rank(X, names, weights, reference_scale)
    w = np.ones(X.shape[0]) if weights is None else weights
    Xw = X * w[:, None]
    cho = linalg.cho_factor(Xw.T @ X)
    bread = linalg.cho_solve(cho, np.eye(X.shape[1]))
    coef = linalg.cho_solve(cho, Xw.T @ y)
    return OLSFit(list(names), coef, X, y, weights, y - X @ coef, bread)


def is_nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True if every level of the `inner` codes falls in a single level of `outer`."""
    pairs = np.unique(np.column_stack([inner, outer]), axis=0)
    return len(pairs) == len(np.unique(inner))


def fixest_dof_k(n_coef: int, fixed_effects: FixedEffects, cluster_codes: np.ndarray) -> int:
    """K of the (n-1)/(n-K) factor under fixest's default fixef.K = "nested"."""
    if fixed_effects.n_dims == 0:
        return n_coef
    levels = np.asarray(fixed_effects.n_levels)
    nested = np.array(
        [is_nested(fixed_effects.codes[:, d], cluster_codes) for d in range(fixed_effects.n_dims)]
    )
    n_params = n_coef + int(levels.sum()) - (fixed_effects.n_dims - 1)
    if nested.all():
        return n_coef + 1
    k = n_params - int((levels[nested] - 1).sum())
    return max(k, n_coef + 1)


def cluster_sums(values: np.ndarray, cluster_codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum the rows of `values` (n×p) within clusters: a (G, p) array."""
    p = values.shape[1]
    flat = (cluster_codes[:, None] * p + np.arange(p)).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=n_clusters * p).reshape(
        n_clusters, p
    )


@dataclass(frozen=True)
class ClusteredFit:
    """An OLS fit with its CRV1 covariance, everything the bootstrap needs to redo it."""

    ols: OLSFit
    fixed_effects: FixedEffects  # the dimensions absorbed before the OLS
    cluster_codes: np.ndarray
    n_clusters: int
    dof_k: int
    ssc: float  # G/(G-1) · (n-1)/(n-K)
    vcov: np.ndarray

    @property
    def df_t(self) -> int:
        """Degrees of freedom of the t reference distribution (fixest t.df = "min")."""
        return max(self.n_clusters - 1, 1)

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))


def crv1(fit: OLSFit, cluster_codes: np.ndarray, fixed_effects: FixedEffects) -> ClusteredFit:
    """CRV1 covariance of `fit`, clustered on integer `cluster_codes`, with fixest's ssc."""
    cluster_codes = np.asarray(cluster_codes, dtype=np.int64)
    n_clusters = int(cluster_codes.max()) + 1
    if n_clusters < 2:
        raise ValueError("cluster-robust standard errors need at least two clusters")
    w = np.ones(fit.n_obs) if fit.weights is None else fit.weights
    scores = cluster_sums(fit.X * (w * fit.residuals)[:, None], cluster_codes, n_clusters)
    dof_k = fixest_dof_k(fit.X.shape[1], fixed_effects, cluster_codes)
    n = fit.n_obs
    ssc = n_clusters / (n_clusters - 1) * (n - 1) / (n - dof_k)
    vcov = ssc * fit.bread @ (scores.T @ scores) @ fit.bread
    return ClusteredFit(fit, fixed_effects, cluster_codes, n_clusters, dof_k, ssc, vcov)


def feols(
    y: np.ndarray,
    design: np.ndarray,
    names: Sequence[str],
    fixed_effects: FixedEffects,
    cluster_codes: np.ndarray,
    weights: np.ndarray | None = None,
) -> ClusteredFit:
    """`fixest::feols(y ~ design | fixed effects, cluster = clusters)` on arrays.

    Absorbs the fixed effects from the outcome and the design together, checks the rank
    (naming regressors collinear with the fixed effects or each other), fits weighted OLS and
    returns it with its CRV1 covariance under fixest's small-sample conventions.
    """
    design = np.asarray(design, dtype=float).reshape(len(y), -1)
    absorbed = absorb(np.column_stack([y, design]), fixed_effects, weights).residual
    # Each regressor's weighted spread before demeaning: the yardstick for "absorbed by the FE".
    root_weights = np.ones(len(y)) if weights is None else np.sqrt(weights)
    reference_scale = np.linalg.norm((design - design.mean(axis=0)) * root_weights[:, None], axis=0)
    fit = ols(absorbed[:, 0], absorbed[:, 1:], names, weights, reference_scale)
    return crv1(fit, cluster_codes, fixed_effects)


def t_inference(
    estimate: np.ndarray, se: np.ndarray, df: int, alpha: float = 0.05
) -> dict[str, np.ndarray]:
    """t statistics, two-sided p-values and (1-alpha) CIs against a t(df) reference."""
    estimate, se = np.asarray(estimate, float), np.asarray(se, float)
    t = estimate / se
    crit = stats.t.ppf(1 - alpha / 2, df)
    return {
        "t": t,
        "p_value": 2 * stats.t.sf(np.abs(t), df),
        "ci_lower": estimate - crit * se,
        "ci_upper": estimate + crit * se,
    }


def linear_combination(
    coef: np.ndarray, vcov: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Estimates L·b and their covariance L V L' for a (q×k) or (k,) weight matrix L."""
    L = np.atleast_2d(np.asarray(weights, dtype=float))
    return L @ coef, L @ vcov @ L.T


def delta_method(
    func: Callable[[np.ndarray], np.ndarray],
    coef: np.ndarray,
    vcov: np.ndarray,
    jacobian: np.ndarray | None = None,
    step: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """Value of a smooth function of the coefficients and its delta-method covariance.

    `jacobian` (q×k) may be given analytically; otherwise it is taken by central differences
    with a relative step.
    """
    coef = np.asarray(coef, dtype=float)
    value = np.atleast_1d(np.asarray(func(coef), dtype=float))
    if jacobian is None:
        jacobian = np.empty((value.size, coef.size))
        for j in range(coef.size):
            h = step * max(1.0, abs(coef[j]))
            up, down = coef.copy(), coef.copy()
            up[j] += h
            down[j] -= h
            jacobian[:, j] = (np.atleast_1d(func(up)) - np.atleast_1d(func(down))) / (2 * h)
    J = np.atleast_2d(jacobian)
    return value, J @ vcov @ J.T
