"""Entry stage (``liangshai import``), step 1 of 3, part: Word lists, tables and footnotes → Markdown.

A Word list becomes a Markdown list, a table a pipe table (or its paragraphs,
when it has one column), mammoth's note list Markdown footnote definitions;
merged cells as `convert`'s docstring says. Pure: a `_Node` in, (Markdown,
plain text) out.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from generator.importer.markup import _BR, _escape, _escape_line_start, _inline, _Node, _ordered_mark, _plain, _strip_marker, tidy_text


def _list_markdown(node: _Node, depth: int = 0) -> tuple[str, str]:
    """(Markdown, plain text) of a Word list (<ol>/<ul>), nested lists indented by four spaces."""
    ordered = node.tag == "ol"
    lines: list[str] = []
    texts: list[str] = []
    n = 0
    for li in node.children:
        if not isinstance(li, _Node) or li.tag != "li":
            continue
        n += 1
        inline: list[str] = []
        nested: list[str] = []
        for c in li.children:
            if isinstance(c, _Node) and c.tag in ("ol", "ul"):
                md, tx = _list_markdown(c, depth + 1)
                nested.append(md)
                texts.append(tx)
            elif isinstance(c, _Node) and c.tag == "p":
                inline.append("".join(_inline(x) for x in c.children))
            else:
                inline.append(_inline(c))
        body = "<br>".join(p.strip() for p in "".join(inline).split(_BR) if p.strip())
        # a Word list item that also starts with a typed number ("1、…"): keep only Word's
        mark = _ordered_mark(_plain(li).strip()) if ordered else None
        if mark and mark[1] == n:
            body = _strip_marker(body, mark[2])
        marker = f"{n}." if ordered else "-"
        lines.append("    " * depth + f"{marker} {body}".rstrip())
        lines.extend(nested)
        texts.insert(len(texts) - len(nested), tidy_text(_plain(li)).strip())
    return "\n".join(lines), "\n".join(t for t in texts if t)


def _cell_markdown(cell: _Node) -> str:
    parts: list[str] = []
    for c in cell.children:
        if isinstance(c, _Node) and c.tag in ("ol", "ul"):
            md, _ = _list_markdown(c)
            parts.extend(re.sub(r"^\s*(?:\d+\.|-) ", "", line) for line in md.split("\n"))
        elif isinstance(c, _Node) and c.tag == "table":
            parts.append(_escape(tidy_text(_plain(c)).strip()))
        else:
            parts.extend("".join(_inline(x) for x in (c.children if isinstance(c, _Node) and c.tag == "p" else [c])).split(_BR))
    return "<br>".join(p.strip() for p in parts if p.strip()).replace("|", "\\|")


class _Slot(NamedTuple):
    """One position of a table's grid: the cell that covers it."""

    markdown: str
    plain: str
    origin: int  # the row the covering cell starts in
    first: bool  # the first column of the cell's span (a merged cell's text shows there only)


_Grid = dict[tuple[int, int], _Slot]  # (row, column) → the cell there


def _table(node: _Node) -> tuple[str, str]:
    """(pipe-table Markdown, plain text) of a Word table; merged cells as `convert`'s docstring says."""
    rows = _table_rows(node)
    grid, width = _lay_out(rows)
    height = max((r for r, _ in grid), default=-1) + 1
    if not width or not height:
        return "", ""
    if width == 1:  # a one-column table is a frame around text (边框), not a table: its paragraphs
        return _frame(grid, height)
    header_rows = max((rs for _, _, rs in rows[0]), default=1) if rows else 1
    header_rows = min(header_rows, height)
    out = [_pipe_row([_header_cell(grid, header_rows, c) for c in range(width)]), "|" + "---|" * width]
    for r in range(header_rows, height):
        cells = [_body_cell(grid, r, c) for c in range(width)]
        if any(cells):
            out.append(_pipe_row(cells))
    texts = [_row_text(grid, width, r) for r in range(height)]
    return "\n".join(out), "\n".join(t for t in texts if t)


