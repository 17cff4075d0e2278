"""Nuisance models shared by the 2x2 estimators: a weighted logit and weighted least squares."""

from __future__ import annotations

import warnings

import numpy as np

_MAX_NEWTON_STEPS = 100


class SingularDesignError(ValueError):
    """A regression or propensity-score design matrix cannot be inverted."""


def is_singular(gram: np.ndarray) -> bool:
    """R's guard: reciprocal condition number of a Gram matrix below machine epsilon."""
    if gram.size == 0:
        return True
    with np.errstate(divide="ignore", invalid="ignore"):
        rcond = 1.0 / np.linalg.cond(gram, p=1)
    return not np.isfinite(rcond) or rcond < np.finfo(float).eps


def logit_fitted(x: np.ndarray, d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Fitted probabilities of a weighted logit of d on x (x includes the intercept).

    Intercept-only designs have the closed form of the weighted share; otherwise Newton's method
    runs from zero to full double precision so that estimates do not depend on a stopping rule.
    """
    if x.shape[1] == 1:
        share = float(np.dot(w, d) / w.sum())
        return np.full(len(d), share)
    beta = np.zeros(x.shape[1])
    converged = False
    for _ in range(_MAX_NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (w * (d - p))
        hessian = x.T @ ((w * p * (1.0 - p))[:, None] * x)
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError as error:
            raise SingularDesignError("propensity-score design is singular") from error
        beta = beta + step
        if np.max(np.abs(step)) <= 1e-13 * (1.0 + np.max(np.abs(beta))):
            converged = True
            break
    if not converged:
        warnings.warn(
            "propensity-score logit did not converge (perfect separation?)",
            RuntimeWarning,
            stacklevel=3,
        )
    return 1.0 / (1.0 + np.exp(-(x @ beta)))


def wls_coefficients(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares coefficients of every column of y on x (k x m)."""
    gram = x.T @ (w[:, None] * x)
    if is_singular(gram):
        raise SingularDesignError("outcome-regression design is singular")
    return np.linalg.solve(gram, x.T @ (w[:, None] * y))
