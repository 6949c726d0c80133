"""Diagnostics shared by every stage.

A stage never raises on the first problem it sees: it collects `Problem`s and
returns them beside its result, so an author sees every mistake in one run.
The exception types exist for the boundary where a stage cannot go on at all
(a broken `site.toml`, a theme that does not compile); they carry the full list.
Messages are Chinese and written for authors; `path` is relative to the site.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Kind(str, Enum):
    CONFIG = "config"
    CONTENT = "content"
    THEME = "theme"
    PRIVACY = "privacy"
    SEARCH = "search"  # the Pagefind index (located at site.toml:1: no file of the site is at fault)


@dataclass(frozen=True, order=True)
class Problem:
    """One located diagnostic: ``path:line[:column]: message``."""

    path: str
    line: int
    message: str
    severity: Severity = Severity.ERROR
    kind: Kind = Kind.CONTENT
    column: int | None = None

    def format(self) -> str:
        """The line printed for the author; personal numbers in it are masked (see `redact`)."""
        where = f"{self.path}:{self.line}"
        if self.column is not None:
            where += f":{self.column}"
        label = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}[self.severity]
        # (imported here: its patterns take a no-op build, which formats nothing new, 13 ms to compile; issue 23)
        from generator.core.privacy import redact

        return redact(f"{where}: {label}：{self.message}")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(path: str, line: int, message: str, kind: Kind = Kind.CONTENT, column: int | None = None) -> Problem:
    return Problem(path, line, message, Severity.ERROR, kind, column)


def warning(path: str, line: int, message: str, kind: Kind = Kind.CONTENT, column: int | None = None) -> Problem:
    return Problem(path, line, message, Severity.WARNING, kind, column)


def info(path: str, line: int, message: str, kind: Kind = Kind.CONTENT) -> Problem:
    return Problem(path, line, message, Severity.INFO, kind)


def control_message(key: str, char: str) -> str:
    """The one message for an invisible control character (bidi overrides included),
    wherever it was found: a title, a body, a unit or branch name, site.toml."""
    return f"“{key}”中含有不可见的控制字符（U+{ord(char):04X}），可能是从其他软件复制时带进来的，请删除后重新输入这一项。"


def sort_problems(problems: list[Problem] | tuple[Problem, ...]) -> tuple[Problem, ...]:
    """Stable, deterministic order: by file, then line, then text."""
    return tuple(sorted(set(problems), key=lambda p: (p.path, p.line, p.column or 0, p.message)))


class LiangshaiError(Exception):
    """A stage could not produce its result; ``problems`` says why."""

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]):
        self.problems = sort_problems(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class ConfigError(LiangshaiError):
    """site.toml or a _unit.toml is unusable."""


class ThemeError(LiangshaiError):
    """A template is missing or does not compile / render."""


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest valid choice for a 'did you mean' hint, or None."""
    import difflib

    hits = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return hits[0] if hits else None


def choices_text(choices: list[str] | tuple[str, ...]) -> str:
    return "、".join(choices) if choices else "（无）"


def did_you_mean(word: str, choices: list[str] | tuple[str, ...], *, lead: str = "，", end: str = "。") -> str:
    """The one "did you mean" clause: ``，是不是“X”？`` when a choice is close, else ``end``."""
    hint = closest(word, choices)
    return f"{lead}是不是“{hint}”？" if hint else end


_TOML_HEADER = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?")
_TOML_KEY = re.compile(r"^[\"']?([^\"'=\s]+)[\"']?\s*=")


class TomlLines:
    """``find(table, key=None, index=0, fallback=None)`` → 1-based line of a key (best effort).

    tomllib gives no positions, so the text is scanned once: each ``key =`` line is
    filed under its table header (the nth ``[[table]]`` for ``index``; table "" is the
    top level). A key that is not written falls back to its table's header, then line 1;
    a ``fallback`` line replaces the header (a _unit.toml reports a missing branch key on
    line 1, site.toml on the header). One pass, then dictionary look-ups: a plan file asks
    a few questions per task (a framework with 30 indicators, about 1,000), which a scan
    per question made the slowest part of reading it.
    """

    def __init__(self, text: str) -> None:
        self.keys: dict[tuple[str, int, str], int] = {}
        self.headers: dict[tuple[str, int], int] = {}
        seen: dict[str, int] = {}
        table, index = "", 0
        for no, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            header = _TOML_HEADER.match(line)
            if header is not None:
                table = header.group(1)
                index = seen.get(table, 0)
                seen[table] = index + 1
                self.headers.setdefault((table, index), no)
            elif (key := _TOML_KEY.match(line)) is not None:
                self.keys.setdefault((table, index, key.group(1)), no)

    def __call__(self, table: str, key: str | None = None, index: int = 0, fallback: int | None = None) -> int:
        if key and (hit := self.keys.get((table, index, key))) is not None:
            return hit
        if key and fallback is not None:
            return fallback
        return self.headers.get((table, index), 1) if table else 1


def toml_line_finder(text: str) -> Callable[..., int]:
    """The line finder of a TOML file's text (`TomlLines`)."""
    return TomlLines(text)


# tomllib's messages are English; the common ones get a Chinese explanation.
_TOML_EXPLAINED = (
    ("Expected '=' after a key", "键名后面缺少等号“=”（TOML 写成 键 = 值）"),
    ("Invalid value", "值的写法不对：文字要加英文双引号，例如 name = \"机械工程学院党委\""),
    ("Invalid initial character for a key part", "键名里有不允许的字符：键名只用字母、数字、- 和 _"),
    ("Unclosed array", "方括号 [ ] 没有配对"),
    ("Unterminated string", "引号没有配对：文字两边都要有英文双引号"),
    ("Cannot declare", "同一个键或表写了两次"),
    ("Cannot overwrite a value", "同一个键写了两次"),
    ("Expected newline or end of document", "一行只能写一个“键 = 值”"),
)


def toml_problem(exc: Exception, text: str, relpath: str) -> Problem:
    """A located, Chinese problem for a TOML syntax error (site.toml, _unit.toml)."""
    import re

    raw = str(exc)
    m = re.search(r"line (\d+)", raw)
    line = int(m.group(1)) if m else 1
    lines = text.splitlines()
    what = next((zh for en, zh in _TOML_EXPLAINED if en in raw), "格式不对")
    hint = ""
    if 0 < line <= len(lines) and "：" in lines[line - 1]:
        hint = "这一行用了全角冒号“：”？TOML 里键和值之间用半角等号“=”。"
    return error(relpath, line, f"TOML 语法错误：{what}。{hint}请检查引号、等号（=）和方括号是否成对。（原始信息：{raw}）", Kind.CONFIG)
