"""What the impact report is built from: plain pandas frames and scalars.

The report never reads marts or runs estimators itself. The Dagster asset maps the published
marts and estimate tables onto :class:`ReportInputs`; tests and the benchmark build the same
shapes directly. Every frame is aggregate (school groups, cohorts, estimates): nothing
student-level is accepted. Years are spring years (2012 = school year 2011-12); ``cohort`` is
the first partnered spring year and 0 means never partnered, as in ``pipelines.did``.
Effects are in student standard-deviation units of the standardized score (z).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

import pandas as pd

ESTIMATE_COLUMNS = ("att", "se", "ci_lower", "ci_upper")


@dataclass(frozen=True)
class ProgramInputs:
    """Who was partnered and how much partnering they got.

    - ``schools``: one row per partnered school: ``school_name``, ``system_name``, ``cohort``,
      ``n_students`` (students tested in the school's last year before partnering; published
      with small-cell suppression).
    - ``dose``: one row per partnered school × partnered year: ``cohort``, ``year``,
      ``minutes_per_teacher`` (from the ``partnering_dose`` mart).
    - ``activity_mix``: ``activity_type``, ``minutes`` (total logged minutes of that type).
    """

    schools: pd.DataFrame
    dose: pd.DataFrame
    activity_mix: pd.DataFrame


@dataclass(frozen=True)
class DataFacts:
    """The data behind the run and its provenance.

    ``tests`` has one row per state test: ``test``, ``first_year``, ``last_year``; a year
    between tests that no test covers (2020) is shown as a gap. ``rejects_by_reason``, when
    given, has ``reason``, ``rows``. ``set_aside``, when given, has ``path``, ``rows`` (the
    files the evaluator moved to the quarantine folder and the records each held; ``rows`` is
    missing when the file could not be counted).
    """

    n_schools: int
    first_year: int
    last_year: int
    tests: pd.DataFrame
    rows_loaded: int
    rows_rejected: int
    file_count: int
    ledger_hash: str
    run_time: datetime
    rejects_by_reason: pd.DataFrame | None = None
    set_aside: pd.DataFrame | None = None


@dataclass(frozen=True)
class RobustnessInputs:
    """Optional checks; each is rendered only when present.

    - ``bacon``: ``subject``, ``comparison_type``, ``weight``, ``estimate`` (Goodman-Bacon
      decomposition of the two-way fixed-effects estimate, summed by comparison type).
    - ``honest``: ``subject``, ``m``, ``ci_lower``, ``ci_upper`` (HonestDiD robust intervals
      for the average post-program effect under relative-magnitude bounds M̄ = ``m``).
    - ``randomization``: ``subject``, ``p_value``, ``n_permutations``.
    - ``balance``: ``subject``, ``g`` (baseline difference of treated minus comparison schools
      on pre-program outcomes, Hedges' g).
    - ``dose_groups``: ``subject``, ``dose_group`` (label, in display order), ``n_schools``,
      ``n_students``, ``att``, ``se``, ``ci_lower``, ``ci_upper``.
    """

    bacon: pd.DataFrame | None = None
    honest: pd.DataFrame | None = None
    randomization: pd.DataFrame | None = None
    balance: pd.DataFrame | None = None
    dose_groups: pd.DataFrame | None = None


@dataclass(frozen=True)
class StudyInputs:
    """What a reader must know besides the effects; each part is said only when present.

    - ``control_group``: the headline specification's comparison schools (``nevertreated`` or
      ``notyettreated``), from the analysis file.
    - ``estimands``: the headline's ``estimates_aggregate.estimand`` values (empty when the
      published table has no such column).
    - ``n_partnered``, ``n_left``: partnered schools and those with a ``last_year`` before the
      last roster year (``treatment`` mart).
    - ``levels``: ``level, n_schools, n_in_analysis``: schools in the rosters by level and
      those with tested students in ``school_panel``.
    - ``cohorts``: ``cohort, n_schools, n_systems``: partnered schools and their systems per
      cohort (the confounding-factor scan).
    - ``exit``, ``overlap``, ``mde``: the headline's rows of ``estimates_exit``,
      ``estimates_overlap`` and ``estimates_mde``, when published.
    - ``status``: ``estimates_status`` (every specification).
    - ``balance``: the headline's ``estimates_balance`` rows (every variable).
    - ``common_support``: ``estimates_comparison`` rows of the common-support specification.
    - ``subgroups``, ``subgroup_tests``, ``subgroup_differences``: ``estimates_subgroups``,
      ``estimates_subgroup_tests`` and ``estimates_subgroup_differences`` (effects by subgroup
      of students, the equality tests, the differences between pairs of subgroups), when
      published.
    - ``published_tables``: the names of the estimate tables published.
    - ``outcome``: the outcome column (``mean_z``).
    """

    control_group: str | None = None
    estimands: tuple[str, ...] = ()
    n_partnered: int | None = None
    n_left: int | None = None
    levels: pd.DataFrame | None = None
    cohorts: pd.DataFrame | None = None
    exit: pd.DataFrame | None = None
    overlap: pd.DataFrame | None = None
    mde: pd.DataFrame | None = None
    status: pd.DataFrame | None = None
    balance: pd.DataFrame | None = None
    common_support: pd.DataFrame | None = None
    published_tables: tuple[str, ...] = ()
    outcome: str = "mean_z"
    subgroups: pd.DataFrame | None = None
    subgroup_tests: pd.DataFrame | None = None
    subgroup_differences: pd.DataFrame | None = None


@dataclass(frozen=True)
class ReportInputs:
    """Everything the leadership impact report shows.

    - ``overall``: one row per subject, in display order: ``subject``, ``att``, ``se``,
      ``ci_lower``, ``ci_upper`` (95%), ``method``, ``n_treated_schools``,
      ``n_comparison_schools``. The headline numbers.
    - ``event_study``: ``subject``, ``event_time`` (years since partnering began), ``att``,
      ``se``, ``ci_lower``, ``ci_upper``.
    - ``pretrend``: one row per subject: ``statistic``, ``df``, ``p_value`` of the joint test
      that all pre-program effects are zero.
    - ``attgt``: ``subject``, ``group`` (cohort), ``time`` (year), ``att``, ``se``,
      ``ci_lower``, ``ci_upper``: the ``att_gt`` result frame with a subject column.
    - ``comparison``: ``subject``, ``estimator``, ``att``, ``se``, ``ci_lower``, ``ci_upper``:
      the overall effect by estimator (the main one included).
    - ``trends``: ``subject``, ``cohort``, ``year``, ``mean_z``, ``n_students``,
      ``n_schools``: student-weighted mean z of each cohort and of the comparison schools
      (cohort 0); see :func:`pipelines.report.render.aggregate.trends_from_panel`.
    - ``reference_period``: the event time the event study is normalized to.
    - ``is_synthetic``: the data is the generated sample; every section says so.
    """

    overall: pd.DataFrame
    event_study: pd.DataFrame
    pretrend: pd.DataFrame
    attgt: pd.DataFrame
    comparison: pd.DataFrame
    trends: pd.DataFrame
    program: ProgramInputs
    data: DataFacts
    robustness: RobustnessInputs = field(default_factory=RobustnessInputs)
    study: StudyInputs = field(default_factory=StudyInputs)
    is_synthetic: bool = False
    reference_period: int = -1

    @property
    def subjects(self) -> list[str]:
        """Subjects in display order (the order of ``overall``)."""
        return self.overall["subject"].tolist()


_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "overall": (
        "subject",
        *ESTIMATE_COLUMNS,
        "method",
        "n_treated_schools",
        "n_comparison_schools",
    ),
    "event_study": ("subject", "event_time", *ESTIMATE_COLUMNS),
    "pretrend": ("subject", "statistic", "df", "p_value"),
    "attgt": ("subject", "group", "time", *ESTIMATE_COLUMNS),
    "comparison": ("subject", "estimator", *ESTIMATE_COLUMNS),
    "trends": ("subject", "cohort", "year", "mean_z", "n_students", "n_schools"),
    "program.schools": ("school_name", "system_name", "cohort", "n_students"),
    "program.dose": ("cohort", "year", "minutes_per_teacher"),
    "program.activity_mix": ("activity_type", "minutes"),
    "data.tests": ("test", "first_year", "last_year"),
    "data.rejects_by_reason": ("reason", "rows"),
    "data.set_aside": ("path", "rows"),
    "robustness.bacon": ("subject", "comparison_type", "weight", "estimate"),
    "robustness.honest": ("subject", "m", "ci_lower", "ci_upper"),
    "study.levels": ("level", "n_schools", "n_in_analysis"),
    "study.cohorts": ("cohort", "n_schools", "n_systems"),
    "study.exit": ("subject", "analysis", "key", *ESTIMATE_COLUMNS, "n_schools"),
    "study.overlap": ("subject", "cohort", "n_treated", "n_outside_support", "rule"),
    "study.mde": ("subject", "mde_sd", "mde_percentile_points", "alpha", "power"),
    "study.status": ("specification", "subject", "step", "status", "message"),
    "study.balance": ("subject", "variable", "hedges_g"),
    "study.common_support": ("subject", *ESTIMATE_COLUMNS, "n_schools_dropped"),
    "study.subgroups": (
        "subject",
        "dimension",
        "subgroup",
        "family",
        *ESTIMATE_COLUMNS,
        "q_value",
        "suppressed",
    ),
    "study.subgroup_tests": ("subject", "dimension", "family", "q_value"),
    "study.subgroup_differences": (
        "subject",
        "dimension",
        "subgroup",
        "compared_with",
        "comparison",
        "difference",
        "ci_lower",
        "ci_upper",
        "suppressed",
    ),
    "robustness.randomization": ("subject", "p_value", "n_permutations"),
    "robustness.balance": ("subject", "g"),
    "robustness.dose_groups": (
        "subject",
        "dose_group",
        "n_schools",
        "n_students",
        *ESTIMATE_COLUMNS,
    ),
}


def validate_inputs(inputs: ReportInputs) -> None:
    """Raise ``ValueError`` naming the frame and columns when an input has the wrong shape."""
    for name, frame in _named_frames(inputs):
        missing = [c for c in _REQUIRED_COLUMNS[name] if c not in frame.columns]
        if missing:
            raise ValueError(f"report input {name} is missing columns {missing}")
    if inputs.overall.empty:
        raise ValueError("report input overall has no rows: there is no headline to report")
    if inputs.overall["subject"].duplicated().any():
        raise ValueError("report input overall must have one row per subject")
    unknown = set(inputs.event_study["subject"]) - set(inputs.subjects)
    if unknown:
        raise ValueError(f"report input event_study has subjects not in overall: {unknown}")


def _named_frames(inputs: ReportInputs) -> list[tuple[str, pd.DataFrame]]:
    named = [
        (name, getattr(inputs, name))
        for name in ("overall", "event_study", "pretrend", "attgt", "comparison", "trends")
    ]
    for prefix, group in (
        ("program", inputs.program),
        ("data", inputs.data),
        ("robustness", inputs.robustness),
        ("study", inputs.study),
    ):
        for item in fields(group):
            value = getattr(group, item.name)
            if isinstance(value, pd.DataFrame):
                named.append((f"{prefix}.{item.name}", value))
    return named
