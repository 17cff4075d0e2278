"""The analysis settings file (``pipelines/analysis.yaml``): what the pipeline estimates.

Evaluators change the analysis by editing that file, not code. :func:`load_analysis` reads it
into frozen dataclasses and refuses anything it does not understand, with a message naming the
key (a typo must not silently drop a robustness check). docs/analysis.md documents every field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipelines.layouts.demographics import SUBGROUP_DIMENSIONS

ESTIMATORS = ("callaway_santanna", "sun_abraham", "imputation", "twfe", "twfe_event_study")
COVARIATE_KINDS = ("prior_achievement", "prior_poverty", "column")
_CHOICES = {
    "control_group": ("nevertreated", "notyettreated"),
    "est_method": ("reg", "dr", "ipw"),
    "base_period": ("universal", "varying"),
    "method": ("relative_magnitude", "smoothness"),
    "bias_direction": ("positive", "negative"),
    "monotonicity_direction": ("increasing", "decreasing"),
}


@dataclass(frozen=True)
class CovariateTerm:
    """One entry of a covariate set (see :mod:`pipelines.estimates.covariates`)."""

    kind: str
    years: int = 3
    subjects: tuple[str, ...] = ()
    name: str | None = None


@dataclass(frozen=True)
class Specification:
    """One estimator with its settings; ``name`` is its key in the file."""

    name: str
    estimator: str
    label: str
    covariates: str
    control_group: str = "nevertreated"
    est_method: str = "reg"
    base_period: str = "universal"
    anticipation: int = 0
    bootstrap_draws: int = 999
    uniform_bands: bool = True
    pretrends: int | None = None
    common_support: bool = False
    """Set aside the partnered schools outside their comparisons' support (R did's overlap rule)."""

    @property
    def is_callaway_santanna(self) -> bool:
        return self.estimator == "callaway_santanna"


@dataclass(frozen=True)
class HonestSettings:
    specification: str
    method: str
    m_values: tuple[float, ...] | None  # None: R's default grid
    min_e: int
    max_e: int
    bias_direction: str | None = None  # R's sign restriction (smoothness only)
    monotonicity_direction: str | None = None  # R's shape restriction (smoothness only)


@dataclass(frozen=True)
class RandomizationSettings:
    specification: str
    permutations: int
    achievement_bands: int


@dataclass(frozen=True)
class DoseSettings:
    specification: str
    measure: str
    groups: int
    response_draws: int


"""The dimensions of the ``school_subgroups`` mart (docs/marts.md)."""


@dataclass(frozen=True)
class SubgroupSettings:
    """Effects by subgroup: which dimensions, declared confirmatory or exploratory."""

    specification: str
    confirmatory: tuple[str, ...]
    exploratory: tuple[str, ...]
    min_students: int
    min_partnered_schools: int

    @property
    def dimensions(self) -> tuple[str, ...]:
        return (*self.confirmatory, *self.exploratory)

    def family(self, dimension: str) -> str:
        return "confirmatory" if dimension in self.confirmatory else "exploratory"


@dataclass(frozen=True)
class Analysis:
    """The whole analysis: shared settings, covariate sets, specifications, robustness, dose."""

    outcome: str
    subjects: tuple[str, ...]
    alpha: float
    seed: int
    covariate_sets: Mapping[str, tuple[CovariateTerm, ...]]
    headline: str
    specifications: Mapping[str, Specification]
    bacon: bool
    honest_did: HonestSettings | None
    randomization: RandomizationSettings | None
    balance_variables: tuple[str, ...]
    dose: DoseSettings | None
    sha256: str
    """SHA-256 of the settings file's text: part of every estimate's provenance."""
    subgroups: SubgroupSettings | None = None

    @property
    def headline_specification(self) -> Specification:
        return self.specifications[self.headline]


def default_analysis_text() -> str:
    """The text of the packaged ``pipelines/analysis.yaml``."""
    return resources.files("pipelines").joinpath("analysis.yaml").read_text(encoding="utf-8")


def load_analysis(path: Path | None = None) -> Analysis:
    """Read and validate an analysis file (default: the packaged ``pipelines/analysis.yaml``).

    Raises ``ValueError`` naming the offending key for unknown keys, missing required keys,
    values of the wrong type or outside their choices, and references to undefined
    specifications or covariate sets.
    """
    text = default_analysis_text() if path is None else Path(path).read_text(encoding="utf-8")
    return parse_analysis(text)


def parse_analysis(text: str) -> Analysis:
    """Validate the YAML ``text`` of an analysis file (see :func:`load_analysis`)."""
    document = yaml.safe_load(text)
    root = _Node(document, "analysis file")
    root.allow(
        "outcome", "subjects", "alpha", "seed", "covariate_sets", "headline",
        "specifications", "robustness", "dose", "subgroups",
    )  # fmt: skip
    covariate_sets = {
        name: tuple(_covariate_term(node) for node in entries.items())
        for name, entries in root.child("covariate_sets").entries()
    }
    specifications = {
        name: _specification(name, node, covariate_sets)
        for name, node in root.child("specifications").entries()
    }
    if not specifications:
        raise ValueError("specifications: define at least one specification")
    headline = root.text("headline")
    cs_names = [n for n, s in specifications.items() if s.is_callaway_santanna]
    _require_member("headline", headline, cs_names)
    robustness = root.child("robustness", optional=True)
    robustness.allow("bacon", "honest_did", "randomization", "balance")
    analysis = Analysis(
        outcome=root.text("outcome"),
        subjects=tuple(root.child("subjects").texts()),
        alpha=root.number("alpha", low=0.0, high=1.0),
        seed=root.integer("seed"),
        covariate_sets=covariate_sets,
        headline=headline,
        specifications=specifications,
        bacon=robustness.boolean("bacon", default=False),
        honest_did=_honest(robustness.child("honest_did", optional=True), cs_names),
        randomization=_randomization(robustness.child("randomization", optional=True), cs_names),
        balance_variables=tuple(
            robustness.child("balance", optional=True).child("variables", optional=True).texts()
        ),
        dose=_dose(root.child("dose", optional=True), cs_names),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        subgroups=_subgroups(root.child("subgroups", optional=True), cs_names),
    )
    if not analysis.subjects:
        raise ValueError("subjects: list at least one subject")
    return analysis


def _covariate_term(node: _Node) -> CovariateTerm:
    node.allow("kind", "years", "subjects", "name")
    kind = node.text("kind")
    _require_member(f"{node.path}.kind", kind, COVARIATE_KINDS)
    if kind == "column":
        return CovariateTerm(kind=kind, name=node.text("name"))
    if kind == "prior_achievement":
        return CovariateTerm(
            kind=kind,
            years=node.integer("years", low=1),
            subjects=tuple(node.child("subjects").texts()),
        )
    return CovariateTerm(kind=kind)


def _specification(
    name: str, node: _Node, covariate_sets: Mapping[str, tuple[CovariateTerm, ...]]
) -> Specification:
    node.allow(
        "estimator", "label", "covariates", "control_group", "est_method", "base_period",
        "anticipation", "bootstrap_draws", "uniform_bands", "pretrends", "common_support",
    )  # fmt: skip
    estimator = node.text("estimator")
    _require_member(f"{node.path}.estimator", estimator, ESTIMATORS)
    covariates = node.text("covariates")
    _require_member(f"{node.path}.covariates", covariates, list(covariate_sets))
    values: dict[str, Any] = {}
    for key in ("control_group", "est_method", "base_period"):
        if node.has(key):
            values[key] = node.text(key)
            _require_member(f"{node.path}.{key}", values[key], _CHOICES[key])
    for key, low in (("anticipation", 0), ("bootstrap_draws", 1), ("pretrends", 1)):
        if node.has(key):
            values[key] = node.integer(key, low=low)
    for key in ("uniform_bands", "common_support"):
        if node.has(key):
            values[key] = node.boolean(key)
    if values.get("common_support") and estimator != "callaway_santanna":
        raise ValueError(f"{node.path}.common_support: only callaway_santanna supports it")
    return Specification(
        name=name, estimator=estimator, label=node.text("label"), covariates=covariates, **values
    )


def _honest(node: _Node, cs_names: list[str]) -> HonestSettings | None:
    if node.empty:
        return None
    restrictions = ("bias_direction", "monotonicity_direction")
    node.allow("specification", "method", "m_values", "min_e", "max_e", *restrictions)
    specification = node.text("specification")
    _require_member(f"{node.path}.specification", specification, cs_names)
    method = node.text("method")
    _require_member(f"{node.path}.method", method, _CHOICES["method"])
    min_e, max_e = node.integer("min_e", high=-2), node.integer("max_e", low=0)
    directions = {}
    for key in restrictions:
        if node.has(key):
            directions[key] = node.text(key)
            _require_member(f"{node.path}.{key}", directions[key], _CHOICES[key])
            if method != "smoothness":
                raise ValueError(
                    f"{node.path}.{key}: R's sign and shape restrictions need method: smoothness"
                )
    if len(directions) > 1:
        raise ValueError(f"{node.path}: choose bias_direction or monotonicity_direction, not both")
    m_values = node.child("m_values").numbers(low=0.0) if node.has("m_values") else None
    return HonestSettings(
        specification=specification,
        method=method,
        m_values=None if m_values is None else tuple(m_values),
        min_e=min_e,
        max_e=max_e,
        **directions,
    )


def _randomization(node: _Node, cs_names: list[str]) -> RandomizationSettings | None:
    if node.empty:
        return None
    node.allow("specification", "permutations", "achievement_bands")
    specification = node.text("specification")
    _require_member(f"{node.path}.specification", specification, cs_names)
    return RandomizationSettings(
        specification=specification,
        permutations=node.integer("permutations", low=19),
        achievement_bands=node.integer("achievement_bands", low=1),
    )


def _dose(node: _Node, cs_names: list[str]) -> DoseSettings | None:
    if node.empty:
        return None
    node.allow("specification", "measure", "groups", "response_draws")
    specification = node.text("specification")
    _require_member(f"{node.path}.specification", specification, cs_names)
    return DoseSettings(
        specification=specification,
        measure=node.text("measure"),
        groups=node.integer("groups", low=2),
        response_draws=node.integer("response_draws", low=1),
    )


def _subgroups(node: _Node, cs_names: list[str]) -> SubgroupSettings | None:
    if node.empty:
        return None
    node.allow(
        "specification", "confirmatory", "exploratory", "min_students", "min_partnered_schools"
    )
    specification = node.text("specification")
    _require_member(f"{node.path}.specification", specification, cs_names)
    families = {
        key: tuple(node.child(key, optional=True).texts())
        for key in ("confirmatory", "exploratory")
    }
    for key, dimensions in families.items():
        for dimension in dimensions:
            _require_member(f"{node.path}.{key}", dimension, SUBGROUP_DIMENSIONS)
    both = set(families["confirmatory"]) & set(families["exploratory"])
    if both:
        raise ValueError(f"{node.path}: {sorted(both)} cannot be confirmatory and exploratory")
    return SubgroupSettings(
        specification=specification,
        confirmatory=families["confirmatory"],
        exploratory=families["exploratory"],
        min_students=node.integer("min_students", low=1),
        min_partnered_schools=node.integer("min_partnered_schools", low=2),
    )


def _require_member(path: str, value: object, choices) -> None:
    if value not in choices:
        raise ValueError(f"{path}: {value!r} is not one of {list(choices)}")


class _Node:
    """A mapping or list of the YAML document with its path, for error messages."""

    def __init__(self, value: Any, path: str, optional: bool = False) -> None:
        if value is None and optional:
            value = {}
        self.value = value
        self.path = path

    @property
    def empty(self) -> bool:
        return not self.value

    def _mapping(self) -> dict:
        if not isinstance(self.value, dict):
            raise ValueError(f"{self.path}: expected a mapping of keys to values")
        return self.value

    def allow(self, *keys: str) -> None:
        unknown = sorted(set(self._mapping()) - set(keys))
        if unknown:
            raise ValueError(f"{self.path}: unknown keys {unknown}; allowed: {list(keys)}")

    def has(self, key: str) -> bool:
        return key in self._mapping()

    def _get(self, key: str) -> Any:
        mapping = self._mapping()
        if key not in mapping:
            raise ValueError(f"{self.path}: missing required key {key!r}")
        return mapping[key]

    def child(self, key: str, optional: bool = False) -> _Node:
        path = key if self.path == "analysis file" else f"{self.path}.{key}"
        if optional and key not in self._mapping():
            return _Node({}, path)
        return _Node(self._get(key), path, optional)

    def entries(self) -> list[tuple[str, _Node]]:
        return [(str(k), _Node(v, f"{self.path}.{k}")) for k, v in self._mapping().items()]

    def items(self) -> list[_Node]:
        if self.value in ({}, None):
            return []
        if not isinstance(self.value, list):
            raise ValueError(f"{self.path}: expected a list")
        return [_Node(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def texts(self) -> list[str]:
        values = [item.value for item in self.items()]
        if not all(isinstance(v, str) and v for v in values):
            raise ValueError(f"{self.path}: expected a list of names")
        return values

    def numbers(self, low: float) -> list[float]:
        values = [item.value for item in self.items()]
        if not values or not all(_is_number(v) and v >= low for v in values):
            raise ValueError(f"{self.path}: expected a non-empty list of numbers >= {low}")
        return [float(v) for v in values]

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{self.path}.{key}: expected text, got {value!r}")
        return value

    def integer(self, key: str, low: int | None = None, high: int | None = None) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{self.path}.{key}: expected a whole number, got {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"{self.path}.{key}: {value} is outside [{low}, {high}]")
        return value

    def number(self, key: str, low: float, high: float) -> float:
        value = self._get(key)
        if not _is_number(value) or not low < value < high:
            raise ValueError(f"{self.path}.{key}: expected a number in ({low}, {high})")
        return float(value)

    def boolean(self, key: str, default: bool | None = None) -> bool:
        if default is not None and not self.has(key):
            return default
        value = self._get(key)
        if not isinstance(value, bool):
            raise ValueError(f"{self.path}.{key}: expected true or false, got {value!r}")
        return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
