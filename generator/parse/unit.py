"""Parse stage: a unit's ``_unit.toml`` → `Unit`, or located problems.

Pure: the file's bytes, its site-relative path, the unit's folder name and the
site configuration in; a `Unit` (or None) and every problem found out.
`_UnitReader` reads one key per method, the branches one ``[[branches]]``
table at a time, and locates every problem with the shared TOML line finder
(`errors.toml_line_finder`).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from generator.core.errors import Kind, Problem, choices_text, control_message, did_you_mean, error, toml_line_finder, toml_problem
from generator.core.model import Branch, Unit
from generator.core.privacy import scan
from generator.load.config import GROUP_MEETING_KEY, SiteConfig, toml_date
from generator.parse.privacy_problems import _name_findings, finding_problems
from generator.parse.text import _NAME_CONTROL_RE, decode

BRANCH_KINDS = ("教职工", "学生", "离退休")

# a branch's dates: what each means, and an example
_DATE_KEYS = {"since": ("成立日期", "2026-04-01"), "until": ("撤销日期", "2027-01-31")}

_UNIT_KEYS = ("branches", "editors", "kind", "name", "order")
_BRANCH_KEYS = ("exempt", "exempt_months", "groups", "id", "kind", "name", "since", "until")
_BRANCH_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def parse_unit(raw: bytes, relpath: str, slug: str, config: SiteConfig) -> tuple[Unit | None, list[Problem]]:
    text, probs = decode(raw, relpath)
    if text is None:
        return None, probs
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [toml_problem(exc, text, relpath)]
    reader = _UnitReader(text, data, relpath, config)
    reader.unknown_keys()
    name = reader.name(slug)
    kind = reader.kind()
    order = reader.order()
    editors = reader.editors()
    raw_branches = reader.raw_branches()
    branches: list[Branch] = []
    for i, table in enumerate(raw_branches):
        branch = reader.branch(i, table, branches)
        if branch is not None:
            branches.append(branch)
    reader.privacy(reader.named(name, kind, raw_branches), slug)
    if any(p.is_error for p in reader.problems):
        return None, reader.problems
    return Unit(slug, name.strip(), kind.strip(), order, tuple(branches), relpath, editors), reader.problems


class _UnitReader:
    """Reads one ``_unit.toml``'s decoded data, collecting located problems in file order of concern."""

    def __init__(self, text: str, data: dict[str, Any], relpath: str, config: SiteConfig) -> None:
        self.text = text
        self.data = data
        self.relpath = relpath
        self.config = config
        self.find: Callable[..., int] = toml_line_finder(text)
        self.problems: list[Problem] = []

    def _bad(self, line: int, message: str) -> None:
        self.problems.append(error(self.relpath, line, message, Kind.CONFIG))

    def line(self, key: str) -> int:
        """The line of a top-level key (1 when it is not written)."""
        return self.find("", key)

    def branch_line(self, index: int, key: str | None = None) -> int:
        """The line of the ``index``-th ``[[branches]]`` header, or of ``key`` inside it (1 when not written)."""
        return self.find("branches", key, index, fallback=1)

    def unknown_keys(self) -> None:
        for key in self.data:
            if key not in _UNIT_KEYS:
                self._bad(self.line(key), f"未知的配置项“{key}”{did_you_mean(key, _UNIT_KEYS)}可用的有：{choices_text(_UNIT_KEYS)}。")

    def name(self, slug: str) -> str:
        name = self.data.get("name")
        if not isinstance(name, str) or not name.strip():
            self._bad(self.line("name"), "缺少单位名称 name，例如 name = \"机械工程学院党委\"。")
            return slug
        return name

    def kind(self) -> str:
        kind = self.data.get("kind", "二级党组织")
        if not isinstance(kind, str) or not kind.strip():
            self._bad(self.line("kind"), "kind 应当是文字，例如 kind = \"教学单位\"。")
            return "二级党组织"
        return kind

    def order(self) -> int:
        order = self.data.get("order", 1000)
        if isinstance(order, bool) or not isinstance(order, int):
            self._bad(self.line("order"), f"order 应当是整数（排序用），例如 order = 10，现在是 {order!r}。")
            return 1000
        return order

    def editors(self) -> tuple[str, ...]:
        raw = self.data.get("editors", [])
        if not isinstance(raw, list) or not all(isinstance(e, str) and e.strip() and not any(c.isspace() for c in e.strip()) for e in raw):
            self._bad(
                self.line("editors"),
                "editors（可以修改本单位文件夹的人）应当是文字列表，每项是一个 git 用户名或电子邮箱，不含空格，"
                f"例如 editors = [\"zhangsan\", \"lisi@example.edu.cn\"]，现在是 {raw!r}。",
            )
            return ()
        return tuple(e.strip() for e in raw)

    def raw_branches(self) -> list[dict[str, Any]]:
        raw = self.data.get("branches", [])
        if not isinstance(raw, list) or not all(isinstance(b, dict) for b in raw):
            self._bad(self.line("branches"), "支部应当写成若干个 [[branches]] 段。")
            return []
        return raw

    def branch(self, i: int, table: dict[str, Any], before: list[Branch]) -> Branch | None:
        """The ``i``-th ``[[branches]]`` table as a `Branch`, or None after its first problem."""
        for key in table:
            if key not in _BRANCH_KEYS:
                hint = did_you_mean(key, _BRANCH_KEYS)
                self._bad(self.branch_line(i, key), f"[[branches]] 中未知的配置项“{key}”{hint}可用的有：{choices_text(_BRANCH_KEYS)}。")
        fields = self._branch_fields(i, table)
        if fields is None:
            return None
        bid, bname, bkind, groups, exempt_raw = fields
        exempt = self._exempt(i, bid, exempt_raw)
        if any(x.id == bid for x in before):
            self._bad(self.branch_line(i), f"支部 id “{bid}” 重复了：同一单位内每个支部的 id 必须唯一。")
            return None
        if not groups and not self._group_meeting(i, bid, exempt):
            return None
        since, until = self._interval(i, bid, table)
        months = self._exempt_months(i, bid, table.get("exempt_months", []))
        return Branch(bid, bname.strip(), bkind, groups, tuple(sorted(set(exempt))), since, until, months)

    def _date(self, i: int, bid: str, table: dict[str, Any], key: str) -> dt.date | None:
        """``since`` / ``until`` of a branch: a TOML date or the text "YYYY-MM-DD"; None when not written (or wrong)."""
        if key not in table:
            return None
        day = toml_date(table[key])
        if day is None:
            what, example = _DATE_KEYS[key]
            self._bad(self.branch_line(i, key), f"支部 {bid} 的 {key}（{what}）应当是日期，例如 {key} = {example}（也可以写成 \"{example}\"），现在是 {table[key]!r}。")
        return day

    def _interval(self, i: int, bid: str, table: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
        since, until = self._date(i, bid, table, "since"), self._date(i, bid, table, "until")
        if since is not None and until is not None and since > until:
            self._bad(
                self.branch_line(i, "until"),
                f"支部 {bid} 的 until（撤销日期 {until.isoformat()}）早于 since（成立日期 {since.isoformat()}）：撤销日期应当在成立日期当天或之后，请核对这两个日期。",
            )
        return since, until

    def _exempt_months(self, i: int, bid: str, raw: object) -> tuple[int, ...]:
        """``exempt_months = [1, 2, 7, 8]``: months without a slot for the branch's monthly meetings."""
        example = "例如学生支部寒暑假不考核月度会议写 exempt_months = [1, 2, 7, 8]"
        line = self.branch_line(i, "exempt_months")
        if not isinstance(raw, list) or not all(isinstance(m, int) and not isinstance(m, bool) for m in raw):
            self._bad(line, f"支部 {bid} 的 exempt_months（免考核的月份）应当是 1 到 12 的整数列表，{example}，现在是 {raw!r}。")
            return ()
        wrong = [m for m in raw if not 1 <= m <= 12]
        if wrong:
            self._bad(line, f"支部 {bid} 的 exempt_months 中 {'、'.join(str(m) for m in wrong)} 不是月份：月份是 1 到 12 的整数，{example}。")
            return ()
        return tuple(sorted(set(raw)))

    def _branch_fields(self, i: int, table: dict[str, Any]) -> tuple[str, str, str, bool, list[str]] | None:
        """(id, name, kind, groups, exempt as written), or None after the first unusable one."""
        bid, bname = table.get("id"), table.get("name")
        if not isinstance(bid, str) or not _BRANCH_ID_RE.match(bid):
            self._bad(self.branch_line(i, "id"), f"第 {i + 1} 个支部的 id 应当由字母、数字、- 组成，例如 id = \"jx-jg1\"；它用于网址。")
            return None
        if not isinstance(bname, str) or not bname.strip():
            self._bad(self.branch_line(i, "name"), f"支部 {bid} 缺少名称 name，例如 name = \"第一教工党支部\"。")
            return None
        bkind = table.get("kind", "教职工")
        if bkind not in BRANCH_KINDS:
            self._bad(self.branch_line(i, "kind"), f"支部 {bid} 的类型 kind “{bkind}” 无效，可选：{choices_text(BRANCH_KINDS)}。")
            return None
        groups = table.get("groups", True)
        if not isinstance(groups, bool):
            self._bad(self.branch_line(i, "groups"), f"支部 {bid} 的 groups 应当是 true 或 false（是否设有党小组）。")
            return None
        exempt = table.get("exempt", [])
        if not isinstance(exempt, list) or not all(isinstance(e, str) for e in exempt):
            self._bad(self.branch_line(i, "exempt"), f"支部 {bid} 的 exempt 应当是会议名称列表，例如 exempt = [\"党小组会\"]。")
            return None
        return bid, bname, bkind, groups, exempt

    def _exempt(self, i: int, bid: str, words: list[str]) -> list[str]:
        """The keys of the meetings a branch is exempt from; each unknown name is a problem."""
        exempt: list[str] = []
        for word in words:
            m = self.config.meeting(word)
            if m is None:
                meetings = choices_text([x.name for x in self.config.meetings])
                self._bad(self.branch_line(i, "exempt"), f"支部 {bid} 的 exempt 中“{word}”不是已配置的会议，可选：{meetings}。")
            else:
                exempt.append(m.key)
        return exempt

    def _group_meeting(self, i: int, bid: str, exempt: list[str]) -> bool:
        """``groups = false`` exempts the branch from 党小组会, so it refers to that
        meeting: a site.toml whose [[meetings]] lack it makes the line meaningless.
        Adds the meeting to ``exempt``; False (with a problem) when there is none."""
        group = next((m for m in self.config.meetings if m.key == GROUP_MEETING_KEY), None)
        if group is None:
            meetings = choices_text([m.name for m in self.config.meetings])
            self._bad(
                self.branch_line(i, "groups"),
                f"支部 {bid} 写了 groups = false（未设党小组，免于党小组会），但 site.toml 的 [[meetings]] 中没有党小组会（key = \"{GROUP_MEETING_KEY}\"）。"
                f"请删除这一行，或在 site.toml 中加上 key = \"{GROUP_MEETING_KEY}\" 的 [[meetings]]；已配置的会议：{meetings}。",
            )
            return False
        if group.key not in exempt:
            exempt.append(group.key)
        return True

    def named(self, name: str, kind: str, raw_branches: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
        """Names are shown on every page of the unit, in feeds and in the CSV: no invisible
        controls. Returns (key, line, value) of every name, for the privacy check."""
        named = [("name", self.line("name"), name), ("kind", self.line("kind"), kind)]
        for i, b in enumerate(raw_branches):
            for key in ("name", "kind"):
                if isinstance(b.get(key), str):
                    named.append((f"[[branches]] {key}", self.branch_line(i, key), b[key]))
        for key, line, value in named:
            bad_char = _NAME_CONTROL_RE.search(value) if isinstance(value, str) else None
            if bad_char is not None:
                self._bad(line, control_message(key, bad_char.group()))
        return named

    def privacy(self, named: list[tuple[str, int, str]], slug: str) -> None:
        """No personal data in the file, in its names (as written and decoded), or in the folder name."""
        config, relpath = self.config, self.relpath
        found = scan(self.text, config.privacy.allow)
        if "editors" in self.data:
            # editors are git accounts, never published: their e-mail addresses are not a disclosure
            lines = self.text.splitlines()
            first = self.line("editors")
            last = next((no for no in range(first, len(lines) + 1) if "]" in lines[no - 1].split("#", 1)[0]), first)
            found = [f for f in found if not first <= f.line <= last]
        self.problems.extend(finding_problems(found, relpath, config, advice="请删除或改写", can_acknowledge=False))
        seen = {(f.rule, f.masked) for f in found}
        for key, line, value in named:
            if isinstance(value, str):
                fresh = [replace(f, line=line) for f in scan(value.replace("\n", " "), config.privacy.allow) if (f.rule, f.masked) not in seen]
                where = f"“{key}”的值（还原转义后）"
                self.problems.extend(finding_problems(fresh, relpath, config, where=where, column=False, advice="请删除或改写", can_acknowledge=False))
                seen.update((f.rule, f.masked) for f in fresh)
        fresh = [f for f in _name_findings(slug, config) if (f.rule, f.masked) not in seen]
        self.problems.extend(finding_problems(fresh, relpath, config, where="单位文件夹名（会成为网址）", column=False, advice="请给文件夹改名", can_acknowledge=False))
