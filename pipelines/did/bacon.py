"""Goodman-Bacon (2021) decomposition of the two-way fixed-effects DiD coefficient.

With staggered adoption, the TWFE coefficient on a 0/1 absorbing treatment is a weighted
average of every 2×2 DiD between timing groups (Goodman-Bacon 2021, J. Econometrics,
Theorem 1):

- treated vs never treated: a timing group k against the never-treated units, whole panel;
- earlier vs later treated: k (treated first) against l, in the periods before l is treated;
- later vs earlier treated: l against k, in the periods after k is treated. k is then an
  already-treated "control" whose own effect may still be changing, so when effects grow over
  time these comparisons can pull TWFE far from, or even opposite to, every group's effect;
- treated vs always treated: a group against units treated in every period (as bacondecomp).

The weights are proportional to each 2×2's subsample size squared times the variance of its
treatment dummy (the paper's s_kU, s_kl^k and s_kl^l, equations 10a-10e), normalised to sum to
one; the weighted estimates then sum to the TWFE coefficient exactly. Everything is computed
from timing-group × period means, which is exact on a balanced panel (required here).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.did._results.base import Result

TREATED_VS_NEVER = "treated vs never treated"
EARLIER_VS_LATER = "earlier vs later treated"
LATER_VS_EARLIER = "later vs earlier treated"
TREATED_VS_ALWAYS = "treated vs always treated"
_TYPE_ORDER = (EARLIER_VS_LATER, LATER_VS_EARLIER, TREATED_VS_NEVER, TREATED_VS_ALWAYS)


@dataclass(frozen=True)
class BaconResult(Result):
    """All 2×2 comparisons behind a TWFE coefficient, their weights and estimates.

    Timing groups are labelled by their first treated period; never-treated units by ``inf``.
    Always-treated units (treated in the first period) carry the first period as their label.
    """

    comparisons: pd.DataFrame
    twfe: float
    yname: str
    treatment: str
    n_units: int
    n_periods: int
    group_sizes: dict[float, int] = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per 2×2: type, treated_group, control_group, weight, estimate."""
        return self.comparisons.copy()

    def by_type(self) -> pd.DataFrame:
        """Total weight, weighted-average estimate and number of 2×2s per comparison type."""
        rows = []
        for kind in _TYPE_ORDER:
            part = self.comparisons[self.comparisons["type"] == kind]
            if part.empty:
                continue
            weight = float(part["weight"].sum())
            rows.append(
                {
                    "type": kind,
                    "weight": weight,
                    "estimate": float(np.dot(part["weight"], part["estimate"]) / weight),
                    "n_comparisons": len(part),
                }
            )
        return pd.DataFrame(rows)

    @property
    def decomposed_twfe(self) -> float:
        """Σ weight × estimate: equals `twfe` up to rounding (Theorem 1)."""
        return float(np.dot(self.comparisons["weight"], self.comparisons["estimate"]))

    def summary(self) -> str:
        """The TWFE coefficient and how much of it each kind of comparison contributes."""
        groups = ", ".join(f"{_group_label(g)}: {n}" for g, n in sorted(self.group_sizes.items()))
        lines = [
            "Goodman-Bacon decomposition of the two-way fixed-effects DiD coefficient",
            f"Outcome: {self.yname}. Treatment: {self.treatment}. "
            f"Units: {self.n_units}. Periods: {self.n_periods}.",
            f"Timing groups (first treated period: units): {groups}.",
            f"TWFE coefficient: {self.twfe:.6f} "
            f"(weighted sum of the 2x2 estimates: {self.decomposed_twfe:.6f}).",
            "",
            f"{'type':<28}{'weight':>10}{'avg estimate':>14}{'2x2s':>6}",
        ]
        for row in self.by_type().itertuples(index=False):
            lines.append(
                f"{row.type:<28}{row.weight:>10.5f}{row.estimate:>14.5f}{row.n_comparisons:>6}"
            )
        late = self.by_type().set_index("type")
        if LATER_VS_EARLIER in late.index:
            lines += [
                "",
                f"{100 * late.loc[LATER_VS_EARLIER, 'weight']:.1f}% of the weight compares later "
                "adopters with already-treated units; if effects change with time since "
                "adoption, these 2x2s are biased and so is TWFE.",
            ]
        return "\n".join(lines)

    def plot(self):
        """Plotly scatter of each 2×2 estimate against its weight, by comparison type."""
        import plotly.graph_objects as go

        figure = go.Figure()
        for kind in _TYPE_ORDER:
            part = self.comparisons[self.comparisons["type"] == kind]
            if part.empty:
                continue
            labels = [
                f"{_group_label(t)} vs {_group_label(c)}"
                for t, c in zip(part["treated_group"], part["control_group"], strict=True)
            ]
            figure.add_trace(
                go.Scatter(
                    x=part["weight"],
                    y=part["estimate"],
                    mode="markers",
                    name=kind,
                    text=labels,
                    hovertemplate="%{text}<br>weight %{x:.4f}<br>estimate %{y:.4f}<extra></extra>",
                )
            )
        figure.add_hline(
            y=self.twfe,
            line_dash="dash",
            annotation_text=f"TWFE {self.twfe:.4f}",
            annotation_position="top right",
        )
        figure.update_layout(
            title="Goodman-Bacon decomposition: 2x2 estimates and their weights",
            xaxis_title="Weight",
            yaxis_title="2x2 DiD estimate",
            template="plotly_white",
        )
        return figure

    def __str__(self) -> str:
        return self.summary()


