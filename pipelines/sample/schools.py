"""Systems and schools: codes, names, grade spans, sizes, poverty and persistent quality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.layouts import GRADES
from pipelines.sample.config import ModelParameters, ScaleConfig
from pipelines.sample.names import CITY_NAMES, COUNTY_NAMES, SCHOOL_NAME_WORDS
from pipelines.sample.rng import stream

N_SUBJECTS = 3
"""Latent quantities are stored per subject in the order of ``pipelines.layouts.SUBJECTS``."""

# School kinds: CCD level, grade span, tested grades (3-8), grades enrolled.
ELEMENTARY, MIDDLE, K8, HIGH = 0, 1, 2, 3
KIND_LEVEL = ("Elementary", "Middle", "Other", "High")
KIND_SUFFIX = ("Elementary School", "Middle School", "School", "High School")
KIND_SPAN = (("PK", "05"), ("06", "08"), ("KG", "08"), ("09", "12"))
KIND_TESTED = (
    np.array([g in (3, 4, 5) for g in GRADES]),
    np.array([g in (6, 7, 8) for g in GRADES]),
    np.ones(len(GRADES), dtype=bool),
    np.zeros(len(GRADES), dtype=bool),
)
KIND_ENROLLED_GRADES = (6.5, 3.0, 9.0, 4.0)
"""Grades enrolled (pre-K counted as half a grade), to turn grade size into enrollment."""

COUNTY_LOCALES = (
    "41-Rural: Fringe",
    "42-Rural: Distant",
    "43-Rural: Remote",
    "32-Town: Distant",
    "33-Town: Remote",
    "21-Suburb: Large",
)
CITY_LOCALES = (
    "11-City: Large",
    "12-City: Mid-size",
    "13-City: Small",
    "21-Suburb: Large",
    "31-Town: Fringe",
)


@dataclass(frozen=True)
class Systems:
    """School systems (LEAs), indexed 0..n-1."""

    code: np.ndarray
    name: np.ndarray
    leaid: np.ndarray
    is_city: np.ndarray


@dataclass(frozen=True)
class Schools:
    """Schools, indexed 0..n-1; per-year arrays have one column per roster year."""

    system: np.ndarray
    code: np.ndarray
    ncessch: np.ndarray
    name: np.ndarray
    kind: np.ndarray
    locale: np.ndarray
    tested: np.ndarray
    """bool (school, grade 3..8): the school enrolls that tested grade."""
    grade_size: np.ndarray
    """float (school, year): target students per grade."""
    poverty: np.ndarray
    """float (school, year): share of students eligible for free or reduced-price lunch."""
    quality: np.ndarray
    """float (school, subject): persistent school effect on the latent score."""
    teacher_offset: np.ndarray
    teacher_count: np.ndarray

    @property
    def n(self) -> int:
        return len(self.code)

    def serving(self, grade_index: int) -> np.ndarray:
        """Indices of schools that enroll the tested grade at ``grade_index`` (0 = grade 3)."""
        return np.flatnonzero(self.tested[:, grade_index])


@dataclass(frozen=True)
class State:
    """A synthetic state: its systems, schools and roster years."""

    systems: Systems
    schools: Schools
    years: np.ndarray

    def year_index(self, year: int) -> int:
        return int(year - self.years[0])


def _system_kinds(n_schools: int, params: ModelParameters, rng: np.random.Generator) -> list[int]:
    """School kinds of one system, always covering every tested grade and a high school."""
    if n_schools == 2:
        return [K8, HIGH]
    if n_schools == 3:
        return [ELEMENTARY, MIDDLE, HIGH]
    mix = params.schools
    high = max(1, round(mix.high_share * n_schools))
    middle = max(1, round(mix.middle_share * n_schools))
    k8 = int(rng.binomial(n_schools, mix.k8_share))
    elementary = n_schools - high - middle - k8
    while elementary < 1:
        k8, middle = (k8 - 1, middle) if k8 > 0 else (k8, middle - 1)
        elementary = n_schools - high - middle - k8
    return [ELEMENTARY] * elementary + [MIDDLE] * middle + [K8] * k8 + [HIGH] * high


def _school_counts(
    scale: ScaleConfig, is_city: np.ndarray, params: ModelParameters, rng: np.random.Generator
) -> np.ndarray:
    means = np.where(is_city, params.schools.city_schools_mean, params.schools.county_schools_mean)
    weights = means * rng.lognormal(0.0, 0.5, size=len(means))
    minimum = 2 if scale.n_schools < 3 * scale.n_systems else 3
    spare = scale.n_schools - minimum * scale.n_systems
    return minimum + rng.multinomial(spare, weights / weights.sum())


def _codes(rng: np.random.Generator, n: int, pool: np.ndarray) -> np.ndarray:
    return np.sort(rng.choice(pool, size=n, replace=False))


def build_systems(scale: ScaleConfig, seed: int) -> Systems:
    """The state's systems: county systems (codes 001-067) then city systems (100+)."""
    rng = stream(seed, "systems")
    n_city = scale.n_systems - scale.n_county_systems
    county_numbers = _codes(rng, scale.n_county_systems, np.arange(1, 68))
    city_numbers = _codes(rng, n_city, np.arange(100, 100 + len(CITY_NAMES)))
    names = [f"{COUNTY_NAMES[c - 1]} County" for c in county_numbers]
    names += [f"{CITY_NAMES[c - 100]} City" for c in city_numbers]
    numbers = np.concatenate([county_numbers, city_numbers])
    lea_numbers = _codes(rng, scale.n_systems, np.arange(1, 3000))
    return Systems(
        code=np.array([f"{c:03d}" for c in numbers]),
        name=np.array(names),
        leaid=np.array([f"01{v:05d}" for v in rng.permutation(lea_numbers)]),
        is_city=np.arange(scale.n_systems) >= scale.n_county_systems,
    )


