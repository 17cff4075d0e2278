"""Shared fixtures: every test gets its own data directory and Dagster instance."""

from __future__ import annotations

from pathlib import Path

import pytest

# Public reference data kept in the repository (sources and licenses: tests/data/README.md).
TEST_DATA_DIR = Path(__file__).resolve().parent / "data"
REFERENCE_DIR = TEST_DATA_DIR / "reference"
VENDOR_SAMPLES_DIR = TEST_DATA_DIR / "vendor_samples"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory and Dagster home for one test, selected through the environment."""
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    monkeypatch.setenv("PARTNER_IMPACT_DATA_DIR", str(data))
    monkeypatch.setenv("PARTNER_IMPACT_KEY_FILE", str(tmp_path / "secrets" / "pseudonym.key"))
    dagster_dir = tmp_path / "dagster"
    monkeypatch.setenv("PARTNER_IMPACT_DAGSTER_STORAGE", str(dagster_dir / "storage"))
    monkeypatch.setenv("PARTNER_IMPACT_DAGSTER_ARTIFACTS", str(dagster_dir / "artifacts"))
    monkeypatch.setenv("PARTNER_IMPACT_DAGSTER_COMPUTE_LOGS", str(dagster_dir / "logs"))
    return data
