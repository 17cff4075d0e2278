"""Covariate specifications: an R-style one-sided formula or a list of column names.

R `did` takes `xformla = ~ x1 + x2`; analysts coming from R type the same string here. Only
additive main effects of existing columns are supported: transformations and interactions
belong in the data (make the column first), so that every covariate is a named, auditable column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A bare column name as pandas/R users write it: letters, digits, underscores and dots
# (mpdta's `first.treat`), not starting with a digit.
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


def parse_covariates(xformla: str | Sequence[str] | None) -> list[str]:
    """Return the covariate column names of a specification.

    Accepts ``None`` (no covariates), a one-sided R formula such as ``"~ x1 + x2"`` (``"~ 1"``
    means no covariates, as in R `did`), or a list of column names. Names are returned in the
    order given, without duplicates.

    Raises ``ValueError`` for a two-sided formula, an operator other than ``+`` (interactions,
    function calls such as ``log(x)``), or an entry that is not a plain column name.
    """
    if xformla is None:
        return []
    if isinstance(xformla, str):
        terms = _formula_terms(xformla)
    elif isinstance(xformla, Sequence):
        terms = list(xformla)
        for term in terms:
            if not isinstance(term, str) or not _NAME.match(term):
                raise ValueError(f"covariate names must be plain column names, got {term!r}")
    else:
        raise ValueError(
            f"xformla must be None, a formula string or a list of names, got {type(xformla)!r}"
        )
    return list(dict.fromkeys(terms))


def _formula_terms(formula: str) -> list[str]:
    text = formula.strip()
    if text.count("~") != 1 or not text.startswith("~"):
        raise ValueError(
            f"xformla must be a one-sided formula such as '~ x1 + x2', got {formula!r}"
        )
    rhs = text[1:].strip()
    if not rhs:
        raise ValueError(f"xformla has no right-hand side: {formula!r}")
    terms = []
    for raw in rhs.split("+"):
        term = raw.strip()
        if term == "1":
            continue  # the intercept is absorbed by the fixed effects / estimator
        if not _NAME.match(term):
            raise ValueError(
                f"unsupported term {term!r} in xformla {formula!r}: only '+' between plain "
                "column names is supported; create transformed or interacted columns first"
            )
        terms.append(term)
    return terms
