"""The demo state through the whole pipeline: subgroup effects against the generator's truth.

The truth file's ``att_by_subgroup`` holds, for every subject × dimension × subgroup, the pooled
post-period ATT the pipeline estimates (its estimand is described beside it). The generator
makes the effect larger for students in the lowest prior-achievement third and for
economically disadvantaged students, and the same for everyone else: the confirmatory
equality tests must find the first two differences.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from pipelines.estimates.covariates import ID
from pipelines.estimates.panel import subject_panels
from pipelines.estimates.specification import load_analysis
from pipelines.estimates.subgroups import _counts, estimate_subject, subgroup_panel
from tests.test_report_pipeline import shared_run
from tests.test_subgroups import COUNTS, recoverable_counts

pytestmark = pytest.mark.slow  # one demo pipeline run, shared with the other demo tests
KEYS = ["subject", "dimension", "subgroup"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    run = shared_run(tmp_path_factory, "demo", 2012)
    assert run.result.success
    estimates = run.data / "estimates"
    cells = pd.read_parquet(estimates / "estimates_subgroups.parquet")
    tests = pd.read_parquet(estimates / "estimates_subgroup_tests.parquet")
    truth = pd.DataFrame(json.loads(run.truth.read_text())["att_by_subgroup"])
    marts = (run.data / "marts").resolve()
    return run, cells, tests, truth, marts


def test_the_truth_is_inside_the_interval_of_most_published_cells(demo) -> None:
    _, cells, _, truth, _ = demo
    shown = cells[~cells["suppressed"]].merge(truth, on=KEYS, how="left", validate="1:1")
    assert shown["true_att"].notna().all()  # every published label has its truth
    inside = (shown["ci_lower"] <= shown["true_att"]) & (shown["true_att"] <= shown["ci_upper"])
    for row in shown.itertuples():
        print(
            f"{row.subject:8} {row.dimension:27} {row.subgroup:16} {row.att:7.3f} "
            f"[{row.ci_lower:6.3f}, {row.ci_upper:6.3f}] truth {row.true_att:6.3f} "
            f"q {row.q_value:.3f}"
        )
    print(f"truth inside the 95% interval: {inside.sum()} of {len(shown)} published cells")
    assert len(shown) >= 30
    assert inside.mean() >= 0.85


def _differences(run, truth: pd.DataFrame) -> pd.DataFrame:
    differences = pd.read_parquet(run.data / "estimates" / "estimates_subgroup_differences.parquet")
    true_att = truth.set_index(KEYS)["true_att"]
    differences["true_difference"] = [
        true_att[s, d, g] - true_att[s, d, r]
        for s, d, g, r in differences[
            ["subject", "dimension", "subgroup", "compared_with"]
        ].itertuples(index=False)
    ]
    return differences


def test_the_confirmatory_differences_put_in_are_detected_where_the_data_can_see_them(
    demo,
) -> None:
    """The generator makes the effect larger for the lowest prior-achievement third and for
    economically disadvantaged students, in every subject. A difference the design detects
    with 97.5% probability (at least 1.4 times its pair's minimum detectable difference, 2.80
    standard errors at 80% power) must be found; any other is either found or reported with
    what the data can detect. benchmarks/subgroup_power.py gives the detection rates over
    several states."""
    run, _, tests, truth, _ = demo
    differences = _differences(run, truth)
    print(tests.drop(columns="test").to_string())
    confirmatory = tests[tests["family"] == "confirmatory"].set_index(["subject", "dimension"])
    assert set(confirmatory.index.get_level_values("dimension")) == {
        "prior_achievement",
        "economically_disadvantaged",
    }
    for (subject, dimension), test in confirmatory.iterrows():
        mine = differences[
            (differences["subject"] == subject) & (differences["dimension"] == dimension)
        ]
        put_in = mine.loc[mine["true_difference"].abs().idxmax()]
        found = test["q_value"] < 0.05
        print(
            f"{subject:8} {dimension:27} put in {put_in['true_difference']:.3f} "
            f"({put_in['subgroup']} - {put_in['compared_with']}), estimated "
            f"{put_in['difference']:.3f} (se {put_in['se']:.3f}), dimension's mde "
            f"{test['mde_difference']:.3f}, q {test['q_value']:.3f}"
        )
        powered = (mine["true_difference"].abs() >= 1.4 * 2.802 * mine["se"]).any()
        if powered:
            assert found, (subject, dimension)
        if found:  # in the direction the generator put in
            assert np.sign(put_in["difference"]) == np.sign(put_in["true_difference"])
    # On this state (seed 2012): poverty in ELA and math, prior achievement in math.
    detected = confirmatory.index[confirmatory["q_value"] < 0.05]
    assert {
        ("ela", "economically_disadvantaged"),
        ("math", "economically_disadvantaged"),
        ("math", "prior_achievement"),
    } <= set(detected)
    # Gender makes no difference in the generator: no test claims one.
    gender = tests[tests["dimension"] == "gender"]
    assert (gender["q_value"] > 0.05).all()


def test_the_truth_is_inside_the_interval_of_most_published_differences(demo) -> None:
    run, _, _, truth, _ = demo
    differences = _differences(run, truth)
    shown = differences[~differences["suppressed"]]
    inside = (shown["ci_lower"] <= shown["true_difference"]) & (
        shown["true_difference"] <= shown["ci_upper"]
    )
    print(f"truth inside the 95% interval: {inside.sum()} of {len(shown)} published differences")
    assert len(shown) >= 25
    assert inside.mean() >= 0.85


def _true_counts(marts, cells: pd.DataFrame) -> pd.DataFrame:
    """Every cell's student counts recomputed from the published marts as the pipeline does."""
    analysis = load_analysis()
    spec = analysis.specifications[analysis.subgroups.specification]
    school_subgroups = pd.read_parquet(marts / "school_subgroups.parquet")
    panels = {
        p.subject: p
        for p in subject_panels(pd.read_parquet(marts / "school_panel.parquet"), analysis)
    }
    rows = []
    for cell in cells.itertuples():
        sample, _, _ = panels[cell.subject].sample(spec.covariates)
        mine = school_subgroups[
            (school_subgroups["subject"] == cell.subject)
            & (school_subgroups["dimension"] == cell.dimension)
            & (school_subgroups["subgroup"] == cell.subgroup)
        ]
        frame = subgroup_panel(sample, mine)
        partnered, comparison = _counts(frame) if frame[ID].nunique() else (0, 0)
        rows.append((cell.subject, cell.dimension, cell.subgroup, partnered, comparison))
    return pd.DataFrame(rows, columns=[*KEYS, *COUNTS])


