"""Optimal fixed-length confidence intervals (FLCI) under smoothness restrictions Δ^SD(M).

Rambachan & Roth (2023, section 4.1, following Armstrong & Kolesár) use affine estimators
θ̂ = l'β̂_post + v'β̂_pre of θ = l'τ_post and the interval θ̂ ± χ with
χ = sd(θ̂) · cv_α(bias̄ / sd(θ̂)), where bias̄ is the worst-case bias over
Δ^SD(M) = {δ : |δ_{t+1} − 2δ_t + δ_{t−1}| ≤ M, δ_0 = 0} and cv_α(b) the 1−α quantile of
|N(b, 1)|. The FLCI picks v to minimise χ.

Worst-case bias. Write every δ through its first post-period slope δ_1 and its second
differences d_u (u = −K+1 … T−1): δ_t = t δ_1 + Σ_{1≤u<t} (t−u) d_u after the reference period,
δ_{−k} = −k δ_1 + Σ_{0≤u<k} (k−u) d_{−u} before it. With pre-period weights v_{−k} the bias is
  δ_1 (Σ_t t l_t − Σ_k k v_{−k}) + Σ_{u≥1} d_u Σ_{t>u} (t−u) l_t + Σ_{u≥0} d_{−u} W_u,
  W_u = Σ_{k>u} (k−u) v_{−k}.
It is bounded only if the linear-trend term vanishes, W_0 = Σ_t t l_t, and then
  bias̄ = M (C(l) + Σ_{u=1}^{K−1} |W_u|),  C(l) = Σ_{u=1}^{T−1} |Σ_{t>u}(t−u) l_t| + |Σ_t t l_t|.
The map v ↦ W is triangular, so (W_1 … W_{K−1}) are free coordinates of the estimator.

Optimisation. χ is increasing in both the bias and the standard deviation, so the optimum lies
on the frontier min ‖W‖₁ subject to sd ≤ h, which is the lasso path of
½ sd²(W) + λ‖W‖₁ (λ from ∞, the bias-minimising estimator, to 0, the variance-minimising
one). The path is piecewise linear in λ and computed exactly (`_lasso_path`); χ along it is
unimodal (it is convex in h), so a search over breakpoints refined within the neighbouring
segments finds the optimal FLCI for every M from the same path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import ndtr
from scipy.stats import norm

from pipelines.did._honest.rng import SimulatedFoldedNormalQuantile

FoldedQuantile = Callable[[float, float], float]


def exact_folded_normal_quantile(mu: float, probability: float) -> float:
    """Quantile of |N(mu, 1)|: the c with P(|N(mu,1)| > c) = 1 − probability."""
    mu = abs(mu)
    tail = 1.0 - probability

    def excess(c: float) -> float:
        return ndtr(mu - c) + ndtr(-mu - c) - tail

    low = max(mu + norm.ppf(1 - tail) - 1e-9, 0.0)
    high = mu + norm.ppf(1 - tail / 2) + 1e-9
    return brentq(excess, low, high, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def folded_normal_quantile(kind: str, seed: int) -> FoldedQuantile:
    if kind == "exact":
        return exact_folded_normal_quantile
    if kind == "simulated":
        return SimulatedFoldedNormalQuantile(seed)
    raise ValueError(f"flci_quantile must be 'simulated' or 'exact', got {kind!r}")


@dataclass(frozen=True)
class _Segment:
    """W(λ) = intercept + λ · slope on λ ∈ [low, high] (zero outside `active`)."""

    low: float
    high: float
    intercept: np.ndarray
    slope: np.ndarray


def _lasso_path(gram: np.ndarray, linear: np.ndarray) -> list[_Segment]:
    """Exact solution path of min ½ W'GW + g'W + λ‖W‖₁ over λ ≥ 0 (LARS-lasso homotopy)."""
    size = len(linear)
    lam = float(np.max(np.abs(linear))) if size else 0.0
    if lam == 0.0:
        zero = np.zeros(size)
        return [_Segment(0.0, np.inf, zero, zero)]
    first = int(np.argmax(np.abs(linear)))
    active, signs = [first], {first: -np.sign(linear[first])}
    segments = [_Segment(lam, np.inf, np.zeros(size), np.zeros(size))]
    while lam > 0:
        idx = np.array(active)
        sign = np.array([signs[i] for i in active])
        inverse = np.linalg.pinv(gram[np.ix_(idx, idx)])
        intercept, slope = np.zeros(size), np.zeros(size)
        intercept[idx] = -inverse @ linear[idx]
        slope[idx] = -inverse @ sign
        # Gradients of the inactive coordinates: α + λβ; they join when reaching ±λ.
        alpha_g = gram @ intercept + linear
        beta_g = gram @ slope
        events = []
        tolerance = 1e-12 * max(lam, 1e-300)
        for j in range(size):
            if j in signs:
                if slope[j] != 0:
                    crossing = -intercept[j] / slope[j]
                    if tolerance < lam - crossing and crossing >= 0:
                        events.append((crossing, "leave", j))
                continue
            for target in (1.0, -1.0):
                denominator = target - beta_g[j]
                if denominator != 0:
                    meeting = alpha_g[j] / denominator
                    if tolerance < lam - meeting and meeting >= 0:
                        events.append((meeting, "join", j))
        next_lam, kind, index = max(events) if events else (0.0, "end", -1)
        segments.append(_Segment(next_lam, lam, intercept, slope))
        if kind == "join":
            gradient = alpha_g[index] + next_lam * beta_g[index]
            active.append(index)
            signs[index] = -np.sign(gradient)
        elif kind == "leave":
            active.remove(index)
            del signs[index]
        lam = next_lam
    return segments


@dataclass(frozen=True)
class FlciProblem:
    """Bias and variance of the affine estimators for one (Σ, l), as functions of W."""

    from_free: np.ndarray  # v_pre (time order) = from_free @ W_free + offset
    offset: np.ndarray
    constant_bias: float  # C(l)
    gram: np.ndarray
    linear: np.ndarray
    variance_constant: float
    segments: list[_Segment]

    def estimator(self, free: np.ndarray) -> np.ndarray:
        return self.from_free @ free + self.offset

    def sd_and_bias(self, free: np.ndarray) -> tuple[float, float]:
        variance = free @ self.gram @ free + 2 * self.linear @ free + self.variance_constant
        return float(np.sqrt(max(variance, 0.0))), self.constant_bias + float(np.abs(free).sum())


def flci_problem(sigma: np.ndarray, num_pre: int, num_post: int, l_vec: np.ndarray) -> FlciProblem:
    periods = np.arange(1, num_post + 1)
    trend_weight = float(periods @ l_vec)  # Σ t l_t, which W_0 must equal
    constant = abs(trend_weight) + sum(
        abs(float((periods[u:] - u) @ l_vec[u:])) for u in range(1, num_post)
    )
    # W_u = Σ_{k>u} (k − u) v_{−k}, u = 0..K−1, with v ordered by k = 1..K (v_{−1} first).
    lags = np.arange(1, num_pre + 1)
    to_w = np.maximum(lags[None, :] - np.arange(num_pre)[:, None], 0).astype(float)
    from_w = np.linalg.inv(to_w)[::-1]  # rows reversed: v in time order −K … −1
    from_free, offset = from_w[:, 1:], from_w[:, 0] * trend_weight
    pre, post_l = sigma[:num_pre, :num_pre], sigma[:num_pre, num_pre:] @ l_vec
    gram = from_free.T @ pre @ from_free
    linear = from_free.T @ (pre @ offset + post_l)
    variance_constant = float(
        offset @ pre @ offset + 2 * offset @ post_l + l_vec @ sigma[num_pre:, num_pre:] @ l_vec
    )
    return FlciProblem(
        from_free=from_free,
        offset=offset,
        constant_bias=constant,
        gram=gram,
        linear=linear,
        variance_constant=variance_constant,
        segments=_lasso_path(gram, linear),
    )


def optimal_flci(
    problem: FlciProblem,
    betahat: np.ndarray,
    num_pre: int,
    l_vec: np.ndarray,
    m: float,
    alpha: float,
    quantile: FoldedQuantile,
) -> tuple[float, float]:
    """(centre, half-length) of the optimal FLCI for smoothness bound `m`."""
    weights, length = optimal_flci_estimator(problem, l_vec, m, alpha, quantile)
    return float(weights @ betahat), length


def optimal_flci_estimator(
    problem: FlciProblem,
    l_vec: np.ndarray,
    m: float,
    alpha: float,
    quantile: FoldedQuantile,
) -> tuple[np.ndarray, float]:
    """(weights over (β_pre, β_post), half-length) of the optimal FLCI: R's ``optimalVec``."""

    def half_length(segment: _Segment, lam: float) -> float:
        free = segment.intercept + lam * segment.slope
        sd, bias = problem.sd_and_bias(free)
        if sd == 0:
            return np.inf
        return sd * quantile(m * bias / sd, 1 - alpha)

    # Breakpoints: segment i ends (at its low λ) where segment i + 1 starts.
    segments = problem.segments
    values = [half_length(segment, segment.low) for segment in segments]
    best = int(np.argmin(values))
    candidates = [(values[best], segments[best], segments[best].low)]
    # χ is unimodal along the path, so the optimum lies in a segment next to the best knot.
    for segment in segments[best : best + 2]:
        if np.isfinite(segment.high) and segment.high > segment.low:
            found = minimize_scalar(
                lambda lam, s=segment: half_length(s, lam),
                bounds=(segment.low, segment.high),
                method="bounded",
                options={"xatol": 1e-12 * segment.high},
            )
            candidates.append((float(found.fun), segment, float(found.x)))
    length, segment, lam = min(candidates, key=lambda item: item[0])
    weights = problem.estimator(segment.intercept + lam * segment.slope)
    return np.concatenate([weights, l_vec]), float(length)
