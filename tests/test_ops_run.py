"""``partner-impact run`` as an evaluator runs it, and what happens when things go wrong.

A ``small`` synthetic state is run once through the command line in a child process (the
baseline). Each fault scenario then starts from a copy of that data folder (same key, so the same
pseudonyms) and injects a real fault: ``kill -9`` during the ingest or the publication, a file
that vanishes or cannot be read, a full disk (a file-size limit on the child, so a write fails
with EFBIG), a read-only data folder, a world-readable key. Afterwards the published marts are
compared with the baseline's by content, and the report by bytes.

The data folder's own name holds quotes, a semicolon and SQL, so any path pasted into SQL
anywhere in the pipeline breaks the baseline. One partnered school keeps only 6 students in the
year before it was partnered, so the report has a small cell to hide.

Root ignores file permissions: when the tests run as root, the children whose permissions matter
run without the capabilities that let root do so; as another user they need nothing.
"""

from __future__ import annotations

import csv
import ctypes
import os
import re
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.layouts import detect_assessment_layout
from pipelines.marts.build import CONFIDENTIAL_MARTS
from pipelines.privacy.suppression import MIN_CELL_SIZE
from pipelines.sample import generate_sample
from pipelines.settings import PROJECT_ROOT
from tests.terminal import run_on_terminal

pytestmark = pytest.mark.slow

DATA_NAME = """data o'brien"; DROP TABLE ingest_ledger; --"""
THIN_SCHOOL_STUDENTS = 6
_IN_OPEN, _IN_CLOSE_NOWRITE = 0x20, 0x10
_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 24, 1, 2


@dataclass(frozen=True)
class Baseline:
    home: Path
    run: subprocess.CompletedProcess
    marts: dict[str, MartContent]
    report: bytes
    thinned_school: str


def _data(home: Path) -> Path:
    return home / DATA_NAME


