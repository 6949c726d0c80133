"""Load stage: ``site.toml`` → frozen `SiteConfig`.

Every key has a default (see DOMAIN.md), so a site without ``site.toml`` builds.
All problems in the file are collected and reported together with their line.
This module reads exactly one file and touches nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.core.errors import ConfigError, Kind, Problem, choices_text, control_message, did_you_mean, error, toml_line_finder, toml_problem
from generator.core.settings import (
    CONFIG_NAME as CONFIG_NAME,
)
from generator.core.settings import (
    DEFAULT_CATEGORIES as DEFAULT_CATEGORIES,
)
from generator.core.settings import (
    DEFAULT_LIMITS as DEFAULT_LIMITS,
)
from generator.core.settings import (
    DEFAULT_MEETING_ALIASES as DEFAULT_MEETING_ALIASES,
)
from generator.core.settings import (
    DEFAULT_MEETING_SECTIONS as DEFAULT_MEETING_SECTIONS,
)
from generator.core.settings import (
    DEFAULT_MEETINGS as DEFAULT_MEETINGS,
)
from generator.core.settings import (
    DEFAULT_SECTIONS as DEFAULT_SECTIONS,
)
from generator.core.settings import (
    GROUP_MEETING_KEY as GROUP_MEETING_KEY,
)
from generator.core.settings import (
    LIMIT_KEYS as LIMIT_KEYS,
)
from generator.core.settings import PRIVACY_RULES

# The settings' types live in core (every stage reads them); re-exported for the callers of this module.
from generator.core.settings import (
    CompareConfig as CompareConfig,
)
from generator.core.settings import (
    ImagesConfig as ImagesConfig,
)
from generator.core.settings import (
    LimitsConfig as LimitsConfig,
)
from generator.core.settings import (
    Meeting as Meeting,
)
from generator.core.settings import (
    PlansConfig as PlansConfig,
)
from generator.core.settings import (
    PrivacyConfig as PrivacyConfig,
)
from generator.core.settings import (
    Section as Section,
)
from generator.core.settings import (
    SiteConfig as SiteConfig,
)
from generator.load.cms_config import parse_cms

_SITE_KEYS = {"title", "base_url", "timezone", "theme", "page_size", "latest"}
_TOP_KEYS = {"site", "sections", "meetings", "categories", "compare", "privacy", "limits", "gate", "sections_config", "meetings_config", "categories_config", "plans", "images", "cms"}
_SECTION_KEYS = {"name", "key"}
_MEETING_KEYS = {"name", "key", "level", "every", "sections", "aliases"}
_PRIVACY_KEYS = {"allow", "severity", "unreadable"}
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# Bidi embeddings, overrides and isolates: the same refusal as in posts and _unit.toml.
_BIDI_RE = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def _refuse_bidi(data: object, text: str, bad, path: str = "") -> None:
    """Every text value of site.toml (the site title, section, meeting and category
    names…) appears on pages: one with a bidi control is an error at its line."""
    if isinstance(data, dict):
        for key, value in data.items():
            _refuse_bidi(value, text, bad, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for value in data:
            _refuse_bidi(value, text, bad, path)
    elif isinstance(data, str) and (m := _BIDI_RE.search(data)) is not None:
        # written literally the line is found; written as an escape, the key's first line
        at = text.find(m.group())
        leaf = path.rsplit(".", 1)[-1]
        line = text[:at].count("\n") + 1 if at >= 0 else next((no for no, row in enumerate(text.split("\n"), 1) if re.match(rf"\s*{re.escape(leaf)}\s*=", row)), 1)
        bad(line, control_message(path, m.group()))


def load_config(site_dir: Path) -> SiteConfig:
    """Read ``site_dir/site.toml`` (optional). Raises ConfigError with every problem."""
    path = site_dir / CONFIG_NAME
    if not path.exists():
        return SiteConfig()
    raw = path.read_bytes()
    return parse_config(raw, CONFIG_NAME)


class _Problems:
    """Every problem found in one configuration file, each at its line: ``bad(line, message)``."""

    def __init__(self, relpath: str) -> None:
        self.relpath = relpath
        self.found: list[Problem] = []

    def __call__(self, line: int, msg: str) -> None:
        self.found.append(error(self.relpath, line, msg, Kind.CONFIG))


def _unknown_key(where: str, key: str, allowed: list[str] | tuple[str, ...]) -> str:
    """The message for a key that is not one of ``allowed`` (``where``: "[site] 中" or "")."""
    return f"{where}未知的配置项“{key}”" + did_you_mean(key, allowed) + f"可用的有：{choices_text(allowed)}。"


def parse_config(raw: bytes, relpath: str = CONFIG_NAME) -> SiteConfig:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError([error(relpath, 1, "文件不是 UTF-8 编码，请用 UTF-8 保存。", Kind.CONFIG)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([toml_problem(exc, text, relpath)]) from None

    bad = _Problems(relpath)
    find = toml_line_finder(text)
    _refuse_bidi(data, text, bad)
    for key in data:
        if key not in _TOP_KEYS:
            bad(find("", key), _unknown_key("", key, sorted(_TOP_KEYS)))
    site = _parse_site(data, find, bad)
    replacing = _replace_switches(data, find, bad)
    sections = _parse_sections(data, find, bad, "sections" in replacing)
    config = SiteConfig(
        sections=sections,
        meetings=_MeetingReader(data, find, bad, sections, "meetings" in replacing).meetings(),
        categories=_parse_categories(data, find, bad, "categories" in replacing),
        compare=_parse_compare(data, find, bad),
        privacy=_parse_privacy(data, find, bad),
        limits=_parse_limits(data, find, bad),
        images=_parse_images(data, find, bad),
        admins=_parse_gate(data, find, bad),
        plans=_parse_plans(data, find, bad),
        cms=parse_cms(data, find, bad),
        **site,
    )
    if bad.found:
        raise ConfigError(bad.found)
    return config


def _parse_site(data: dict, find, bad) -> dict[str, Any]:
    site: dict[str, Any] = {}
    raw_site = data.get("site", {})
    if not isinstance(raw_site, dict):
        bad(find("", "site"), "[site] 应当是一个表（[site] 段）。")
        raw_site = {}
    for key, value in raw_site.items():
        line = find("site", key)
        if key not in _SITE_KEYS:
            bad(line, _unknown_key("[site] 中", key, sorted(_SITE_KEYS)))
            continue
        problem = _site_value_problem(key, value)
        if problem:
            bad(line, problem)
        else:
            site[key] = value
    return site


def _site_value_problem(key: str, value: object) -> str | None:
    """Why ``[site] key = value`` is not valid, or None."""
    if key in ("page_size", "latest"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return f"[site] {key} 应当是正整数，例如 {key} = 20，现在是 {value!r}。"
        return None
    if not isinstance(value, str):
        return f"[site] {key} 应当是文字（加引号），现在是 {value!r}。"
    check = _SITE_TEXT_CHECKS.get(key)
    return check(value) if check else None


def _timezone_problem(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"[site] timezone “{value}” 不是有效的时区，例如 timezone = \"Asia/Shanghai\"。"
    return None


def _base_url_problem(value: str) -> str | None:
    if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
        return f"[site] base_url “{value}” 应当是完整网址，例如 base_url = \"http://dangjian.example.edu.cn/\"。"
    return None


def _theme_problem(value: str) -> str | None:
    if not re.match(r"^[A-Za-z0-9_-]+$", value):
        return f"[site] theme “{value}” 应当是 themes/ 下的文件夹名，只含字母、数字、-、_。"
    return None


# The text values of [site] that must have a particular form.
_SITE_TEXT_CHECKS: dict[str, Callable[[str], str | None]] = {"timezone": _timezone_problem, "base_url": _base_url_problem, "theme": _theme_problem}


# The lists of site.toml that merge with their defaults, and the table whose ``replace = true``
# makes the file's own entries the whole list: (table, what it lists, how it is written).
_MERGED_LISTS = {
    "sections": ("sections_config", "栏目", "[[sections]]"),
    "meetings": ("meetings_config", "会议", "[[meetings]]"),
    "categories": ("categories_config", "分类", "categories = [...]"),
}


def _replace_switches(data: dict, find, bad) -> frozenset[str]:
    """The lists (sections, meetings, categories) whose ``[<list>_config] replace = true``
    says the entries written in this file replace the defaults instead of merging with them."""
    out: set[str] = set()
    for name, (table, what, written) in _MERGED_LISTS.items():
        raw = data.get(table)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            bad(find("", table), f"[{table}] 应当是一个表，例如\n[{table}]\nreplace = true")
            continue
        for key, value in raw.items():
            line = find(table, key)
            if key != "replace":
                bad(line, _unknown_key(f"[{table}] 中", key, ["replace"]))
            elif not isinstance(value, bool):
                bad(line, f"[{table}] replace 应当是 true（只用本文件写出的{what}）或 false（默认：写出的{what}与默认的{what}合并），现在是 {value!r}。")
            elif value and name not in data:
                bad(line, f"[{table}] replace = true 表示只用本文件写出的{what}，但本文件没有写 {written}。请写出{what}，或删去这一行。")
            elif value:
                out.add(name)
    return frozenset(out)


def _merge_by_key(defaults: tuple, written: list[tuple[int, Any]], clash: Callable[[Any, Any], str], bad) -> tuple:
    """The defaults with each written entry in the place of the default of its key, then the
    written entries with new keys, in the order written (sections and meetings: ``.key``, ``.name``).
    A written entry named like a default it does not replace is an error at its line."""
    mine = {x.key: x for _, x in written}
    kept = [d for d in defaults if d.key not in mine]
    for line, x in written:
        other = next((d for d in kept if d.name == x.name), None)
        if other is not None:
            bad(line, clash(x, other))
    default_keys = {d.key for d in defaults}
    return tuple(mine.get(d.key, d) for d in defaults) + tuple(x for _, x in written if x.key not in default_keys)


def _clash(what: str, table: str) -> Callable[[Any, Any], str]:
    def message(x: Any, default: Any) -> str:
        return (
            f"{what}“{x.name}”（{x.key}）与默认的{what}“{default.name}”（{default.key}）同名。"
            f"要修改这个默认{what}，请写 key = \"{default.key}\"；要新增{what}，请换一个名称；"
            f"只用本文件写出的{what}时，请加上 [{table}] 段并写 replace = true。"
        )

    return message


def _parse_categories(data: dict, find, bad, replace_all: bool = False) -> tuple[str, ...]:
    """``categories = [...]``: added after the default categories (those already there once),
    or the whole list under ``[categories_config] replace = true``."""
    if "categories" not in data:
        return DEFAULT_CATEGORIES
    value = data["categories"]
    if not isinstance(value, list) or not value or not all(isinstance(c, str) and c.strip() for c in value):
        bad(find("", "categories"), "categories 应当是非空的文字列表，例如 categories = [\"理论学习\", \"组织生活\"]。")
    elif len(set(value)) != len(value):
        bad(find("", "categories"), "categories 中有重复的分类。")
    else:
        written = tuple(c.strip() for c in value)
        return written if replace_all else DEFAULT_CATEGORIES + tuple(c for c in written if c not in DEFAULT_CATEGORIES)
    return DEFAULT_CATEGORIES


def _parse_table_list(data: dict, name: str, allowed: set[str], find, bad) -> list[tuple[int, dict]]:
    value = data[name]
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        bad(find("", name), f"{name} 应当写成若干个 [[{name}]] 段。")
        return []
    out = []
    for i, item in enumerate(value):
        line = find(name, None, i)
        for key in item:
            if key not in allowed:
                bad(find(name, key, i), _unknown_key(f"[[{name}]] 中", key, sorted(allowed)))
        out.append((line, item))
    return out


def _check_name_key(name: str, item: dict, line: int, bad) -> tuple[str, str] | None:
    n, k = item.get("name"), item.get("key")
    if not isinstance(n, str) or not n.strip():
        bad(line, f"[[{name}]] 缺少 name（显示的名称），例如 name = \"通知公告\"。")
        return None
    if not isinstance(k, str) or not _KEY_RE.match(k):
        bad(line, f"[[{name}]] “{n}” 的 key 应当由小写字母、数字和 - 组成，例如 key = \"notices\"；它用于网址。")
        return None
    return n.strip(), k


def _parse_sections(data: dict, find, bad, replace_all: bool = False) -> tuple[Section, ...]:
    """``[[sections]]``: each changes the default section of its key or adds one (`_merge_by_key`),
    or they are the whole list under ``[sections_config] replace = true``."""
    if "sections" not in data:
        return DEFAULT_SECTIONS
    written: list[tuple[int, Section]] = []
    for line, item in _parse_table_list(data, "sections", _SECTION_KEYS, find, bad):
        nk = _check_name_key("sections", item, line, bad)
        if nk:
            if any(s.name == nk[0] or s.key == nk[1] for _, s in written):
                bad(line, f"栏目“{nk[0]}”（{nk[1]}）重复了：每个栏目的 name 和 key 都必须唯一。")
                continue
            written.append((line, Section(*nk)))
    if replace_all:
        return tuple(s for _, s in written) or DEFAULT_SECTIONS
    return _merge_by_key(DEFAULT_SECTIONS, written, _clash("栏目", "sections_config"), bad)


_DEFAULT_MEETING_BY_KEY = {m.key: m for m in DEFAULT_MEETINGS}


class _MeetingReader:
    """``[[meetings]]``, each checked against the sections already read: an entry with the key
    of a default meeting changes that meeting only (what it does not write stays as it was),
    one with a new key adds a meeting, and under ``[meetings_config] replace = true`` the
    entries are the whole list."""

    def __init__(self, data: dict, find, bad, sections: tuple[Section, ...], replace_all: bool = False) -> None:
        self.data = data
        self.replace_all = replace_all
        self.find = find
        self.bad = bad
        self.sections = sections
        self.section_words = [f"{s.name}（{s.key}）" for s in sections]
        self.alias_lines: dict[str, int] = {}  # meeting key -> line of its written ``aliases``

    def by_word(self, word: str) -> Section | None:
        return next((s for s in self.sections if word in (s.name, s.key)), None)

    def meetings(self) -> tuple[Meeting, ...]:
        if "meetings" not in self.data:
            self._check_defaults(DEFAULT_MEETINGS)
            return DEFAULT_MEETINGS
        written: list[tuple[int, Meeting]] = []
        for i, (line, item) in enumerate(_parse_table_list(self.data, "meetings", _MEETING_KEYS, self.find, self.bad)):
            meeting = self._meeting(i, line, item, [m for _, m in written])
            if meeting is not None:
                written.append((line, meeting))
        if self.replace_all:
            return self._settle_aliases([m for _, m in written]) or DEFAULT_MEETINGS
        keys = {m.key for _, m in written}
        self._check_defaults(tuple(m for m in DEFAULT_MEETINGS if m.key not in keys))
        return self._settle_aliases(list(_merge_by_key(DEFAULT_MEETINGS, written, _clash("会议", "meetings_config"), self.bad)))

    def _settle_aliases(self, meetings: list[Meeting]) -> tuple[Meeting, ...]:
        """Each alias names one meeting: a written alias that is another meeting's name,
        key or alias is an error; a default one (not written) quietly gives way."""
        taken = {w: m.name for m in meetings for w in (m.name, m.key)}
        out: list[Meeting] = []
        for m in meetings:
            kept: list[str] = []
            for alias in m.aliases:
                other = taken.get(alias, m.name)
                if other == m.name:
                    kept.append(alias)
                    taken[alias] = m.name
                elif m.key in self.alias_lines:
                    self.bad(self.alias_lines[m.key], f"会议“{m.name}”的别名“{alias}”已经是会议“{other}”的名称或别名：同一个叫法只能指一种会议，请删去其中一处。")
            out.append(replace(m, aliases=tuple(kept)))
        return tuple(out)

    def _aliases(self, i: int, name: str, key: str, item: dict) -> tuple[str, ...] | None:
        """``aliases = [...]`` of one [[meetings]] entry; the default ones of its key when not written."""
        if "aliases" not in item:
            return DEFAULT_MEETING_ALIASES.get(key, ())
        raw, line = item["aliases"], self.find("meetings", "aliases", i)
        if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
            self.bad(line, f"会议“{name}”的 aliases 应当是文字列表，写这种会议的其他叫法，例如 aliases = [\"支委会\"]；不要别名时写 aliases = []。")
            return None
        self.alias_lines[key] = line
        return tuple(dict.fromkeys(w.strip() for w in raw if w.strip() not in (name, key)))

    def _check_defaults(self, kept: tuple[Meeting, ...]) -> None:
        """The default meetings name the default sections: a site that replaces its
        sections but keeps (some of) the default meetings must say where they are recorded."""
        missing = sorted({k for m in kept for k in m.sections if self.by_word(k) is None})
        if missing:
            names = "、".join(f"{s.name}（{s.key}）" for s in DEFAULT_SECTIONS if s.key in missing)
            self.bad(
                self.find("sections", None, 0) if "sections" in self.data else 1,
                f"默认的会议类型记录在栏目 {names} 中，但 [[sections]] 里没有这个栏目。"
                f"请保留该栏目，或写出 [[meetings]] 并用 sections = [...] 指明各会议记录在哪个栏目；现有栏目：{choices_text(self.section_words)}。",
            )

    def _meeting(self, i: int, line: int, item: dict, out: list[Meeting]) -> Meeting | None:
        # merging, an entry with a default meeting's key starts from that meeting
        key = item.get("key")
        base = _DEFAULT_MEETING_BY_KEY.get(key) if isinstance(key, str) and not self.replace_all else None
        if base is not None and "name" not in item:
            item = {**item, "name": base.name}
        nk = _check_name_key("meetings", item, line, self.bad)
        if not nk:
            return None
        level = item.get("level", base.level if base else "branch")
        every = item.get("every", base.every if base else None)
        if level not in ("branch", "unit"):
            self.bad(line, f"会议“{nk[0]}”的 level “{level}” 无效，可选：branch（支部）、unit（单位）。")
            return None
        if every is not None and every not in ("month", "quarter", "year"):
            self.bad(line, f"会议“{nk[0]}”的 every “{every}” 无效，可选：month（每月）、quarter（每季度）、year（每年），不按期召开的会议不写 every。")
            return None
        if any(m.name == nk[0] or m.key == nk[1] for m in out):
            self.bad(line, f"会议“{nk[0]}”（{nk[1]}）重复了：每种会议的 name 和 key 都必须唯一。")
            return None
        if "sections" in item:
            where = self._listed_sections(nk[0], item["sections"], self.find("meetings", "sections", i))
        else:
            where = self._default_section(nk[0], level, line)
        aliases = self._aliases(i, nk[0], nk[1], item)
        return None if where is None or aliases is None else Meeting(nk[0], nk[1], level, every, where, aliases)

    def _listed_sections(self, name: str, raw: object, sline: int) -> tuple[str, ...] | None:
        """The keys of ``sections = [...]``; None when the list is not valid."""
        if not isinstance(raw, list) or not raw or not all(isinstance(w, str) for w in raw):
            self.bad(sline, f"会议“{name}”的 sections 应当是栏目名称列表，例如 sections = [\"支部生活\"]；现有栏目：{choices_text(self.section_words)}。")
            return None
        where: list[str] = []
        unknown = False
        for word in raw:
            s = self.by_word(word.strip())
            if s is None:
                unknown = True
                hint = did_you_mean(word.strip(), [x.name for x in self.sections])
                self.bad(sline, f"会议“{name}”的 sections 中“{word}”不是已配置的栏目" + hint + f"现有栏目：{choices_text(self.section_words)}。")
            elif s.key not in where:
                where.append(s.key)
        return None if unknown else tuple(where)

    def _default_section(self, name: str, level: str, line: int) -> tuple[str, ...] | None:
        default = DEFAULT_MEETING_SECTIONS[level]
        s = self.by_word(default)
        if s is None:
            self.bad(
                line,
                f"会议“{name}”没有写 sections，默认记录在栏目“{default}”，但 [[sections]] 里没有这个栏目。"
                f"请在这个 [[meetings]] 段中写明 sections = [...]；现有栏目：{choices_text(self.section_words)}。",
            )
            return None
        return (s.key,)


def toml_date(value: object) -> dt.date | None:
    """A date as site.toml and _unit.toml may write it: a TOML date (``2026-12-01``, a date-time
    counts by its date) or the text "2026-12-01"; None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _compare_rate(key: str, value: object) -> tuple[object, str | None]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return None, f"[compare] {key} 应当是 0 到 1 之间的小数，例如 {key} = 0.9，现在是 {value!r}。"
    return float(value), None


