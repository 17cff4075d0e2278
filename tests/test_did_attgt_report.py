"""Readable summaries and Plotly figures of att_gt and aggte results."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from pipelines.did import aggte, att_gt
from tests.test_did_attgt import MPDTA, dataset, fitted


def test_attgt_summary_lists_cells_intervals_and_pretest():
    result = fitted("mpdta_nev_dr")
    text = result.summary()
    assert "Comparison group: never treated. Method: doubly robust." in text
    assert "large-sample (as R did)" in text
    assert " 2004  2006    -0.1373     0.0364" in text
    assert "chi2(5) = 7.791, p = 0.1681" in text
    assert str(result) == text


def test_aggte_summary_states_the_overall_effect():
    default = att_gt(dataset("mpdta"), **MPDTA)
    text = aggte(default, type="dynamic").summary()
    assert text.startswith("Event study")
    assert "Average over post-treatment event times: ATT = -0.0772" in text
    assert "small-sample corrected" in text
    assert "event time" in text and "        -3" in text
    assert "Overall: ATT = -0.0400" in aggte(default, type="simple").summary()


def test_attgt_figure_has_one_panel_per_cohort_with_intervals():
    result = fitted("mpdta_nev_dr")
    figure = result.plot()
    assert isinstance(figure, go.Figure)
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles == [f"Cohort first treated in {g}" for g in (2004, 2006, 2007)]
    post = [trace for trace in figure.data if trace.name == "post"]
    first = post[0]
    cell = (result.group == 2004) & (result.time >= 2004)
    np.testing.assert_allclose(first.y, result.att[cell])
    np.testing.assert_allclose(first.error_y.array, (result.ci_upper - result.att)[cell])
    treatment_lines = [shape.x0 for shape in figure.layout.shapes if shape.line.dash == "dash"]
    assert treatment_lines == [2003.5, 2005.5, 2006.5]


@pytest.mark.parametrize("scenario", ["mpdta_nev_dr", "universal"])
def test_event_study_marks_reference_period(scenario):
    figure = aggte(fitted(scenario), type="dynamic").plot()
    reference = [trace for trace in figure.data if trace.name == "reference period"]
    assert len(reference) == 1 and list(reference[0].x) == [-1.0]
    assert [shape.x0 for shape in figure.layout.shapes if shape.line.dash == "dash"] == [-0.5]
    note = figure.layout.annotations[0].text
    if scenario == "universal":
        assert "relative to it" in note
    else:
        assert "each pre-treatment estimate compares" in note
    assert figure.layout.xaxis.title.text.startswith("event time")


def test_group_and_calendar_figures_show_the_overall_effect():
    result = fitted("mpdta_nev_dr")
    for kind in ("group", "calendar"):
        aggregated = aggte(result, type=kind)
        figure = aggregated.plot()
        np.testing.assert_allclose(figure.data[-1].y, aggregated.att)
        assert any(f"{aggregated.overall_att:.3f}" in a.text for a in figure.layout.annotations)
