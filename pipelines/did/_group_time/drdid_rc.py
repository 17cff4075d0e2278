"""2x2 DiD estimators for repeated cross-sections (one cell at a time).

Each observation is a row observed once, in the pre (post = 0) or post (post = 1) period. The
estimators follow Sant'Anna & Zhao (2020) as implemented in R's DRDID, which R's `did` calls:
the locally efficient doubly robust estimator (`drdid_rc`), the normalized IPW estimator
(`std_ipw_did_rc`) and outcome regression (`reg_did_rc`). Influence functions are per row, on
the scale where the estimator's variance is mean(IF^2) / n_rows.
"""

from __future__ import annotations

import numpy as np

from pipelines.did._group_time.drdid_panel import (
    BatchEstimate,
    _control_gram_inverse,
    _propensity,
    _pscore_linear_rep,
)
from pipelines.did._group_time.nuisance import wls_coefficients


def _fit_subset(x: np.ndarray, y: np.ndarray, w: np.ndarray, subset: np.ndarray) -> np.ndarray:
    """Linear prediction for every row from a WLS fit on a subset of rows."""
    beta = wls_coefficients(x[subset], y[subset, None], w[subset])
    return (x @ beta)[:, 0]


def _ols_linear_rep(x: np.ndarray, y: np.ndarray, w: np.ndarray, subset: np.ndarray, fitted):
    """Asymptotic linear representation (n x k) of the WLS fit on a subset of rows."""
    weights_ols = w * subset
    return (weights_ols * (y - fitted))[:, None] * x @ _control_gram_inverse(x, weights_ols)


def _centered(weight: np.ndarray, value: np.ndarray) -> tuple[float, np.ndarray]:
    """Hajek mean of value under weight, and its leading influence-function term."""
    mean_weight = weight.mean()
    estimate = float(np.mean(weight * value) / mean_weight)
    return estimate, weight * (value - estimate) / mean_weight


def dr_rc(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray):
    """Locally efficient doubly robust DiD for repeated cross-sections (DRDID::drdid_rc)."""
    n = len(d)
    w = w / w.mean()
    ps, keep = _propensity(x, d, w)
    pre, treated = post == 0, d == 1
    cont_pre = _fit_subset(x, y, w, ~treated & pre)
    cont_post = _fit_subset(x, y, w, ~treated & ~pre)
    treat_pre = _fit_subset(x, y, w, treated & pre)
    treat_post = _fit_subset(x, y, w, treated & ~pre)
    cont_fit = np.where(pre, cont_pre, cont_post)

    odds = keep * w * ps * (1.0 - d) / (1.0 - ps)
    w_treat_pre = keep * w * d * (1 - post)
    w_treat_post = keep * w * d * post
    w_cont_pre = odds * (1 - post)
    w_cont_post = odds * post
    w_d = keep * w * d

    resid = y - cont_fit
    att_treat_pre, inf_treat_pre = _centered(w_treat_pre, resid)
    att_treat_post, inf_treat_post = _centered(w_treat_post, resid)
    att_cont_pre, inf_cont_pre = _centered(w_cont_pre, resid)
    att_cont_post, inf_cont_post = _centered(w_cont_post, resid)
    gap_post = treat_post - cont_post
    gap_pre = treat_pre - cont_pre
    att_d_post, inf_eff1 = _centered(w_d, gap_post)
    att_dt1_post, inf_eff2 = _centered(w_treat_post, gap_post)
    att_d_pre, inf_eff3 = _centered(w_d, gap_pre)
    att_dt0_pre, inf_eff4 = _centered(w_treat_pre, gap_pre)
    att = (
        (att_treat_post - att_treat_pre)
        - (att_cont_post - att_cont_pre)
        + (att_d_post - att_dt1_post)
        - (att_d_pre - att_dt0_pre)
    )

    rep_cont_pre = _ols_linear_rep(x, y, w, ~treated & pre, cont_pre)
    rep_cont_post = _ols_linear_rep(x, y, w, ~treated & ~pre, cont_post)
    rep_treat_pre = _ols_linear_rep(x, y, w, treated & pre, treat_pre)
    rep_treat_post = _ols_linear_rep(x, y, w, treated & ~pre, treat_post)
    rep_ps = _pscore_linear_rep(x, d, w, ps)

    def mean_x(weight):
        return weight @ x / n

    # The pre-period terms enter with a minus sign: the ATT is (post - pre) in both components.
    # DRDID <= 1.2.3 adds them instead; the two agree without covariates (the terms cancel).
    inf_treat_or = rep_cont_post @ (-mean_x(w_treat_post * post) / w_treat_post.mean()) - (
        rep_cont_pre @ (-mean_x(w_treat_pre * (1 - post)) / w_treat_pre.mean())
    )
    m2_pre = mean_x(w_cont_pre * (resid - att_cont_pre)) / w_cont_pre.mean()
    m2_post = mean_x(w_cont_post * (resid - att_cont_post)) / w_cont_post.mean()
    inf_cont_ps = rep_ps @ (m2_post - m2_pre)
    inf_cont_or = rep_cont_post @ (-mean_x(w_cont_post * post) / w_cont_post.mean()) - (
        rep_cont_pre @ (-mean_x(w_cont_pre * (1 - post)) / w_cont_pre.mean())
    )
    mom_post = mean_x(w_d / w_d.mean() - w_treat_post / w_treat_post.mean())
    mom_pre = mean_x(w_d / w_d.mean() - w_treat_pre / w_treat_pre.mean())
    inf_or = (rep_treat_post - rep_cont_post) @ mom_post - (rep_treat_pre - rep_cont_pre) @ mom_pre

    inf_treat = inf_treat_post - inf_treat_pre + inf_treat_or
    inf_cont = inf_cont_post - inf_cont_pre + inf_cont_ps + inf_cont_or
    inf_eff = (inf_eff1 - inf_eff2) - (inf_eff3 - inf_eff4)
    influence = inf_treat - inf_cont + inf_eff + inf_or
    return BatchEstimate(np.array([att]), influence[:, None], float(ps.max()))