def _table_rows(node: _Node) -> list[list[tuple[_Node, int, int]]]:
    """Each row's cells with their (colspan, rowspan)."""
    rows: list[list[tuple[_Node, int, int]]] = []
    for tr in _descendants(node, "tr"):
        cells = [c for c in tr.children if isinstance(c, _Node) and c.tag in ("td", "th")]
        rows.append([(c, _span(c, "colspan"), _span(c, "rowspan")) for c in cells])
    return rows


def _lay_out(rows: list[list[tuple[_Node, int, int]]]) -> tuple[_Grid, int]:
    """The cells on a grid (a merged cell on every position it covers) and the grid's width."""
    grid: _Grid = {}
    width = 0
    for r, cells in enumerate(rows):
        col = 0
        for cell, colspan, rowspan in cells:
            while (r, col) in grid:  # taken by a cell merged down from a row above
                col += 1
            md, tx = _cell_markdown(cell), tidy_text(_plain(cell)).strip().replace("\n", " ")
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, col + dc)] = _Slot(md, tx, r, dc == 0)
            col += colspan
        width = max(width, col)
    return grid, width


def _frame(grid: _Grid, height: int) -> tuple[str, str]:
    """A one-column table's cells as paragraphs (a cell merged down rows once)."""
    cells = [grid[(r, 0)] for r in range(height) if (r, 0) in grid and grid[(r, 0)].origin == r]
    return "\n\n".join(_escape_line_start(s.markdown) for s in cells if s.markdown), "\n".join(s.plain for s in cells if s.plain)


def _header_cell(grid: _Grid, header_rows: int, c: int) -> str:
    """Column ``c``'s texts in the header rows, joined by a space (each once)."""
    seen: list[str] = []
    for r in range(header_rows):
        md, _, origin, first = grid.get((r, c), _Slot("", "", r, True))
        if first and (origin == r or r == 0) and md and md not in seen:
            seen.append(md)
    return " ".join(seen)


def _body_cell(grid: _Grid, r: int, c: int) -> str:
    md, _, _, first = grid.get((r, c), _Slot("", "", r, True))
    return md if first else ""


def _pipe_row(cells: list[str]) -> str:
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def _row_text(grid: _Grid, width: int, r: int) -> str:
    """Row ``r``'s plain text: each cell's once, from the first column of its span."""
    return " ".join(tx for c in range(width) if (tx := grid.get((r, c), _Slot("", "", 0, False)).plain) and grid[(r, c)].first)



def _span(cell: _Node, attr: str) -> int:
    try:
        return max(1, min(int(cell.attrs.get(attr, "1")), 1000))
    except ValueError:
        return 1


def _descendants(node: _Node, tag: str) -> list[_Node]:
    """Rows of this table only (not of tables nested in its cells)."""
    out: list[_Node] = []
    for c in node.children:
        if isinstance(c, _Node):
            if c.tag == tag:
                out.append(c)
            elif c.tag not in ("table", "td", "th"):
                out.extend(_descendants(c, tag))
    return out


def _notes(node: _Node) -> tuple[str, str]:
    """mammoth's footnote/endnote list → Markdown footnote definitions."""
    lines: list[str] = []
    for li in node.children:
        if not isinstance(li, _Node) or li.tag != "li":
            continue
        number = li.attrs.get("id", "").rsplit("-", 1)[-1]
        md = " ".join("".join(_inline(x) for x in (c.children if isinstance(c, _Node) and c.tag == "p" else [c])).replace(_BR, " ").strip() for c in li.children)
        lines.append(f"[^{number}]: {md.replace('↑', '').strip()}")
    return "\n".join(lines), tidy_text(_plain(node))


def _is_note_list(node: _Node) -> bool:
    return node.tag == "ol" and any(isinstance(li, _Node) and re.match(r"^(?:footnote|endnote)-\d+$", li.attrs.get("id", "")) for li in node.children)
