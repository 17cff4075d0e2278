"""HTML tables, including count tables published under small-cell suppression.

Every count of students that reaches the page goes through :func:`count_table` or
:func:`count_column`, so suppression cannot be forgotten by a section. Count cells carry the
class ``n`` so a test can check each one that is published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pipelines.privacy.suppression import MIN_CELL_SIZE, TOTAL_LABEL, suppress_counts
from pipelines.report.render.formatting import fmt_count, html_text

SUPPRESSED_MARK = "*"
SUPPRESSION_NOTE = (
    f"{SUPPRESSED_MARK} Hidden to protect student privacy: fewer than {MIN_CELL_SIZE} "
    "students, or hidden so that such a cell cannot be worked out from the totals."
)


@dataclass(frozen=True)
class Cell:
    """One table cell: its text (already formatted, not yet escaped) and CSS class."""

    text: str
    css_class: str = ""


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell | str]],
    caption: str,
    note: str | None = None,
    css_class: str = "",
) -> str:
    """A captioned table; the first column is the row header.

    ``css_class`` styles the wrapper (``compact``: a long table of short cells, set small).
    """
    table = [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in rows]
    head = "".join(
        f'<th scope="col"{_header_class(table, i)}>{html_text(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = []
    for cells in table:
        first, rest = cells[0], cells[1:]
        tds = "".join(_td(c) for c in rest)
        body.append(f'<tr><th scope="row">{html_text(first.text)}</th>{tds}</tr>')
    foot = f'<p class="table-note">{html_text(note)}</p>' if note else ""
    wrap = " ".join(filter(None, ["table-wrap", css_class]))
    return (
        f'<div class="{wrap}"><table><caption>{html_text(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{foot}</div>"
    )


def _header_class(table: list[list[Cell]], column: int) -> str:
    """Right-align the header of a column whose filled cells are all numbers."""
    filled = [row[column] for row in table if column < len(row) and row[column].text]
    numeric = filled and all({"n", "num"} & set(c.css_class.split()) for c in filled)
    return ' class="num"' if column > 0 and numeric else ""


def _td(cell: Cell) -> str:
    css = f' class="{cell.css_class}"' if cell.css_class else ""
    return f"<td{css}>{html_text(cell.text)}</td>"


def count_cells(published: pd.DataFrame) -> list[list[Cell]]:
    """Cells of a suppressed table: counts, the suppression mark, or blank when missing."""
    rows = []
    for _, values in published.iterrows():
        row = []
        for value in values:
            if value is None:
                row.append(Cell("–", "n missing"))
            else:
                row.append(_count_cell(value, value == SUPPRESSED_MARK))
        rows.append(row)
    return rows


def count_table(
    counts: pd.DataFrame,
    caption: str,
    row_header: str,
    row_totals: bool = True,
    column_totals: bool = True,
) -> str:
    """A two-way table of student counts with totals, small cells suppressed."""
    published = suppress_counts(counts, row_totals=row_totals, column_totals=column_totals)
    shown = published.published(SUPPRESSED_MARK)
    rows = [
        [Cell(str(label)), *cells]
        for label, cells in zip(shown.index, count_cells(shown), strict=True)
    ]
    headers = [row_header, *(str(c) for c in shown.columns)]
    return html_table(headers, rows, caption, note=SUPPRESSION_NOTE)


def count_column(counts: pd.Series, groups: pd.Series | None = None) -> pd.Series:
    """One column of student counts suppressed as if its total were published.

    With ``groups`` (one label per row), each group's subtotal counts as published too: use it
    when another table of the report shows those subtotals (the partnered schools of a cohort
    add up to that cohort's count there), so no hidden cell can be worked out from them either.
    Returns the cells (and the total under the label ``Total``) as :class:`Cell`s, for
    tables that mix counts with other columns.
    """
    labels = pd.Series("n", index=counts.index) if groups is None else groups
    # One column per group, each row's count in its own group's column: the table's column
    # totals are then exactly the group subtotals.
    by_group = pd.DataFrame({group: counts.where(labels == group) for group in labels.unique()})
    hidden = suppress_counts(by_group, row_totals=False).hidden
    position = {group: j for j, group in enumerate(by_group.columns)}
    column = [
        _count_cell(count, hidden.iat[i, position[label]])
        for i, (count, label) in enumerate(zip(counts, labels, strict=True))
    ]
    # The grand total is the sum of the group totals: publishable only when all of them are.
    total = _count_cell(counts.sum(), hidden.loc[TOTAL_LABEL].any())
    return pd.Series([*column, total], index=[*counts.index, TOTAL_LABEL])


def _count_cell(count: float, hidden: bool) -> Cell:
    return Cell(SUPPRESSED_MARK, "n suppressed") if hidden else Cell(fmt_count(count), "n")