def _compare_stale_days(key: str, value: object) -> tuple[object, str | None]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None, f"[compare] stale_days 应当是正整数（天数），例如 stale_days = 30，现在是 {value!r}。"
    return value, None


def _compare_lag_since(key: str, value: object) -> tuple[object, str | None]:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        return None, f"[compare] lag_since 应当是日期（不加引号），例如 lag_since = 2026-01-01，现在是 {value!r}。"
    return value, None


def _compare_start(key: str, value: object) -> tuple[object, str | None]:
    start = toml_date(value)
    if start is None:
        return None, f"[compare] start（统计起始日：在这一天之前结束的周期不考核）应当是日期，例如 start = 2026-12-01，现在是 {value!r}。"
    return start, None


# Each key of [compare]: (key, value) → (the value to keep, None) or (None, why it is wrong).
_COMPARE_READERS: dict[str, Callable[[str, object], tuple[object, str | None]]] = {
    "green": _compare_rate,
    "yellow": _compare_rate,
    "stale_days": _compare_stale_days,
    "lag_since": _compare_lag_since,
    "start": _compare_start,
}


def _parse_compare(data: dict, find, bad) -> CompareConfig:
    raw = data.get("compare", {})
    if not isinstance(raw, dict):
        bad(find("", "compare"), "[compare] 应当是一个表。")
        return CompareConfig()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        line = find("compare", key)
        reader = _COMPARE_READERS.get(key)
        if reader is None:
            bad(line, _unknown_key("[compare] 中", key, sorted(_COMPARE_READERS)))
            continue
        kept, problem = reader(key, value)
        if problem is not None:
            bad(line, problem)
        else:
            values[key] = kept
    cfg = CompareConfig(**values)
    if cfg.yellow > cfg.green:
        bad(find("compare", "yellow"), f"[compare] yellow（{cfg.yellow}）不能大于 green（{cfg.green}）。")
    return cfg


