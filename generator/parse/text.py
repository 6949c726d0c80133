"""Parse stage: bytes → text, and the characters no text we publish may hold.

`decode` accepts UTF-8 only (a BOM is dropped) and names the likely encoding
otherwise; it unifies line ends so that YAML, the privacy scan and every
message count lines the way an editor does. The control-character patterns are
shared by the front-matter reader, the unit reader and the rendered-text check.
"""

from __future__ import annotations

import re

from generator.core.errors import Problem, error

# C0/C1 controls and the bidi overrides that make text display differently from
# what it is (U+202E turns "gpj.exe" into "exe.jpg" on screen).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The bidi embeddings, overrides and isolates: refused wherever text enters, the
# body included (in a code block they are the "Trojan Source" trick). The plain
# marks U+200E/U+200F/U+061C cannot reorder a run of letters, only place the
# punctuation next to them, and a Word paste of Arabic or Hebrew text carries
# them: they stay legal in bodies, titles and summaries, but not in names
# (units, branches), where nothing legitimate needs them (`_NAME_CONTROL_RE`).
_BIDI_RE = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_NAME_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


# Line breaks YAML (and Python's str.splitlines) count but editors and our line
# numbers do not; decode() turns them into "\n" so every stage counts alike.
_EXTRA_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
_BREAKS_RE = re.compile("|".join(re.escape(k) for k in _EXTRA_BREAKS))


def detect_encoding_name(raw: bytes) -> str | None:
    """A Chinese name for the encoding non-UTF-8 bytes most likely use.

    UTF-16 is named only for a byte-order mark at the very start: almost any even
    number of bytes decodes as UTF-16, so a UTF-8 file with a stray FF FE inside
    is not "UTF-16" (`decode` reports BOM-less UTF-16 by its NUL bytes).
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    for codec, label in (("gb18030", "GBK/GB18030"), ("big5", "Big5")):
        try:
            raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        return label
    return None


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a BOM: ASCII-range text has a NUL in every other byte."""
    sample = raw[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > len(even) * 0.3 or odd.count(0) > len(odd) * 0.3


def decode(raw: bytes, relpath: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 (a BOM is accepted and dropped) or a clear error naming the likely encoding.

    Line ends are unified to "\n" (CRLF, CR, U+2028, U+2029, NEL) so that YAML,
    the privacy scan and the messages all count lines the way an editor does.
    """
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff") or _looks_utf16(raw):
        return None, [error(relpath, 1, "文件是 UTF-16 编码，请另存为 UTF-8 编码（记事本“另存为”时在“编码”中选择 UTF-8）。")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        guess = detect_encoding_name(raw)
        looks = f"看起来是 {guess} 编码" if guess else "含有无法识别的字节"
        return None, [error(relpath, line, f"文件不是 UTF-8 编码（{looks}）。请用编辑器另存为 UTF-8 编码后再提交。")]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        name = relpath.rsplit("/", 1)[-1]
        what = ".md" if name.endswith(".md") else name  # a _unit.toml is not "renamed to .md"
        return None, [error(relpath, line, f"文件含有空字符（\\0），不像是文本文件。请检查是否误把其他格式的文件改成了 {what}，或用文本编辑器把它重新保存为 UTF-8 文本。")]
    return _BREAKS_RE.sub(lambda m: _EXTRA_BREAKS[m.group()], text), []
