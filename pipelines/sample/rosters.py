"""School rosters (one CCD-style file per spring year) and the partnered-schools roster."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pipelines.layouts import PROGRAM, ROSTERS, SYSTEM_TOTAL_SCHOOL_CODE
from pipelines.sample.config import ModelParameters
from pipelines.sample.csvio import CsvTable
from pipelines.sample.program import Program
from pipelines.sample.rng import stream
from pipelines.sample.schools import KIND_ENROLLED_GRADES, KIND_LEVEL, KIND_SPAN, State


def _strings(values) -> pa.Array:
    return pa.array([str(v) for v in values], type=pa.string())


def system_total_systems(state: State, params: ModelParameters, seed: int) -> np.ndarray:
    """Systems whose rosters also carry a ``0000`` row totalling the system."""
    rng = stream(seed, "system-totals")
    n = len(state.systems.code)
    count = max(1, round(params.schools.system_total_rows_share * n))
    return np.sort(rng.choice(n, size=count, replace=False))


def cep_schools(state: State, params: ModelParameters, seed: int) -> np.ndarray:
    """Schools that adopt community eligibility (every student counted free-lunch eligible)."""
    mix = params.schools
    rng = stream(seed, "cep")
    high_poverty = state.schools.poverty[:, 0] > mix.cep_poverty_threshold
    return high_poverty & (rng.random(state.schools.n) < mix.cep_probability)


def school_levels(state: State, year: int) -> np.ndarray:
    """Each school's CCD level in ``year``'s roster (``Elementary``, ``Middle``, ``Other``,
    ``High``), by school index. The roster writer and the subgroup truth both read it, so the
    truth's ``school_level`` is what the roster says. The generator's schools keep their grade
    span, so every year gives the same levels."""
    del year  # unused while levels never change; both callers still ask for a given year
    return np.array(KIND_LEVEL)[state.schools.kind]


def roster_table(
    state: State,
    year: int,
    tested_counts: np.ndarray,
    totals_for: np.ndarray,
    cep: np.ndarray,
    params: ModelParameters,
    seed: int,
) -> CsvTable:
    """One spring year's roster: every school, plus system-total rows for ``totals_for``.

    ``tested_counts`` is each school's number of grade 3-8 students that year; enrollment adds
    the untested grades at the school's grade size.
    """
    rng = stream(seed, "rosters", year)
    schools = state.schools
    systems = state.systems
    yi = state.year_index(year)
    enrolled_grades = np.array(KIND_ENROLLED_GRADES)[schools.kind]
    untested = enrolled_grades - schools.tested.sum(axis=1)
    other = schools.grade_size[:, yi] * untested * rng.lognormal(0.0, 0.03, schools.n)
    enrollment = (tested_counts + np.rint(other)).astype(np.int64)
    eligible = np.rint(enrollment * schools.poverty[:, yi]).astype(np.int64)
    free = np.rint(eligible * 0.86).astype(np.int64)
    reduced = eligible - free
    community = cep & (year >= params.schools.cep_first_year)
    free = np.where(community, enrollment, free)
    reduced = np.where(community, 0, reduced)

    rows = {
        "system": schools.system,
        "school_code": schools.code,
        "ncessch": schools.ncessch,
        "school_name": schools.name,
        "level": school_levels(state, year),
        "gslo": np.array([KIND_SPAN[k][0] for k in schools.kind]),
        "gshi": np.array([KIND_SPAN[k][1] for k in schools.kind]),
        "locale": schools.locale,
        "enrollment": enrollment,
        "free_lunch": free,
        "reduced_lunch": reduced,
    }
    for s in totals_for:
        members = schools.system == s
        total = {
            "system": s,
            "school_code": SYSTEM_TOTAL_SCHOOL_CODE,
            "ncessch": f"{systems.leaid[s]}00000",
            "school_name": f"{systems.name[s]} (system total)",
            "level": "Other",
            "gslo": "PK",
            "gshi": "12",
            "locale": schools.locale[members][0],
            "enrollment": enrollment[members].sum(),
            "free_lunch": free[members].sum(),
            "reduced_lunch": reduced[members].sum(),
        }
        rows = {key: np.append(values, total[key]) for key, values in rows.items()}
    order = np.lexsort((rows["school_code"], rows["system"]))
    rows = {key: values[order] for key, values in rows.items()}
    system = rows["system"].astype(np.int64)
    n = len(system)
    arrays = {
        "school_year": _strings([year] * n),
        "ncessch": _strings(rows["ncessch"]),
        "leaid": _strings(systems.leaid[system]),
        "system_code": _strings(systems.code[system]),
        "school_code": _strings(rows["school_code"]),
        "school_name": _strings(rows["school_name"]),
        "system_name": _strings(systems.name[system]),
        "level": _strings(rows["level"]),
        "gslo": _strings(rows["gslo"]),
        "gshi": _strings(rows["gshi"]),
        "school_type": _strings(["Regular School"] * n),
        "charter": _strings(["No"] * n),
        "locale": _strings(rows["locale"]),
        "enrollment": _strings(rows["enrollment"].astype(np.int64)),
        "free_lunch": _strings(rows["free_lunch"].astype(np.int64)),
        "reduced_lunch": _strings(rows["reduced_lunch"].astype(np.int64)),
    }
    return CsvTable(list(ROSTERS.columns), [arrays[c] for c in ROSTERS.columns])


def program_table(state: State, program: Program) -> CsvTable:
    """The official list of partnered schools, ordered by system and school code."""
    records = []
    for cohort in program.cohorts:
        for i, school in enumerate(cohort.school):
            system = state.schools.system[school]
            last = int(cohort.last_year[i])
            records.append(
                (
                    state.systems.code[system],
                    state.schools.code[school],
                    state.schools.name[school],
                    str(cohort.year),
                    cohort.partner_id[i],
                    str(last) if last else "",
                )
            )
    records.sort()
    columns = list(zip(*records, strict=True)) if records else [[] for _ in PROGRAM.columns]
    return CsvTable(list(PROGRAM.columns), [_strings(values) for values in columns])
