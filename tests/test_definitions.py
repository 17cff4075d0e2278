"""The Dagster code location loads, and the instance is configured as the product needs."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, in_process_executor

from pipelines.settings import PROJECT_ROOT, configure_dagster_environment, get_settings


def test_definitions_load_with_in_process_executor() -> None:
    from dagster import Definitions

    from pipelines.definitions import defs

    Definitions.validate_loadable(defs)
    assert defs.executor is in_process_executor


def test_instance_allows_one_run_and_keeps_history_in_project(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    configure_dagster_environment()
    with DagsterInstance.get() as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert not instance.is_ephemeral
        assert Path(instance.storage_directory()).is_relative_to(data_dir.parent / "dagster")


def test_settings_follow_environment(data_dir: Path) -> None:
    settings = get_settings()
    assert settings.data_dir == data_dir
    assert settings.raw_dir == data_dir / "raw"
    assert settings.warehouse_path == data_dir / "warehouse.duckdb"
    assert settings.analyst_db_path == data_dir / "marts" / "analyst.duckdb"
