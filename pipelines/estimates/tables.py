"""The estimate marts: their names and columns, in the order they are published.

Every table starts with ``specification`` (the key in the analysis file, or the robustness or
dose entry, that produced the row) and ``subject``. A table with no rows still has its columns,
so readers never have to guess. docs/analysis.md documents each column.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

_ESTIMATE = ("att", "se", "ci_lower", "ci_upper")

COLUMNS: dict[str, tuple[str, ...]] = {
    "estimates_attgt": ("specification", "subject", "group", "time", "event_time", *_ESTIMATE),
    "estimates_aggregate": (
        "specification", "subject", "aggregation", "key", *_ESTIMATE, "interval", "estimand",
    ),
    "estimates_event_study": (
        "specification", "subject", "estimator", "event_time", *_ESTIMATE, "interval",
        "reference_period",
    ),
    "estimates_comparison": (
        "specification", "subject", "estimator", *_ESTIMATE, "method", "n_treated_schools",
        "n_comparison_schools", "n_schools_dropped", "estimand",
    ),
    "estimates_exit": (
        "specification", "subject", "analysis", "key", *_ESTIMATE, "n_schools",
    ),
    "estimates_pretrend": ("specification", "subject", "test", "statistic", "df", "p_value"),
    "estimates_bacon": (
        "specification", "subject", "comparison_type", "weight", "estimate", "n_comparisons",
        "twfe", "n_schools",
    ),
    "estimates_honest_did": (
        "specification", "subject", "method", "m", "ci_lower", "ci_upper", "original_ci_lower",
        "original_ci_upper", "breakdown_m", "parameter",
    ),
    "estimates_randomization": (
        "specification", "subject", "att", "statistic", "p_value", "p_value_floor",
        "n_permutations", "n_strata", "null_sd",
    ),
    "estimates_balance": (
        "specification", "subject", "variable", "mean_treated", "mean_comparison", "sd_pooled",
        "n_treated", "n_comparison", "hedges_g", "classification",
    ),
    "estimates_dose_groups": (
        "specification", "subject", "dose_group", "dose_min", "dose_max", "n_schools",
        "n_students", *_ESTIMATE,
    ),
    "estimates_dose_response": (
        "specification", "subject", "dose", "att", "att_se", "att_ci_lower", "att_ci_upper",
        "att_band_lower", "att_band_upper", "acrt", "acrt_se", "acrt_ci_lower",
        "acrt_ci_upper", "acrt_band_lower", "acrt_band_upper",
    ),
    "estimates_overlap": (
        "specification", "subject", "cohort", "n_treated", "n_outside_support", "n_comparison",
        "rule",
    ),
    "estimates_mde": (
        "specification", "subject", "mde_sd", "mde_percentile_points", "se", "df", "alpha",
        "power", "method", "n_treated_schools", "n_comparison_schools",
    ),
    "estimates_subgroups": (
        "specification", "subject", "dimension", "subgroup", "family", *_ESTIMATE, "p_value",
        "q_value", "n_schools", "n_students", "n_students_comparison", "suppressed", "note",
    ),
    "estimates_subgroup_differences": (
        "specification", "subject", "dimension", "family", "subgroup", "compared_with",
        "comparison", "difference", "se", "ci_lower", "ci_upper", "p_value", "n_schools",
        "n_partnered_schools", "suppressed", "note",
    ),
    "estimates_subgroup_tests": (
        "specification", "subject", "dimension", "family", "test", "statistic", "df", "p_value",
        "q_value", "n_subgroups", "mde_difference",
    ),
    "estimates_status": ("specification", "subject", "step", "status", "message", "seconds"),
    "estimates_provenance": (
        "analysis_sha256", "inputs_fingerprint", "code_fingerprint", "headline", "built_at",
        "seconds",
    ),
}  # fmt: skip

TABLES: tuple[str, ...] = tuple(COLUMNS)


def assemble(parts: Mapping[str, list[pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """One frame per table from its parts, with exactly the declared columns in order."""
    tables = {}
    for table, columns in COLUMNS.items():
        frames = [frame for frame in parts.get(table, []) if not frame.empty]
        if frames:
            frame = pd.concat(frames, ignore_index=True)
        else:
            frame = pd.DataFrame({column: pd.Series(dtype="float64") for column in columns})
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{table} parts lack columns {missing}")
        tables[table] = frame[list(columns)]
    return tables
