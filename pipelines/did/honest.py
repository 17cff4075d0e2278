"""HonestDiD: how wrong would parallel trends have to be to overturn an event-study result?

Rambachan & Roth (2023, Review of Economic Studies) bound the post-treatment violation of
parallel trends δ_post by what the pre-period coefficients reveal, and report confidence
intervals for θ = l'τ_post that are valid for every violation the bound allows:

- relative magnitudes, Δ^RM(M̄): no post-period change in δ is larger than M̄ times the largest
  pre-period change (M̄ = 1: "no worse than the worst pre-trend"). Intervals are the
  conditional least-favourable hybrid (C-LF) confidence sets of Andrews, Roth & Pakes, as in
  R's `createSensitivityResults_relativeMagnitudes` (see `_honest_arp`). With
  ``bound="linear_trend"`` the bound applies to deviations from a linear trend (Δ^SDRM).
- smoothness, Δ^SD(M): the slope of δ changes by at most M between consecutive periods
  (M = 0: a linear pre-trend continues exactly). Intervals are the optimal fixed-length
  confidence intervals (FLCI), R's default for `createSensitivityResults` (see `_honest_flci`).
  With R's sign restriction (``bias_direction``: the post-period bias is "positive" or
  "negative", Δ^SDPB / Δ^SDNB) or shape restriction (``monotonicity_direction``: δ is
  "increasing" or "decreasing" throughout, Δ^SDI / Δ^SDD) the intervals are R's default for
  those sets, the conditional-FLCI hybrid (C-F, see `_honest/conditional.py`).

The breakdown value is the smallest M (or M̄) at which the robust interval, as R reports it
(the smallest and largest accepted θ of R's grid), contains zero: the effect is significant
for every smaller violation. It is searched continuously in M, not read off `m_values`.
Results reproduce the R package (HonestDiD 0.2.x), including its simulation draws, unless
asked otherwise.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy.stats import norm

from pipelines.did._honest import arp as _honest_arp
from pipelines.did._honest import conditional as _honest_conditional
from pipelines.did._honest import flci as _honest_flci
from pipelines.did._results.base import Result

RELATIVE_MAGNITUDE = "relative_magnitude"
SMOOTHNESS = "smoothness"
_BOUNDS = {
    "parallel_trends": "parallel_trends",
    "deviation from parallel trends": "parallel_trends",
    "linear_trend": "linear_trend",
    "deviation from linear trend": "linear_trend",
}
_BREAKDOWN_PRECISION = 1e-4  # relative width of the final bisection bracket
IDENTIFIED_SET_GRID = "identified_set"


class EventStudyLike(Protocol):
    """What `honest_did_from_result` needs from an estimator's event-study result.

    - ``event_times``: relative event times of the estimates (ints, ascending), e.g.
      ``[-5, ..., -2, 0, ..., 4]``. The reference period (−1 by default) may be absent or
      present; if present its coefficient must be the normalised 0 and is dropped.
    - ``coef``: the estimates, one per event time (array or pandas Series).
    - ``vcov``: their full covariance matrix (array or DataFrame), not just the diagonal: for
      `aggte(type="dynamic")` it comes from the event-time influence functions
      (V = ψ'ψ / n², clustered if the standard errors are), for a TWFE event study it is the
      cluster-robust covariance of the event-time coefficients.

    Optional: ``event_terms`` (labels selecting the event-study block when ``coef``/``vcov``
    cover more regressors, as `TwfeResult` does) and ``ref_period`` (the omitted period).
    Pre-period estimates must share one base period (R `did`: ``base_period="universal"``)
    and event times must be consecutive on each side of the reference period.
    """

    event_times: Sequence[int]
    coef: Any
    vcov: Any


@dataclass(frozen=True)
class HonestDiDResult(Result):
    """Robust confidence intervals for θ = l'τ_post over a grid of M, and the breakdown M."""

    robust: pd.DataFrame
    original_ci: tuple[float, float]
    estimate: float
    se: float
    breakdown_m: float
    method: str
    delta: str
    l_vec: np.ndarray
    alpha: float
    num_pre_periods: int
    num_post_periods: int

    def to_frame(self) -> pd.DataFrame:
        """One row per M: m, lb, ub, method ("C-LF" or "FLCI") and delta (the restriction)."""
        return self.robust.copy()

    def summary(self) -> str:
        """Plain-text table of the sensitivity analysis and its breakdown value."""
        symbol = "Mbar" if self.method == RELATIVE_MAGNITUDE else "M"
        level = f"{100 * (1 - self.alpha):g}%"
        restriction = {
            "DeltaRM": "post-period changes in the trend gap at most Mbar x the largest "
            "pre-period change",
            "DeltaSDRM": "post-period deviations from a linear trend at most Mbar x the largest "
            "pre-period deviation",
            "DeltaSD": "the slope of the trend gap changes by at most M per period",
            "DeltaSDPB": "the slope of the trend gap changes by at most M per period and the "
            "post-period bias is positive",
            "DeltaSDNB": "the slope of the trend gap changes by at most M per period and the "
            "post-period bias is negative",
            "DeltaSDI": "the slope of the trend gap changes by at most M per period and the "
            "trend gap is increasing",
            "DeltaSDD": "the slope of the trend gap changes by at most M per period and the "
            "trend gap is decreasing",
        }[self.delta]
        weights = ", ".join(f"{w:g}" for w in self.l_vec)
        lines = [
            "HonestDiD sensitivity analysis (Rambachan & Roth 2023)",
            f"Parameter: l'tau_post with l = ({weights}); {self.num_pre_periods} pre-periods, "
            f"{self.num_post_periods} post-periods.",
            f"Estimate {self.estimate:.4f} (SE {self.se:.4f}); original {level} CI "
            f"[{self.original_ci[0]:.4f}, {self.original_ci[1]:.4f}].",
            f"Restriction {self.delta}: {restriction}. Intervals: {self.robust['method'].iat[0]}.",
            "",
            f"{symbol:>10}{'lb':>12}{'ub':>12}",
        ]
        for row in self.robust.itertuples(index=False):
            lines.append(f"{row.m:>10.4g}{row.lb:>12.4f}{row.ub:>12.4f}")
        lines.append("")
        lines.append(self._breakdown_sentence(symbol, level))
        return "\n".join(lines)

    def _breakdown_sentence(self, symbol: str, level: str) -> str:
        if np.isnan(self.breakdown_m):
            return "Breakdown value not computed."
        if self.breakdown_m == 0:
            return f"Breakdown: the {level} interval contains 0 even with {symbol} = 0."
        if not np.isfinite(self.breakdown_m):
            return f"Breakdown: the {level} interval excludes 0 for every {symbol} searched."
        return (
            f"Breakdown value: {symbol} = {self.breakdown_m:.4g}. The effect stays significant "
            f"at the {level} level for any violation of parallel trends with {symbol} below it."
        )

    def plot(self):
        """Plotly figure: the original interval and the robust interval at each M."""
        import plotly.graph_objects as go

        symbol = "Mbar" if self.method == RELATIVE_MAGNITUDE else "M"
        frame = self.robust
        step = np.diff(frame["m"]).min() if len(frame) > 1 else 1.0
        x_original = float(frame["m"].min() - step)
        figure = go.Figure()
        figure.add_trace(
            go.Scatter(
                x=[x_original, x_original],
                y=list(self.original_ci),
                mode="lines+markers",
                name="Original",
                line={"color": "#d62728", "width": 4},
            )
        )
        xs, ys = [], []
        for row in frame.itertuples(index=False):
            xs += [row.m, row.m, None]
            ys += [row.lb, row.ub, None]
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=f"{frame['method'].iat[0]} ({self.delta})",
                line={"color": "#1f77b4", "width": 4},
            )
        )
        figure.add_hline(y=0, line_color="black", line_width=1)
        if 0 < self.breakdown_m < np.inf:
            figure.add_vline(
                x=self.breakdown_m,
                line_dash="dot",
                annotation_text=f"breakdown {symbol} = {self.breakdown_m:.3g}",
            )
        level = f"{100 * (1 - self.alpha):g}%"
        figure.update_layout(
            title=f"Sensitivity of the {level} interval to violations of parallel trends",
            xaxis_title=symbol,
            yaxis_title="Robust confidence interval",
            template="plotly_white",
        )
        return figure

    def __str__(self) -> str:
        return self.summary()


