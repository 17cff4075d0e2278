"""Event study: the effect by years since partnering began, and the pre-trend test in words."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pipelines.report.render import claims
from pipelines.report.render.figures import figure_block, interval_bars, subject_color
from pipelines.report.render.formatting import html_text, signed, subject_label
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section


def render(inputs: ReportInputs) -> Section:
    ref = signed(str(inputs.reference_period))
    parts = [
        "<p>Each point is the average difference between partnered schools and their "
        "comparison schools, a given number of years before or after partnering began "
        f"(0 = first partnered year), with its 95% confidence interval. The reference period "
        f"is event time {ref}, the last year before partnering: effects are measured against "
        "it. Points left of the dotted line are checks: if partnered and comparison schools "
        "were on parallel paths before the program, they should sit near zero.</p>"
    ]
    for index, subject in enumerate(inputs.subjects):
        frame = inputs.event_study[inputs.event_study["subject"] == subject]
        parts.append(_figure(frame, subject, index, inputs.reference_period))
        parts.append(f'<p class="note">{html_text(pretrend_words(inputs.pretrend, subject))}</p>')
    return Section("event-study", "Event study", "".join(parts), part="findings")


def pretrend_rejected(pretrend: pd.DataFrame) -> list[str]:
    """The subjects whose joint pre-trend test rejects parallel pre-program trends."""
    return claims.pretrend_rejected(pretrend)


def pretrend_words(pretrend: pd.DataFrame, subject: str) -> str:
    """The joint pre-trend test, said plainly, for one subject."""
    return claims.pretrend_sentence(pretrend, subject)


def _figure(frame: pd.DataFrame, subject: str, index: int, reference_period: int) -> str:
    frame = frame.sort_values("event_time")
    color = subject_color(index)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=frame["event_time"],
            y=frame["att"],
            mode="markers+lines",
            name="Estimate with 95% CI",
            line={"color": color, "width": 1.5},
            marker={"size": 8, "color": color},
            error_y=interval_bars(
                frame["att"], frame["ci_lower"], frame["ci_upper"], color=color, thickness=1.5
            ),
            customdata=frame[["ci_lower", "ci_upper"]].to_numpy(),
            hovertemplate=(
                "Year %{x} since partnering: %{y:.3f} SD"
                "<br>95% CI %{customdata[0]:.3f} to %{customdata[1]:.3f}<extra></extra>"
            ),
        )
    )
    if reference_period not in set(frame["event_time"]):
        fig.add_trace(
            go.Scatter(
                x=[reference_period],
                y=[0.0],
                mode="markers",
                name="Reference period (0 by construction)",
                marker={"size": 10, "symbol": "diamond-open", "color": "#111827"},
                hovertemplate="Reference period<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": "#374151", "width": 1})
    fig.add_vline(
        x=-0.5,
        line={"dash": "dot", "color": "#6b7280"},
        annotation={"text": "partnering begins", "font": {"size": 11}},
        annotation_position="top right",
    )
    fig.update_layout(
        title=f"{subject_label(subject)}: effect by years since partnering began",
        xaxis_title="Years since partnering began (0 = first partnered year)",
        yaxis_title="Effect on mean score (SD)",
        xaxis={"dtick": 1},
        showlegend=True,
    )
    return figure_block(fig, f"fig-event-{index}", _reading(frame))


def _reading(frame: pd.DataFrame) -> str:
    return claims.event_study_sentence(frame)
