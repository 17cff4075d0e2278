"""Baseline equivalence of partnered and comparison schools, in What Works Clearinghouse terms.

Partnered schools were chosen because they were low-performing, so the comparison group is
unlikely to look like them before the program. WWC asks for the baseline difference on each
pre-program outcome and key covariate as an effect size, classified as: |g| ≤ 0.05 satisfied,
0.05 < |g| ≤ 0.25 requires statistical adjustment (the impact model must control for it),
|g| > 0.25 not satisfied. The table and the Love plot show that plainly.

Each unit's baseline value is its mean over the pre-program rows (e.g. its mean z-score over
the years before the first cohort); units are then compared as two groups with Hedges' g
(pooled within-group SD, small-sample correction ω = 1 − 3/(4N − 9); `effect_size.hedges_g`).
Variables that are 0/1 for every unit use the Cox index, WWC's effect size for dichotomous
measures: ω · (logit p_treated − logit p_comparison) / 1.65.

For cluster-level comparisons of student outcomes WWC expresses g in student-level SD units;
school-mean z-scores vary much less than students do, so `sd={"z_pre": 1.0}` divides by the
student SD (one, for z-scores) instead of the SD between school means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.did._results.base import Result
from pipelines.did.effect_size import (
    EQUIVALENCE_ADJUSTMENT,
    EQUIVALENCE_SATISFIED,
    classify_baseline_equivalence,
    hedges_g,
    hedges_g_from_att,
    small_sample_correction,
)

# WWC's Cox index divides the log odds ratio by 1.65 to put it on the SD scale.
COX_SCALE = 1.65
_COLORS = {
    "satisfied": "#2ca02c",
    "requires adjustment": "#ff7f0e",
    "not satisfied": "#d62728",
    "unknown": "#7f7f7f",
}


@dataclass(frozen=True)
class BalanceResult(Result):
    """Baseline differences per variable with their WWC classification."""

    frame: pd.DataFrame = field(repr=False)
    baseline_periods: list | None
    n_treated_units: int
    n_comparison_units: int

    def to_frame(self) -> pd.DataFrame:
        """variable, mean_treated, mean_comparison, sd_pooled, n_treated, n_comparison,
        hedges_g, classification, method."""
        return self.frame.copy()

    def summary(self) -> str:
        """The table with the WWC thresholds spelled out."""
        periods = (
            f"baseline periods {', '.join(str(p) for p in self.baseline_periods)}"
            if self.baseline_periods is not None
            else "all rows as baseline"
        )
        lines = [
            "Baseline equivalence (What Works Clearinghouse)",
            f"{self.n_treated_units} treated and {self.n_comparison_units} comparison units; "
            f"{periods}.",
            f"|g| <= {EQUIVALENCE_SATISFIED}: satisfied; {EQUIVALENCE_SATISFIED} < |g| <= "
            f"{EQUIVALENCE_ADJUSTMENT}: requires adjustment; > {EQUIVALENCE_ADJUSTMENT}: not "
            "satisfied.",
            "",
            f"{'variable':<24}{'treated':>10}{'comparison':>12}{'SD':>9}{'n_t':>6}{'n_c':>7}"
            f"{'g':>9}  classification",
        ]
        for row in self.frame.itertuples(index=False):
            lines.append(
                f"{row.variable:<24}{row.mean_treated:>10.4f}{row.mean_comparison:>12.4f}"
                f"{row.sd_pooled:>9.4f}{row.n_treated:>6}{row.n_comparison:>7}"
                f"{row.hedges_g:>9.3f}  {row.classification}"
                + ("" if row.method == "hedges_g" else f" ({row.method})")
            )
        return "\n".join(lines)

    def plot(self):
        """Love plot: |g| per variable, with the 0.05 and 0.25 WWC thresholds marked."""
        import plotly.graph_objects as go

        frame = self.frame.iloc[::-1]
        size = frame["hedges_g"].abs()
        figure = go.Figure()
        for label, color in _COLORS.items():
            shown = frame["classification"] == label
            if not shown.any():
                continue
            figure.add_scatter(
                x=size[shown],
                y=frame.loc[shown, "variable"],
                mode="markers",
                marker={"color": color, "size": 12},
                name=label,
                customdata=frame.loc[shown, "hedges_g"],
                hovertemplate="%{y}: g = %{customdata:.3f}<extra></extra>",
            )
        top = max(0.3, float(np.nanmax(size)) * 1.1) if size.notna().any() else 0.3
        figure.add_vrect(x0=0, x1=EQUIVALENCE_SATISFIED, fillcolor="#2ca02c", opacity=0.08)
        figure.add_vrect(
            x0=EQUIVALENCE_SATISFIED, x1=EQUIVALENCE_ADJUSTMENT, fillcolor="#ff7f0e", opacity=0.08
        )
        figure.add_vrect(x0=EQUIVALENCE_ADJUSTMENT, x1=top, fillcolor="#d62728", opacity=0.08)
        for threshold in (EQUIVALENCE_SATISFIED, EQUIVALENCE_ADJUSTMENT):
            figure.add_vline(
                x=threshold,
                line_dash="dash",
                line_color="black",
                annotation_text=f"{threshold:g}",
            )
        figure.update_layout(
            title="Baseline equivalence (WWC): |Hedges' g| between treated and comparison units",
            xaxis={"title": "|g| (SD units)", "range": [0, top]},
            yaxis_title="",
            template="plotly_white",
            showlegend=True,
            legend_title_text="WWC classification",
            height=max(300, 60 * len(frame) + 150),
        )
        return figure

    def __str__(self) -> str:
        return self.summary()


def _treated_flags(
    data: pd.DataFrame, idname: str, gname: str | None, group_col: str | None
) -> pd.Series:
    """Whether each row's unit is treated: gname > 0 (0/missing = comparison) or group_col."""
    if (gname is None) == (group_col is None):
        raise ValueError("give exactly one of gname (first treated period) or group_col (0/1)")
    column = gname if gname is not None else group_col
    if column not in data.columns:
        raise ValueError(f"columns not found in data: {[column]}")
    values = data[column]
    if gname is not None:
        flags = values.fillna(0) > 0
    else:
        # 0 and 1 compare equal to False and True, so the check covers booleans too.
        if values.isna().any() or not set(pd.unique(values)) <= {0, 1}:
            raise ValueError(f"group_col {group_col!r} must be 0/1 or boolean without missing")
        flags = values.astype(bool)
    if flags.groupby(data[idname]).nunique().gt(1).any():
        raise ValueError(f"{column!r} changes within a unit: treatment status must be fixed")
    return flags


