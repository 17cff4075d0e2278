"""Estimate every ATT(g,t) cell and its influence function from prepared arrays.

Balanced panels are estimated in batches of cells that share treated and comparison units,
covariates and weights (all cells of a cohort with never-treated comparisons, for instance), so
each nuisance model is fitted once per batch. Repeated cross-sections and unbalanced panels are
estimated cell by cell on the rows of the two periods involved.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections import defaultdict
from typing import NamedTuple

import numpy as np

from pipelines.did._group_time.cells import Cell, comparison_mask
from pipelines.did._group_time.drdid_panel import PANEL_ESTIMATORS, BatchEstimate
from pipelines.did._group_time.drdid_rc import RC_ESTIMATORS
from pipelines.did._group_time.nuisance import SingularDesignError
from pipelines.did._group_time.prepare import PanelArrays, PreparedData, RowArrays
from pipelines.did.overlap import (
    OVERLAP_LIMIT,
    GroupOverlap,
    OverlapWarning,
    preliminary_propensity,
)


class CellEstimates(NamedTuple):
    att: np.ndarray  # (cells,) nan where a cell could not be estimated
    influence: np.ndarray  # (n, cells)
    overlap: tuple[GroupOverlap, ...] = ()  # per cohort, when the guard ran (dr, ipw)


class _OverlapLog:
    """Each cohort's first overlap check and the periods of its cells that failed it."""

    def __init__(self) -> None:
        self.checks: dict[float, GroupOverlap] = {}

    def check(self, cells: list[Cell], x: np.ndarray, d: np.ndarray) -> bool:
        """R's guard on one sample: True when its cells can be estimated."""
        fitted = preliminary_propensity(x, d)
        passed = bool(fitted.max() < OVERLAP_LIMIT)
        group = cells[0].group
        record = self.checks.get(group) or GroupOverlap(
            group=group,
            n_treated=int(d.sum()),
            n_outside_support=int(((fitted >= OVERLAP_LIMIT) & (d == 1)).sum()),
            n_comparison=int((d == 0).sum()),
            not_estimable=(),
        )
        if not passed:
            times = tuple(sorted({*record.not_estimable, *(cell.time for cell in cells)}))
            record = dataclasses.replace(record, not_estimable=times)
        self.checks[group] = record
        return passed

    def result(self) -> tuple[GroupOverlap, ...]:
        records = tuple(self.checks[g] for g in sorted(self.checks))
        failing = [r for r in records if r.not_estimable]
        if failing:
            warnings.warn(
                "overlap condition violated, ATT(g,t) set to missing: "
                + "; ".join(r.describe() for r in failing),
                OverlapWarning,
                stacklevel=4,
            )
        return records


def _label(cell: Cell) -> str:
    return f"group {cell.group:g}, time {cell.time:g}"


def _check_sample(cell: Cell, n_treated: int, n_comparison: int) -> None:
    if n_treated == 0:
        raise ValueError(f"no treated units observed for {_label(cell)}")
    if n_comparison == 0:
        raise ValueError(
            f"no valid comparison units for {_label(cell)}: no never-treated or not-yet-treated "
            "units are observed in both periods"
        )


def _run(estimator, cells: list[Cell], *args) -> BatchEstimate | None:
    """Run one estimator call, turning numerical failures into clear errors or warnings."""
    try:
        result = estimator(*args)
    except SingularDesignError as error:
        labels = "; ".join(_label(cell) for cell in cells)
        raise ValueError(
            f"singular covariates for {labels}: {error}. Drop or rescale covariates that are "
            "constant or collinear among these units"
        ) from error
    if result.max_pscore >= OVERLAP_LIMIT:
        labels = "; ".join(_label(cell) for cell in cells)
        warnings.warn(
            f"overlap violated (propensity score near one) for {labels}: ATT set to missing",
            OverlapWarning,
            stacklevel=4,
        )
        return None
    return result


def _panel_batches(cells: list[Cell], arrays: PanelArrays) -> dict[tuple, list[int]]:
    x_varies = arrays.x.ndim == 3
    w_varies = arrays.w.ndim == 2
    batches: dict[tuple, list[int]] = defaultdict(list)
    for index, cell in enumerate(cells):
        if cell.is_reference:
            continue
        key = (
            cell.group,
            cell.control_after,
            cell.earlier if x_varies else -1,
            cell.earlier if w_varies else -1,
        )
        batches[key].append(index)
    return batches


