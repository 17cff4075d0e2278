"""Every sentence of the report that states a number or a judgement: one function per claim.

Each function reads rows of a published estimate table (or mart) with the columns it has there
(docs/analysis.md, docs/marts.md) and returns plain text; the renderer only places and escapes
it. ``tests/test_report_claims.py`` calls the same functions on the tables a demo-state run
published and checks that each sentence is on the page, so text and table cannot disagree.

A claim whose table or column is absent says so, or returns ``None`` (the renderer then leaves
it out): nothing here fills a gap with a number the tables do not hold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from pipelines.did.effect_size import classify_baseline_equivalence, improvement_index
from pipelines.report.render.formatting import (
    P_THRESHOLD,
    fmt_count,
    fmt_p,
    fmt_points,
    fmt_sd,
    includes_zero,
    school_year,
    subject_label,
)

ALPHA = P_THRESHOLD
# Round p-value bounds, smallest first: a p-value at the permutation floor is written as the
# smallest of these above the floor ("p < 0.01" for 199 permutations, whose floor is 0.005).
P_BOUNDS = (0.001, 0.005, 0.01, 0.05, 0.1)
COMPARISON_GROUPS = {
    "nevertreated": "schools never partnered",
    "notyettreated": "schools not yet partnered at the time (and schools never partnered)",
}
ESTIMAND_WORDS = {
    "intent_to_treat": "intent-to-treat",
}
BALANCE_WORDS = {
    "satisfied": "equivalent at baseline",
    "requires adjustment": "needs statistical adjustment (the estimates adjust for it)",
    "not satisfied": "not equivalent: fails the WWC standard",
    "unknown": "not computed",
}


# --- numbers, in the same words everywhere -------------------------------------------------


def points(value: float) -> float:
    """An effect in SD as WWC improvement-index percentile points."""
    return float(improvement_index(value))


def interval_points(low: float, high: float) -> str:
    """``1.0 to 5.4 percentile points``."""
    return f"{fmt_points(points(low))} to {fmt_points(points(high))} percentile points"


def probability_text(symbol: str, value: float) -> str:
    """``p = 0.23`` or ``q < 0.001`` (never ``p = < 0.001``)."""
    text = fmt_p(value)
    return f"{symbol} {text}" if text.startswith("<") else f"{symbol} = {text}"


def p_value_text(p_value: float, floor: float | None) -> str:
    """``p = 0.23``, or a bound (``p < 0.01``) when p is the smallest value the test can give."""
    if floor is not None and math.isfinite(floor) and p_value <= floor * (1 + 1e-9):
        bound = next((b for b in P_BOUNDS if b > floor * (1 + 1e-9)), None)
        return f"p < {bound:g}" if bound is not None else f"p ≤ {floor:.3g}"
    return probability_text("p", p_value)


# --- highlights ------------------------------------------------------------------------------


def verdict(att: float, ci_lower: float, ci_upper: float) -> str:
    """``rose``, ``fell`` or ``cannot tell`` (the 95% interval includes zero)."""
    if includes_zero(ci_lower, ci_upper):
        return "cannot tell"
    return "rose" if att > 0 else "fell"


def _range_words(values: list[float]) -> str:
    rounded = sorted({round(abs(v)) for v in values})
    if len(rounded) == 1:
        return f"about {rounded[0]} percentile point{'s' if rounded[0] != 1 else ''}"
    return f"about {rounded[0]} to {rounded[-1]} percentile points"


def subject_word(subject: str) -> str:
    """A subject inside a sentence: ``ELA`` stays, ``Math`` reads ``math``."""
    label = subject_label(subject)
    return label if label.isupper() else label.lower()


def _names(subjects: Iterable[str]) -> str:
    labels = [subject_word(s) for s in subjects]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def bottom_line(overall: pd.DataFrame) -> str:
    """One sentence over every subject, e.g. "ELA and math rose about 3 to 4 percentile points;
    for science we cannot tell."

    ``overall``: the headline ``simple`` aggregation (``subject, att, ci_lower, ci_upper``).
    """
    groups: dict[str, list] = {"rose": [], "fell": [], "cannot tell": []}
    for row in overall.itertuples(index=False):
        groups[verdict(row.att, row.ci_lower, row.ci_upper)].append(row)
    parts = []
    for word in ("rose", "fell"):
        rows = groups[word]
        if rows:
            parts.append(
                f"{_names(r.subject for r in rows)} {word} "
                f"{_range_words([points(r.att) for r in rows])}"
            )
    if groups["cannot tell"]:
        names = _names(r.subject for r in groups["cannot tell"])
        parts.append(f"for {names} we cannot tell")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def subject_highlight(subject: str, att: float, ci_lower: float, ci_upper: float) -> str:
    """One subject's result in percentile points with its interval and what it means."""
    name = subject_label(subject)
    interval = interval_points(ci_lower, ci_upper)
    if includes_zero(ci_lower, ci_upper):
        return (
            f"{name}: we cannot tell. The estimate is {fmt_points(points(att))} percentile "
            f"points, but the 95% confidence interval ({interval}) includes zero: the program "
            "may have raised, lowered or not changed scores."
        )
    direction = "higher" if att > 0 else "lower"
    percentile = 50 + points(att)
    return (
        f"{name}: students in partnered schools scored {fmt_points(abs(points(att)))} "
        f"percentile points {direction} than they would have without the program (95% "
        f"confidence interval: {interval}). The average student moved from the 50th to about "
        f"the {_ordinal(round(percentile))} percentile of the state."
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def headline_sentence(
    subject: str, att: float, ci_lower: float, ci_upper: float, n_treated: int
) -> str:
    """The one sentence about one subject: effect in SD and percentile points with its CI."""
    name = subject_label(subject)
    if includes_zero(ci_lower, ci_upper):
        return (
            f"{name}: the estimated effect of partnering is {fmt_sd(att)} standard deviations "
            f"(about {fmt_points(points(att))} percentile points), but its 95% confidence "
            f"interval, {fmt_sd(ci_lower)} to {fmt_sd(ci_upper)} standard deviations, includes "
            "zero, so the effect is not distinguishable from zero."
        )
    direction = "higher" if att > 0 else "lower"
    return (
        f"{name}: students in the {n_treated} partnered schools scored {fmt_sd(abs(att))} "
        f"standard deviations {direction} than they would have without the program, about "
        f"{fmt_points(abs(points(att)))} percentile points (95% confidence interval: "
        f"{fmt_sd(ci_lower)} to {fmt_sd(ci_upper)} standard deviations, or "
        f"{interval_points(ci_lower, ci_upper)})."
    )


def comparison_group(control_group: str | None) -> str | None:
    """Which schools the headline compares with, from its specification's control group."""
    return COMPARISON_GROUPS.get(control_group or "")


def design_sentence(control_group: str | None, n_treated: int, n_comparison: int) -> str:
    """How the headline estimate is made, in words, naming its comparison schools."""
    group = comparison_group(control_group)
    who = f" {fmt_count(n_comparison)} {group}" if group else f" {fmt_count(n_comparison)} schools"
    return (
        f"We compare how students in the {n_treated} partnered schools scored with how they "
        "would have scored without the program, estimated from the score trends of"
        f"{who}."
    )


# --- what the reader must know ---------------------------------------------------------------


def estimand_sentence(estimands: Iterable[str], n_partnered: int, n_left: int) -> str | None:
    """The estimand in words, from ``estimates_aggregate.estimand`` and the ``treatment`` mart.

    None when the published estimates do not name their estimand.
    """
    named = {str(e) for e in estimands if isinstance(e, str) and e}
    if named != {"intent_to_treat"}:
        return None
    left = (
        f"{n_left} of the {n_partnered} partnered schools later left the program; they still "
        "count as partnered"
        if n_left
        else f"None of the {n_partnered} partnered schools has left the program"
    )
    return (
        "The headline is an intent-to-treat estimate: a school counts as partnered from its "
        f"first partnered year on, whether or not it stayed in the program. {left}, so the "
        "estimate is the effect of being offered partnering, not of receiving every year of it."
    )


def leavers_sentence(n_partnered: int, n_left: int) -> str:
    """How many partnered schools left the program (``treatment.last_year``)."""
    return f"{n_left} of the {n_partnered} partnered schools left the program before the last year."


EXIT_ANALYSES = {
    "years_partnered": ("{n} year{s} partnered", "by years actually partnered"),
    "years_since_exit": ("{n} year{s} after leaving", "by years since leaving the program"),
}


def exit_table_rows(exit_rows: pd.DataFrame, subjects: Iterable[str]) -> list[list[str]]:
    """The exit-aware estimates (``estimates_exit``) as the rows of one compact table.

    One row per analysis and number of years (years actually partnered first, then years since
    leaving); per subject the effect in SD with its 95% interval (blank when that subject has no
    row), then the number of schools behind the row (one number when every subject has the
    same, else one per subject in the subjects' order). Empty when nothing is published.
    """
    subjects = list(subjects)
    rows = exit_rows[exit_rows["subject"].isin(subjects)]
    table = []
    for analysis, (label, _) in EXIT_ANALYSES.items():
        of_analysis = rows[rows["analysis"] == analysis]
        for key, group in of_analysis.groupby("key", sort=True):
            by_subject = group.drop_duplicates("subject").set_index("subject")
            cells = [label.format(n=int(key), s="s" if int(key) != 1 else "")]
            for subject in subjects:
                if subject in by_subject.index:
                    r = by_subject.loc[subject]
                    cells.append(
                        f"{fmt_sd(r['att'])} ({fmt_sd(r['ci_lower'])} to {fmt_sd(r['ci_upper'])})"
                    )
                else:
                    cells.append("–")
            counts = [
                int(by_subject.loc[s, "n_schools"]) for s in subjects if s in by_subject.index
            ]
            cells.append(
                str(counts[0]) if len(set(counts)) == 1 else " / ".join(str(n) for n in counts)
            )
            table.append(cells)
    return table


def schools_sentence(levels: pd.DataFrame) -> str:
    """Which schools are in the analysis and why the others are not.

    ``levels``: ``level, n_schools, n_in_analysis`` (schools in the rosters by level; those with
    tested students in ``school_panel``).
    """
    total = int(levels["n_schools"].sum())
    used = int(levels["n_in_analysis"].sum())
    out = levels.assign(n_out=levels["n_schools"] - levels["n_in_analysis"])
    out = out[out["n_out"] > 0]
    reasons = "; ".join(
        f"{int(r.n_out)} {str(r.level).lower()} school{'s' if r.n_out != 1 else ''}"
        for r in out.itertuples(index=False)
    )
    text = f"{fmt_count(used)} of the {fmt_count(total)} schools in the rosters are in the analysis"
    if not reasons:
        return text + "."
    return (
        f"{text}. The other {fmt_count(total - used)} have no state test scores in the "
        f"outcome panel ({reasons}): untested, they have no outcome to compare."
    )


def overlap_sentence(overlap: pd.DataFrame, subject: str) -> str | None:
    """Partnered schools with no comparable comparison school (``estimates_overlap``)."""
    sentences = overlap_sentences(overlap, [subject])
    return sentences[0] if sentences else None


def _support_rows(overlap: pd.DataFrame, subject: str) -> pd.DataFrame:
    rows = overlap[overlap["subject"] == subject]
    if "specification" in rows.columns and not rows.empty:
        # One specification's support: the first that published it.
        rows = rows[rows["specification"] == rows["specification"].iloc[0]]
    return rows.sort_values("cohort")


def overlap_sentences(overlap: pd.DataFrame, subjects: Iterable[str]) -> list[str]:
    """Partnered schools with no comparable comparison school (``estimates_overlap``).

    Subjects whose support is the same in every cohort (same counts, same rule) share one
    sentence, naming them all; a subject whose support differs gets its own.
    """
    groups: dict[tuple, list[str]] = {}
    for subject in subjects:
        rows = _support_rows(overlap, subject)
        if rows.empty:
            continue
        facts = (
            tuple(
                (int(r.cohort), int(r.n_outside_support), int(r.n_treated))
                for r in rows.itertuples(index=False)
            ),
            str(rows["rule"].iloc[0]),
        )
        groups.setdefault(facts, []).append(subject)
    sentences = []
    for (cohorts, rule), named in groups.items():
        outside = sum(c[1] for c in cohorts)
        treated = sum(c[2] for c in cohorts)
        by_cohort = ", ".join(
            f"cohort {school_year(cohort)}: {n_out} of {n_treated}"
            for cohort, n_out, n_treated in cohorts
        )
        who = subject_list(named)
        sentences.append(
            f"{who}: {outside} of {treated} partnered schools have no comparable "
            f"comparison school ({by_cohort}; {rule})."
        )
    return sentences


def subject_list(subjects: Iterable[str]) -> str:
    """Subjects' labels in words: "ELA", "ELA and Math", "ELA, Math and Science"."""
    labels = [subject_label(s) for s in subjects]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def common_support_sentence(
    comparison: pd.DataFrame, subject: str, headline_att: float
) -> str | None:
    """What the common-support estimate says beside the headline (``estimates_comparison``).

    ``comparison``: rows of the common-support specification(s).
    """
    rows = comparison[comparison["subject"] == subject]
    if rows.empty:
        return None
    row = rows.iloc[0]
    dropped = int(row["n_schools_dropped"]) if not pd.isna(row["n_schools_dropped"]) else 0
    return (
        f"{subject_label(subject)}: the headline ({fmt_sd(headline_att)} SD) keeps every "
        f"partnered school, extrapolating for those without comparable comparison schools; "
        f"setting aside the {dropped} outside the common support gives {fmt_sd(row['att'])} SD "
        f"(95% CI {fmt_sd(row['ci_lower'])} to {fmt_sd(row['ci_upper'])})."
    )


def refusals(status: pd.DataFrame) -> list[str]:
    """Each expected refusal (``estimates_status.status = not_estimable``) in its own words.

    Subjects of one specification refused with the same message share one line.
    """
    rows = status[status["status"] == "not_estimable"]
    grouped: dict[tuple[str, str], list[str]] = {}
    for r in rows.itertuples(index=False):
        grouped.setdefault((str(r.specification), str(r.message)), []).append(r.subject)
    return [
        f"{specification}, {subject_list(subjects)}: {message}"
        for (specification, message), subjects in grouped.items()
    ]


def mde_sentence(mde: pd.DataFrame, subject: str) -> str | None:
    """The minimum detectable effect of one subject (``estimates_mde``)."""
    rows = mde[mde["subject"] == subject]
    if rows.empty:
        return None
    row = rows.iloc[0]
    return (
        f"{subject_label(subject)}: this study could reliably detect effects of "
        f"{fmt_sd(row['mde_sd'])} SD ({fmt_points(row['mde_percentile_points'])} percentile "
        f"points) or larger ({100 * row['power']:.0f}% power, {100 * row['alpha']:.0f}% "
        "two-sided); a smaller effect may exist and go undetected."
    )


def for_whom_sentence(table_names: Iterable[str]) -> str | None:
    """Whether subgroup effects are published; None when a subgroup table exists."""
    if any("subgroup" in name for name in table_names):
        return None
    return (
        "Effects by student subgroup (economically disadvantaged students, English learners, "
        "students with disabilities, prior achievement, gender, race and ethnicity) are not yet "
        "estimated: the published estimates hold no subgroup results."
    )


DIMENSION_LABELS = {
    "prior_achievement": "prior achievement",
    "economically_disadvantaged": "economic disadvantage",
    "english_learner": "English learner status",
    "disability": "disability (IEP)",
    "gender": "gender",
    "race_ethnicity": "race and ethnicity",
    "grade_band": "grade band",
    "school_level": "school level",
}


def subgroup_label(dimension: str, subgroup: str) -> str:
    """How one subgroup reads: ``economically disadvantaged: yes`` → plain words."""
    plain = {
        ("economically_disadvantaged", "yes"): "economically disadvantaged",
        ("economically_disadvantaged", "no"): "not economically disadvantaged",
        ("english_learner", "yes"): "English learners",
        ("english_learner", "no"): "not English learners",
        ("disability", "yes"): "students with disabilities",
        ("disability", "no"): "students without disabilities",
        ("gender", "female"): "girls",
        ("gender", "male"): "boys",
        ("school_level", "elementary"): "elementary schools",
        ("school_level", "middle"): "middle schools",
        ("school_level", "other"): "other schools (K-8 and other spans)",
    }
    if (dimension, subgroup) in plain:
        return plain[dimension, subgroup]
    if dimension == "prior_achievement":
        return f"{subgroup} of prior achievement"
    return subgroup


def for_whom_takeaways(
    cells: pd.DataFrame,
    tests: pd.DataFrame | None,
    subject: str,
    differences: pd.DataFrame | None = None,
    alpha: float = ALPHA,
) -> list[str]:
    """Plain-words takeaways of one subject's subgroup results (``estimates_subgroups``,
    ``estimates_subgroup_tests`` and ``estimates_subgroup_differences``), respecting the
    declared families.

    A confirmatory dimension's difference is a finding only when its equality test's
    Benjamini-Hochberg q-value is below ``alpha``; it is then quantified by the dimension's
    largest published difference between two of its subgroups. Exploratory results are never
    stated as findings, only counted as leads.
    """
    mine = cells[(cells["subject"] == subject) & ~cells["suppressed"].astype(bool)]
    sentences = []
    name = subject_label(subject)
    my_tests = tests[tests["subject"] == subject] if tests is not None else pd.DataFrame(columns=[])
    for dimension in dict.fromkeys(mine.loc[mine["family"] == "confirmatory", "dimension"]):
        rows = mine[mine["dimension"] == dimension].sort_values("att", ascending=False)
        test = my_tests[my_tests["dimension"] == dimension] if not my_tests.empty else my_tests
        label = DIMENSION_LABELS.get(dimension, dimension)
        if test.empty or len(rows) < 2:
            sentences.append(f"{name}: the effect by {label} could not be compared.")
            continue
        q_value = float(test.iloc[0]["q_value"])
        q_text = probability_text("q", q_value)
        high, low = rows.iloc[0], rows.iloc[-1]
        if q_value < alpha:
            largest = _largest_difference(differences, subject, dimension)
            sentences.append(
                f"{name}: the effect differs by {label} (a pre-declared comparison; {q_text}): "
                + (
                    _difference_phrase(largest) + _chart_range(largest, low, high)
                    if largest is not None
                    else f"largest for {subgroup_label(dimension, high['subgroup'])} "
                    f"({fmt_sd(high['att'])} SD), smallest for "
                    f"{subgroup_label(dimension, low['subgroup'])} ({fmt_sd(low['att'])} SD)."
                )
            )
        else:
            sentences.append(
                f"{name}: no reliable difference by {label} (a pre-declared comparison; "
                f"{q_text}); the estimates range from {fmt_sd(low['att'])} to "
                f"{fmt_sd(high['att'])} SD{_undetectable(test.iloc[0])}."
            )
    exploratory = my_tests[my_tests["family"] == "exploratory"] if not my_tests.empty else my_tests
    if not exploratory.empty:
        leads = int((exploratory["q_value"] < alpha).sum())
        sentences.append(_exploratory_sentence(name, len(exploratory), leads, alpha))
    return sentences


def _exploratory_sentence(name: str, n: int, leads: int, alpha: float) -> str:
    """How many exploratory comparisons there were and how many show a difference (as leads)."""
    if n == 1:
        found = "shows a difference" if leads else "shows no difference"
        return (
            f"{name}: 1 exploratory comparison (not declared in advance); it {found} at "
            f"q < {alpha:g}. Such results are leads for further study, not findings."
        )
    verb = "shows" if leads == 1 else "show"
    return (
        f"{name}: {n} exploratory comparisons (not declared in advance); {leads} of them {verb} "
        f"a difference at q < {alpha:g}. These are leads for further study, not findings."
    )


def _largest_difference(
    differences: pd.DataFrame | None, subject: str, dimension: str
) -> pd.Series | None:
    """The dimension's published difference farthest from zero; None without one."""
    if differences is None or differences.empty:
        return None
    rows = differences[
        (differences["subject"] == subject)
        & (differences["dimension"] == dimension)
        & ~differences["suppressed"].astype(bool)
    ]
    if rows.empty:
        return None
    return rows.loc[rows["difference"].abs().idxmax()]


def _chart_range(largest: pd.Series, low: pd.Series, high: pd.Series) -> str:
    """How the quoted difference relates to the chart's separate estimates."""
    span = f"{fmt_sd(low['att'])} to {fmt_sd(high['att'])} SD"
    if largest["comparison"].startswith("within"):
        return f", more precise than the chart's separate estimates ({span})."
    return f"; the chart's separate estimates range from {span}."


def _difference_phrase(row: pd.Series) -> str:
    """``within the same schools, X gained 0.07 SD more than Y (95% CI ...)``."""
    dimension = row["dimension"]
    where = "within the same schools, " if row["comparison"].startswith("within") else ""
    more = "more" if row["difference"] >= 0 else "less"
    return (
        f"{where}{subgroup_label(dimension, row['subgroup'])} gained "
        f"{fmt_sd(abs(row['difference']))} SD {more} than "
        f"{subgroup_label(dimension, row['compared_with'])} (95% CI "
        f"{fmt_sd(row['ci_lower'])} to {fmt_sd(row['ci_upper'])})"
    )


def _undetectable(test: pd.Series) -> str:
    """'; a difference under ... would likely go unseen': the test's minimum detectable
    difference between two subgroups, when known."""
    mde = test.get("mde_difference")
    if mde is None or not math.isfinite(float(mde)):
        return ""
    return f"; a difference under {fmt_sd(mde)} SD would likely go unseen"


def suppressed_subgroups_sentence(cells: pd.DataFrame, subject: str) -> str | None:
    """Which subgroups of one subject are not shown, and why."""
    rows = cells[(cells["subject"] == subject) & cells["suppressed"].astype(bool)]
    if rows.empty:
        return None
    names = ", ".join(subgroup_label(r.dimension, r.subgroup) for r in rows.itertuples())
    return (
        f"{subject_label(subject)}: not shown ({len(rows)}): {names}, too few students or "
        "partnered schools to estimate or to publish."
    )


# --- findings ------------------------------------------------------------------------------


def event_study_points(event_study: pd.DataFrame) -> tuple[int, int]:
    """(pre-program points plotted, post-program points plotted) of one subject."""
    return int((event_study["event_time"] < 0).sum()), int((event_study["event_time"] >= 0).sum())


def event_study_sentence(event_study: pd.DataFrame) -> str:
    """What the event-study chart of one subject shows, counting the points it plots."""
    frame = event_study.sort_values("event_time")
    pre = frame[frame["event_time"] < 0]
    post = frame[frame["event_time"] >= 0]
    parts = []
    if not pre.empty:
        away = int((~((pre["ci_lower"] <= 0) & (pre["ci_upper"] >= 0))).sum())
        parts.append(
            f"{len(pre)} pre-program points are plotted, from {fmt_sd(pre['att'].min())} to "
            f"{fmt_sd(pre['att'].max())} SD; {away} of their intervals exclude zero"
        )
    if not post.empty:
        last = post.iloc[-1]
        parts.append(
            f"after partnering the estimates range from {fmt_sd(post['att'].min())} to "
            f"{fmt_sd(post['att'].max())} SD, reaching {fmt_sd(last['att'])} SD in year "
            f"{int(last['event_time'])} (95% CI {fmt_sd(last['ci_lower'])} to "
            f"{fmt_sd(last['ci_upper'])})"
        )
    text = "; ".join(parts)
    return (text[0].upper() + text[1:] + ".") if text else "No event-study estimates in this run."


def pretrend_sentence(pretrend: pd.DataFrame, subject: str) -> str:
    """The joint pre-trend test of one subject, said plainly (``estimates_pretrend``).

    The test covers every pre-program cohort × year effect (its degrees of freedom), which the
    plotted event-study points average by years before partnering: the sentence names both.
    """
    rows = pretrend[pretrend["subject"] == subject]
    name = subject_label(subject)
    if rows.empty:
        return f"{name}: the joint pre-trend test was not computed in this run."
    row = rows.iloc[0]
    stats = (
        f"(Wald statistic {row['statistic']:.2f} on the {int(row['df'])} pre-program "
        f"cohort-by-year differences behind the plotted points, "
        f"{probability_text('p', row['p_value'])})"
    )
    if row["p_value"] < ALPHA:
        return (
            f"{name}: a joint test that all pre-program differences are zero rejects it {stats}. "
            "Partnered schools were already moving differently from comparison schools before "
            "partnering, so part of the estimated effect may reflect that earlier difference; "
            "the HonestDiD sensitivity analysis in the appendix shows how much that matters."
        )
    return (
        f"{name}: a joint test that all pre-program differences are zero does not reject it "
        f"{stats}. Before partnering, partnered and comparison schools moved in parallel as far "
        "as the data can tell; this supports, but cannot prove, that they would have kept "
        "doing so without the program."
    )


def pretrend_rejected(pretrend: pd.DataFrame) -> list[str]:
    """The subjects whose joint pre-trend test rejects parallel pre-program trends."""
    return sorted(pretrend.loc[pretrend["p_value"] < ALPHA, "subject"].unique())


def cohort_sentence(attgt: pd.DataFrame) -> str:
    """The largest partnered-year cohort × year effect of one subject, and the placebo range."""
    post = attgt[attgt["time"] >= attgt["group"]]
    if post.empty:
        return "No partnered-year effects to show."
    best = post.loc[post["att"].idxmax()]
    pre = attgt[attgt["time"] < attgt["group"]]
    pre_text = (
        f"; before partnering the cells range from {fmt_sd(pre['att'].min())} to "
        f"{fmt_sd(pre['att'].max())} SD"
        if not pre.empty
        else ""
    )
    return (
        f"The largest partnered-year effect is {fmt_sd(best['att'])} SD (cohort "
        f"{school_year(int(best['group']))} in spring {int(best['time'])}){pre_text}."
    )


def dose_sentence(groups: pd.DataFrame, subject: str) -> str | None:
    """Every dose group shown for one subject, which is largest, and whether they differ.

    ``groups``: the publishable rows of ``estimates_dose_groups`` in display order.
    """
    rows = groups[groups["subject"] == subject]
    if rows.empty:
        return None
    parts = []
    for r in rows.itertuples(index=False):
        zero = "includes zero" if includes_zero(r.ci_lower, r.ci_upper) else "excludes zero"
        parts.append(
            f"{_group_name(r.dose_group)} dose {fmt_sd(r.att)} SD (95% CI {fmt_sd(r.ci_lower)} "
            f"to {fmt_sd(r.ci_upper)}, {zero})"
        )
    largest = rows.loc[rows["att"].idxmax()]
    overlap = all(
        a.ci_lower <= b.ci_upper and b.ci_lower <= a.ci_upper
        for a in rows.itertuples(index=False)
        for b in rows.itertuples(index=False)
    )
    apart = (
        "every pair of intervals overlaps, so the data cannot tell the groups apart"
        if overlap
        else "some intervals do not overlap"
    )
    return (
        f"{subject_label(subject)}: " + "; ".join(parts) + f". The largest estimate is in the "
        f"{_group_name(largest['dose_group'])} dose group; {apart}."
    )


def _group_name(label: str) -> str:
    return str(label).split(" (")[0].lower()


def comparison_sentence(comparison: pd.DataFrame, subject: str) -> str | None:
    """The range of overall effects across estimators for one subject."""
    rows = comparison[comparison["subject"] == subject]
    if rows.empty:
        return None
    low, high = rows.loc[rows["att"].idxmin()], rows.loc[rows["att"].idxmax()]
    return (
        f"{subject_label(subject)}: the {len(rows)} estimates range from {fmt_sd(low['att'])} "
        f"SD ({low['estimator']}) to {fmt_sd(high['att'])} SD ({high['estimator']})."
    )


def bacon_sentence(bacon: pd.DataFrame, subject: str) -> str | None:
    """Where most of the TWFE estimate's weight sits (``estimates_bacon``)."""
    rows = bacon[bacon["subject"] == subject]
    if rows.empty:
        return None
    top = rows.loc[rows["weight"].idxmax()]
    return (
        f"{subject_label(subject)}: {100 * top['weight']:.0f}% of the weight is on "
        f"{str(top['comparison_type']).lower()} comparisons (average "
        f"{fmt_sd(top['estimate'])} SD)."
    )


def honest_sentence(honest: pd.DataFrame, subject: str) -> str | None:
    """How large a parallel-trends violation would overturn the result (HonestDiD).

    Reads the published ``breakdown_m`` (the smallest M̄ whose robust interval includes zero,
    found by bisection); only without that column does it describe the grid of M̄ shown.
    """
    rows = honest[honest["subject"] == subject].sort_values("m")
    if rows.empty:
        return None
    name = subject_label(subject)
    breakdown = (
        float(rows["breakdown_m"].dropna().iloc[0])
        if "breakdown_m" in rows.columns and rows["breakdown_m"].notna().any()
        else None
    )
    if breakdown is not None:
        if breakdown == 0:
            return f"{name}: the robust interval includes zero even with no violation (M̄ = 0)."
        if math.isinf(breakdown):
            return f"{name}: the robust interval excludes zero for every M̄ searched."
        return (
            f"{name}: the effect stays distinguishable from zero only if the violation after "
            f"partnering is less than {breakdown:.2f} times the largest one before it "
            f"(breakdown M̄ = {breakdown:.2f})."
        )
    crossing = rows[(rows["ci_lower"] <= 0) & (rows["ci_upper"] >= 0)]
    if crossing.empty:
        return (
            f"{name}: the robust interval excludes zero at every M̄ shown, up to "
            f"{rows['m'].max():g}."
        )
    first = float(crossing["m"].min())
    return (
        f"{name}: the robust interval includes zero from M̄ = {first:g} on, among the values shown."
    )


def randomization_sentence(row) -> str:
    """Randomization inference for one subject (``estimates_randomization`` row)."""
    n = int(row.n_permutations)
    floor = getattr(row, "p_value_floor", None)
    # Without the published floor: the permutation p-value is (1 + #{|T*| >= |T|}) / (1 + n)
    # (pipelines.did.randomization), so its smallest value is 1 / (1 + n).
    floor = float(floor) if floor is not None and not pd.isna(floor) else 1.0 / (n + 1)
    p_text = p_value_text(float(row.p_value), floor)
    at_floor = (
        floor is not None and p_text.startswith("p <") and float(row.p_value) <= floor * 1.000001
    )
    bound = (
        f" ({fmt_p(floor)} is the smallest p-value {n:,} reassignments can give)"
        if at_floor
        else ""
    )
    significant = float(row.p_value) < ALPHA
    verdict_text = (
        "chance alone rarely produces an effect this large"
        if significant
        else "chance alone often produces an effect this large"
    )
    return (
        f"{subject_label(row.subject)}: in {n:,} random reassignments of partnering among "
        f"comparable schools, {p_text}{bound}: {verdict_text}."
    )


def balance_sentence(balance: pd.DataFrame, subject: str, outcome_name: str) -> str | None:
    """WWC baseline equivalence of one outcome (``estimates_balance``)."""
    rows = balance[balance["subject"] == subject]
    if rows.empty or "hedges_g" not in rows.columns:
        return None
    g = float(rows["hedges_g"].iloc[0])
    rating = BALANCE_WORDS[classify_baseline_equivalence(g)]
    return (
        f"{subject_label(subject)}: baseline difference on {outcome_name} g = {fmt_sd(g)} SD, "
        f"{rating}."
    )


def status_counts(status: pd.DataFrame) -> dict[str, int]:
    """How many estimation steps ended ``ok``, ``not_estimable`` and ``failed``."""
    counts = status["status"].value_counts()
    return {name: int(counts.get(name, 0)) for name in ("ok", "not_estimable", "failed")}


def mde_range(mde: pd.DataFrame) -> str | None:
    """The minimum detectable effects over subjects in one highlight sentence."""
    if mde.empty:
        return None
    low, high = mde["mde_sd"].min(), mde["mde_sd"].max()
    low_pts, high_pts = mde["mde_percentile_points"].min(), mde["mde_percentile_points"].max()
    sd = fmt_sd(low) if fmt_sd(low) == fmt_sd(high) else f"{fmt_sd(low)} to {fmt_sd(high)}"
    pts = (
        fmt_points(low_pts)
        if fmt_points(low_pts) == fmt_points(high_pts)
        else f"{fmt_points(low_pts)} to {fmt_points(high_pts)}"
    )
    return (
        f"This study could reliably detect effects of {sd} SD ({pts} percentile points) or "
        "larger, depending on the subject; a smaller effect may exist and go undetected."
    )