def honest_did(
    betahat: Sequence[float] | np.ndarray,
    sigma: np.ndarray,
    num_pre_periods: int,
    num_post_periods: int,
    method: str = RELATIVE_MAGNITUDE,
    m_values: Sequence[float] | None = None,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
    *,
    bound: str = "parallel_trends",
    grid_points: int = 1000,
    grid_bounds: tuple[float, float] | str | None = None,
    seed: int = 0,
    flci_quantile: str = "simulated",
    breakdown: bool | None = None,
    bias_direction: str | None = None,
    monotonicity_direction: str | None = None,
) -> HonestDiDResult:
    """Sensitivity of an event-study estimate to violations of parallel trends.

    `betahat` holds the pre-period coefficients (oldest first, reference period omitted) then
    the post-period ones; `sigma` is their covariance. `method` is "relative_magnitude"
    (Δ^RM(M̄), C-LF intervals; `bound="linear_trend"` for Δ^SDRM) or "smoothness" (Δ^SD(M),
    FLCI). `m_values` defaults as in R: 10 values of M̄ on [0, 2], or 10 values of M from 0
    to the upper confidence bound of the largest pre-period second difference. `l_vec`
    defaults to the first post period.

    Relative-magnitude sets are found by test inversion on `grid_points` values of θ from
    −20 to +20 standard errors of l'β̂_post (R's current default, `grid.lb`/`grid.ub` NA);
    `grid_bounds` fixes the grid instead, or ``grid_bounds="identified_set"`` spans the
    identified set at each M̄ ± 20 standard errors (the grid the HonestDiD README's tables were
    computed on). `seed` seeds the simulations exactly as R's ``seed`` does;
    ``flci_quantile="exact"`` computes the folded-normal quantile analytically instead of from
    R's 10^6 draws (limits then differ from R's by about 0.1% of the half-length).
    `breakdown=False` skips the search for the breakdown value (returned as NaN); by default
    (None) it is searched except under a sign or shape restriction, where each trial M tests
    R's whole θ grid (ask with `breakdown=True`; it takes about a minute).

    `bias_direction` ("positive"/"negative") or `monotonicity_direction`
    ("increasing"/"decreasing") add R's sign or shape restriction to ``method="smoothness"``
    (R's `biasDirection`/`monotonicityDirection` of `createSensitivityResults`); the intervals
    are then R's conditional-FLCI hybrid on its grid of 1,000 θ (`grid_points`/`grid_bounds`
    do not apply). They need at least two post periods.
    """
    beta = np.asarray(betahat, dtype=float).ravel()
    cov = np.asarray(sigma, dtype=float)
    num_pre, num_post = int(num_pre_periods), int(num_post_periods)
    weights = _validated_inputs(beta, cov, num_pre, num_post, l_vec, alpha, method)
    restricted = _validated_restriction(
        bias_direction, monotonicity_direction, method, num_pre, num_post
    )
    post = slice(num_pre, num_pre + num_post)
    estimate = float(weights @ beta[post])
    se = float(np.sqrt(weights @ cov[post, post] @ weights))
    z = norm.ppf(1 - alpha / 2)
    if method == RELATIVE_MAGNITUDE:
        robust, includes_zero, delta = _relative_magnitude(
            beta,
            cov,
            num_pre,
            num_post,
            weights,
            alpha,
            m_values,
            bound=bound,
            grid_points=grid_points,
            grid_bounds=grid_bounds,
            seed=seed,
            se=se,
        )
    else:
        if _BOUNDS.get(bound) != "parallel_trends":
            raise ValueError("bound applies to method='relative_magnitude' only")
        if restricted:
            robust, includes_zero, delta = _restricted_smoothness(
                beta,
                cov,
                num_pre,
                num_post,
                weights,
                alpha,
                m_values,
                seed,
                flci_quantile,
                bias_direction,
                monotonicity_direction,
            )
        else:
            robust, includes_zero, delta = _smoothness(
                beta, cov, num_pre, num_post, weights, alpha, m_values, seed, flci_quantile
            )
    start = float(robust["m"].max()) if robust["m"].max() > 0 else 1.0
    search = (not restricted) if breakdown is None else bool(breakdown)
    # Under a restriction an M far beyond the data's scale says nothing new: stop at 2^10 x.
    doublings = 10 if restricted else 40
    return HonestDiDResult(
        robust=robust,
        original_ci=(estimate - z * se, estimate + z * se),
        estimate=estimate,
        se=se,
        breakdown_m=_breakdown(includes_zero, start, doublings) if search else float("nan"),
        method=method,
        delta=delta,
        l_vec=weights,
        alpha=alpha,
        num_pre_periods=num_pre,
        num_post_periods=num_post,
    )