def _parse_plans(data: dict, find, bad) -> PlansConfig:
    """``[plans] evaluation_url``: an http(s) address, "{unit}" standing for the unit's folder name."""
    raw = data.get("plans", {})
    if not isinstance(raw, dict):
        bad(find("", "plans"), "[plans] 应当是一个表。")
        return PlansConfig()
    for key in raw:
        if key != "evaluation_url":
            bad(find("plans", key), _unknown_key("[plans] 中", key, ["evaluation_url"]))
    url = raw.get("evaluation_url", "")
    if not isinstance(url, str) or (url and not re.match(r"^https?://\S+$", url)):
        bad(find("plans", "evaluation_url"), f"[plans] evaluation_url 应当是以 http:// 或 https:// 开头的网址，可用 {{unit}} 代表单位文件夹名，例如 evaluation_url = \"https://survey.example.edu.cn/pingyi?unit={{unit}}\"，现在是 {url!r}。")
        return PlansConfig()
    return PlansConfig(url)


def _parse_privacy(data: dict, find, bad) -> PrivacyConfig:
    raw = data.get("privacy", {})
    if not isinstance(raw, dict):
        bad(find("", "privacy"), "[privacy] 应当是一个表。")
        return PrivacyConfig()
    allow: tuple[str, ...] = ()
    unreadable = "error"
    severity: list[tuple[str, str]] = []
    for key, value in raw.items():
        line = find("privacy", key)
        if key not in _PRIVACY_KEYS:
            bad(line, f"[privacy] 中未知的配置项“{key}”，可用的有：{choices_text(sorted(_PRIVACY_KEYS))}。")
        elif key == "allow":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                bad(line, "[privacy] allow 应当是文字列表，例如 allow = [\"0571-88888888\"]。")
            else:
                allow = tuple(value)
        elif key == "severity":
            if not isinstance(value, dict):
                bad(line, "[privacy] severity 应当是表，例如 severity = { mobile = \"warning\" }。")
                continue
            for rule, level in sorted(value.items()):
                if rule not in PRIVACY_RULES:
                    bad(line, f"[privacy] severity 中未知的规则“{rule}”，可用的有：{choices_text(sorted(PRIVACY_RULES))}。")
                elif level not in ("error", "warning", "off"):
                    bad(line, f"[privacy] severity 中“{rule}”的级别“{level}”无效，可选：error、warning、off。")
                else:
                    severity.append((rule, level))
        elif key == "unreadable":
            if value not in ("error", "warning"):
                bad(line, f"[privacy] unreadable 的值“{value}”无效，可选：error（无法读取的附件不发布，默认）、warning（只警告，由人工核对）。")
            else:
                unreadable = value
    return PrivacyConfig(allow=allow, severity=tuple(severity), unreadable=unreadable)


