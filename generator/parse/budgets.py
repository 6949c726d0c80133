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
    out = _block_problems(body, body_line, relpath, nesting)
    # inline: brackets, unfinished tags and emphasis, per paragraph. Most bodies are
    # cleared by two upper bounds without the walk: every opener scanning the whole
    # body, every run of * and _ opening a level.
    openers = len(_OPENERS.findall(body))
    if openers * len(body) <= MARKDOWN_COST and openers <= nesting and sum((len(r) + 1) // 2 for r in _RUNS.findall(body)) <= nesting:
        return out
    return _InlineWalk(body, body_line, relpath, nesting, out).run()


def _block_problems(body: str, body_line: int, relpath: str, nesting: int) -> list[Problem]:
    """Block level: ">" quotes and list indentation, per line (the first of each kind)."""
    out: list[Problem] = []
    quotes, indent = _block_patterns(nesting)
    for m in quotes.finditer(body):
        depth = m.group().count(">")
        if depth > nesting:
            line = body_line + body.count("\n", 0, m.start())
            out.append(error(relpath, line, f"正文这一行的引用符号“>”嵌套了 {depth} 层，超过上限 {nesting} 层（site.toml [limits] markdown_nesting）。这样的正文无法转换为网页；请减少“>”，需要原样显示时写成“\\>”。"))
            break
    for m in indent.finditer(body):
        width = len(m.group().expandtabs(4))
        if width // 4 > nesting:
            line = body_line + body.count("\n", 0, m.start())
            out.append(error(relpath, line, f"正文这一行缩进了 {width} 个空格（列表嵌套约 {width // 4} 层），超过上限 {nesting} 层（site.toml [limits] markdown_nesting）。这样的正文无法转换为网页；请减少缩进或列表层数。"))
            break
    return out


class _InlineWalk:
    """One pass over the body's inline tokens, paragraph by paragraph, adding to ``out``.

    State of the current paragraph: the unmatched "[" and "<tag" positions, the
    scanning cost so far and the emphasis depth; ``reported`` keeps each kind of
    problem to one.
    """

    def __init__(self, body: str, body_line: int, relpath: str, nesting: int, out: list[Problem]) -> None:
        self.body, self.body_line, self.relpath, self.nesting, self.out = body, body_line, relpath, nesting, out
        self.block_start = 0
        self.stacks: dict[str, list[int]] = {"[": [], "<": []}  # unmatched "[" / "<tag" positions in this paragraph
        self.cost = 0
        self.emphasis = 0
        self.reported: set[str] = set()

    def line_of(self, pos: int) -> int:
        return self.body_line + self.body.count("\n", 0, pos)

    def _report(self, kind: str, pos: int, message: str) -> None:
        if kind not in self.reported:
            self.reported.add(kind)
            self.out.append(error(self.relpath, self.line_of(pos), message))

    def run(self) -> list[Problem]:
        for m in _TOKENS.finditer(self.body):
            token = m.group()
            pos = m.start()
            if token[0] == "\n":
                self.close_block(pos)
                self.block_start = m.end()
                continue
            if token[0] == "\\":
                continue
            if token == "[" or token == "<":
                self._open(token, pos)
            elif token == "]" or token == ">":
                stack = self.stacks["[" if token == "]" else "<"]
                if stack:
                    self.cost += pos - stack.pop()
            else:  # a run of * and _
                self._run(token, pos, m.end())
            if len(self.out) >= 5:
                break
        self.close_block(len(self.body))
        return self.out

    def _open(self, token: str, pos: int) -> None:
        self.stacks[token].append(pos)
        if token == "[" and len(self.stacks["["]) > self.nesting:
            self._report("depth", pos, f"正文这一行的方括号“[”嵌套了超过 {self.nesting} 层（site.toml [limits] markdown_nesting），这样的正文转换为网页会非常慢。请检查是否有多余的“[”，需要原样显示时写成“\\[”。")

    def _run(self, token: str, pos: int, end: int) -> None:
        """A run of * and _: opens or closes emphasis levels, the way Markdown decides."""
        body = self.body
        before = body[pos - 1] if pos > 0 else "\n"
        after = body[end] if end < len(body) else "\n"
        levels = (len(token) + 1) // 2
        opener = not after.isspace() and (before.isspace() or not before.isalnum())
        closer = not before.isspace() and (after.isspace() or not after.isalnum())
        if opener and closer:
            opener = self.emphasis == 0
        if opener and not after.isspace():
            self.emphasis += levels
            if self.emphasis > self.nesting:
                self._report("emphasis", pos, f"正文这一行的强调符号“*”“_”嵌套约 {self.emphasis} 层，超过上限 {self.nesting} 层（site.toml [limits] markdown_nesting）。这样的正文无法转换为网页；请检查连续的 * 或 _，需要原样显示时写成“\\*”“\\_”。")
        elif closer:
            self.emphasis = max(0, self.emphasis - levels)

    def close_block(self, end: int) -> None:
        """The paragraph ends at ``end``: every unmatched opener scans to it."""
        count = 0
        for stack in self.stacks.values():
            count += len(stack)
            for pos in stack:
                self.cost += end - pos  # an unmatched opener scans to the paragraph's end
        if self.cost > MARKDOWN_COST:
            what = f"有 {count} 个没有配对的“[”或“<”" if count else "方括号嵌套很深"
            self._report(
                "cost",
                self.block_start,
                f"正文从这一行起的一段中{what}，转换为网页时要反复扫描整段"
                f"（估计 {self.cost:,} 步，上限 {MARKDOWN_COST:,} 步），会让生成慢上几十秒。请删掉多余的符号，需要原样显示时写成“\\[”“\\<”，或把这一段分成几段。",
            )
        for stack in self.stacks.values():
            stack.clear()
        self.cost = 0
        self.emphasis = 0


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
