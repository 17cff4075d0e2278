"""The layer rules of docs/operations.md ("Layers"), checked on the code itself.

- ``pipelines/did/`` is a pure statistics library: it imports no Dagster, no DuckDB and no other
  ``pipelines`` package.
- Data flows one way, raw (``sample``) -> ingest -> marts -> estimates -> report: no layer
  imports a later one. Shared modules (settings, warehouse, provenance, query checks, SQL text,
  privacy, layouts, did) may be imported by every layer and import no layer themselves; the
  wiring (definitions, cli, ops) may import anything.
- The report renderer (``pipelines/report/render/``) reads no file but its ``templates/``: a
  report is rendered under an audit hook that records every file opened.

Imports are read from the source (every ``import`` statement, also those inside functions), so
a rule is checked whether or not the import runs. Each rule is also shown to fail on a broken
copy of the package.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from pipelines.settings import PROJECT_ROOT

PACKAGE_DIR = PROJECT_ROOT / "pipelines"

LAYERS: dict[str, int] = {"sample": 0, "ingest": 1, "marts": 2, "estimates": 3, "report": 4}
"""Pipeline layers in data-flow order; ``sample`` writes the raw files."""
SHARED = frozenset(
    {
        "settings",
        "warehouse",
        "provenance",
        "query_checks",
        "sql_text",
        "privacy",
        "layouts",
        "did",
    }
)
"""Modules and packages every layer may import; they import no layer."""
WIRING = frozenset({"pipelines", "definitions", "cli", "ops"})
"""The package itself, the Dagster code location, the command line and the runner."""
NOT_IN_DID = ("dagster", "duckdb")
"""Top-level names of the libraries ``did`` must not import (``dagster_*`` included)."""


def copy_package(destination: Path) -> Path:
    """A copy of ``pipelines/`` (no compiled caches) under ``destination``; the copy's root."""
    shutil.copytree(
        PACKAGE_DIR, destination / "pipelines", ignore=shutil.ignore_patterns("__pycache__")
    )
    return destination


def imports(root: Path) -> Iterator[tuple[str, int, str, str]]:
    """Every import of the package under ``root``: (file, line, importing module, imported name).

    The imported name is absolute (relative imports resolved); for ``from a import b`` it is
    ``a.b``, which may name a module or an attribute of ``a``.
    """
    for path in sorted((root / "pipelines").rglob("*.py")):
        relative = path.relative_to(root)
        parts = list(relative.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        module = ".".join(parts)
        package = parts if is_package else parts[:-1]
        for node in _import_nodes(path.read_text(encoding="utf-8")):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield str(relative), node.lineno, module, alias.name
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                for alias in node.names:
                    yield str(relative), node.lineno, module, f"{origin}.{alias.name}"


@cache
def _import_nodes(source: str) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of a module's source, wherever they are (cached: copies of the
    package share most files)."""
    return [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]


def unit(module: str) -> str:
    """The layer, shared module or wiring part a ``pipelines`` module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_violations(root: Path) -> list[str]:
    """Every import under ``root`` that breaks a layer rule, in words."""
    problems = []
    for file, line, module, imported in imports(root):
        where = f"{file}:{line}: {module} imports {imported}"
        source = unit(module)
        if source not in LAYERS and source not in SHARED and source not in WIRING:
            problems.append(f"{file}: {source} is neither a layer, shared nor wiring")
            continue
        top = imported.split(".")[0]
        if source == "did":
            if top.startswith(NOT_IN_DID):
                problems.append(f"{where} (did imports no Dagster or DuckDB)")
            elif top == "pipelines" and unit(imported) != "did":
                problems.append(f"{where} (did imports no other pipelines package)")
            continue
        if top != "pipelines" or source in WIRING:
            continue
        target = unit(imported)
        if source in SHARED and (target in LAYERS or target in WIRING):
            problems.append(f"{where} (a shared module imports no layer)")
        elif source in LAYERS and target in LAYERS and LAYERS[target] > LAYERS[source]:
            problems.append(f"{where} (an earlier layer imports a later one)")
        elif source in LAYERS and target in WIRING:
            problems.append(f"{where} (a layer imports no wiring)")
    return problems


def test_every_import_keeps_to_the_layer_rules() -> None:
    assert layer_violations(PROJECT_ROOT) == []