def _parse_limits(data: dict, find, bad) -> LimitsConfig:
    raw = data.get("limits", {})
    if not isinstance(raw, dict):
        bad(find("", "limits"), "[limits] 应当是一个表。")
        return LimitsConfig()
    values: dict[str, int] = {}
    for key, value in raw.items():
        line = find("limits", key)
        if key not in LIMIT_KEYS:
            bad(line, _unknown_key("[limits] 中", key, sorted(LIMIT_KEYS)))
            continue
        label, least = LIMIT_KEYS[key]
        default = getattr(LimitsConfig, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            bad(line, f"[limits] {key}（{label}）应当是不小于 {least} 的整数，例如 {key} = {default}（默认值），现在是 {value!r}。")
        else:
            values[key] = value
    return LimitsConfig(**values)


# [images] keys: what each is, and its least value.
_IMAGE_KEYS = {"max_kb": ("超过多大的图片发布缩小的副本（KB）", 64), "max_px": ("缩小的副本最长边的像素", 200)}


def _parse_images(data: dict, find, bad) -> ImagesConfig:
    raw = data.get("images", {})
    if not isinstance(raw, dict):
        bad(find("", "images"), "[images] 应当是一个表，例如\n[images]\nmax_kb = 1024\nmax_px = 2000")
        return ImagesConfig()
    values: dict[str, int] = {}
    for key, value in raw.items():
        line = find("images", key)
        if key not in _IMAGE_KEYS:
            bad(line, _unknown_key("[images] 中", key, sorted(_IMAGE_KEYS)))
            continue
        label, least = _IMAGE_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            bad(line, f"[images] {key}（{label}）应当是不小于 {least} 的整数，例如 {key} = {getattr(ImagesConfig, key)}（默认值），现在是 {value!r}。")
        else:
            values[key] = value
    return ImagesConfig(**values)


def _parse_gate(data: dict, find, bad) -> tuple[str, ...]:
    """``[gate] admins = [...]``: who may change everything (`check --authors`, `codeowners`)."""
    raw = data.get("gate", {})
    if not isinstance(raw, dict):
        bad(find("", "gate"), "[gate] 应当是一个表，例如\n[gate]\nadmins = [\"zuzhibu@example.edu.cn\"]")
        return ()
    admins: tuple[str, ...] = ()
    for key, value in raw.items():
        line = find("gate", key)
        if key != "admins":
            bad(line, _unknown_key("[gate] 中", key, ["admins"]))
        elif not isinstance(value, list) or not all(isinstance(a, str) and a.strip() and not any(c.isspace() for c in a.strip()) for a in value):
            bad(line, f"[gate] admins（可以修改全部文件的管理员）应当是文字列表，每项是一个 git 用户名或电子邮箱，不含空格，例如 admins = [\"zuzhibu\", \"admin@example.edu.cn\"]，现在是 {value!r}。")
        else:
            admins = tuple(a.strip() for a in value)
    return admins
