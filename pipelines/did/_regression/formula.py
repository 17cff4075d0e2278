"""Covariate specifications: an R-style one-sided formula or a list of column names.

R `did` takes `xformla = ~ x1 + x2`; analysts coming from R type the same string here. Only
additive main effects of existing columns are supported: transformations and interactions
belong in the data (make the column first), so that every covariate is a named, auditable column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

# A bare column name as pandas/R users write it: letters, digits, underscores and dots
# (mpdta's `first.treat`), not starting with a digit.
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


def parse_covariates_by_group(
    xformla: str | Sequence[str] | Mapping[float, str | Sequence[str] | None] | None,
) -> tuple[list[str], dict[float, list[str]] | None]:
    """Every covariate column in use, and each group's own columns when they differ by group.

    ``xformla`` is what :func:`parse_covariates` accepts, or a mapping from a group (first
    treated period) to such a specification: ATT(g,t) is then adjusted for group g's covariates
    only, in its treated and its comparison units alike. Returns the union of the columns (in
    order of first mention) and the per-group lists (``None`` for one specification for all).
    """
    if not isinstance(xformla, Mapping):
        return parse_covariates(xformla), None
    by_group: dict[float, list[str]] = {}
    for group, formula in xformla.items():
        if isinstance(group, bool) or not isinstance(group, int | float):
            raise ValueError(f"xformla by group needs numeric groups as keys, got {group!r}")
        by_group[float(group)] = parse_covariates(formula)
    union = list(dict.fromkeys(name for names in by_group.values() for name in names))
    return union, by_group


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
    if isinstance(xformla, Mapping):
        raise ValueError(
            "covariates by group (a mapping) are only supported by att_gt and the functions "
            "built on it; give one formula or list of columns here"
        )
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
