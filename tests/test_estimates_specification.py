"""The analysis settings file: the packaged one loads, and mistakes are refused by name."""

from __future__ import annotations

import pytest
import yaml

from pipelines.estimates.specification import (
    default_analysis_text,
    load_analysis,
    parse_analysis,
)


def _edited(edit) -> str:
    document = yaml.safe_load(default_analysis_text())
    edit(document)
    return yaml.safe_dump(document, sort_keys=False)


def test_packaged_analysis_names_a_callaway_santanna_headline_and_valid_references() -> None:
    analysis = load_analysis()
    assert analysis.headline_specification.is_callaway_santanna
    assert analysis.subjects == ("ela", "math", "science")
    for spec in analysis.specifications.values():
        assert spec.covariates in analysis.covariate_sets
    for settings in (analysis.honest_did, analysis.randomization, analysis.dose):
        assert settings is not None
        assert analysis.specifications[settings.specification].is_callaway_santanna
    assert len(analysis.sha256) == 64


def test_the_same_text_gives_the_same_hash_and_an_edit_changes_it() -> None:
    text = default_analysis_text()
    assert parse_analysis(text).sha256 == load_analysis().sha256
    edited = _edited(lambda d: d.update(seed=1))
    assert parse_analysis(edited).sha256 != load_analysis().sha256
    assert parse_analysis(edited).seed == 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["specifications"]["twfe"].update(clustr="school"),
            "specifications.twfe: unknown keys ['clustr']",
        ),
        (
            lambda d: d["specifications"]["cs_unadjusted"].update(control_group="everyone"),
            "specifications.cs_unadjusted.control_group: 'everyone' is not one of",
        ),
        (
            lambda d: d["specifications"]["twfe"].update(covariates="nonexistent"),
            "specifications.twfe.covariates: 'nonexistent' is not one of",
        ),
        (lambda d: d.update(headline="twfe"), "headline: 'twfe' is not one of"),
        (
            lambda d: d["robustness"]["honest_did"].update(specification="sun_abraham"),
            "robustness.honest_did.specification: 'sun_abraham' is not one of",
        ),
        (
            lambda d: d["robustness"]["randomization"].update(permutations="many"),
            "robustness.randomization.permutations: expected a whole number",
        ),
        (
            lambda d: d["covariate_sets"]["selection"][0].update(kind="prior_scores"),
            "covariate_sets.selection[0].kind: 'prior_scores' is not one of",
        ),
        (lambda d: d.pop("outcome"), "missing required key 'outcome'"),
        (lambda d: d.update(alpha=5), "alpha: expected a number in (0.0, 1.0)"),
        (
            lambda d: d["robustness"]["honest_did"].update(min_e=0),
            "robustness.honest_did.min_e: 0 is outside",
        ),
    ],
)
def test_mistakes_are_refused_with_the_key_named(edit, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_analysis(_edited(edit))
    assert message in str(error.value)


def test_optional_sections_can_be_left_out() -> None:
    def drop(document: dict) -> None:
        document.pop("robustness")
        document.pop("dose")

    analysis = parse_analysis(_edited(drop))
    assert analysis.honest_did is None and analysis.randomization is None
    assert analysis.dose is None and not analysis.bacon and analysis.balance_variables == ()
