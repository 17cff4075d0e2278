"""Plotly conventions for every chart in the report.

Charts are embedded as divs that call the single inline copy of plotly.js in the page head,
so no chart carries its own library and nothing is fetched from a CDN. A small custom
template replaces plotly's default one, which would otherwise be serialized into each chart.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pipelines.report.render.formatting import html_text

FONT_STACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", '
    '"Liberation Sans", sans-serif'
)
COMPARISON_COLOR = "#6b7280"
COHORT_COLORS = ("#1d4ed8", "#c2410c", "#047857", "#7c3aed", "#b91c1c", "#0e7490")
SUBJECT_COLORS = ("#1d4ed8", "#c2410c", "#047857", "#7c3aed")
CHART_HEIGHT_PX = 440

# typesetMath off: plotly.js would otherwise look for MathJax when a label contains "$".
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "typesetMath": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

_AXIS = {
    "showgrid": True,
    "gridcolor": "#e5e7eb",
    "zeroline": False,
    "showline": True,
    "linecolor": "#9ca3af",
    "ticks": "outside",
    "tickcolor": "#9ca3af",
    "automargin": True,
}

TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT_STACK, "size": 13, "color": "#1f2937"},
        # Title at the top left, legend above the plot: neither can collide with axis titles.
        "title": {
            "x": 0.0,
            "xref": "container",
            "xanchor": "left",
            "y": 1.0,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 14, "l": 12},
            "font": {"size": 16},
        },
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(COHORT_COLORS),
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "margin": {"l": 80, "r": 30, "t": 100, "b": 60},
        "legend": {
            "orientation": "h",
            "x": 0.0,
            "xanchor": "left",
            "y": 1.02,
            "yanchor": "bottom",
            "itemsizing": "constant",
        },
        "hoverlabel": {"font": {"family": FONT_STACK}},
    }
)


def cohort_color(cohort: int, cohorts: list[int]) -> str:
    """Stable colour per cohort; comparison schools (0) are grey."""
    if cohort == 0:
        return COMPARISON_COLOR
    treated = sorted(c for c in cohorts if c != 0)
    return COHORT_COLORS[treated.index(cohort) % len(COHORT_COLORS)]


def subject_color(index: int) -> str:
    return SUBJECT_COLORS[index % len(SUBJECT_COLORS)]


def interval_bars(estimate: pd.Series, lower: pd.Series, upper: pd.Series, **style) -> dict:
    """Plotly error bars (``error_x`` or ``error_y``) from an estimate to its interval's ends,
    which need not be symmetric around it; ``style`` adds color, thickness, width."""
    return {
        "type": "data",
        "symmetric": False,
        "array": upper - estimate,
        "arrayminus": estimate - lower,
        **style,
    }


def figure_block(
    fig: go.Figure,
    div_id: str,
    reading: str,
    height_px: int = CHART_HEIGHT_PX,
    print_height_px: int | None = None,
) -> str:
    """A chart with its one-line reading underneath, as an HTML fragment.

    ``height_px``: its height on screen (a chart of many rows needs more than the default).
    Printed, a chart is redrawn at a fixed share of its screen height, or at
    ``print_height_px`` when given (a chart of many labelled rows needs a height per row).

    Refuses a chart without a title or axis titles: every figure in the report must say
    what it shows and in which units.
    """
    fig.update_layout(template=TEMPLATE)
    layout = fig.layout
    if not layout.title.text:
        raise ValueError(f"figure {div_id} has no title")
    for axis_name in ("xaxis", "yaxis"):
        if not getattr(layout, axis_name).title.text:
            raise ValueError(f"figure {div_id} has no {axis_name} title")
    chart = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config=PLOTLY_CONFIG,
        default_height=f"{height_px}px",
        default_width="100%",
    )
    printed = f' data-print-height="{print_height_px}"' if print_height_px else ""
    return (
        f'<figure class="chart"{printed} aria-label="{html_text(layout.title.text)}">{chart}'
        f'<figcaption class="reading">{html_text(reading)}</figcaption></figure>'
    )


def mark_test_changes(fig: go.Figure, tests: pd.DataFrame, first_year: int, last_year: int) -> None:
    """Vertical lines where the state test changed, and shading over years with no test.

    Scores are re-standardized within each test, so a jump at a line is a change of
    yardstick, not of learning.
    """
    ordered = tests.sort_values("first_year")
    for row in ordered.iloc[1:].itertuples():
        if first_year < row.first_year <= last_year:
            fig.add_vline(
                x=row.first_year - 0.5,
                line={"dash": "dash", "color": "#9ca3af", "width": 1},
                annotation={"text": str(row.test), "textangle": -90, "font": {"size": 11}},
                annotation_position="top left",
            )
    for year in untested_years(ordered, first_year, last_year):
        fig.add_vrect(
            x0=year - 0.5,
            x1=year + 0.5,
            fillcolor="#f3f4f6",
            line_width=0,
            layer="below",
            annotation={"text": "no test", "font": {"size": 11, "color": "#6b7280"}},
            annotation_position="bottom",
        )


def untested_years(tests: pd.DataFrame, first_year: int, last_year: int) -> list[int]:
    """Years in the span that no test covers (2020: testing was cancelled)."""
    covered = set()
    for row in tests.itertuples():
        covered.update(range(int(row.first_year), int(row.last_year) + 1))
    return [year for year in range(first_year, last_year + 1) if year not in covered]


def years_test_changed(tests: pd.DataFrame) -> list[int]:
    """First spring year of each test after the earliest one."""
    return sorted(int(y) for y in tests["first_year"])[1:]
