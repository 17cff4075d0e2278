"""Layout declarations: self-consistent, true to the real vendor samples, one per year."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines.layouts import (
    ACAP,
    ACT_ASPIRE,
    ASSESSMENT_LAYOUTS,
    SUBJECTS,
    TABLE_LAYOUTS,
    detect_assessment_layout,
    detect_table_layout,
    layout_for_year,
    missing_columns,
)
from tests.conftest import VENDOR_SAMPLES_DIR


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


@pytest.mark.parametrize("layout", ASSESSMENT_LAYOUTS, ids=lambda layout: layout.name)
def test_each_assessment_layout_is_self_consistent_and_detected_from_its_header(layout):
    assert set(layout.required_columns) <= set(layout.columns)
    assert set(layout.personal_columns) <= set(layout.columns)
    assert not set(layout.personal_columns) & set(layout.required_columns)
    assert len(set(layout.columns)) == len(layout.columns)
    assert {s.subject for s in layout.subjects} <= set(SUBJECTS)
    assert set(layout.levels.proficient) <= set(layout.levels.labels)
    for subject in layout.subjects:
        assert layout.tested_grades(subject.subject), f"{subject.subject} has no score range"
    assert (layout.date_format is None) == (layout.admin_column is not None)
    assert detect_assessment_layout(list(layout.columns)) is layout
    # Readers see reordered, padded, upper-cased headers with a byte-order mark.
    messy = [f" {name.upper()} " for name in reversed(layout.columns)]
    messy[0] = "\ufeff" + messy[0]
    assert detect_assessment_layout(messy) is layout


def test_a_header_missing_a_required_column_is_not_detected():
    header = [name for name in ACT_ASPIRE.columns if name != "Reading Scale Score"]
    assert detect_assessment_layout(header) is None
    assert missing_columns(ACT_ASPIRE, header) == ["Reading Scale Score"]
    assert detect_assessment_layout(["school", "student", "score"]) is None


def test_real_vendor_samples_are_detected_and_aspire_header_is_the_real_one():
    aspire = _header(VENDOR_SAMPLES_DIR / "act_aspire_2015_sample.csv")
    assert list(ACT_ASPIRE.columns) == aspire
    assert detect_assessment_layout(aspire) is ACT_ASPIRE
    assert (
        detect_assessment_layout(_header(VENDOR_SAMPLES_DIR / "drc_sc_ready_2024_sample.csv"))
        is ACAP
    )


def test_layouts_cover_the_tested_years_without_overlap():
    assert layout_for_year(2020) is None
    expected = {2008: "armt", 2012: "armt_plus", 2014: "act_aspire", 2018: "scantron", 2021: "acap"}
    for year, name in expected.items():
        assert layout_for_year(year).name == name
    years = [year for layout in ASSESSMENT_LAYOUTS for year in layout.years if year < 2030]
    assert len(years) == len(set(years))


@pytest.mark.parametrize("layout", TABLE_LAYOUTS, ids=lambda layout: layout.name)
def test_table_layouts_are_detected_and_their_column_roles_exist(layout):
    assert detect_table_layout(list(layout.columns)) is layout
    roles = (
        layout.key_columns
        + layout.nullable_columns
        + layout.code_columns
        + layout.integer_columns
        + layout.date_columns
        + layout.id_columns
        + layout.free_text_columns
        + tuple(column for column, _ in layout.allowed_values)
    )
    assert set(roles) <= set(layout.columns)
    assert detect_table_layout(list(layout.columns[:-1])) is None