def test_the_import_rules_are_checked_in_every_module() -> None:
    # The checker sees the whole package, imports inside functions included.
    seen = {(file, imported) for file, _, _, imported in imports(PROJECT_ROOT)}
    assert ("pipelines/report/build.py", "pipelines.report.render.build_report") in seen
    assert any(file.startswith("pipelines/did/") for file, _ in seen)
    assert len({file for file, _ in seen}) > 100


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + code, encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "code", "expected"),
    [
        ("did/effect_size.py", "\n\ndef _f():\n    import duckdb\n", "did imports no Dagster"),
        ("did/__init__.py", "\nfrom dagster import asset\n", "did imports no Dagster"),
        (
            "did/effect_size.py",
            "\n\ndef _f():\n    from pipelines.settings import get_settings\n",
            "did imports no other pipelines package",
        ),
        ("did/effect_size.py", "\nfrom .. import warehouse\n", "no other pipelines package"),
        (
            "ingest/engine.py",
            "\n\ndef _f():\n    from pipelines.marts.build import MARTS\n",
            "an earlier layer imports a later one",
        ),
        ("marts/build.py", "\nimport pipelines.estimates.run\n", "earlier layer imports a later"),
        ("estimates/run.py", "\nfrom pipelines import report\n", "earlier layer imports a later"),
        ("sample/rng.py", "\nfrom pipelines.ingest import files\n", "earlier layer imports"),
        ("provenance.py", "\nfrom pipelines.marts import build\n", "a shared module imports no"),
        ("marts/build.py", "\nfrom pipelines.ops import run\n", "a layer imports no wiring"),
    ],
)
def test_a_broken_copy_breaks_the_import_rules(
    tmp_path: Path, file: str, code: str, expected: str
) -> None:
    root = copy_package(tmp_path)
    assert layer_violations(root) == []
    _append(root / "pipelines" / file, code)

    (problem,) = layer_violations(root)

    assert problem.startswith(f"pipelines/{file}:") and expected in problem


def test_a_new_package_must_say_where_it_belongs(tmp_path: Path) -> None:
    root = copy_package(tmp_path)
    (root / "pipelines" / "extras.py").write_text("import os\n")
    assert layer_violations(root) == [
        "pipelines/extras.py: extras is neither a layer, shared nor wiring"
    ]


# Renders the example report with every file opened recorded (audit event "open"), and prints
# the files read that are not the renderer's templates, the libraries' own files (Python's
# standard library, installed packages: plotly.js is inlined from its package) or the output.
_RENDER_AND_WATCH = """
import json, sys, sysconfig
from pathlib import Path

import pipelines
import pipelines.report.render as render
from pipelines.report.render.build import build_report
from pipelines.report.render.example import example_inputs

out = Path(sys.argv[1])
templates = Path(render.__file__).resolve().parent / "templates"
package = Path(pipelines.__file__).resolve().parent
libraries = {
    Path(sysconfig.get_paths()[name]).resolve() for name in ("stdlib", "purelib", "platlib")
}
import_path = {Path(entry).resolve() for entry in sys.path}
inputs = example_inputs(n_schools=60)
opened = []


def watch(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, Path)):
        opened.append(args[0])


sys.addaudithook(watch)
build_report(inputs, out)
templates_read, other = set(), set()
for name in opened:
    path = Path(name.decode() if isinstance(name, bytes) else name).resolve()
    if path.is_relative_to(templates):
        templates_read.add(path.relative_to(templates).as_posix())
    elif path == out.resolve() or (
        path.parent == out.parent.resolve() and path.name.startswith(f".{out.name}")
    ):
        continue  # the report, and the temporary file renamed into place
    elif path.suffix in {".py", ".pyc", ".so"} or path in import_path:
        continue  # code being imported (and the import system probing its search path)
    elif any(part.endswith((".egg-info", ".dist-info")) for part in path.parts):
        continue  # installed packages' metadata (importlib.metadata looking up entry points)
    elif path.is_relative_to(package) or not any(path.is_relative_to(lib) for lib in libraries):
        other.add(str(path))  # the libraries' own files aside, wherever the package is installed
print(json.dumps({"templates": sorted(templates_read), "other": sorted(other)}))
"""


def renderer_reads(root: Path, out: Path) -> dict[str, list[str]]:
    """Files the renderer under ``root`` opens while writing a report to ``out``."""
    environment = {**os.environ, "PYTHONPATH": str(root)}
    completed = subprocess.run(
        [sys.executable, "-c", _RENDER_AND_WATCH, str(out)],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert out.is_file()
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_renderer_reads_only_its_templates(tmp_path: Path) -> None:
    reads = renderer_reads(PROJECT_ROOT, tmp_path / "report.html")
    assert reads == {"templates": ["page.html", "report.css"], "other": []}


def test_a_renderer_reading_another_file_is_caught(tmp_path: Path) -> None:
    root = copy_package(tmp_path / "copy")
    page = root / "pipelines" / "report" / "render" / "page.py"
    css = 'css = (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")'
    text = page.read_text(encoding="utf-8")
    assert css in text
    # The broken renderer peeks at the analysis file (in pipelines/, above report/render/).
    peek = '(TEMPLATES_DIR.parent.parent.parent / "analysis.yaml").read_bytes()'
    page.write_text(
        text.replace(css, f"{css}\n    {peek}"),
        encoding="utf-8",
    )

    reads = renderer_reads(root, tmp_path / "report.html")

    assert reads["other"] == [str((root / "pipelines" / "analysis.yaml").resolve())]
