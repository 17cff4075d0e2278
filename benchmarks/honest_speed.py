"""Time HonestDiD sensitivity grids on the R package's example event studies.

Usage: .venv/bin/python benchmarks/honest_speed.py

For Benzarti & Carloni (BC, 4 pre / 4 post periods) and Lovenheim & Willen (LW, 9 pre / 23
post periods), times a grid of 5 values of Mbar (relative magnitudes, C-LF) and of M
(smoothness, FLCI), with and without the breakdown-value search. The target is at most 10 s
per grid of 5 values (the only other Python port takes about 100 s). LW's relative-magnitude
sets at Mbar >= 0.5 reach the ends of the default theta grid (the bound on 17 accumulated
post-period changes is very uncertain); those warnings are counted, not printed.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np

from pipelines.did.honest import honest_did

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "reference"


def _event_study(name: str) -> tuple[np.ndarray, np.ndarray, int, int]:
    data = json.loads((REFERENCE / f"honestdid_{name}data_EventStudy.json").read_text())
    return (
        np.asarray(data["betahat"], dtype=float),
        np.asarray(data["sigma"], dtype=float),
        len(data["prePeriodIndices"]),
        len(data["postPeriodIndices"]),
    )


def main() -> None:
    grids = {
        "relative_magnitude": [0.0, 0.5, 1.0, 1.5, 2.0],
        "smoothness": None,  # set per dataset below
    }
    print(f"{'data':<5}{'method':<20}{'l_vec':<8}{'grid (s)':>10}{'+ breakdown (s)':>17}")
    for name in ("BC", "LW"):
        beta, sigma, num_pre, num_post = _event_study(name)
        # LW: the vignette's parameter, the effect after 15 years of exposure (17 periods on).
        target = 17 if name == "LW" else 1
        l_vec = np.eye(num_post)[target - 1]
        grids["smoothness"] = (
            [0.0, 0.1, 0.2, 0.3, 0.4] if name == "BC" else [0.0, 0.01, 0.02, 0.03, 0.04]
        )
        for method, m_values in grids.items():
            timings = []
            for breakdown in (False, True):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    start = time.perf_counter()
                    result = honest_did(
                        beta, sigma, num_pre, num_post, method, m_values, l_vec,
                        breakdown=breakdown,
                    )  # fmt: skip
                    timings.append(time.perf_counter() - start)
            print(
                f"{name:<5}{method:<20}{'e' + str(target):<8}{timings[0]:>10.2f}{timings[1]:>17.2f}"
                f"   breakdown M = {result.breakdown_m:.4g}"
                + (f"   ({len(caught)} grid-edge warnings)" if caught else "")
            )


if __name__ == "__main__":
    main()
