"""How numbers and labels read in the report, in one place so every section agrees."""

from __future__ import annotations

import math
from datetime import datetime
from html import escape

MINUS = "\u2212"  # a typographic minus: a hyphen reads as a dash in prose


def signed(text: str) -> str:
    """Replace a leading hyphen-minus by a typographic minus."""
    return MINUS + text[1:] if text.startswith("-") else text


def fmt_sd(value: float) -> str:
    """An effect in SD units: two decimals, three when two would round a nonzero value to 0."""
    digits = 3 if value != 0 and abs(value) < 0.005 else 2
    return signed(f"{value:.{digits}f}")


def fmt_points(value: float) -> str:
    """Percentile points: one decimal."""
    return signed(f"{value:.1f}")


P_THRESHOLD = 0.05
"""The level the report's findings are judged at (``claims.ALPHA``): a printed p- or q-value
never rounds onto or across it."""


def fmt_p(p_value: float) -> str:
    """A p-value as people quote it: two decimals, three below 0.1, and more when rounding would
    carry it across the 0.05 threshold (0.052 is not "0.05", 0.0496 is not "0.050")."""
    if p_value < 0.001:
        return "< 0.001"
    digits = 3 if p_value < 0.1 else 2
    text = f"{p_value:.{digits}f}"
    while digits < 6 and (float(text) < P_THRESHOLD) != (p_value < P_THRESHOLD):
        digits += 1
        text = f"{p_value:.{digits}f}"
    return text


def fmt_count(value: float) -> str:
    """A whole count with thousands separators."""
    return f"{round(value):,}"


def school_year(spring_year: int) -> str:
    """Spring year 2012 → ``2011-12``, the way educators name school years."""
    return f"{spring_year - 1}-{spring_year % 100:02d}"


def subject_label(subject: str) -> str:
    """``reading`` → ``Reading``; ``ela`` and ``math`` keep their usual spelling."""
    special = {"ela": "ELA", "math": "Math", "mathematics": "Mathematics"}
    return special.get(subject.lower(), subject.replace("_", " ").capitalize())


def cohort_label(cohort: int, n_schools: int | None = None) -> str:
    """Legend label for a cohort, 0 being the never-partnered comparison schools."""
    if cohort == 0:
        return "Comparison schools (never partnered)"
    schools = f", {n_schools} schools" if n_schools is not None else ""
    return f"Partnered from {school_year(cohort)}{schools}"


def format_run_time(run_time: datetime) -> str:
    """``2025-01-15 02:30 UTC``: minutes are enough to tell runs apart."""
    return run_time.strftime("%Y-%m-%d %H:%M %Z").strip()


def includes_zero(low: float, high: float) -> bool:
    return low <= 0.0 <= high


def html_text(value: object) -> str:
    """Escape any value for HTML text or attributes."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return escape(str(value), quote=True)