def bacon_decomposition(
    data: pd.DataFrame, yname: str, tname: str, idname: str, treatment: str
) -> BaconResult:
    """Decompose the TWFE coefficient of `yname` on the 0/1 `treatment` into its 2×2 DiDs.

    `data` must be a balanced panel (each `idname` observed once in every `tname` period) with
    an absorbing treatment (once 1, always 1). Returns a `BaconResult`; `.twfe` is computed
    independently by the within transformation, and `Σ weight × estimate` reproduces it.
    Covariates are not supported (bacondecomp's controlled decomposition is a different
    estimand).
    """
    panel = _balanced_panel(data, yname, tname, idname, treatment)
    periods = panel.columns.get_level_values(1).unique().to_numpy()
    outcome = panel[yname].to_numpy(dtype=float)
    treated = panel[treatment].to_numpy(dtype=float)
    first = _first_treated_period(treated, periods)

    twfe = _within_coefficient(outcome, treated)
    group_labels, inverse = np.unique(first, return_inverse=True)
    sizes = np.bincount(inverse).astype(float)
    means = np.vstack([outcome[inverse == g].mean(axis=0) for g in range(len(group_labels))])
    share_treated = np.array([np.mean(periods >= g) for g in group_labels])  # D̄_k

    rows = []
    for k, group in enumerate(group_labels):
        if not np.isfinite(group) or group == periods[0]:
            continue  # never-treated and always-treated units have no treatment variation
        for c, control in enumerate(group_labels):
            if c == k:
                continue
            window, kind = _window(group, control, periods)
            mask = np.isin(periods, window)
            estimate = _two_by_two(means[k, mask], means[c, mask], periods[mask] >= group)
            share = sizes[k] / (sizes[k] + sizes[c])
            weight = (sizes[k] + sizes[c]) ** 2 * share * (1 - share)
            d_k, d_c = share_treated[k], share_treated[c]
            if kind == TREATED_VS_NEVER:
                weight *= d_k * (1 - d_k)
            elif kind == EARLIER_VS_LATER:
                weight *= (1 - d_c) ** 2 * ((d_k - d_c) / (1 - d_c)) * ((1 - d_k) / (1 - d_c))
            else:  # the control is already treated: later vs earlier, or vs always treated
                weight *= d_c**2 * (d_k / d_c) * ((d_c - d_k) / d_c)
            rows.append((kind, float(group), float(control), weight, estimate))

    comparisons = pd.DataFrame(
        rows, columns=["type", "treated_group", "control_group", "weight", "estimate"]
    )
    if comparisons.empty:
        raise ValueError(
            f"no 2x2 comparison exists: {treatment!r} needs at least one group that switches "
            "into treatment during the panel and another timing group to compare it with"
        )
    comparisons["weight"] = comparisons["weight"] / comparisons["weight"].sum()
    return BaconResult(
        comparisons=comparisons,
        twfe=twfe,
        yname=yname,
        treatment=treatment,
        n_units=outcome.shape[0],
        n_periods=len(periods),
        group_sizes={float(g): int(n) for g, n in zip(group_labels, sizes, strict=True)},
    )


