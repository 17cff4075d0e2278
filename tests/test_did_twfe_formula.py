"""Covariate specification parsing shared by the DiD estimators."""

from __future__ import annotations

import pytest

from pipelines.did._regression.formula import parse_covariates


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, []),
        ("~ lpop", ["lpop"]),
        ("~lpop+x2", ["lpop", "x2"]),
        ("  ~ 1 + first.treat + x_1 ", ["first.treat", "x_1"]),
        ("~ 1", []),
        (["lpop", "x2", "lpop"], ["lpop", "x2"]),
        (("a",), ["a"]),
        ([], []),
    ],
)
def test_parse_covariates_accepts_formulas_and_lists(spec, expected):
    assert parse_covariates(spec) == expected


@pytest.mark.parametrize(
    "spec",
    ["y ~ x", "x1 + x2", "~", "~ log(x)", "~ a:b", "~ a*b", "~ a + ", ["a b"], [1], 3.0],
)
def test_parse_covariates_rejects_unsupported_specs(spec):
    with pytest.raises(ValueError):
        parse_covariates(spec)
