"""Dose-response from partnering intensity: effects by dose group and a dose-response curve.

Does more partnering mean more learning? Two descriptive answers:

- `att_by_dose_group`: treated units are split by dose (e.g. terciles of first-year minutes
  per teacher) and the Callaway–Sant'Anna ATT is estimated for each group against the same
  never-treated comparison units (one `att_gt`/`aggte` run per group).
- `dose_response`: a continuous curve in the spirit of Callaway, Goodman-Bacon & Sant'Anna
  (2024, "Difference-in-differences with a continuous treatment"). For each treated unit the
  long difference ΔY_i (mean outcome over its post-treatment periods, or at one event time,
  minus its outcome in the base period g − 1 − anticipation) is compared with the mean of the
  same difference among never-treated units (the untreated trend). Under parallel trends the
  mean of that excess change among units with dose d is ATT(d|d), fitted here as a low-order
  polynomial in d; its derivative is the average causal response on the treated, ACRT(d|d).

Dose is not randomized: schools that received more partnering differ from those that received
less. Under parallel trends ATT(d|d) is the effect for the schools that got dose d, but
comparing ATT(d|d) across doses (and so the ACRT) mixes the effect of more dose with
differences between those schools (selection bias), unless the much stronger "strong parallel
trends" assumption holds. Results say so in their summaries and figures.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from pipelines.did._group_time.prepare import PreparedData
from pipelines.did._results.base import Result
from pipelines.did.aggte import AggteResult, aggte
from pipelines.did.attgt import att_gt
from pipelines.did.randomization import unit_panel

DESCRIPTIVE_NOTE = (
    "Descriptive of dose: dose was not randomized, so differences across doses mix the effect "
    "of more partnering with differences between the schools that received it."
)
_GROUP_LABELS = {2: ["low", "high"], 3: ["low", "middle", "high"]}


def treated_doses(
    data: pd.DataFrame,
    idname: str,
    tname: str,
    gname: str,
    dose: str | pd.Series,
    anticipation: float = 0,
) -> pd.Series:
    """One dose per treated unit, indexed by id.

    Treated units are those `att_gt` estimates: first treated after the first period (plus
    anticipation) and by the last one. `dose` is a column of `data`, read in the unit's first
    treated period (t = g, its first-year dose), or a Series of doses indexed by id. Treated
    units without a dose are left out with a warning (they are not comparisons either).
    """
    for name in (idname, tname, gname):
        if name not in data.columns:
            raise ValueError(f"columns not found in data: {[name]}")
    cohort = data[gname].fillna(0)
    window = (cohort > data[tname].min() + anticipation) & (
        cohort <= data[tname].max() + anticipation
    )
    treated_rows = data[window]
    treated_ids = pd.Index(treated_rows[idname].unique())
    if isinstance(dose, str):
        if dose not in data.columns:
            raise ValueError(f"dose column {dose!r} not found in data")
        first_year = treated_rows[treated_rows[tname] == treated_rows[gname]]
        values = first_year.groupby(idname)[dose].first()
    elif isinstance(dose, pd.Series):
        if dose.index.has_duplicates:
            raise ValueError("the dose Series must have one value per id (duplicated index)")
        values = dose
    else:
        raise ValueError("dose must be a column name or a pandas Series indexed by id")
    if not pd.api.types.is_numeric_dtype(values):
        raise ValueError(f"doses must be numeric, got {values.dtype}")
    doses = values.reindex(treated_ids).astype(float)
    if np.isinf(doses).any():
        raise ValueError("doses must be finite")
    missing = int(doses.isna().sum())
    if missing:
        warnings.warn(
            f"{missing} treated unit(s) have no dose and are left out",
            UserWarning,
            stacklevel=3,
        )
    doses = doses.dropna()
    if doses.empty:
        raise ValueError("no treated unit has a dose")
    doses.index.name = idname
    return doses.rename("dose")


# --- ATT by dose group -------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseGroupResult(Result):
    """Callaway–Sant'Anna ATT per dose group, each against the same never-treated units."""

    frame: pd.DataFrame = field(repr=False)
    results: dict[str, AggteResult] = field(repr=False)
    aggregation: str
    n_comparison: int
    settings: dict

    def to_frame(self) -> pd.DataFrame:
        """dose_group, dose_min, dose_max, n_schools, att, se, ci_lower, ci_upper."""
        return self.frame.copy()

    def summary(self) -> str:
        """Table of effects by dose group, with the descriptive caveat."""
        lines = [
            f"ATT by dose group (Callaway & Sant'Anna, aggregation: {self.aggregation}), "
            f"outcome {self.settings['yname']}",
            f"Each group's treated schools against the same {self.n_comparison} never-treated "
            "schools.",
            *textwrap.wrap(DESCRIPTIVE_NOTE, 95),
            "",
            f"{'dose group':<12}{'dose range':>22}{'schools':>9}{'ATT':>10}{'SE':>9}{'CI':>24}",
        ]
        for row in self.frame.itertuples(index=False):
            dose_range = f"[{row.dose_min:.4g}, {row.dose_max:.4g}]"
            ci = f"[{row.ci_lower:.4f}, {row.ci_upper:.4f}]"
            lines.append(
                f"{row.dose_group:<12}{dose_range:>22}{row.n_schools:>9}{row.att:>10.4f}"
                f"{row.se:>9.4f}{ci:>24}"
            )
        return "\n".join(lines)

    def plot(self):
        """ATT with its interval per dose group, dose ranges on the axis."""
        import plotly.graph_objects as go

        frame = self.frame
        labels = [
            f"{row.dose_group}<br>[{row.dose_min:.3g}, {row.dose_max:.3g}]<br>n = {row.n_schools}"
            for row in frame.itertuples(index=False)
        ]
        figure = go.Figure()
        figure.add_scatter(
            x=labels,
            y=frame["att"],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": frame["ci_upper"] - frame["att"],
                "arrayminus": frame["att"] - frame["ci_lower"],
            },
            mode="markers",
            marker={"size": 10, "color": "#1f77b4"},
            name="ATT",
        )
        figure.add_hline(y=0, line_color="lightgray")
        figure.update_layout(
            title=f"ATT by dose group ({self.aggregation}): descriptive, dose not randomized",
            xaxis_title="dose group [dose range]",
            yaxis_title=f"ATT on {self.settings['yname']}",
            template="plotly_white",
        )
        _add_caveat(figure)
        return figure

    def __str__(self) -> str:
        return self.summary()


