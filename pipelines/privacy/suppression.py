"""Small-cell suppression for published count tables (FERPA).

A published cell counting fewer than ``MIN_CELL_SIZE`` students is hidden (primary
suppression). Hiding it is not enough when the table also publishes totals: the hidden value
would be the total minus the visible cells. So further cells are hidden (complementary
suppression) until no hidden cell can be solved for exactly from the published entries.

The test is exact linear algebra rather than the "two hidden cells per line" rule of thumb,
which can still leave a cell recoverable (a cell bridging two otherwise separate groups of
hidden cells). Each table line (row or column with a published total) is one equation; a hidden
cell is recoverable exactly when every solution of those equations gives it the same value,
that is when the null space of the equations restricted to the hidden cells is zero in its
coordinate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import null_space

MIN_CELL_SIZE = 10
TOTAL_LABEL = "Total"
_NULL_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SuppressedTable:
    """A count table with its margins and which entries must not be published.

    ``counts`` holds the interior cells plus a ``Total`` row and/or column (whichever were
    requested); ``hidden`` is a boolean frame of the same shape. Missing cells (NaN) are
    structurally empty: they are shown as missing, never hidden.
    """

    counts: pd.DataFrame
    hidden: pd.DataFrame

    def published(self, marker: str = "*") -> pd.DataFrame:
        """The table as it may be published: hidden entries replaced by ``marker``."""
        whole = self.counts.round().astype("Int64").astype(object)
        shown = whole.where(self.counts.notna(), None)
        return shown.where(~self.hidden, marker)


def suppress_counts(
    counts: pd.DataFrame,
    threshold: int = MIN_CELL_SIZE,
    row_totals: bool = True,
    column_totals: bool = True,
) -> SuppressedTable:
    """Add margins to a table of student counts and choose which entries to hide.

    Every entry (cell or total) under ``threshold`` is hidden, and then the smallest further
    cells needed so that none of them can be recovered from the published rows, columns and
    totals. Margins are assumed published, as they are the conservative case: a total printed
    elsewhere in the report can be used by a reader even if this table omits it.
    """
    if counts.index.has_duplicates or counts.columns.has_duplicates:
        raise ValueError("suppress_counts needs unique row and column labels")
    interior = counts.apply(pd.to_numeric, errors="raise").astype(float)
    if (interior < 0).any().any():
        raise ValueError("suppress_counts: counts must be non-negative")
    table = _with_margins(interior, row_totals, column_totals)
    values = table.to_numpy()
    present = ~np.isnan(values)
    equations = _line_equations(values.shape, row_totals, column_totals)

    hidden = present & (values < threshold)
    while True:
        exposed = _recoverable(equations, hidden)
        if not exposed.any():
            break
        target = np.flatnonzero(exposed)[0]
        hidden = _hide_complement(target, values, present, hidden, equations, table.shape)

    return SuppressedTable(
        counts=table, hidden=pd.DataFrame(hidden, index=table.index, columns=table.columns)
    )


def _with_margins(interior: pd.DataFrame, row_totals: bool, column_totals: bool) -> pd.DataFrame:
    table = interior.copy()
    if row_totals:
        table[TOTAL_LABEL] = interior.sum(axis=1, min_count=1)
    if column_totals:
        table.loc[TOTAL_LABEL] = table.sum(axis=0, min_count=1)
    return table


def _line_equations(shape: tuple[int, int], row_totals: bool, column_totals: bool) -> np.ndarray:
    """One row per published total: +1 on the line's cells, -1 on its total (flattened)."""
    n_rows, n_cols = shape
    inner_rows = n_rows - 1 if column_totals else n_rows
    inner_cols = n_cols - 1 if row_totals else n_cols
    equations = []
    if row_totals:
        for i in range(n_rows):
            line = np.zeros(shape)
            line[i, :inner_cols] = 1.0
            line[i, inner_cols] = -1.0
            equations.append(line.ravel())
    if column_totals:
        for j in range(n_cols):
            line = np.zeros(shape)
            line[:inner_rows, j] = 1.0
            line[inner_rows, j] = -1.0
            equations.append(line.ravel())
    return np.array(equations).reshape(len(equations), n_rows * n_cols)


def _recoverable(equations: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Flattened mask of hidden entries whose value the published entries pin down."""
    hidden_flat = hidden.ravel()
    exposed = np.zeros_like(hidden_flat)
    hidden_idx = np.flatnonzero(hidden_flat)
    if hidden_idx.size == 0 or equations.size == 0:
        return exposed
    # Equations that touch no hidden entry say nothing about them; dropping them keeps the
    # SVD small.
    restricted = equations[:, hidden_idx]
    restricted = restricted[np.abs(restricted).sum(axis=1) > 0]
    if restricted.shape[0] == 0:
        return exposed
    freedom = null_space(restricted)
    if freedom.shape[1] == 0:
        exposed[hidden_idx] = True
    else:
        exposed[hidden_idx] = np.abs(freedom).max(axis=1) <= _NULL_TOLERANCE
    return exposed


def _hide_complement(
    target: int,
    values: np.ndarray,
    present: np.ndarray,
    hidden: np.ndarray,
    equations: np.ndarray,
    shape: tuple[int, int],
) -> np.ndarray:
    """Hide one more entry so that ``target`` becomes, or gets closer to, unrecoverable.

    Candidates are tried smallest count first, cells before totals, to lose as little as
    possible. The first whose hiding alone protects ``target`` wins; if none does, the
    smallest entry sharing a line with ``target`` is hidden and the caller's loop goes on.
    """
    candidates = np.flatnonzero((present & ~hidden).ravel())
    if candidates.size == 0:
        return hidden | present
    is_margin = _margin_mask(equations, shape).ravel()
    flat_values = values.ravel()
    order = sorted(candidates, key=lambda k: (is_margin[k], flat_values[k], k))
    for candidate in order:
        trial = hidden.copy()
        trial.flat[candidate] = True
        if not _recoverable(equations, trial)[target]:
            return trial
    row, col = divmod(target, shape[1])
    on_lines = [k for k in order if k // shape[1] == row or k % shape[1] == col]
    trial = hidden.copy()
    trial.flat[on_lines[0] if on_lines else order[0]] = True
    return trial


def _margin_mask(equations: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Entries that are totals: the ones carrying a -1 in some line equation."""
    return (equations < 0).any(axis=0).reshape(shape)
