"""Parse stage: front-matter text → a composed YAML mapping, and small readers of its nodes.

Front-matter is composed (not constructed) with PyYAML so that every value
keeps its line and stays the text the author typed: ``title: NO`` is the text
"NO", ``010`` stays "010", ``10:30`` is never sixty-base minutes. A YAML error
becomes one located Chinese problem. Line numbers are those of the post file:
the front-matter starts on its line 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from generator.core.errors import Problem, error

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


def _compose(fm_text: str, relpath: str) -> tuple[yaml.MappingNode | None, list[Problem]]:
    """The front-matter as a mapping node, or the problems that say why it is not one."""
    try:
        node = _compose_node(fm_text)
    except yaml.MarkedYAMLError as exc:
        return None, _precheck_lines(fm_text.split("\n"), relpath) or [_marked_problem(exc, relpath)]
    except RecursionError:
        # PyYAML composes nested lists recursively: [[[[…]]]] thousands deep.
        return None, [error(relpath, 2, "front-matter 嵌套的层数太多（方括号 [ 或花括号 { 套了上百层），无法读取。字段的值只能是文字或文字列表。")]
    except yaml.YAMLError as exc:
        pre = _precheck_lines(fm_text.split("\n"), relpath)
        if pre:
            return None, pre
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        what = getattr(exc, "reason", None) or type(exc).__name__
        return None, [error(relpath, line, f"front-matter 的 YAML 格式有误（{what}）：含有 YAML 不允许的字符，请删除这一行中的不可见字符。")]
    if node is None:
        return None, [error(relpath, 1, "front-matter 是空的：至少需要 title（标题）、date（日期）、section（栏目）三个字段。")]
    if not isinstance(node, yaml.MappingNode):
        pre = _precheck_lines(fm_text.split("\n"), relpath)
        if pre:
            return None, pre
        return None, [error(relpath, node.start_mark.line + 2, "front-matter 应当是“字段: 值”的形式，每行一个字段，例如“title: 支部委员会会议纪要”。")]
    return node, []


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


def _marked_problem(exc: yaml.MarkedYAMLError, relpath: str) -> Problem:
    """A YAML syntax error at its line, with the hint that fits what PyYAML says."""
    mark = exc.problem_mark or exc.context_mark
    line = (mark.line + 2) if mark else 2
    what = (exc.problem or "").strip()
    hint = "请检查这一行：值里有冒号“:”或以 [ { * & ! | > ' \" % @ ` 开头时，要用引号把整个值括起来；方括号 [ ] 和花括号 { } 要成对。"
    context = (exc.context or "").strip()
    started = exc.context_mark.line + 2 if exc.context_mark is not None else line
    if "quoted scalar" in context:
        # YAML only notices a missing closing quote at the end: point at the opening one
        line = started
        hint = "这一行的引号没有结束：开头用了引号，结尾也要用同样的引号（\" 或 '）。"
    elif "flow" in context and started != line:
        hint = f"第 {started} 行开始的方括号 [ 或花括号 {{ 没有成对结束。" + hint
    if "duplicate" in what:
        hint = ""
    elif "alias" in what or "anchor" in what:
        hint = "“&名字”定义锚点，“*名字”引用它，引用前必须先定义；值以 & 或 * 开头时请加引号。"
    return error(relpath, line, f"front-matter 的 YAML 格式有误（{what}）。{hint}")


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
_ALL_SEPARATORS = re.compile(r"[,，、;；]")


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
    separators = _ALL_SEPARATORS if split_items else _SEPARATORS
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
