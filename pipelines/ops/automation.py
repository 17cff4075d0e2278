"""When the pipeline runs by itself: a nightly schedule and a sensor on the raw folder.

Both are off until an evaluator turns them on (in the Dagster UI, or with
``dagster schedule start`` / ``dagster sensor start``) and need the Dagster daemon running
(docs/operations.md). Either starts the job that materializes every asset; no asset is
partitioned, which that job needs (a job mixing partitioned and unpartitioned assets fails).

- ``nightly``: every day at 02:00 in ``PARTNER_IMPACT_TIMEZONE`` (default America/Chicago, the
  time zone of Alabama's agencies).
- ``raw_files``: starts a run when files under ``data/raw/`` were added, changed or removed since
  its last request. It looks at content, not dates: its cursor keeps each file's size,
  modification time and SHA-256 (a file is hashed again only when its size or time changed), and
  it requests a run only when the list of (path, size, SHA-256) differs from the one it last
  requested a run for. The run key numbers the requests, so re-evaluating a tick from the same
  cursor asks for the same run (Dagster starts it once), and going back to earlier files still
  starts a run. Files modified in the last :data:`SETTLE_SECONDS` are left to finish arriving.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pipelines.ingest.files import SOURCES, discover
from pipelines.settings import get_settings

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

TIMEZONE_ENV_VAR = "PARTNER_IMPACT_TIMEZONE"
DEFAULT_TIMEZONE = "America/Chicago"
NIGHTLY_CRON = "0 2 * * *"
SETTLE_SECONDS = 120
"""A file modified more recently than this may still be being copied: wait for it."""
SENSOR_INTERVAL_SECONDS = 60
TRIGGER_TAG = "partner_impact/trigger"


def schedule_timezone() -> str:
    """The time zone of the nightly schedule (``PARTNER_IMPACT_TIMEZONE``), checked."""
    name = os.environ.get(TIMEZONE_ENV_VAR, "").strip() or DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"{TIMEZONE_ENV_VAR}={name!r} is not a time zone name (e.g. America/Chicago)"
        ) from error
    return name


def nightly_schedule(job: JobDefinition | UnresolvedAssetJobDefinition) -> ScheduleDefinition:
    """Run ``job`` every night at 02:00 local time; stopped until turned on."""
    return ScheduleDefinition(
        name="nightly",
        job=job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=schedule_timezone(),
        default_status=DefaultScheduleStatus.STOPPED,
        tags={TRIGGER_TAG: "nightly"},
        description="Materialize every asset at 02:00 (PARTNER_IMPACT_TIMEZONE).",
    )


@dataclass
class RawFilesCursor:
    """What the sensor remembers between ticks (stored as JSON by Dagster)."""

    requests: int = 0
    """Runs requested so far: numbers the run keys."""
    requested: str | None = None
    """Fingerprint of the files the last run was requested for."""
    files: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    """Relative path -> (size, modification time in ns, SHA-256), to hash only what changed."""

    @classmethod
    def parse(cls, text: str | None) -> RawFilesCursor:
        if not text:
            return cls()
        data = json.loads(text)
        files = {path: tuple(entry) for path, entry in data["files"].items()}
        return cls(data["requests"], data["requested"], files)  # type: ignore[arg-type]

    def dump(self) -> str:
        return json.dumps(
            {"requests": self.requests, "requested": self.requested, "files": self.files},
            sort_keys=True,
        )


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def scan_raw_files(
    raw_dir: Path, known: dict[str, tuple[int, int, str]]
) -> dict[str, tuple[int, int, str]]:
    """(size, mtime ns, SHA-256) of every file the ingest would read under ``raw_dir``.

    A file whose size and modification time match ``known`` keeps its known hash. A file that
    vanishes while it is looked at is left out (it is gone).
    """
    found: dict[str, tuple[int, int, str]] = {}
    for source in SOURCES:
        for path in discover(raw_dir / source):
            relative = path.relative_to(raw_dir).as_posix()
            try:
                stat = path.stat()
                previous = known.get(relative)
                if previous is not None and previous[:2] == (stat.st_size, stat.st_mtime_ns):
                    digest = previous[2]
                else:
                    digest = _sha256(path)
            except FileNotFoundError:
                continue
            found[relative] = (stat.st_size, stat.st_mtime_ns, digest)
    return found


def content_fingerprint(files: dict[str, tuple[int, int, str]]) -> str:
    """SHA-256 of the sorted (path, size, SHA-256) list: equal exactly when the content is."""
    listing = "\n".join(
        f"{path}\0{size}\0{digest}" for path, (size, _, digest) in sorted(files.items())
    )
    return hashlib.sha256(listing.encode()).hexdigest()


def evaluate_raw_files(
    cursor: RawFilesCursor, raw_dir: Path, settle_seconds: float, now: float
) -> tuple[RunRequest | SkipReason, RawFilesCursor]:
    """One tick of the sensor: what to do and the cursor to keep."""
    files = scan_raw_files(raw_dir, cursor.files)
    if not files:
        return SkipReason(f"No raw files under {raw_dir}."), cursor
    updated = RawFilesCursor(cursor.requests, cursor.requested, files)
    fingerprint = content_fingerprint(files)
    if fingerprint == cursor.requested:
        return SkipReason("No raw file added, changed or removed since the last run."), updated
    arriving = sorted(
        path for path, (_, mtime_ns, _) in files.items() if now - mtime_ns / 1e9 < settle_seconds
    )
    if arriving:
        return (
            SkipReason(
                f"{len(arriving)} file(s) modified in the last {settle_seconds:.0f} s, e.g. "
                f"{arriving[0]}: waiting for them to finish arriving."
            ),
            updated,
        )
    updated.requests += 1
    updated.requested = fingerprint
    request = RunRequest(
        run_key=f"raw-files-{updated.requests}-{fingerprint[:16]}",
        tags={TRIGGER_TAG: "raw_files"},
    )
    return request, updated


def raw_files_sensor(
    job: JobDefinition | UnresolvedAssetJobDefinition, settle_seconds: float = SETTLE_SECONDS
) -> SensorDefinition:
    """Run ``job`` when the raw files' content changes (module docs); stopped until turned on."""

    @sensor(
        name="raw_files",
        job=job,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.STOPPED,
        description="Materialize every asset when files under data/raw/ are added, changed "
        "or removed (by content).",
    )
    def raw_files(context: SensorEvaluationContext) -> RunRequest | SkipReason:
        outcome, cursor = evaluate_raw_files(
            RawFilesCursor.parse(context.cursor),
            get_settings().raw_dir,
            settle_seconds,
            time.time(),
        )
        context.update_cursor(cursor.dump())
        return outcome

    return raw_files