def _runs(indices: np.ndarray) -> list[slice]:
    """Sorted indices as contiguous slices (units are stored by cohort: a sample is a few)."""
    breaks = np.flatnonzero(np.diff(indices) != 1) + 1
    starts, ends = np.r_[0, breaks], np.r_[breaks, len(indices)]
    return [slice(indices[a], indices[b - 1] + 1) for a, b in zip(starts, ends, strict=True)]


def _gather(array: np.ndarray, runs: list[slice]) -> np.ndarray:
    return array[runs[0]] if len(runs) == 1 else np.concatenate([array[r] for r in runs])


def _estimate_panel(cells: list[Cell], prepared: PreparedData, est_method: str) -> CellEstimates:
    arrays = prepared.panel
    n = prepared.n
    att = np.zeros(len(cells))
    influence = np.zeros((n, len(cells)))
    estimator = PANEL_ESTIMATORS[est_method]
    log = _OverlapLog()
    for (_, _, x_period, w_period), members in _panel_batches(cells, arrays).items():
        first = cells[members[0]]
        treated = prepared.unit_group == first.group
        sample = np.flatnonzero(treated | comparison_mask(prepared.unit_group, first))
        rows = _runs(sample)
        d = _gather(treated, rows).astype(float)
        n_treated = int(d.sum())
        _check_sample(first, n_treated, len(sample) - n_treated)
        x = _gather(arrays.x if x_period < 0 else arrays.x[x_period], rows)
        x = x[:, prepared.columns_for(first.group)]
        w = _gather(arrays.w if w_period < 0 else arrays.w[:, w_period], rows)
        y = _gather(arrays.y, rows)
        current = [cells[i].current for i in members]
        base = [cells[i].base for i in members]
        dy = y[:, current] - y[:, base]
        batch = [cells[i] for i in members]
        guarded = est_method in ("dr", "ipw")
        result = None
        if not guarded or log.check(batch, x, d):
            result = _run(estimator, batch, dy, d, x, w)
        if result is None:
            att[members] = np.nan
            influence[:, members] = np.nan
            continue
        att[members] = result.att
        scaled = (n / len(sample)) * result.influence
        offset = 0
        for block in rows:
            size = block.stop - block.start
            for column, values in zip(
                _runs(np.asarray(members)), _split(scaled, members), strict=True
            ):
                influence[block, column] = values[offset : offset + size]
            offset += size
    return CellEstimates(att, influence, log.result())


def _split(matrix: np.ndarray, members: list[int]) -> list[np.ndarray]:
    """Columns of a batch result grouped like the contiguous runs of its cell indices."""
    breaks = np.flatnonzero(np.diff(members) != 1) + 1
    return np.split(matrix, breaks, axis=1)


def _estimate_rows(cells: list[Cell], prepared: PreparedData, est_method: str) -> CellEstimates:
    rows: RowArrays = prepared.rows
    n = prepared.n
    att = np.zeros(len(cells))
    influence = np.zeros((n, len(cells)))
    estimator = RC_ESTIMATORS[est_method]
    log = _OverlapLog()
    for index, cell in enumerate(cells):
        if cell.is_reference:
            continue
        treated = rows.group == cell.group
        in_periods = (rows.period == cell.current) | (rows.period == cell.base)
        sample = np.flatnonzero(in_periods & (treated | comparison_mask(rows.group, cell)))
        d = treated[sample].astype(float)
        post = (rows.period[sample] == cell.current).astype(float)
        for who, member in (("treated", d), ("comparison", 1.0 - d)):
            for period, when in ((cell.current, post), (cell.base, 1.0 - post)):
                if not (member * when).any():
                    raise ValueError(
                        f"no {who} observations in period {prepared.time_periods[period]:g} "
                        f"for {_label(cell)}: the cell has no valid comparison"
                    )
        x = rows.x[sample][:, prepared.columns_for(cell.group)]
        result = None
        if est_method not in ("dr", "ipw") or log.check([cell], x, d):
            result = _run(estimator, [cell], rows.y[sample], post, d, x, rows.w[sample])
        if result is None:
            att[index] = np.nan
            influence[:, index] = np.nan
            continue
        att[index] = result.att[0]
        scaled = (n / len(sample)) * result.influence[:, 0]
        influence[:, index] = np.bincount(rows.unit[sample], scaled, minlength=n)
    return CellEstimates(att, influence, log.result())


def estimate_cells(cells: list[Cell], prepared: PreparedData, est_method: str) -> CellEstimates:
    """ATT(g,t) and influence functions for every cell (reference cells are exactly zero)."""
    if prepared.panel is not None:
        return _estimate_panel(cells, prepared, est_method)
    return _estimate_rows(cells, prepared, est_method)
