"""Which (g,t) cells att_gt estimates, and each cell's base period and comparison group.

The rules follow Callaway & Sant'Anna (2021) as R `did` 2.5.0 applies them:
- post-treatment cells (g <= t) compare period t with the last period before treatment
  (g - 1 - anticipation);
- pre-treatment cells compare t with the period before it ("varying" base period) or with the
  same g - 1 - anticipation period ("universal"), whose own cell is the reference, fixed at zero;
- "notyettreated" comparisons are units first treated after max(t, base) + anticipation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cell:
    group: float  # first treatment period of the cohort
    time: float  # calendar period of the estimate
    current: int  # index of `time` in the sorted periods
    base: int  # index of the base (comparison) period
    control_after: float | None  # comparison units are first treated after this; None = never
    is_reference: bool  # universal base period: the cell normalized to zero

    @property
    def earlier(self) -> int:
        """Index of the earlier of the two periods: covariates and weights are taken there."""
        return min(self.current, self.base)

    @property
    def post(self) -> bool:
        return self.group <= self.time


def enumerate_cells(
    periods: np.ndarray,
    groups: np.ndarray,
    *,
    base_period: str,
    anticipation: float,
    control_group: str,
) -> list[Cell]:
    """All cells in R's order: by cohort, then by period."""
    varying = base_period == "varying"
    cells = []
    for group in groups:
        last_pre = int(np.flatnonzero(periods + anticipation < group)[-1])
        for current in range(1 if varying else 0, len(periods)):
            time = float(periods[current])
            base = current - 1 if varying and time < group else last_pre
            control_after = None
            if control_group == "notyettreated":
                control_after = float(periods[max(current, base)] + anticipation)
            cells.append(
                Cell(
                    group=float(group),
                    time=time,
                    current=current,
                    base=base,
                    control_after=control_after,
                    is_reference=(not varying) and base == current,
                )
            )
    return cells


def comparison_mask(unit_group: np.ndarray, cell: Cell) -> np.ndarray:
    """Units (or rows) that serve as comparisons for a cell."""
    if cell.control_after is None:
        return np.isinf(unit_group)
    return (unit_group > cell.control_after) & (unit_group != cell.group)
