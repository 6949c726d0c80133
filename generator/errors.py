"""Diagnostics shared by every stage.

A stage never raises on the first problem it sees: it collects `Problem`s and
returns them beside its result, so an author sees every mistake in one run.
The exception types exist for the boundary where a stage cannot go on at all
(a broken `site.toml`, a theme that does not compile); they carry the full list.
Messages are Chinese and written for authors; `path` is relative to the site.
"""

from __future__ import annotations

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
        where = f"{self.path}:{self.line}"
        if self.column is not None:
            where += f":{self.column}"
        label = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}[self.severity]
        return f"{where}: {label}：{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(path: str, line: int, message: str, kind: Kind = Kind.CONTENT, column: int | None = None) -> Problem:
    return Problem(path, line, message, Severity.ERROR, kind, column)


def warning(path: str, line: int, message: str, kind: Kind = Kind.CONTENT, column: int | None = None) -> Problem:
    return Problem(path, line, message, Severity.WARNING, kind, column)


def info(path: str, line: int, message: str, kind: Kind = Kind.CONTENT) -> Problem:
    return Problem(path, line, message, Severity.INFO, kind)


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


class ContentError(LiangshaiError):
    """One or more posts are invalid."""


class ThemeError(LiangshaiError):
    """A template is missing or does not compile / render."""


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest valid choice for a 'did you mean' hint, or None."""
    import difflib

    hits = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return hits[0] if hits else None


def choices_text(choices: list[str] | tuple[str, ...]) -> str:
    return "、".join(choices) if choices else "（无）"
