"""Assessment layouts declared as data files: the built-in ones, validation errors naming file and
field, and the documented walk-through (docs/layouts.md) that adds the DRC layout, run as written.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import DagsterInstance, materialize

from pipelines.cli import main
from pipelines.ingest.assets import INGEST_ASSETS
from pipelines.layouts import ACAP, ASSESSMENT_LAYOUTS, detect_assessment_layout
from pipelines.layouts.declared import (
    LayoutFileError,
    assessment_layouts,
    builtin_layouts,
    layout_from_mapping,
)
from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import WarehouseResource
from tests.conftest import VENDOR_SAMPLES_DIR

DOCS = PROJECT_ROOT / "docs" / "layouts.md"
DRC = VENDOR_SAMPLES_DIR / "drc_sc_ready_2024_sample.csv"
ROSTER_2024 = """school_year,ncessch,leaid,system_code,school_code,school_name,system_name,level,\
gslo,gshi,school_type,charter,locale,enrollment,free_lunch,reduced_lunch
2024,010000100010,0100001,001,0010,Alpha School,Autauga County,Elementary,03,08,\
Regular School,No,41-Rural: Fringe,400,150,30
"""


def walkthrough_yaml() -> str:
    """The layout file of the walk-through, exactly as docs/layouts.md shows it."""
    text = DOCS.read_text()
    found = re.search(
        r"<!-- layout-walkthrough:begin -->\n```yaml\n(.*?)```\n<!-- layout-walkthrough:end -->",
        text,
        re.S,
    )
    assert found, "docs/layouts.md lost its walk-through block"
    return found.group(1)


def test_the_built_in_layouts_are_the_declared_files() -> None:
    folder = PROJECT_ROOT / "pipelines" / "layouts" / "declared"
    assert sorted(p.stem for p in folder.glob("*.yaml")) == sorted(
        layout.name for layout in ASSESSMENT_LAYOUTS
    )
    assert builtin_layouts() == ASSESSMENT_LAYOUTS
    assert [layout.name for layout in ASSESSMENT_LAYOUTS] == [
        "armt", "armt_plus", "act_aspire", "scantron", "acap"
    ]  # fmt: skip


def _walkthrough_mapping() -> dict:
    return yaml.safe_load(walkthrough_yaml())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["levels"].update(proficient=["3", "5"]),
            "field 'levels.proficient': '5' is not one of the labels",
        ),
        (lambda d: d.pop("student_id"), "field 'student_id': missing"),
        (lambda d: d.update(shape="tall"), "field 'shape': expected wide or long"),
        (
            lambda d: d["subjects"][1].update(subject="history"),
            "field 'subjects[1].subject': 'history' is not one of ela, math, science",
        ),
        (
            lambda d: d["score_ranges"][0].update(low=900, high=300),
            "field 'score_ranges[0].high': must be above low (900)",
        ),
        (lambda d: d.update(first_year="2024"), "field 'first_year': expected a whole number"),
        (
            lambda d: d.update(scale_scores="ELASS"),
            "field 'scale_scores': unknown field (known: ",
        ),
        (
            lambda d: d.update(columns=["TestAdmin", "StateID"]),
            "field 'columns': lacks the mapped column 'SchoolID'",
        ),
        (lambda d: d.update(name="acap"), "field 'name': 'acap' is already declared in "),
    ],
)
def test_a_bad_layout_file_is_refused_naming_the_file_and_field(
    tmp_path: Path, change, message: str
) -> None:
    data = _walkthrough_mapping()
    change(data)
    path = tmp_path / "drc_sc_ready.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(LayoutFileError) as caught:
        assessment_layouts(tmp_path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_a_layout_may_be_toml_and_a_broken_file_says_where(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    with pytest.raises(LayoutFileError, match=r"broken\.yaml: not valid YAML: "):
        assessment_layouts(tmp_path)
    with pytest.raises(LayoutFileError, match=r"\(top level\)': expected a mapping"):
        layout_from_mapping("x.yaml", ["a list"])


def test_a_bad_layout_file_stops_the_run_before_it_starts(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    (data_dir / "layouts").mkdir()
    broken = walkthrough_yaml().replace('proficient: ["3", "4"]', 'proficient: ["3", "5"]')
    (data_dir / "layouts" / "drc_sc_ready.yaml").write_text(broken)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["run"]) == 1
    assert out.getvalue().splitlines() == [
        f"ERROR layouts: {data_dir / 'layouts' / 'drc_sc_ready.yaml'}: field 'levels.proficient':"
        " '5' is not one of the labels",
        "The run did not start; the previous marts, estimates and report are untouched.",
    ]
    assert not (data_dir / "warehouse.duckdb").exists()


def _drc_export() -> str:
    """The DRC sample with a roster school code and scale scores (the sample is anonymized:
    ``SchoolID`` ``01``, blank scores); every other cell as the vendor wrote it."""
    with DRC.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, records = rows[0], rows[1:]
    position = {name: header.index(name) for name in ("SchoolID", "ELASS", "MathSS")}
    for number, record in enumerate(records):
        record[position["SchoolID"]] = "0010010"
        record[position["ELASS"]] = str(500 + number)
        record[position["MathSS"]] = str(600 + number)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *records])
    return out.getvalue()


def test_the_documented_walkthrough_loads_a_drc_export(data_dir: Path) -> None:
    # Without the agency's layout, the DRC header reads as ACAP (the built-in DRC layout).
    header = next(csv.reader(DRC.open(newline="")))
    assert detect_assessment_layout(header) is ACAP
    (data_dir / "layouts").mkdir()
    (data_dir / "layouts" / "drc_sc_ready.yaml").write_text(walkthrough_yaml())
    (data_dir / "raw" / "rosters").mkdir()
    (data_dir / "raw" / "rosters" / "ccd_2024.csv").write_text(ROSTER_2024)
    (data_dir / "raw" / "assessments").mkdir()
    (data_dir / "raw" / "assessments" / "sc_ready_2024.csv").write_text(_drc_export())

    result = materialize(
        INGEST_ASSETS,
        resources={"warehouse": WarehouseResource()},
        instance=DagsterInstance.ephemeral(),
    )

    assert result.success
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        ledger = conn.execute(
            "SELECT status, layout, rows_read, rows_loaded, rows_rejected FROM ingest_ledger "
            "WHERE source = 'assessments'"
        ).fetchall()
        scores = conn.execute(
            "SELECT test, school_year, subject, count(*) FROM stg_assessments GROUP BY ALL "
            "ORDER BY subject"
        ).fetchall()
        flags = conn.execute(
            "SELECT gender, race_ethnicity, economically_disadvantaged, english_learner, "
            "disability, section_504, migrant, count(*) FROM stg_assessment_records GROUP BY ALL"
        ).fetchall()
    assert ledger == [("loaded", "drc_sc_ready", 5, 5, 0)]
    assert scores == [("SC READY", 2024, "ela", 5), ("SC READY", 2024, "math", 5)]
    # The walk-through's flags: IEP N is no disability, empty Plan504 and Migrant cells mean
    # no (blank: false), empty Gender and race cells are unknown; meals and EL not declared.
    assert flags == [(None, None, None, None, False, False, False, 5)]
