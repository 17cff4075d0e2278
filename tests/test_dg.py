"""The project follows the Dagster 1.13 command line: ``dg`` sees the one code location, and
``make dev`` starts the UI with ``dg dev`` (no superseded-command warning), on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.settings import PROJECT_ROOT

DG = Path(sys.executable).parent / "dg"


def _dg(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``dg`` run in the project folder, as a developer runs it (environment from the fixture)."""
    return subprocess.run(
        [str(DG), *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )


def test_dg_check_defs_passes(data_dir: Path) -> None:
    checked = _dg("check", "defs")
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr


def test_dg_list_defs_lists_every_asset_check_schedule_and_sensor(data_dir: Path) -> None:
    from pipelines.definitions import defs

    listed = _dg("list", "defs", "--json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    seen = json.loads(listed.stdout)
    graph = defs.resolve_asset_graph()
    assert {a["asset_key"] for a in seen["assets"]} == {
        key.to_user_string() for key in graph.get_all_asset_keys()
    }
    assert {c["key"] for c in seen["asset_checks"]} == {
        f"{key.asset_key.to_user_string()}:{key.name}" for key in graph.asset_check_keys
    }
    assert {s["name"] for s in seen["schedules"]} == {s.name for s in defs.schedules or []}
    assert {s["name"] for s in seen["sensors"]} == {s.name for s in defs.sensors or []}
    assert len(seen["asset_checks"]) > 0 and seen["schedules"] and seen["sensors"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_make_dev_serves_the_ui_on_loopback_without_warnings(data_dir: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    plan = subprocess.run(
        ["make", "-n", "dev"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    (command,) = [line for line in plan.splitlines() if " dev " in line and "dg" in line]
    port = _free_port()
    command = re.sub(r"--port \d+", f"--port {port}", command)
    ui = subprocess.Popen(
        command,
        shell=True,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(ui.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240  # dg starts the webserver and the daemon
        while time.monotonic() < deadline and ui.poll() is None:
            if "Serving dagster-webserver" in "".join(output):
                break
            time.sleep(0.5)
        text = "".join(output)
        assert f"http://127.0.0.1:{port}" in text, text[-3000:]
        assert not re.search(r"Warning|deprecat|superseded", text, re.IGNORECASE), text[-3000:]
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        try:
            ui.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait(timeout=60)
