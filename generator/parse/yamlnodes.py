"""Parse stage: front-matter text → a composed YAML mapping, and small readers of its nodes.

Front-matter is composed (not constructed) with PyYAML so that every value
keeps its line and stays the text the author typed: ``title: NO`` is the text
"NO", ``010`` stays "010", ``10:30`` is never sixty-base minutes. A YAML error
becomes one located Chinese problem whose hint fits its cause (PyYAML's English
text never reaches the author), and the entries that still read on their own
(`linereader`) are checked as usual. Line numbers are those of the post file:
the front-matter starts on its line 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from generator.core.errors import Problem, error
from generator.parse.linereader import read_lines

# Tags a value may carry: YAML's own implicit types and an explicit !!str. Anything
# else (!!python/object, !!binary, !custom) asks a loader to build an object.
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}


def _precheck_lines(fm_lines: list[str], relpath: str) -> list[Problem]:
    """Mistakes YAML reports cryptically: tabs and full-width colons.

    Only consulted when YAML itself fails, so a block scalar that legitimately
    holds "时间：3月5日" or a tab is never flagged.
    """
    problems: list[Problem] = []
    for no, line in enumerate(fm_lines, 2):
        if line.startswith("\t") or re.match(r"^ *\t", line):
            problems.append(error(relpath, no, "这一行用 Tab 键缩进了。YAML 只允许用空格缩进，请把 Tab 换成两个空格。"))
        m = re.match(r"^\s*([^\s:：#\-][^:：]*?)\s*：", line)
        if m and ":" not in line.split("：", 1)[0]:
            key = m.group(1)
            problems.append(error(relpath, no, f"“{key}”后面用了全角冒号“：”。字段名和值之间要用半角冒号加空格，例如“{key}: …”。"))
    return problems


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(fm_text: str, relpath: str) -> tuple[yaml.MappingNode | None, list[Problem], frozenset[str]]:
    """The front-matter as a mapping node, the problems that say why it is not one, and the keys not read.

    When it is not valid YAML, the node holds the entries that read line by
    line (`linereader`), so their fields are still checked; the YAML error is
    one more problem.
    """
    fm_lines = fm_text.split("\n")
    try:
        node = _compose_node(fm_text)
    except yaml.MarkedYAMLError as exc:
        return _line_by_line(fm_lines, _precheck_lines(fm_lines, relpath) or [_marked_problem(exc, relpath, fm_lines)], relpath, _marked_lines(exc))
    except RecursionError:
        # PyYAML composes nested lists recursively: [[[[…]]]] thousands deep.
        return None, [error(relpath, 2, "front-matter 嵌套的层数太多（方括号 [ 或花括号 { 套了上百层），无法读取。字段的值只能是文字或文字列表。")], frozenset()
    except yaml.YAMLError as exc:
        return _line_by_line(fm_lines, _precheck_lines(fm_lines, relpath) or [_reader_problem(exc, fm_text, relpath)], relpath)
    if node is None:
        return None, [error(relpath, 1, "front-matter 是空的：至少需要 title（标题）、date（日期）、section（栏目）三个字段。")], frozenset()
    if not isinstance(node, yaml.MappingNode):
        pre = _precheck_lines(fm_lines, relpath)
        if pre:
            return None, pre, frozenset()
        return None, [error(relpath, node.start_mark.line + 2, "front-matter 应当是“字段: 值”的形式，每行一个字段，例如“title: 支部委员会会议纪要”。")], frozenset()
    return node, [], frozenset()


def _marked_lines(exc: yaml.MarkedYAMLError) -> set[int]:
    """The lines (of the post file) a syntax error is about: where it was noticed and where its construct began."""
    return {m.line + 2 for m in (exc.problem_mark, exc.context_mark) if m is not None}


def _line_by_line(
    fm_lines: list[str], problems: list[Problem], relpath: str, first: set[int] | None = None
) -> tuple[yaml.MappingNode, list[Problem], frozenset[str]]:
    """The entries that read line by line; the syntax error of each entry that does not, after
    ``problems`` (YAML's first error at the ``first`` lines, or the tabs and full-width colons), each mistake once."""
    read = read_lines(fm_lines)
    told = {p.line for p in problems} | (first or set())
    for exc in read.errors:
        problem = _marked_problem(exc, relpath, fm_lines)
        if problem.line not in told:
            told.add(problem.line)
            problems.append(problem)
    for line in read.strays:
        if line not in told:
            told.add(line)
            problems.append(error(relpath, line, "front-matter 的 YAML 格式有误：" + _NOT_AN_ENTRY))
    problems.sort(key=lambda p: p.line)
    return read.node, problems, read.unreadable


def _reader_problem(exc: yaml.YAMLError, fm_text: str, relpath: str) -> Problem:
    """A character YAML refuses (PyYAML's reader error), at its line, named by its code point."""
    position = getattr(exc, "position", None)
    line = fm_text[:position].count("\n") + 2 if isinstance(position, int) else 2
    char = getattr(exc, "character", None)
    named = f"（U+{char:04X}）" if isinstance(char, int) else f"（U+{ord(char):04X}）" if isinstance(char, str) and len(char) == 1 else ""
    return error(relpath, line, f"front-matter 的 YAML 格式有误：含有 YAML 不允许的字符{named}，请删除这一行中的不可见字符。")


def _compose_node(fm_text: str) -> yaml.Node | None:
    """Compose with libyaml (~10x faster); on any error compose again with the
    pure-Python loader, whose messages and marks `_marked_problem` expects.
    Heavily nested text goes to the Python loader too: only it stops at
    Python's recursion limit, which is how deep nesting is reported."""
    try:
        if fm_text.count("[") + fm_text.count("{") > 64:
            raise RecursionError
        return yaml.compose(fm_text, Loader=_FAST_LOADER)
    except (yaml.YAMLError, RecursionError):
        return yaml.compose(fm_text, Loader=yaml.SafeLoader)


_QUOTE_HINT = "值里有冒号加空格“: ”或以 [ { * & ! | > ' \" % @ ` 开头时，要用英文引号把整个值括起来"


_NOT_AN_ENTRY = "这一行不是“字段: 值”的形式（缺少半角冒号加空格）。如果它接着上一行的值，请把它写到上一行里，或用引号把整个值括起来。"


def _marked_problem(exc: yaml.MarkedYAMLError, relpath: str, fm_lines: list[str]) -> Problem:
    """A YAML syntax error at its line, in Chinese, with the hint that fits its cause.

    PyYAML's own text is only used to tell the causes apart: none of it reaches the author.
    """
    mark = exc.problem_mark or exc.context_mark
    line = (mark.line + 2) if mark else 2
    context = (exc.context or "").strip()
    started = exc.context_mark.line + 2 if exc.context_mark is not None else line
    lead = "front-matter 的 YAML 格式有误："
    if "simple key" in context and started != line:
        # a line with no colon, noticed only on the next one
        return error(relpath, started, lead + _NOT_AN_ENTRY)
    if "quoted scalar" in context:
        # YAML only notices a missing closing quote at the end: point at the opening one
        return error(relpath, started, lead + "这一行的引号没有结束：开头用了引号，结尾也要用同样的英文引号（\" 或 '）。值里本身有引号时，换用另一种引号括起来。")
    text = fm_lines[line - 2] if 0 <= line - 2 < len(fm_lines) else ""
    return error(relpath, line, lead + _syntax_hint((exc.problem or "").strip(), context, text, started if started != line else None))


def _syntax_hint(what: str, context: str, text: str, flow_start: int | None) -> str:
    """What to do about a syntax error PyYAML describes as ``what`` (``context``) on the line ``text``."""
    if "flow" in context:
        where = f"第 {flow_start} 行开始的" if flow_start is not None else "这一行的"
        return f"{where}方括号 [ 或花括号 {{ 没有成对结束：列表要写成“[甲, 乙]”，括号要成对。"
    if "alias" in what or "anchor" in what:
        name = re.search(r"'([^']*)'", what)
        named = f"“*{name.group(1)}”" if name else "“*名字”"
        return f"引用{named}之前没有定义它。“&名字”定义锚点，“*名字”引用它，引用前必须先定义；值以 & 或 * 开头时请加引号。"
    if "mapping values are not allowed" in what and text[:1] not in (" ", "\u3000", "\u00a0"):
        key, _, value = text.partition(":")
        return f"这一行的值里有冒号加空格“: ”，YAML 会把它当成新的字段。请用英文引号把整个值括起来，例如“{key.strip()}: \"{value.strip()}\"”（或改用全角冒号“：”）。"
    if "mapping values are not allowed" in what:
        return "这一行的缩进不对：每个字段都要从行首写起，前面不能有空格；列表项写成“  - 项目”，比上一行多缩进两个空格。"
    if text.lstrip(" ").startswith("- ") or text.strip() == "-":
        return "这一行以“- ”开头，是列表的一项，但上一个字段已经写了值，或缩进和上面的列表项不一致。列表要写成“字段:”单独一行，下面每项一行“  - 项目”，缩进相同。"
    if "expected" in what or "simple key" in context or "block mapping" in context:
        return "这一行的缩进不对：字段要从行首写起，同一个列表的各项缩进要相同（用空格，不用 Tab 或全角空格）。"
    return f"请检查这一行：{_QUOTE_HINT}；方括号 [ ] 和花括号 {{ }} 要成对。"


def _is_null(node: yaml.Node) -> bool:
    """``~``, ``null`` or nothing, written without quotes: the author left the value empty."""
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and not node.style


def _text(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return "" if _is_null(node) else str(node.value)
    return None


def _tag_text(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def _bad_tag(node: yaml.Node) -> str | None:
    """The explicit YAML tag of ``node`` as the author wrote it, when we do not accept it."""
    return None if node.tag in _PLAIN_TAGS else _tag_text(node.tag)


# What separates list items written in one value: "a, b", "a、b", "a；b" are common ways to write two.
_SEPARATORS = re.compile(r"[,，、]")
LIST_SEPARATORS = re.compile(r"[,，、;；]")  # (also `liangshai new --meeting "主题党日、党课"`)


# Quotes that Word, WeChat and Chinese input methods put around a value: opening -> closing.
# YAML does not know them, so they would become part of the text (a tag page named “三会一课”).
CN_QUOTES = {"“": "”", "‘": "’", "「": "」", "『": "』", "＂": "＂"}


def cn_quoted(text: str) -> str | None:
    """The text inside Chinese quotes that enclose the whole of ``text`` (and only once), else None.

    “两学一做”学习教育 and “两学一做”与“三会一课” are not enclosed: their quotes are part of the text.
    """
    close = CN_QUOTES.get(text[:1])
    if close is None or len(text) < 2 or text[-1] != close or text[0] in text[1:-1] or close in text[1:-1]:
        return None
    return text[1:-1]


def _split(node: yaml.ScalarNode, separators: re.Pattern[str], whole: Callable[[str], bool] | None = None) -> list[yaml.Node]:
    """One scalar as one or more item nodes (each keeps the scalar's marks).

    Kept whole when ``whole`` says so, or when Chinese quotes enclose it: they
    mark where an item ends as English quotes do."""
    text = node.value.strip()
    if cn_quoted(text) is not None or (whole is not None and whole(text)):
        return [node]
    parts = [p.strip() for p in separators.split(node.value) if p.strip()]
    if len(parts) > 1:
        return [yaml.ScalarNode("tag:yaml.org,2002:str", p, node.start_mark, node.end_mark) for p in parts]
    return [node]


def _list(node: yaml.Node, split_items: bool = False, whole: Callable[[str], bool] | None = None) -> list[yaml.Node]:
    """A scalar or a sequence, as a list of nodes (an empty scalar is an empty list).

    With ``split_items`` (tags, meetings, attachments) semicolons separate items
    too, and so do the separators inside an unquoted item of a sequence:
    ``[三会一课，主题党日]`` is two items, as ``三会一课、主题党日`` always was.
    A quoted item is kept whole: the author said exactly where it ends; so is a
    value for which ``whole`` is true (an attachment whose name has a comma).
    """
    separators = LIST_SEPARATORS if split_items else _SEPARATORS
    if isinstance(node, yaml.SequenceNode):
        if not split_items:
            return list(node.value)
        out: list[yaml.Node] = []
        for item in node.value:
            plain = isinstance(item, yaml.ScalarNode) and not item.style and not _is_null(item)
            out.extend(_split(item, separators, whole) if plain else [item])
        return out
    if isinstance(node, yaml.ScalarNode):
        if node.value == "" or _is_null(node):
            return []
        return _split(node, separators, whole)
    return [node]


def _scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    """Every scalar in a value (a list's items; a mapping's keys and values), each once.

    An alias is the node it points at: visiting each node once keeps a
    "billion laughs" value (aliases of aliases) linear, not exponential.
    """
    out: list[yaml.ScalarNode] = []
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            out.append(n)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(reversed(n.value))
        elif isinstance(n, yaml.MappingNode):
            stack.extend(x for k, v in reversed(n.value) for x in (v, k))
    return out
