"""Teachers of every school: ids (for the activity logs), names and e-mail addresses."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pipelines.sample.names import FIRST_NAMES_FEMALE, FIRST_NAMES_MALE, LAST_NAMES
from pipelines.sample.rng import stream
from pipelines.sample.schools import State

_ID_MODULUS = 899_981  # prime: a bijection onto 6-digit numbers


@dataclass(frozen=True)
class Teachers:
    """All teachers, grouped by school (``Schools.teacher_offset`` / ``teacher_count``)."""

    teacher_id: np.ndarray
    """``T`` + 6 digits; pseudonymized at ingest."""
    name: np.ndarray
    """As vendors print class groups: ``Last First``."""
    email: np.ndarray


def _ascii_letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().encode("ascii", "ignore").decode())


def build_teachers(state: State, seed: int) -> Teachers:
    rng = stream(seed, "teachers")
    schools = state.schools
    total = int(schools.teacher_count.sum())
    multiplier = int(rng.integers(1000, _ID_MODULUS - 1))
    numbers = (np.arange(total, dtype=np.int64) * multiplier + 7) % _ID_MODULUS + 100_000
    female = rng.random(total) < 0.75
    first_female = rng.integers(0, len(FIRST_NAMES_FEMALE), total)
    first_male = rng.integers(0, len(FIRST_NAMES_MALE), total)
    first = [
        FIRST_NAMES_FEMALE[f] if is_female else FIRST_NAMES_MALE[m]
        for is_female, f, m in zip(female, first_female, first_male, strict=True)
    ]
    last = [LAST_NAMES[i] for i in rng.integers(0, len(LAST_NAMES), total)]
    school_of = np.repeat(np.arange(schools.n), schools.teacher_count)
    system_code = state.systems.code[schools.system[school_of]]
    email = [
        f"{_ascii_letters(f)[:1]}{_ascii_letters(name)}{n % 100}@sys{code}.k12.al.us"
        for f, name, n, code in zip(first, last, numbers, system_code, strict=True)
    ]
    return Teachers(
        teacher_id=np.array([f"T{n:06d}" for n in numbers]),
        name=np.array([f"{name} {f}" for f, name in zip(first, last, strict=True)]),
        email=np.array(email),
    )
