"""Borusyak, Jaravel & Spiess (2024) imputation estimator for staggered adoption.

Step 1 fits unit and time fixed effects (or any other fixed effects, `first_stage`, as R
`did2s` and `didimputation` allow: e.g. state and year) and covariates by least squares on the
untreated observations only, Ω₀ = never-treated and not-yet-treated (t < g); step 2 imputes
Y(0) for every treated observation and takes τ̂_it = Y_it − Ŷ_it(0); step 3 averages the τ̂_it
by event time and overall, with equal weights (or the regression weights) over treated
observations. Treated effects never enter step 1, so no forbidden comparison of late against
early adopters can occur, and the estimator is efficient under homoskedastic errors (Theorem 2).

Every estimand is linear in the outcomes, τ̂_w = Σ v_it Y_it, with v_it = w_it on treated
observations and v₀ = −Ω₀ Z₀ (Z₀'Ω₀Z₀)⁻¹ Z₁' w₁ on untreated ones (Z the step-1 design,
Ω the regression weights). We compute v₀ exactly: the fixed-effect dimension with the most
levels (the units by default) is absorbed (a single dimension, so the within transformation is
exact), which leaves a small system in the dummies of the other dimensions (the time effects by
default) and the covariates (see `_untreated_weights`).

Standard errors are the conservative clustered variance of Theorem 3:
σ̂² = Σ_c (Σ_{it∈c} v_it ε̃_it)², with ε̃ the step-1 residual on untreated observations and
τ̂_it − τ̃_it on treated ones, where τ̃ is the auxiliary "effect constant within cohort × event
time" fit of equation (8), Σ_c a_c b_c / Σ_c a_c² with a_c = Σ v, b_c = Σ v τ̂ over the cell's
observations in cluster c (units by default). The same scores give the covariance between
event times, so HonestDiD can use the event study. A Rademacher multiplier bootstrap of the
cluster scores (`bstrap=True`) gives uniform bands.

Pre-trends follow the paper's Test 1: on untreated observations only, regress Y on the fixed
effects, covariates and indicators of the `pretrends` periods before treatment; the lead
coefficients use CRV1 standard errors (fixest's convention, see `_regression/fixed_effects.py`)
and are tested jointly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from pipelines.did._influence.multiplier import multiplier_bootstrap
from pipelines.did._regression.fixed_effects import (
    ClusteredFit,
    FixedEffects,
    absorb,
    cluster_sums,
    feols,
    ols,
)
from pipelines.did._regression.formula import parse_covariates
from pipelines.did._regression.panel_input import read_panel
from pipelines.did._results.event_study import (
    EVENT_PREFIX,
    EventStudyResult,
    cohort_label,
)

OVERALL_TERM = "ATT"
_COLUMN = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")  # a plain column name, as in xformla


@dataclass(frozen=True)
class PretrendTest:
    """Joint cluster-robust Wald test that every pre-trend lead is zero, referred to F(k, G − 1)."""

    statistic: float  # Wald statistic / k
    df1: int
    df2: int
    pvalue: float


@dataclass(frozen=True)
class ImputationResult(EventStudyResult):
    """Imputation event study and overall ATT with Theorem-3 (or bootstrap) inference.

    `coef`/`vcov` hold the pre-trend leads (if requested), then the horizons, named
    ``event_time::e`` in event-time order, as `TwfeResult` does: HonestDiD can take
    ``result.coef[result.event_terms]`` and ``result.vcov``. `effects` has one row per
    imputed treated observation (unit, period, cohort, event time, τ̂_it).
    """

    coef: pd.Series
    vcov: pd.DataFrame
    event_terms: list[str]
    event_times: list[int]
    n_obs_by_term: pd.Series  # treated observations averaged (post) or carrying the lead (pre)
    overall_att: float
    overall_se: float
    crit_val: float  # critical value of the event-time intervals
    pretrend_test: PretrendTest | None
    effects: pd.DataFrame
    n_obs: int
    n_untreated: int
    n_treated: int
    n_not_imputable: int  # treated observations without an identified Y(0), left out
    n_units: int
    n_clusters: int
    cluster_var: str
    bstrap: bool
    biters: int
    cband: bool
    alp: float
    yname: str
    n_dropped_missing: int
    overall_scores: pd.Series = field(default_factory=lambda: pd.Series(dtype=float), repr=False)
    """The overall ATT's Theorem-3 scores, one per cluster (index: the cluster variable's
    values): its analytic variance is their sum of squares. Fits on the same clusters combine
    through them (the covariance of two overall ATTs is the sum of their scores' products)."""

    @property
    def overall_ci(self) -> tuple[float, float]:
        """Pointwise normal confidence interval of the overall ATT."""
        z = float(stats.norm.ppf(1 - self.alp / 2))
        return self.overall_att - z * self.overall_se, self.overall_att + z * self.overall_se

    def to_frame(self) -> pd.DataFrame:
        """One row per event time: estimate, SE, z, p-value (normal) and CI (see crit_val)."""
        estimate, se = self.coef.to_numpy(), self.se.to_numpy()
        z = estimate / se
        return pd.DataFrame(
            {
                "term": self.event_terms,
                "event_time": self.event_times,
                "estimate": estimate,
                "se": se,
                "t": z,
                "p_value": 2 * stats.norm.sf(np.abs(z)),
                "ci_lower": estimate - self.crit_val * se,
                "ci_upper": estimate + self.crit_val * se,
                "n_obs": self.n_obs_by_term.to_numpy(),
                "n_clusters": self.n_clusters,
            }
        )

    def summary(self) -> str:
        """A plain-text table of the event study, the overall ATT and the pre-trend test."""
        frame = self.to_frame()
        lower, upper = self.overall_ci
        level = round(100 * (1 - self.alp))
        band = "uniform" if (self.bstrap and self.cband) else "pointwise"
        lines = [
            f"Imputation estimator (Borusyak, Jaravel & Spiess 2024), outcome: {self.yname}",
            f"{'term':<20}{'estimate':>11}{'se':>11}{'z':>8}{'p':>8}{f'{level}% CI':>24}{'n':>8}",
        ]
        for row in frame.itertuples(index=False):
            ci = f"[{row.ci_lower:.4f}, {row.ci_upper:.4f}]"
            lines.append(
                f"{row.term:<20}{row.estimate:>11.4f}{row.se:>11.4f}{row.t:>8.2f}"
                f"{row.p_value:>8.3f}{ci:>24}{row.n_obs:>8}"
            )
        overall_p = 2 * stats.norm.sf(abs(self.overall_att / self.overall_se))
        lines.append(
            f"{OVERALL_TERM + ' (all treated)':<20}{self.overall_att:>11.4f}"
            f"{self.overall_se:>11.4f}{self.overall_att / self.overall_se:>8.2f}"
            f"{overall_p:>8.3f}{f'[{lower:.4f}, {upper:.4f}]':>24}{self.n_treated:>8}"
        )
        errors = (
            f"multiplier bootstrap of cluster scores ({self.biters} Rademacher draws)"
            if self.bstrap
            else "conservative clustered variance (Theorem 3, cohort × event-time auxiliary)"
        )
        lines += [
            f"Observations: {self.n_obs} ({self.n_untreated} untreated fit the unit and time "
            f"effects, {self.n_treated} treated imputed)  units: {self.n_units}  "
            f"clusters ({self.cluster_var}): {self.n_clusters}",
            f"Standard errors: {errors}; {band} intervals, critical value {self.crit_val:.3f}.",
        ]
        if self.pretrend_test is not None:
            test = self.pretrend_test
            lines.append(
                f"Pre-trend test (leads on untreated observations, CRV1): F({test.df1}, "
                f"{test.df2}) = {test.statistic:.3f}, p = {test.pvalue:.4f}."
            )
        if self.n_not_imputable:
            lines.append(
                f"Treated observations without an untreated period or comparison unit "
                f"(effect not identified), left out: {self.n_not_imputable}."
            )
        if self.n_dropped_missing:
            lines.append(f"Rows dropped for missing values: {self.n_dropped_missing}.")
        return "\n".join(lines)

    def plot(self, title: str | None = None):
        """Event-study estimates with their intervals as a Plotly figure."""
        return self._figure("Imputation event study", title)


def did_imputation(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    xformla: str | Sequence[str] | None = None,
    horizons: Sequence[int] | None = None,
    pretrends: int | None = None,
    weightsname: str | None = None,
    clustervars: str | Sequence[str] | None = None,
    alp: float = 0.05,
    bstrap: bool = False,
    biters: int = 999,
    cband: bool = False,
    random_state: int | None = None,
    first_stage: str | Sequence[str] | None = None,
) -> ImputationResult:
    """Borusyak–Jaravel–Spiess imputation estimates by event time and overall.

    Parameters mirror R `did` and `twfe`: `gname` is the first treated period (0 or missing =
    never treated; constant within a unit); treated observations are those with
    `tname` ≥ `gname`. `xformla` adds time-varying covariates to step 1. `horizons` lists the
    event times ≥ 0 to report (default: every one observed); the overall ATT always averages
    all imputed treated observations. `pretrends` = k adds the Test-1 lead coefficients for
    event times −k..−1. `weightsname` weights step 1 and the averages. `clustervars` defaults
    to `idname` (see `twfe`). `bstrap=True` replaces the analytic SEs by a multiplier bootstrap
    of the cluster scores with `biters` draws; with `cband=True` the event-time intervals are
    uniform (sup-t) bands.

    `first_stage` sets the fixed effects of step 1 (default: `idname` and `tname`), as R
    `did2s`/`didimputation`'s ``first_stage``: a list of columns, e.g. ``["state", "year"]``,
    or a formula ``"~ 0 | state + year"`` (terms left of the bar are covariates, added to
    `xformla`'s). The Test-1 leads use the same fixed effects.

    Treated observations whose level of some first-stage fixed effect (by default: their unit
    or their period) has no untreated observation have no identified Y(0): they are left out
    and counted (`n_not_imputable`).

    Raises ``ValueError`` for the input errors `twfe` rejects, a negative or unobserved
    horizon, an invalid `pretrends`, no imputable treated observation, or a singular step-1
    design (e.g. a covariate collinear with the fixed effects).
    """
    fixed_effects, stage_covariates = _first_stage(first_stage, idname, tname)
    covariates = list(dict.fromkeys(parse_covariates(xformla) + stage_covariates))
    sample = read_panel(
        data,
        yname,
        tname,
        idname,
        gname,
        covariates,
        clustervars,
        weightsname,
        fixed_effects=fixed_effects,
    )
    sample = replace(sample, panel=sample.panel.reset_index(drop=True))
    panel, covariates = sample.panel, sample.covariates
    group = panel[gname].to_numpy(dtype=float)
    group = np.where(np.isnan(group) | (group <= 0), np.inf, group)
    time = panel[tname].to_numpy(dtype=float)
    treated = time >= group
    weight = np.ones(len(panel)) if weightsname is None else sample.weights()
    cluster_codes = sample.cluster_codes()
    n_clusters = int(cluster_codes.max()) + 1
    if n_clusters < 2:
        raise ValueError("cluster-robust standard errors need at least two clusters")

    untreated = np.flatnonzero(~treated)
    if len(untreated) == 0:
        raise ValueError("no untreated observations to fit the first-stage effects on")
    step1 = _fit_untreated(panel.iloc[untreated], yname, fixed_effects, covariates, weight)

    imputable = treated & step1.can_impute(panel)
    treated_rows = np.flatnonzero(imputable)
    if len(treated_rows) == 0:
        raise ValueError(
            "no treated observation can be imputed: every level of the first-stage fixed "
            f"effects ({', '.join(fixed_effects)}) of a treated observation needs untreated "
            "observations"
        )
    tau = panel[yname].to_numpy(dtype=float)[treated_rows] - step1.predict(panel.iloc[treated_rows])
    event_time = (time[treated_rows] - group[treated_rows]).astype(int)
    horizon_list = _horizons(horizons, event_time)

    # Estimand weights over treated rows: one column per horizon, then the overall ATT.
    w_treated = weight[treated_rows]
    targets = np.column_stack(
        [np.where(event_time == h, w_treated, 0.0) for h in horizon_list] + [w_treated]
    )
    targets /= targets.sum(axis=0)
    estimates = targets.T @ tau

    scores = _theorem3_scores(
        step1,
        panel,
        treated_rows,
        tau,
        targets,
        group,
        event_time,
        weight,
        cluster_codes,
        n_clusters,
    )
    terms = [f"{EVENT_PREFIX}{h}" for h in horizon_list]
    times = list(horizon_list)
    counts = [int((event_time == h).sum()) for h in horizon_list]
    pretrend_test = None
    if pretrends is not None:
        leads = _pretrend_leads(
            panel.iloc[untreated],
            yname,
            tname,
            fixed_effects,
            group[untreated],
            covariates,
            weight[untreated],
            cluster_codes[untreated],
            n_clusters,
            pretrends,
        )
        terms = [f"{EVENT_PREFIX}{e}" for e in leads.times] + terms
        times = leads.times + times
        counts = leads.counts + counts
        estimates = np.concatenate([leads.coef, estimates])
        scores = np.column_stack([leads.scores, scores])
        pretrend_test = leads.test

    n_event = len(terms)
    covariance = scores.T @ scores
    se = np.sqrt(np.diag(covariance))
    crit_val = float(stats.norm.ppf(1 - alp / 2))
    if bstrap:
        se, crit_val = _bootstrap(scores, n_event, biters, alp, cband, random_state, crit_val)
        # Bootstrap variances with the analytic correlations, for joint uses such as HonestDiD.
        scale = se / np.sqrt(np.diag(covariance))
        covariance = covariance * np.outer(scale, scale)

    return ImputationResult(
        coef=pd.Series(estimates[:n_event], index=terms, name="estimate"),
        vcov=pd.DataFrame(covariance[:n_event, :n_event], index=terms, columns=terms),
        event_terms=terms,
        event_times=times,
        n_obs_by_term=pd.Series(counts, index=terms),
        overall_att=float(estimates[n_event]),
        overall_se=float(se[n_event]),
        crit_val=crit_val,
        pretrend_test=pretrend_test,
        effects=pd.DataFrame(
            {
                idname: panel[idname].to_numpy()[treated_rows],
                tname: panel[tname].to_numpy()[treated_rows],
                gname: group[treated_rows],
                "event_time": event_time,
                "tau": tau,
            }
        ),
        n_obs=len(panel),
        n_untreated=len(untreated),
        n_treated=len(treated_rows),
        n_not_imputable=int(treated.sum() - len(treated_rows)),
        n_units=int(panel[idname].nunique()),
        n_clusters=n_clusters,
        cluster_var=sample.cluster_var,
        bstrap=bstrap,
        biters=biters,
        cband=cband,
        alp=alp,
        yname=yname,
        n_dropped_missing=sample.n_dropped_missing,
        overall_scores=pd.Series(
            scores[:, n_event], index=np.sort(panel[sample.cluster_var].unique()), name="score"
        ),
    )


def _first_stage(
    first_stage: str | Sequence[str] | None, idname: str, tname: str
) -> tuple[list[str], list[str]]:
    """(fixed-effect columns, covariates) of a first-stage specification."""
    if first_stage is None:
        return [idname, tname], []
    if isinstance(first_stage, str):
        text = first_stage.strip()
        if not text.startswith("~") or text.count("|") != 1:
            raise ValueError(
                "first_stage must be a list of fixed-effect columns or a formula such as "
                f"'~ 0 | state + year' (covariates left of the bar), got {first_stage!r}"
            )
        left, right = text[1:].split("|")
        terms = [term.strip() for term in left.split("+")]
        covariates = parse_covariates([term for term in terms if term not in ("", "0", "1")])
        names = [term.strip() for term in right.split("+")]
    elif isinstance(first_stage, Sequence):
        names, covariates = list(first_stage), []
    else:
        raise ValueError(
            f"first_stage must be None, a formula or a list of columns, got {type(first_stage)!r}"
        )
    invalid = [name for name in names if not isinstance(name, str) or not _COLUMN.match(name)]
    if not names or invalid:
        raise ValueError(
            "first_stage needs one or more fixed-effect column names (interactions: make the "
            f"interacted column first), got {first_stage!r}"
        )
    return list(dict.fromkeys(names)), covariates


def _dummies(rows: pd.DataFrame, column: str, levels: pd.Index) -> np.ndarray:
    """Indicators of `levels[1:]` (the first level is the baseline) for `rows`."""
    code = levels.get_indexer(rows[column])
    return (code[:, None] == np.arange(1, len(levels))).astype(float)


@dataclass(frozen=True)
class _UntreatedFit:
    """Step 1: one fixed effect absorbed, the other fixed effects' dummies and covariates by
    (weighted) OLS.

    Keeps what the imputation weights need: the design R̃ demeaned within the absorbed
    effect, its weighted means R̄ and weight totals per absorbed level, and the bread
    (R̃'ΩR̃)⁻¹. By default the units are absorbed and R holds time dummies and covariates.
    """

    rows: np.ndarray  # positions of the untreated rows in the panel
    absorbed: str  # the absorbed fixed-effect column
    levels: pd.Index  # its levels with untreated rows, in code order
    dummy_levels: dict[str, pd.Index]  # the other fixed effects: sorted untreated levels
    covariates: list[str]
    coef: np.ndarray  # dummies of each dimension (first level = baseline), then covariates
    level_effect: np.ndarray  # the absorbed effects
    level_code: np.ndarray  # per untreated row
    design_within: np.ndarray  # R̃
    design_level_mean: np.ndarray  # R̄, one row per absorbed level
    level_weight: np.ndarray  # Σ ω over the level's untreated rows
    weights: np.ndarray
    bread: np.ndarray
    residuals: np.ndarray

    def design(self, rows: pd.DataFrame) -> np.ndarray:
        blocks = [_dummies(rows, column, levels) for column, levels in self.dummy_levels.items()]
        values = rows[self.covariates].to_numpy(dtype=float).reshape(len(rows), -1)
        return np.column_stack([*blocks, values])

    def can_impute(self, panel: pd.DataFrame) -> np.ndarray:
        """Rows whose every fixed effect is identified (has untreated observations)."""
        known = panel[self.absorbed].isin(self.levels).to_numpy().copy()
        for column, levels in self.dummy_levels.items():
            known &= panel[column].isin(levels).to_numpy()
        return known

    def level_codes(self, rows: pd.DataFrame) -> np.ndarray:
        return self.levels.get_indexer(rows[self.absorbed])

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Imputed Y(0): the fixed effects plus X'δ̂."""
        return self.level_effect[self.level_codes(rows)] + self.design(rows) @ self.coef


def _fit_untreated(
    rows: pd.DataFrame,
    yname: str,
    fixed_effects: list[str],
    covariates: list[str],
    weight: np.ndarray,
) -> _UntreatedFit:
    # Absorb the dimension with the most levels (the units by default): the others become
    # dummies, whose number sets the size of the dense system.
    n_levels = [rows[column].nunique() for column in fixed_effects]
    absorbed = fixed_effects[int(np.argmax(n_levels))]
    dummy_levels = {
        column: pd.Index(np.sort(rows[column].unique()))
        for column in fixed_effects
        if column != absorbed
    }
    blocks = [_dummies(rows, column, levels) for column, levels in dummy_levels.items()]
    values = rows[covariates].to_numpy(dtype=float).reshape(len(rows), -1)
    design = np.column_stack([*blocks, values])
    names = [
        f"{column}::{cohort_label(level) if np.issubdtype(type(level), np.number) else level}"
        for column, levels in dummy_levels.items()
        for level in levels[1:]
    ] + covariates
    absorbed_fe = FixedEffects.from_frame(rows, [absorbed])
    row_weight = weight[rows.index.to_numpy()]
    y = rows[yname].to_numpy(dtype=float)
    # One fixed-effect dimension: the first sweep is the exact within transformation and the
    # accumulated effects are the weighted level means.
    result = absorb(np.column_stack([y, design]), absorbed_fe, row_weight)
    within, level_mean = result.residual, result.effects[0]
    spread = (design - design.mean(axis=0)) * np.sqrt(row_weight)[:, None]
    fit = ols(within[:, 0], within[:, 1:], names, row_weight, np.linalg.norm(spread, axis=0))
    return _UntreatedFit(
        rows=rows.index.to_numpy(),
        absorbed=absorbed,
        levels=pd.Index(np.sort(rows[absorbed].unique())),
        dummy_levels=dummy_levels,
        covariates=covariates,
        coef=fit.coef,
        level_effect=level_mean[:, 0] - level_mean[:, 1:] @ fit.coef,
        level_code=absorbed_fe.codes[:, 0],
        design_within=within[:, 1:],
        design_level_mean=level_mean[:, 1:],
        level_weight=np.bincount(absorbed_fe.codes[:, 0], weights=row_weight),
        weights=row_weight,
        bread=fit.bread,
        residuals=fit.residuals,
    )


def _untreated_weights(
    step1: _UntreatedFit, treated: pd.DataFrame, targets: np.ndarray
) -> np.ndarray:
    """v₀ = −Ω₀Z₀(Z₀'Ω₀Z₀)⁻¹Z₁'w₁ for each column of `targets`, without forming Z₀.

    With Z = [absorbed dummies D, R] and c = Z₁'w₁ = [c_u; c_R], eliminating the absorbed
    block of the normal equations gives R̃'ΩR̃ b = c_R − R̄'c_u and a_i = c_u,i / n_i − R̄_i b,
    so v₀_it = −ω_it (c_u,i / n_i + R̃_it b).
    """
    level_code = step1.level_codes(treated)
    n_levels, n_targets = len(step1.levels), targets.shape[1]
    level_target = np.zeros((n_levels, n_targets))
    np.add.at(level_target, level_code, targets)
    design_target = step1.design(treated).T @ targets
    b = step1.bread @ (design_target - step1.design_level_mean.T @ level_target)
    per_level = level_target / step1.level_weight[:, None]
    return -step1.weights[:, None] * (per_level[step1.level_code] + step1.design_within @ b)


def _theorem3_scores(
    step1: _UntreatedFit,
    panel: pd.DataFrame,
    treated_rows: np.ndarray,
    tau: np.ndarray,
    targets: np.ndarray,
    group: np.ndarray,
    event_time: np.ndarray,
    weight: np.ndarray,
    cluster_codes: np.ndarray,
    n_clusters: int,
) -> np.ndarray:
    """Σ_{it∈c} v_it ε̃_it per cluster and estimand: the Theorem-3 covariance is scoresᵀscores."""
    treated = panel.iloc[treated_rows]
    v_untreated = _untreated_weights(step1, treated, targets)
    tau_tilde = _auxiliary_effects(
        tau, weight[treated_rows], group[treated_rows], event_time, cluster_codes[treated_rows]
    )
    psi = np.zeros((len(panel), targets.shape[1]))
    psi[step1.rows] = v_untreated * step1.residuals[:, None]
    psi[treated_rows] = targets * (tau - tau_tilde)[:, None]
    return cluster_sums(psi, cluster_codes, n_clusters)


def _auxiliary_effects(
    tau: np.ndarray,
    weight: np.ndarray,
    cohort: np.ndarray,
    event_time: np.ndarray,
    cluster: np.ndarray,
) -> np.ndarray:
    """τ̃_it of equation (8) with cohort × event-time cells, per treated row.

    Every estimand's weights are proportional to the regression weights within a cell, so the
    constant of proportionality cancels and one τ̃ serves all of them.
    """
    cell, _ = pd.factorize(pd.MultiIndex.from_arrays([cohort, event_time]))
    pair, pair_keys = pd.factorize(pd.MultiIndex.from_arrays([cluster, cell]))
    a = np.bincount(pair, weights=weight)
    b = np.bincount(pair, weights=weight * tau)
    pair_cell = pair_keys.get_level_values(1).to_numpy()
    numerator = np.bincount(pair_cell, weights=a * b)
    denominator = np.bincount(pair_cell, weights=a * a)
    return (numerator / denominator)[cell]


class _Leads(NamedTuple):
    times: list[int]
    scores: np.ndarray  # (n_clusters, k), scoresᵀscores = CRV1 covariance
    coef: np.ndarray
    counts: list[int]
    test: PretrendTest


def _pretrend_leads(
    rows: pd.DataFrame,
    yname: str,
    tname: str,
    fixed_effects: list[str],
    group: np.ndarray,
    covariates: list[str],
    weight: np.ndarray,
    cluster: np.ndarray,
    n_clusters: int,
    n_leads: int,
) -> _Leads:
    """Test 1: lead dummies for event times −k..−1 on untreated observations, CRV1.

    The cluster scores are scaled so that scoresᵀscores is the CRV1 covariance with fixest's
    small-sample factor; stacked with the imputation scores they give the cross-covariances.
    """
    if isinstance(n_leads, bool) or not isinstance(n_leads, int | np.integer) or n_leads < 1:
        raise ValueError(f"pretrends must be a positive integer, got {n_leads!r}")
    lead_times = list(range(-n_leads, 0))
    relative = rows[tname].to_numpy(dtype=float) - group
    leads = (relative[:, None] == np.asarray(lead_times, dtype=float)).astype(float)
    counts = leads.sum(axis=0).astype(int).tolist()
    empty = [e for e, n in zip(lead_times, counts, strict=True) if n == 0]
    if empty:
        raise ValueError(
            f"pretrends={n_leads}: no untreated observation at event time(s) {empty}; "
            "ask for fewer leads"
        )
    names = [f"{EVENT_PREFIX}{e}" for e in lead_times] + covariates
    values = rows[covariates].to_numpy(dtype=float).reshape(len(rows), -1)
    local_clusters, local_codes = np.unique(cluster, return_inverse=True)
    fit: ClusteredFit = feols(
        rows[yname].to_numpy(dtype=float),
        np.column_stack([leads, values]),
        names,
        FixedEffects.from_frame(rows, fixed_effects),
        local_codes,
        weight,
    )
    ols_fit = fit.ols
    w = np.ones(ols_fit.n_obs) if ols_fit.weights is None else ols_fit.weights
    raw = cluster_sums(ols_fit.X * (w * ols_fit.residuals)[:, None], local_codes, fit.n_clusters)
    scores = np.zeros((n_clusters, n_leads))
    scores[local_clusters] = np.sqrt(fit.ssc) * (raw @ ols_fit.bread)[:, :n_leads]
    coef = ols_fit.coef[:n_leads]
    wald = float(coef @ np.linalg.solve(fit.vcov[:n_leads, :n_leads], coef)) / n_leads
    test = PretrendTest(wald, n_leads, fit.df_t, float(stats.f.sf(wald, n_leads, fit.df_t)))
    return _Leads(lead_times, scores, coef, counts, test)


def _horizons(horizons: Sequence[int] | None, event_time: np.ndarray) -> list[int]:
    observed = sorted(int(e) for e in np.unique(event_time))
    if horizons is None:
        return observed
    wanted = list(dict.fromkeys(int(h) for h in horizons))
    negative = [h for h in wanted if h < 0]
    if negative:
        raise ValueError(
            f"horizons must be event times >= 0, got {negative}; use pretrends=k for leads"
        )
    missing = [h for h in wanted if h not in observed]
    if missing:
        raise ValueError(
            f"horizon(s) {missing} have no imputed treated observation "
            f"(observed: {observed[0]}..{observed[-1]})"
        )
    return sorted(wanted)


def _bootstrap(
    scores: np.ndarray,
    n_event: int,
    biters: int,
    alp: float,
    cband: bool,
    random_state: int | None,
    crit_val: float,
) -> tuple[np.ndarray, float]:
    """Multiplier-bootstrap SEs of every estimate and, with `cband`, the sup-t critical value."""
    rng = np.random.default_rng(random_state)
    n_clusters = scores.shape[0]
    # One row per cluster, scaled so that the bootstrap's variance is Σ_c score².
    event = multiplier_bootstrap(n_clusters * scores[:, :n_event], None, biters, alp, rng)
    overall = multiplier_bootstrap(n_clusters * scores[:, n_event], None, biters, alp, rng)
    return np.concatenate([event.se, overall.se]), (event.crit_val if cband else crit_val)