def honest_did_from_result(
    result: EventStudyLike,
    method: str = RELATIVE_MAGNITUDE,
    m_values: Sequence[float] | None = None,
    *,
    e: int = 0,
    l_vec: Sequence[float] | None = None,
    reference_period: int | None = None,
    **options: Any,
) -> HonestDiDResult:
    """`honest_did` on an event-study result (see `EventStudyLike` for what it must expose).

    The parameter is the effect at event time `e` (0: on impact) unless `l_vec` weights the
    post-period effects. `reference_period` defaults to the result's ``ref_period`` or −1.
    Other keyword arguments (alpha, bound, grid_points, seed, ...) go to `honest_did`.
    """
    settings = getattr(result, "settings", None)
    if isinstance(settings, dict) and settings.get("base_period") == "varying":
        # As R's honest_did: varying-base pre-period estimates are period-to-period changes,
        # not deviations from one reference period, so the restrictions do not apply to them.
        raise ValueError("estimate the event study with base_period='universal' for honest_did")
    times, coef, vcov = _event_study(result)
    if reference_period is None:
        reference_period = getattr(result, "ref_period", None)
    reference = -1 if reference_period is None else int(reference_period)
    at_reference = times == reference
    if at_reference.any():
        if abs(coef[at_reference][0]) > 1e-10:
            raise ValueError(
                f"the estimate at the reference period {reference} should be the normalised 0, "
                f"got {coef[at_reference][0]:g}"
            )
        keep = ~at_reference
        times, coef, vcov = times[keep], coef[keep], vcov[np.ix_(keep, keep)]
    pre, post = times[times < reference], times[times > reference]
    if len(pre) == 0 or len(post) == 0:
        raise ValueError(
            f"need estimates before and after the reference period {reference}; event times "
            f"are {times.tolist()}"
        )
    expected_pre = np.arange(reference - len(pre), reference)
    expected_post = np.arange(reference + 1, reference + 1 + len(post))
    if not (np.array_equal(pre, expected_pre) and np.array_equal(post, expected_post)):
        raise ValueError(
            "honest_did needs consecutive event times on each side of the reference period "
            f"{reference}; got {times.tolist()}"
        )
    if l_vec is None:
        index = int(e) - (reference + 1)
        if not 0 <= index < len(post):
            raise ValueError(f"event time e={e} is not among the post periods {post.tolist()}")
        l_vec = np.eye(len(post))[index]
    return honest_did(coef, vcov, len(pre), len(post), method, m_values, l_vec, **options)


