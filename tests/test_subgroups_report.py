"""The report's "For whom" section: a forest plot per subject and takeaways that respect the
declared families (no exploratory difference is stated as a finding)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from pipelines.report.render import build_report, claims
from pipelines.report.render.example import example_inputs
from tests.report_claims import page_text


def _cells(subject: str) -> pd.DataFrame:
    rows = [
        ("prior_achievement", "lowest third", "confirmatory", 0.15, False),
        ("prior_achievement", "middle third", "confirmatory", 0.08, False),
        ("prior_achievement", "highest third", "confirmatory", 0.0, False),
        ("economically_disadvantaged", "yes", "confirmatory", 0.09, False),
        ("economically_disadvantaged", "no", "confirmatory", 0.07, False),
        ("race_ethnicity", "White", "exploratory", 0.02, False),
        ("race_ethnicity", "Black", "exploratory", 0.20, False),
        ("race_ethnicity", "Asian", "exploratory", np.nan, True),
    ]
    frame = pd.DataFrame(rows, columns=["dimension", "subgroup", "family", "att", "suppressed"])
    return frame.assign(
        subject=subject,
        se=0.03,
        ci_lower=frame["att"] - 0.06,
        ci_upper=frame["att"] + 0.06,
        p_value=0.01,
        q_value=0.02,
        n_schools=40,
        n_students=500,
    )


def _tests(subject: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject": subject,
            "dimension": ["prior_achievement", "economically_disadvantaged", "race_ethnicity"],
            "family": ["confirmatory", "confirmatory", "exploratory"],
            "statistic": [12.0, 0.3, 9.0],
            "df": [2, 1, 1],
            "p_value": [0.002, 0.6, 0.003],
            "q_value": [0.004, 0.6, 0.003],
            "mde_difference": [0.1, 0.31, 0.2],
        }
    )


def _differences(subject: str) -> pd.DataFrame:
    rows = [
        ("prior_achievement", "lowest third", "highest third", 0.12, 0.04, 0.20, False),
        ("prior_achievement", "middle third", "highest third", -0.15, -0.25, -0.05, False),
        ("economically_disadvantaged", "yes", "no", 0.02, -0.03, 0.07, False),
    ]
    columns = ["dimension", "subgroup", "compared_with", "difference", "ci_lower", "ci_upper"]
    frame = pd.DataFrame(rows, columns=[*columns, "suppressed"])
    return frame.assign(
        subject=subject, comparison="within schools: imputation on the school-year difference"
    )


def test_a_confirmatory_finding_is_quantified_by_its_largest_difference() -> None:
    tests = _tests("ela").assign(q_value=[0.0004, 0.6, 0.003])
    sentences = claims.for_whom_takeaways(_cells("ela"), tests, "ela", _differences("ela"))
    # The middle third's difference is the largest in size; tiny q reads as a bound.
    assert sentences[0] == (
        "ELA: the effect differs by prior achievement (a pre-declared comparison; q < 0.001): "
        "within the same schools, middle third of prior achievement gained 0.15 SD less than "
        "highest third of prior achievement (95% CI \u22120.25 to \u22120.05), more precise "
        "than the chart's separate estimates (0.00 to 0.15 SD)."
    )
    # A suppressed difference is never quoted.
    hidden = _differences("ela").assign(suppressed=[False, True, False])
    sentences = claims.for_whom_takeaways(_cells("ela"), tests, "ela", hidden)
    assert "lowest third of prior achievement gained 0.12 SD more than highest" in sentences[0]


def test_takeaways_state_confirmatory_findings_only() -> None:
    cells, tests = _cells("ela"), _tests("ela")
    sentences = claims.for_whom_takeaways(cells, tests, "ela")
    assert sentences[0].startswith("ELA: the effect differs by prior achievement")
    assert "largest for lowest third of prior achievement (0.15 SD)" in sentences[0]
    assert sentences[1] == (
        "ELA: no reliable difference by economic disadvantage (a pre-declared comparison; "
        "q = 0.60); the estimates range from 0.07 to 0.09 SD; a difference under 0.31 SD would "
        "likely go unseen."
    )
    # The exploratory race difference has a small q-value but is only counted as a lead.
    assert sentences[2] == (
        "ELA: 1 exploratory comparison (not declared in advance); it shows a difference at "
        "q < 0.05. Such results are leads for further study, not findings."
    )
    assert not any("differs by race" in s for s in sentences)


def test_the_section_shows_a_forest_plot_per_subject_and_the_takeaways(tmp_path) -> None:
    inputs = example_inputs(n_schools=120, seed=3)
    cells = pd.concat([_cells(s) for s in inputs.subjects], ignore_index=True)
    tests = pd.concat([_tests(s) for s in inputs.subjects], ignore_index=True)
    differences = pd.concat([_differences(s) for s in inputs.subjects], ignore_index=True)
    study = dataclasses.replace(
        inputs.study,
        published_tables=(*inputs.study.published_tables, "estimates_subgroups"),
        subgroups=cells,
        subgroup_tests=tests,
        subgroup_differences=differences,
    )
    html = build_report(dataclasses.replace(inputs, study=study), tmp_path / "r.html")
    source = html.read_text(encoding="utf-8")
    text = page_text(source)
    for subject in inputs.subjects:
        assert f'id="fig-for-whom-{subject}"' in source
        for sentence in claims.for_whom_takeaways(cells, tests, subject, differences):
            assert sentence in text
        assert claims.suppressed_subgroups_sentence(cells, subject) in text
    assert "not yet estimated" not in text
    # The methods appendix says how subgroups and their differences are estimated, only when
    # subgroup tables are published.
    assert "<h3>Subgroups</h3>" in source
    plain = build_report(inputs, tmp_path / "without.html").read_text(encoding="utf-8")
    assert "<h3>Subgroups</h3>" not in plain


def test_without_a_minimum_detectable_difference_no_bound_is_claimed() -> None:
    tests = _tests("ela").assign(mde_difference=np.nan)
    sentences = claims.for_whom_takeaways(_cells("ela"), tests, "ela")
    assert sentences[1].endswith("the estimates range from 0.07 to 0.09 SD.")


def test_school_levels_read_as_schools_in_the_forest_plot_and_the_hidden_list(tmp_path) -> None:
    inputs = example_inputs(n_schools=120, seed=3)
    levels = pd.DataFrame(
        [
            ("school_level", "elementary", "exploratory", 0.12, False),
            ("school_level", "middle", "exploratory", 0.04, False),
            ("school_level", "other", "exploratory", np.nan, True),
        ],
        columns=["dimension", "subgroup", "family", "att", "suppressed"],
    )
    cells = pd.concat(
        [
            pd.concat([_cells(s), levels.assign(subject=s, se=0.03, q_value=0.2)])
            for s in inputs.subjects
        ],
        ignore_index=True,
    ).assign(ci_lower=lambda f: f["att"] - 0.06, ci_upper=lambda f: f["att"] + 0.06)
    tests = pd.concat([_tests(s) for s in inputs.subjects], ignore_index=True)
    study = dataclasses.replace(
        inputs.study,
        published_tables=(*inputs.study.published_tables, "estimates_subgroups"),
        subgroups=cells,
        subgroup_tests=tests,
    )
    html = build_report(dataclasses.replace(inputs, study=study), tmp_path / "r.html")
    source = html.read_text(encoding="utf-8")
    text = page_text(source)
    # The forest plots label the shown levels in plain words, the dimension named.
    assert "school level: elementary schools" in source
    assert "school level: middle schools" in source
    hidden = claims.suppressed_subgroups_sentence(cells, inputs.subjects[0])
    assert "other schools (K-8 and other spans)" in hidden
    assert hidden in text


def test_each_takeaway_is_printed_once(tmp_path) -> None:
    """The first takeaway reads the forest plot (its caption); the list holds the others, so
    the printed report does not spend lines repeating it."""
    inputs = example_inputs(n_schools=120, seed=3)
    cells = pd.concat([_cells(s) for s in inputs.subjects], ignore_index=True)
    tests = pd.concat([_tests(s) for s in inputs.subjects], ignore_index=True)
    study = dataclasses.replace(
        inputs.study,
        published_tables=(*inputs.study.published_tables, "estimates_subgroups"),
        subgroups=cells,
        subgroup_tests=tests,
    )
    html = build_report(dataclasses.replace(inputs, study=study), tmp_path / "r.html")
    text = page_text(html.read_text(encoding="utf-8"))
    for subject in inputs.subjects:
        takeaways = claims.for_whom_takeaways(cells, tests, subject)
        assert len(takeaways) == 3
        assert [text.count(sentence) for sentence in takeaways] == [1, 1, 1]


def test_a_between_school_difference_is_not_called_more_precise_than_the_chart() -> None:
    cells = _cells("ela").replace({"economically_disadvantaged": "school_level"})
    cells["subgroup"] = cells["subgroup"].replace({"yes": "elementary", "no": "middle"})
    tests = _tests("ela").replace({"economically_disadvantaged": "school_level"})
    tests["q_value"] = [0.6, 0.01, 0.003]
    differences = pd.DataFrame(
        {
            "subject": "ela",
            "dimension": "school_level",
            "subgroup": ["elementary"],
            "compared_with": ["middle"],
            "comparison": "between schools: difference of the two subgroups' estimates",
            "difference": [0.02],
            "ci_lower": [0.01],
            "ci_upper": [0.03],
            "suppressed": [False],
        }
    )
    sentences = claims.for_whom_takeaways(cells, tests, "ela", differences)
    (level,) = [s for s in sentences if "school level" in s]
    assert "within the same schools" not in level and "more precise" not in level
    assert level.endswith(
        "elementary schools gained 0.02 SD more than middle schools (95% CI 0.01 to 0.03); the "
        "chart's separate estimates range from 0.07 to 0.09 SD."
    )


def test_the_exploratory_count_reads_in_plain_grammar() -> None:
    exploratory = ["race_ethnicity", "gender", "disability", "english_learner"]

    def tests(q_values: list[float]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "subject": "ela",
                "dimension": ["prior_achievement", "economically_disadvantaged", *exploratory],
                "family": ["confirmatory"] * 2 + ["exploratory"] * 4,
                "q_value": [0.004, 0.6, *q_values],
            }
        )

    def last(q_values: list[float]) -> str:
        return claims.for_whom_takeaways(_cells("ela"), tests(q_values), "ela")[-1]

    assert "4 exploratory comparisons (not declared in advance); 1 of them shows a" in last(
        [0.003, 0.6, 0.6, 0.6]
    )
    assert "4 exploratory comparisons (not declared in advance); 0 of them show a" in last(
        [0.6] * 4
    )
    one = _tests("ela").assign(q_value=[0.004, 0.6, 0.3])
    assert (
        "1 exploratory comparison (not declared in advance); it shows no difference"
        in (claims.for_whom_takeaways(_cells("ela"), one, "ela")[-1])
    )
