"""Map the published marts and estimate tables onto the report's :class:`ReportInputs`.

docs/report.md lists which table feeds each field. The headline numbers are the headline
specification's ``simple`` aggregation in ``estimates_aggregate``, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from pipelines.layouts import ACTIVITY_TYPES
from pipelines.marts.build import column_suffix
from pipelines.report.render.aggregate import trends_from_panel
from pipelines.report.render.inputs import (
    DataFacts,
    ProgramInputs,
    ReportInputs,
    RobustnessInputs,
    StudyInputs,
)

_ESTIMATE = ["att", "se", "ci_lower", "ci_upper"]


class NoHeadlineError(ValueError):
    """No subject has an estimate of the headline specification: nothing to report."""


@dataclass(frozen=True)
class ReportSources:
    """The tables the report reads: marts by name and estimate tables by name."""

    marts: Mapping[str, pd.DataFrame]
    estimates: Mapping[str, pd.DataFrame]
    headline: str
    outcome: str
    control_group: str | None = None


def headline_subjects(sources: ReportSources) -> list[str]:
    """Subjects with a headline estimate, in the order they were estimated."""
    aggregate = sources.estimates["estimates_aggregate"]
    rows = aggregate[
        (aggregate["specification"] == sources.headline) & (aggregate["aggregation"] == "simple")
    ]
    return list(dict.fromkeys(rows["subject"]))


def report_inputs(sources: ReportSources, facts: DataFacts, synthetic: bool) -> ReportInputs:
    """Everything the report shows; :class:`NoHeadlineError` without a headline estimate."""
    subjects = headline_subjects(sources)
    if not subjects:
        raise NoHeadlineError(
            f"the headline specification {sources.headline!r} has no estimate for any subject "
            "(see estimates_status)"
        )
    estimates = {name: _for_subjects(frame, subjects) for name, frame in sources.estimates.items()}
    headline = {name: _of_spec(frame, sources.headline) for name, frame in estimates.items()}
    panel = sources.marts["school_panel"]
    return ReportInputs(
        overall=_overall(headline["estimates_aggregate"], headline["estimates_comparison"]),
        event_study=headline["estimates_event_study"][["subject", "event_time", *_ESTIMATE]],
        pretrend=headline["estimates_pretrend"][["subject", "statistic", "df", "p_value"]],
        attgt=headline["estimates_attgt"][["subject", "group", "time", *_ESTIMATE]],
        comparison=_comparison(estimates["estimates_comparison"], sources.headline),
        trends=trends_from_panel(
            panel[panel["subject"].isin(subjects)],
            yname=sources.outcome,
            tname="school_year",
            gname="cohort",
            idname="school_id",
            weightsname="n_tested",
            subject="subject",
        ),
        program=_program(sources.marts),
        data=facts,
        robustness=_robustness(estimates, sources.outcome),
        study=_study(sources, estimates, headline),
        is_synthetic=synthetic,
        reference_period=_reference_period(headline["estimates_event_study"]),
    )


def _for_subjects(frame: pd.DataFrame, subjects: list[str]) -> pd.DataFrame:
    if "subject" not in frame.columns:
        return frame
    return frame[frame["subject"].isin(subjects)].reset_index(drop=True)


def _of_spec(frame: pd.DataFrame, specification: str) -> pd.DataFrame:
    if "specification" not in frame.columns:
        return frame
    return frame[frame["specification"] == specification].reset_index(drop=True)


def _overall(aggregate: pd.DataFrame, comparison: pd.DataFrame) -> pd.DataFrame:
    simple = aggregate[(aggregate["aggregation"] == "simple") & aggregate["key"].isna()]
    counts = comparison[["subject", "method", "n_treated_schools", "n_comparison_schools"]]
    overall = simple[["subject", *_ESTIMATE]].merge(counts, on="subject", how="left")
    return overall.astype({"n_treated_schools": int, "n_comparison_schools": int})


def _comparison(comparison: pd.DataFrame, headline: str) -> pd.DataFrame:
    first = comparison["specification"] == headline
    ordered = pd.concat([comparison[first], comparison[~first]], ignore_index=True)
    return ordered[["subject", "estimator", *_ESTIMATE]]


def _reference_period(event_study: pd.DataFrame) -> int:
    references = event_study["reference_period"].dropna().unique()
    return int(references[0]) if len(references) else -1


def _program(marts: Mapping[str, pd.DataFrame]) -> ProgramInputs:
    treatment = marts["treatment"]
    partnered = treatment[treatment["cohort"] > 0]
    panel = marts["school_panel"]
    before = panel[panel["school_year"] == panel["cohort"] - 1]
    # A school's students tested that year: the largest count over subjects (ELA and math are
    # taken by nearly every student; science only in some grades).
    students = before.groupby("school_id")["n_tested"].max()
    schools = partnered.assign(
        n_students=partnered["school_id"].map(students).fillna(0).astype(int)
    )[["school_name", "system_name", "cohort", "n_students"]]
    dose = marts["partnering_dose"]
    partnered_years = dose[dose["partnered"] & dose["minutes_per_teacher"].notna()]
    cohorts = treatment.set_index("school_id")["cohort"]
    dose_rows = pd.DataFrame(
        {
            "cohort": partnered_years["school_id"].map(cohorts).to_numpy(),
            "year": partnered_years["school_year"].to_numpy(),
            "minutes_per_teacher": partnered_years["minutes_per_teacher"].to_numpy(),
        }
    )
    minutes = dose["minutes"].fillna(0)
    activity_mix = pd.DataFrame(
        {
            "activity_type": [label[:1].upper() + label[1:] for label in ACTIVITY_TYPES],
            "minutes": [
                float((dose[f"share_activity_{column_suffix(label)}"].fillna(0) * minutes).sum())
                for label in ACTIVITY_TYPES
            ],
        }
    )
    return ProgramInputs(
        schools=schools.sort_values(["cohort", "school_name"]).reset_index(drop=True),
        dose=dose_rows[dose_rows["cohort"] > 0].reset_index(drop=True),
        activity_mix=activity_mix.sort_values("minutes", ascending=False).reset_index(drop=True),
    )


def _robustness(estimates: Mapping[str, pd.DataFrame], outcome: str) -> RobustnessInputs:
    balance = estimates["estimates_balance"]
    balance = balance[balance["variable"] == outcome].rename(columns={"hedges_g": "g"})
    groups = estimates["estimates_dose_groups"]
    groups = groups.assign(
        dose_group=[
            f"{row.dose_group[:1].upper()}{row.dose_group[1:]} ({row.dose_min:,.0f} to "
            f"{row.dose_max:,.0f} min per teacher)"
            for row in groups.itertuples(index=False)
        ]
    )
    frames = {
        "bacon": (
            estimates["estimates_bacon"],
            ["subject", "comparison_type", "weight", "estimate"],
        ),
        "honest": (
            estimates["estimates_honest_did"],
            _present(
                estimates["estimates_honest_did"],
                "subject",
                "m",
                "ci_lower",
                "ci_upper",
                "breakdown_m",
            ),
        ),
        "randomization": (
            estimates["estimates_randomization"],
            _present(
                estimates["estimates_randomization"],
                "subject",
                "p_value",
                "n_permutations",
                "p_value_floor",
            ),
        ),
        "balance": (balance, ["subject", "g"]),
        "dose_groups": (
            groups,
            ["subject", "dose_group", "n_schools", "n_students", *_ESTIMATE],
        ),
    }
    return RobustnessInputs(
        **{
            name: frame[columns].reset_index(drop=True) if not frame.empty else None
            for name, (frame, columns) in frames.items()
        }
    )


def _present(frame: pd.DataFrame, *columns: str) -> list[str]:
    """The columns of ``columns`` that the published table has (newer ones may be absent)."""
    return [column for column in columns if column in frame.columns]


def _optional(estimates: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    frame = estimates.get(name)
    return frame.reset_index(drop=True) if frame is not None and not frame.empty else None


def _study(
    sources: ReportSources,
    estimates: Mapping[str, pd.DataFrame],
    headline: Mapping[str, pd.DataFrame],
) -> StudyInputs:
    """What the reader must know: estimand, schools in and out, overlap, MDE, refusals."""
    treatment = sources.marts["treatment"]
    panel = sources.marts["school_panel"]
    partnered = treatment[treatment["cohort"] > 0]
    last_roster_year = int(panel["school_year"].max())
    left = partnered["last_year"].notna() & (partnered["last_year"] < last_roster_year)
    aggregate = headline["estimates_aggregate"]
    estimands = (
        tuple(dict.fromkeys(aggregate["estimand"].dropna().astype(str)))
        if "estimand" in aggregate.columns
        else ()
    )
    levels = None
    schools = sources.marts.get("schools")
    if schools is not None:
        # A school's level in its latest roster year.
        latest = schools.sort_values("school_year").drop_duplicates("school_id", keep="last")
        tested = set(panel["school_id"])
        levels = (
            latest.assign(in_analysis=latest["school_id"].isin(tested))
            .groupby("level", as_index=False)
            .agg(n_schools=("school_id", "nunique"), n_in_analysis=("in_analysis", "sum"))
            .astype({"n_in_analysis": int})
        )
    cohorts = (
        partnered.groupby("cohort", as_index=False)
        .agg(n_schools=("school_id", "nunique"), n_systems=("system_code", "nunique"))
        .sort_values("cohort")
        .reset_index(drop=True)
    )
    balance = headline.get("estimates_balance")
    if balance is None or balance.empty:
        # The balance rows carry the robustness entry's name, not the headline's.
        balance = _optional(estimates, "estimates_balance")
    return StudyInputs(
        control_group=sources.control_group,
        estimands=estimands,
        n_partnered=len(partnered),
        n_left=int(left.sum()),
        levels=levels,
        cohorts=cohorts,
        exit=_optional(headline, "estimates_exit"),
        overlap=_optional(estimates, "estimates_overlap"),
        mde=_optional(headline, "estimates_mde"),
        status=_optional(sources.estimates, "estimates_status"),
        balance=balance,
        common_support=_common_support(estimates["estimates_comparison"]),
        published_tables=tuple(
            name for name, frame in sources.estimates.items() if frame is not None
        ),
        outcome=sources.outcome,
        subgroups=_optional(estimates, "estimates_subgroups"),
        subgroup_tests=_optional(estimates, "estimates_subgroup_tests"),
        subgroup_differences=_optional(estimates, "estimates_subgroup_differences"),
    )


COMMON_SUPPORT = "common_support"


def _common_support(comparison: pd.DataFrame) -> pd.DataFrame | None:
    """The comparison rows of the common-support specification, when one is published."""
    rows = comparison[comparison["specification"].astype(str).str.contains(COMMON_SUPPORT)]
    return rows.reset_index(drop=True) if not rows.empty else None
