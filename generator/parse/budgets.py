"""Parse stage helper: the Markdown a post may hand to Python-Markdown (`[limits]`).

Python-Markdown spends time quadratic in some shapes of text: every "[" (and
every unfinished "<tag") makes its inline parser scan ahead to the end of the
paragraph, so 24 KB of "[" take half a minute; runs of "*", "_", ">" or list
indentation nest elements until the interpreter's recursion limit. These shapes
never occur in a real 纪要, so they are measured here, before any rendering, in
one linear pass that only looks at the few characters that matter, and refused
with the line they start on. The measures over-estimate (a paragraph is taken
as one unit, code spans are not skipped), which only matters for text that no
author writes.

Pure: text in, problems out.
"""

from __future__ import annotations

import functools
import re

from generator.core.errors import Problem, error
from generator.load.config import LimitsConfig

# Character steps the inline parser may spend on one paragraph: a paragraph of
# 3,000 characters with a stray "[" at its start costs 3,000; the 24 KB attack
# costs 72,000,000 (measured: ~0.3 µs a step, so the cap is well under a second).
MARKDOWN_COST = 2_000_000

_TOKENS = re.compile(r"\\.|\[|\]|<(?=[A-Za-z/!?])|>|[*_]+|\n[ \t]*(?:\n|$)")
_OPENERS = re.compile(r"\[|<(?=[A-Za-z/!?])")
_RUNS = re.compile(r"[*_]+")


@functools.lru_cache(maxsize=8)
def _block_patterns(nesting: int) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Lines quoted more than ``nesting`` times; lines indented at least that far (checked exactly)."""
    quotes = re.compile(rf"^[ \t]*(?:>[ \t]*){{{nesting + 1},}}", re.MULTILINE)
    indent = re.compile(rf"^[ \t]{{{nesting + 1},}}(?=\S)", re.MULTILINE)
    return quotes, indent


def markdown_problems(body: str, body_line: int, relpath: str, limits: LimitsConfig) -> list[Problem]:
    """Why ``body`` must not be rendered (at most one problem of each kind), or []."""
    nesting = limits.markdown_nesting
    out: list[Problem] = []

    def line_of(pos: int) -> int:
        return body_line + body.count("\n", 0, pos)

    # block level: ">" quotes and list indentation, per line
    quotes, indent = _block_patterns(nesting)
    for m in quotes.finditer(body):
        depth = m.group().count(">")
        if depth > nesting:
            out.append(error(relpath, line_of(m.start()), f"正文这一行的引用符号“>”嵌套了 {depth} 层，超过上限 {nesting} 层（site.toml [limits] markdown_nesting）。这样的正文无法转换为网页；请减少“>”，需要原样显示时写成“\\>”。"))
            break
    for m in indent.finditer(body):
        width = len(m.group().expandtabs(4))
        if width // 4 > nesting:
            out.append(error(relpath, line_of(m.start()), f"正文这一行缩进了 {width} 个空格（列表嵌套约 {width // 4} 层），超过上限 {nesting} 层（site.toml [limits] markdown_nesting）。这样的正文无法转换为网页；请减少缩进或列表层数。"))
            break

    # inline: brackets, unfinished tags and emphasis, per paragraph. Most bodies are
    # cleared by two upper bounds without the walk: every opener scanning the whole
    # body, every run of * and _ opening a level.
    openers = len(_OPENERS.findall(body))
    if openers * len(body) <= MARKDOWN_COST and openers <= nesting and sum((len(r) + 1) // 2 for r in _RUNS.findall(body)) <= nesting:
        return out
    block_start = 0
    stacks: dict[str, list[int]] = {"[": [], "<": []}  # unmatched "[" / "<tag" positions in this paragraph
    cost = 0
    emphasis = 0
    reported: set[str] = set()

    def close_block(end: int) -> None:
        nonlocal cost, emphasis
        count = 0
        for stack in stacks.values():
            count += len(stack)
            for pos in stack:
                cost += end - pos  # an unmatched opener scans to the paragraph's end
        if cost > MARKDOWN_COST and "cost" not in reported:
            reported.add("cost")
            what = f"有 {count} 个没有配对的“[”或“<”" if count else "方括号嵌套很深"
            out.append(
                error(
                    relpath,
                    line_of(block_start),
                    f"正文从这一行起的一段中{what}，转换为网页时要反复扫描整段"
                    f"（估计 {cost:,} 步，上限 {MARKDOWN_COST:,} 步），会让生成慢上几十秒。请删掉多余的符号，需要原样显示时写成“\\[”“\\<”，或把这一段分成几段。",
                )
            )
        for stack in stacks.values():
            stack.clear()
        cost = 0
        emphasis = 0

    for m in _TOKENS.finditer(body):
        token = m.group()
        pos = m.start()
        if token[0] == "\n":
            close_block(pos)
            block_start = m.end()
            continue
        if token[0] == "\\":
            continue
        if token == "[" or token == "<":
            stacks[token].append(pos)
            if token == "[" and len(stacks["["]) > nesting and "depth" not in reported:
                reported.add("depth")
                out.append(error(relpath, line_of(pos), f"正文这一行的方括号“[”嵌套了超过 {nesting} 层（site.toml [limits] markdown_nesting），这样的正文转换为网页会非常慢。请检查是否有多余的“[”，需要原样显示时写成“\\[”。"))
        elif token == "]" or token == ">":
            stack = stacks["[" if token == "]" else "<"]
            if stack:
                cost += pos - stack.pop()
        else:  # a run of * and _
            before = body[pos - 1] if pos > 0 else "\n"
            after = body[m.end()] if m.end() < len(body) else "\n"
            levels = (len(token) + 1) // 2
            opener = not after.isspace() and (before.isspace() or not before.isalnum())
            closer = not before.isspace() and (after.isspace() or not after.isalnum())
            if opener and closer:
                opener = emphasis == 0
            if opener and not after.isspace():
                emphasis += levels
                if emphasis > nesting and "emphasis" not in reported:
                    reported.add("emphasis")
                    out.append(error(relpath, line_of(pos), f"正文这一行的强调符号“*”“_”嵌套约 {emphasis} 层，超过上限 {nesting} 层（site.toml [limits] markdown_nesting）。这样的正文无法转换为网页；请检查连续的 * 或 _，需要原样显示时写成“\\*”“\\_”。"))
            elif closer:
                emphasis = max(0, emphasis - levels)
        if len(out) >= 5:
            break
    close_block(len(body))
    return out


def post_size_problem(raw: bytes, relpath: str, limits: LimitsConfig) -> Problem | None:
    """A post file over ``[limits] post_kb``: refused before it is decoded or parsed."""
    if len(raw) <= limits.post_kb * 1024:
        return None
    return error(
        relpath,
        1,
        f"文章文件有 {len(raw) // 1024:,} KB，超过上限 {limits.post_kb} KB（site.toml [limits] post_kb）。一篇纪要或通知通常不到 20 KB；"
        "请检查是否误粘贴了大段内容（例如整份文件的文字或图片编码），长材料请作为 PDF 附件上传。",
    )


__all__ = ["MARKDOWN_COST", "markdown_problems", "post_size_problem"]
