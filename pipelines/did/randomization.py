"""Randomization inference for the Callaway–Sant'Anna aggregated ATT.

With few treated schools (13, then 33) analytic standard errors lean on asymptotics that may
not hold. Randomization (permutation) inference asks instead: had the program gone to other
comparable schools, how often would the estimate be at least this large? Cohort labels are
permuted among all units in the estimation sample (treated and comparison), within strata of
comparable units (e.g. school level × baseline-score band), so each stratum keeps its number of
units of every cohort; the aggregated ATT is recomputed for each reassignment and the observed
one is ranked against that distribution (Fisher's sharp null of no effect for any school).

The fast path. Without covariates, every estimation method of `att_gt` (dr, ipw, reg) reduces
to a difference of (weighted) means of outcome changes:
ATT(g,t) = mean over cohort g of ΔY − mean over the comparison units of ΔY, ΔY = Y_t − Y_base.
The ΔY columns of the cells that enter the aggregation are computed once; a reassignment only
changes which units are averaged, so a batch of permutations is one product of a one-hot
assignment tensor with those columns. The aggregation weights (cohort shares) are recomputed
per permutation, so sampling weights are handled too. With covariates the nuisance models
depend on the assignment, so each permutation re-runs `att_gt`/`aggte` (slow path).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.did._group_time.cells import comparison_mask, enumerate_cells
from pipelines.did._group_time.prepare import PreparedData, prepare
from pipelines.did._regression.formula import parse_covariates_by_group
from pipelines.did._results.base import Result
from pipelines.did.aggte import aggte
from pipelines.did.attgt import att_gt

_AGGREGATIONS = ("simple", "dynamic", "group", "calendar")
# One-hot assignment blocks are kept to about this many entries (a few tens of megabytes).
_BLOCK_ENTRIES = 3_000_000
# |T*| counts as at least |T| up to rounding: an assignment equivalent to the observed one
# reproduces its statistic only to floating-point accuracy.
_TIE_TOLERANCE = 1e-9


def unit_panel(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    control_group: str,
    anticipation: float,
    covariates: Sequence[str] = (),
    weightsname: str | None = None,
) -> PreparedData:
    """The balanced panel exactly as `att_gt` prepares it, with the id of each unit row.

    `covariates` only decide which rows are complete, as they do in `att_gt`.
    """
    return prepare(
        data,
        yname=yname,
        tname=tname,
        idname=idname,
        gname=gname,
        covariates=list(covariates),
        weightsname=weightsname,
        clustervars=None,
        panel=True,
        allow_unbalanced_panel=False,
        control_group=control_group,
        anticipation=anticipation,
    )


@dataclass(frozen=True)
class _Aggregation:
    """The overall aggregated ATT as a function of post-treatment cell ATTs and cohort shares.

    Components are sets of cells (columns of `membership`); within a component cells are
    weighted by cohort share (`within_share`) or equally; across components the overall effect
    is their plain mean or, for "group", their cohort-share-weighted mean.
    """

    used: np.ndarray  # (cells,) which of the given cells enter the overall effect
    membership: np.ndarray  # (used cells, E) 0/1
    within_share: bool
    component_cohort: np.ndarray | None  # (E,) cohort of each component when share-weighted


def _aggregation_plan(
    group: np.ndarray,
    time: np.ndarray,
    time_periods: np.ndarray,
    kind: str,
    min_e: float | None,
    max_e: float | None,
    balance_e: int | None,
) -> _Aggregation:
    """Which cells enter `aggte(type=kind).overall_att`, and how they are weighted.

    The rules are `aggte`'s (R did 2.5.0): cells compared on the rank scale of periods and
    cohorts for "simple"/"group"/"calendar", on calendar exposure for "dynamic".
    """
    low = -np.inf if min_e is None else float(min_e)
    high = np.inf if max_e is None else float(max_e)
    scale = np.unique(np.concatenate([time_periods, group]))
    rank_t = np.searchsorted(scale, time) + 1
    rank_g = np.searchsorted(scale, group) + 1
    components: list[np.ndarray] = []
    component_cohort = None
    within_share = True
    if kind == "simple":
        components.append((rank_g <= rank_t) & (rank_t <= rank_g + high))
    elif kind == "group":
        within_share = False
        cohorts = np.unique(group)
        for rank in np.unique(rank_g):
            components.append((rank_g == rank) & (rank <= rank_t) & (rank_t <= rank_g + high))
        component_cohort = cohorts
    elif kind == "calendar":
        for rank in np.unique(rank_t[rank_t >= rank_g.min()]):
            components.append((rank_t == rank) & (rank_g <= rank_t))
    else:
        exposure = time - group
        include = np.ones(len(exposure), dtype=bool)
        event_times = np.unique(exposure)
        if balance_e is not None:
            last, first = time.max(), scale[0]
            include = last - group >= balance_e
            event_times = np.unique(exposure[include])
            event_times = event_times[
                (event_times <= balance_e) & (event_times >= balance_e - last + first)
            ]
        event_times = event_times[(event_times >= low) & (event_times <= high) & (event_times >= 0)]
        if len(event_times) == 0:
            raise ValueError("no post-treatment event times in the window: cannot average them")
        components = [(exposure == e) & include for e in event_times]
    membership = np.column_stack(components).astype(float)
    if (membership.sum(axis=0) == 0).any():
        raise ValueError("no ATT(g,t) cells fall in this aggregation")
    used = membership.any(axis=1)
    return _Aggregation(
        used=used,
        membership=membership[used],
        within_share=within_share,
        component_cohort=component_cohort,
    )


class _FastStatistic:
    """Aggregated ATT for many cohort assignments at once (no covariates)."""

    def __init__(self, prepared: PreparedData, settings: dict, plan_args: dict):
        periods = prepared.time_periods
        cells = [
            cell
            for cell in enumerate_cells(
                periods,
                prepared.groups,
                base_period=settings["base_period"],
                anticipation=settings["anticipation"],
                control_group=settings["control_group"],
            )
            if cell.post
        ]
        group = np.array([cell.group for cell in cells])
        time = np.array([cell.time for cell in cells])
        plan = _aggregation_plan(group, time, periods, **plan_args)
        used = [cell for cell, keep in zip(cells, plan.used, strict=True) if keep]
        self.plan = plan
        self.labels, self.codes = np.unique(prepared.unit_group, return_inverse=True)
        label_index = {label: k for k, label in enumerate(self.labels)}
        self.cell_label = np.array([label_index[cell.group] for cell in used])
        # (C, K): which labels serve as comparison units for each cell.
        self.comparison = np.array([comparison_mask(self.labels, cell) for cell in used], float)
        y = prepared.panel.y
        w = prepared.panel.w
        weights = np.column_stack(
            [w if w.ndim == 1 else w[:, cell.earlier] for cell in used]
        )  # (n, C): a cell's weights are taken in its earlier period, as att_gt does
        change = np.column_stack([y[:, cell.current] - y[:, cell.base] for cell in used])
        self.weights = weights
        self.weighted_change = weights * change
        self.unit_weight = prepared.unit_weight
        if plan.component_cohort is not None:
            self.component_label = np.array([label_index[g] for g in plan.component_cohort])

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        """Statistics for assignments `codes` (B, n) of label indices to units."""
        n_labels = len(self.labels)
        onehot = (codes[:, None, :] == np.arange(n_labels)[None, :, None]).astype(float)
        sums = onehot @ self.weighted_change  # (B, K, C)
        totals = onehot @ self.weights  # (B, K, C)
        share = onehot @ self.unit_weight  # (B, K): cohort sizes, as aggte's weights
        cells = np.arange(len(self.cell_label))
        treated = sums[:, self.cell_label, cells] / totals[:, self.cell_label, cells]
        comparison = np.einsum("bkc,ck->bc", sums, self.comparison) / np.einsum(
            "bkc,ck->bc", totals, self.comparison
        )
        att = treated - comparison
        plan = self.plan
        within = share[:, self.cell_label] if plan.within_share else np.ones_like(att)
        components = ((within * att) @ plan.membership) / (within @ plan.membership)
        if plan.component_cohort is None:
            return components.mean(axis=1)
        cohort_share = share[:, self.component_label]
        return (cohort_share * components).sum(axis=1) / cohort_share.sum(axis=1)


def _strata_codes(data: pd.DataFrame, idname: str, strata, unit_ids: np.ndarray) -> np.ndarray:
    """One integer stratum per unit (all zero without strata)."""
    if strata is None:
        return np.zeros(len(unit_ids), dtype=np.int64)
    names = [strata] if isinstance(strata, str) else list(strata)
    missing = [name for name in names if name not in data.columns]
    if missing:
        raise ValueError(f"strata columns not found in data: {missing}")
    rows = data.loc[data[idname].isin(unit_ids), [idname, *names]]
    if rows[names].isna().any().any():
        raise ValueError(f"strata columns {names} have missing values")
    varying = rows.groupby(idname, sort=False)[names].nunique().gt(1).any(axis=1)
    if varying.any():
        raise ValueError(
            f"strata {names} change over time for {int(varying.sum())} unit(s): a unit's stratum "
            "must be fixed (use baseline values)"
        )
    per_unit = rows.drop_duplicates(idname).set_index(idname).loc[unit_ids, names]
    return np.asarray(pd.MultiIndex.from_frame(per_unit).factorize()[0], dtype=np.int64)


class _Permuter:
    """Draws label assignments that permute labels within strata."""

    def __init__(self, codes: np.ndarray, strata: np.ndarray):
        self.codes = codes
        self.blocks = []
        for stratum in np.unique(strata):
            members = np.flatnonzero(strata == stratum)
            # Strata holding a single label have nothing to permute.
            if len(np.unique(codes[members])) > 1:
                self.blocks.append(members)

    def draw(self, size: int, rng: np.random.Generator) -> np.ndarray:
        assignments = np.broadcast_to(self.codes, (size, len(self.codes))).copy()
        for members in self.blocks:
            order = np.argsort(rng.random((size, len(members))), axis=1)
            assignments[:, members] = self.codes[members][order]
        return assignments


@dataclass(frozen=True)
class RandomizationResult(Result):
    """Permutation test of the aggregated ATT against Fisher's sharp null of no effect."""

    statistic: float  # observed aggregated ATT (equals aggte(att_gt(...)).overall_att)
    permutation_distribution: np.ndarray = field(repr=False)  # (n_permutations,)
    pvalue: float  # two-sided: (1 + #{|T*| >= |T|}) / (1 + n_permutations)
    n_permutations: int
    aggregation: str
    n_units: int
    n_treated: int
    n_strata: int
    n_informative_strata: int  # strata with more than one cohort label (others stay fixed)
    settings: dict

    @property
    def pvalue_mc_se(self) -> float:
        """Monte Carlo standard error of the p-value from drawing rather than enumerating."""
        return float(np.sqrt(self.pvalue * (1 - self.pvalue) / self.n_permutations))

    def to_frame(self) -> pd.DataFrame:
        """One row: aggregation, att, pvalue and the permutation distribution's spread."""
        null = self.permutation_distribution
        return pd.DataFrame(
            {
                "aggregation": [self.aggregation],
                "att": [self.statistic],
                "pvalue": [self.pvalue],
                "n_permutations": [self.n_permutations],
                "n_units": [self.n_units],
                "n_treated": [self.n_treated],
                "n_strata": [self.n_strata],
                "null_sd": [float(np.std(null, ddof=1))],
                "null_q025": [float(np.quantile(null, 0.025))],
                "null_q975": [float(np.quantile(null, 0.975))],
            }
        )

    def summary(self) -> str:
        """Plain-text description of the test and its result."""
        null = self.permutation_distribution
        strata = (
            f"within {self.n_strata} strata ({self.n_informative_strata} with more than one "
            "cohort label)"
            if self.settings["strata"]
            else "across all units (no strata)"
        )
        covariates = self.settings["xformla"] or "none"
        lines = [
            "Randomization inference for the Callaway & Sant'Anna aggregated ATT",
            f"Outcome: {self.settings['yname']}. Aggregation: {self.aggregation}. Comparison "
            f"group: {self.settings['control_group']}. Units: {self.n_units} "
            f"({self.n_treated} treated).",
            f"Cohort labels permuted {strata};",
            f"{self.n_permutations} permutations; covariates: {covariates}.",
            "",
            f"Observed ATT = {self.statistic:.4f}",
            f"Permutation p-value (two-sided, |ATT|) = {self.pvalue:.4f} "
            f"(Monte Carlo SE {self.pvalue_mc_se:.4f})",
            f"Permutation distribution: mean {null.mean():.4f}, SD {null.std(ddof=1):.4f}, "
            f"2.5%-97.5% [{np.quantile(null, 0.025):.4f}, {np.quantile(null, 0.975):.4f}]",
            "",
            "The test is of the sharp null that the program changed no school's outcome; the",
            "p-value counts reassignments of cohorts among comparable schools whose |ATT| is at",
            "least the observed one, with the observed assignment included.",
        ]
        return "\n".join(lines)

    def plot(self):
        """Histogram of the permutation distribution with the observed ATT (and its mirror)."""
        import plotly.graph_objects as go

        figure = go.Figure()
        figure.add_histogram(
            x=self.permutation_distribution,
            nbinsx=60,
            name="reassigned cohorts",
            marker_color="#7f7f7f",
        )
        figure.add_vline(
            x=self.statistic,
            line_color="#d62728",
            line_width=3,
            annotation_text=f"observed {self.statistic:.3f}",
        )
        figure.add_vline(
            x=-self.statistic,
            line_color="#d62728",
            line_dash="dot",
            annotation_text="mirror (two-sided test)",
            annotation_position="top left",
        )
        figure.update_layout(
            title=(
                f"Randomization inference: {self.aggregation} ATT, permutation p = "
                f"{self.pvalue:.3f} ({self.n_permutations} permutations)"
            ),
            xaxis_title="aggregated ATT under reassigned cohorts",
            yaxis_title="permutations",
            template="plotly_white",
            showlegend=False,
        )
        return figure

    def __str__(self) -> str:
        return self.summary()


