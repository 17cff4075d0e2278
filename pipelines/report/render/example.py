"""Illustrative report inputs, for previewing the report and timing it at state scale.

The numbers are invented, not estimated: a synthetic school panel (low-performing schools
partnered in 2012 and 2013, an effect that grows with exposure) gives the trends, and the
estimate tables are that true effect plus noise, shaped like the estimators' output. Tests
and the benchmark use it until the pipeline produces the real tables; the inputs are always
marked synthetic.

Preview: ``python -m pipelines.report.render.example out.html [n_schools]``.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import chi2

from pipelines.report.render.aggregate import trends_from_panel
from pipelines.report.render.inputs import DataFacts, ProgramInputs, ReportInputs, RobustnessInputs

SUBJECTS = ("reading", "math")
COHORT_SIZES = {2012: 13, 2013: 20}
TESTS = pd.DataFrame(
    {
        "test": ["ARMT", "ARMT+", "ACT Aspire", "Scantron", "ACAP"],
        "first_year": [2006, 2012, 2014, 2018, 2021],
        "last_year": [2011, 2013, 2017, 2019, 2022],
    }
)
ACTIVITY_MINUTES = {
    "Co-planning": 310_000,
    "Observation and feedback": 260_000,
    "Modeling": 150_000,
    "Data meeting": 140_000,
    "PLC facilitation": 120_000,
    "Co-teaching": 90_000,
    "PD session": 70_000,
    "Goal setting": 40_000,
    "Resource support": 35_000,
    "Other": 15_000,
}
# Headline numbers: reading clearly positive, math not distinguishable from zero.
OVERALL = {"reading": (0.052, 0.019), "math": (0.021, 0.024)}


def true_effect(event_time: np.ndarray | int, subject: str) -> np.ndarray:
    """The invented effect: zero before partnering, growing by year of exposure, then flat."""
    scale = OVERALL[subject][0] / 0.05
    return np.where(
        np.asarray(event_time) >= 0, scale * 0.02 * np.minimum(np.asarray(event_time) + 1, 4), 0.0
    )


def example_panel(n_schools: int, first_year: int, last_year: int, seed: int) -> pd.DataFrame:
    """School × subject × year panel with ``school_id``, ``cohort``, ``mean_z``, ``n_tested``."""
    rng = np.random.default_rng(seed)
    cohort = np.zeros(n_schools, dtype=int)
    start = 0
    for year, size in COHORT_SIZES.items():
        cohort[start : start + size] = year
        start += size
    level = np.where(
        cohort > 0, rng.normal(-0.55, 0.2, n_schools), rng.normal(0.0, 0.35, n_schools)
    )
    size = np.maximum(rng.lognormal(np.log(260), 0.6, n_schools).round(), 12)
    size[start - 1] = 7  # one tiny partnered school, so suppression has something to do
    years = np.array([y for y in range(first_year, last_year + 1) if y != 2020])
    frames = []
    for subject in SUBJECTS:
        school, year = np.meshgrid(np.arange(n_schools), years, indexing="ij")
        school, year = school.ravel(), year.ravel()
        g = cohort[school]
        effect = np.where(g > 0, true_effect(year - g, subject), 0.0)
        noise = rng.normal(0, 0.12, school.size)
        frames.append(
            pd.DataFrame(
                {
                    "school_id": school,
                    "subject": subject,
                    "year": year,
                    "cohort": g,
                    "mean_z": level[school] + effect + noise,
                    "n_tested": rng.poisson(size[school]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def example_inputs(
    n_schools: int = 1400, first_year: int = 2006, last_year: int = 2022, seed: int = 2012
) -> ReportInputs:
    """A complete, internally consistent set of report inputs on invented data."""
    rng = np.random.default_rng(seed)
    panel = example_panel(n_schools, first_year, last_year, seed)
    n_treated = sum(COHORT_SIZES.values())
    attgt = _attgt(rng, first_year, last_year)
    event_study = _event_study(rng, first_year, last_year)
    overall = pd.DataFrame(
        [
            {
                "subject": subject,
                "att": att,
                "se": se,
                "ci_lower": att - 1.96 * se,
                "ci_upper": att + 1.96 * se,
                "method": "Callaway & Sant'Anna, doubly robust, not-yet-treated comparison, "
                "school-clustered bootstrap",
                "n_treated_schools": n_treated,
                "n_comparison_schools": n_schools - n_treated,
            }
            for subject, (att, se) in OVERALL.items()
        ]
    )
    return ReportInputs(
        overall=overall,
        event_study=event_study,
        pretrend=_pretrend(event_study),
        attgt=attgt,
        comparison=_comparison(overall),
        trends=trends_from_panel(panel),
        program=_program(panel, rng),
        data=DataFacts(
            n_schools=n_schools,
            first_year=first_year,
            last_year=last_year,
            tests=TESTS[TESTS["first_year"] <= last_year],
            rows_loaded=int(panel["n_tested"].sum()) + 95_000,
            rows_rejected=1_234,
            file_count=128,
            ledger_hash=hashlib.sha256(f"example-{seed}".encode()).hexdigest(),
            run_time=datetime(2025, 1, 15, 2, 30, tzinfo=UTC),
            rejects_by_reason=pd.DataFrame(
                {
                    "reason": ["score out of range", "unknown school code", "duplicate row"],
                    "rows": [812, 301, 121],
                }
            ),
        ),
        robustness=_robustness(overall, rng),
        is_synthetic=True,
    )


def _attgt(rng: np.random.Generator, first_year: int, last_year: int) -> pd.DataFrame:
    rows = []
    for subject in SUBJECTS:
        for group, size in COHORT_SIZES.items():
            for time in range(first_year + 1, last_year + 1):
                if time == 2020:
                    continue
                se = 0.11 / np.sqrt(size)
                att = float(true_effect(time - group, subject)) + rng.normal(0, se)
                rows.append((subject, group, time, att, se))
    frame = pd.DataFrame(rows, columns=["subject", "group", "time", "att", "se"])
    return frame.assign(ci_lower=frame.att - 1.96 * frame.se, ci_upper=frame.att + 1.96 * frame.se)


def _event_study(rng: np.random.Generator, first_year: int, last_year: int) -> pd.DataFrame:
    earliest = min(COHORT_SIZES)
    event_times = [e for e in range(first_year - earliest, last_year - earliest + 1) if e != -1]
    rows = []
    for subject in SUBJECTS:
        for e in event_times:
            se = 0.018 + 0.002 * abs(e)
            att = float(true_effect(e, subject)) + rng.normal(0, se)
            rows.append((subject, e, att, se))
    frame = pd.DataFrame(rows, columns=["subject", "event_time", "att", "se"])
    # Uniform bands are wider than pointwise intervals.
    return frame.assign(ci_lower=frame.att - 2.6 * frame.se, ci_upper=frame.att + 2.6 * frame.se)


def _pretrend(event_study: pd.DataFrame) -> pd.DataFrame:
    pre = event_study[event_study["event_time"] < 0]
    stats = pre.groupby("subject", sort=False).apply(
        lambda g: pd.Series({"statistic": float(((g.att / g.se) ** 2).sum()), "df": len(g)}),
        include_groups=False,
    )
    stats["p_value"] = chi2.sf(stats["statistic"], stats["df"])
    return stats.reset_index()


def _comparison(overall: pd.DataFrame) -> pd.DataFrame:
    shifts = {
        "Callaway & Sant'Anna": (0.0, 1.0),
        "Sun & Abraham": (0.003, 1.05),
        "Imputation (Borusyak et al.)": (-0.002, 0.9),
        "Two-way fixed effects": (-0.02, 0.85),
    }
    rows = []
    for row in overall.itertuples(index=False):
        for estimator, (shift, se_ratio) in shifts.items():
            att, se = row.att + shift, row.se * se_ratio
            rows.append((row.subject, estimator, att, se, att - 1.96 * se, att + 1.96 * se))
    return pd.DataFrame(rows, columns=["subject", "estimator", "att", "se", "ci_lower", "ci_upper"])


def _program(panel: pd.DataFrame, rng: np.random.Generator) -> ProgramInputs:
    treated = panel[(panel["cohort"] > 0) & (panel["subject"] == SUBJECTS[0])]
    baseline = treated[treated["year"] == treated["cohort"] - 1]
    schools = pd.DataFrame(
        {
            "school_name": [f"Example School {i + 1:03d}" for i in baseline["school_id"]],
            "system_name": [f"System {(i * 7) % 67 + 1:03d}" for i in baseline["school_id"]],
            "cohort": baseline["cohort"].to_numpy(),
            "n_students": baseline["n_tested"].to_numpy(),
        }
    )
    partnered = treated[treated["year"] >= treated["cohort"]]
    dose = pd.DataFrame(
        {
            "cohort": partnered["cohort"].to_numpy(),
            "year": partnered["year"].to_numpy(),
            "minutes_per_teacher": rng.lognormal(np.log(420), 0.45, len(partnered)).round(),
        }
    )
    activity = pd.DataFrame(
        {"activity_type": list(ACTIVITY_MINUTES), "minutes": list(ACTIVITY_MINUTES.values())}
    )
    return ProgramInputs(schools=schools, dose=dose, activity_mix=activity)


def _robustness(overall: pd.DataFrame, rng: np.random.Generator) -> RobustnessInputs:
    bacon, honest, randomization, balance, dose_groups = [], [], [], [], []
    for row in overall.itertuples(index=False):
        bacon += [
            (row.subject, "Treated vs never treated", 0.78, row.att + 0.004),
            (row.subject, "Earlier vs later treated", 0.12, row.att - 0.01),
            (row.subject, "Later vs earlier treated", 0.10, row.att - 0.09),
        ]
        for m in (0.0, 0.5, 1.0, 1.5, 2.0):
            half = 1.96 * row.se * (1 + 1.6 * m)
            honest.append((row.subject, m, row.att - half, row.att + half))
        randomization.append((row.subject, 0.03 if row.att > 0.04 else 0.41, 999))
        balance.append((row.subject, -0.31 if row.subject == "reading" else -0.27))
        for label, factor, n_schools in (
            ("Low (under 300 min/teacher)", 0.6, 11),
            ("Middle (300-600)", 1.0, 11),
            ("High (over 600)", 1.4, 11),
        ):
            att = row.att * factor + rng.normal(0, 0.005)
            se = row.se * 1.7
            dose_groups.append(
                (
                    row.subject,
                    label,
                    n_schools,
                    11 * 2600,
                    att,
                    se,
                    att - 1.96 * se,
                    att + 1.96 * se,
                )
            )
    return RobustnessInputs(
        bacon=pd.DataFrame(bacon, columns=["subject", "comparison_type", "weight", "estimate"]),
        honest=pd.DataFrame(honest, columns=["subject", "m", "ci_lower", "ci_upper"]),
        randomization=pd.DataFrame(randomization, columns=["subject", "p_value", "n_permutations"]),
        balance=pd.DataFrame(balance, columns=["subject", "g"]),
        dose_groups=pd.DataFrame(
            dose_groups,
            columns=[
                "subject",
                "dose_group",
                "n_schools",
                "n_students",
                "att",
                "se",
                "ci_lower",
                "ci_upper",
            ],
        ),
    )


def main(argv: list[str]) -> None:
    """Write a preview report: ``out.html [n_schools]``."""
    from pipelines.report.render.build import build_report

    out = Path(argv[0]) if argv else Path("impact_report_preview.html")
    n_schools = int(argv[1]) if len(argv) > 1 else 1400
    print(build_report(example_inputs(n_schools=n_schools), out))


if __name__ == "__main__":
    main(sys.argv[1:])
