"""One materialization of the estimates: read the published marts, estimate, publish.

When the marts' content, the analysis file and the code are unchanged since the published
estimates were built, the published tables are kept (and read back for the run's metadata).
"""

from __future__ import annotations

import time

import pandas as pd

from pipelines.estimates.provenance import PublishedEstimates, current_version
from pipelines.estimates.run import estimate_all
from pipelines.estimates.specification import Analysis
from pipelines.estimates.tables import TABLES
from pipelines.provenance import Built, reuse_or_rebuild
from pipelines.settings import Settings

INPUT_MARTS: dict[str, tuple[str, ...]] = {
    "school_panel": ("school_id", "subject", "school_year"),
    "partnering_dose": ("school_id", "school_year"),
    "treatment": ("school_id",),
}
"""The marts the estimates read, with their keys (for the content fingerprint)."""


def refresh_estimates(settings: Settings, analysis: Analysis) -> Built[dict[str, pd.DataFrame]]:
    """Every estimate table of ``analysis``, published in ``settings.estimates_dir``."""
    started = time.perf_counter()
    # The resolved folder is one fixed version of the marts (pandas opens a file twice).
    marts_dir = settings.marts_dir.resolve()
    marts = {name: pd.read_parquet(marts_dir / f"{name}.parquet") for name in INPUT_MARTS}
    version = current_version(
        {name: (marts[name], keys) for name, keys in INPUT_MARTS.items()}, analysis.sha256
    )

    def estimate() -> dict[str, pd.DataFrame]:
        tables = estimate_all(
            marts["school_panel"], marts["partnering_dose"], analysis, marts["treatment"]
        )
        tables["estimates_provenance"] = version.frame(
            analysis.headline, time.perf_counter() - started
        )
        return tables

    return reuse_or_rebuild(PublishedEstimates(settings.estimates_dir, TABLES), version, estimate)
