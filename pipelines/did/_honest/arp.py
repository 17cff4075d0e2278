"""Conditional least-favourable hybrid confidence sets for relative-magnitude restrictions.

Rambachan & Roth (2023, section 4-5) write a bound on the violations of parallel trends as
moment inequalities. Δ^RM(Mbar) bounds every post-period first difference of δ by Mbar times
the largest pre-period one, |δ_{t+1} − δ_t| ≤ Mbar · max_s |δ_{s+1} − δ_s| (Δ^SDRM does the same
for second differences). It is a finite union over which pre-period difference s is largest
and its sign, and each piece is a polyhedron: rows of the form ±(difference at t) − Mbar ·
sign · (difference at s) ≤ 0. Only rows involving post-period coefficients matter for θ (as
R's `postPeriodMomentsOnly`), so each piece has 2T rows that come in ± pairs.

Testing H0: l'τ = θ against a piece is the Andrews, Roth & Pakes (2023) problem
E[Y(θ) − X τ̃] ≤ 0 with nuisance τ̃ (the post-period effects with l'τ = θ): the statistic is
η = min_τ̃ max_i (Y_i − X_i τ̃)/σ_i, an LP. By duality η = max over the vertices γ of
{γ ≥ 0, σ'γ = 1, X'γ = 0} of γ'Y. With ± paired rows that polytope has a simple closed form
(`_dual_vertices`), so η, the optimal vertex, and the conditioning interval [v_lo, v_up] of
the conditional test (the values of γ'Y for which γ stays optimal given the part of Y
independent of γ'Y) follow from a handful of inner products, for a whole grid of θ at once.
The least-favourable hybrid rejects outright when η exceeds the 1−κ quantile of η under
the least-favourable null (κ = α/10, simulated as R does), and otherwise compares η/σ_B with
the 1−(α−κ)/(1−κ) quantile of a normal truncated to [v_lo, min(v_up, cv_LF)]/σ_B.
The confidence set is the union over pieces of the accepted θ on a grid.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.special import ndtr, ndtri

from pipelines.did._honest.rng import r_normal_matrix, r_quantile, symmetric_root

LF_SIMULATIONS = 1000


@dataclass(frozen=True)
class Piece:
    """One polyhedron of the union: which pre-period difference is the largest, and its sign."""

    s: int  # R's index: the difference ending at pre-period s (0 = the reference period)
    positive: bool


def pieces(num_pre_periods: int, linear_trend: bool) -> list[Piece]:
    """All (s, sign) pieces, in R's order."""
    first = -(num_pre_periods - 2) if linear_trend else -(num_pre_periods - 1)
    return [Piece(s, positive) for s in range(first, 1) for positive in (True, False)]


def difference_rows(size: int, order: int) -> np.ndarray:
    """First (order 1) or second (order 2) differences over `size` consecutive positions."""
    stencil = np.array([-1.0, 1.0]) if order == 1 else np.array([1.0, -2.0, 1.0])
    rows = np.zeros((size - order, size))
    for r in range(size - order):
        rows[r, r : r + order + 1] = stencil
    return rows


def constraint_rows(
    num_pre: int, num_post: int, mbar: float, piece: Piece, linear_trend: bool, post_only: bool
) -> np.ndarray:
    """Rows A of the piece's inequalities A δ ≤ 0 over (δ_pre, δ_post), δ_0 = 0 dropped.

    With `post_only`, only the 2T rows involving post-period coefficients (all "+" rows, then
    all "−" rows, as R orders them); otherwise the full set used for the identified set.
    """
    order = 2 if linear_trend else 1
    size = num_pre + num_post + 1  # positions −K..T including the reference period 0
    differences = difference_rows(size, order)
    largest = np.zeros(size)
    end = num_pre + piece.s  # position of period s
    largest[end - order : end + 1] = [-1.0, 1.0] if order == 1 else [1.0, -2.0, 1.0]
    if not piece.positive:
        largest = -largest
    is_post = differences[:, num_pre + 1 :].any(axis=1)
    bound = np.where(is_post, mbar, 1.0)[:, None] * largest
    rows = np.vstack([differences - bound, -differences - bound])
    keep = np.concatenate([is_post, is_post]) if post_only else (rows**2).sum(axis=1) > 1e-10
    return np.delete(rows[keep], num_pre, axis=1)


