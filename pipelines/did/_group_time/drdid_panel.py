"""2x2 DiD estimators for balanced panels, vectorized over cells that share a sample.

A batch is a set of (g,t) cells with the same treated and comparison units, covariates and
weights; only the outcome change differs between them (one column of `dy` per cell). The
nuisance models (propensity score, Gram matrices) are fitted once per batch and every cell's
estimate and influence function is column arithmetic.

The estimators follow Sant'Anna & Zhao (2020) as implemented in R's DRDID, which R's `did`
calls: the locally efficient doubly robust estimator (`drdid_panel`), the normalized (Hajek)
inverse-probability estimator (`std_ipw_did_panel`) and outcome regression (`reg_did_panel`).
Influence functions are returned per unit of the batch, on the scale where the estimator's
variance is mean(IF^2) / n_batch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from pipelines.did._group_time.nuisance import (
    SingularDesignError,
    is_singular,
    logit_fitted,
    wls_coefficients,
)

# Control units with a propensity score at or above this are trimmed, as in DRDID.
TRIM_LEVEL = 0.995
# Propensity scores are capped below one to avoid dividing by zero.
PS_CAP = 1.0 - 1e-6


class BatchEstimate(NamedTuple):
    att: np.ndarray  # (m,)
    influence: np.ndarray  # (n_batch, m)
    max_pscore: float  # largest fitted propensity score (nan for outcome regression)


def _propensity(x: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ps_raw = logit_fitted(x, d, w)
    ps = np.minimum(ps_raw, PS_CAP)
    keep = np.where(d == 1, True, ps < TRIM_LEVEL).astype(float)
    return ps, keep


def _pscore_linear_rep(x: np.ndarray, d: np.ndarray, w: np.ndarray, ps: np.ndarray) -> np.ndarray:
    """Asymptotic linear representation of the logit coefficients (n x k)."""
    n = len(d)
    info = x.T @ ((ps * (1.0 - ps) * w)[:, None] * x)
    if is_singular(info):
        raise SingularDesignError("propensity-score information matrix is singular")
    return ((w * (d - ps))[:, None] * x) @ (np.linalg.inv(info) * n)


def _control_gram_inverse(x: np.ndarray, weights_ols: np.ndarray) -> np.ndarray:
    n = len(weights_ols)
    gram = x.T @ (weights_ols[:, None] * x) / n
    if is_singular(gram):
        raise SingularDesignError("outcome-regression design among comparison units is singular")
    return np.linalg.inv(gram)


def dr_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> BatchEstimate:
    """Locally efficient doubly robust DiD (DRDID::drdid_panel) for every column of dy."""
    n = len(d)
    w = w / w.mean()
    ps, keep = _propensity(x, d, w)
    control = d == 0
    beta = wls_coefficients(x[control], dy[control], w[control])
    resid = dy - x @ beta

    w_treat = keep * w * d
    w_cont = keep * w * ps * (1.0 - d) / (1.0 - ps)
    mean_treat = w_treat.mean()
    mean_cont = w_cont.mean()
    eta_treat = (w_treat @ resid) / n / mean_treat
    eta_cont = (w_cont @ resid) / n / mean_cont

    weights_ols = w * (1.0 - d)
    gram_inv = _control_gram_inverse(x, weights_ols)
    # The OLS estimation effect enters through X (X'WX/n)^-1 M for the two derivative vectors.
    lever_treat = x @ (gram_inv @ (w_treat @ x / n))
    lever_cont = x @ (gram_inv @ (w_cont @ x / n))
    ols_score = weights_ols[:, None] * resid

    inf_treat = (
        w_treat[:, None] * (resid - eta_treat) - ols_score * lever_treat[:, None]
    ) / mean_treat
    cont_centered = w_cont[:, None] * (resid - eta_cont)
    ps_rep = _pscore_linear_rep(x, d, w, ps)
    ps_effect = ps_rep @ (cont_centered.T @ x / n).T
    inf_cont = (cont_centered + ps_effect - ols_score * lever_cont[:, None]) / mean_cont
    return BatchEstimate(eta_treat - eta_cont, inf_treat - inf_cont, float(ps.max()))


def ipw_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> BatchEstimate:
    """Normalized (Hajek) IPW DiD (DRDID::std_ipw_did_panel) for every column of dy."""
    n = len(d)
    w = w / w.mean()
    ps, keep = _propensity(x, d, w)
    w_treat = keep * w * d
    w_cont = keep * w * ps * (1.0 - d) / (1.0 - ps)
    mean_treat = w_treat.mean()
    mean_cont = w_cont.mean()
    eta_treat = (w_treat @ dy) / n / mean_treat
    eta_cont = (w_cont @ dy) / n / mean_cont

    inf_treat = w_treat[:, None] * (dy - eta_treat) / mean_treat
    cont_centered = w_cont[:, None] * (dy - eta_cont)
    ps_rep = _pscore_linear_rep(x, d, w, ps)
    ps_effect = ps_rep @ (cont_centered.T @ x / n).T
    inf_cont = (cont_centered + ps_effect) / mean_cont
    return BatchEstimate(eta_treat - eta_cont, inf_treat - inf_cont, float(ps.max()))


def reg_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> BatchEstimate:
    """Outcome-regression DiD (DRDID::reg_did_panel) for every column of dy."""
    n = len(d)
    w = w / w.mean()
    control = d == 0
    beta = wls_coefficients(x[control], dy[control], w[control])
    fitted = x @ beta
    w_treat = w * d
    mean_treat = w_treat.mean()
    eta_treat = (w_treat @ dy) / n / mean_treat
    eta_cont = (w_treat @ fitted) / n / mean_treat

    weights_ols = w * (1.0 - d)
    gram_inv = _control_gram_inverse(x, weights_ols)
    lever = x @ (gram_inv @ (w_treat @ x / n))
    ols_effect = weights_ols[:, None] * (dy - fitted) * lever[:, None]

    inf_treat = w_treat[:, None] * (dy - eta_treat) / mean_treat
    inf_cont = (w_treat[:, None] * (fitted - eta_cont) + ols_effect) / mean_treat
    return BatchEstimate(eta_treat - eta_cont, inf_treat - inf_cont, float("nan"))


PANEL_ESTIMATORS = {"dr": dr_panel, "ipw": ipw_panel, "reg": reg_panel}
