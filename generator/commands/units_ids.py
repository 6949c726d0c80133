"""Commands: ids for units and branches that a spreadsheet names without one (``units import``).

A unit's folder name and a branch's id appear in every address of its pages, so
they are made once from the name in pinyin (pypinyin) and then kept: an existing
``_unit.toml`` already holds them. A unit: the name without its 党委/党总支 …
ending (and 学院), in full pinyin when short (机关党委 → jiguan), else the
initials (计算机科学与技术学院党委 → jsjkxyjs). A branch: the unit's initials, a
hyphen, the initials of the branch name without the unit's name and the
党支部 ending, an ordinal as digits (机械工程学院第一教工党支部 → jxgc-1jg). Taken ids get -2, -3 ….
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from generator.core import urls
from generator.load.sources import UNIT_NAME_RE

_UNIT_ENDINGS = ("直属党支部", "党总支部", "党总支", "党工委", "党委员会", "党委", "党支部", "委员会")
_BRANCH_ENDINGS = ("党支部", "支部")
_BRANCH_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # as `parse.unit` accepts
FULL_PINYIN_MAX = 16  # longer full pinyin becomes initials: an address stays short


class _HasData(Protocol):
    @property
    def data(self) -> dict[str, Any]: ...


def _pinyin(text: str, initials: bool) -> str:
    """``text`` in lower-case pinyin without tones (or initials); letters and digits kept, the rest dropped."""
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(text, style=Style.FIRST_LETTER if initials else Style.NORMAL, errors="default")
    return re.sub(r"[^a-z0-9]+", "", "".join(parts).lower())


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ORDINAL_RE = re.compile(r"第([零〇一二两三四五六七八九十]+)")


def _number(word: str) -> str:
    """一 → 1, 十二 → 12, 二十三 → 23, 一〇一 → 101 (the numbers branch names count with)."""
    if "十" not in word:
        return "".join(str(_DIGITS[c]) for c in word)
    tens, _, ones = word.partition("十")
    return str((_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0))


def _ordinals(name: str) -> str:
    """第三教工党支部 → 3教工党支部: the number stays a number in the id (d3jg would read as nothing)."""
    return _ORDINAL_RE.sub(lambda m: _number(m.group(1)), name)


def _without_ending(name: str, endings: tuple[str, ...]) -> str:
    for ending in endings:
        if name.endswith(ending) and len(name) > len(ending):
            return name[: -len(ending)]
    return name


def unit_short(name: str) -> str:
    """机械工程学院党委 → 机械工程 (the part that tells units apart)."""
    short = _without_ending(name, _UNIT_ENDINGS)
    return _without_ending(short, ("学院",)) if len(short) > 3 else short


class IdMaker:
    """Hands out unit folder names and branch ids that no unit file and no earlier row uses."""

    def __init__(self, existing: Mapping[str, _HasData]) -> None:
        self.by_name = {str(e.data.get("name")): slug for slug, e in existing.items()}
        self.slugs: set[str] = set(existing) | {urls.collision_key(r) for r in urls.RESERVED_TOP}
        self.branch_ids: set[str] = {str(b.get("id")) for e in existing.values() for b in e.data.get("branches", []) if isinstance(b, dict)}

    @staticmethod
    def valid_branch_id(bid: str) -> bool:
        return bool(_BRANCH_ID_RE.match(bid))

    def reserve_branch(self, bid: str) -> None:
        """A 支部编号 given in the sheet: no generated id may take it."""
        if bid:
            self.branch_ids.add(bid)

    def unit_slug(self, name: str, given: str) -> str:
        """The given 单位编号, else the folder of the existing unit with this name, else a new one."""
        if given:
            self.slugs.add(given)
            return given
        if name in self.by_name:
            return self.by_name[name]
        short = unit_short(name)
        base = _pinyin(short, initials=False)
        if len(base) > FULL_PINYIN_MAX:
            base = _pinyin(short, initials=True)
        if not base or not UNIT_NAME_RE.fullmatch(base):
            base = f"u{base}"
        return self._free(base, self.slugs)

    def branch_id(self, unit_name: str, name: str) -> str:
        short = unit_short(unit_name)
        prefix = _pinyin(short, initials=True) or "u"
        rest = name
        for head in (unit_name, _without_ending(unit_name, _UNIT_ENDINGS), short):
            if rest.startswith(head) and len(rest) > len(head):
                rest = rest[len(head) :]
                break
        part = _pinyin(_ordinals(_without_ending(rest, _BRANCH_ENDINGS).removesuffix("党")), initials=True) or "zb"
        return self._free(f"{prefix}-{part}", self.branch_ids)

    @staticmethod
    def _free(base: str, taken: set[str]) -> str:
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate)
        return candidate
