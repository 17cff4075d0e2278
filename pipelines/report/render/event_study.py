"""Event study: the effect by years since partnering began, and the pre-trend test in words."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pipelines.report.render.figures import figure_block, subject_color
from pipelines.report.render.formatting import fmt_p, fmt_sd, html_text, signed, subject_label
from pipelines.report.render.inputs import ReportInputs
from pipelines.report.render.page import Section

ALPHA = 0.05


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
    return Section("event-study", "Event study", "".join(parts))


def pretrend_rejected(pretrend: pd.DataFrame) -> list[str]:
    """The subjects whose joint pre-trend test rejects parallel pre-program trends."""
    return sorted(pretrend.loc[pretrend["p_value"] < ALPHA, "subject"].unique())


def pretrend_words(pretrend: pd.DataFrame, subject: str) -> str:
    """The joint pre-trend test, said plainly, for one subject."""
    rows = pretrend[pretrend["subject"] == subject]
    name = subject_label(subject)
    if rows.empty:
        return f"{name}: the joint pre-trend test was not computed in this run."
    row = rows.iloc[0]
    stats = (
        f"(Wald statistic = {row['statistic']:.2f} on {int(row['df'])} pre-program "
        f"differences, p = {fmt_p(row['p_value'])})"
    )
    if row["p_value"] < ALPHA:
        return (
            f"{name}: a joint test that all pre-program differences are zero rejects it {stats}. "
            "Partnered schools were already moving differently from comparison schools before "
            "partnering, so part of the estimated effect may reflect that earlier difference; "
            "the sensitivity analysis under “Do other methods agree” shows how much that matters."
        )
    return (
        f"{name}: a joint test that all pre-program differences are zero does not reject it "
        f"{stats}. Before partnering, partnered and comparison schools moved in parallel as far "
        "as the data can tell. This supports, but cannot prove, the assumption that they would "
        "have kept doing so without the program."
    )


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
            error_y={
                "type": "data",
                "symmetric": False,
                "array": frame["ci_upper"] - frame["att"],
                "arrayminus": frame["att"] - frame["ci_lower"],
                "color": color,
                "thickness": 1.5,
            },
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
    pre = frame[frame["event_time"] < 0]
    post = frame[frame["event_time"] >= 0]
    parts = []
    if not pre.empty:
        parts.append(
            f"before partnering the estimates range from {fmt_sd(pre['att'].min())} to "
            f"{fmt_sd(pre['att'].max())} SD"
        )
    if not post.empty:
        last = post.iloc[-1]
        parts.append(
            f"after it they range from {fmt_sd(post['att'].min())} to "
            f"{fmt_sd(post['att'].max())} SD, reaching {fmt_sd(last['att'])} SD in year "
            f"{int(last['event_time'])} (95% CI {fmt_sd(last['ci_lower'])} to "
            f"{fmt_sd(last['ci_upper'])})"
        )
    text = "; ".join(parts)
    return (text[0].upper() + text[1:] + ".") if text else "No event-study estimates in this run."
