"""From latent scores (student-SD units) to each test's scale scores and performance levels."""

from __future__ import annotations

import numpy as np

from pipelines.layouts import AssessmentLayout

LEVEL_CUTS = (-0.8, 0.0, 1.0)
"""Latent cut points between the four performance levels (proficient from the third)."""

# (mean at grade 3, gain per grade, SD at grade 3, SD gain per grade) by layout and subject.
_LINEAR_SCALES: dict[str, dict[str, tuple[float, float, float, float]]] = {
    "armt": {
        "ela": (620.0, 12.0, 45.0, 1.0),
        "math": (610.0, 14.0, 48.0, 1.0),
        "science": (600.0, 10.0, 45.0, 0.0),
    },
    "armt_plus": {
        "ela": (640.0, 12.0, 50.0, 1.0),
        "math": (635.0, 13.0, 52.0, 1.0),
        "science": (630.0, 10.0, 48.0, 0.0),
    },
    "scantron": {
        "ela": (2200.0, 120.0, 280.0, 5.0),
        "math": (2150.0, 110.0, 250.0, 5.0),
        "science": (2300.0, 90.0, 260.0, 0.0),
    },
    "acap": {
        "ela": (470.0, 8.0, 60.0, 1.0),
        "math": (465.0, 9.0, 58.0, 1.0),
        "science": (460.0, 7.0, 55.0, 0.0),
    },
}


ASPIRE_UNMAPPED_BOUNDS: dict[str, dict[int, tuple[int, int]]] = {
    "english": {
        3: (400, 435),
        4: (402, 438),
        5: (404, 442),
        6: (406, 448),
        7: (408, 450),
        8: (410, 452),
    },
    "writing": {grade: (408, 448) for grade in range(3, 9)},
}
"""Aspire English and Writing: in the vendor file, not mapped by the layout."""


def _bounded_parameters(low: int, high: int) -> tuple[float, float]:
    """ACT Aspire scales are narrow (about 30 points a grade): scores sit inside the published
    range with the floor about 3 SD below the mean, as in real Aspire results."""
    width = high - low
    return low + 0.47 * width, width / 6.5


def scale_parameters(layout: AssessmentLayout, subject: str, grade: int) -> tuple[float, float]:
    """Mean and SD of ``subject``'s scale scores at ``grade`` on ``layout``'s test."""
    if layout.name in _LINEAR_SCALES:
        mean3, gain, sd3, sd_gain = _LINEAR_SCALES[layout.name][subject]
        return mean3 + gain * (grade - 3), sd3 + sd_gain * (grade - 3)
    bounds = layout.score_range(subject, grade)
    if bounds is None:
        raise ValueError(f"{layout.name} does not test {subject} in grade {grade}")
    return _bounded_parameters(bounds.low, bounds.high)


def unmapped_aspire_scores(
    latent: np.ndarray, subject: str, grade: int
) -> tuple[np.ndarray, np.ndarray]:
    """Aspire English or Writing scale scores and level indices from latent scores."""
    low, high = ASPIRE_UNMAPPED_BOUNDS[subject][grade]
    mean, sd = _bounded_parameters(low, high)
    scores = np.clip(np.rint(mean + sd * latent), low, high).astype(np.int64)
    return scores, np.searchsorted(mean + sd * np.array(LEVEL_CUTS), scores, side="right")


def to_scale_scores(
    latent: np.ndarray, layout: AssessmentLayout, subject: str, grade: int, shift: float
) -> np.ndarray:
    """Integer scale scores, clipped to the test's valid range; ``shift`` moves the year's mean."""
    mean, sd = scale_parameters(layout, subject, grade)
    bounds = layout.score_range(subject, grade)
    scores = np.rint(mean + sd * (latent + shift))
    return np.clip(scores, bounds.low, bounds.high).astype(np.int64)


def to_levels(scores: np.ndarray, layout: AssessmentLayout, subject: str, grade: int) -> np.ndarray:
    """Index into ``layout.levels.labels`` of each scale score (cut scores fixed per grade)."""
    mean, sd = scale_parameters(layout, subject, grade)
    cuts = mean + sd * np.array(LEVEL_CUTS)
    return np.searchsorted(cuts, scores, side="right")
