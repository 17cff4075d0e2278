"""Recognize a raw file: its encoding, delimiter and layout, from its first bytes and header.

A file that cannot be recognized stops here with a :class:`FileRejectedError` whose message names
what was wrong and the columns the header had (never data values).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.ingest.files import FileFacts
from pipelines.ingest.reader import FileRejectedError, Header, header_candidates
from pipelines.layouts import (
    ACTIVITY,
    ASSESSMENT_LAYOUTS,
    PROGRAM,
    ROSTERS,
    AssessmentLayout,
    TableLayout,
    detect_assessment_layout,
    missing_columns,
)

TABLE_LAYOUT_OF_SOURCE: dict[str, TableLayout] = {
    "rosters": ROSTERS,
    "program": PROGRAM,
    "activity": ACTIVITY,
}
_SHOWN_COLUMNS = 40

Layout = AssessmentLayout | TableLayout


@dataclass(frozen=True)
class RecognizedFile:
    """A raw file ready to be read: its facts, layout and header."""

    path: str
    facts: FileFacts
    layout: Layout
    header: Header


def sanitize_message(message: str) -> str:
    """First line of an error message, with any long digit run (it could be an id) masked."""
    first_line = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return re.sub(r"\d{5,}", "#####", first_line)


def _describe_header(names: tuple[str, ...]) -> str:
    shown = ", ".join(
        repr(sanitize_message(name) if name else "") for name in names[:_SHOWN_COLUMNS]
    )
    more = f", ... ({len(names)} columns in all)" if len(names) > _SHOWN_COLUMNS else ""
    return f"[{shown}{more}]"


def _closest(layouts: Sequence[Layout], names: tuple[str, ...]) -> str:
    missing = {layout.name: missing_columns(layout, names) for layout in layouts}
    name = min(missing, key=lambda key: len(missing[key]))
    needed = ", ".join(repr(column) for column in missing[name][:10])
    extra = f" and {len(missing[name]) - 10} more" if len(missing[name]) > 10 else ""
    return f"closest layout {name!r} lacks {needed}{extra}"


def choose_layout(
    source: str,
    candidates: list[Header],
    assessment_layouts: Sequence[AssessmentLayout] = ASSESSMENT_LAYOUTS,
) -> tuple[Layout, Header]:
    """The layout of a ``source`` file and the header split that matched it.

    ``assessment_layouts`` are the layouts an assessment file may have (the built-in ones and
    the agency's declared ones). Raises :class:`FileRejectedError` naming the columns seen when
    no layout of ``source`` fits.
    """
    layouts: list[Layout]
    if source == "assessments":
        layouts = list(assessment_layouts)
        for header in candidates:
            found = detect_assessment_layout(header.names, assessment_layouts)
            if found is not None:
                return found, header
    else:
        layouts = [TABLE_LAYOUT_OF_SOURCE[source]]
        for header in candidates:
            if not missing_columns(layouts[0], header.names):
                return layouts[0], header
    seen = max(candidates, key=lambda header: len(header.names))
    raise FileRejectedError(
        f"unknown layout: the header has {len(seen.names)} column(s) "
        f"{_describe_header(seen.names)}; no {source} layout fits "
        f"({_closest(layouts, seen.names)})"
    )


def recognize(
    source: str,
    facts: FileFacts,
    path: str,
    assessment_layouts: Sequence[AssessmentLayout] = ASSESSMENT_LAYOUTS,
) -> RecognizedFile:
    """The layout and header of the ``source`` file ``path``, or :class:`FileRejectedError`."""
    if facts.encoding == "utf-16":
        raise FileRejectedError("UTF-16 text is not supported: export the file as UTF-8 CSV")
    if facts.size == 0:
        raise FileRejectedError("the file is empty: no header line")
    layout, header = choose_layout(source, header_candidates(facts.path), assessment_layouts)
    return RecognizedFile(path, facts, layout, header)
