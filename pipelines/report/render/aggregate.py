"""Summaries of the school panel that the report needs and the estimators do not produce."""

from __future__ import annotations

import pandas as pd


def trends_from_panel(
    panel: pd.DataFrame,
    yname: str = "mean_z",
    tname: str = "year",
    gname: str = "cohort",
    idname: str = "school_id",
    weightsname: str = "n_tested",
    subject: str = "subject",
) -> pd.DataFrame:
    """Student-weighted mean outcome of each cohort (0 = comparison schools) per subject-year.

    ``panel`` is the school × subject × year panel with each school's cohort merged on; the
    column names follow the ``att_gt`` arguments. Returns the ``trends`` frame of
    :class:`~pipelines.report.render.inputs.ReportInputs`: ``subject``, ``cohort``, ``year``,
    ``mean_z``, ``n_students``, ``n_schools``. Rows with a missing outcome or weight are
    left out (as are rows with no students), so every mean is over the students it counts.
    """
    used = panel[[subject, gname, tname, idname, yname, weightsname]].dropna()
    used = used[used[weightsname] > 0]
    used = used.assign(_weighted=used[yname] * used[weightsname])
    grouped = used.groupby([subject, gname, tname], sort=True)
    trends = grouped.agg(
        _weighted=("_weighted", "sum"),
        n_students=(weightsname, "sum"),
        n_schools=(idname, "nunique"),
    ).reset_index()
    trends["mean_z"] = trends["_weighted"] / trends["n_students"]
    trends = trends.rename(columns={subject: "subject", gname: "cohort", tname: "year"})
    return trends[["subject", "cohort", "year", "mean_z", "n_students", "n_schools"]]
