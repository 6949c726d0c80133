"""Core: the privacy and secrecy scan, text → findings (used by parse, load and every printed message) (DOMAIN.md "never published").

Pure: takes text, returns findings with line and column. Text is normalised
with NFKC first, character by character, so a full-width digit pasted from Word
(１３８…) is caught and the column still points at the original character.
Masked forms (138****5678, 110105********002X) do not match any rule.

Boundaries: a number is never part of a longer number or of a masked form, but
Latin letters are a boundary, not glue: ``TEL13912345678``, ``QQ…`` and
``ID11010519491231002X`` are matched. The one exception is a digit run with a
letter directly on *both* sides (``a3f9…13912345678…b0``): that is the inside
of an identifier (a hash, a base64 token, a serial number), never how a person
writes a phone number. The stage that calls the scan decides which text to
give it: the source lines, the decoded front-matter values, the text readers
get after rendering, and names (see parse.py).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from generator.core.settings import PRIVACY_RULES as RULES  # (beside the [privacy] settings it names)

SECRET_MARKERS = ("绝密", "机密", "秘密", "★", "内部资料", "注意保密", "征求意见稿")

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# A number is never part of a longer number, a word, or a masked form: "*" next to
# the digits means somebody already masked it (110105********002X, 138****5678).
_LEFT = r"(?<![0-9*])"
_RIGHT = r"(?![0-9*])"
_S = r"[ \-]?"  # one optional separator where people group digits (after NFKC)
_DATE8 = re.compile(r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_DATE6 = re.compile(r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
# 6-digit area, birth date, sequence, check: written solid or grouped 6-8-4 / 6-4-4-4.
# The separator may sit anywhere, not only between the groups: a soft line break
# or a folded YAML line ends up as a space wherever the author broke the line.
# The birth date is checked on the digits (`_id_shaped`).
_ID18 = re.compile(rf"{_LEFT}[1-9](?:{_S}\d){{16}}{_S}[0-9Xx]{_RIGHT}")
_ID15 = re.compile(rf"{_LEFT}[1-9](?:{_S}\d){{14}}{_RIGHT}")


def _id_shaped(digits: str) -> bool:
    """An 18- or 15-digit number whose birth-date part is a date."""
    if len(digits) == 18:
        return _DATE8.fullmatch(digits, 6, 14) is not None
    return _DATE6.fullmatch(digits, 6, 12) is not None


# +86 / 0086 / 86 / (+86) prefix, then 1, [3-9] and 9 more digits, a separator anywhere.
_MOBILE = re.compile(rf"(?<![0-9*+])(?:\(?(?:\+|00)?86\)?[ \-]?)?1{_S}[3-9](?:{_S}\d){{9}}{_RIGHT}")
_CARD = re.compile(rf"{_LEFT}\d(?:[ \-]?\d){{15,18}}{_RIGHT}")
# Every numeric rule needs at least 11 digits with at most one separator between
# two of them: lines without such a run skip the four number rules (most lines).
_NUMERIC_HINT = re.compile(r"\d(?:[ \-]?\d){10}")
_SECRET_RE = re.compile("|".join(re.escape(m) for m in SECRET_MARKERS))

# Home addresses (rule "address", a warning by default). A home address names a
# road or street with a house number AND a flat inside it (building, unit, room),
# or an estate with a building and a room:
#   [省/市/区/县…]文三路100号3单元501室 · 翠苑一区12幢3单元501室 · 文三路100号3-501
# An organisation's address stops at the house number (文三路100号) and a meeting
# place names no road (机械楼 305 会议室): neither is reported. Digits are ASCII
# after NFKC; spaces between the parts are allowed.
_CJK = "\u4e00-\u9fff"
_ROAD = rf"[{_CJK}0-9]{{1,16}}?(?:路|街|大街|大道|巷|弄|胡同)\s?\d{{1,5}}(?:-\d{{1,4}})?\s?号"
# "区" alone would take in 校区 (紫金港校区3号楼501室 is an office); estates' own
# numbered parts (一区, 3区) are kept.
_ESTATE = rf"[{_CJK}]{{1,12}}?(?:小区|花园|公寓|新村|家园|苑|[一二三四五六七八九十0-9]区)"
_BUILDING = r"\s?\d{1,4}\s?(?:幢|栋|座|号楼|号院|楼)"
_UNIT = r"\s?\d{1,3}\s?单元"
_ROOM = r"\s?\d{1,5}\s?(?:室|户)"
_FLAT = rf"(?:{_BUILDING}(?:{_UNIT})?{_ROOM}|{_BUILDING}{_UNIT}|{_UNIT}{_ROOM}|{_UNIT}|{_ROOM}|\s?\d{{1,4}}-\d{{1,5}}(?:\s?室)?)"
_ADDRESS = re.compile(
    rf"(?:{_ROAD}(?:[{_CJK}]{{1,12}}?(?:小区|花园|公寓|新村|家园|苑|大厦))?{_FLAT}"
    rf"|{_ESTATE}{_BUILDING}(?:{_UNIT})?{_ROOM})(?![0-9])"
)
# Every address the rule matches has a digit right before 号, 室 or 单元.
_ADDRESS_HINT = re.compile(r"\d\s?(?:号|室|单元)")


@dataclass(frozen=True)
class Finding:
    rule: str
    line: int  # 1-based, in the text given
    column: int  # 1-based
    match: str  # the original characters (for privacy_ok)
    masked: str

    @property
    def label(self) -> str:
        return RULES[self.rule][0]


def id18_valid(digits: str) -> bool:
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(digits[:17], _W, strict=True))
    return "10X98765432"[total % 11] == digits[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(s: str) -> str:
    """The digits of an ID-shaped match, with a final x/X check character kept (upper case)."""
    return re.sub(r"\D", "", s) + ("X" if s[-1:] in ("x", "X") else "")


def mask(s: str) -> str:
    """Keep the first 3 and last 4 meaningful characters; star the middle."""
    core = re.sub(r"[ \-]", "", s)
    if len(core) <= 7:
        return "*" * len(core)
    return core[:3] + "*" * (len(core) - 7) + core[-4:]


# Invisible characters a web or Word paste can leave inside a number (zero-width
# space/joiners, word joiner, BOM, soft hyphen, bidi marks): dropped before matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), "")


_INVISIBLE_RE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")


# Full-width ASCII forms (U+FF01–FF5E) and the ideographic space: the NFKC changes a
# Chinese line almost always needs, made with lengths kept 1:1 (`_halfwidth`).
_FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}
_FULLWIDTH_RE = re.compile("[\uff01-\uff5e\u3000]")
_HALFWIDTH = {chr(k): chr(v) for k, v in _FULLWIDTH.items()}


def _halfwidth(text: str) -> str:
    """``text.translate(_FULLWIDTH)``, made by a regex over the characters to change: str.translate
    looks every character up in the table (~0.08 µs each, 0.1 ms for a post's text, three times a
    post), the regex skips the rest in C (a Chinese text changes one character in twenty or so).
    Each distinct one is then replaced everywhere at once (a post has a handful: ，：（）；),
    not through a Python call per occurrence (~15 µs a post's text instead of ~25)."""
    found = _FULLWIDTH_RE.findall(text)
    for ch in set(found):
        text = text.replace(ch, _HALFWIDTH[ch])
    return text


def _normalise(line: str) -> tuple[str, list[int] | range]:
    """NFKC per character; returns the text and, per output char, its source index."""
    if _INVISIBLE_RE.search(line) is None:  # no invisible characters to drop
        quick = _halfwidth(line)
        # Fast path (most lines): after the 1:1 full-width mapping the text is NFKC
        # already, so every output character sits at its source index.
        if unicodedata.is_normalized("NFKC", quick):
            return quick, range(len(quick))
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(line):
        n = unicodedata.normalize("NFKC", ch.translate(_INVISIBLE))
        out.append(n)
        index.extend([i] * len(n))
    return "".join(out), index


def mask_address(s: str) -> str:
    """An address with every digit starred: it still says which address, not which flat."""
    return re.sub(r"\d", "*", s)


def _inside_identifier(norm: str, start: int, end: int) -> bool:
    """A letter directly on both sides: the digits are the inside of a hash or token."""
    return start > 0 and end < len(norm) and norm[start - 1].isascii() and norm[start - 1].isalpha() and norm[end].isascii() and norm[end].isalpha()


@functools.lru_cache(maxsize=64)
def _allowed(allow: tuple[str, ...]) -> frozenset[str]:
    return frozenset(re.sub(r"\D", "", unicodedata.normalize("NFKC", a)) for a in allow)


def scan(text: str, allow: tuple[str, ...] = (), first_line: int = 1) -> list[Finding]:
    """Every finding in ``text``; ``allow`` holds public numbers never to report."""
    allowed = _allowed(tuple(allow))
    findings: list[Finding] = []
    # Most texts hold nothing any rule could match: one pass over the whole text
    # decides that, instead of a normalisation and eight searches per line.
    visible = _INVISIBLE_RE.sub("", text)
    # (no index map needed here) The 1:1 full-width mapping first, as in `_normalise`:
    # a Chinese text is then NFKC already, and checking that costs a fraction of normalising it.
    quick = _halfwidth(visible)
    whole = quick if unicodedata.is_normalized("NFKC", quick) else unicodedata.normalize("NFKC", visible)
    if not (_NUMERIC_HINT.search(whole) or _SECRET_RE.search(whole) or _ADDRESS_HINT.search(whole)):
        return findings
    # Only "\n" ends a line: str.splitlines() would also split at \x0b, \x1c or
    # U+2028 and make every later line number disagree with the editor's.
    for no, raw in enumerate(text.split("\n"), first_line):
        if raw:
            findings.extend(_LineScan(no, raw, allowed).run())
    findings.sort(key=lambda f: (f.line, f.column))
    return findings


class _LineScan:
    """The findings of one line, rule by rule, each character claimed by at most one finding."""

    def __init__(self, no: int, raw: str, allowed: frozenset[str]) -> None:
        self.no, self.raw, self.allowed = no, raw, allowed
        self.norm, self.index = _normalise(raw)
        # characters already part of a finding: one byte each, so a line with
        # thousands of numbers costs linear time, not quadratic
        self.taken = bytearray(len(self.norm))
        self.findings: list[Finding] = []

    def run(self) -> list[Finding]:
        norm = self.norm
        if _NUMERIC_HINT.search(norm):
            self._numbers()
        for m in _SECRET_RE.finditer(norm):
            self.add("secret", m, masked=False)
        if _ADDRESS_HINT.search(norm):
            for m in _ADDRESS.finditer(norm):
                self.add("address", m)
        return self.findings

    def _numbers(self) -> None:
        norm = self.norm
        ids = [(m, d) for m in _ID18.finditer(norm) if _id_shaped(d := _digits(m.group()))]
        for m, digits in ids:
            if id18_valid(digits):
                self.add("id18", m)
        # A Luhn-valid card outranks an ID-shaped number whose check character is
        # wrong: the card reading is the more likely one, and it is an error.
        for m in _CARD.finditer(norm):
            digits = re.sub(r"\D", "", m.group())
            if 16 <= len(digits) <= 19 and luhn_valid(digits):
                self.add("bankcard", m)
        for m, digits in ids:
            if not id18_valid(digits):
                self.add("id18-invalid", m)
        for m in _ID15.finditer(norm):
            if _id_shaped(re.sub(r"\D", "", m.group())):
                self.add("id15", m)
        for m in _MOBILE.finditer(norm):
            self.add("mobile", m)

    def add(self, rule: str, m: re.Match[str], masked: bool = True) -> None:
        start, end = m.span()
        if any(self.taken[start:end]):
            return
        if rule != "secret" and rule != "address" and _inside_identifier(self.norm, start, end):
            return
        index = self.index
        original = self.raw[index[start] : index[end - 1] + 1]
        digits = re.sub(r"\D", "", m.group())
        if rule != "secret" and digits in self.allowed:
            return
        self.taken[start:end] = b"\x01" * (end - start)
        self.findings.append(Finding(rule, self.no, index[start] + 1, original, _shown(rule, m.group(), digits, masked)))


def _shown(rule: str, matched: str, digits: str, masked: bool) -> str:
    """How a finding is quoted to the author: masked, never the number itself."""
    if rule == "address":
        return mask_address(matched)
    if rule == "mobile":
        # the number without +86 / separators: 138****8000, however it was written
        return mask(digits[-11:])
    if masked:
        return mask(_digits(matched) if rule.startswith("id") else digits)
    return matched


def redact(text: str) -> str:
    """``text`` with every personal number and address in it replaced by its masked form.

    The last lock before anything is printed or sent (the terminal, JSON, the
    preview's status and overlay): a message or a path that quotes an author's
    text can never carry the number itself, whatever rule produced the message.
    """
    lines = text.split("\n")
    for f in reversed(scan(text)):
        if f.rule == "secret":
            continue
        raw = lines[f.line - 1]
        start = f.column - 1
        lines[f.line - 1] = raw[:start] + f.masked + raw[start + len(f.match) :]
    return "\n".join(lines)
