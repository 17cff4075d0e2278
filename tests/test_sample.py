"""The synthetic state: deterministic, in each era's vendor layout, consistent with its truth,
realistic where it matters (ICC, selection, effects), and honest about its --messy corruptions.

The files are read back here with a minimal reader built on ``pipelines.layouts`` (not the
ingest) so these tests stand on their own.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.layouts import (
    ACT_ASPIRE,
    ACTIVITY,
    PROGRAM,
    ROSTERS,
    SYSTEM_TOTAL_SCHOOL_CODE,
    AssessmentLayout,
    detect_assessment_layout,
    detect_table_layout,
    layout_for_year,
)
from pipelines.sample import generate_sample
from pipelines.sample.config import SCALES
from pipelines.sample.messy import EXPECTED_OUTCOME, MINUTES_RANGE, UNKNOWN_SCHOOL_CODES
from tests.conftest import VENDOR_SAMPLES_DIR
from tests.terminal import run_on_terminal

SEED = 11
MESSY_RATE = 0.02
CLI = Path(sys.executable).parent / "partner-impact"


# --- a minimal reader of the generated files ---------------------------------------------------


def read_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        return next(csv.reader([handle.readline().decode("utf-8")]))


def file_year(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


def read_scores(path: Path) -> tuple[AssessmentLayout, pd.DataFrame]:
    """Long records (student, system, school, subject, grade, score, level, date) of a file."""
    layout = detect_assessment_layout(read_header(path))
    assert layout is not None, f"{path.name}: unknown layout"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    school = raw[layout.school_code]
    if layout.school_code_has_system_prefix:
        system, school = school.str[:3], school.str[3:]
    else:
        system = raw[layout.system_code]
    frames = []
    for subject in layout.subjects:
        rows = raw if subject.label is None else raw[raw[layout.subject_column] == subject.label]
        rows = rows[rows[subject.scale_score] != ""]
        frames.append(
            pd.DataFrame(
                {
                    "student": rows[layout.student_id],
                    "system": system[rows.index],
                    "school": school[rows.index],
                    "subject": subject.subject,
                    "grade": rows[subject.tested_grade or layout.grade].astype(int),
                    "score": rows[subject.scale_score].astype(int),
                    "level": rows[subject.level],
                    "date": rows[subject.test_date] if subject.test_date else "",
                }
            )
        )
    return layout, pd.concat(frames, ignore_index=True)


def z_within_cells(scores: pd.DataFrame) -> pd.Series:
    """z within subject x grade (one file is one test and one year)."""
    group = scores.groupby(["subject", "grade"])["score"]
    return (scores["score"] - group.transform("mean")) / group.transform("std", ddof=0)


def anova_icc(values: np.ndarray, groups: np.ndarray) -> float:
    """One-way ANOVA intraclass correlation ICC(1), unequal group sizes."""
    _, index = np.unique(groups, return_inverse=True)
    sizes = np.bincount(index)
    k, n = len(sizes), len(values)
    means = np.bincount(index, weights=values) / sizes
    ms_between = float((sizes * (means - values.mean()) ** 2).sum()) / (k - 1)
    ms_within = float(((values - means[index]) ** 2).sum()) / (n - k)
    n0 = (n - (sizes**2).sum() / n) / (k - 1)
    return (ms_between - ms_within) / (ms_between + (n0 - 1) * ms_within)


def physical_lines(path: Path) -> list[bytes]:
    return path.read_bytes().replace(b"\r\n", b"\n").split(b"\n")[:-1]


def parse_line(line: bytes) -> list[str]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = line.decode("cp1252")
    return next(csv.reader([text]))


def all_files(raw: Path) -> list[Path]:
    return sorted(p for p in raw.rglob("*.csv"))


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("clean") / "raw"
    generate_sample(raw, scale="small", seed=SEED)
    return raw


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("messy") / "raw"
    generate_sample(raw, scale="small", seed=SEED, messy=MESSY_RATE)
    return raw


def truth_of(raw: Path) -> dict:
    return json.loads((raw.parent / "sample_truth.json").read_text(encoding="utf-8"))


# --- determinism and the command line -------------------------------------------------------------


@pytest.mark.slow
def test_cli_sample_writes_the_same_bytes_as_the_library_with_the_same_seed(clean, tmp_path):
    raw = tmp_path / "raw"
    completed = subprocess.run(
        [str(CLI), "sample", "--out", str(raw), "--scale", "small", "--seed", str(SEED)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "assessments/" in completed.stdout and "rows" in completed.stdout
    assert str(tmp_path / "sample_truth.json") in completed.stdout
    ours = [p.relative_to(raw) for p in all_files(raw)]
    assert ours == [p.relative_to(clean) for p in all_files(clean)]
    for relative in ours:
        assert (raw / relative).read_bytes() == (clean / relative).read_bytes(), relative
    assert (tmp_path / "sample_truth.json").read_bytes() == (
        clean.parent / "sample_truth.json"
    ).read_bytes()
    assert not (raw / "sample_truth.json").exists()


def test_cli_sample_shows_progress_per_year_on_a_terminal_only(tmp_path):
    def stderr_of(raw: Path, terminal: bool) -> str:
        command = [str(CLI), "sample", "--out", str(raw), "--scale", "small", "--seed", "3"]
        if not terminal:
            return subprocess.run(command, capture_output=True, text=True, timeout=120).stderr
        shown = run_on_terminal(command, timeout=120)
        assert shown.returncode == 0
        return shown.terminal

    terminal = stderr_of(tmp_path / "a" / "raw", terminal=True)
    years = re.findall(r"^  (\d{4}): [\d,]+ students in grades 3-8", terminal, re.M)
    assert years == [str(year) for year in range(2008, 2025)]
    assert "schools chosen for the 2012 cohort" in terminal
    assert stderr_of(tmp_path / "b" / "raw", terminal=False) == ""


def test_a_different_seed_gives_different_files(clean, tmp_path):
    raw = tmp_path / "raw"
    generate_sample(raw, scale="small", seed=SEED + 1)
    for name in ("assessments/armt_student_results_2008.csv", "rosters/ccd_schools_2015.csv"):
        assert (raw / name).read_bytes() != (clean / name).read_bytes()
    assert truth_of(raw)["partnered_schools"] != truth_of(clean)["partnered_schools"]


def test_cli_rejects_a_messy_rate_outside_zero_one(tmp_path):
    completed = subprocess.run(
        [str(CLI), "sample", "--out", str(tmp_path), "--scale", "small", "--messy", "1.5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert not any(tmp_path.iterdir())


def test_cli_cohorts_option_sets_the_program_roster_and_the_truth(tmp_path):
    raw = tmp_path / "raw"
    subprocess.run(
        [str(CLI), "sample", "--out", str(raw), "--scale", "small", "--seed", str(SEED),
         "--cohorts", "2014:3,2012:5"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    program = pd.read_csv(raw / "program" / "partnered_schools.csv", dtype=str)
    assert program["cohort"].astype(int).value_counts().to_dict() == {2012: 5, 2014: 3}
    truth = truth_of(raw)
    assert truth["generator"]["scale_config"]["cohort_sizes"] == [[2012, 5], [2014, 3]]
    cohorts = pd.DataFrame(truth["partnered_schools"])["cohort"].value_counts().to_dict()
    assert cohorts == {2012: 5, 2014: 3}
    # Effects start in each school's own cohort year.
    att = pd.DataFrame(truth["att"])
    assert set(att["cohort"]) == {2012, 2014}
    assert (att.loc[att["event_time"] < 0, "att_school_mean"] == 0).all()


def test_a_zero_effect_gives_a_state_where_the_program_does_nothing(tmp_path):
    """--effect-scale 0: valid scores everywhere, a truth of exactly zero, the same program.

    Scaling the effects used to divide by the long-run effect: zero made every partnered score
    NaN. The partnered schools must be the same as with the default effect (a null state is
    the same state without the program's effect).
    """
    null, default = tmp_path / "null" / "raw", tmp_path / "default" / "raw"
    for raw, extra in ((null, ["--effect-scale", "0"]), (default, [])):
        subprocess.run(
            [str(CLI), "sample", "--out", str(raw), "--scale", "small", "--seed", str(SEED),
             *extra],
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
    truth = truth_of(null)
    assert truth["design_effect_by_event_time"] == [0.0, 0.0, 0.0]
    att = pd.DataFrame(truth["att"])
    assert not att.empty and (att[["att", "att_school_mean"]] == 0).all().all()
    for path in sorted((null / "assessments").glob("*.csv")):
        layout, scores = read_scores(path)
        assert scores["score"].notna().all(), path.name
        for (subject, grade), cell in scores.groupby(["subject", "grade"]):
            bounds = layout.score_range(subject, grade)
            assert cell["score"].between(bounds.low, bounds.high).all(), path.name
    program = "program/partnered_schools.csv"
    assert (null / program).read_bytes() == (default / program).read_bytes()


def test_cli_rejects_a_negative_effect_scale(tmp_path):
    completed = subprocess.run(
        [str(CLI), "sample", "--out", str(tmp_path), "--scale", "small", "--effect-scale", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "--effect-scale" in completed.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("cohorts", "message"),
    [
        ("2012:20,2013:11", "at most 30 partnered schools"),
        ("2008:2", "must be in 2009-2024"),
        ("2012:2,2012:3", "distinct"),
        ("2012-4", "YEAR:N pairs"),
    ],
)
def test_cli_rejects_impossible_cohorts_before_writing(tmp_path, cohorts, message):
    completed = subprocess.run(
        [str(CLI), "sample", "--out", str(tmp_path), "--scale", "small", "--cohorts", cohorts],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert message in completed.stderr
    assert not any(tmp_path.iterdir())


# --- layouts by era ---------------------------------------------------------------------------


def test_each_year_is_written_in_that_years_vendor_layout(clean):
    files = sorted((clean / "assessments").glob("*.csv"), key=file_year)
    years = [file_year(p) for p in files]
    assert years == [y for y in range(2008, 2025) if y != 2020]
    for path in files:
        layout = detect_assessment_layout(read_header(path))
        assert layout is layout_for_year(file_year(path)), path.name
        assert read_header(path) == list(layout.columns)
        assert physical_lines(path)[0].decode() == ",".join(
            f'"{c}"' if "," in c else c for c in layout.columns
        )
    aspire = clean / "assessments" / "act_aspire_student_results_2015.csv"
    assert read_header(aspire) == read_header(VENDOR_SAMPLES_DIR / "act_aspire_2015_sample.csv")
    assert read_header(aspire) == list(ACT_ASPIRE.columns)
    assert aspire.read_bytes().count(b"\r\n") == aspire.read_bytes().count(b"\n")


def test_rosters_activity_and_program_have_their_table_layouts(clean):
    expected = {"rosters": ROSTERS, "activity": ACTIVITY, "program": PROGRAM}
    for folder, layout in expected.items():
        files = sorted((clean / folder).glob("*.csv"))
        assert files
        for path in files:
            assert detect_table_layout(read_header(path)) is layout, path.name
    assert len(list((clean / "rosters").glob("*.csv"))) == 17
    months = {p.stem[-7:] for p in (clean / "activity").glob("*.csv")}
    assert "2011_08" in months and "2024_05" in months


def test_scores_dates_levels_and_ids_are_valid_in_every_clean_file(clean):
    rosters = {
        file_year(p): pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in (clean / "rosters").glob("*.csv")
    }
    students_by_year = {}
    for path in sorted((clean / "assessments").glob("*.csv")):
        year = file_year(path)
        layout, scores = read_scores(path)
        for (subject, grade), cell in scores.groupby(["subject", "grade"]):
            bounds = layout.score_range(subject, grade)
            assert bounds is not None, (path.name, subject, grade)
            assert cell["score"].between(bounds.low, bounds.high).all()
        assert scores["level"].isin(layout.levels.labels).all()
        assert scores["student"].str.fullmatch(r"\d{10}").all()
        assert not scores.duplicated(["student", "subject"]).any()
        if layout.date_format:
            dates = pd.to_datetime(scores["date"], format=layout.date_format)
            assert (dates.dt.year == year).all() and dates.dt.month.isin([4, 5]).all()
        roster = rosters[year]
        known = set(zip(roster["system_code"], roster["school_code"], strict=True))
        assert set(zip(scores["system"], scores["school"], strict=True)) <= known
        assert set(scores.loc[scores["subject"] == "science", "grade"]) == set(
            layout.tested_grades("science")
        )
        assert scores["subject"].value_counts()["ela"] > 0.95 * scores["student"].nunique()
        students_by_year[year] = set(scores["student"])
    # Students are followed across years: most of one year's students are tested the next.
    stayed = len(students_by_year[2015] & students_by_year[2016]) / len(students_by_year[2015])
    assert 0.65 < stayed < 0.9


def test_rosters_are_ccd_style_with_a_few_system_total_rows(clean):
    roster = pd.read_csv(
        clean / "rosters" / "ccd_schools_2012.csv", dtype=str, keep_default_na=False
    )
    assert roster["ncessch"].str.fullmatch(r"\d{12}").all()
    assert (roster["ncessch"].str[:7] == roster["leaid"]).all()
    assert roster["system_code"].str.fullmatch(r"\d{3}").all()
    county = roster["system_code"].astype(int) <= 67
    assert county.any() and (~county).any()
    assert (roster.loc[~county, "system_code"].astype(int) >= 100).all()
    totals = roster["school_code"] == SYSTEM_TOTAL_SCHOOL_CODE
    assert 1 <= totals.sum() < 0.2 * roster["system_code"].nunique() + 1
    schools = roster[~totals]
    assert len(schools) == SCALES["small"].n_schools
    enrollment = schools["enrollment"].astype(int)
    assert (
        schools["free_lunch"].astype(int) + schools["reduced_lunch"].astype(int) <= enrollment
    ).all()


# --- the data model ----------------------------------------------------------------------------


def test_program_roster_agrees_with_the_truth_and_the_cohort_sizes(clean):
    truth = truth_of(clean)
    program = pd.read_csv(
        clean / "program" / "partnered_schools.csv", dtype=str, keep_default_na=False
    )
    from_file = {
        (r.system_code, r.school_code, int(r.cohort), r.partner_id, r.last_year)
        for r in program.itertuples()
    }
    from_truth = {
        (
            p["system_code"],
            p["school_code"],
            p["cohort"],
            p["partner_id"],
            str(p["last_year"] or ""),
        )
        for p in truth["partnered_schools"]
    }
    assert from_file == from_truth
    assert program["cohort"].astype(int).value_counts().to_dict() == dict(
        SCALES["small"].cohort_sizes
    )
    # Activity happens at partnered schools only, from their cohort year on.
    activity = pd.concat(
        pd.read_csv(p, dtype=str, keep_default_na=False) for p in (clean / "activity").glob("*.csv")
    )
    dates = pd.to_datetime(activity["contact_date"], format=ACTIVITY.date_format)
    spring_year = dates.dt.year + (dates.dt.month >= 7)
    first = spring_year.groupby([activity["system_code"], activity["school_code"]]).min()
    cohorts = program.set_index(["system_code", "school_code"])["cohort"].astype(int)
    assert first.sort_index().to_dict() == cohorts.sort_index().to_dict()
    assert activity["log_id"].is_unique
    for column, values in ACTIVITY.allowed_values:
        assert activity[column].isin(values).all(), column
    counts = activity["teacher_count"].astype(int)
    listed = (
        activity["teacher_ids"].str.split(";").str.len().where(activity["teacher_ids"] != "", 0)
    )
    assert (counts == listed).all()
    assert ((activity["record_type"] == "support") == (counts == 0)).all()


def test_truth_by_school_level_counts_the_students_of_each_roster_level(clean):
    """The truth's school-level subgroups are the levels the generated rosters give the
    partnered schools each year (as the ``school_subgroups`` mart reads them), counted here from
    the files: distinct students tested at partnered schools from their cohort year on."""
    label = {"Elementary": "elementary", "Middle": "middle", "Other": "other", "High": "other"}
    program = pd.read_csv(
        clean / "program" / "partnered_schools.csv", dtype=str, keep_default_na=False
    )
    cohort = {(r.system_code, r.school_code): int(r.cohort) for r in program.itertuples()}
    level = {}
    for path in (clean / "rosters").glob("*.csv"):
        roster = pd.read_csv(path, dtype=str, keep_default_na=False)
        for r in roster.itertuples():
            level[int(r.school_year), r.system_code, r.school_code] = r.level
    counted: dict[tuple[str, str], set] = {}
    for path in sorted((clean / "assessments").glob("*.csv")):
        year = file_year(path)
        _, scores = read_scores(path)
        for r in scores.itertuples():
            if year >= cohort.get((r.system, r.school), 9999):
                key = (r.subject, label[level[year, r.system, r.school]])
                counted.setdefault(key, set()).add(r.student)
    expected = {key: len(students) for key, students in counted.items()}
    truth = {
        (r["subject"], r["subgroup"]): r["n_students"]
        for r in truth_of(clean)["att_by_subgroup"]
        if r["dimension"] == "school_level"
    }
    assert truth == expected
    assert {subgroup for _, subgroup in truth} >= {"elementary", "middle"}


def test_school_icc_of_standardized_scores_is_about_one_fifth(clean):
    iccs = []
    for path in sorted((clean / "assessments").glob("*.csv")):
        _, scores = read_scores(path)
        scores["z"] = z_within_cells(scores)
        for _, subject_scores in scores[scores["subject"] != "science"].groupby("subject"):
            school = subject_scores["system"] + subject_scores["school"]
            iccs.append(anova_icc(subject_scores["z"].to_numpy(), school.to_numpy()))
    assert len(iccs) == 32
    assert 0.15 <= np.mean(iccs) <= 0.25
    assert min(iccs) >= 0.08 and max(iccs) <= 0.35


def test_partnered_schools_were_low_performing_and_poorer_before_the_program(clean):
    truth = truth_of(clean)
    partnered = {(p["system_code"], p["school_code"]) for p in truth["partnered_schools"]}
    _, scores = read_scores(clean / "assessments" / "armt_student_results_2011.csv")
    scores["z"] = z_within_cells(scores)
    in_program = [key in partnered for key in zip(scores["system"], scores["school"], strict=True)]
    assert scores.loc[in_program, "z"].mean() < -0.3
    roster = pd.read_csv(
        clean / "rosters" / "ccd_schools_2011.csv", dtype=str, keep_default_na=False
    )
    roster = roster[roster["school_code"] != SYSTEM_TOTAL_SCHOOL_CODE]
    share = (roster["free_lunch"].astype(int) + roster["reduced_lunch"].astype(int)) / roster[
        "enrollment"
    ].astype(int)
    partnered_rows = [
        k in partnered for k in zip(roster["system_code"], roster["school_code"], strict=True)
    ]
    assert share[partnered_rows].mean() > share[[not p for p in partnered_rows]].mean()


def test_true_effects_are_zero_before_and_grow_with_exposure(clean):
    truth = truth_of(clean)
    by_event = {(r["subject"], r["event_time"]): r["att"] for r in truth["att_by_event_time"]}
    for subject in ("ela", "math"):
        assert all(att == 0 for (s, e), att in by_event.items() if s == subject and e < 0)
        first, second, third = (by_event[(subject, e)] for e in (0, 1, 2))
        assert 0 < first < second < third < 0.2
        assert third / first == pytest.approx(3, rel=0.15)
    assert truth["design_effect_by_event_time"] == [0.03, 0.06, 0.09]
    assert {r["cohort"] for r in truth["att"]} == {2012, 2013}
    dose = truth["dose_response"]
    assert dose["dose_slope"] > 0
    assert len(dose["by_school"]) == sum(n for _, n in SCALES["small"].cohort_sizes)
    assert all(s["mean_minutes_per_teacher"] > 0 for s in dose["by_school"])


def test_truth_att_plus_selection_bias_is_exactly_the_did_in_the_files(clean):
    """A school-level DiD against never-partnered schools (base year cohort - 1) computed from
    the files equals the truth's ATT (school mean) plus its no-effect DiD (selection bias)."""
    truth = truth_of(clean)
    cohort_of = {
        (p["system_code"], p["school_code"]): p["cohort"] for p in truth["partnered_schools"]
    }
    frames = []
    for year in (2012, 2013, 2014, 2015):
        path = next((clean / "assessments").glob(f"*_{year}.csv"))
        _, scores = read_scores(path)
        scores["z"] = z_within_cells(scores)
        means = scores.groupby(["system", "school", "subject"])["z"].mean().rename(year)
        frames.append(means)
    panel = pd.concat(frames, axis=1)
    cohort = pd.Series(
        [cohort_of.get((system, school), 0) for system, school, _ in panel.index], index=panel.index
    )
    att = {(r["cohort"], r["subject"], r["year"]): r["att_school_mean"] for r in truth["att"]}
    bias = {
        (r["cohort"], r["subject"], r["year"]): r["bias"]
        for r in truth["selection"]["no_effect_did"]
    }
    for subject in ("ela", "math"):
        for year in (2013, 2014, 2015):
            change = (panel[year] - panel[2012])[panel.index.get_level_values("subject") == subject]
            groups = cohort[change.index]
            did = change[groups == 2013].mean() - change[groups == 0].mean()
            assert did == pytest.approx(
                att[(2013, subject, year)] + bias[(2013, subject, year)], abs=2e-6
            )


# --- --messy ---------------------------------------------------------------------------------


def test_messy_corruptions_are_recorded_and_present_in_the_files(messy):
    truth = truth_of(messy)
    records = truth["corruptions"]
    assert set(truth["corruption_counts"]) == {
        "duplicate_row",
        "malformed_date",
        "unknown_school",
        "non_numeric_score",
        "out_of_range_score",
        "non_numeric_minutes",
        "out_of_range_minutes",
        "missing_student_id",
        "stray_whitespace",
        "windows_1252_text",
    }
    lines_of = {}
    for record in records:
        path = messy / record["file"]
        if record["file"] not in lines_of:
            lines_of[record["file"]] = physical_lines(path)
        lines = lines_of[record["file"]]
        header = parse_line(lines[0])
        line = lines[record["line"] - 1]
        assert record["expected"] == EXPECTED_OUTCOME.get(record["kind"], "reject")
        if record["kind"] == "duplicate_row":
            assert record["duplicate_of_line"] == record["line"] - 1
            assert line == lines[record["duplicate_of_line"] - 1]
            continue
        cell = parse_line(line)[header.index(record["column"])]
        if record["kind"] == "windows_1252_text":
            with pytest.raises(UnicodeDecodeError):
                line.decode("utf-8")
        if not record["redacted"]:
            assert cell == record["new"] != record["original"]
        check_kind(record, cell)


def check_kind(record: dict, cell: str) -> None:
    kind = record["kind"]
    if kind == "stray_whitespace":
        assert cell != cell.strip() and cell.strip()
    elif kind == "missing_student_id":
        assert cell == ""
    elif kind == "unknown_school":
        assert UNKNOWN_SCHOOL_CODES[0] <= int(cell[-4:]) <= UNKNOWN_SCHOOL_CODES[1]
    elif kind in ("non_numeric_score", "non_numeric_minutes"):
        assert not re.fullmatch(r"-?\d+", cell)
    elif kind == "out_of_range_minutes":
        assert not MINUTES_RANGE[0] <= int(cell) <= MINUTES_RANGE[1]
    elif kind == "out_of_range_score":
        layout = layout_for_year(file_year(Path(record["file"])))
        subjects = [record["subject"]] if record["subject"] else ["ela", "math", "science"]
        ranges = [r for r in layout.score_ranges if r.subject in subjects]
        assert not any(r.contains(int(cell)) for r in ranges)
    elif kind == "malformed_date":
        layout = layout_for_year(file_year(Path(record["file"])))
        date_format = layout.date_format if layout else ACTIVITY.date_format
        with pytest.raises(ValueError):
            dt.datetime.strptime(cell, date_format)


def test_messy_changes_only_the_recorded_rows_at_the_requested_rate(clean, messy):
    records_by_file = {}
    for record in truth_of(messy)["corruptions"]:
        records_by_file.setdefault(record["file"], []).append(record)
    total_rows = 0
    for path in all_files(clean):
        relative = path.relative_to(clean).as_posix()
        records = records_by_file.get(relative, [])
        clean_lines = physical_lines(path)
        messy_lines = physical_lines(messy / relative)
        duplicates = {r["line"] for r in records if r["kind"] == "duplicate_row"}
        changed = {r["line"] for r in records if r["kind"] != "duplicate_row"}
        kept = [i for i in range(1, len(messy_lines) + 1) if i not in duplicates]
        assert len(kept) == len(clean_lines), relative
        for clean_line, messy_number in zip(clean_lines, kept, strict=True):
            same = messy_lines[messy_number - 1] == clean_line
            assert same != (messy_number in changed), (relative, messy_number)
        rows = len(clean_lines) - 1
        expected = 0 if relative.startswith("program/") else round(MESSY_RATE * rows)
        assert len(records) == expected, relative
        total_rows += rows
    assert len(records_by_file) > 100
    assert total_rows > 200_000


def test_truth_file_never_holds_a_raw_student_id(messy):
    truth_text = (messy.parent / "sample_truth.json").read_text(encoding="utf-8")
    candidates = set(re.findall(r"(?<!\d)\d{10}(?!\d)", truth_text))
    ids = set()
    for path in sorted((messy / "assessments").glob("*.csv")):
        layout = detect_assessment_layout(read_header(path))
        column = pd.read_csv(
            path, dtype=str, keep_default_na=False, usecols=[layout.student_id], encoding="latin-1"
        )
        ids |= set(column[layout.student_id].str.strip())
    assert len(ids) > 10_000
    assert not candidates & ids
    redacted = [r for r in truth_of(messy)["corruptions"] if r["redacted"]]
    assert redacted and all(r["original"] is None and r["new"] is None for r in redacted)
