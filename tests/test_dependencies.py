"""Honest dependencies: every runtime dependency in pyproject.toml is used by the package, and
every third-party package the package imports is declared."""

from __future__ import annotations

import ast
import re
import sys
import tomllib

from pipelines.settings import PROJECT_ROOT

# Distribution name -> the module it is imported as, where they differ.
MODULES = {"pyyaml": "yaml", "dagster-duckdb": "dagster_duckdb"}
# Command-line tools the project runs rather than imports, and where.
TOOLS = {"dagster-webserver": "dg dev", "dagster-dg-cli": "dg dev"}


def _declared() -> set[str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return {
        re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]
    }


def _imported() -> set[str]:
    modules = set()
    for path in (PROJECT_ROOT / "pipelines").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m != "pipelines"}


def test_every_runtime_dependency_is_used() -> None:
    imported = _imported()
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    unused = [
        name
        for name in _declared()
        if MODULES.get(name, name.replace("-", "_")) not in imported
        and not (name in TOOLS and TOOLS[name] in makefile)
    ]
    assert not unused, f"declared but never used: {sorted(unused)}"


def test_every_imported_package_is_declared() -> None:
    declared = {MODULES.get(name, name.replace("-", "_")) for name in _declared()}
    undeclared = _imported() - declared
    assert not undeclared, f"imported but not declared in pyproject.toml: {sorted(undeclared)}"
