"""What the published estimates were computed from, so unchanged work is not redone.

A version is the analysis file's hash, a fingerprint of the input marts' content (not their
files: republishing the same rows must not count as a change) and a fingerprint of the code
that estimates (:mod:`pipelines.provenance`). It is published with the estimates
(``estimates_provenance``); a run whose version matches the published one keeps the published
tables (:class:`PublishedEstimates` is where :func:`pipelines.provenance.reuse_or_rebuild`
finds them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipelines.provenance import code_fingerprint, combine, frame_fingerprint

CODE_PACKAGES = ("pipelines.estimates", "pipelines.did")


@dataclass(frozen=True)
class Version:
    analysis_sha256: str
    inputs_fingerprint: str
    code_fingerprint: str

    def frame(self, headline: str, seconds: float) -> pd.DataFrame:
        """The one-row ``estimates_provenance`` table."""
        return pd.DataFrame(
            {
                "analysis_sha256": [self.analysis_sha256],
                "inputs_fingerprint": [self.inputs_fingerprint],
                "code_fingerprint": [self.code_fingerprint],
                "headline": [headline],
                "built_at": [datetime.now(UTC)],
                "seconds": [round(seconds, 3)],
            }
        )


def current_version(
    inputs: Mapping[str, tuple[pd.DataFrame, Sequence[str]]], analysis_sha256: str
) -> Version:
    """Version of the estimates from ``inputs`` (name -> (frame, key columns))."""
    inputs_fingerprint = combine(
        *(
            f"{name}:{frame_fingerprint(frame, keys)}"
            for name, (frame, keys) in sorted(inputs.items())
        )
    )
    return Version(analysis_sha256, inputs_fingerprint, code_fingerprint(*CODE_PACKAGES))


def published_version(directory: Path, tables: Sequence[str]) -> Version | None:
    """The version of the estimates published in ``directory``; None if any table is missing."""
    if not all((directory / f"{name}.parquet").is_file() for name in tables):
        return None
    provenance = pd.read_parquet(directory.resolve() / "estimates_provenance.parquet")
    if len(provenance) != 1:
        return None
    row = provenance.iloc[0]
    return Version(
        str(row["analysis_sha256"]), str(row["inputs_fingerprint"]), str(row["code_fingerprint"])
    )


@dataclass(frozen=True)
class PublishedEstimates:
    """The estimate tables published in ``directory``; their version is their provenance
    table, so saving them is publishing them."""

    directory: Path
    tables: Sequence[str]

    def stored_version(self) -> Version | None:
        return published_version(self.directory, self.tables)

    def load(self) -> dict[str, pd.DataFrame]:
        from pipelines.estimates.publish import read_estimates

        return read_estimates(self.directory, self.tables)

    def save(self, version: Version, built: Mapping[str, pd.DataFrame]) -> None:
        from pipelines.estimates.publish import publish_estimates

        publish_estimates(built, self.directory)
