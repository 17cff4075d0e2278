"""Versions of what each output is built from, so that unchanged work is not redone.

A nightly run over unchanged files must be quick: ingest skips files whose content, rules and
rosters it has already seen, and each later output compares the version of its inputs (the
staged data's or the published tables' fingerprint, and the code that transforms them) with the
one it was last built from. When they match, the output is kept as it is, and so are the
outcomes its checks had then. Every layer builds its versions from the pieces here and decides
with one helper, :func:`reuse_or_rebuild`; where a version is stored is up to the layer (the
warehouse's ``asset_versions`` table, a file beside the output, a published provenance table).
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import duckdb
import pandas as pd
from dagster import AssetCheckResult

from pipelines.query_checks import QueryCheck
from pipelines.warehouse import fetch_all, read_sql, run_script

PACKAGE = "pipelines"

V = TypeVar("V")
T = TypeVar("T")


@cache
def code_fingerprint(*packages: str) -> str:
    """SHA-256 of every file in the trees of ``packages``: Python, SQL in any subfolder,
    templates, stylesheets, YAML. It changes whenever any of them changes (compiled caches
    aside), so an output is rebuilt after any edit to the code that produced it."""
    return tree_fingerprint(
        [(package, root) for package in packages for root in package_roots(package)]
    )


def tree_fingerprint(trees: Sequence[tuple[str, Path]]) -> str:
    """SHA-256 of every file under each ``(name, folder)`` of ``trees`` (with its path relative
    to the folder), compiled caches aside."""
    digest = hashlib.sha256()
    for name, root in trees:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and _is_source(p)):
            digest.update(f"{name}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def package_roots(package: str) -> list[Path]:
    """The folders ``package`` is loaded from (one for a regular package).

    Raises ``ModuleNotFoundError`` for a package that does not exist, so that a misspelled name
    cannot silently fingerprint nothing.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not a package")
    return [Path(location) for location in spec.submodule_search_locations]


def _is_source(path: Path) -> bool:
    """Whether ``path`` is part of the code (not a compiled cache)."""
    return "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}


def combine(*parts: str) -> str:
    """One version from several."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def frame_fingerprint(frame: pd.DataFrame, keys: Sequence[str]) -> str:
    """SHA-256 of a frame's columns and rows, independent of row and column order."""
    ordered = frame.sort_values(list(keys), kind="stable").reset_index(drop=True)
    ordered = ordered[sorted(ordered.columns)]
    digest = hashlib.sha256("\0".join(ordered.columns).encode())
    digest.update(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def data_fingerprint(conn: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> str:
    """Fingerprint of what is staged from ``sources`` (from the ingest ledger)."""
    rows = fetch_all(conn, read_sql(PACKAGE, "data_fingerprint.sql"), {"sources": list(sources)})
    return rows[0][0]


class VersionStore(Protocol[V, T]):
    """Where an output's version is kept, and how to get the output kept with it."""

    def stored_version(self) -> V | None:
        """The version the kept output was built from; None if there is no complete one."""

    def load(self) -> T | None:
        """The kept output (None if it cannot be reused after all)."""

    def save(self, version: V, built: T) -> None:
        """Keep ``built`` as the output of ``version``."""


@dataclass(frozen=True)
class Built(Generic[T]):
    """An output, and whether this run built it (else it was kept from an earlier run)."""

    value: T
    rebuilt: bool


def reuse_or_rebuild(store: VersionStore[V, T], version: V, build: Callable[[], T]) -> Built[T]:
    """The kept output if it was built from ``version``; else ``build()``, saved as ``version``.

    Nothing is saved when ``build`` raises, so a failed build is retried by the next run.
    """
    if store.stored_version() == version:
        kept = store.load()
        if kept is not None:
            return Built(kept, rebuilt=False)
    built = build()
    store.save(version, built)
    return Built(built, rebuilt=True)


@dataclass
class WarehouseVersions:
    """Versions of a warehouse asset and its check outcomes, in ``asset_versions`` and
    ``check_outcomes`` (the output kept is the asset's table; what is loaded is the outcomes of
    ``checks`` then). ``present`` says whether the asset's output is still there."""

    conn: duckdb.DuckDBPyConnection
    asset: str
    checks: Sequence[QueryCheck]
    present: bool = True

    def __post_init__(self) -> None:
        run_script(self.conn, read_sql(PACKAGE, "versions.sql"))
        self._rows = fetch_all(
            self.conn, read_sql(PACKAGE, "stored_version.sql"), {"asset": self.asset}
        )

    def stored_version(self) -> str | None:
        return self._rows[0][0] if self.present and self._rows else None

    def load(self) -> list[AssetCheckResult] | None:
        outcomes = {
            name: (passed, failures, examples) for _, name, passed, failures, examples in self._rows
        }
        if any(check.name not in outcomes for check in self.checks):
            return None
        return [check.result(*outcomes[check.name], reused=True) for check in self.checks]

    def save(self, version: str, built: Sequence[AssetCheckResult]) -> None:
        run_script(
            self.conn,
            read_sql(PACKAGE, "save_version.sql"),
            {
                "asset": self.asset,
                "version": version,
                "built_at": datetime.now(UTC).replace(tzinfo=None),
                "check_names": [result.check_name for result in built],
                "passed": [result.passed for result in built],
                "failures": [result.metadata["failures"].value for result in built],
                "examples": [result.metadata["examples"].value for result in built],
            },
        )


@dataclass(frozen=True)
class VersionFile:
    """The version of one output file, kept in a file beside it."""

    output: Path
    version_file: Path

    def stored_version(self) -> str | None:
        if self.output.is_file() and self.version_file.is_file():
            return self.version_file.read_text()
        return None

    def load(self) -> Path:
        return self.output

    def save(self, version: str, built: Path) -> None:
        self.version_file.write_text(version)
