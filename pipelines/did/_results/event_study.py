"""Tables, labels and the figure shared by the regression event studies.

`twfe`, `sun_abraham` and `did_imputation` report coefficients the same way (names
``event_time::e``, an estimate table with CRV1 or Theorem-3 errors, an event-study chart with
the reference period marked), so a reader can put their outputs side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.did._regression.fixed_effects import t_inference
from pipelines.did._results.base import Result

# Name prefix of event-time coefficients: "event_time::-1", as fixest prints `i(rel, ref)`.
EVENT_PREFIX = "event_time::"


class EventStudyResult(Result):
    """What the regression event-study results share, given their `coef`, `vcov`,
    `event_terms`, `event_times` (event-study block first), `alp`, `yname` and a `to_frame`
    with term, estimate, ci_lower and ci_upper columns (and event_time unless static)."""

    @property
    def se(self) -> pd.Series:
        return standard_errors(self.coef, self.vcov)

    @property
    def num_pre_periods(self) -> int:
        """Number of estimated leads (event times < 0), for HonestDiD."""
        return sum(e < 0 for e in self.event_times)

    @property
    def num_post_periods(self) -> int:
        """Number of estimated lags (event times ≥ 0), for HonestDiD."""
        return sum(e >= 0 for e in self.event_times)

    def _figure(
        self, label: str, title: str | None, ref_period: int | None = None, static: bool = False
    ):
        frame = self.to_frame()
        frame = frame[frame["term"].isin(self.event_terms)]
        level = round(100 * (1 - self.alp))
        return event_study_figure(
            frame,
            title=title or f"{label}: {self.yname} ({level}% CIs)",
            yname=self.yname,
            ref_period=ref_period,
            static=static,
        )


class ClusteredRegressionResult(EventStudyResult):
    """A result read off one clustered fixed-effects regression (`fit`), as `twfe` and
    `sun_abraham` give: t(G − 1) inference as fixest, the coefficient table and the sample
    lines of the summary. Besides `EventStudyResult`'s attributes it needs `fit`, `n_obs`,
    `n_units`, `n_clusters`, `cluster_var` and `n_dropped_missing`."""

    @property
    def df_t(self) -> int:
        """Degrees of freedom of the t reference distribution: clusters − 1, as fixest."""
        return self.fit.df_t

    def _term_event_times(self) -> dict[str, int] | None:
        """Event time of each event term for the frame's event_time column (None: no column)."""
        return dict(zip(self.event_terms, self.event_times, strict=True))

    def to_frame(self) -> pd.DataFrame:
        """One row per regressor (event terms, then covariates): estimate, CRV1 SE, t, p-value
        and CI (t with G − 1 df)."""
        return coefficient_frame(
            self.coef,
            self.se,
            self.df_t,
            self.alp,
            self.n_obs,
            self.n_clusters,
            self._term_event_times(),
        )

    def _sample_line(self) -> str:
        return (
            f"Observations: {self.n_obs}  units: {self.n_units}  "
            f"clusters ({self.cluster_var}): {self.n_clusters}"
        )

    def _missing_rows_lines(self) -> list[str]:
        if not self.n_dropped_missing:
            return []
        return [f"Rows dropped for missing values: {self.n_dropped_missing}."]


def cohort_label(value: float) -> str:
    """A cohort or period as printed in term names: 2004, not 2004.0."""
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


def standard_errors(coef: pd.Series, vcov: pd.DataFrame) -> pd.Series:
    """Square roots of the covariance diagonal, indexed like the coefficients."""
    return pd.Series(np.sqrt(np.diag(vcov.to_numpy())), index=coef.index)


def coefficient_frame(
    coef: pd.Series,
    se: pd.Series,
    df_t: int,
    alp: float,
    n_obs: int,
    n_clusters: int,
    event_times: dict[str, int] | None,
) -> pd.DataFrame:
    """One row per coefficient: term, event time (if given), estimate, se, t, p and CI."""
    inference = t_inference(coef.to_numpy(), se.to_numpy(), df_t, alp)
    frame = pd.DataFrame({"term": coef.index})
    if event_times is not None:
        frame["event_time"] = pd.array(
            [event_times.get(term) for term in coef.index], dtype="Int64"
        )
    frame["estimate"] = coef.to_numpy()
    frame["se"] = se.to_numpy()
    for key, values in inference.items():
        frame[key] = values
    frame["n_obs"] = n_obs
    frame["n_clusters"] = n_clusters
    return frame


def coefficient_lines(rows: pd.DataFrame, alp: float) -> list[str]:
    """A header and one text line per row of a `coefficient_frame`-like table."""
    level = round(100 * (1 - alp))
    lines = [f"{'term':<24}{'estimate':>11}{'se':>11}{'t':>8}{'p':>8}{f'{level}% CI':>24}"]
    for row in rows.itertuples(index=False):
        ci = f"[{row.ci_lower:.4f}, {row.ci_upper:.4f}]"
        lines.append(
            f"{row.term:<24}{row.estimate:>11.4f}{row.se:>11.4f}{row.t:>8.2f}"
            f"{row.p_value:>8.3f}{ci:>24}"
        )
    return lines


def event_study_figure(
    frame: pd.DataFrame,
    title: str,
    yname: str,
    ref_period: int | None = None,
    static: bool = False,
):
    """Plotly chart of estimates with their intervals from rows with estimate, ci_lower and
    ci_upper: against event_time, or (`static`) as one point at 0 without an event-time axis."""
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[0.0] if static else frame["event_time"].astype(float).tolist(),
            y=frame["estimate"],
            mode="markers" if static else "markers+lines",
            name="estimate",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": frame["ci_upper"] - frame["estimate"],
                "arrayminus": frame["estimate"] - frame["ci_lower"],
            },
        )
    )
    if ref_period is not None:
        figure.add_trace(
            go.Scatter(
                x=[ref_period],
                y=[0.0],
                mode="markers",
                marker={"symbol": "circle-open", "size": 11},
                name=f"reference period ({ref_period}), fixed at 0",
            )
        )
    if not static:
        figure.add_vline(x=-0.5, line_dash="dot", line_color="grey")
    figure.add_hline(y=0.0, line_color="black", line_width=1)
    figure.update_layout(
        title=title,
        xaxis_title="" if static else "years since first treated",
        yaxis_title=f"effect on {yname}",
    )
    return figure
