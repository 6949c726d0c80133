"""Parse stage helper: the privacy and secrecy scan (DOMAIN.md "never published").

Pure: takes text, returns findings with line and column. Text is normalised
with NFKC first, character by character, so a full-width digit pasted from Word
(１３８…) is caught and the column still points at the original character.
Masked forms (138****5678, 110105********002X) do not match any rule.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# rule -> (Chinese label, default severity)
RULES: dict[str, tuple[str, str]] = {
    "id18": ("18 位公民身份号码", "error"),
    "id18-invalid": ("疑似 18 位身份号码（校验位不符）", "warning"),
    "id15": ("15 位公民身份号码", "error"),
    "mobile": ("手机号码", "error"),
    "bankcard": ("银行卡号", "error"),
    "secret": ("涉密标识", "error"),
}

SECRET_MARKERS = ("绝密", "机密", "秘密", "★", "内部资料", "注意保密", "征求意见稿")

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_SEP = r"[ \-]?"
_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID18 = re.compile(rf"(?<![0-9A-Za-z])[1-9]\d{{5}}{_DATE8}\d{{3}}[0-9Xx](?![0-9A-Za-z])")
_ID15 = re.compile(rf"(?<![0-9A-Za-z])[1-9]\d{{5}}{_DATE6}\d{{3}}(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])(?:(?:\+|00)86[ \-]?)?1[3-9]\d(?:[ \-]?\d){8}(?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){15,18}(?![0-9A-Za-z])")


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
    total = sum(int(c) * w for c, w in zip(digits[:17], _W))
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
    return re.sub(r"\D", "", s.replace("x", "X")) + ("X" if s[-1:] in "xX" else "")


def mask(s: str) -> str:
    """Keep the first 3 and last 4 meaningful characters; star the middle."""
    core = re.sub(r"[ \-]", "", s)
    if len(core) <= 7:
        return "*" * len(core)
    return core[:3] + "*" * (len(core) - 7) + core[-4:]


def _normalise(line: str) -> tuple[str, list[int]]:
    """NFKC per character; returns the text and, per output char, its source index."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(line):
        n = unicodedata.normalize("NFKC", ch)
        out.append(n)
        index.extend([i] * len(n))
    return "".join(out), index


def scan(text: str, allow: tuple[str, ...] = (), first_line: int = 1) -> list[Finding]:
    """Every finding in ``text``; ``allow`` holds public numbers never to report."""
    allowed = {re.sub(r"\D", "", unicodedata.normalize("NFKC", a)) for a in allow}
    findings: list[Finding] = []
    for no, raw in enumerate(text.splitlines(), first_line):
        if not raw:
            continue
        norm, index = _normalise(raw)
        taken: list[tuple[int, int]] = []

        def add(rule: str, m: re.Match[str], masked: bool = True) -> None:
            start, end = m.span()
            if any(s < end and start < e for s, e in taken):
                return
            original = raw[index[start] : index[end - 1] + 1]
            if rule != "secret" and re.sub(r"\D", "", m.group()) in allowed:
                return
            taken.append((start, end))
            findings.append(Finding(rule, no, index[start] + 1, original, mask(m.group()) if masked else m.group()))

        for m in _ID18.finditer(norm):
            add("id18" if id18_valid(m.group().upper()) else "id18-invalid", m)
        for m in _ID15.finditer(norm):
            add("id15", m)
        for m in _CARD.finditer(norm):
            digits = re.sub(r"\D", "", m.group())
            if 16 <= len(digits) <= 19 and luhn_valid(digits):
                add("bankcard", m)
        for m in _MOBILE.finditer(norm):
            add("mobile", m)
        for marker in SECRET_MARKERS:
            for m in re.finditer(re.escape(marker), norm):
                add("secret", m, masked=False)
    findings.sort(key=lambda f: (f.line, f.column))
    return findings
