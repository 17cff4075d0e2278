"""Materialize every asset in-process, as the nightly job does."""

from __future__ import annotations

from pipelines.settings import configure_dagster_environment


def run_all() -> int:
    """Materialize all assets and their checks; return a process exit code (0 = success)."""
    settings = configure_dagster_environment()
    from dagster import DagsterInstance, materialize

    from pipelines.definitions import defs

    assets = list(defs.assets or [])
    if not assets:
        print("No assets are defined yet: nothing to materialize.")
        return 0
    with DagsterInstance.get() as instance:
        result = materialize(
            assets,
            instance=instance,
            resources=dict(defs.resources or {}),
            raise_on_error=False,
        )
    if not result.success:
        print("The run failed; the previous marts and report are untouched.")
        return 1
    print(f"Marts: {settings.marts_dir}")
    print(f"Report: {settings.reports_dir / 'impact_report.html'}")
    return 0
