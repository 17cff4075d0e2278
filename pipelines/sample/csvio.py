"""Fast, byte-reproducible CSV writing of string columns (pyarrow), with Windows-1252 bytes.

Real exports sometimes carry single bytes written by Windows tools (``0x92`` for a curly
apostrophe, ``0xE9`` for é) inside an otherwise UTF-8 file. Arrow strings must be valid UTF-8, so
such a byte travels through the table as a private-use placeholder character and is swapped for
the raw byte after serialization.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

_PLACEHOLDER_BASE = 0xE000
# UTF-8 of U+E080..U+E0FF: the placeholders of bytes 0x80..0xFF.
_PLACEHOLDER_PATTERN = re.compile(rb"\xee[\x82\x83][\x80-\xbf]")


def cp1252_placeholder(text: str) -> str:
    """``text`` with every non-ASCII character replaced by the placeholder of its cp1252 byte."""
    return "".join(
        chr(_PLACEHOLDER_BASE + ch.encode("cp1252")[0]) if ord(ch) > 127 else ch for ch in text
    )


@dataclass
class CsvTable:
    """A CSV file to write: header names and one string (or null) array per column."""

    columns: list[str]
    arrays: list[pa.Array]
    line_terminator: str = "\n"
    quote_strings: bool = False
    """Quote every non-empty value (needed when free text may hold commas)."""

    @property
    def n_rows(self) -> int:
        return len(self.arrays[0]) if self.arrays else 0

    def column_index(self, name: str) -> int:
        return self.columns.index(name)


def _header_line(columns: list[str], terminator: str) -> bytes:
    quoted = [f'"{c}"' if any(ch in c for ch in ',"\r\n') else c for c in columns]
    return (",".join(quoted) + terminator).encode("utf-8")


def _placeholder_to_byte(match: re.Match[bytes]) -> bytes:
    return bytes([ord(match.group(0).decode("utf-8")) - _PLACEHOLDER_BASE])


def write_csv(path: Path, table: CsvTable) -> int:
    """Write ``table`` to ``path`` (header, then rows; nulls as empty cells); return bytes."""
    buffer = io.BytesIO()
    buffer.write(_header_line(table.columns, table.line_terminator))
    if table.n_rows:
        arrow_table = pa.Table.from_arrays(
            table.arrays, names=[f"c{i}" for i in range(len(table.columns))]
        )
        options = pacsv.WriteOptions(
            include_header=False,
            quoting_style="needed" if table.quote_strings else "none",
            eol=table.line_terminator,
            batch_size=16384,
        )
        pacsv.write_csv(arrow_table, buffer, options)
    data = buffer.getvalue()
    if b"\xee\x82" in data or b"\xee\x83" in data:
        data = _PLACEHOLDER_PATTERN.sub(_placeholder_to_byte, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)
