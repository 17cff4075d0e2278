"""Small-cell suppression: nothing under 10 is published, and nothing hidden can be recovered.

The recovery check plays the attacker with linear programming: from every published entry
and the table's additivity (cells sum to their totals), it computes the smallest and largest
value a hidden cell could take. An interval of width zero means the cell was recovered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from pipelines.privacy.suppression import MIN_CELL_SIZE, TOTAL_LABEL, suppress_counts


def feasible_range(
    table: pd.DataFrame, hidden: pd.DataFrame, row: object, col: object
) -> tuple[float, float]:
    """The range a reader can deduce for one hidden entry from the published ones."""
    values = table.to_numpy(dtype=float)
    mask = hidden.to_numpy()
    unknown = [(i, j) for i, j in zip(*np.nonzero(mask), strict=True)]
    index = {cell: k for k, cell in enumerate(unknown)}
    known = np.where(mask | np.isnan(values), 0.0, values)
    has_row_totals = TOTAL_LABEL in table.columns
    has_col_totals = TOTAL_LABEL in table.index
    n_rows, n_cols = values.shape
    lines = []
    if has_row_totals:
        lines += [
            [(i, j, 1.0) for j in range(n_cols - 1)] + [(i, n_cols - 1, -1.0)]
            for i in range(n_rows)
        ]
    if has_col_totals:
        lines += [
            [(i, j, 1.0) for i in range(n_rows - 1)] + [(n_rows - 1, j, -1.0)]
            for j in range(n_cols)
        ]
    a_eq, b_eq = [], []
    for line in lines:
        coefficients = np.zeros(len(unknown))
        constant = 0.0
        for i, j, sign in line:
            if (i, j) in index:
                coefficients[index[(i, j)]] += sign
            else:
                constant += sign * known[i, j]
        if coefficients.any():
            a_eq.append(coefficients)
            b_eq.append(-constant)
    target = np.zeros(len(unknown))
    target[index[(table.index.get_loc(row), table.columns.get_loc(col))]] = 1.0
    bounds = [(0, None)] * len(unknown)
    low = linprog(target, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds)
    high = linprog(-target, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds)
    assert low.status == 0
    # An unbounded maximum (no equation limits the cell) is the safest outcome of all.
    return low.fun, (np.inf if high.status == 3 else -high.fun)


def assert_protected(result) -> None:
    """No entry under the threshold is published and no hidden entry is pinned down."""
    table, hidden = result.counts, result.hidden
    small = table.notna() & (table < MIN_CELL_SIZE)
    assert not (small & ~hidden).any().any(), "a count under 10 is published"
    for row, col in hidden.stack().loc[lambda s: s].index:
        low, high = feasible_range(table, hidden, row, col)
        assert high - low > 0.5, f"hidden entry ({row}, {col}) is recoverable: [{low}, {high}]"


def test_table_without_small_cells_is_published_whole() -> None:
    counts = pd.DataFrame({"2012": [120, 45], "2013": [130, 50]}, index=["Cohort", "Others"])
    result = suppress_counts(counts)
    assert not result.hidden.any().any()
    assert result.counts.loc[TOTAL_LABEL, TOTAL_LABEL] == 345
    assert result.published().loc["Cohort", TOTAL_LABEL] == 250


def test_one_small_cell_in_two_by_two_hides_the_interior_and_keeps_the_totals() -> None:
    counts = pd.DataFrame([[3, 50], [40, 60]], index=["a", "b"], columns=["x", "y"])
    result = suppress_counts(counts)
    published = result.published()
    assert (published.loc[["a", "b"], ["x", "y"]] == "*").all().all()
    assert published.loc["a", TOTAL_LABEL] == 53
    assert published.loc[TOTAL_LABEL, "x"] == 43
    assert_protected(result)


def test_threshold_is_strict_ten_is_published_nine_is_not() -> None:
    # No totals, so no complementary suppression: only the threshold decides.
    counts = pd.DataFrame({"n": [10, 9, 200, 0]}, index=list("abcd"))
    result = suppress_counts(counts, row_totals=False, column_totals=False)
    assert result.published()["n"].tolist() == [10, "*", 200, "*"]


def test_single_column_list_with_total_hides_a_second_school() -> None:
    counts = pd.DataFrame({"n": [7, 400, 35, 900]}, index=["A", "B", "C", "D"])
    result = suppress_counts(counts, row_totals=False)
    published = result.published()
    assert published.loc["A", "n"] == "*"
    # The complement is the smallest other school, so the least information is lost.
    assert published.loc["C", "n"] == "*"
    assert published.loc["B", "n"] == 400
    assert published.loc[TOTAL_LABEL, "n"] == 1342
    assert_protected(result)


def test_small_total_is_itself_suppressed() -> None:
    counts = pd.DataFrame({"2012": [4, 3], "2013": [100, 200]}, index=["a", "b"])
    result = suppress_counts(counts)
    assert result.hidden.loc[TOTAL_LABEL, "2012"]
    assert_protected(result)


def test_missing_cells_are_shown_missing_and_never_hidden() -> None:
    counts = pd.DataFrame([[3.0, 50.0, np.nan], [40.0, 60.0, 5.0], [100.0, 200.0, 300.0]])
    result = suppress_counts(counts)
    assert result.published().iloc[0, 2] is None
    assert not result.hidden.iloc[0, 2]
    assert_protected(result)


def test_cell_bridging_two_hidden_groups_is_protected() -> None:
    # Two separate 2x2 blocks of small cells joined through one row: the "two hidden cells
    # per line" rule would be satisfied by the blocks alone, yet a cell that is the only link
    # between them could still be solved for. The exact check must catch any such pattern.
    counts = pd.DataFrame(
        [
            [5, 6, 300, 400, 500],
            [7, 8, 310, 410, 510],
            [200, 210, 4, 6, 520],
            [220, 230, 7, 9, 530],
        ]
    )
    assert_protected(suppress_counts(counts))


@pytest.mark.parametrize("seed", range(25))
def test_random_tables_are_protected(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows, n_cols = rng.integers(1, 6), rng.integers(1, 7)
    counts = rng.integers(10, 400, size=(n_rows, n_cols)).astype(float)
    small = rng.random((n_rows, n_cols)) < 0.2
    counts[small] = rng.integers(0, MIN_CELL_SIZE, size=small.sum())
    counts[rng.random((n_rows, n_cols)) < 0.05] = np.nan
    row_totals, column_totals = bool(rng.integers(2)), bool(rng.integers(2))
    result = suppress_counts(
        pd.DataFrame(counts), row_totals=row_totals, column_totals=column_totals
    )
    assert_protected(result)


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        suppress_counts(pd.DataFrame({"n": [5, -1]}))


def test_a_column_whose_group_subtotals_are_published_elsewhere_stays_protected() -> None:
    """The partnered-schools table lists each school's count; the report also shows each
    cohort's count (their sum). Suppressed as one column, a cohort's small school could be
    worked out from its cohort-mates and that subtotal; suppressed by group, it cannot."""
    from pipelines.report.render.tables import count_column

    counts = pd.Series([6, 120, 130, 95, 300, 45, 260])
    cohorts = pd.Series([2012, 2012, 2012, 2012, 2013, 2013, 2013])
    hidden_flags = [cell.css_class == "n suppressed" for cell in count_column(counts, cohorts)]
    *school_hidden, total_hidden = hidden_flags
    assert school_hidden[0] and not total_hidden
    # What a reader knows: the visible school counts and every cohort's subtotal.
    table = pd.DataFrame({c: counts.where(cohorts == c) for c in cohorts.unique()})
    table.loc[TOTAL_LABEL] = table.sum()
    hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
    for i, cohort in enumerate(cohorts):
        hidden.loc[i, cohort] = school_hidden[i]
    for row, col in hidden.stack().loc[lambda s: s].index:
        low, high = feasible_range(table, hidden, row, col)
        assert high - low > 0.5, f"school {row} is recoverable: [{low}, {high}]"
    # The 2013 cohort has no small school: nothing of it is hidden.
    assert not any(school_hidden[4:])


def test_without_groups_a_column_is_suppressed_against_its_total_only() -> None:
    from pipelines.report.render.tables import count_column

    counts = pd.Series([6, 120, 130, 95, 300, 45, 260])
    flags = [cell.css_class == "n suppressed" for cell in count_column(counts)]
    # One school under 10 and one complement (the smallest other), total shown.
    assert flags == [True, False, False, False, False, True, False, False]
