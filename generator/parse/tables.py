"""Parse stage: one TOML table of a 目标管理 file read key by key (issue 18).

`Entry` wraps the top level or one ``[[array]]`` entry of a plan, framework or
projects file: each method reads one key, appends a located Chinese problem
when the value is unusable (the line of the key, found by
`core.errors.toml_line_finder`) and returns the value or None, so every mistake
of a file is reported in one run.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Iterable
from typing import Any

from generator.core.errors import Problem, choices_text, did_you_mean, error, toml_line_finder, toml_problem
from generator.core.plans import Selectors
from generator.core.settings import SiteConfig

SELECTOR_KEYS = ("meeting", "section", "category", "tag")


def read_toml(raw: bytes, rel: str, problems: list[Problem]) -> tuple[dict[str, Any], Callable[..., int]] | None:
    """The file's tables and its line finder; None (and a problem) when it cannot be read."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(error(rel, 1, "文件不是 UTF-8 编码，请用记事本或 VS Code 另存为 UTF-8 编码。"))
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(toml_problem(exc, text, rel))
        return None
    return data, toml_line_finder(text)


class Entry:
    """One table: ``table`` "" is the file's top level, else the ``index``-th ``[[table]]``."""

    def __init__(self, rel: str, data: dict[str, Any], find: Callable[..., int], problems: list[Problem], table: str = "", index: int = 0, label: str = "") -> None:
        self.rel = rel
        self.data = data
        self.find = find
        self.problems = problems
        self.table = table
        self.index = index
        self.label = label  # who the messages are about: "任务 T01", "第 2 个 [[projects]]"

    def line(self, key: str | None = None) -> int:
        return self.find(self.table, key, self.index) if self.table else (self.find("", key) if key else 1)

    def bad(self, key: str | None, message: str) -> None:
        self.problems.append(error(self.rel, self.line(key), message))

    def has(self, key: str) -> bool:
        return key in self.data

    def known(self, keys: Iterable[str]) -> None:
        """An error for every key this table does not have (a typo would silently drop a value)."""
        valid = sorted(keys)
        for key in self.data:
            if key not in valid:
                where = f"[[{self.table}]] 中" if self.table else "文件顶层"
                self.bad(key, f"{self.label}{where}没有“{key}”这一项{did_you_mean(key, valid, lead='，', end='。')}可用的项：{choices_text(valid)}。")

    def text(self, key: str, example: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.bad(None, f"{self.label}缺少 {key}，例如 {key} = \"{example}\"。")
            return None
        if isinstance(value, int) and not isinstance(value, bool) and key in ("id", "code", "indicator", "required"):
            value = str(value)  # code = 1, id = 1: meant as text
        if not isinstance(value, str) or not value.strip():
            self.bad(key, f"{self.label}的 {key} 应当是文字（加英文双引号），例如 {key} = \"{example}\"，现在是 {value!r}。")
            return None
        return value.strip()

    def texts(self, key: str, example: str) -> tuple[str, ...] | None:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.bad(key, f"{self.label}的 {key} 应当是文字列表，例如 {key} = {example}，现在是 {value!r}。")
            return None
        return tuple(dict.fromkeys(v.strip() for v in value))

    def choice(self, key: str, choices: tuple[str, ...], required: bool = True) -> str | None:
        if required and key not in self.data:
            self.bad(None, f"{self.label}缺少 {key}（可选：{choices_text(choices)}），例如 {key} = \"{choices[0]}\"。")
            return None
        value = self.text(key, choices[0])
        if value is not None and value not in choices:
            self.bad(key, f"{self.label}的 {key}“{value}”无效{did_you_mean(value, choices, end='。')}可选：{choices_text(choices)}。")
            return None
        return value

    def date(self, key: str, required: bool = False) -> dt.date | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.bad(None, f"{self.label}缺少 {key}（日期，不加引号），例如 {key} = 2026-12-31。")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.bad(key, f"{self.label}的 {key} 应当是日期（不加引号），例如 {key} = 2026-12-31，现在是 {value!r}。")
        return None

    def number(self, key: str, minimum: int, example: int) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            what = "正整数" if minimum > 0 else "不小于 0 的整数"
            self.bad(key, f"{self.label}的 {key} 应当是{what}，例如 {key} = {example}，现在是 {value!r}。")
            return None
        return value

    def selectors(self, config: SiteConfig) -> dict[str, str]:
        """The selectors this table gives (meeting and section as keys), by key; unusable ones are reported."""
        given: dict[str, str] = {}
        for key in SELECTOR_KEYS:
            value = self.text(key, {"meeting": "中心组学习", "section": "党建动态", "category": "理论学习", "tag": "主题教育"}[key])
            if value is None:
                continue
            found = self._selector(key, value, config)
            if found is not None:
                given[key] = found
        return given

    def _selector(self, key: str, value: str, config: SiteConfig) -> str | None:
        if key == "meeting":
            meeting = config.meeting(value)
            if meeting is None:
                names = [m.name for m in config.meetings]
                self.bad(key, f"{self.label}的会议 meeting“{value}”不存在{did_you_mean(value, names, end='。')}可选：{choices_text(names)}。")
            return meeting.key if meeting else None
        if key == "section":
            section = config.section(value)
            if section is None:
                names = [s.name for s in config.sections]
                self.bad(key, f"{self.label}的栏目 section“{value}”不存在{did_you_mean(value, names, end='。')}可选：{choices_text(names)}。")
            return section.key if section else None
        if key == "category" and value not in config.categories:
            self.bad(key, f"{self.label}的分类 category“{value}”不存在{did_you_mean(value, config.categories, end='。')}可选：{choices_text(config.categories)}。")
            return None
        return value

    def entries(self, table: str, label: Callable[[int, dict[str, Any]], str]) -> list[Entry]:
        """The ``[[table]]`` entries of this (top-level) table; a value that is not a list of tables is reported."""
        raw = self.data.get(table, [])
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            self.bad(table, f"{table} 应当写成一个个 [[{table}]] 表。")
            return []
        return [Entry(self.rel, t, self.find, self.problems, table, i, label(i, t)) for i, t in enumerate(raw)]


def make_selectors(given: dict[str, str]) -> Selectors:
    return Selectors(given.get("meeting"), given.get("section"), given.get("category"), given.get("tag"))


__all__ = ["SELECTOR_KEYS", "Entry", "make_selectors", "read_toml"]