def _event_study(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [name for name in ("event_times", "coef", "vcov") if not hasattr(result, name)]
    if missing:
        raise TypeError(
            f"{type(result).__name__} does not expose {', '.join(missing)}: honest_did_from_result "
            "needs event_times, coef and vcov (see EventStudyLike)"
        )
    coef, vcov = result.coef, result.vcov
    terms = getattr(result, "event_terms", None)
    if terms is not None and isinstance(coef, pd.Series):
        coef = coef.loc[list(terms)]
        vcov = vcov.loc[list(terms), list(terms)] if isinstance(vcov, pd.DataFrame) else vcov
    times = np.asarray(result.event_times, dtype=float)
    coef_array = np.asarray(coef, dtype=float).ravel()
    vcov_array = np.asarray(vcov, dtype=float)
    if coef_array.shape != times.shape or vcov_array.shape != (len(times), len(times)):
        raise ValueError(
            f"{len(times)} event times but {coef_array.size} coefficients and a "
            f"{vcov_array.shape} covariance matrix"
        )
    order = np.argsort(times)
    return times[order], coef_array[order], vcov_array[np.ix_(order, order)]


def _validated_inputs(
    beta: np.ndarray,
    cov: np.ndarray,
    num_pre: int,
    num_post: int,
    l_vec: Sequence[float] | None,
    alpha: float,
    method: str,
) -> np.ndarray:
    if method not in (RELATIVE_MAGNITUDE, SMOOTHNESS):
        raise ValueError(f"method must be {RELATIVE_MAGNITUDE!r} or {SMOOTHNESS!r}, got {method!r}")
    if num_pre < 1 or num_post < 1:
        raise ValueError("need at least one pre-period and one post-period coefficient")
    size = num_pre + num_post
    if beta.shape != (size,) or cov.shape != (size, size):
        raise ValueError(
            f"betahat ({beta.size}) and sigma {cov.shape} must match {num_pre} + {num_post} periods"
        )
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(cov))):
        raise ValueError("betahat and sigma must be finite")
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-14 * np.abs(cov).max()):
        raise ValueError("sigma must be symmetric")
    if np.linalg.eigvalsh(cov).min() < -1e-10 * np.abs(cov).max():
        raise ValueError("sigma must be positive semi-definite")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    weights = np.eye(num_post)[0] if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if weights.shape != (num_post,) or not np.any(weights != 0):
        raise ValueError(f"l_vec must be a non-zero vector of length {num_post}")
    return weights


