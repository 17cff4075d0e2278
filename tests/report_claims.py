"""Rebuild every claim of a published report from the tables it was built from.

``expected_claims`` reads the published estimate tables and marts of a run directly (not
through ``pipelines.report.sources``) and calls the claim functions on them; ``page_text`` is
what a reader sees. A claim the page does not carry word for word is a disagreement between
text and table.
"""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path

import pandas as pd

from pipelines.estimates.specification import load_analysis
from pipelines.privacy.suppression import MIN_CELL_SIZE
from pipelines.report.render import claims


def page_text(html: str) -> str:
    """The report's visible text, whitespace collapsed (scripts and styles left out)."""
    body = html.split("</head>", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", body))
    return " ".join(text.split())


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / f"{name}.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def expected_claims(data: Path) -> dict[str, str]:
    """Every claim the report must make, keyed by what it is about, from ``data``'s tables."""
    analysis = load_analysis()
    headline = analysis.headline
    estimates, marts = data / "estimates", data / "marts"
    aggregate = _read(estimates, "estimates_aggregate")
    overall = aggregate[
        (aggregate["specification"] == headline)
        & (aggregate["aggregation"] == "simple")
        & aggregate["key"].isna()
    ]
    subjects = list(overall["subject"])

    def of_headline(name: str) -> pd.DataFrame:
        frame = _read(estimates, name)
        return frame[frame["specification"] == headline].reset_index(drop=True)

    comparison = of_headline("estimates_comparison")
    expected = {"bottom line": claims.bottom_line(overall)}
    expected["design"] = claims.design_sentence(
        analysis.headline_specification.control_group,
        int(comparison["n_treated_schools"].max()),
        int(comparison["n_comparison_schools"].max()),
    )
    for row in overall.itertuples(index=False):
        expected[f"highlight {row.subject}"] = claims.subject_highlight(
            row.subject, row.att, row.ci_lower, row.ci_upper
        )
    event_study = of_headline("estimates_event_study")
    pretrend = of_headline("estimates_pretrend")
    attgt = of_headline("estimates_attgt")
    honest = of_headline("estimates_honest_did")
    all_comparison = _read(estimates, "estimates_comparison")
    ordered = pd.concat(
        [
            all_comparison[all_comparison["specification"] == headline],
            all_comparison[all_comparison["specification"] != headline],
        ]
    )
    bacon = _read(estimates, "estimates_bacon")
    groups = of_headline("estimates_dose_groups")
    groups = groups[groups["n_students"] >= MIN_CELL_SIZE]
    for subject in subjects:
        expected[f"event study {subject}"] = claims.event_study_sentence(
            event_study[event_study["subject"] == subject]
        )
        expected[f"pre-trend {subject}"] = claims.pretrend_sentence(pretrend, subject)
        expected[f"cohorts {subject}"] = claims.cohort_sentence(attgt[attgt["subject"] == subject])
        for name, sentence in (
            ("honest", claims.honest_sentence(honest, subject)),
            ("estimators", claims.comparison_sentence(ordered, subject)),
            ("bacon", claims.bacon_sentence(bacon, subject)),
            ("dose", claims.dose_sentence(groups, subject)),
        ):
            if sentence:
                expected[f"{name} {subject}"] = sentence
    for row in of_headline("estimates_randomization").itertuples(index=False):
        expected[f"randomization {row.subject}"] = claims.randomization_sentence(row)
    treatment = _read(marts, "treatment")
    panel = _read(marts, "school_panel")
    partnered = treatment[treatment["cohort"] > 0]
    n_left = int(
        (
            partnered["last_year"].notna() & (partnered["last_year"] < panel["school_year"].max())
        ).sum()
    )
    estimand = claims.estimand_sentence(
        aggregate.loc[aggregate["specification"] == headline, "estimand"]
        if "estimand" in aggregate.columns
        else (),
        len(partnered),
        n_left,
    )
    expected["estimand"] = estimand or claims.leavers_sentence(len(partnered), n_left)
    schools = _read(marts, "schools").sort_values("school_year")
    latest = schools.drop_duplicates("school_id", keep="last")
    levels = (
        latest.assign(in_analysis=latest["school_id"].isin(set(panel["school_id"])))
        .groupby("level", as_index=False)
        .agg(n_schools=("school_id", "nunique"), n_in_analysis=("in_analysis", "sum"))
    )
    expected["schools"] = claims.schools_sentence(levels)
    mde = _read(estimates, "estimates_mde")
    if mde is not None:
        for subject in subjects:
            sentence = claims.mde_sentence(mde, subject)
            if sentence:
                expected[f"estimates_mde {subject}"] = sentence
    overlap = _read(estimates, "estimates_overlap")
    if overlap is not None:
        for i, sentence in enumerate(claims.overlap_sentences(overlap, subjects)):
            expected[f"estimates_overlap {i}"] = sentence
    exits = _read(estimates, "estimates_exit")
    if exits is not None:
        # The exit-aware table, row by row: its cells read in order, as the page shows them.
        exits = exits[exits["specification"] == headline]
        for row in claims.exit_table_rows(exits, subjects):
            expected[f"estimates_exit {row[0]}"] = " ".join(row)
    published = [path.stem for path in estimates.glob("estimates_*.parquet")]
    for_whom = claims.for_whom_sentence(published)
    if for_whom:
        expected["for whom"] = for_whom
    cells = _read(estimates, "estimates_subgroups")
    if cells is not None and not cells.empty:
        tests = _read(estimates, "estimates_subgroup_tests")
        differences = _read(estimates, "estimates_subgroup_differences")
        for subject in subjects:
            takeaways = claims.for_whom_takeaways(cells, tests, subject, differences)
            for i, sentence in enumerate(takeaways):
                expected[f"for whom {subject} {i}"] = sentence
            hidden = claims.suppressed_subgroups_sentence(cells, subject)
            if hidden:
                expected[f"for whom {subject} not shown"] = hidden
    return expected
