"""The Dagster UI listens on the loopback interface unless someone deliberately says otherwise."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines.settings import PROJECT_ROOT

OPERATIONS = Path(__file__).parents[1] / "docs" / "operations.md"
_HOST = re.compile(r"(?:-h|--host|--dagit-host)[ =](\S+)")


def test_make_dev_binds_the_ui_to_127_0_0_1() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    plan = subprocess.run(
        ["make", "-n", "dev"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    (command,) = [line for line in plan.splitlines() if "dg dev" in line]
    assert _HOST.findall(command) == ["127.0.0.1"]


def test_the_webserver_listens_on_127_0_0_1_when_no_host_is_given() -> None:
    from dagster_webserver.cli import cli

    (host,) = [option for option in cli.params if option.name == "host"]
    assert host.default == "127.0.0.1"


def test_every_documented_ui_command_binds_127_0_0_1() -> None:
    commands = [
        line
        for line in OPERATIONS.read_text().splitlines()
        if re.search(r"dagster-webserver |dagster dev ", line) and "ExecStart" in line
    ]
    assert commands
    for command in commands:
        assert _HOST.findall(command) == ["127.0.0.1"], command
