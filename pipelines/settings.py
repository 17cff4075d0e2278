"""The one place that knows paths and settings.

Every path comes from an environment variable with a sensible default, so notebooks, the CLI,
Dagster and tests all agree on where data lives whatever their working directory is.

- ``PARTNER_IMPACT_DATA_DIR`` (default ``<project>/data``): the data directory, holding
  ``raw/``, ``marts/``, ``reports/`` and the warehouse.
- ``PARTNER_IMPACT_PSEUDONYM_KEY`` (unset): the pseudonymization key; overrides the key file.
- ``PARTNER_IMPACT_KEY_FILE`` (``<project>/.secrets/pseudonym.key``): key file created on
  first run with mode 0600, outside the data directory.
- ``DAGSTER_HOME`` (``<project>``): the folder holding ``dagster.yaml``.
- ``PARTNER_IMPACT_DAGSTER_DIR`` (``<project>/.dagster``): Dagster run history, logs and
  artifacts; ``PARTNER_IMPACT_DAGSTER_{STORAGE,ARTIFACTS,COMPUTE_LOGS}`` override its parts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Resolved paths for one process. Build it with :func:`get_settings`."""

    data_dir: Path
    key_file: Path
    dagster_home: Path
    dagster_dir: Path

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def marts_dir(self) -> Path:
        return self.data_dir / "marts"

    @property
    def estimates_dir(self) -> Path:
        """Published estimate tables (a versioned folder behind a link, like the marts)."""
        return self.data_dir / "estimates"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def analyst_db_path(self) -> Path:
        return self.marts_dir / "analyst.duckdb"


def get_settings() -> Settings:
    """Read the settings from the environment now (tests change it between calls)."""
    return Settings(
        data_dir=_path_from_env("PARTNER_IMPACT_DATA_DIR", PROJECT_ROOT / "data"),
        key_file=_path_from_env(
            "PARTNER_IMPACT_KEY_FILE", PROJECT_ROOT / ".secrets" / "pseudonym.key"
        ),
        dagster_home=_path_from_env("DAGSTER_HOME", PROJECT_ROOT),
        dagster_dir=_path_from_env("PARTNER_IMPACT_DAGSTER_DIR", PROJECT_ROOT / ".dagster"),
    )


def configure_dagster_environment() -> Settings:
    """Point Dagster at the project's instance (absolute paths) unless the caller already did.

    Without an absolute ``DAGSTER_HOME`` every run would use a throw-away instance and lose
    its history.
    """
    settings = get_settings()
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    storage = {
        "PARTNER_IMPACT_DAGSTER_STORAGE": settings.dagster_dir / "storage",
        "PARTNER_IMPACT_DAGSTER_ARTIFACTS": settings.dagster_dir / "artifacts",
        "PARTNER_IMPACT_DAGSTER_COMPUTE_LOGS": settings.dagster_dir / "logs",
    }
    for name, path in storage.items():
        os.environ.setdefault(name, str(path))
        Path(os.environ[name]).mkdir(parents=True, exist_ok=True)
    return settings