def _validated_restriction(
    bias_direction: str | None,
    monotonicity_direction: str | None,
    method: str,
    num_pre: int,
    num_post: int,
) -> bool:
    """Whether a sign or shape restriction applies; raises for an invalid one."""
    if bias_direction is None and monotonicity_direction is None:
        return False
    if bias_direction is not None and monotonicity_direction is not None:
        raise ValueError(
            "choose a sign restriction (bias_direction) or a shape restriction "
            "(monotonicity_direction), not both (as R)"
        )
    if bias_direction is not None and bias_direction not in _honest_conditional.BIAS_DIRECTIONS:
        raise ValueError(f"bias_direction must be 'positive' or 'negative', got {bias_direction!r}")
    if (
        monotonicity_direction is not None
        and monotonicity_direction not in _honest_conditional.MONOTONICITY_DIRECTIONS
    ):
        raise ValueError(
            "monotonicity_direction must be 'increasing' or 'decreasing', got "
            f"{monotonicity_direction!r}"
        )
    if method != SMOOTHNESS:
        raise ValueError(
            "bias_direction and monotonicity_direction are implemented for method='smoothness' "
            "(R's createSensitivityResults); R's relative-magnitude variants are not"
        )
    if num_post < 2 or num_pre < 2:
        raise ValueError(
            "sign and shape restrictions need at least two pre-periods and two post-periods "
            "(R's single-post-period test is not implemented)"
        )
    return True


