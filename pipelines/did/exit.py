"""Effects of a program that units leave: by years actually treated and after leaving.

The Callaway–Sant'Anna ATT(g,t) is an intent-to-treat effect: a unit counts as treated from
its cohort year on, also after it leaves the program. With leavers that mixes two things an
evaluator wants apart: the effect while a unit is in the program, by how long it has been in
it, and what remains after it leaves. `exit_effects` estimates both beside the intent-to-treat
one, with the same design (never-treated comparisons, base period g - 1, outcome regression):

- each treated unit-year (i, t) of cohort g gets tau_it = (Y_it - Y_i,g-1) - m_gt(X_i), where
  m_gt is the least-squares fit of the same outcome change on the covariates (taken in g - 1)
  among never-treated units observed in both years (their mean without covariates);
- `years_partnered` k averages tau over unit-years still in the program (t <= last period)
  in their k-th treated period (k = t - g + 1);
- `years_since_exit` j averages tau over unit-years j periods after the unit's last treated
  period (j = t - last).

Unit-years are weighted equally, so without leavers `years_partnered` k is `aggte`'s dynamic
effect at event time k - 1 (cohorts weighted by size). Leavers split a cohort into small
groups (often one school per exit year): the variance therefore pools each bin's unit-level
deviations across cohorts (a unit's terms summed first: schools are the clusters) rather than
relying on each group's own mean, which would leave a one-school group's variance out
(see `_group_time.small_groups`). The comparison side adds the regression's estimation
error. Standard errors carry the n/(n - 1) correction on each side, and intervals use t with
Welch–Satterthwaite degrees of freedom, as `att_gt`'s small-sample intervals do. A bin with
fewer than two treated units has no interval.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from pipelines.did._group_time.small_groups import MIN_TREATED
from pipelines.did._regression.formula import parse_covariates_by_group
from pipelines.did._results.base import Result

ANALYSES = ("years_partnered", "years_since_exit")


@dataclass(frozen=True)
class ExitResult(Result):
    """Effects by years treated (`years_partnered`) and after leaving (`years_since_exit`)."""

    frame: pd.DataFrame  # analysis, key, att, se, df, ci_lower, ci_upper, n_schools, n_unit_years
    alp: float
    settings: dict

    def to_frame(self) -> pd.DataFrame:
        """One row per analysis and key (years), with the estimate and its interval."""
        return self.frame.copy()

    def summary(self) -> str:
        """A readable table of both analyses."""
        level = f"{100 * (1 - self.alp):g}%"
        lines = [
            "Effects by years in the program and after leaving (never-treated comparisons, "
            "base period g - 1)",
            f"Outcome: {self.settings['yname']}. Covariates: "
            f"{', '.join(self.settings['covariates']) or 'none'}. Intervals: {level}, Welch t.",
        ]
        for analysis, title in zip(
            ANALYSES,
            ("In the program, by years partnered", "After leaving, by years since exit"),
            strict=True,
        ):
            rows = self.frame[self.frame["analysis"] == analysis]
            lines += ["", title]
            if rows.empty:
                lines.append("  (no unit-years)")
            for row in rows.itertuples(index=False):
                interval = (
                    f"[{row.ci_lower:.4f}, {row.ci_upper:.4f}]"
                    if np.isfinite(row.se)
                    else "no interval (fewer than two units)"
                )
                lines.append(
                    f"  {row.key:>3d}: ATT {row.att:8.4f}  SE {row.se:7.4f}  {interval}  "
                    f"({row.n_schools} units)"
                )
        return "\n".join(lines)

    def plot(self):
        """Plotly figure: effect by years partnered, then by years since leaving."""
        import plotly.graph_objects as go

        figure = go.Figure()
        for analysis, name, color in (
            ("years_partnered", "in the program (years partnered)", "#1f77b4"),
            ("years_since_exit", "after leaving (years since exit)", "#ff7f0e"),
        ):
            rows = self.frame[self.frame["analysis"] == analysis]
            x = rows["key"] if analysis == "years_partnered" else -rows["key"]
            figure.add_scatter(
                x=x,
                y=rows["att"],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": np.nan_to_num(rows["ci_upper"] - rows["att"]),
                    "arrayminus": np.nan_to_num(rows["att"] - rows["ci_lower"]),
                },
                mode="markers",
                marker={"color": color, "size": 8},
                name=name,
            )
        figure.add_hline(y=0, line_color="lightgray")
        figure.update_layout(
            title=f"Effect in the program and after leaving, {100 * (1 - self.alp):g}% intervals "
            "(after leaving: plotted at minus years since exit)",
            xaxis_title="years partnered (right) / years since leaving (left)",
            yaxis_title="ATT",
            template="plotly_white",
        )
        return figure

    def __str__(self) -> str:
        return self.summary()


def _unit_table(data: pd.DataFrame, idname: str, columns: list[str]) -> pd.DataFrame:
    per_unit = data.groupby(idname, sort=True)[columns]
    varying = per_unit.nunique(dropna=False).gt(1).any(axis=1)
    if varying.any():
        raise ValueError(
            f"{', '.join(columns)} must be fixed within a unit: {int(varying.sum())} unit(s) vary"
        )
    return per_unit.first()


def exit_effects(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    lastname: str,
    xformla: str | Sequence[str] | Mapping[float, str | Sequence[str]] | None = None,
    alp: float = 0.05,
) -> ExitResult:
    """Effects by years actually treated and after leaving, beside the intent-to-treat ATT.

    `gname` is a unit's first treated period (0 or missing: never treated), `lastname` its last
    treated period (0 or missing: still treated). Covariates (`xformla`, "~ x1 + x2" or a list
    of columns, or as in `att_gt` a mapping from each cohort to its own columns) are taken in
    each cohort's base period g - 1. Raises ValueError for missing
    columns, a last period before the cohort, a cohort without its base period, or no
    never-treated units.
    """
    covariates, covariates_by_group = parse_covariates_by_group(xformla)
    needed = [yname, tname, idname, gname, lastname, *covariates]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(f"columns not found in data: {missing}")
    if not 0 < alp < 1:
        raise ValueError(f"alp must be strictly between 0 and 1, got {alp!r}")
    rows = data[needed].dropna(subset=[yname, tname])
    units = _unit_table(rows, idname, [gname, lastname])
    cohort = units[gname].fillna(0).to_numpy(float)
    last = units[lastname].fillna(0).to_numpy(float)
    last = np.where((cohort > 0) & (last > 0), last, np.inf)
    early = np.isfinite(last) & (last < cohort)
    if early.any():
        raise ValueError(
            f"{int(early.sum())} unit(s) have a last treated period before their cohort"
        )
    never = cohort == 0
    if not never.any():
        raise ValueError("no never-treated units: the comparison group is empty")
    unit_index = pd.Index(units.index)
    periods = np.sort(rows[tname].unique())
    outcome = rows.pivot_table(index=idname, columns=tname, values=yname, aggfunc="mean")
    outcome = outcome.reindex(index=unit_index, columns=periods).to_numpy(float)
    if covariates:
        values = {
            name: rows.pivot_table(index=idname, columns=tname, values=name, aggfunc="mean")
            .reindex(index=unit_index, columns=periods)
            .to_numpy(float)
            for name in covariates
        }
    n = len(unit_index)

    # Per bin: each treated unit's summed tau and count, and the comparison-side influence.
    tau_sum: dict[tuple[str, int], np.ndarray] = defaultdict(lambda: np.zeros(n))
    tau_count: dict[tuple[str, int], np.ndarray] = defaultdict(lambda: np.zeros(n))
    slope_terms: dict[tuple[str, int], list] = defaultdict(list)
    for g in np.unique(cohort[cohort > 0]):
        base = np.flatnonzero(periods == g - 1)
        if len(base) == 0:
            raise ValueError(f"cohort {g:g} has no base period {g - 1:g} in the data")
        b = int(base[0])
        if covariates_by_group is None:
            own = covariates
        elif float(g) in covariates_by_group:
            own = covariates_by_group[float(g)]
        else:
            raise ValueError(f"xformla by group has no covariates for cohort {g:g}")
        x_base = np.column_stack([values[name][:, b] for name in own]) if own else np.empty((n, 0))
        design = np.column_stack([np.ones(n), x_base])
        members = cohort == g
        for t_index in np.flatnonzero(periods >= g):
            t = periods[t_index]
            change = outcome[:, t_index] - outcome[:, b]
            usable = np.isfinite(change) & np.isfinite(design).all(axis=1)
            comparison = usable & never
            treated = usable & members
            if not treated.any():
                continue
            z = design[comparison]
            if comparison.sum() <= z.shape[1]:
                raise ValueError(
                    f"cohort {g:g}, period {t:g}: {int(comparison.sum())} comparison units "
                    f"for {z.shape[1]} regression terms"
                )
            gram = z.T @ z
            beta = np.linalg.lstsq(z, change[comparison], rcond=None)[0]
            residual = change[comparison] - z @ beta
            tau = change - design @ beta
            in_program = t <= last
            keys = np.where(in_program, t - g + 1, t - last)
            for analysis, mask in (
                ("years_partnered", in_program),
                ("years_since_exit", ~in_program),
            ):
                chosen = treated & mask
                for key in np.unique(keys[chosen]):
                    cell = chosen & (keys == key)
                    bin_key = (analysis, int(key))
                    tau_sum[bin_key][cell] += tau[cell]
                    tau_count[bin_key][cell] += 1
                    # The regression's error enters through the mean design row of the cell.
                    slope_terms[bin_key].append(
                        (design[cell].sum(axis=0), gram, comparison, z, residual)
                    )

    records = []
    for analysis in ANALYSES:
        for key in sorted(k for a, k in tau_sum if a == analysis):
            bin_key = (analysis, key)
            counts, sums = tau_count[bin_key], tau_sum[bin_key]
            total = counts.sum()
            att = sums.sum() / total
            # Treated side: each unit's deviations summed over its unit-years (a cluster).
            treated_if = (sums - counts * att) / total
            comparison_if = np.zeros(n)
            for design_sum, gram, comparison, z, residual in slope_terms[bin_key]:
                direction = np.linalg.solve(gram, design_sum / total)
                comparison_if[comparison] -= (z @ direction) * residual
            records.append(
                _row(analysis, key, att, treated_if[counts > 0], comparison_if[never], alp)
                | {"n_unit_years": int(total)}
            )
    frame = pd.DataFrame(
        records,
        columns=[
            "analysis", "key", "att", "se", "df", "ci_lower", "ci_upper", "n_schools",
            "n_unit_years",
        ],
    )  # fmt: skip
    return ExitResult(
        frame=frame.astype({"key": int, "n_schools": int, "n_unit_years": int}),
        alp=alp,
        settings={"yname": yname, "covariates": covariates, "lastname": lastname},
    )


def _row(
    analysis: str, key: int, att: float, treated: np.ndarray, comparison: np.ndarray, alp: float
) -> dict:
    """Estimate, Welch-corrected standard error and t interval of one bin."""
    n_treated, n_comparison = len(treated), int((comparison != 0).sum())
    row = {"analysis": analysis, "key": key, "att": float(att), "n_schools": n_treated}
    if n_treated < MIN_TREATED:
        return row | {"se": np.nan, "df": np.nan, "ci_lower": np.nan, "ci_upper": np.nan}
    v_treated = (treated**2).sum() * n_treated / (n_treated - 1)
    v_comparison = (comparison**2).sum() * (
        n_comparison / (n_comparison - 1) if n_comparison > 1 else 1.0
    )
    variance = v_treated + v_comparison
    df = variance**2 / (v_treated**2 / (n_treated - 1) + v_comparison**2 / max(n_comparison - 1, 1))
    se = float(np.sqrt(variance))
    half = float(stats.t.ppf(1 - alp / 2, df)) * se
    return row | {"se": se, "df": float(df), "ci_lower": att - half, "ci_upper": att + half}