def _check_privacy(cells: pd.DataFrame, marts, min_students: int) -> int:
    """Every cell under ``min_students`` (counts recomputed from the marts) has no estimate and
    no counts, every estimate shown rests on enough students in both groups, published counts
    are the true ones, and no hidden count can be solved from what is shown plus every total.
    Returns the number of cells under the threshold."""
    true_counts = _true_counts(marts, cells)
    merged = cells.merge(true_counts, on=KEYS, suffixes=("", "_true"), validate="1:1")
    small = (merged[[f"{c}_true" for c in COUNTS]] < min_students).any(axis=1)
    print(
        f"{int(small.sum())} cells under {min_students} students; "
        f"{int(merged['suppressed'].sum())} suppressed; "
        f"{int(merged['n_students'].isna().sum())} with counts hidden"
    )
    assert merged.loc[small, "suppressed"].all()
    assert (
        merged.loc[small, ["att", "se", "ci_lower", "ci_upper", "p_value", *COUNTS]]
        .isna()
        .all()
        .all()
    )
    assert (~small[~merged["suppressed"]]).all()
    shown = merged["n_students"].notna()
    assert (merged.loc[shown, "n_students"] == merged.loc[shown, "n_students_true"]).all()
    for (subject, dimension), rows in merged.groupby(["subject", "dimension"]):
        truth = rows[[f"{c}_true" for c in COUNTS]].set_axis(COUNTS, axis=1)
        assert (
            recoverable_counts(rows.reset_index(drop=True), truth.reset_index(drop=True)) == []
        ), (subject, dimension)
    return int(small.sum())


def test_no_published_cell_rests_on_fewer_than_10_students_and_none_can_be_recovered(
    demo,
) -> None:
    _, cells, _, _, marts = demo
    _check_privacy(cells, marts, min_students=10)


def test_with_a_higher_threshold_the_demo_cells_under_it_are_suppressed_unrecoverably(
    demo,
) -> None:
    """The demo state has (nearly) no cell under 10 students, so the rule is also run on its
    real marts with a threshold that many cells fall under: the suppression and the
    complementary suppression must then hold on real estimates, not only on built tables."""
    _, published, _, _, marts = demo
    analysis = load_analysis()
    threshold = int(published["n_students"].dropna().quantile(0.25))
    strict = dataclasses.replace(
        analysis, subgroups=dataclasses.replace(analysis.subgroups, min_students=threshold)
    )
    panels = subject_panels(pd.read_parquet(marts / "school_panel.parquet"), strict)
    school_subgroups = pd.read_parquet(marts / "school_subgroups.parquet")
    frames = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the estimator's small-sample warnings
        for panel in panels:
            cells = estimate_subject(panel, school_subgroups, strict).cells
            frames.append(cells.assign(subject=panel.subject))
    cells = pd.concat(frames, ignore_index=True)
    small = _check_privacy(cells, marts, min_students=threshold)
    assert small >= 10
    # Complementary suppression hid counts of cells large enough to be shown.
    assert (cells["n_students"].isna() & ~cells["suppressed"]).any()
