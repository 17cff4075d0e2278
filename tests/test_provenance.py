"""Provenance: the code fingerprint sees every file of a package tree, and an output is rebuilt
exactly when what it is built from changed.

The end-to-end test runs ``partner-impact run`` in a subprocess on a copy of the package (put
first on ``PYTHONPATH``), edits the report's stylesheet and page template in the copy, and
sees the report rebuilt, with the edits in it; with nothing edited it stays.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.provenance import (
    Built,
    VersionFile,
    code_fingerprint,
    reuse_or_rebuild,
    tree_fingerprint,
)
from pipelines.report.build import CODE_PACKAGES, REPORT_NAME
from pipelines.settings import PROJECT_ROOT
from tests.test_layers import copy_package
from tests.test_report_pipeline import small_run  # noqa: F401  (the shared pipeline run)


def fingerprint_of_copy(root: Path) -> str:
    """The fingerprint of the report's code as it is in the copy under ``root``."""
    return tree_fingerprint(
        [
            ("pipelines.report", root / "pipelines" / "report"),
            ("pipelines.privacy", root / "pipelines" / "privacy"),
        ]
    )


def test_the_code_fingerprint_covers_every_file_of_the_tree(tmp_path: Path) -> None:
    root = copy_package(tmp_path)
    original = fingerprint_of_copy(root)
    # A copy of the code has the fingerprint of the code it copies.
    assert original == code_fingerprint(*CODE_PACKAGES)
    render = root / "pipelines" / "report" / "render"
    for edited in (
        render / "templates" / "report.css",
        render / "templates" / "page.html",
        render / "page.py",
        root / "pipelines" / "report" / "sources.py",
        root / "pipelines" / "privacy" / "sql" / "pseudonymize.sql",
    ):
        before = edited.read_bytes()
        edited.write_bytes(before + b"\n")
        assert fingerprint_of_copy(root) != original, edited
        edited.write_bytes(before)
    assert fingerprint_of_copy(root) == original
    # A new file in a subfolder counts; compiled caches do not.
    (render / "templates" / "print.css").write_text("body {}\n")
    assert fingerprint_of_copy(root) != original
    (render / "templates" / "print.css").unlink()
    (render / "__pycache__").mkdir(exist_ok=True)
    (render / "__pycache__" / "page.cpython-311.pyc").write_bytes(b"cache")
    assert fingerprint_of_copy(root) == original


def test_an_unknown_package_is_an_error_not_an_empty_fingerprint() -> None:
    with pytest.raises(ModuleNotFoundError):
        code_fingerprint("pipelines.no_such_layer")


def test_reuse_or_rebuild_keeps_what_was_built_from_the_same_version(tmp_path: Path) -> None:
    output = tmp_path / "out.txt"
    store = VersionFile(output, tmp_path / ".out.version")
    builds: list[str] = []

    def build(text: str):
        def write() -> Path:
            builds.append(text)
            output.write_text(text)
            return output

        return write

    assert reuse_or_rebuild(store, "v1", build("one")) == Built(output, rebuilt=True)
    assert reuse_or_rebuild(store, "v1", build("two")) == Built(output, rebuilt=False)
    assert reuse_or_rebuild(store, "v2", build("three")) == Built(output, rebuilt=True)
    assert builds == ["one", "three"] and output.read_text() == "three"
    # The output gone: rebuilt even though the version matches.
    output.unlink()
    assert reuse_or_rebuild(store, "v2", build("four")).rebuilt
    # A build that fails saves no version, so the next run tries again.

    def fail() -> Path:
        raise RuntimeError("no headline")

    with pytest.raises(RuntimeError):
        reuse_or_rebuild(store, "v3", fail)
    assert store.stored_version() == "v2"


def _run_copy(code: Path, data: Path, environment: dict[str, str]) -> str:
    """``partner-impact run`` importing the package from ``code``; its report line."""
    env = {**os.environ, **environment, "PARTNER_IMPACT_DATA_DIR": str(data)}
    env["PYTHONPATH"] = str(code)
    env.pop("PARTNER_IMPACT_PSEUDONYM_KEY", None)
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "partner-impact"), "run"],
        env=env,
        cwd=code,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (line,) = [line for line in completed.stdout.splitlines() if line.startswith("report: ")]
    return line


@pytest.mark.slow
def test_editing_a_template_in_a_copy_rebuilds_the_report(
    small_run,  # noqa: F811
    tmp_path: Path,
) -> None:
    # ~1 min: two nightly runs with nothing new but the code.
    code = copy_package(tmp_path / "code")
    assert (code / "pipelines" / "settings.py").is_file()
    data = tmp_path / "data"
    shutil.copytree(small_run.data, data)
    report = data / "reports" / REPORT_NAME
    unchanged = f"report: {report} (unchanged)"
    rebuilt = f"report: {report} (rebuilt)"
    templates = code / "pipelines" / "report" / "render" / "templates"

    # The copy is the code the report was built with: nothing to do.
    assert _run_copy(code, data, small_run.environment) == unchanged

    with (templates / "report.css").open("a", encoding="utf-8") as css:
        css.write("\n.provenance-test-marker { color: #123456; }\n")
    page = templates / "page.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace("</body>", "<!-- page-test-marker -->\n</body>"),
        encoding="utf-8",
    )
    assert _run_copy(code, data, small_run.environment) == rebuilt
    html = report.read_text(encoding="utf-8")
    assert ".provenance-test-marker" in html and "<!-- page-test-marker -->" in html
    # And the copy really was the code that ran: the repository's templates are untouched.
    assert "provenance-test-marker" not in (
        PROJECT_ROOT / "pipelines" / "report" / "render" / "templates" / "report.css"
    ).read_text(encoding="utf-8")
