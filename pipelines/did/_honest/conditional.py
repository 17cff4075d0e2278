"""Conditional-FLCI hybrid confidence sets for smoothness with sign or shape restrictions.

Rambachan & Roth (2023, section 5.3) recommend, for Δ^SD(M) intersected with a sign
restriction on the post-period bias (Δ^SDPB: δ_post ≥ 0, Δ^SDNB: δ_post ≤ 0) or a shape
restriction (Δ^SDI / Δ^SDD: δ increasing / decreasing over all periods), the conditional-FLCI
hybrid ("C-F", R's default in `createSensitivityResults` for these sets). Each set is a
polyhedron A δ ≤ d over (δ_pre, δ_post) with δ_0 = 0 dropped, built row for row as R's
`.create_A_SD`, `.create_A_B` and `.create_A_M` build it.

Testing H0: l'τ = θ is the Andrews, Roth & Pakes (2023) problem E[Y(θ) − X ν] ≤ 0 with
Y(θ) = A β̂ − d − a θ and nuisance ν (the post-period effects in a basis whose first element is
l, R's `.construct_Gamma`). Unlike the relative-magnitude pieces (`arp`), the rows are
not ± pairs with a zero right-hand side, so η = min_ν max_i (Y_i − X_i ν)/σ_i is solved as an
LP for each θ, and its dual vertex γ gives the conditioning event: the interval [v_lo, v_up] of
γ'Y over which γ stays optimal given the part of Y independent of γ'Y (in closed form when the
LP is non-degenerate, otherwise by R's bisection on the dual). The hybrid's first stage
rejects θ outside the FLCI of level κ = α/10; the second compares η/σ_B with the
1 − (α − κ)/(1 − κ) quantile of a normal truncated to [v_lo, v_up] further cut to the values of
γ'Y that keep θ inside that FLCI. Only the rows that involve post-period coefficients enter the
test (R's ``postPeriodMomentsOnly``). θ is tested on R's grid: 1,000 points spanning the
κ-level FLCI. The grid is scanned from both ends, since only the smallest and largest accepted
θ are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.did._honest.arp import truncated_normal_quantile
from pipelines.did._honest.flci import FoldedQuantile, flci_problem, optimal_flci_estimator
from pipelines.did._honest.small_lp import solve

BIAS_DIRECTIONS = ("positive", "negative")
MONOTONICITY_DIRECTIONS = ("increasing", "decreasing")
GRID_POINTS = 1000  # R's gridPoints default
_DUAL_TOLERANCE = 1e-6  # R's tol_lambda: a dual weight above it marks a binding moment


def restriction_label(bias_direction: str | None, monotonicity_direction: str | None) -> str:
    """R's name of the set: DeltaSDPB, DeltaSDNB, DeltaSDI or DeltaSDD."""
    if bias_direction is not None:
        return "DeltaSDPB" if bias_direction == "positive" else "DeltaSDNB"
    return "DeltaSDI" if monotonicity_direction == "increasing" else "DeltaSDD"


