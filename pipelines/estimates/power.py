"""What the design can detect: the headline specification's minimum detectable effect.

The MDE comes from the agency's own panel: the headline estimate's standard error (school-
clustered multiplier bootstrap, small-sample corrected) and the degrees of freedom of its t
interval, through ``pipelines.did.power`` (statsmodels' power routines). It is the true effect
the headline would detect with 80% probability at 5% (two-sided), in student SD units and as
WWC improvement-index percentile points.
"""

from __future__ import annotations

import pandas as pd

POWER = 0.8


def mde_row(overall: dict, alpha: float) -> pd.DataFrame:
    """One ``estimates_mde`` row (without specification and subject) from a headline fit."""
    from pipelines.did import improvement_index
    from pipelines.did.power import minimum_detectable_effect

    found = minimum_detectable_effect(overall["se"], overall["df"], alpha=alpha, power=POWER)
    return pd.DataFrame(
        [
            {
                "mde_sd": found.mde,
                "mde_percentile_points": float(improvement_index(found.mde)),
                "se": found.se,
                "df": found.df,
                "alpha": alpha,
                "power": POWER,
                "method": "headline SE and degrees of freedom; " + found.method,
                "n_treated_schools": overall["n_treated_schools"],
                "n_comparison_schools": overall["n_comparison_schools"],
            }
        ]
    )