def _baseline_rows(
    data: pd.DataFrame,
    tname: str | None,
    pre_periods: Sequence | None,
    gname: str | None,
    treated: pd.Series,
) -> tuple[pd.Series, list | None]:
    if tname is None:
        if pre_periods is not None:
            raise ValueError("pre_periods needs tname")
        return pd.Series(True, index=data.index), None
    if tname not in data.columns:
        raise ValueError(f"columns not found in data: {[tname]}")
    if pre_periods is None:
        if gname is None:
            raise ValueError("with group_col, give pre_periods (the baseline periods)")
        first_cohort = data.loc[treated, gname].min()
        periods = sorted(p for p in data[tname].unique() if p < first_cohort)
    else:
        periods = sorted(pre_periods)
    rows = data[tname].isin(periods)
    if not rows.any():
        raise ValueError("no rows fall in the baseline periods")
    return rows, periods


def _weighted_moments(values: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Weighted mean and SD; the SD uses reliability weights, so equal weights give ddof=1."""
    total = weights.sum()
    mean = float(np.sum(weights * values) / total)
    denominator = total - np.sum(weights**2) / total
    variance = np.sum(weights * (values - mean) ** 2) / denominator if denominator > 0 else np.nan
    return mean, float(np.sqrt(variance))


def _cox_index(p_treated: float, p_comparison: float, n_treated: int, n_comparison: int) -> float:
    if not (0 < p_treated < 1 and 0 < p_comparison < 1):
        return float("nan")  # a group with all 0 or all 1 has no finite log odds
    log_odds = np.log(p_treated / (1 - p_treated)) - np.log(p_comparison / (1 - p_comparison))
    return float(small_sample_correction(n_treated, n_comparison) * log_odds / COX_SCALE)


def baseline_equivalence(
    data: pd.DataFrame,
    idname: str,
    variables: Sequence[str],
    gname: str | None = None,
    group_col: str | None = None,
    tname: str | None = None,
    pre_periods: Sequence | None = None,
    weights: str | None = None,
    sd: Mapping[str, float] | None = None,
) -> BalanceResult:
    """WWC baseline equivalence of treated and comparison units on each variable.

    Groups come from `gname` (first treated period; 0 or missing = comparison) or a 0/1
    `group_col`, fixed within a unit. With `tname`, baseline rows are the `pre_periods`
    (default with `gname`: every period before the first cohort); without it every row is
    baseline. A unit's baseline value is its (`weights`-weighted) mean over its non-missing
    baseline rows; groups are then compared across units (a unit weighs the sum of its rows'
    `weights`, or one), with Hedges' g on the pooled within-group SD — or the SD given in
    `sd[variable]`, e.g. 1.0 for student z-scores — and the Cox index for 0/1 variables.
    `n_treated`/`n_comparison` count units.
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    sd = dict(sd or {})
    needed = [idname, *variables, *([weights] if weights else [])]
    missing = [name for name in dict.fromkeys(needed) if name not in data.columns]
    if missing:
        raise ValueError(f"columns not found in data: {missing}")
    unknown = [name for name in sd if name not in variables]
    if unknown:
        raise ValueError(f"sd given for variables not compared: {unknown}")
    for name in variables:
        if not pd.api.types.is_numeric_dtype(data[name]) and not pd.api.types.is_bool_dtype(
            data[name]
        ):
            raise ValueError(f"variable {name!r} must be numeric, got {data[name].dtype}")
    treated = _treated_flags(data, idname, gname, group_col)
    rows, periods = _baseline_rows(data, tname, pre_periods, gname, treated)
    row_weight = (
        pd.Series(1.0, index=data.index) if weights is None else data[weights].astype(float)
    )
    if (row_weight < 0).any() or row_weight.isna().any():
        raise ValueError(f"weights {weights!r} must be non-negative and not missing")

    baseline = data.loc[rows]
    unit_treated = treated[rows].groupby(baseline[idname]).first()
    records = []
    for name in variables:
        values = baseline[name].astype(float)
        present = values.notna()
        w = row_weight[rows][present]
        units = baseline.loc[present, idname]
        unit_weight = w.groupby(units).sum()
        unit_value = (values[present] * w).groupby(units).sum() / unit_weight
        flag = unit_treated.loc[unit_value.index].to_numpy()
        groups = {}
        for label, member in (("treated", flag), ("comparison", ~flag)):
            x, wx = unit_value.to_numpy()[member], unit_weight.to_numpy()[member]
            if len(x) < 2:
                raise ValueError(f"{label} group has fewer than 2 units with {name!r} at baseline")
            groups[label] = (*_weighted_moments(x, wx), len(x))
        (m1, s1, n1), (m2, s2, n2) = groups["treated"], groups["comparison"]
        pooled = float(np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2)))
        binary = unit_value.isin([0.0, 1.0]).all()
        if name in sd:
            g, method = hedges_g_from_att(m1 - m2, n1, n2, sd=sd[name]), "hedges_g (given SD)"
            pooled = float(sd[name])
        elif binary:
            g, method = _cox_index(m1, m2, n1, n2), "cox_index"
        else:
            g, method = (hedges_g(m1, m2, s1, s2, n1, n2) if pooled > 0 else np.nan), "hedges_g"
        records.append(
            {
                "variable": name,
                "mean_treated": m1,
                "mean_comparison": m2,
                "sd_pooled": pooled,
                "n_treated": n1,
                "n_comparison": n2,
                "hedges_g": float(g),
                "classification": str(classify_baseline_equivalence(g)),
                "method": method,
            }
        )
    return BalanceResult(
        frame=pd.DataFrame(records),
        baseline_periods=periods,
        n_treated_units=int(unit_treated.sum()),
        n_comparison_units=int((~unit_treated).sum()),
    )
