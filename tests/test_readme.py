"""The README's promises a newcomer tries first: the API example runs as written on the published
marts, and the layout table names every package of ``pipelines/``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import PROJECT_ROOT
from tests.test_report_pipeline import small_run  # noqa: F401  (the shared pipeline run)

README = PROJECT_ROOT / "README.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.slow
def test_the_readme_api_example_runs_as_written(small_run, tmp_path: Path) -> None:  # noqa: F811
    (example,) = [b for b in _python_blocks(README.read_text()) if "att_gt" in b]
    script = tmp_path / "example.py"
    script.write_text(example)
    ran = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,  # an analyst's own folder: paths come from the settings, not the cwd
        env={**os.environ, **small_run.environment},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "Event study" in ran.stdout and "event time" in ran.stdout


def test_the_layout_table_lists_every_package() -> None:
    text = README.read_text()
    layout = text[text.index("## Layout") :]
    layout = layout[: layout.index("\n## ", 5)]
    listed = set(re.findall(r"`(pipelines/[\w/]+?)/?`", layout))
    packages = {
        path.parent.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / "pipelines").glob("*/__init__.py")
    }
    assert packages <= listed, f"README layout table misses {sorted(packages - listed)}"
