"""The base of group-time results and their aggregations, their estimate table, text summaries
and Plotly figures.

Plotly is imported inside the figure functions so that importing the library stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipelines.did._influence.analytic import vcov
from pipelines.did._results.base import Result

if TYPE_CHECKING:
    from pipelines.did.aggte import AggteResult
    from pipelines.did.attgt import AttGtResult

_METHODS = {"dr": "doubly robust", "ipw": "inverse probability weighting", "reg": "regression"}
_COMPARISONS = {"nevertreated": "never treated", "notyettreated": "not yet treated"}
_AGGREGATIONS = {
    "simple": "Overall ATT (post-treatment cells weighted by cohort size)",
    "dynamic": "Event study: ATT by length of exposure",
    "group": "ATT by cohort (first treated period)",
    "calendar": "ATT by calendar period",
}
_PRE_COLOR = "#7f7f7f"
_POST_COLOR = "#1f77b4"


class GroupTimeResult(Result):
    """What `AttGtResult` and `AggteResult` share.

    A subclass holds estimates `att` with standard errors `se` and critical values `crit_val`
    (the intervals are att +/- crit_val * se, estimate by estimate), their influence functions
    `influence_function` (n_units x estimates, scaled as in R `did`) and the unit clusters
    `cluster` (None: units are the clusters), and names the period columns keying its
    estimates in `_key_columns`.
    """

    @property
    def ci_lower(self) -> np.ndarray:
        return self.att - self.crit_val * self.se

    @property
    def ci_upper(self) -> np.ndarray:
        return self.att + self.crit_val * self.se

    @cached_property
    def vcov(self) -> np.ndarray:
        """Large-sample covariance of the estimates from their influence functions (R's V / n)."""
        return vcov(self.influence_function, self.cluster)

    def _key_columns(self) -> dict[str, np.ndarray]:
        """The period columns (group, time, event_time) that key each estimate."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """One row per estimate: its key columns, att, se, ci_lower, ci_upper."""
        return estimate_frame(self._key_columns(), self.att, self.se, self.ci_lower, self.ci_upper)

    def __str__(self) -> str:
        return self.summary()


def periods_column(values: np.ndarray) -> np.ndarray:
    """Periods as integers when they are whole numbers (years), as floats otherwise."""
    if len(values) and np.isfinite(values).all() and (values == np.round(values)).all():
        return values.astype(np.int64)
    return values


def estimate_frame(
    keys: dict[str, np.ndarray],
    att: np.ndarray,
    se: np.ndarray,
    ci_lower: np.ndarray,
    ci_upper: np.ndarray,
) -> pd.DataFrame:
    """The estimate table of att_gt and aggte: key period columns, att, se and interval."""
    columns = {name: periods_column(values) for name, values in keys.items()}
    return pd.DataFrame(
        {**columns, "att": att, "se": se, "ci_lower": ci_lower, "ci_upper": ci_upper}
    )


def _number(value: float, width: int = 9) -> str:
    return f"{'NA':>{width}}" if not np.isfinite(value) else f"{value:>{width}.4f}"


def _interval_label(inference, crit_val: np.ndarray) -> str:
    level = f"{100 * (1 - inference.alp):g}%"
    errors = f"multiplier bootstrap ({inference.biters} draws)" if inference.bstrap else "analytic"
    kind = "uniform" if inference.cband else "pointwise"
    finite = crit_val[np.isfinite(crit_val)]
    spread = (
        f"{finite.min():.3f}"
        if len(finite) and np.ptp(finite) < 5e-4
        else f"{finite.min():.3f} to {finite.max():.3f}"
        if len(finite)
        else "NA"
    )
    if inference.small_sample:
        correction = "small-sample corrected (cohort-stratified, Welch t)"
    else:
        correction = "large-sample (as R did)"
    return (
        f"Standard errors: {errors}, {correction}.\n"
        f"Intervals: {kind} {level}, critical value {spread}."
    )


def _covariates_text(xformla: object) -> str:
    """``xformla`` as the summary prints it, one list per cohort when given by cohort."""
    if isinstance(xformla, Mapping):
        return "Covariates by cohort: " + "; ".join(
            f"{group:g}: {_formula_text(columns)}" for group, columns in sorted(xformla.items())
        )
    return f"Covariates: {_formula_text(xformla)}"


def _formula_text(xformla: object) -> str:
    if not xformla:
        return "none"
    return xformla if isinstance(xformla, str) else " + ".join(xformla)


def _settings_lines(settings: dict, n_units: int | None, clustered: bool) -> list[str]:
    covariates = _covariates_text(settings.get("xformla"))
    lines = [
        f"Outcome: {settings['yname']}."
        + (f" Units: {n_units}." if n_units is not None else "")
        + f" Comparison group: {_COMPARISONS[settings['control_group']]}."
        + f" Method: {_METHODS[settings['est_method']]}.",
        f"Base period: {settings['base_period']}. Anticipation: {settings['anticipation']:g}."
        f" {covariates}. Data: {'panel' if settings['panel'] else 'cross-sections'}."
        + (" SEs clustered." if clustered else ""),
    ]
    return lines


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return lines


def attgt_summary(result: AttGtResult) -> str:
    lines = ["Group-time average treatment effects, ATT(g,t) (Callaway & Sant'Anna 2021)"]
    lines += _settings_lines(result.settings, result.n_units, result.cluster is not None)
    lines.append(_interval_label(result.inference, result.crit_val))
    lines.append("")
    rows = [
        [f"{g:g}", f"{t:g}", _number(a), _number(s), _number(lo), _number(hi)]
        for g, t, a, s, lo, hi in zip(
            result.group,
            result.time,
            result.att,
            result.se,
            result.ci_lower,
            result.ci_upper,
            strict=True,
        )
    ]
    lines += _table(["group", "time", "ATT", "SE", "CI lower", "CI upper"], rows)
    lines.append("")
    if len(result.small_groups):
        cohorts = ", ".join(f"cohort {g:g}" for g in result.small_groups)
        lines.append(
            f"No interval for {cohorts}: fewer than two treated units, so the cohort's own "
            "variance cannot be estimated (aggregations leave it out)."
        )
    if result.pretest_df and np.isfinite(result.pretest_denominator_df):
        lines.append(
            "Pre-test of parallel trends (all pre-treatment ATT(g,t) = 0, small-sample): "
            f"F({result.pretest_df}, {result.pretest_denominator_df:.1f}) = "
            f"{result.pretest_stat / result.pretest_df:.3f}, p = {result.pretest_pvalue:.4f}"
        )
    elif result.pretest_df:
        lines.append(
            "Pre-test of parallel trends (all pre-treatment ATT(g,t) = 0): "
            f"chi2({result.pretest_df}) = {result.pretest_stat:.3f}, "
            f"p = {result.pretest_pvalue:.4f}"
        )
    else:
        lines.append("Pre-test of parallel trends: not available (no usable pre-treatment cells)")
    return "\n".join(lines)


def aggte_summary(result: AggteResult) -> str:
    lines = [_AGGREGATIONS[result.type] + " (Callaway & Sant'Anna 2021)"]
    lines += _settings_lines(result.settings, None, result.settings.get("clustered", False))
    lines.append("")
    lower, upper = result.overall_ci
    label = "Average over post-treatment event times" if result.type == "dynamic" else "Overall"
    level = f"{100 * (1 - result.inference.alp):g}%"
    lines.append(
        f"{label}: ATT = {_number(result.overall_att, 0)}, SE = {_number(result.overall_se, 0)}, "
        f"{level} CI [{_number(lower, 0)}, {_number(upper, 0)}]"
    )
    if len(result.excluded_groups):
        cohorts = ", ".join(f"{g:g}" for g in result.excluded_groups)
        lines.append(
            f"Left out: cohort {cohorts} (fewer than two treated units: no valid interval)."
        )
    if result.type != "simple":
        lines.append("")
        lines.append(_interval_label(result.inference, result.crit_val))
        key = {"dynamic": "event time", "group": "group", "calendar": "time"}[result.type]
        rows = [
            [f"{k:g}", _number(a), _number(s), _number(lo), _number(hi)]
            for k, a, s, lo, hi in zip(
                result.keys, result.att, result.se, result.ci_lower, result.ci_upper, strict=True
            )
        ]
        lines += _table([key, "ATT", "SE", "CI lower", "CI upper"], rows)
    return "\n".join(lines)


def _error_bars(att: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": np.nan_to_num(upper - att),
        "arrayminus": np.nan_to_num(att - lower),
    }


def attgt_figure(result: AttGtResult):
    from plotly.subplots import make_subplots

    groups = np.unique(result.group)
    figure = make_subplots(
        rows=len(groups),
        cols=1,
        shared_xaxes=True,
        subplot_titles=[f"Cohort first treated in {g:g}" for g in groups],
        vertical_spacing=min(0.08, 0.3 / max(len(groups), 1)),
    )
    for row, group in enumerate(groups, start=1):
        mine = result.group == group
        for post, name, color in (
            (False, "pre-treatment", _PRE_COLOR),
            (True, "post", _POST_COLOR),
        ):
            cells = mine & ((result.time >= group) == post)
            figure.add_scatter(
                x=result.time[cells],
                y=result.att[cells],
                error_y=_error_bars(
                    result.att[cells], result.ci_lower[cells], result.ci_upper[cells]
                ),
                mode="markers",
                marker={"color": color, "size": 8},
                name=name,
                legendgroup=name,
                showlegend=row == 1,
                row=row,
                col=1,
            )
        figure.add_vline(x=group - 0.5, line_dash="dash", line_color="black", row=row, col=1)
        figure.add_hline(y=0, line_color="lightgray", row=row, col=1)
    kind = "uniform" if result.inference.cband else "pointwise"
    figure.update_layout(
        title=f"ATT(g,t) by cohort with {kind} {100 * (1 - result.inference.alp):g}% intervals "
        "(dashed line: treatment starts)",
        height=250 * len(groups) + 120,
        template="plotly_white",
    )
    figure.update_xaxes(title_text=result.settings.get("tname", "period"), row=len(groups), col=1)
    return figure


def aggte_figure(result: AggteResult):
    import plotly.graph_objects as go

    figure = go.Figure()
    kind = "uniform" if result.inference.cband else "pointwise"
    level = f"{100 * (1 - result.inference.alp):g}%"
    if result.type == "simple":
        lower, upper = result.overall_ci
        figure.add_scatter(
            x=["overall"],
            y=[result.overall_att],
            error_y=_error_bars(
                np.array([result.overall_att]), np.array([lower]), np.array([upper])
            ),
            mode="markers",
            marker={"color": _POST_COLOR, "size": 10},
            name="overall ATT",
        )
        figure.update_layout(title=f"Overall ATT with {level} interval", template="plotly_white")
        return figure
    post = result.keys >= 0 if result.type == "dynamic" else np.ones(len(result.keys), bool)
    for is_post, name, color in ((False, "pre-treatment", _PRE_COLOR), (True, "post", _POST_COLOR)):
        shown = post == is_post
        if not shown.any():
            continue
        figure.add_scatter(
            x=result.keys[shown],
            y=result.att[shown],
            error_y=_error_bars(result.att[shown], result.ci_lower[shown], result.ci_upper[shown]),
            mode="markers+lines" if result.type == "dynamic" else "markers",
            marker={"color": color, "size": 9},
            line={"color": color},
            name=name,
        )
    figure.add_hline(y=0, line_color="lightgray")
    if result.type == "dynamic":
        _mark_reference(figure, result)
        x_title = "event time (periods since treatment)"
    else:
        figure.add_hline(
            y=result.overall_att,
            line_dash="dot",
            line_color=_POST_COLOR,
            annotation_text=f"overall {result.overall_att:.3f}",
        )
        x_title = "cohort (first treated period)" if result.type == "group" else "period"
    figure.update_layout(
        title=f"{_AGGREGATIONS[result.type]}, {kind} {level} intervals",
        xaxis_title=x_title,
        yaxis_title="ATT",
        template="plotly_white",
    )
    return figure


def _mark_reference(figure, result: AggteResult) -> None:
    """Treatment onset, and the reference period the event-study estimates are relative to."""
    anticipation = float(result.settings.get("anticipation", 0))
    onset = -anticipation - 0.5
    figure.add_vline(x=onset, line_dash="dash", line_color="black")
    reference = -1.0 - anticipation
    if result.settings.get("base_period") == "universal":
        text = f"reference period e = {reference:g} (estimates are relative to it)"
    else:
        text = (
            f"reference: e = {reference:g} for post-treatment effects; "
            "each pre-treatment estimate compares a period with the one before"
        )
    figure.add_scatter(
        x=[reference],
        y=[0.0],
        mode="markers",
        marker={"symbol": "diamond-open", "size": 14, "color": "black"},
        name="reference period",
        hovertext=[text],
    )
    figure.add_annotation(x=reference, y=0, text=text, showarrow=True, arrowhead=2, ay=-40)
