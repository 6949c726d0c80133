"""Entry stage (``liangshai import``), step 1 of 3, part: text tidying, mammoth's HTML as a tree, inline Markdown.

The pieces `convert` (paragraphs, headings, typed numbering) and `tables`
(Word lists, tables, notes) share; the rules are in `convert`'s docstring.
Names keep their leading underscore: they are the importer's own, not an API.
Pure: strings in, strings out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import ClassVar

# ---------------------------------------------------------------------------
# text tidying

_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_SPACES = "\u3000\u00a0\u2002\u2003\u2009\u200b\t "
# "王　建": one full-width space padding a two-character name to the width of three.
_NAME_PAD_RE = re.compile(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff])\u3000([\u4e00-\u9fff])(?![\u4e00-\u9fff])")
_SPACE_RUN_RE = re.compile(rf"[{_SPACES}]+")


# C0/C1 control characters never mean anything in Word text (bidi controls are left for check to report).
_CONTROLS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def tidy_text(text: str) -> str:
    """Full-width digits/letters → half-width; padding full-width spaces between Chinese removed; space runs → one."""
    text = _CONTROLS_RE.sub("", text.translate(_FULLWIDTH_ALNUM).replace("\u200b", "").replace("\ufeff", ""))
    text = _NAME_PAD_RE.sub(r"\1\2", text)
    return _SPACE_RUN_RE.sub(" ", text)


# Markdown's inline specials; ``<`` would open raw HTML, ``&name;`` an entity.
_INLINE_ESCAPE_RE = re.compile(r"([\\`*_\[\]])")
_ENTITY_RE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def _escape(text: str) -> str:
    text = _INLINE_ESCAPE_RE.sub(r"\\\1", text)
    return _ENTITY_RE.sub("&amp;", text).replace("<", "&lt;")


# A line that Markdown would read as a heading, quote, list item, rule or table.
_LINE_START_RE = re.compile(r"^(#|>|[-+*](?=\s)|\d+(?=[.)]\s)|=+\s*$|-+\s*$|\|)")


def _escape_line_start(line: str) -> str:
    m = _LINE_START_RE.match(line)
    if not m:
        return line
    if m.group(0)[:1].isdigit():  # "2026. 年度…": escape the dot, not the digits
        end = m.end()
        return line[:end] + "\\" + line[end:]
    return "\\" + line


# ---------------------------------------------------------------------------
# mammoth's HTML as a small tree


@dataclass
class _Node:
    """An element while the tree is built (not frozen: the builder appends children)."""

    tag: str
    attrs: dict[str, str]
    children: list[_Node | str]


class _TreeBuilder(HTMLParser):
    _VOID: ClassVar[frozenset[str]] = frozenset({"br", "img", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {}, [])
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs}, [])
        self.stack[-1].children.append(node)
        if tag not in self._VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}, []))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _tree(html: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _plain(node: _Node | str) -> str:
    if isinstance(node, str):
        return node.replace("\n", " ").replace("\r", " ")
    if node.tag == "br":
        return "\n"
    return "".join(_plain(c) for c in node.children)


# A line break inside a paragraph: a paragraph splits there, a cell or list item shows <br>.
_BR = "\x00"
_FOOTNOTE_REF_RE = re.compile(r"^#(?:footnote|endnote)-(\d+)$")


def _inline(node: _Node | str) -> str:
    """Markdown of inline content (text already tidied and escaped)."""
    if isinstance(node, str):
        return _escape(tidy_text(node.replace("\n", " ").replace("\r", " ")))
    if node.tag == "br":
        return _BR
    if node.tag == "img":
        return f"![{_escape(tidy_text(node.attrs.get('alt', '')).strip())}]({node.attrs.get('src', '')})"
    if node.tag == "sup" and (ref := _note_ref(node)):
        return ref
    inner = "".join(_inline(c) for c in node.children)
    wrap = _INLINE_WRAP.get(node.tag)
    return inner if wrap is None else wrap(node, inner)


def _note_ref(sup: _Node) -> str:
    """``[^N]`` for mammoth's footnote/endnote reference (a <sup> around a link to the note); "" otherwise."""
    a = next((c for c in sup.children if isinstance(c, _Node) and c.tag == "a"), None)
    m = _FOOTNOTE_REF_RE.match(a.attrs.get("href", "")) if a is not None else None
    return f"[^{m.group(1)}]" if m else ""