def _slow_statistics(
    data: pd.DataFrame,
    panel: PreparedData,
    assignments: np.ndarray,
    estimator: dict,
    aggregation: dict,
) -> np.ndarray:
    """Re-run att_gt/aggte for each assignment (needed when covariates enter the estimator)."""
    labels = np.unique(panel.unit_group)
    # Never-treated is coded 0 in the data, as att_gt expects.
    values = np.where(np.isinf(labels), 0.0, labels)
    gname = estimator["gname"]
    statistics = np.empty(len(assignments))
    row_unit = pd.Index(panel.unit_ids).get_indexer(data[estimator["idname"]])
    kept = row_unit >= 0
    with warnings.catch_warnings():
        # The sample rules' warnings were already raised once for the observed data.
        warnings.simplefilter("ignore", UserWarning)
        for b, codes in enumerate(assignments):
            permuted = data.astype({gname: float})
            permuted.loc[kept, gname] = values[codes[row_unit[kept]]]
            result = att_gt(permuted, **estimator)
            statistics[b] = aggte(result, **aggregation).overall_att
    return statistics


def randomization_inference(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    strata: str | Sequence[str] | None = None,
    n_permutations: int = 999,
    aggregation: str = "simple",
    control_group: str = "nevertreated",
    base_period: str = "varying",
    anticipation: float = 0,
    weightsname: str | None = None,
    xformla: str | Sequence[str] | None = None,
    est_method: str = "dr",
    min_e: float | None = None,
    max_e: float | None = None,
    balance_e: int | None = None,
    random_state: int | np.random.Generator | None = None,
) -> RandomizationResult:
    """Permutation p-value of the aggregated Callaway–Sant'Anna ATT.

    The statistic is `aggte(att_gt(data, ...), type=aggregation).overall_att` with the same
    `control_group`, `base_period`, `anticipation`, `weightsname`, `xformla`, `est_method`
    and `min_e`/`max_e`/`balance_e`. The cohort labels (`gname`) of all units in the
    estimation sample are permuted `n_permutations` times within `strata` (columns fixed
    within a unit, e.g. school level and a baseline-score band), which keeps the number of
    units of each cohort in each stratum. The two-sided p-value is
    (1 + #{|T*| >= |T|}) / (1 + n_permutations).

    Without covariates (`xformla=None`) the permutations are computed in batches from
    precomputed outcome changes (a 1,400-school panel takes well under a second for 999);
    with covariates each permutation re-estimates `att_gt` (seconds to minutes).
    `random_state` seeds the permutations.
    """
    if aggregation not in _AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {_AGGREGATIONS}, got {aggregation!r}")
    if int(n_permutations) != n_permutations or n_permutations < 1:
        raise ValueError(f"n_permutations must be a positive whole number, got {n_permutations!r}")
    n_permutations = int(n_permutations)
    covariates, _ = parse_covariates_by_group(xformla)
    estimator = {
        "yname": yname,
        "tname": tname,
        "idname": idname,
        "gname": gname,
        "xformla": xformla,
        "control_group": control_group,
        "est_method": est_method,
        "anticipation": anticipation,
        "base_period": base_period,
        "weightsname": weightsname,
    }
    plan_args = {"kind": aggregation, "min_e": min_e, "max_e": max_e, "balance_e": balance_e}
    aggregation_args = {
        "type": aggregation,
        "min_e": min_e,
        "max_e": max_e,
        "balance_e": balance_e,
    }
    if control_group not in ("nevertreated", "notyettreated"):
        raise ValueError(
            f"control_group must be nevertreated or notyettreated, got {control_group!r}"
        )
    if base_period not in ("varying", "universal"):
        raise ValueError(f"base_period must be varying or universal, got {base_period!r}")
    panel = unit_panel(
        data,
        yname=yname,
        tname=tname,
        idname=idname,
        gname=gname,
        control_group=control_group,
        anticipation=anticipation,
        covariates=covariates,
        weightsname=weightsname,
    )
    strata_codes = _strata_codes(data, idname, strata, panel.unit_ids)
    labels, codes = np.unique(panel.unit_group, return_inverse=True)
    permuter = _Permuter(codes, strata_codes)
    if not permuter.blocks:
        raise ValueError(
            "no stratum holds units of more than one cohort label: there is nothing to permute "
            "(use coarser strata)"
        )
    rng = np.random.default_rng(random_state)
    if covariates:
        observed = aggte(att_gt(data, **estimator), **aggregation_args).overall_att
        assignments = permuter.draw(n_permutations, rng)
        distribution = _slow_statistics(data, panel, assignments, estimator, aggregation_args)
    else:
        fast = _FastStatistic(panel, estimator, plan_args)
        observed = float(fast(codes[None, :])[0])
        batch = max(1, _BLOCK_ENTRIES // (len(labels) * len(codes)))
        distribution = np.concatenate(
            [
                fast(permuter.draw(min(batch, n_permutations - start), rng))
                for start in range(0, n_permutations, batch)
            ]
        )
    scale = max(abs(observed), float(np.max(np.abs(distribution))))
    extreme = np.abs(distribution) >= abs(observed) - _TIE_TOLERANCE * scale
    return RandomizationResult(
        statistic=float(observed),
        permutation_distribution=distribution,
        pvalue=float((1 + extreme.sum()) / (1 + n_permutations)),
        n_permutations=n_permutations,
        aggregation=aggregation,
        n_units=len(codes),
        n_treated=int(np.isfinite(panel.unit_group).sum()),
        n_strata=len(np.unique(strata_codes)),
        n_informative_strata=len(permuter.blocks),
        settings={**estimator, "strata": strata, **plan_args},
    )
