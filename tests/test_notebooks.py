"""The analysts' notebooks run top to bottom on the small state's published marts and estimates.

They are committed without outputs (a diff shows code, not stale numbers) and executed here
with nbclient, in a kernel started from another folder, so a path resolved relative to the
working directory instead of through ``pipelines.settings`` fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from pipelines.settings import PROJECT_ROOT
from tests.test_report_pipeline import small_run  # noqa: F401  (the shared pipeline run)

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.slow  # the shared small run, then a kernel per notebook (~4 s each)


def test_the_three_notebooks_are_there() -> None:
    assert [path.name for path in NOTEBOOKS] == [
        "01_explore_marts.ipynb",
        "02_event_study_specification.ipynb",
        "03_dose_response.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_published_tables(
    path: Path,
    small_run,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small_run.use(monkeypatch)
    notebook = nbformat.read(path, as_version=4)
    # The warehouse is moved away while the notebook runs: opening it would fail.
    warehouse = small_run.data / "warehouse.duckdb"
    parked = tmp_path / "parked-warehouse.duckdb"
    warehouse.rename(parked)
    try:
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": tmp_path}},
        ).execute()
    finally:
        parked.rename(warehouse)
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []


def test_make_notebooks_runs_them_on_the_published_tables(
    small_run,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``make notebooks``' own command, as the README documents it for the demo environment."""
    plan = subprocess.run(
        ["make", "-n", "notebooks"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    (command,) = [line for line in plan.splitlines() if "jupyter execute" in line]
    ran = subprocess.run(
        command,
        shell=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **small_run.environment},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    for path in NOTEBOOKS:
        assert f"Executing {path.relative_to(PROJECT_ROOT)}" in ran.stderr
