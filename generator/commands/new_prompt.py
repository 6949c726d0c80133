"""Entry helper: ``liangshai new`` with no options in a terminal asks for each field.

The unit, section, meetings, branch, date and title, each with numbered choices
from the site's configuration (a number or a name is accepted; a wrong answer is
said and asked again). The answers are checked by the same functions as the
options (`commands.new`), so what is asked for is what ``--unit`` … accept.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO, TypeVar

from generator.commands.new import NewPost, NewPostError, find_branch, find_meetings, find_unit, split_meetings, units_of
from generator.load.config import SiteConfig, load_config

T = TypeVar("T")


class Interview:
    """Questions on ``out``, answers from ``ask`` (`input` in a terminal)."""

    def __init__(self, site: Path, ask: Callable[[str], str], out: TextIO) -> None:
        self.site, self.ask, self.out = site, ask, out
        self.config: SiteConfig = load_config(site)

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _until(self, question: str, read: Callable[[str], T]) -> T:
        """Ask ``question`` until ``read`` accepts the answer (it raises `NewPostError` to say why not)."""
        while True:
            answer = unicodedata.normalize("NFKC", self.ask(question)).strip()
            try:
                return read(answer)
            except NewPostError as exc:
                self._say(f"  {exc}")

    def _numbered(self, heading: str, choices: Sequence[str]) -> None:
        self._say(heading)
        for n, text in enumerate(choices, 1):
            self._say(f"  {n}. {text}")

    @staticmethod
    def _pick(answer: str, names: Sequence[Sequence[str]]) -> int | None:
        """The index ``answer`` chooses: its number (from 1) or one of the names of a choice."""
        if answer.isdigit() and 1 <= int(answer) <= len(names):
            return int(answer) - 1
        return next((i for i, words in enumerate(names) if answer in words), None)

    def run(self) -> NewPost:
        unit = self._unit()
        section = self._section()
        meetings = self._meetings()
        branch = self._branch(unit, meetings)
        day = self._day(bool(meetings))
        later = "用支部（或单位）名称加会议名称" if meetings else "稍后在文件里填写"
        title = input_or_none(self.ask(f"标题（直接回车则{later}）："))
        return NewPost(unit, section, meetings, branch, title, day)

    def _unit(self) -> str:
        units = units_of(self.site)
        if not units:
            raise NewPostError("content/ 下还没有单位文件夹（含 _unit.toml 的文件夹），请先建立单位。")
        found = [find_unit(self.site, u, self.config)[0] for u in units]
        self._numbered("单位：", [f"{u.slug}（{u.name}）" for u in found])

        def read(answer: str) -> str:
            i = self._pick(answer, [(u.slug, u.name) for u in found])
            if i is None:
                raise NewPostError(f"没有“{answer}”这个单位，请输入序号 1–{len(found)} 或单位文件夹名。")
            return found[i].slug

        return self._until("请选择单位（序号或名称）：", read)

    def _section(self) -> str:
        sections = self.config.sections
        self._numbered("栏目：", [s.name for s in sections])

        def read(answer: str) -> str:
            i = self._pick(answer, [(s.name, s.key) for s in sections])
            if i is None:
                raise NewPostError(f"没有“{answer}”这个栏目，请输入序号 1–{len(sections)} 或栏目名。")
            return sections[i].name

        return self._until("请选择栏目（序号或名称）：", read)

    def _meetings(self) -> tuple[str, ...]:
        meetings = self.config.meetings
        self._numbered("会议类型（会议记录才选，可选多个）：", [m.name for m in meetings])

        def read(answer: str) -> tuple[str, ...]:
            words = []
            for word in split_meetings([answer.replace(" ", ",")]):
                i = self._pick(word, [(m.name, m.key) for m in meetings])
                words.append(meetings[i].name if i is not None else word)
            return tuple(m.name for m in find_meetings(self.config, words))

        return self._until("请选择会议（序号或名称，多个用逗号或顿号分开；不是会议记录直接回车）：", read)

    def _branch(self, unit: str, meetings: tuple[str, ...]) -> str | None:
        u, rel = find_unit(self.site, unit, self.config)
        ms = find_meetings(self.config, meetings)
        if not u.branches:
            find_branch(u, rel, ms, None)  # a branch meeting in a unit without branches: said by find_branch
            return None
        self._numbered("支部：", [f"{b.id}（{b.name}）" for b in u.branches])
        required = any(m.level == "branch" for m in ms)

        def read(answer: str) -> str | None:
            i = self._pick(answer, [(b.id, b.name) for b in u.branches])
            b = find_branch(u, rel, ms, u.branches[i].id if i is not None else answer or None)
            return b.id if b else None

        hint = "（支部的会议必须选）" if required else "（不属于某个支部直接回车）"
        return self._until(f"请选择支部，序号或编号{hint}：", read)

    def _day(self, meeting: bool) -> dt.date:
        from generator.parse.fields import parse_date

        today = dt.datetime.now(self.config.tz).date()
        what = "会议召开的日期" if meeting else "日期"

        def read(answer: str) -> dt.date:
            if not answer:
                return today
            when, _time, message = parse_date(answer, self.config.tz)
            if when is None or message:
                raise NewPostError(message or f"“{answer}”不是日期，请写成 {today.isoformat()} 这样。")
            return when.date()

        return self._until(f"{what}（如 {today.isoformat()}，直接回车为今天）：", read)


def input_or_none(answer: str) -> str | None:
    text = answer.strip()
    return text or None
