"""Coaching (partnering) logs: one row per contact, one file per month.

Each partnered school gets, every school year it is in the program, about its planned minutes of
partnering per teacher times its teachers, spread over school days in contacts of three record
types: one-on-one (one teacher), group (a grade-level team) and support (no teacher present).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.layouts import ACTIVITY, ACTIVITY_TYPES, FOCUS_AREAS, RECORD_TYPES
from pipelines.sample.csvio import CsvTable
from pipelines.sample.names import NOTE_TEMPLATES
from pipelines.sample.program import Program
from pipelines.sample.rng import stream
from pipelines.sample.schools import State
from pipelines.sample.students import EPOCH
from pipelines.sample.teachers import Teachers

RECORD_TYPE_SHARES = (0.55, 0.30, 0.15)
MINUTES_BY_RECORD_TYPE = (
    (15, 20, 25, 30, 40, 45, 60),
    (30, 45, 60, 75, 90),
    (15, 30, 45, 60, 90, 120),
)
_ACTIVITY_MIX = {
    "one-on-one": {
        "co-planning": 0.20,
        "modeling": 0.12,
        "co-teaching": 0.10,
        "observation": 0.18,
        "feedback/debrief": 0.25,
        "goal setting": 0.10,
        "other": 0.05,
    },
    "group": {
        "PLC facilitation": 0.35,
        "data meeting": 0.25,
        "PD session": 0.20,
        "co-planning": 0.15,
        "other": 0.05,
    },
    "support": {"resource support": 0.70, "data meeting": 0.10, "other": 0.20},
}
FOCUS_SHARES = (0.38, 0.30, 0.05, 0.12, 0.07, 0.05, 0.03)
MAX_GROUP = 8
FIRST_YEAR_FACTOR = 0.85
CLOSURE_YEAR, CLOSURE_FACTOR = 2020, 0.7
"""Spring 2020: schools closed in mid-March; partnering went on at a lower rate."""


@dataclass(frozen=True)
class Dose:
    """Realized partnering per partnered school and spring year (from the clean logs)."""

    school: np.ndarray
    year: np.ndarray
    contacts: np.ndarray
    minutes: np.ndarray
    minutes_with_teachers: np.ndarray
    teachers_reached: np.ndarray

    @property
    def minutes_per_teacher(self) -> np.ndarray:
        """Total minutes divided by distinct teachers reached (the dose the marts compute)."""
        return self.minutes / np.maximum(self.teachers_reached, 1)


def _expected_minutes() -> float:
    return float(
        sum(
            share * np.mean(minutes)
            for share, minutes in zip(RECORD_TYPE_SHARES, MINUTES_BY_RECORD_TYPE, strict=True)
        )
    )


def _school_days(spring_year: int) -> np.ndarray:
    """Days since 1990-01-01 of the school days of a school year (August to May)."""
    days = np.arange(
        np.datetime64(f"{spring_year - 1}-08-08"), np.datetime64(f"{spring_year}-05-24")
    )
    weekday = (days - np.datetime64("1990-01-01")).astype(np.int64) % 7
    breaks = [
        (f"{spring_year - 1}-11-23", f"{spring_year - 1}-11-28"),
        (f"{spring_year - 1}-12-20", f"{spring_year}-01-04"),
        (f"{spring_year}-03-16", f"{spring_year}-03-21"),
    ]
    if spring_year == CLOSURE_YEAR:
        breaks.append((f"{spring_year}-03-14", f"{spring_year}-04-06"))
    open_day = weekday < 5
    for start, end in breaks:
        open_day &= ~((days >= np.datetime64(start)) & (days < np.datetime64(end)))
    return (days[open_day] - EPOCH).astype(np.int64)


def _draw(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    names = list(shares)
    picks = rng.choice(len(names), size=n, p=np.array(list(shares.values())))
    return np.array([ACTIVITY_TYPES.index(name) for name in names])[picks]


def _notes(template: np.ndarray, focus: np.ndarray, grade: np.ndarray) -> pa.Array:
    combos = [
        NOTE_TEMPLATES[t].format(focus=FOCUS_AREAS[f], grade=g)
        for t in range(len(NOTE_TEMPLATES))
        for f in range(len(FOCUS_AREAS))
        for g in range(3, 9)
    ]
    index = (template * len(FOCUS_AREAS) + focus) * 6 + (grade - 3)
    notes = pa.array(combos, type=pa.string()).take(pa.array(index))
    return pc.if_else(pc.equal(notes, ""), pa.scalar(None, pa.string()), notes)


def generate_activity(
    state: State, program: Program, teachers: Teachers, seed: int
) -> tuple[dict[tuple[int, int], CsvTable], Dose]:
    """Monthly log tables keyed by (calendar year, month), and the realized dose."""
    schools = state.schools
    last_generated = int(state.years[-1])
    expected_minutes = _expected_minutes()
    parts: list[dict[str, np.ndarray]] = []
    dose_rows: list[tuple[int, int]] = []
    for cohort in program.cohorts:
        for i, school in enumerate(cohort.school):
            last = int(cohort.last_year[i]) or last_generated
            for year in range(cohort.year, last + 1):
                rng = stream(seed, "activity", int(school), year)
                factor = rng.lognormal(0.0, program.model.intensity_year_log_sd)
                factor *= FIRST_YEAR_FACTOR if year == cohort.year else 1.0
                factor *= CLOSURE_FACTOR if year == CLOSURE_YEAR else 1.0
                planned = cohort.intensity[i] * schools.teacher_count[school] * factor
                n = int(rng.poisson(planned / expected_minutes))
                part = _contacts(rng, n, year, int(school), schools.teacher_count[school])
                part["partner"] = np.full(n, len(dose_rows), dtype=np.int64)
                parts.append(part)
                dose_rows.append((int(school), year))
    contacts = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    partner_of = {
        int(school): cohort.partner_id[i]
        for cohort in program.cohorts
        for i, school in enumerate(cohort.school)
    }
    dose = _dose(contacts, dose_rows)
    return _monthly_tables(state, teachers, contacts, partner_of), dose


def _contacts(
    rng: np.random.Generator, n: int, year: int, school: int, teacher_count: int
) -> dict[str, np.ndarray]:
    days = _school_days(year)
    record = rng.choice(len(RECORD_TYPES), size=n, p=RECORD_TYPE_SHARES)
    minutes = np.zeros(n, dtype=np.int64)
    activity = np.zeros(n, dtype=np.int64)
    for r, name in enumerate(RECORD_TYPES):
        mask = record == r
        minutes[mask] = rng.choice(MINUTES_BY_RECORD_TYPE[r], size=mask.sum())
        activity[mask] = _draw(rng, _ACTIVITY_MIX[name], int(mask.sum()))
    group_size = np.minimum(rng.integers(3, MAX_GROUP + 1, n), teacher_count)
    count = np.select([record == 0, record == 1], [1, group_size], 0)
    return {
        "day": np.sort(rng.choice(days, size=n)),
        "school": np.full(n, school, dtype=np.int64),
        "record": record,
        "activity": activity,
        "focus": rng.choice(len(FOCUS_AREAS), size=n, p=FOCUS_SHARES),
        "minutes": minutes,
        "count": count,
        "first_teacher": rng.integers(0, teacher_count, n),
        "teacher_total": np.full(n, teacher_count, dtype=np.int64),
        "template": rng.integers(0, len(NOTE_TEMPLATES), n),
        "grade": rng.integers(3, 9, n),
    }


def _teacher_index(contacts: dict[str, np.ndarray], j: int) -> np.ndarray:
    """Within-school index of the ``j``-th teacher of each contact (a consecutive team)."""
    return (contacts["first_teacher"] + j) % contacts["teacher_total"]


def _dose(contacts: dict[str, np.ndarray], dose_rows: list[tuple[int, int]]) -> Dose:
    n_rows = len(dose_rows)
    key = contacts["partner"]
    with_teachers = contacts["count"] > 0
    pairs = [
        key[contacts["count"] > j] * 10_000 + _teacher_index(contacts, j)[contacts["count"] > j]
        for j in range(MAX_GROUP)
    ]
    reached = np.bincount(np.unique(np.concatenate(pairs)) // 10_000, minlength=n_rows)
    return Dose(
        school=np.array([s for s, _ in dose_rows], dtype=np.int64),
        year=np.array([y for _, y in dose_rows], dtype=np.int64),
        contacts=np.bincount(key, minlength=n_rows),
        minutes=np.bincount(key, weights=contacts["minutes"], minlength=n_rows).astype(np.int64),
        minutes_with_teachers=np.bincount(
            key, weights=contacts["minutes"] * with_teachers, minlength=n_rows
        ).astype(np.int64),
        teachers_reached=reached,
    )


def _monthly_tables(
    state: State,
    teachers: Teachers,
    contacts: dict[str, np.ndarray],
    partner_of: dict[int, str],
) -> dict[tuple[int, int], CsvTable]:
    schools = state.schools
    school = contacts["school"]
    order = np.lexsort((contacts["first_teacher"], schools.code[school], contacts["day"]))
    contacts = {key: values[order] for key, values in contacts.items()}
    school = contacts["school"]
    n = len(school)
    dates = (EPOCH + contacts["day"].astype("timedelta64[D]")).astype(dt.date)
    unique_days, day_index = np.unique(contacts["day"], return_inverse=True)
    date_text = pa.array(
        [(EPOCH + d).astype(dt.date).strftime(ACTIVITY.date_format) for d in unique_days]
    ).take(pa.array(day_index))
    # A group is a consecutive team of the school's teachers; ids are joined with ";".
    teacher_ids = None
    for j in range(MAX_GROUP):
        index = schools.teacher_offset[school] + _teacher_index(contacts, j)
        ids = pa.array(teachers.teacher_id).take(pa.array(index))
        if teacher_ids is None:
            teacher_ids = ids
            continue
        joined = pc.binary_join_element_wise(teacher_ids, ids, pa.scalar(";"))
        teacher_ids = pc.if_else(pa.array(contacts["count"] > j), joined, teacher_ids)
    teacher_ids = pc.if_else(
        pa.array(contacts["count"] > 0), teacher_ids, pa.scalar(None, pa.string())
    )
    system = schools.system[school]
    partner_by_school = np.full(schools.n, "", dtype=object)
    for school_index, partner in partner_of.items():
        partner_by_school[school_index] = partner
    columns = {
        "log_id": pa.array([f"L{i:07d}" for i in range(1, n + 1)]),
        "contact_date": date_text,
        "partner_id": pa.array(partner_by_school[school], type=pa.string()),
        "system_code": pa.array(state.systems.code).take(pa.array(system)),
        "school_code": pa.array(schools.code).take(pa.array(school)),
        "record_type": pa.array(list(RECORD_TYPES)).take(pa.array(contacts["record"])),
        "activity_type": pa.array(list(ACTIVITY_TYPES)).take(pa.array(contacts["activity"])),
        "focus_area": pa.array(list(FOCUS_AREAS)).take(pa.array(contacts["focus"])),
        "minutes": pa.array(contacts["minutes"]).cast(pa.string()),
        "teacher_count": pa.array(contacts["count"]).cast(pa.string()),
        "teacher_ids": teacher_ids,
        "notes": _notes(contacts["template"], contacts["focus"], contacts["grade"]),
    }
    month_key = np.array([d.year * 100 + d.month for d in dates])
    tables = {}
    for key in np.unique(month_key):
        rows = pa.array(np.flatnonzero(month_key == key))
        tables[(int(key) // 100, int(key) % 100)] = CsvTable(
            list(ACTIVITY.columns),
            [columns[c].take(rows) for c in ACTIVITY.columns],
            quote_strings=True,
        )
    return tables
