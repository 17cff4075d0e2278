"""Wild cluster bootstrap for fixed-effects regressions with few clusters.

With 13 or 33 treated schools, analytic cluster-robust t-tests can over-reject; the wild
cluster bootstrap (Cameron, Gelbach & Miller 2008) is the standard remedy, and the restricted
version (WCR: residuals from the model with the null imposed) is the one MacKinnon & Webb
(2017, 2018) show to be reliable when treated clusters are few.

The fixed effects are already projected out of the design (Frisch–Waugh–Lovell), so the
bootstrap runs on the demeaned design. Everything is computed in cluster space, vectorised
over draws (the algebra of Roodman, MacKinnon, Nielsen & Webb 2019, "Fast and wild"): a
bootstrap coefficient is b̃ + A S v and its cluster scores are v_g S_g − H_g A S v, so no draw
ever touches the n observations. For one restriction the restricted residuals are linear in
the null value r, which makes the bootstrap p-value an O(B) function of r and the WCR
confidence interval a cheap test inversion.

Conventions: the t statistic uses the CRV1 covariance with fixest's small-sample factor (the
same factor in the sample and every draw); p-values are symmetric, the share of draws with
|t*| >= |t|; with Rademacher (Webb) weights and 2^G (6^G) <= B, all weight vectors are
enumerated instead of drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from pipelines.did._regression.fixed_effects import (
    ClusteredFit,
    FixedEffects,
    OLSFit,
    cluster_sums,
    demean,
    is_nested,
    ols,
)
from pipelines.did._results.base import Result

WEBB_VALUES = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
# Draws are processed in blocks so that memory stays near this many floats per array.
_BLOCK_FLOATS = 4_000_000
# Relative slack when comparing bootstrap statistics to the sample one: with enumeration the
# draw v = 1 reproduces the sample statistic, and rounding must not drop it.
_TIE_TOL = 1e-10


@dataclass(frozen=True)
class WildBootstrapResult(Result):
    """A wild cluster bootstrap test of one linear restriction or a joint Wald test."""

    hypothesis: str
    estimate: np.ndarray  # R b̂
    statistic: float  # t for one restriction, Wald F (W / q) for a joint test
    p_value: float
    ci_lower: float | None  # None for joint tests
    ci_upper: float | None
    B: int  # number of draws actually used (2^G or 6^G when enumerated)
    enumerated: bool
    weights: str
    impose_null: bool
    n_clusters: int
    alp: float
    bootstrap_statistics: np.ndarray = field(repr=False)

    @property
    def method(self) -> str:
        return "WCR (restricted)" if self.impose_null else "WCU (unrestricted)"

    def to_frame(self) -> pd.DataFrame:
        """One row: hypothesis, estimate, statistic, p-value, CI, and how it was computed."""
        joint = self.estimate.size > 1
        return pd.DataFrame(
            {
                "hypothesis": [self.hypothesis],
                "estimate": [np.nan if joint else float(self.estimate[0])],
                "statistic": [self.statistic],
                "p_value": [self.p_value],
                "ci_lower": [np.nan if self.ci_lower is None else self.ci_lower],
                "ci_upper": [np.nan if self.ci_upper is None else self.ci_upper],
                "method": [self.method],
                "weights": [self.weights],
                "B": [self.B],
                "enumerated": [self.enumerated],
                "n_clusters": [self.n_clusters],
            }
        )

    def summary(self) -> str:
        kind = "Wald F" if self.estimate.size > 1 else "t"
        lines = [
            f"Wild cluster bootstrap, {self.method}, {self.weights} weights",
            f"H0: {self.hypothesis}",
            f"{kind} = {self.statistic:.4f}, bootstrap p-value = {self.p_value:.4f}",
        ]
        if self.ci_lower is not None:
            level = round(100 * (1 - self.alp))
            lines.append(
                f"estimate = {float(self.estimate[0]):.4f}, {level}% CI "
                f"[{self.ci_lower:.4f}, {self.ci_upper:.4f}]"
            )
        draws = "all weight vectors enumerated" if self.enumerated else "random draws"
        lines.append(f"{self.B} bootstrap replications ({draws}), {self.n_clusters} clusters")
        return "\n".join(lines)


def wild_bootstrap(
    result: object,
    param: str | Sequence[str] | Mapping[str, float],
    B: int = 9999,
    weights: Literal["rademacher", "webb"] = "rademacher",
    impose_null: bool = True,
    joint: bool = False,
    null_value: float | Sequence[float] = 0.0,
    alp: float = 0.05,
    random_state: int | np.random.Generator | None = None,
) -> WildBootstrapResult:
    """Wild cluster bootstrap p-value and CI for a coefficient, or a joint Wald test.

    `result` is a fitted regression exposing a `ClusteredFit` as `.fit` (e.g. `twfe`'s
    result) or a `ClusteredFit`. `param` names one coefficient, maps names to weights for one
    linear combination (e.g. the mean of the post-period event-time coefficients), or, with
    `joint=True`, lists several coefficients tested jointly against `null_value`.

    `impose_null=True` (WCR) draws from residuals with the null imposed; its CI inverts the
    bootstrap test. `impose_null=False` (WCU) draws from the unrestricted residuals; its CI is
    the symmetric percentile-t interval. Clustering, weights and the small-sample factor are
    those of the fitted regression. Reproducible with `random_state`.
    """
    fit = result.fit if hasattr(result, "fit") else result
    if not isinstance(fit, ClusteredFit):
        raise ValueError("result must be a fitted regression with a ClusteredFit (e.g. twfe's)")
    if weights not in ("rademacher", "webb"):
        raise ValueError(f"weights must be 'rademacher' or 'webb', got {weights!r}")
    if int(B) < 1:
        raise ValueError("B must be a positive number of bootstrap draws")
    restriction, hypothesis_terms = _restriction_matrix(fit.ols.names, param, joint)
    q = restriction.shape[0]
    r0 = np.broadcast_to(np.asarray(null_value, dtype=float), (q,)).copy()
    hypothesis = _describe(hypothesis_terms, r0)

    engine = _ClusterSpace(fit, restriction)
    draws, enumerated = _weight_draws(weights, fit.n_clusters, int(B), random_state)
    estimate = restriction @ fit.ols.coef
    common = {
        "hypothesis": hypothesis,
        "estimate": estimate,
        "B": draws.n_draws,
        "enumerated": enumerated,
        "weights": weights,
        "impose_null": impose_null,
        "n_clusters": fit.n_clusters,
        "alp": alp,
    }

    if joint:
        statistic, boot = engine.joint_wald(r0, draws, impose_null)
        p_value = float(np.mean(boot >= statistic * (1 - _TIE_TOL)))
        return WildBootstrapResult(
            statistic=statistic,
            p_value=p_value,
            ci_lower=None,
            ci_upper=None,
            bootstrap_statistics=boot,
            **common,
        )

    se = float(np.sqrt(restriction @ fit.vcov @ restriction.T)[0, 0])
    if impose_null:
        curve = engine.restricted_curve(draws)
        t_boot = curve.t_statistics(r0[0])
        ci_lower, ci_upper = curve.invert(float(estimate[0]), se, alp)
    else:
        t_boot = engine.unrestricted_t(draws)
        ci_lower, ci_upper = _percentile_t_interval(float(estimate[0]), se, t_boot, alp)
    statistic = float((estimate[0] - r0[0]) / se)
    p_value = float(np.mean(np.abs(t_boot) >= abs(statistic) * (1 - _TIE_TOL)))
    return WildBootstrapResult(
        statistic=statistic,
        p_value=p_value,
        ci_lower=ci_lower,
        ci_upper=ci_upper,
        bootstrap_statistics=t_boot,
        **common,
    )


def _restriction_matrix(
    names: list[str], param: str | Sequence[str] | Mapping[str, float], joint: bool
) -> tuple[np.ndarray, list[str]]:
    if isinstance(param, str):
        combination = {param: 1.0}
    elif isinstance(param, Mapping):
        combination = dict(param)
    else:
        terms = list(param)
        if len(terms) > 1 and not joint:
            raise ValueError(
                "several coefficients given: pass joint=True for a joint test, or call once "
                "per coefficient"
            )
        if joint:
            _check_names(names, terms)
            matrix = np.zeros((len(terms), len(names)))
            for row, term in enumerate(terms):
                matrix[row, names.index(term)] = 1.0
            return matrix, terms
        combination = {terms[0]: 1.0}
    _check_names(names, list(combination))
    matrix = np.zeros((1, len(names)))
    for term, weight in combination.items():
        matrix[0, names.index(term)] = float(weight)
    label = " + ".join(term if w == 1.0 else f"{w:g}*{term}" for term, w in combination.items())
    return matrix, [label]


def _check_names(names: list[str], wanted: list[str]) -> None:
    unknown = [term for term in wanted if term not in names]
    if unknown:
        raise ValueError(f"unknown coefficient(s) {unknown}; the model has {names}")
    if len(set(wanted)) != len(wanted):
        raise ValueError(f"coefficients repeated in {wanted}")


def _describe(terms: list[str], null: np.ndarray) -> str:
    return ", ".join(f"{term} = {value:g}" for term, value in zip(terms, null, strict=True))


@dataclass(frozen=True)
class _Draws:
    """Cluster weight vectors, produced in blocks of shape (draws, G)."""

    kind: str
    n_clusters: int
    n_draws: int
    enumerate_all: bool
    seed: int | None  # each pass over the blocks replays the same draws

    def blocks(self):
        size = max(1, _BLOCK_FLOATS // max(self.n_clusters, 1))
        rng = np.random.default_rng(self.seed)
        for start in range(0, self.n_draws, size):
            count = min(size, self.n_draws - start)
            if self.enumerate_all:
                yield self._enumerated(start, count)
            elif self.kind == "rademacher":
                yield np.where(rng.random((count, self.n_clusters)) < 0.5, -1.0, 1.0)
            else:
                yield WEBB_VALUES[(rng.random((count, self.n_clusters)) * 6).astype(np.int64)]

    def _enumerated(self, start: int, count: int) -> np.ndarray:
        index = np.arange(start, start + count)[:, None]
        if self.kind == "rademacher":
            bits = (index >> np.arange(self.n_clusters)) & 1
            return 1.0 - 2.0 * bits  # draw 0 is v = 1 everywhere: the sample itself
        digits = (index // 6 ** np.arange(self.n_clusters)) % 6
        return WEBB_VALUES[(digits + 4) % 6]  # digit 0 maps to weight 1


def _weight_draws(
    kind: str, n_clusters: int, B: int, random_state: int | np.random.Generator | None
) -> tuple[_Draws, bool]:
    support = 2 if kind == "rademacher" else 6
    if n_clusters * np.log(support) <= np.log(B):
        return _Draws(kind, n_clusters, support**n_clusters, True, None), True
    seed = int(np.random.default_rng(random_state).integers(2**63))
    return _Draws(kind, n_clusters, B, False, seed), False


@dataclass(frozen=True)
class _RestrictedCurve:
    """t*(r) = (n0 − r n1) / sqrt(ssc (a − 2 r b + r² c)) for every draw, for any null r."""

    n0: np.ndarray
    n1: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    ssc: float

    def t_statistics(self, r: float) -> np.ndarray:
        variance = self.ssc * (self.a - 2 * r * self.b + r * r * self.c)
        return (self.n0 - r * self.n1) / np.sqrt(np.maximum(variance, np.finfo(float).tiny))

    def p_value(self, r: float, estimate: float, se: float) -> float:
        t = abs(estimate - r) / se
        return float(np.mean(np.abs(self.t_statistics(r)) >= t * (1 - _TIE_TOL)))

    def invert(self, estimate: float, se: float, alp: float) -> tuple[float, float]:
        """Bounds of {r : p(r) > alp}, found by bisection on each side of the estimate."""
        bounds = []
        for direction in (-1.0, 1.0):
            inside, step = estimate, se
            outside = None
            while step < 1e6 * se:
                candidate = estimate + direction * step
                if self.p_value(candidate, estimate, se) <= alp:
                    outside = candidate
                    break
                inside, step = candidate, 2 * step
            if outside is None:  # never rejected: with very few clusters the set is unbounded
                bounds.append(direction * np.inf)
                continue
            while abs(outside - inside) > 1e-10 * se:
                middle = 0.5 * (inside + outside)
                if self.p_value(middle, estimate, se) > alp:
                    inside = middle
                else:
                    outside = middle
            bounds.append(0.5 * (inside + outside))
        return bounds[0], bounds[1]


# Dense dummies for fixed effects not nested in the clusters are capped at this many floats.
_MAX_DUMMY_FLOATS = 50_000_000


def _bootstrap_regression(fit: ClusteredFit) -> OLSFit:
    """The regression each bootstrap draw re-estimates, in a form whose scores are exact.

    Projecting a fixed effect out before bootstrapping is exact only if it is nested in the
    clusters: v·ũ is then still orthogonal to it within every cluster. Dimensions that are not
    nested (the time effects when clustering by unit) stay in the bootstrap as dummy columns,
    demeaned by the nested dimensions. They are W-orthogonal to the fully demeaned design, so
    the slope coefficients, residuals and CRV1 of the sample are unchanged.
    """
    fixed_effects = fit.fixed_effects
    nested = [
        is_nested(fixed_effects.codes[:, d], fit.cluster_codes) for d in range(fixed_effects.n_dims)
    ]
    if all(nested):
        return fit.ols
    n = fit.ols.n_obs
    loose = [d for d in range(fixed_effects.n_dims) if not nested[d]]
    n_dummies = sum(fixed_effects.n_levels[d] - 1 for d in loose)
    if n * n_dummies > _MAX_DUMMY_FLOATS:
        raise ValueError(
            f"the wild bootstrap would need {n_dummies} dummy columns for fixed effects not "
            "nested in the clusters; cluster on a variable that nests the unit identifier"
        )
    dummies, names = [], []
    for d in loose:
        levels = np.arange(1, fixed_effects.n_levels[d])  # level 0 is the reference
        dummies.append((fixed_effects.codes[:, d][:, None] == levels).astype(float))
        names += [f"{fixed_effects.names[d]}::{level}" for level in levels]
    kept = [d for d in range(fixed_effects.n_dims) if nested[d]]
    if kept:
        absorbed = FixedEffects(
            fixed_effects.codes[:, kept],
            tuple(fixed_effects.n_levels[d] for d in kept),
            tuple(fixed_effects.names[d] for d in kept),
        )
    else:
        absorbed = FixedEffects(np.zeros((n, 1), dtype=np.int64), (1,), ("(intercept)",))
    extra = demean(np.column_stack(dummies), absorbed, fit.ols.weights)
    design = np.column_stack([fit.ols.X, extra])
    return ols(fit.ols.y, design, fit.ols.names + names, fit.ols.weights)


class _ClusterSpace:
    """Cluster-level pieces of the bootstrap regression for one restriction matrix R (q×k)."""

    def __init__(self, fit: ClusteredFit, restriction: np.ndarray) -> None:
        self.fit = fit
        self.regression = _bootstrap_regression(fit)
        extra_columns = self.regression.X.shape[1] - restriction.shape[1]
        self.R = np.pad(restriction, ((0, 0), (0, extra_columns)))
        self.sample_R = restriction
        regression = self.regression
        w = np.ones(regression.n_obs) if regression.weights is None else regression.weights
        self.Xw = regression.X * w[:, None]
        self.RA = self.R @ regression.bread  # (q, k)
        # P[row] row g = H_g (RA)_row' with H_g = X_g' W_g X_g: the score correction per cluster.
        z = regression.X @ self.RA.T
        self.P = np.stack(
            [
                cluster_sums(self.Xw * z[:, [row]], fit.cluster_codes, fit.n_clusters)
                for row in range(restriction.shape[0])
            ]
        )

    def _pieces(self, residuals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        S = cluster_sums(self.Xw * residuals[:, None], self.fit.cluster_codes, self.fit.n_clusters)
        return S @ self.RA.T, S @ self.regression.bread  # Q (G, q), AS (G, k)

    def _restricted_residuals(self, r: np.ndarray) -> np.ndarray:
        regression = self.regression
        gap = np.linalg.solve(self.R @ regression.bread @ self.R.T, self.R @ regression.coef - r)
        return regression.residuals + regression.X @ (self.RA.T @ gap)

    def _numerator_and_scores(self, V: np.ndarray, Q: np.ndarray, AS: np.ndarray):
        """Bootstrap R(b* − b̃) (draws, q) and R A s*_g per cluster (q, draws, G)."""
        D = V @ AS  # (draws, k): A S v
        C = np.stack([V * Q[:, row] - D @ self.P[row].T for row in range(Q.shape[1])])
        return V @ Q, C

    def unrestricted_t(self, draws: _Draws) -> np.ndarray:
        Q, AS = self._pieces(self.regression.residuals)
        out = []
        for V in draws.blocks():
            numerator, C = self._numerator_and_scores(V, Q, AS)
            out.append(numerator[:, 0] / np.sqrt(self.fit.ssc * (C[0] ** 2).sum(axis=1)))
        return np.concatenate(out)

    def restricted_curve(self, draws: _Draws) -> _RestrictedCurve:
        # ũ(r) = u0 − r u1: the restricted residuals are affine in the null value.
        regression = self.regression
        u1 = regression.X @ self.RA[0] / float((self.R @ regression.bread @ self.R.T)[0, 0])
        u0 = regression.residuals + u1 * float((self.R @ regression.coef)[0])
        Q0, AS0 = self._pieces(u0)
        Q1, AS1 = self._pieces(u1)
        parts = {key: [] for key in ("n0", "n1", "a", "b", "c")}
        for V in draws.blocks():
            n0, C0 = self._numerator_and_scores(V, Q0, AS0)
            n1, C1 = self._numerator_and_scores(V, Q1, AS1)
            parts["n0"].append(n0[:, 0])
            parts["n1"].append(n1[:, 0])
            parts["a"].append((C0[0] ** 2).sum(axis=1))
            parts["b"].append((C0[0] * C1[0]).sum(axis=1))
            parts["c"].append((C1[0] ** 2).sum(axis=1))
        arrays = {key: np.concatenate(values) for key, values in parts.items()}
        return _RestrictedCurve(ssc=self.fit.ssc, **arrays)

    def joint_wald(
        self, r: np.ndarray, draws: _Draws, impose_null: bool
    ) -> tuple[float, np.ndarray]:
        q = self.R.shape[0]
        gap = self.sample_R @ self.fit.ols.coef - r
        sample_vcov = self.sample_R @ self.fit.vcov @ self.sample_R.T
        statistic = float(gap @ np.linalg.solve(sample_vcov, gap)) / q
        residuals = self._restricted_residuals(r) if impose_null else self.regression.residuals
        Q, AS = self._pieces(residuals)
        out = []
        for V in draws.blocks():
            numerator, C = self._numerator_and_scores(V, Q, AS)
            vcov = self.fit.ssc * np.einsum("lbg,mbg->blm", C, C)
            solved = np.linalg.solve(vcov, numerator[:, :, None])[:, :, 0]
            out.append((numerator * solved).sum(axis=1) / q)
        return statistic, np.concatenate(out)


def _percentile_t_interval(
    estimate: float, se: float, t_boot: np.ndarray, alp: float
) -> tuple[float, float]:
    """Symmetric percentile-t CI: the inversion of the symmetric WCU test."""
    ordered = np.sort(np.abs(t_boot))[::-1]
    position = int(np.floor(alp * len(ordered)))
    if position >= len(ordered):
        return -np.inf, np.inf
    critical = ordered[position]
    return estimate - critical * se, estimate + critical * se
