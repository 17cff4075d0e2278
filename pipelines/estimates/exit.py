"""The exit-aware analysis beside the intent-to-treat headline.

The headline counts a school as partnered from its cohort year on, also after it leaves the
program (intent to treat). This step estimates, with the headline specification's covariates
(each cohort adjusted for its own) and the same design (never-partnered comparisons, base year
g - 1, outcome regression), the effect by years a school has actually been partnered and the
path after it left
(``pipelines.did.exit_effects``), from the ``treatment`` mart's ``last_year``.
"""

from __future__ import annotations

import pandas as pd

from pipelines.estimates.covariates import GROUP, ID, TIME

ESTIMAND = "intent_to_treat"
"""What every existing specification estimates: partnered from the cohort year on."""

LAST = "last_year"


def with_last_year(frame: pd.DataFrame, treatment: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus each school's last partnered year (missing: still partnered or never)."""
    last = treatment.set_index(ID)[LAST] if LAST in treatment.columns else pd.Series(dtype=float)
    return frame.assign(**{LAST: frame[ID].map(last).astype("Float64").fillna(0).astype(float)})


def exit_analysis(
    frame: pd.DataFrame, outcome: str, covariates: list[str] | dict[int, list[str]] | None
) -> pd.DataFrame:
    """Columns: analysis (years_partnered, years_since_exit), key, att, se, ci_lower, ci_upper,
    n_schools. ``frame`` carries ``last_year`` (see :func:`with_last_year`)."""
    from pipelines.did import exit_effects

    result = exit_effects(
        frame, outcome, TIME, ID, GROUP, LAST, xformla=covariates or None
    ).to_frame()
    return result[["analysis", "key", "att", "se", "ci_lower", "ci_upper", "n_schools"]]