def _dual_vertices(post_block: np.ndarray, l_vec: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Vertices of {γ ≥ 0, sd'γ = 1, X'γ = 0} for ± paired rows.

    Rows t and T+t load on the post-period effects as D_t and −D_t (D = `post_block`, the "+"
    rows). The nuisance directions are the τ with l'τ = 0, so X'γ = 0 means the net weights
    μ_t = γ_t − γ_{T+t} satisfy D'μ ∝ l, i.e. μ = κ c with c = D'^{-1} l. A point with weight
    on both rows of a pair is a mixture of the same point without it and of that pair alone,
    so the extreme points are: κ > 0 or κ < 0 with each pair on one side only, and, for each
    t, equal weight on both rows of pair t alone (κ = 0). When only one pair has c_t ≠ 0 its
    κ = 0 point mixes the other two; keeping it changes no maximum.
    """
    size = len(l_vec)
    c = np.linalg.solve(post_block.T, l_vec)
    c = c / np.max(np.abs(c))
    c[np.abs(c) < 1e-12] = 0.0
    vertices = []
    for direction in (1.0, -1.0):
        weights = np.concatenate([np.maximum(direction * c, 0), np.maximum(-direction * c, 0)])
        vertices.append(weights / (weights @ sd))
    for t in range(size):
        weights = np.zeros(2 * size)
        weights[[t, size + t]] = 1.0 / (sd[t] + sd[size + t])
        vertices.append(weights)
    return np.array(vertices)


def truncated_normal_quantile(
    probability: float, low: np.ndarray | float, high: np.ndarray | float
) -> np.ndarray:
    """Quantile of N(0, 1) truncated to [low, high], elementwise (scipy's truncnorm.ppf, which
    is ~100x slower on small arrays). Computed on the side of zero where the tail masses keep
    their precision: with survival functions when the whole interval lies above 0."""
    low, high = np.broadcast_arrays(np.asarray(low, dtype=float), np.asarray(high, dtype=float))
    upper = low > 0
    below, above = ndtr(low), ndtr(high)
    lower_side = ndtri(below + probability * (above - below))
    tail_high, tail_low = ndtr(-high), ndtr(-low)
    upper_side = -ndtri(tail_high + (1 - probability) * (tail_low - tail_high))
    return np.where(upper, upper_side, lower_side)


@dataclass(frozen=True)
class PieceTest:
    """The hybrid test of one piece, ready to evaluate at any θ."""

    values_at_zero: np.ndarray  # γ'Y for each vertex γ at θ = 0
    theta_loading: np.ndarray  # d(γ'Y)/dθ = −γ'a for each vertex
    vertex_covariance: np.ndarray  # γ_i'Σ_Y γ_j
    lf_critical_value: float
    truncate_at_lf: bool  # R truncates at the LF critical value only when T > 1

    def accepts(self, theta: np.ndarray, alpha: float, kappa: float) -> np.ndarray:
        """Whether the hybrid test fails to reject H0: l'τ = θ, for each θ."""
        values = self.values_at_zero[:, None] + self.theta_loading[:, None] * theta[None, :]
        best = np.argmax(values, axis=0)
        eta = values[best, np.arange(len(theta))]
        accept = np.zeros(len(theta), dtype=bool)
        stage_two = eta <= self.lf_critical_value
        if not stage_two.any():
            return accept
        cols = np.flatnonzero(stage_two)
        gamma = best[cols]
        variance = self.vertex_covariance[gamma, gamma]
        degenerate = variance < np.finfo(float).eps
        accept[cols[degenerate]] = eta[cols[degenerate]] <= 0
        cols, gamma, variance = cols[~degenerate], gamma[~degenerate], variance[~degenerate]
        if len(cols) == 0:
            return accept
        sd_b = np.sqrt(variance)
        # Along Y = S + b c with b = Σγ/γ'Σγ, vertex λ stays below γ iff λ'S ≤ c (1 − λ'b).
        slope = 1.0 - self.vertex_covariance[:, gamma] / variance
        intercept = values[:, cols] - (1.0 - slope) * eta[cols]
        slope[gamma, np.arange(len(cols))] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = intercept / slope
        v_lo = np.where(slope > 1e-12, ratio, -np.inf).max(axis=0)
        v_up = np.where(slope < -1e-12, ratio, np.inf).min(axis=0)
        if self.truncate_at_lf:
            v_up = np.minimum(v_up, self.lf_critical_value)
        z_lo, z_up, statistic = v_lo / sd_b, v_up / sd_b, eta[cols] / sd_b
        inside = (z_lo <= statistic) & (statistic <= z_up)
        critical = np.zeros(len(cols))
        level = 1 - (alpha - kappa) / (1 - kappa)
        proper = inside & (z_up - z_lo > 1e-12)
        critical[proper] = truncated_normal_quantile(level, z_lo[proper], z_up[proper])
        critical[inside & ~proper] = z_lo[inside & ~proper]
        critical = np.maximum(critical, 0.0)
        accept[cols] = ~inside | (statistic <= critical)
        return accept


def _piece_test(
    rows: np.ndarray,
    betahat: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    num_post: int,
    l_vec: np.ndarray,
    kappa: float,
    normals: np.ndarray,
    root: np.ndarray,
) -> PieceTest:
    moment_sigma = rows @ sigma @ rows.T
    sd = np.sqrt(np.diag(moment_sigma))
    post_rows = rows[:, num_pre:]
    vertices = _dual_vertices(post_rows[:num_post], l_vec, sd)
    # Any direction u with l'u = 1 gives the same loading, since the vertices annihilate
    # the nuisance directions.
    loading = vertices @ (post_rows @ (l_vec / (l_vec @ l_vec)))
    # η of each least-favourable draw (normals @ root, R's rmvnorm) is its best vertex value.
    simulated_eta = (normals @ (root @ vertices.T)).max(axis=1)
    return PieceTest(
        values_at_zero=vertices @ (rows @ betahat),
        theta_loading=-loading,
        vertex_covariance=vertices @ moment_sigma @ vertices.T,
        lf_critical_value=r_quantile(simulated_eta, 1 - kappa),
        truncate_at_lf=num_post > 1,
    )


def piece_tests(
    betahat: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    num_post: int,
    l_vec: np.ndarray,
    mbar: float,
    linear_trend: bool,
    kappa: float,
    seed: int,
) -> Iterator[PieceTest]:
    """The hybrid test of every piece, in R's order."""
    normals = r_normal_matrix(LF_SIMULATIONS, 2 * num_post, seed)
    # The "−" piece's rows are minus the "+" piece's with the two blocks swapped, so its
    # covariance (and square root) is the "+" one with rows and columns permuted.
    swap = np.r_[num_post : 2 * num_post, 0:num_post]
    root = np.empty(0)
    for piece in pieces(num_pre, linear_trend):
        rows = constraint_rows(num_pre, num_post, mbar, piece, linear_trend, post_only=True)
        root = (
            root[np.ix_(swap, swap)]
            if not piece.positive
            else symmetric_root(rows @ sigma @ rows.T)
        )
        yield _piece_test(rows, betahat, sigma, num_pre, num_post, l_vec, kappa, normals, root)


def identified_set(
    betahat: np.ndarray,
    num_pre: int,
    num_post: int,
    l_vec: np.ndarray,
    mbar: float,
    linear_trend: bool,
) -> tuple[float, float]:
    """Bounds of l'τ when β is known exactly (union over pieces of two LPs each)."""
    point = float(l_vec @ betahat[num_pre:])
    low, high = point, point
    for piece in pieces(num_pre, linear_trend):
        rows = constraint_rows(num_pre, num_post, mbar, piece, linear_trend, post_only=False)
        bounds_rhs = -rows[:, :num_pre] @ betahat[:num_pre]
        post = rows[:, num_pre:]
        free = [(None, None)] * num_post
        most = linprog(-l_vec, A_ub=post, b_ub=bounds_rhs, bounds=free, method="highs")
        least = linprog(l_vec, A_ub=post, b_ub=bounds_rhs, bounds=free, method="highs")
        if most.status != 0 or least.status != 0:
            continue  # s is not the largest pre-period difference: empty piece
        low = min(low, point + most.fun)
        high = max(high, point - least.fun)
    return low, high