def _grade_sizes(
    system: np.ndarray, kind: np.ndarray, params: ModelParameters, rng: np.random.Generator
) -> np.ndarray:
    """Base students per grade; middle schools take their feeders' grade-5 students."""
    mix = params.schools
    shape = mix.elementary_grade_size_shape
    size = rng.gamma(shape, mix.elementary_grade_size_mean / shape, size=len(kind))
    size = np.clip(size, *mix.grade_size_bounds)
    size[kind == HIGH] *= 1.8
    for s in np.unique(system):
        in_system = system == s
        middles = np.flatnonzero(in_system & (kind == MIDDLE))
        if len(middles) == 0:
            continue
        feeders = size[in_system & (kind == ELEMENTARY)].sum()
        shares = rng.dirichlet(np.full(len(middles), 4.0))
        size[middles] = np.clip(feeders * shares, *mix.middle_grade_size_bounds)
    return size


def _size_drift(n: int, n_years: int, sd: float, rng: np.random.Generator) -> np.ndarray:
    steps = rng.normal(0.0, sd, size=(n, n_years))
    steps[:, 0] = 0.0
    return np.exp(np.cumsum(steps, axis=1))


def _poverty(
    system: np.ndarray, is_city: np.ndarray, n_years: int, rng: np.random.Generator
) -> np.ndarray:
    """Free/reduced-lunch share: a system level, a school deviation and a slow yearly drift."""
    system_level = rng.normal(0.25, 0.55, size=len(is_city))
    spread = np.where(is_city[system], 0.9, 0.55)
    logit = system_level[system] + spread * rng.normal(size=len(system))
    drift = np.cumsum(rng.normal(0.0, 0.04, size=(len(system), n_years)), axis=1)
    return 1.0 / (1.0 + np.exp(-(logit[:, None] + drift)))


def _quality(poverty: np.ndarray, params: ModelParameters, rng: np.random.Generator) -> np.ndarray:
    """Persistent school effects, lower where poverty is higher, correlated across subjects."""
    var = params.variance
    logit = np.log(poverty / (1.0 - poverty))
    poverty_z = (logit - logit.mean()) / logit.std()
    explained = np.sqrt(var.poverty_share_of_school * var.school)
    residual = np.sqrt((1.0 - var.poverty_share_of_school) * var.school)
    common = -explained * poverty_z + residual * rng.normal(size=len(poverty))
    rho = var.subject_correlation_school
    own = np.sqrt(var.school) * rng.normal(size=(len(poverty), N_SUBJECTS))
    return np.sqrt(rho) * common[:, None] + np.sqrt(1.0 - rho) * own


def _school_names(system: np.ndarray, kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    names = np.empty(len(kind), dtype=object)
    for s in np.unique(system):
        members = np.flatnonzero(system == s)
        words = rng.permutation(len(SCHOOL_NAME_WORDS))
        for i, school in enumerate(members):
            word = SCHOOL_NAME_WORDS[words[i % len(words)]]
            repeat = "" if i < len(words) else f" {i // len(words) + 1}"
            names[school] = f"{word}{repeat} {KIND_SUFFIX[kind[school]]}"
    return names.astype(str)


def build_state(scale: ScaleConfig, params: ModelParameters, seed: int) -> State:
    """Systems and schools of a synthetic state, with all their yearly attributes."""
    systems = build_systems(scale, seed)
    rng = stream(seed, "schools")
    years = np.arange(scale.first_year, scale.last_year + 1)
    counts = _school_counts(scale, systems.is_city, params, rng)
    system = np.repeat(np.arange(scale.n_systems), counts)
    kind = np.concatenate([_system_kinds(int(c), params, rng) for c in counts]).astype(np.int8)

    codes, ncessch = [], []
    for s, count in enumerate(counts):
        numbers = _codes(rng, int(count), np.arange(10, 9000, 5))
        codes.extend(f"{v:04d}" for v in numbers)
        ncessch.extend(
            f"{systems.leaid[s]}{v:05d}" for v in _codes(rng, int(count), np.arange(1, 3000))
        )
    locale_choice = np.where(
        systems.is_city[system],
        rng.integers(0, len(CITY_LOCALES), size=len(system)),
        rng.integers(0, len(COUNTY_LOCALES), size=len(system)),
    )
    locale = np.array(
        [
            (CITY_LOCALES if systems.is_city[s] else COUNTY_LOCALES)[c]
            for s, c in zip(system, locale_choice, strict=True)
        ]
    )
    base_size = _grade_sizes(system, kind, params, rng)
    grade_size = base_size[:, None] * _size_drift(
        len(kind), len(years), params.mobility.size_drift_sd, rng
    )
    poverty = _poverty(system, systems.is_city, len(years), rng)
    quality = _quality(poverty[:, 0], params, rng)
    enrollment = base_size * np.array(KIND_ENROLLED_GRADES)[kind]
    teacher_count = np.maximum(6, np.round(enrollment / params.program.students_per_teacher))
    teacher_count = teacher_count.astype(np.int64)
    schools = Schools(
        system=system,
        code=np.array(codes),
        ncessch=np.array(ncessch),
        name=_school_names(system, kind, rng),
        kind=kind,
        locale=locale,
        tested=np.stack([KIND_TESTED[k] for k in kind]),
        grade_size=grade_size,
        poverty=poverty,
        quality=quality,
        teacher_offset=np.concatenate([[0], np.cumsum(teacher_count)[:-1]]),
        teacher_count=teacher_count,
    )
    return State(systems=systems, schools=schools, years=years)