def _emphasis(node: _Node, inner: str) -> str:
    """Bold or italic around the text, the spaces at its ends left outside (Markdown needs that)."""
    mark = "**" if node.tag in ("strong", "b") else "*"
    core = inner.strip(" ")
    if not core.strip(_BR):
        return inner
    lead, trail = inner[: len(inner) - len(inner.lstrip(" "))], inner[len(inner.rstrip(" ")) :]
    return f"{lead}{mark}{core}{mark}{trail}"


def _link(node: _Node, inner: str) -> str:
    href = node.attrs.get("href", "")
    if not href or href.startswith("#"):  # bookmarks and note back-links: the text only
        return "" if node.attrs.get("href", "").startswith("#footnote-ref") or href.startswith("#endnote-ref") else inner
    # characters that would end or break a Markdown link target, percent-encoded as a browser would
    target = re.sub(r"[\s()<>]", lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")), href)
    return f"[{inner}]({target})"


def _html_inline(node: _Node, inner: str) -> str:
    """<sup>, <sub>, <s> stay HTML (Markdown has none of them); empty ones go."""
    return f"<{node.tag}>{inner}</{node.tag}>" if inner.strip() else inner


# The inline elements that mark their text up; any other element gives its content only.
_INLINE_WRAP: dict[str, Callable[[_Node, str], str]] = {
    "strong": _emphasis,
    "b": _emphasis,
    "em": _emphasis,
    "i": _emphasis,
    "a": _link,
    "sup": _html_inline,
    "sub": _html_inline,
    "s": _html_inline,
}


def _is_bold_only(node: _Node) -> bool:
    """Every visible character of the paragraph is inside <strong>."""
    def loose(n: _Node | str, inside: bool) -> bool:
        if isinstance(n, str):
            return bool(n.strip()) and not inside
        now = inside or n.tag in ("strong", "b")
        return any(loose(c, now) for c in n.children)

    return bool(_plain(node).strip()) and not loose(node, False)


# ---------------------------------------------------------------------------
# hand-typed numbering

_ORDERED_MARK_RE = re.compile(r"^(?:(\d{1,2})\s*(?:[.．](?!\d)|[、)）])|[（(](\d{1,2})[)）]|([\u2460-\u2473]))\s*")
_BULLET_MARK_RE = re.compile(r"^[●•·▪■◆◇○\u2022\uf0b7\uf06c]\s*")
_CHAPTER_RE = re.compile(r"^[一二三四五六七八九十]{1,3}、")
_SECTION_RE = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[)）]")
_SENTENCE_END = ("。", "；", ";", "：", ":", "，", "！", "？")
MAX_TYPED_HEADING = 30


# 公文 order of typed list levels: "1." holds "（1）" holds "①"; bullets go under any of them.
_FAMILY_RANK = {"arabic": 0, "paren": 1, "circled": 2, "bullet": 3}


def _ordered_mark(text: str) -> tuple[str, int, int] | None:
    """(family, number, length of the marker) of a hand-typed ordered-list marker."""
    m = _ORDERED_MARK_RE.match(text)
    if not m:
        return None
    if m.group(3):
        return "circled", ord(m.group(3)) - 0x2460 + 1, m.end()
    if m.group(2):
        return "paren", int(m.group(2)), m.end()
    return "arabic", int(m.group(1)), m.end()



def _strip_marker(markdown: str, length: int) -> str:
    """The Markdown after the first ``length`` visible characters (markers carry no formatting of note)."""
    # The marker is plain text at the start; bold markers may wrap it ("**1.** 事项").
    i = seen = 0
    plain = ""
    while i < len(markdown) and seen < length:
        if markdown.startswith("**", i):
            i += 2
            continue
        if markdown[i] == "\\" and i + 1 < len(markdown):
            plain += markdown[i + 1]
            i += 2
        else:
            plain += markdown[i]
            i += 1
        seen += 1
    rest = markdown[i:]
    if rest.startswith("**") and markdown[:i].count("**") % 2 == 1:
        rest = rest[2:]  # "**1.**" closed right after the marker
    elif markdown[:i].count("**") % 2 == 1:
        rest = "**" + rest  # the bold run began before the marker: reopen it
    return rest.strip()
