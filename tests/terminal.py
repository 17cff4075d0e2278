"""Run a command with its standard error on a pseudo-terminal, as an evaluator's shell would.

Commands decide whether to show progress by asking whether standard error is a terminal; a pipe
cannot answer yes, so the tests that check what a person sees at a terminal use a real one.
"""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TerminalRun:
    returncode: int
    stdout: str
    terminal: str  # everything written to standard error (the terminal), control bytes kept


def run_on_terminal(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 600,
) -> TerminalRun:
    """Run ``command`` to the end with standard error on a new pseudo-terminal."""
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        list(command), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=follower, text=True
    )
    os.close(follower)
    shown = bytearray()
    try:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    stdout, _ = child.communicate(timeout=timeout)
    return TerminalRun(child.returncode, stdout, shown.decode())