def _m_grid(m_values: Sequence[float] | None, default: np.ndarray) -> np.ndarray:
    grid = default if m_values is None else np.asarray(m_values, dtype=float).ravel()
    if len(grid) == 0 or np.any(grid < 0) or not np.all(np.isfinite(grid)):
        raise ValueError("m_values must be non-negative finite numbers")
    return grid


def _relative_magnitude(
    beta: np.ndarray,
    cov: np.ndarray,
    num_pre: int,
    num_post: int,
    weights: np.ndarray,
    alpha: float,
    m_values: Sequence[float] | None,
    *,
    bound: str,
    grid_points: int,
    grid_bounds: tuple[float, float] | str | None,
    seed: int,
    se: float,
) -> tuple[pd.DataFrame, Callable[[float], bool], str]:
    if bound not in _BOUNDS:
        raise ValueError(f"bound must be 'parallel_trends' or 'linear_trend', got {bound!r}")
    linear_trend = _BOUNDS[bound] == "linear_trend"
    if linear_trend and num_pre < 2:
        raise ValueError("bound='linear_trend' needs at least two pre-periods")
    if grid_points < 2:
        raise ValueError("grid_points must be at least 2")
    kappa = alpha / 10  # R's hybrid_kappa default: size of the least-favourable first stage
    mbars = _m_grid(m_values, np.linspace(0, 2, 10))

    def tests(mbar: float) -> Iterator[_honest_arp.PieceTest]:
        return _honest_arp.piece_tests(
            beta, cov, num_pre, num_post, weights, mbar, linear_trend, kappa, seed
        )

    if isinstance(grid_bounds, str) and grid_bounds != IDENTIFIED_SET_GRID:
        raise ValueError(
            f"grid_bounds must be None, (low, high) or {IDENTIFIED_SET_GRID!r}, got {grid_bounds!r}"
        )

    def theta_grid(mbar: float) -> np.ndarray:
        if grid_bounds is None:
            low, high = -20 * se, 20 * se  # R's current default (grid.lb = grid.ub = NA)
        elif grid_bounds == IDENTIFIED_SET_GRID:
            low, high = _honest_arp.identified_set(
                beta, num_pre, num_post, weights, mbar, linear_trend
            )
            low, high = low - 20 * se, high + 20 * se
        else:
            low, high = map(float, grid_bounds)
        return np.linspace(low, high, int(grid_points))

    def accepted_on_grid(mbar: float) -> tuple[np.ndarray, np.ndarray]:
        theta = theta_grid(mbar)
        accepted = np.zeros(len(theta), dtype=bool)
        for test in tests(mbar):
            accepted |= test.accepts(theta, alpha, kappa)
        return theta, accepted

    rows = []
    for mbar in mbars:
        theta, accepted = accepted_on_grid(mbar)
        low, high = theta[0], theta[-1]
        if accepted.any():
            lb, ub = float(theta[accepted].min()), float(theta[accepted].max())
            if accepted[0] or accepted[-1]:
                warnings.warn(
                    f"the confidence set at Mbar={mbar:g} reaches the end of the theta grid "
                    f"[{low:g}, {high:g}]; widen grid_bounds",
                    stacklevel=3,
                )
        else:
            warnings.warn(
                f"no theta is accepted at Mbar={mbar:g}: the data reject the restriction",
                stacklevel=3,
            )
            lb = ub = float("nan")
        rows.append((float(mbar), lb, ub, "C-LF"))

    def includes_zero(mbar: float) -> bool:
        # As R reports the set: its smallest and largest accepted grid points bracket 0.
        theta, accepted = accepted_on_grid(mbar)
        return bool(accepted.any() and theta[accepted][0] <= 0 <= theta[accepted][-1])

    delta = "DeltaSDRM" if linear_trend else "DeltaRM"
    return _robust_frame(rows, delta), includes_zero, delta