def _balanced_panel(
    data: pd.DataFrame, yname: str, tname: str, idname: str, treatment: str
) -> pd.DataFrame:
    """Wide units × periods frame of the outcome and treatment; ValueError names any defect."""
    missing = [c for c in (yname, tname, idname, treatment) if c not in data.columns]
    if missing:
        raise ValueError(f"columns not found in data: {', '.join(missing)}")
    frame = data[[idname, tname, yname, treatment]]
    for column in (idname, tname, yname, treatment):
        n_missing = int(frame[column].isna().sum())
        if n_missing:
            raise ValueError(f"column {column!r} has {n_missing} missing values")
    values = set(np.unique(frame[treatment].to_numpy(dtype=float)))
    if not values <= {0.0, 1.0}:
        raise ValueError(f"treatment {treatment!r} must be 0/1, found values {sorted(values)}")
    if frame.duplicated([idname, tname]).any():
        raise ValueError(f"panel has duplicated ({idname}, {tname}) rows")
    n_units, n_periods = frame[idname].nunique(), frame[tname].nunique()
    if len(frame) != n_units * n_periods:
        raise ValueError(
            f"the Bacon decomposition needs a balanced panel: {len(frame)} rows for "
            f"{n_units} units × {n_periods} periods ({n_units * n_periods - len(frame)} missing)"
        )
    return frame.pivot(index=idname, columns=tname, values=[yname, treatment]).sort_index(
        axis=1, level=1
    )


def _first_treated_period(treated: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """First treated period of each unit (inf if never); ValueError if treatment switches off."""
    if np.any(np.diff(treated, axis=1) < 0):
        n_bad = int(np.any(np.diff(treated, axis=1) < 0, axis=1).sum())
        raise ValueError(
            f"treatment must be absorbing (never switch from 1 back to 0); {n_bad} units do"
        )
    ever = treated.any(axis=1)
    first = np.full(treated.shape[0], np.inf)
    first[ever] = periods[treated[ever].argmax(axis=1)]
    return first


def _within_coefficient(outcome: np.ndarray, treated: np.ndarray) -> float:
    """TWFE slope by two-way demeaning, exact for a balanced panel."""
    demeaned = treated - treated.mean(axis=1, keepdims=True) - treated.mean(axis=0) + treated.mean()
    variation = float(np.sum(demeaned**2))
    if variation == 0:
        raise ValueError("treatment has no variation left after unit and period fixed effects")
    return float(np.sum(demeaned * outcome) / variation)


def _window(group: float, control: float, periods: np.ndarray) -> tuple[np.ndarray, str]:
    """Periods a 2×2 uses and its type, for `group` switching on against `control`."""
    if not np.isfinite(control):
        return periods, TREATED_VS_NEVER
    if control == periods[0]:
        return periods, TREATED_VS_ALWAYS
    if group < control:
        return periods[periods < control], EARLIER_VS_LATER
    return periods[periods >= control], LATER_VS_EARLIER


def _two_by_two(treated_mean: np.ndarray, control_mean: np.ndarray, after: np.ndarray) -> float:
    """(after − before change of the switching group) − (same change of the control)."""
    gap = treated_mean - control_mean
    return float(gap[after].mean() - gap[~after].mean())


def _group_label(group: float) -> str:
    return "never" if not np.isfinite(group) else f"{group:g}"