def _add_caveat(figure) -> None:
    figure.add_annotation(
        text=DESCRIPTIVE_NOTE,
        xref="paper",
        yref="paper",
        x=0,
        y=-0.22,
        showarrow=False,
        align="left",
        font={"size": 11, "color": "#555555"},
    )
    figure.update_layout(margin={"b": 120})


def _dose_groups(doses: pd.Series, n_groups: int, bins: Sequence[float] | None) -> pd.Series:
    if bins is not None:
        groups = pd.cut(doses, bins=list(bins), include_lowest=True)
        if groups.isna().any():
            raise ValueError(f"{int(groups.isna().sum())} dose(s) fall outside the given bins")
        return groups.astype(str)
    if int(n_groups) != n_groups or n_groups < 2:
        raise ValueError(f"n_groups must be a whole number of at least 2, got {n_groups!r}")
    labels = _GROUP_LABELS.get(n_groups, [f"Q{k + 1}" for k in range(n_groups)])
    try:
        return pd.qcut(doses, n_groups, labels=labels).astype(str)
    except ValueError as error:
        raise ValueError(
            f"doses cannot be split into {n_groups} quantile groups (too many tied values): "
            "use fewer groups or explicit bins"
        ) from error


def att_by_dose_group(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    dose: str | pd.Series,
    n_groups: int = 3,
    bins: Sequence[float] | None = None,
    aggregation: str = "simple",
    **att_gt_options,
) -> DoseGroupResult:
    """Callaway–Sant'Anna ATT for each dose group of treated units.

    Treated units (with a dose, see `treated_doses`) are split into `n_groups` quantile
    groups of their dose ("low"/"middle"/"high" for terciles) or by explicit `bins` edges.
    Each group is estimated by `att_gt` on its own treated units plus all never-treated
    units (gname 0, missing, or first treated after the last period), then aggregated by
    `aggte(type=aggregation)`; the row reports the overall effect. Other keyword arguments
    (`xformla`, `est_method`, `anticipation`, `weightsname`, `clustervars`, `bstrap`, ...)
    go to `att_gt`; comparisons are always never-treated units, so every group is measured
    against the same schools.
    """
    if att_gt_options.get("control_group", "nevertreated") != "nevertreated":
        raise ValueError("dose groups are compared with never-treated units only")
    att_gt_options.pop("control_group", None)
    anticipation = att_gt_options.get("anticipation", 0)
    doses = treated_doses(data, idname, tname, gname, dose, anticipation)
    groups = _dose_groups(doses, n_groups, bins)
    cohort = data[gname].fillna(0)
    # att_gt counts units first treated after the last period as never treated.
    comparison = (cohort == 0) | (cohort > data[tname].max() + anticipation)
    comparison_ids = data.loc[comparison, idname].unique()
    rows, results = [], {}
    for label in doses.groupby(groups).min().sort_values().index:
        members = groups.index[groups == label]
        subset = data[comparison | data[idname].isin(members)]
        result = aggte(
            att_gt(subset, yname, tname, idname, gname, **att_gt_options), type=aggregation
        )
        lower, upper = result.overall_ci
        rows.append(
            {
                "dose_group": label,
                "dose_min": float(doses[members].min()),
                "dose_max": float(doses[members].max()),
                "n_schools": len(members),
                "att": result.overall_att,
                "se": result.overall_se,
                "ci_lower": lower,
                "ci_upper": upper,
            }
        )
        results[label] = result
    return DoseGroupResult(
        frame=pd.DataFrame(rows),
        results=results,
        aggregation=aggregation,
        n_comparison=len(comparison_ids),
        settings={"yname": yname, "tname": tname, "n_groups": n_groups, "bins": bins},
    )