def _environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PARTNER_IMPACT_")}
    env.update(
        {
            "PARTNER_IMPACT_DATA_DIR": str(_data(home)),
            "PARTNER_IMPACT_KEY_FILE": str(home / "secrets" / "pseudonym.key"),
            "DAGSTER_HOME": str(PROJECT_ROOT),
            "PARTNER_IMPACT_DAGSTER_STORAGE": str(home / "dagster" / "storage"),
            "PARTNER_IMPACT_DAGSTER_ARTIFACTS": str(home / "dagster" / "artifacts"),
            "PARTNER_IMPACT_DAGSTER_COMPUTE_LOGS": str(home / "dagster" / "logs"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *arguments]


def _subject_to_permissions() -> Callable[[], None] | None:
    """A ``preexec_fn`` under which root obeys file permissions like any user.

    It drops the capabilities that let root ignore them (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH) from the child's bounding set, so the child keeps its root identity
    (and can still run an interpreter installed under /root) but reads and writes only what the
    permission bits allow. Other users need nothing. Skips the test if the system forbids it.
    """
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def drop() -> None:
        for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
            if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    with tempfile.NamedTemporaryFile() as closed:
        Path(closed.name).chmod(0)
        probe = subprocess.run(
            [sys.executable, "-c", f"open({closed.name!r}).read()"],
            preexec_fn=drop,
            capture_output=True,
            check=False,
        )
    if probe.returncode == 0 or b"PermissionError" not in probe.stderr:
        pytest.skip("root cannot be made subject to file permissions on this system")
    return drop


def _cli(
    home: Path, *arguments: str, preexec_fn: Callable[[], None] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(*arguments),
        env=_environment(home),
        cwd=home,
        capture_output=True,
        text=True,
        preexec_fn=preexec_fn,
        timeout=600,
    )


def _start(home: Path, *arguments: str) -> subprocess.Popen:
    return subprocess.Popen(
        _command(*arguments),
        env=_environment(home),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass(frozen=True)
class MartContent:
    """A published mart's content, independent of row order.

    Rows, a hash of the multiset of rows over every exact column, and the sum and sum of
    squares of every floating-point column: those are compared with a tolerance, since DuckDB
    adds in parallel, in no fixed order, so a rebuilt mean can differ in its last bits.
    """

    rows: int
    exact_hash: int
    float_sums: tuple[float, ...]

    def matches(self, other: MartContent) -> bool:
        return (self.rows, self.exact_hash) == (other.rows, other.exact_hash) and all(
            abs(a - b) <= 1e-9 * max(1.0, abs(a)) for a, b in zip(
                self.float_sums, other.float_sums, strict=True)
        )  # fmt: skip


def _marts_content(home: Path) -> dict[str, MartContent]:
    """Every published mart's content (ingest times aside). Reading every file whole also
    proves that none is half written."""
    marts = _data(home) / "marts"
    content = {}
    with duckdb.connect() as conn:
        for path in sorted(marts.glob("*.parquet")):
            source = {"path": str(path)}
            columns = conn.execute("DESCRIBE SELECT * FROM read_parquet($path)", source).fetchall()
            floats = [f'"{c}"' for c, kind, *_ in columns if kind in ("DOUBLE", "FLOAT")]
            exact = [f'"{c}"' for c, kind, *_ in columns
                     if kind not in ("DOUBLE", "FLOAT") and c != "ingested_at"]  # fmt: skip
            sums = "".join(f", sum({c}), sum({c} * {c})" for c in floats)
            row = conn.execute(
                f"SELECT count(*), sum(hash(struct_pack({', '.join(exact)})))::HUGEINT{sums} "
                "FROM read_parquet($path)",
                source,
            ).fetchone()
            content[path.stem] = MartContent(
                row[0], int(row[1]), tuple(float(v or 0.0) for v in row[2:])
            )
    return content


def _same_marts(actual: dict[str, MartContent], expected: dict[str, MartContent]) -> bool:
    return actual.keys() == expected.keys() and all(
        actual[name].matches(expected[name]) for name in expected
    )


def _published_files(home: Path) -> dict[str, bytes]:
    """The bytes of every published file: marts, estimates and report."""
    data = _data(home)
    files = {}
    for folder in ("marts", "estimates", "reports"):
        for path in sorted((data / folder).iterdir()):
            files[f"{folder}/{path.name}"] = path.read_bytes()
    return files


def _thin_one_school(raw: Path) -> str:
    """Keep 6 students of the first partnered school in the year before its cohort."""
    with (raw / "program" / "partnered_schools.csv").open(newline="") as handle:
        school = next(csv.DictReader(handle))
    year = int(school["cohort"]) - 1
    (path,) = (raw / "assessments").glob(f"*_{year}.csv")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, records = rows[0], rows[1:]
    layout = detect_assessment_layout(header)
    column = {name: header.index(name) for name in header}
    kept_students: set[str] = set()
    kept = []
    for record in records:
        code = record[column[layout.school_code]]
        if layout.school_code_has_system_prefix:
            system, code = code[:3], code[-4:]
        else:
            system = record[column[layout.system_code]]
        if (system, code) == (school["system_code"], school["school_code"]):
            student = record[column[layout.student_id]]
            if student not in kept_students and len(kept_students) >= THIN_SCHOOL_STUDENTS:
                continue
            kept_students.add(student)
        kept.append(record)
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *kept])
    return school["school_name"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ops")


@pytest.fixture(scope="module")
def baseline(workspace: Path) -> Baseline:
    home = workspace / "baseline"
    generate_sample(_data(home) / "raw", scale="small", seed=7)
    thinned = _thin_one_school(_data(home) / "raw")
    completed = _cli(home, "run", "--progress")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = (_data(home) / "reports" / "impact_report.html").read_bytes()
    return Baseline(home, completed, _marts_content(home), report, thinned)


def _scenario(baseline: Baseline, workspace: Path, name: str) -> Path:
    """A copy of the baseline's data, key and published files, with a fresh Dagster instance."""
    home = workspace / name
    shutil.copytree(baseline.home, home, symlinks=True, ignore=shutil.ignore_patterns("dagster"))
    return home


class _Inotify:
    """Linux inotify, to act at the moment the pipeline opens or finishes reading a file."""

    def __init__(self) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0:
            pytest.skip("inotify is not available on this system")

    def watch(self, path: Path, mask: int) -> None:
        if self.libc.inotify_add_watch(self.fd, str(path).encode(), mask) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")

    def next_name(self, timeout: float) -> str | None:
        """The file name of the next event (None on timeout)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self.fd, 4096)
        _, _, _, length = struct.unpack_from("iIII", data)
        return data[16 : 16 + length].rstrip(b"\0").decode()

    def close(self) -> None:
        os.close(self.fd)


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("ERROR ")]


# The baseline run and the command line


def test_run_prints_one_line_per_layer_and_progress_per_step(baseline: Baseline) -> None:
    out, err = baseline.run.stdout, baseline.run.stderr
    layers = [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")]
    assert layers == ["ingest", "marts", "estimates", "report"]
    assert re.search(r"^ingest: files loaded 164, skipped 0, failed 0, removed 0; "
                     r"rows loaded \d+, rejected 0$", out, re.M)  # fmt: skip
    assert "  stg_assessments: files loaded 16, files skipped 0, files failed 0" in out
    assert re.search(r"^marts: 8 tables published to .*/marts$", out, re.M)
    assert re.search(r"^estimates: \d+ tables published", out, re.M)
    # The documented refusal (no overlap for doubly robust) is named, but it is not a failure.
    assert "estimation step(s) failed" not in out
    refused = re.search(
        r"^estimates: .*?; (\d+) step\(s\) not estimable \(expected refusals, not failures\): "
        r"(.*)$",
        out,
        re.M,
    )
    assert refused is not None
    assert refused.group(2) == "cs_doubly_robust estimate (ela, math, science)"
    report = _data(baseline.home) / "reports" / "impact_report.html"
    assert f"report: {report} (rebuilt)" in out
    steps = err.splitlines()
    # Every step, and nothing else: Dagster's own log stays in the run history.
    assert len(steps) == 15
    assert all(re.fullmatch(r"\[\s*\d+/15\] \w+: \w+ \d+\.\d s", line) for line in steps)
    assert steps[0].startswith("[ 1/15] ingest: stg_rosters ")
    assert steps[-1].startswith("[15/15] report: impact_report ")


def test_progress_shows_by_default_on_a_terminal_and_never_in_a_pipe(
    baseline: Baseline, workspace: Path
) -> None:
    """No flag: a timer's pipe gets the summary only; a terminal also sees each step start
    (``...``) and then finish on the same line (a carriage return)."""
    home = _scenario(baseline, workspace, "terminal")
    piped = _cli(home, "run")
    assert piped.returncode == 0
    assert "[ 1/15]" not in piped.stderr
    shown = run_on_terminal(_command("run"), env=_environment(home), cwd=home)
    assert shown.returncode == 0, shown.stdout
    assert "[ 1/15] ingest: stg_rosters ..." in shown.terminal
    assert re.search(r"\r\[15/15\] report: impact_report \d+\.\d s", shown.terminal)
    assert "report: " in shown.stdout  # the summary still goes to standard output


# Crashes


def test_kill_9_during_the_ingest_then_a_rerun_gives_the_same_marts(
    baseline: Baseline, workspace: Path
) -> None:
    home = _scenario(baseline, workspace, "kill_ingest")
    data = _data(home)
    (data / "warehouse.duckdb").unlink()  # everything is ingested again
    before = _published_files(home)
    watcher = _Inotify()
    try:
        watcher.watch(data / "raw" / "assessments", _IN_OPEN)
        child = _start(home, "run", "--progress")
        assert watcher.next_name(timeout=120) is not None  # the assessments ingest started
        # Scratch space appears once every file is fingerprinted and recognized: batches load.
        _wait_for(lambda: any(data.glob(".ingest-*")), 60, "the assessment batches")
        time.sleep(0.3)
        child.send_signal(signal.SIGKILL)
        _, err = child.communicate(timeout=60)
    finally:
        watcher.close()
    assert "stg_assessments" not in err  # killed before that step ended
    assert _published_files(home) == before  # marts, estimates and report untouched
    status = _cli(home, "status").stdout
    assert "Last run: materialize_everything STARTED, interrupted: its process is gone" in status

    again = _cli(home, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _same_marts(_marts_content(home), baseline.marts)  # same rows, none twice
    report = (data / "reports" / "impact_report.html").read_text()
    assert report.rstrip().endswith("</html>")
    from dagster import DagsterInstance, DagsterRunStatus

    with pytest.MonkeyPatch.context() as env:
        for name, value in _environment(home).items():
            env.setenv(name, value)
        with DagsterInstance.get() as instance:
            statuses = sorted(run.status.value for run in instance.get_runs())
    assert statuses == [DagsterRunStatus.FAILURE.value, DagsterRunStatus.SUCCESS.value]


def test_kill_9_during_the_publication_leaves_the_previous_marts_whole(
    baseline: Baseline, workspace: Path
) -> None:
    # A copy in another folder publishes again (analyst.duckdb holds the folder's path).
    home = _scenario(baseline, workspace, "kill_publish")
    data = _data(home)
    before = _published_files(home)
    child = _start(home, "run")
    staging = data / "marts_versions"
    _wait_for(lambda: any(staging.glob(".staging-*/*.parquet")), 120, "the publication to start")
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    assert _published_files(home) == before
    assert _same_marts(_marts_content(home), baseline.marts)
    assert "interrupted: its process is gone" in _cli(home, "status").stdout

    # The next run has nothing to ingest or rebuild: it publishes, and keeps the rest.
    again = _cli(home, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stderr == ""  # not a terminal and no --progress: only the summary
    out = again.stdout
    assert "ingest: files loaded 0, skipped 164, failed 0, removed 0" in out
    assert re.search(r"^marts: 8 tables published", out, re.M)
    assert re.search(r"^estimates: \d+ tables unchanged", out, re.M)
    assert out.splitlines()[-1].endswith("impact_report.html (unchanged)")
    assert _same_marts(_marts_content(home), baseline.marts)
    assert not list(staging.glob(".*"))  # the half-written version was cleared away
    assert (data / "reports" / "impact_report.html").read_bytes() == baseline.report
    status = _cli(home, "status").stdout
    assert re.search(r"^assessments: 16 files loaded, 0 failed, 0 removed; rows read \d+", status,
                     re.M)  # fmt: skip
    assert re.search(r"^Last run: materialize_everything SUCCESS \(cli\) started .* UTC, took "
                     r"\d+ s$", status, re.M)  # fmt: skip


# Faults that must stop the run with one clear error


def test_a_full_disk_stops_the_run_with_one_clear_error(
    baseline: Baseline, workspace: Path
) -> None:
    home = _scenario(baseline, workspace, "full_disk")
    before = _published_files(home)

    def small_disk() -> None:
        # Writing past 4 MB fails with EFBIG (the signal that would kill the process instead
        # is ignored), as writes fail on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4_000_000, 4_000_000))

    completed = _cli(home, "run", preexec_fn=small_disk)
    assert completed.returncode == 1
    (error,) = _errors(completed.stdout)
    assert "File too large" in error
    assert "The run failed; the previous marts, estimates and report are untouched." in (
        completed.stdout
    )
    assert _published_files(home) == before
    assert not list((_data(home) / "marts_versions").glob(".*"))


def test_a_read_only_data_folder_stops_the_run_with_one_clear_error(
    baseline: Baseline, workspace: Path
) -> None:
    home = _scenario(baseline, workspace, "read_only")
    data = _data(home)
    before = _published_files(home)
    obeying = _subject_to_permissions()
    subprocess.run(["chmod", "-R", "a-w", str(data)], check=True)
    try:
        completed = _cli(home, "run", preexec_fn=obeying)
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(data)], check=True)
    assert completed.returncode == 1, completed.stdout
    (error,) = _errors(completed.stdout)
    assert "Permission denied" in error or "Read-only" in error
    assert str(data) in error  # it names what it could not write
    assert _published_files(home) == before


def test_a_world_readable_key_stops_the_run_before_any_data_is_read(
    baseline: Baseline, workspace: Path
) -> None:
    home = _scenario(baseline, workspace, "open_key")
    key = home / "secrets" / "pseudonym.key"
    key.chmod(0o644)
    before = _published_files(home)
    completed = _cli(home, "run")
    assert completed.returncode == 1
    (error,) = _errors(completed.stdout)
    assert error.startswith("ERROR stg_rosters: The pseudonymization key file ")
    assert "is readable by other users (mode 0644); refusing to use it" in error
    assert "chmod 600" in error
    assert _published_files(home) == before


# Files that vanish or cannot be read while the run reads them


@pytest.fixture(scope="module")
def vanished_and_unreadable(baseline: Baseline, workspace: Path) -> tuple[Path, object, dict]:
    home = _scenario(baseline, workspace, "bad_files")
    raw = _data(home) / "raw" / "assessments"
    vanishing, unreadable = sorted(raw.iterdir())[:2]
    # New content under the same name (CRLF line ends), so the ingest has to read it again.
    vanishing.write_bytes(vanishing.read_bytes().replace(b"\n", b"\r\n"))
    before = _published_files(home)
    obeying = _subject_to_permissions()
    unreadable.chmod(0)
    watcher = _Inotify()
    try:
        watcher.watch(vanishing, _IN_CLOSE_NOWRITE)
        child = subprocess.Popen(
            _command("run"),
            env=_environment(home),
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=obeying,
        )
        # Fingerprinting it is the first read: it vanishes before the file is parsed.
        watcher.next_name(timeout=120)
        vanishing.unlink()
        out, err = child.communicate(timeout=600)
    finally:
        watcher.close()
    names = {"vanishing": vanishing.name, "unreadable": unreadable.name}
    return home, subprocess.CompletedProcess(child.args, child.returncode, out, err), {
        "names": names, "before": before
    }  # fmt: skip


def test_a_vanished_or_unreadable_file_is_named_with_its_reason(vanished_and_unreadable) -> None:
    _, completed, facts = vanished_and_unreadable
    out = completed.stdout
    vanishing, unreadable = facts["names"]["vanishing"], facts["names"]["unreadable"]
    # The summary's "failed:" line; the failed checks name the file again below their lines.
    failed = [line for line in out.splitlines() if line.strip().startswith("failed: ")]
    (gone,) = [line for line in failed if vanishing in line]
    assert gone.strip().startswith(f"failed: assessments/{vanishing}: ")
    assert "No such file or directory" in gone
    (denied,) = [line for line in failed if unreadable in line]
    assert denied.strip().startswith(f"failed: assessments/{unreadable}: ")
    assert "Permission denied" in denied


def test_a_vanished_or_unreadable_file_leaves_the_previous_marts(vanished_and_unreadable) -> None:
    """An I/O error is not a data problem: the run stops instead of publishing without the
    file's rows."""
    home, completed, facts = vanished_and_unreadable
    assert completed.returncode == 1
    assert "check stg_assessments:files_readable ERROR: failed" in completed.stdout
    assert _published_files(home) == facts["before"]


def test_once_the_files_are_readable_or_gone_the_run_publishes_again(
    vanished_and_unreadable,
) -> None:
    home, _, facts = vanished_and_unreadable
    unreadable = _data(home) / "raw" / "assessments" / facts["names"]["unreadable"]
    unreadable.chmod(0o644)
    completed = _cli(home, "run")
    assert completed.returncode == 0, completed.stdout
    assert "files_readable" not in completed.stdout
    assert _published_files(home) != facts["before"]


# What the run leaves behind: privacy


def test_the_report_shows_no_count_under_ten_students(baseline: Baseline) -> None:
    html = baseline.report.decode()
    cells = re.findall(r'<td class="(n[^"]*)">([^<]*)</td>', html)
    shown = [int(text.replace(",", "")) for css, text in cells if css == "n"]
    assert len(shown) > 50 and min(shown) >= MIN_CELL_SIZE
    # The thinned school's 6 students are hidden (and as many cells as that takes).
    assert any(css == "n suppressed" for css, _ in cells)
    row = re.search(rf"<th scope=\"row\">{re.escape(baseline.thinned_school)}</th>.*?</tr>", html)
    assert row and 'class="n suppressed"' in row.group(0)
    text = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
    counts = [int(n.replace(",", "")) for n in re.findall(r"(\d[\d,]*)\s+students\b", text)]
    assert counts and min(counts) >= MIN_CELL_SIZE


def test_published_tables_show_no_count_under_ten_students(baseline: Baseline) -> None:
    """Every table in data/marts and data/estimates is tagged confidential (student-level, not
    for publication), internal (school-level, for analysts under the data agreement:
    unsuppressed) or public. Public tables show no count of fewer than 10 students."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    confidentiality = {
        key.to_user_string(): graph.get(key).tags.get("confidentiality")
        for key in graph.get_all_asset_keys()
    }
    data = _data(baseline.home)
    tables = sorted([*data.glob("marts/*.parquet"), *data.glob("estimates/*.parquet")])
    assert {confidentiality[path.stem] for path in tables} == {"confidential", "internal", "public"}
    smallest = {}
    with duckdb.connect() as conn:
        for path in tables:
            for column in conn.execute(
                "DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}
            ).fetchall():
                if column[0] in ("n_tested", "n_students"):
                    ((value,),) = conn.execute(
                        f'SELECT min("{column[0]}") FROM read_parquet($path)',
                        {"path": str(path)},
                    ).fetchall()
                    smallest[(path.stem, column[0])] = value
    assert {confidentiality[table] for table in CONFIDENTIAL_MARTS} == {"confidential"}
    public = {key: value for key, value in smallest.items() if confidentiality[key[0]] == "public"}
    assert ("estimates_dose_groups", "n_students") in public
    assert all(value is None or value >= MIN_CELL_SIZE for value in public.values()), public
    # The internal marts do hold the thinned school's small cells: they are not published.
    internal = {key: value for key, value in smallest.items() if key not in public}
    assert confidentiality["school_outcomes"] == confidentiality["school_panel"] == "internal"
    assert internal[("school_outcomes", "n_tested")] < MIN_CELL_SIZE


def test_summary_shows_not_estimable_steps_apart_from_failures() -> None:
    from pipelines.ops.run import _estimates_line

    status = {
        "rebuilt": True,
        "failed_steps": 0,
        "not_estimable_steps": 3,
        "not_estimable_in": "cs_doubly_robust estimate (ela, math, science)",
    }
    line = _estimates_line({"estimates_status": status}, {"estimates_status": "estimates"})
    assert "failed" not in line
    assert line.endswith(
        "3 step(s) not estimable (expected refusals, not failures): cs_doubly_robust estimate "
        "(ela, math, science)"
    )
    status.update(failed_steps=1, failed_in="twfe estimate (ela)")
    line = _estimates_line({"estimates_status": status}, {"estimates_status": "estimates"})
    assert "1 estimation step(s) failed: twfe estimate (ela)" in line