def constraints(
    num_pre: int,
    num_post: int,
    m: float,
    bias_direction: str | None,
    monotonicity_direction: str | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(A, d) with Δ = {δ : A δ ≤ d}, rows in R's order (smoothness rows first)."""
    size = num_pre + num_post
    second = np.zeros((size - 1, size + 1))
    for r in range(size - 1):
        second[r, r : r + 3] = [1.0, -2.0, 1.0]
    second = np.delete(second, num_pre, axis=1)  # δ_0 = 0
    smooth = np.vstack([second, -second])
    if bias_direction is not None:
        sign = -1.0 if bias_direction == "positive" else 1.0  # positive: −δ_post ≤ 0
        extra = sign * np.eye(size)[num_pre:]
    else:
        # Consecutive differences over −K..T with δ_0 = 0: δ_{t} − δ_{t+1} ≤ 0 (increasing).
        extra = np.zeros((size, size))
        for r in range(num_pre - 1):
            extra[r, r : r + 2] = [1.0, -1.0]
        extra[num_pre - 1, num_pre - 1] = 1.0
        extra[num_pre, num_pre] = -1.0
        for r in range(num_pre + 1, size):
            extra[r, r - 1 : r + 1] = [1.0, -1.0]
        if monotonicity_direction == "decreasing":
            extra = -extra
    matrix = np.vstack([smooth, extra])
    bound = np.concatenate([np.full(len(smooth), float(m)), np.zeros(len(extra))])
    return matrix, bound


def _nuisance_basis(l_vec: np.ndarray) -> np.ndarray:
    """R's Γ: l' on top of the unit vectors that complete it to a basis (rref pivots)."""
    last = int(np.flatnonzero(l_vec)[-1])  # the unit vector rref finds dependent on l
    units = np.delete(np.eye(len(l_vec)), last, axis=0)
    return np.vstack([l_vec, units])


@dataclass(frozen=True)
class ConditionalFlciTest:
    """The C-F hybrid test of H0: l'τ = θ for one M, ready to evaluate at any θ."""

    y_at_zero: np.ndarray  # A β̂ − d over the ARP rows
    theta_loading: np.ndarray  # a over the ARP rows: Y(θ) = y_at_zero − a θ
    nuisance: np.ndarray  # X over the ARP rows
    sigma_y: np.ndarray  # covariance of Y over the ARP rows
    flci_value: float  # w'β̂: the κ-level FLCI is w'β̂ ± half
    flci_half: float
    flci_covariance: np.ndarray  # Cov(w'β̂, Y) over the ARP rows
    alpha: float
    kappa: float

    def grid(self) -> np.ndarray:
        """R's θ grid: 1,000 points spanning the κ-level FLCI."""
        return np.linspace(
            self.flci_value - self.flci_half, self.flci_value + self.flci_half, GRID_POINTS
        )

    def accepts(self, theta: float) -> bool:
        """Whether the hybrid test fails to reject H0: l'τ = θ."""
        if abs(self.flci_value - theta) > self.flci_half:
            return False  # first stage: θ outside the κ-level FLCI
        y = self.y_at_zero - self.theta_loading * theta
        sd = np.sqrt(np.diag(self.sigma_y))
        eta, dual = _solve_eta(y, self.nuisance, sd)
        if eta is None:
            return True  # as R: an LP that fails to converge does not reject
        binding = dual > _DUAL_TOLERANCE
        k = self.nuisance.shape[1]
        basis = np.column_stack([sd, self.nuisance])[binding]
        regular = binding.sum() == k + 1 and np.linalg.matrix_rank(basis) == k + 1
        if regular:
            gamma = np.linalg.solve(basis.T, np.eye(k + 1)[0])  # e1' [σ_B, X_B]^{-1}
            full = np.zeros(len(y))
            full[binding] = gamma
            gamma, eta = full, float(full @ y)
            v_lo, v_up = self._regular_interval(y, gamma, sd, binding)
        else:
            gamma = dual
        variance = float(gamma @ self.sigma_y @ gamma)
        if not regular:
            if abs(variance) < np.finfo(float).eps:
                return eta <= 0
            v_lo, v_up = _degenerate_interval(eta, gamma, y, self.sigma_y, sd, self.nuisance)
        sd_b = np.sqrt(variance)
        flci_lo, flci_up = self._flci_interval(theta, gamma, variance, eta)
        z_lo, z_up = max(v_lo, flci_lo) / sd_b, min(v_up, flci_up) / sd_b
        statistic = eta / sd_b
        if not z_lo <= statistic <= z_up:
            return True
        level = 1 - (self.alpha - self.kappa) / (1 - self.kappa)
        critical = (
            max(0.0, float(truncated_normal_quantile(level, z_lo, z_up))) if z_up > z_lo else 0.0
        )
        return statistic <= critical

    def _regular_interval(
        self, y: np.ndarray, gamma: np.ndarray, sd: np.ndarray, binding: np.ndarray
    ) -> tuple[float, float]:
        """[v_lo, v_up] of a non-degenerate vertex: where its basis stays optimal (R's Γ_B)."""
        design = np.column_stack([sd, self.nuisance])
        others = ~binding
        # Γ_B Y: the slack of each non-binding moment relative to the binding ones.
        slack = design[others] @ np.linalg.solve(design[binding], y[binding]) - y[others]
        variance = float(gamma @ self.sigma_y @ gamma)
        gamma_b = np.zeros((others.sum(), len(y)))
        gamma_b[:, binding] = design[others] @ np.linalg.inv(design[binding])
        gamma_b[np.arange(others.sum()), np.flatnonzero(others)] -= 1.0
        rho = gamma_b @ self.sigma_y @ gamma / variance
        with np.errstate(divide="ignore", invalid="ignore"):
            bounds = -slack / rho + gamma @ y
        v_lo = bounds[rho > 0].max() if (rho > 0).any() else -np.inf
        v_up = bounds[rho < 0].min() if (rho < 0).any() else np.inf
        return float(v_lo), float(v_up)

    def _flci_interval(
        self, theta: float, gamma: np.ndarray, variance: float, eta: float
    ) -> tuple[float, float]:
        """Values of γ'Y (given the rest of Y) that keep θ inside the κ-level FLCI.

        Along Y = S + c g with c = Σγ/γ'Σγ, the FLCI statistic w'β̂ − θ moves by k per unit of
        g, k = Cov(w'β̂, γ'Y)/γ'Σγ: R's `.FLCI_computeVloVup` on the same line.
        """
        slope = float(self.flci_covariance @ gamma) / variance
        value = self.flci_value - theta
        if slope > 0:
            return eta - (self.flci_half + value) / slope, eta + (self.flci_half - value) / slope
        if slope < 0:
            return eta + (self.flci_half - value) / slope, eta - (self.flci_half + value) / slope
        return -np.inf, np.inf


def _solve_eta(
    y: np.ndarray, nuisance: np.ndarray, sd: np.ndarray
) -> tuple[float | None, np.ndarray]:
    """η = min over (η, ν) of η subject to σ_i η + X_i ν ≥ Y_i, and its dual weights."""
    k = nuisance.shape[1]
    free = np.full(k + 1, np.inf)
    result = solve(
        np.r_[1.0, np.zeros(k)],
        np.column_stack([sd, nuisance]),
        y,
        np.full(len(y), np.inf),
        -free,
        free,
    )
    if result is None:
        return None, np.zeros(len(y))
    return result.fun, result.row_duals


def _degenerate_interval(
    eta: float,
    gamma: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    sd: np.ndarray,
    nuisance: np.ndarray,
) -> tuple[float, float]:
    """[v_lo, v_up] when the LP is degenerate (R's `.vlo_vup_dual_fn`), solved exactly.

    Along Y = s + b c (b = Σγ/γ'Σγ, s the part of Y independent of γ'Y = c), γ stays the best
    dual vertex while every vertex λ of {λ ≥ 0, σ'λ = 1, X'λ = 0} has λ's ≤ c (1 − λ'b).
    So v_up = min over λ'b > 1 and v_lo = max over λ'b < 1 of λ's / (1 − λ'b): linear-
    fractional programs, each one LP after the Charnes–Cooper substitution u = λ t. R finds
    the same ends by secant steps and bisection to 1e-6 and reports ±∞ beyond
    max(100, η ± 20 σ_B), as here.
    """
    variance = float(gamma @ sigma @ gamma)
    b = sigma @ gamma / variance
    s = y - b * eta
    equality = np.column_stack([sd, nuisance]).T  # W'λ = e1
    first = np.eye(equality.shape[0])[:, :1]
    spread = 20 * np.sqrt(variance)

    def extreme(upper: bool) -> float:
        # Variables (u, t): W'u − e1 t = 0, ±(b'u − t) = 1, u, t ≥ 0.
        sign = 1.0 if upper else -1.0
        a_eq = np.vstack([np.column_stack([equality, -first]), np.r_[sign * b, -sign][None, :]])
        b_eq = np.r_[np.zeros(equality.shape[0]), 1.0]
        objective = np.r_[-s, 0.0]
        size = a_eq.shape[1]
        result = solve(objective, a_eq, b_eq, b_eq, np.zeros(size), np.full(size, np.inf))
        if result is None:  # infeasible: no vertex on that side, γ stays best for ever
            return np.inf if upper else -np.inf
        return result.fun if upper else -result.fun

    v_up, v_lo = extreme(upper=True), extreme(upper=False)
    if v_up >= max(100.0, eta + spread):
        v_up = np.inf
    if v_lo <= min(-100.0, eta - spread):
        v_lo = -np.inf
    return v_lo, v_up


def conditional_flci_test(
    betahat: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    num_post: int,
    l_vec: np.ndarray,
    m: float,
    alpha: float,
    bias_direction: str | None,
    monotonicity_direction: str | None,
    quantile: FoldedQuantile,
) -> ConditionalFlciTest:
    """The C-F test at smoothness bound `m` under the sign or shape restriction."""
    kappa = alpha / 10  # R's hybrid_kappa default
    matrix, bound = constraints(num_pre, num_post, m, bias_direction, monotonicity_direction)
    problem = flci_problem(sigma, num_pre, num_post, l_vec)
    weights, half = optimal_flci_estimator(problem, l_vec, m, kappa, quantile)
    post_block = matrix[:, num_pre:] @ np.linalg.inv(_nuisance_basis(l_vec))
    rows = np.abs(matrix[:, num_pre:]).sum(axis=1) > 0  # R's postPeriodMomentsOnly
    return ConditionalFlciTest(
        y_at_zero=(matrix @ betahat - bound)[rows],
        theta_loading=post_block[rows, 0],
        nuisance=post_block[rows, 1:],
        sigma_y=(matrix @ sigma @ matrix.T)[np.ix_(rows, rows)],
        flci_value=float(weights @ betahat),
        flci_half=half,
        flci_covariance=(matrix @ sigma @ weights)[rows],
        alpha=alpha,
        kappa=kappa,
    )


def confidence_set(test: ConditionalFlciTest) -> tuple[float, float]:
    """Smallest and largest accepted θ of R's grid (NaN if none), as R reports them.

    The accepted points need not form an interval (on Lovenheim & Willen at M = 0.025 they
    form two), so the grid is scanned in from each end up to the first accepted point.
    """
    grid = test.grid()
    low = next((i for i in range(len(grid)) if test.accepts(float(grid[i]))), None)
    if low is None:
        return float("nan"), float("nan")
    high = next(i for i in range(len(grid) - 1, low - 1, -1) if test.accepts(float(grid[i])))
    return float(grid[low]), float(grid[high])


def set_includes_zero(test: ConditionalFlciTest) -> bool:
    """Whether the set R reports (smallest to largest accepted θ of its grid) contains 0.

    Cheap when the grid misses 0 (the first stage rejects every θ outside it) or when the
    grid points on either side of 0 are accepted; otherwise it scans as R would.
    """
    grid = test.grid()
    if not grid[0] <= 0 <= grid[-1]:
        return False
    split = int(np.searchsorted(grid, 0.0, side="right"))  # grid[:split] <= 0 < grid[split:]
    if 0 < split < len(grid) and all(test.accepts(float(grid[i])) for i in (split - 1, split)):
        return True
    below = any(test.accepts(float(theta)) for theta in grid[:split])
    return below and any(test.accepts(float(theta)) for theta in grid[split:][::-1])