def ipw_rc(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray):
    """Normalized IPW DiD for repeated cross-sections (DRDID::std_ipw_did_rc)."""
    n = len(d)
    w = w / w.mean()
    ps, keep = _propensity(x, d, w)
    odds = keep * w * ps * (1.0 - d) / (1.0 - ps)
    att_treat_pre, inf_treat_pre = _centered(keep * w * d * (1 - post), y)
    att_treat_post, inf_treat_post = _centered(keep * w * d * post, y)
    w_cont_pre, w_cont_post = odds * (1 - post), odds * post
    att_cont_pre, inf_cont_pre = _centered(w_cont_pre, y)
    att_cont_post, inf_cont_post = _centered(w_cont_post, y)
    att = (att_treat_post - att_treat_pre) - (att_cont_post - att_cont_pre)

    m2_pre = (w_cont_pre * (y - att_cont_pre)) @ x / n / w_cont_pre.mean()
    m2_post = (w_cont_post * (y - att_cont_post)) @ x / n / w_cont_post.mean()
    inf_cont_ps = _pscore_linear_rep(x, d, w, ps) @ (m2_post - m2_pre)
    influence = (inf_treat_post - inf_treat_pre) - (inf_cont_post - inf_cont_pre + inf_cont_ps)
    return BatchEstimate(np.array([att]), influence[:, None], float(ps.max()))


def reg_rc(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray):
    """Outcome-regression DiD for repeated cross-sections (DRDID::reg_did_rc)."""
    n = len(d)
    w = w / w.mean()
    pre, treated = post == 0, d == 1
    fit_pre = _fit_subset(x, y, w, ~treated & pre)
    fit_post = _fit_subset(x, y, w, ~treated & ~pre)
    att_treat_pre, inf_treat_pre = _centered(w * d * (1 - post), y)
    att_treat_post, inf_treat_post = _centered(w * d * post, y)
    w_treat = w * d
    gap = fit_post - fit_pre
    eta_cont = float(np.mean(w_treat * gap) / w_treat.mean())
    att = (att_treat_post - att_treat_pre) - eta_cont

    lever = w_treat @ x / n
    ols_post = _ols_linear_rep(x, y, w, ~treated & ~pre, fit_post) @ lever
    ols_pre = _ols_linear_rep(x, y, w, ~treated & pre, fit_pre) @ lever
    inf_cont = (w_treat * (gap - eta_cont) + ols_post - ols_pre) / w_treat.mean()
    influence = (inf_treat_post - inf_treat_pre) - inf_cont
    return BatchEstimate(np.array([att]), influence[:, None], float("nan"))


RC_ESTIMATORS = {"dr": dr_rc, "ipw": ipw_rc, "reg": reg_rc}
