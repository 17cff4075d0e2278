"""Progress of a run on the terminal: one line per step, as Dagster reports it.

:func:`progress_logger` is a Dagster logger: the run hands it every event as it happens, and it
writes a line to a stream (standard error) when a step starts, succeeds, fails or is skipped,
naming the step, its layer and how long it took. It never prints event messages, which could
quote data; only step names, layers and times.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TextIO

from dagster import LoggerDefinition

from pipelines.ingest.recognize import sanitize_message

_DAGSTER_META = "dagster_meta"


def step_error(error: object) -> str:
    """One line for a failed step: the innermost error's message, digit runs masked.

    ``error`` is Dagster's ``SerializableErrorInfo``; the innermost cause is the error our code
    (or DuckDB, or the operating system) raised, the outer ones are Dagster's wrappers. The
    message is shown without the exception's class (``module.Class: ``).
    """
    while getattr(error, "cause", None) is not None:
        error = error.cause  # type: ignore[attr-defined]
    message = getattr(error, "message", None) or str(error)
    head, separator, rest = message.partition(": ")
    if separator and head.rsplit(".", 1)[-1] == getattr(error, "cls_name", None):
        message = rest
    return sanitize_message(message)


class _ProgressHandler(logging.Handler):
    def __init__(self, stream: TextIO, layers: Mapping[str, str], interactive: bool) -> None:
        super().__init__(level=logging.DEBUG)
        self.stream = stream
        self.layers = dict(layers)
        self.interactive = interactive
        self.started: dict[str, float] = {}
        self.done = 0

    def _label(self, step: str, number: int) -> str:
        width = len(str(len(self.layers)))
        layer = self.layers.get(step, "?")
        return f"[{number:>{width}}/{len(self.layers)}] {layer}: {step}"

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, _DAGSTER_META, None) or {}
        event = meta.get("dagster_event")
        if event is None or event.step_key is None:
            return
        step = event.step_key
        if event.is_step_start:
            self.started[step] = time.perf_counter()
            if self.interactive:
                self.stream.write(f"{self._label(step, self.done + 1)} ...")
                self.stream.flush()
            return
        if event.is_step_success:
            outcome = f"{time.perf_counter() - self.started.get(step, time.perf_counter()):.1f} s"
        elif event.is_step_failure:
            outcome = "FAILED"
        elif event.is_step_skipped:
            outcome = "skipped (an earlier step failed)"
        else:
            return
        self.done += 1
        start = "\r" if self.interactive and step in self.started else ""
        self.stream.write(f"{start}{self._label(step, self.done)} {outcome}\n")
        self.stream.flush()


def progress_logger(
    stream: TextIO, layers: Mapping[str, str], interactive: bool
) -> LoggerDefinition:
    """A Dagster logger that shows each step of a run on ``stream``.

    ``layers`` maps every step (op) name to its layer (asset group); on an ``interactive``
    stream a step's line appears when it starts and is completed in place when it ends.
    """

    def build(_init_context: object) -> logging.Logger:
        logger = logging.getLogger(f"partner_impact.progress.{id(stream)}")
        logger.handlers.clear()
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        logger.addHandler(_ProgressHandler(stream, layers, interactive))
        return logger

    return LoggerDefinition(build, description="Step-by-step progress on the terminal.")
