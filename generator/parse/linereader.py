"""Parse stage: the front-matter lines YAML could not parse, read one entry at a time.

When the front-matter as a whole is not valid YAML, its syntax error is one
problem; the other fields are still checked, so an author sees every mistake
in one run. Each top-level ``key: value`` line (with the indented or ``- ``
lines under it) is composed on its own, at its own line and offset: a field
that reads this way goes to the same `FieldReader` as always, one that does
not is only named as unreadable (so it is not also reported as missing).
Also here: leading full-width and non-breaking spaces (pasted from Word and
WeChat) read as the spaces they look like, with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from generator.core.errors import Problem, warning

# A top-level line that names a field: "title: …", "标题：…" (the full-width colon is reported elsewhere).
_KEY_RE = re.compile(r"^[ \t\u3000\u00a0]*([^\s:：#\-\[\]{}][^:：]*?)\s*[:：]")

# Indentation that looks like spaces but is not: full-width (two columns wide) and non-breaking.
_ODD_SPACES = {"\u3000": "  ", "\u00a0": " "}
_ODD_LEAD = re.compile(r"^[\u3000\u00a0][ \u3000\u00a0]*")


def widen_spaces(fm_lines: list[str], relpath: str) -> tuple[list[str], list[Problem]]:
    """``fm_lines`` with full-width and non-breaking spaces that start a line read as spaces.

    Only a line that starts with one is changed: inside an indented block
    (``summary: |``) a paragraph's leading full-width spaces are text and stay.
    """
    out: list[str] = []
    problems: list[Problem] = []
    for no, line in enumerate(fm_lines, 2):
        m = _ODD_LEAD.match(line)
        if m is None:
            out.append(line)
            continue
        run = m.group()
        names = "、".join(n for c, n in (("\u3000", "全角空格"), ("\u00a0", "不换行空格")) if c in run)
        out.append("".join(_ODD_SPACES.get(c, c) for c in run) + line[len(run) :])
        if not line.strip():  # a blank line: nothing is indented, nothing to say
            continue
        problems.append(
            warning(relpath, no, f"这一行开头用{names}缩进（从 Word、微信复制时常见），已当作普通空格读取。请改用半角空格缩进，以免别的工具读错。")
        )
    return out, problems


# libyaml when installed: a long front-matter is composed once per entry
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LineRead:
    """What the line-by-line reading found: the readable entries as one mapping, the keys it could not read, and why."""

    node: yaml.MappingNode
    unreadable: frozenset[str]
    errors: tuple[yaml.MarkedYAMLError, ...]  # each entry's own syntax error, marked at its line in the front-matter
    strays: tuple[int, ...]  # lines (of the post file) that are valid YAML on their own but not "key: value"


# At most this many entries' syntax errors are looked at (each is composed again from the top).
_MAX_ERRORS = 20


def _chunks(fm_lines: list[str]) -> list[tuple[int, int]]:
    """(first, end) line indexes of each top-level entry with the indented or "- " lines under it."""
    starts = [i for i, ln in enumerate(fm_lines) if ln[:1] not in ("", " ", "\t", "#", "\u3000", "\u00a0") and not ln.startswith("- ") and ln.strip() != "-"]
    return [(s, starts[k + 1] if k + 1 < len(starts) else len(fm_lines)) for k, s in enumerate(starts)]


def _compose_at(fm_lines: list[str], first: int, end: int, offset: int) -> list[tuple[yaml.Node, yaml.Node]] | None:
    """The entries of lines[first:end] composed alone, with marks at their place in the front-matter.

    Only the chunk is composed (a long front-matter stays linear); its marks are
    then moved to the chunk's line and character ``offset`` in the whole front-matter."""
    try:
        node = yaml.compose("\n".join(fm_lines[first:end]), Loader=_LOADER)
    except (yaml.YAMLError, RecursionError):
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    _shift(node, first, offset)
    return list(node.value)


def _shift(node: yaml.Node, lines: int, chars: int) -> None:
    """Move every mark under ``node`` down by ``lines`` lines and ``chars`` characters (each mark once)."""
    nodes: set[int] = set()
    # libyaml's marks are read-only: each node gets a moved copy, shared as before (the old one is kept so its id stays its own)
    moved: dict[int, tuple[yaml.Mark, yaml.Mark]] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in nodes:
            continue
        nodes.add(id(n))
        for attr in ("start_mark", "end_mark"):
            mark = getattr(n, attr)
            if id(mark) not in moved:
                moved[id(mark)] = (mark, yaml.Mark(mark.name, mark.index + chars, mark.line + lines, mark.column, None, None))
            setattr(n, attr, moved[id(mark)][1])
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            stack.extend(x for pair in n.value for x in pair)


def _chunk_error(fm_lines: list[str], first: int, end: int) -> yaml.MarkedYAMLError | None:
    """The syntax error of lines[first:end] alone, marked at its line in the whole front-matter.

    Composed after ``first`` empty lines with the pure-Python loader, whose
    messages the Chinese hints are chosen by."""
    try:
        yaml.compose("\n" * first + "\n".join(fm_lines[first:end]), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return exc
    except (yaml.YAMLError, RecursionError):
        return None
    return None


def read_lines(fm_lines: list[str]) -> LineRead:
    """Every entry of the front-matter that reads on its own; the keys of those that do not."""
    entries: list[tuple[yaml.Node, yaml.Node]] = []
    unreadable: set[str] = set()
    offsets = [0]  # the character offset of each line in the whole front-matter
    for ln in fm_lines:
        offsets.append(offsets[-1] + len(ln) + 1)
    errors: list[yaml.MarkedYAMLError] = []
    strays: list[int] = []
    for first, end in _chunks(fm_lines):
        read, upto = _compose_at(fm_lines, first, end, offsets[first]), end
        if read is None and len(errors) < _MAX_ERRORS:
            exc = _chunk_error(fm_lines, first, end)
            if exc is None:
                strays.append(first + 2)
            elif "alias" not in (exc.problem or ""):  # its anchor may sit in an entry before: not a mistake of its own
                errors.append(exc)
        if read is None and end > first + 1:
            # the key line alone, without the lines under it that broke it
            read, upto = _compose_at(fm_lines, first, first + 1, offsets[first]), first + 1
        if read is None:
            upto = first
        entries.extend(read or [])
        for line in fm_lines[upto:end]:
            m = _KEY_RE.match(line)
            if m:
                unreadable.add(m.group(1).strip())
    mark = yaml.Mark("<front-matter>", 0, 0, 0, None, None)
    return LineRead(yaml.MappingNode("tag:yaml.org,2002:map", entries, mark, mark), frozenset(unreadable), tuple(errors), tuple(strays))