# --- Continuous dose-response curve ------------------------------------------------------------


@dataclass(frozen=True)
class _Polynomial:
    """A polynomial in the standardized dose u = (d − center) / scale."""

    degree: int
    center: float
    scale: float

    def basis(self, dose: np.ndarray) -> np.ndarray:
        u = (np.asarray(dose, dtype=float) - self.center) / self.scale
        return u[:, None] ** np.arange(self.degree + 1)[None, :]

    def derivative_basis(self, dose: np.ndarray) -> np.ndarray:
        u = (np.asarray(dose, dtype=float) - self.center) / self.scale
        powers = np.arange(self.degree + 1)
        # d/dd u^j = j u^(j-1) / scale; the constant's derivative is zero.
        lowered = np.where(powers > 0, powers - 1, 0)
        return powers[None, :] * u[:, None] ** lowered[None, :] / self.scale


def _loo_squared_errors(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Leave-one-out squared prediction errors of OLS, from the hat matrix."""
    inverse = np.linalg.pinv(x.T @ x)
    leverage = np.einsum("ij,jk,ik->i", x, inverse, x)
    residual = y - x @ (inverse @ (x.T @ y))
    return (residual / (1.0 - leverage)) ** 2


def _choose_degree(
    dose: np.ndarray, effect: np.ndarray, degree: int | str, max_degree: int
) -> tuple[_Polynomial, dict[int, float]]:
    center, scale = float(np.mean(dose)), float(np.std(dose))
    if scale == 0:
        raise ValueError("the dose does not vary among treated units: no dose-response curve")
    distinct = len(np.unique(dose))
    # A degree needs more distinct doses than coefficients and some residual degrees of freedom.
    feasible = [k for k in range(1, max_degree + 1) if k < distinct and k + 3 <= len(dose)]
    if degree != "cv":
        if int(degree) != degree or degree < 1:
            raise ValueError(f"degree must be 'cv' or a positive whole number, got {degree!r}")
        if degree not in feasible:
            raise ValueError(
                f"degree {degree} needs more treated units with distinct doses "
                f"({len(dose)} units, {distinct} distinct doses)"
            )
        return _Polynomial(int(degree), center, scale), {}
    if not feasible:
        raise ValueError(
            f"too few treated units with distinct doses for a curve ({len(dose)} units, "
            f"{distinct} distinct doses)"
        )
    errors = {
        k: _loo_squared_errors(_Polynomial(k, center, scale).basis(dose), effect) for k in feasible
    }
    scores = {k: float(np.mean(e)) for k, e in errors.items()}
    # One-standard-error rule: the lowest degree whose cross-validated error is within one
    # standard error of the best. With a few dozen schools the minimum alone often picks a
    # wiggly curve whose bands (computed for a fixed degree) then under-cover.
    best = min(scores, key=scores.get)
    tolerance = np.std(errors[best], ddof=1) / np.sqrt(len(effect))
    chosen = min(k for k in feasible if scores[k] <= scores[best] + tolerance)
    return _Polynomial(chosen, center, scale), scores


@dataclass(frozen=True)
class _Changes:
    """Per-unit long differences for treated units and the untreated trend they are compared to."""

    dose: np.ndarray  # (treated,)
    change: np.ndarray  # (treated,) ΔY of each treated unit
    cohort_index: np.ndarray  # (treated,) column of `comparison_change` for each unit
    comparison_change: np.ndarray  # (never treated, cohorts) ΔY over each cohort's periods


def _long_differences(
    prepared: PreparedData,
    doses: pd.Series,
    event_time: int | None,
    max_e: int | None,
    anticipation: float,
) -> _Changes:
    periods = prepared.time_periods
    y = prepared.panel.y
    never = np.isinf(prepared.unit_group)
    dose = doses.reindex(prepared.unit_ids).to_numpy()
    columns, cohort_index, treated_rows = [], [], []
    for cohort in prepared.groups:
        base = int(np.flatnonzero(periods + anticipation < cohort)[-1])
        exposure = periods - cohort
        post = exposure >= 0
        if event_time is not None:
            post &= exposure == event_time
        if max_e is not None:
            post &= exposure <= max_e
        rows = np.flatnonzero((prepared.unit_group == cohort) & np.isfinite(dose))
        if not post.any():
            warnings.warn(
                f"cohort {cohort:g} is not observed at the requested event times: left out",
                UserWarning,
                stacklevel=4,
            )
            continue
        change = y[:, post].mean(axis=1) - y[:, base]
        cohort_index.append(np.full(len(rows), len(columns)))
        columns.append(change[never])
        treated_rows.append((rows, change[rows]))
    if not columns:
        raise ValueError("no treated cohort is observed at the requested event times")
    rows = np.concatenate([r for r, _ in treated_rows])
    return _Changes(
        dose=dose[rows],
        change=np.concatenate([c for _, c in treated_rows]),
        cohort_index=np.concatenate(cohort_index),
        comparison_change=np.column_stack(columns),
    )


def _fit(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Weighted least squares for a batch of outcome vectors: (B, n) y and counts → (B, k)."""
    gram = np.einsum("bi,ik,il->bkl", counts, x, x)
    moment = np.einsum("bi,ik,bi->bk", counts, x, y)
    return np.einsum("bkl,bl->bk", np.linalg.pinv(gram), moment)


@dataclass(frozen=True)
class _Band:
    estimate: np.ndarray
    se: np.ndarray
    lower: np.ndarray  # pointwise
    upper: np.ndarray
    band_lower: np.ndarray  # uniform over the grid (sup-t)
    band_upper: np.ndarray
    crit_val: float  # uniform critical value


def _bands(estimate: np.ndarray, draws: np.ndarray, alp: float) -> _Band:
    se = draws.std(axis=0, ddof=1)
    z = stats.norm.ppf(1 - alp / 2)
    varying = se > 0
    t_max = np.max(np.abs(draws[:, varying] - estimate[varying]) / se[varying], axis=1)
    crit = max(float(np.quantile(t_max, 1 - alp)), z)
    return _Band(
        estimate=estimate,
        se=se,
        lower=estimate - z * se,
        upper=estimate + z * se,
        band_lower=estimate - crit * se,
        band_upper=estimate + crit * se,
        crit_val=crit,
    )


def _se_and_ci(estimate: float, se: float, z: float, level: str) -> str:
    return f"(SE {se:.4f}, {level} CI [{estimate - z * se:.4f}, {estimate + z * se:.4f}])"


@dataclass(frozen=True)
class DoseResponseResult(Result):
    """ATT(d|d) and ACRT(d|d) as functions of dose, with bootstrap bands (descriptive)."""

    dose_grid: np.ndarray
    att: _Band = field(repr=False)
    acrt: _Band = field(repr=False)
    overall_att: float  # ATT^o: average of ATT(d|d) over treated units
    overall_att_se: float
    overall_acrt: float  # ACRT^o: average of ACRT(d|d) over treated units' doses
    overall_acrt_se: float
    degree: int
    cv_scores: dict[int, float]
    n_treated: int
    n_comparison: int
    n_boot: int
    alp: float
    unit_dose: np.ndarray = field(repr=False)  # treated units' doses (for the scatter)
    unit_effect: np.ndarray = field(repr=False)  # their ΔY minus the untreated trend
    settings: dict = field(repr=False)
    polynomial: _Polynomial = field(repr=False)
    coef: np.ndarray = field(repr=False)
    coef_draws: np.ndarray = field(repr=False)  # (n_boot, degree + 1)

    def to_frame(self) -> pd.DataFrame:
        """One row per grid dose: ATT(d|d) and ACRT(d|d) with SE, pointwise CI, uniform band."""
        frame = pd.DataFrame({"dose": self.dose_grid})
        for name, band in (("att", self.att), ("acrt", self.acrt)):
            frame[name] = band.estimate
            frame[f"{name}_se"] = band.se
            frame[f"{name}_ci_lower"] = band.lower
            frame[f"{name}_ci_upper"] = band.upper
            frame[f"{name}_band_lower"] = band.band_lower
            frame[f"{name}_band_upper"] = band.band_upper
        return frame

    def predict(self, dose: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """ATT(d|d) and ACRT(d|d) at given doses with bootstrap SEs and pointwise CIs."""
        dose = np.asarray(dose, dtype=float)
        z = stats.norm.ppf(1 - self.alp / 2)
        frame = pd.DataFrame({"dose": dose})
        for name, basis in (
            ("att", self.polynomial.basis(dose)),
            ("acrt", self.polynomial.derivative_basis(dose)),
        ):
            estimate = basis @ self.coef
            se = (self.coef_draws @ basis.T).std(axis=0, ddof=1)
            frame[name] = estimate
            frame[f"{name}_se"] = se
            frame[f"{name}_ci_lower"] = estimate - z * se
            frame[f"{name}_ci_upper"] = estimate + z * se
        return frame

    def summary(self) -> str:
        """Overall ATT and ACRT, the curve at dose quartiles, the choice of degree, caveats."""
        z = stats.norm.ppf(1 - self.alp / 2)
        level = f"{100 * (1 - self.alp):g}%"
        when = (
            f"at event time {self.settings['event_time']}"
            if self.settings["event_time"] is not None
            else "averaged over post-treatment periods"
        )
        choice = (
            f"chosen among {sorted(self.cv_scores)} by leave-one-out cross-validation, "
            "one-standard-error rule"
            if self.cv_scores
            else "given"
        )
        lines = [
            "Dose-response curve (Callaway, Goodman-Bacon & Sant'Anna 2024, continuous treatment)",
            *textwrap.wrap(
                DESCRIPTIVE_NOTE + " ATT(d|d) is the effect for schools that received dose d; "
                "the ACRT (its slope) is causal only under 'strong parallel trends'.",
                95,
            ),
            "",
            *textwrap.wrap(
                f"Outcome {self.settings['yname']}, long differences {when}; {self.n_treated} "
                f"treated units with a dose, {self.n_comparison} never-treated comparisons. "
                f"Curve: polynomial of degree {self.degree} in dose ({choice}); {self.n_boot} "
                "bootstrap resamples of units (treated and comparison).",
                95,
            ),
            "",
            f"Average ATT over treated (ATT^o) = {self.overall_att:.4f} "
            + _se_and_ci(self.overall_att, self.overall_att_se, z, level),
            f"Average slope (ACRT^o) = {self.overall_acrt:.4f} per unit of dose "
            + _se_and_ci(self.overall_acrt, self.overall_acrt_se, z, level),
            "",
            f"{'dose':>10}{'ATT(d|d)':>11}{'SE':>9}{'ACRT(d|d)':>11}{'SE':>9}",
        ]
        quartiles = np.quantile(self.unit_dose, [0.1, 0.25, 0.5, 0.75, 0.9])
        for row in self.predict(quartiles).itertuples(index=False):
            lines.append(
                f"{row.dose:>10.4g}{row.att:>11.4f}{row.att_se:>9.4f}{row.acrt:>11.4f}"
                f"{row.acrt_se:>9.4f}"
            )
        lines.append("(doses at the 10th, 25th, 50th, 75th and 90th percentiles of treated units)")
        return "\n".join(lines)

    def plot(self):
        """ATT(d|d) (with unit points) and ACRT(d|d), each with pointwise and uniform bands."""
        from plotly.subplots import make_subplots

        level = f"{100 * (1 - self.alp):g}%"
        figure = make_subplots(
            rows=2,
            cols=1,
            shared_xaxes=True,
            subplot_titles=[
                "ATT(d|d): effect for schools that received dose d",
                "ACRT(d|d): slope",
            ],
            vertical_spacing=0.1,
        )
        for row, band in ((1, self.att), (2, self.acrt)):
            first = row == 1
            figure.add_scatter(
                x=np.concatenate([self.dose_grid, self.dose_grid[::-1]]),
                y=np.concatenate([band.band_upper, band.band_lower[::-1]]),
                fill="toself",
                fillcolor="rgba(31,119,180,0.15)",
                line={"width": 0},
                name=f"uniform {level} band",
                legendgroup="band",
                showlegend=first,
                row=row,
                col=1,
            )
            for bound in (band.lower, band.upper):
                figure.add_scatter(
                    x=self.dose_grid,
                    y=bound,
                    mode="lines",
                    line={"dash": "dot", "color": "#1f77b4", "width": 1},
                    name=f"pointwise {level} CI",
                    legendgroup="pointwise",
                    showlegend=first and bound is band.lower,
                    row=row,
                    col=1,
                )
            figure.add_scatter(
                x=self.dose_grid,
                y=band.estimate,
                mode="lines",
                line={"color": "#1f77b4", "width": 3},
                name="estimate",
                legendgroup="estimate",
                showlegend=first,
                row=row,
                col=1,
            )
            figure.add_hline(y=0, line_color="lightgray", row=row, col=1)
        figure.add_scatter(
            x=self.unit_dose,
            y=self.unit_effect,
            mode="markers",
            marker={"color": "#7f7f7f", "size": 6, "opacity": 0.6},
            name="treated school: ΔY minus untreated trend",
            row=1,
            col=1,
        )
        figure.update_layout(
            title="Dose-response (descriptive: dose was not randomized)",
            template="plotly_white",
            height=750,
        )
        figure.update_xaxes(title_text="dose", row=2, col=1)
        figure.update_yaxes(title_text=f"ATT on {self.settings['yname']}", row=1, col=1)
        figure.update_yaxes(title_text="per unit of dose", row=2, col=1)
        _add_caveat(figure)
        return figure

    def __str__(self) -> str:
        return self.summary()


def dose_response(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    dose: str | pd.Series,
    event_time: int | None = None,
    max_e: int | None = None,
    anticipation: float = 0,
    degree: int | str = "cv",
    max_degree: int = 3,
    n_grid: int = 50,
    n_boot: int = 999,
    alp: float = 0.05,
    random_state: int | np.random.Generator | None = None,
) -> DoseResponseResult:
    """Continuous dose-response curve ATT(d|d) and its slope ACRT(d|d), with bootstrap bands.

    Each treated unit's long difference (its mean outcome over post-treatment periods, or at
    `event_time` e only, up to `max_e`, minus its outcome in period g − 1 − anticipation)
    minus the mean of the same difference among never-treated units is regressed on a
    polynomial in dose. `degree="cv"` picks the degree in 1..`max_degree` by leave-one-out
    cross-validation with the one-standard-error rule (the lowest degree whose error is within
    one standard error of the minimum); an integer fixes it.
    The sample follows `att_gt`'s rules (balanced panel, never-treated comparisons).

    Inference: `n_boot` nonparametric bootstrap resamples of units, drawn separately among
    treated units and among never-treated units (so the comparison trend is re-estimated too),
    the degree held fixed. Pointwise intervals are estimate ± z·SE; uniform bands over the
    dose grid use the sup-t critical value of the bootstrap curves. `random_state` seeds it.

    The average of ATT(d|d) over treated units (ATT^o) equals the CS "group" aggregation
    without covariates (and, at one event time, the event-study estimate there).
    """
    if n_boot < 2 or int(n_boot) != n_boot:
        raise ValueError(f"n_boot must be a whole number of at least 2, got {n_boot!r}")
    if not 0 < alp < 1:
        raise ValueError(f"alp must be strictly between 0 and 1, got {alp!r}")
    panel = unit_panel(
        data,
        yname=yname,
        tname=tname,
        idname=idname,
        gname=gname,
        control_group="nevertreated",
        anticipation=anticipation,
    )
    doses = treated_doses(data, idname, tname, gname, dose, anticipation)
    changes = _long_differences(panel, doses, event_time, max_e, anticipation)
    n_treated = len(changes.dose)
    n_comparison = changes.comparison_change.shape[0]
    trend = changes.comparison_change.mean(axis=0)
    effect = changes.change - trend[changes.cohort_index]
    polynomial, cv_scores = _choose_degree(changes.dose, effect, degree, max_degree)

    x = polynomial.basis(changes.dose)
    slope_x = polynomial.derivative_basis(changes.dose)
    coef = np.linalg.lstsq(x, effect, rcond=None)[0]

    rng = np.random.default_rng(random_state)
    treated_counts = rng.multinomial(n_treated, np.full(n_treated, 1 / n_treated), size=n_boot)
    comparison_counts = rng.multinomial(
        n_comparison, np.full(n_comparison, 1 / n_comparison), size=n_boot
    )
    trend_draws = comparison_counts @ changes.comparison_change / n_comparison
    effect_draws = changes.change[None, :] - trend_draws[:, changes.cohort_index]
    coef_draws = _fit(x, effect_draws, treated_counts.astype(float))

    grid = np.linspace(changes.dose.min(), changes.dose.max(), n_grid)
    grid_basis = polynomial.basis(grid)
    grid_slope = polynomial.derivative_basis(grid)
    overall_att_draws = (treated_counts * (coef_draws @ x.T)).sum(axis=1) / n_treated
    overall_acrt_draws = (treated_counts * (coef_draws @ slope_x.T)).sum(axis=1) / n_treated
    return DoseResponseResult(
        dose_grid=grid,
        att=_bands(grid_basis @ coef, coef_draws @ grid_basis.T, alp),
        acrt=_bands(grid_slope @ coef, coef_draws @ grid_slope.T, alp),
        overall_att=float(np.mean(x @ coef)),
        overall_att_se=float(overall_att_draws.std(ddof=1)),
        overall_acrt=float(np.mean(slope_x @ coef)),
        overall_acrt_se=float(overall_acrt_draws.std(ddof=1)),
        degree=polynomial.degree,
        cv_scores=cv_scores,
        n_treated=n_treated,
        n_comparison=n_comparison,
        n_boot=int(n_boot),
        alp=alp,
        unit_dose=changes.dose,
        unit_effect=effect,
        settings={
            "yname": yname,
            "tname": tname,
            "event_time": event_time,
            "max_e": max_e,
            "anticipation": anticipation,
        },
        polynomial=polynomial,
        coef=coef,
        coef_draws=coef_draws,
    )
