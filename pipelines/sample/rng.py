"""Named, independent random streams derived from one seed.

Each part of the generator draws from its own stream keyed by (seed, part, year...), so changing
how much one part draws never shifts the numbers of another, and runs are reproducible.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, part: str, *keys: int) -> np.random.Generator:
    """The generator for ``part`` (a stable name) and optional integer keys such as a year."""
    part_key = zlib.crc32(part.encode("ascii"))
    return np.random.default_rng(np.random.SeedSequence([seed % 2**63, part_key, *keys]))