def _smoothness(
    beta: np.ndarray,
    cov: np.ndarray,
    num_pre: int,
    num_post: int,
    weights: np.ndarray,
    alpha: float,
    m_values: Sequence[float] | None,
    seed: int,
    flci_quantile: str,
) -> tuple[pd.DataFrame, Callable[[float], bool], str]:
    quantile = _honest_flci.folded_normal_quantile(flci_quantile, seed)
    problem = _honest_flci.flci_problem(cov, num_pre, num_post, weights)
    ms = _m_grid(m_values, _default_smoothness_grid(beta, cov, num_pre))

    def interval(m: float) -> tuple[float, float]:
        return _honest_flci.optimal_flci(problem, beta, num_pre, weights, m, alpha, quantile)

    rows = []
    for m in ms:
        centre, half = interval(float(m))
        rows.append((float(m), centre - half, centre + half, "FLCI"))

    def includes_zero(m: float) -> bool:
        centre, half = interval(m)
        return abs(centre) <= half

    return _robust_frame(rows, "DeltaSD"), includes_zero, "DeltaSD"


def _restricted_smoothness(
    beta: np.ndarray,
    cov: np.ndarray,
    num_pre: int,
    num_post: int,
    weights: np.ndarray,
    alpha: float,
    m_values: Sequence[float] | None,
    seed: int,
    flci_quantile: str,
    bias_direction: str | None,
    monotonicity_direction: str | None,
) -> tuple[pd.DataFrame, Callable[[float], bool], str]:
    """Δ^SD(M) with a sign or shape restriction: R's conditional-FLCI hybrid (C-F)."""
    quantile = _honest_flci.folded_normal_quantile(flci_quantile, seed)
    ms = _m_grid(m_values, _default_smoothness_grid(beta, cov, num_pre))

    def test(m: float) -> _honest_conditional.ConditionalFlciTest:
        """The C-F test of every theta on the grid at smoothness bound ``m``."""
        return _honest_conditional.conditional_flci_test(
            beta,
            cov,
            num_pre,
            num_post,
            weights,
            m,
            alpha,
            bias_direction,
            monotonicity_direction,
            quantile,
        )

    delta = _honest_conditional.restriction_label(bias_direction, monotonicity_direction)
    rows = []
    for m in ms:
        lb, ub = _honest_conditional.confidence_set(test(float(m)))
        if np.isnan(lb):
            warnings.warn(
                f"no theta is accepted at M={m:g}: the data reject the restriction", stacklevel=3
            )
        rows.append((float(m), lb, ub, "C-F"))

    def includes_zero(m: float) -> bool:
        return _honest_conditional.set_includes_zero(test(m))

    return _robust_frame(rows, delta), includes_zero, delta


def _default_smoothness_grid(beta: np.ndarray, cov: np.ndarray, num_pre: int) -> np.ndarray:
    """R's default M grid: 0 to the 95% upper bound of the largest pre-period 2nd difference."""
    if num_pre == 1:
        return np.linspace(0, np.sqrt(cov[0, 0]), 10)
    second = _honest_arp.difference_rows(num_pre + 1, order=2)[:, :num_pre]  # δ_0 = 0 dropped
    rows = np.vstack([second, -second])
    pre_cov = cov[:num_pre, :num_pre]
    upper = rows @ beta[:num_pre] + norm.ppf(0.95) * np.sqrt(np.diag(rows @ pre_cov @ rows.T))
    return np.linspace(0, upper.max(), 10)


def _robust_frame(rows: list[tuple], delta: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["m", "lb", "ub", "method"])
    frame["delta"] = delta
    return frame


def _breakdown(includes_zero: Callable[[float], bool], start: float, doublings: int) -> float:
    """Smallest M at which the robust interval contains 0, by doubling then bisection."""
    if includes_zero(0.0):
        return 0.0
    low, high = 0.0, start
    for _ in range(doublings):
        if includes_zero(high):
            break
        low, high = high, 2 * high
    else:
        return float("inf")
    while high - low > _BREAKDOWN_PRECISION * high:
        middle = 0.5 * (low + high)
        if includes_zero(middle):
            high = middle
        else:
            low = middle
    return high
