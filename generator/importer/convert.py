"""Entry stage (``liangshai import``), step 1 of 3: Word ``.docx`` bytes → Markdown blocks + images.

mammoth maps the document's Word styles to a small, well-defined HTML
(``p``, ``h1``–``h6``, ``strong``, ``em``, ``a``, ``img``, ``ol``/``ul``/``li``,
``table``/``tr``/``td``/``th`` with ``colspan``/``rowspan``, ``br``, ``sup``,
``sub``, ``s`` and its footnote lists); this module turns exactly that HTML
into the Markdown units commit by hand, block by block, and tidies what Word
authors type:

- full-width digits and Latin letters become half-width (``１３８`` → ``138``);
  a full-width space padding a two-character name (``张　三``) goes, leading
  and trailing ones (段首空两格) go, every other run of spaces becomes one
  ordinary space; Chinese punctuation stays;
- hand-typed numbering: runs of paragraphs numbered from 1 with ``1.``/``1．``/
  ``1、``/``（1）``/``(1)``/``①`` become a Markdown ordered list (a run that
  starts at 3 stays as typed: Markdown would renumber it), ``●``/``•`` bullets
  an unordered one; a lower 公文 level inside a run (``（1）`` items between
  ``1.`` and ``2.``, ``①`` inside ``（1）``, bullets inside either) is nested
  one level under the item before it; a short paragraph ``一、…`` (no closing full stop) becomes
  a ``##`` heading and ``（一）…`` a ``###`` heading, as in 公文 layout;
- a one-column table (a frame around text) becomes its paragraphs; other
  tables become pipe tables (the site enables Markdown ``tables``): the first
  row is the header; a header row that spans several rows (``rowspan`` in the
  first row) is folded into one header row, each column's texts joined by a
  space; a cell merged across columns keeps its text in its first column and
  leaves the others blank; a cell merged down rows repeats its text in each
  row, so every row reads complete on its own; cells with several paragraphs
  join them with ``<br>``;
- tracked changes come in as accepted (mammoth reads insertions, skips
  deletions); comments and embedded objects (OLE objects, charts) are left out.
  Each of these is reported as a warning, never silently.

Images are returned with their EXIF/XMP removed (`attachments.publishable_bytes`,
the same code the build uses for attachments), named ``image-01.jpg`` … in
document order. Pure: bytes in, values out; nothing here touches the disk.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser

from generator.load import attachments as att
from generator.load.config import LimitsConfig

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# How Word names the stream that holds an encrypted .docx inside its OLE container.
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
# Browsers show these; EMF/WMF (Word drawings, old clip art) they do not.
_IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}
# Word's own "Title"/"Subtitle" styles are how many secretaries set a document title.
_STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='标题'] => h1:fresh
p[style-name='Subtitle'] => h2:fresh
p[style-name='副标题'] => h2:fresh
"""


class ConvertError(Exception):
    """The file cannot be converted; the message is Chinese and says what to do."""


@dataclass(frozen=True)
class Image:
    name: str  # file name inside the post bundle
    data: bytes  # EXIF/XMP removed


@dataclass(frozen=True)
class Block:
    """One block of the body: its Markdown and its plain text (for inference)."""

    number: int  # 1-based, in document order: "原文第 N 行"
    kind: str  # "heading" | "paragraph" | "list" | "table" | "notes"
    text: str  # plain text (a table: its rows joined by newlines, cells by spaces)
    markdown: str
    bold: bool = False  # a paragraph whose whole text is bold (a typed title)
    level: int = 0  # a heading's level in the Word document (1 = 标题 1)


@dataclass(frozen=True)
class Converted:
    blocks: tuple[Block, ...]
    images: tuple[Image, ...]
    warnings: tuple[str, ...]
    core_title: str  # the document's 标题 property ("" when not set)
    core_date: dt.datetime | None  # its last-modified (else created) time, UTC
    # The text of the document's first paragraph when it is centred (公文 titles are centred
    # in a large font, often neither bold nor in a heading style); "" otherwise.
    centred_lead: str = ""


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
    _VOID = {"br", "img", "hr"}

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
    tag = node.tag
    if tag == "br":
        return _BR
    if tag == "img":
        return f"![{_escape(tidy_text(node.attrs.get('alt', '')).strip())}]({node.attrs.get('src', '')})"
    if tag == "sup":
        a = next((c for c in node.children if isinstance(c, _Node) and c.tag == "a"), None)
        m = _FOOTNOTE_REF_RE.match(a.attrs.get("href", "")) if a is not None else None
        if m:
            return f"[^{m.group(1)}]"
    inner = "".join(_inline(c) for c in node.children)
    if tag in ("strong", "b", "em", "i"):
        mark = "**" if tag in ("strong", "b") else "*"
        core = inner.strip(" ")
        if not core.strip(_BR):
            return inner
        lead, trail = inner[: len(inner) - len(inner.lstrip(" "))], inner[len(inner.rstrip(" ")) :]
        return f"{lead}{mark}{core}{mark}{trail}"
    if tag == "a":
        href = node.attrs.get("href", "")
        if not href or href.startswith("#"):  # bookmarks and note back-links: the text only
            return "" if node.attrs.get("href", "").startswith("#footnote-ref") or href.startswith("#endnote-ref") else inner
        # characters that would end or break a Markdown link target, percent-encoded as a browser would
        target = re.sub(r"[\s()<>]", lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")), href)
        return f"[{inner}]({target})"
    if tag in ("sup", "sub", "s"):
        return f"<{tag}>{inner}</{tag}>" if inner.strip() else inner
    return inner


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


# ---------------------------------------------------------------------------
# blocks


@dataclass
class _Draft:
    """A block before list runs are joined (not frozen: `_assemble` clears a mark it will not use)."""

    kind: str
    text: str
    markdown: str
    bold: bool = False
    level: int = 0
    mark: tuple[str, int, str] | None = None  # a typed list item: (family, number (0 for a bullet), rest of its Markdown)


def _paragraph_drafts(node: _Node) -> list[_Draft]:
    """One <p> → one draft per line (a Word line break splits the paragraph)."""
    md = "".join(_inline(c) for c in node.children)
    text = tidy_text(_plain(node))
    bold = _is_bold_only(node)
    out: list[_Draft] = []
    for part_md, part_text in zip(md.split(_BR), text.split("\n")):
        part_md, part_text = part_md.strip(), part_text.strip()
        if not part_text and "![" not in part_md:
            continue
        out.append(_typed_structure(_Draft("paragraph", part_text, part_md, bold)))
    return out


def _typed_structure(d: _Draft) -> _Draft:
    """Recognise hand-typed numbering, bullets and 公文 chapter headings."""
    text = d.text
    short = len(text) <= MAX_TYPED_HEADING and not text.endswith(_SENTENCE_END)
    if short and _CHAPTER_RE.match(text):
        return _Draft("heading", text, "## " + d.markdown.replace("**", ""), d.bold, 1)
    if short and _SECTION_RE.match(text):
        return _Draft("heading", text, "### " + d.markdown.replace("**", ""), d.bold, 2)
    mark = _ordered_mark(text)
    if mark is not None:
        rest = _strip_marker(d.markdown, mark[2])
        if rest:
            d.mark = (mark[0], mark[1], rest)
        return d
    b = _BULLET_MARK_RE.match(text)
    if b:
        rest = _strip_marker(d.markdown, b.end())
        if rest:
            d.mark = ("bullet", 0, rest)
    return d


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


def _list_markdown(node: _Node, depth: int = 0) -> tuple[str, str]:
    """(Markdown, plain text) of a Word list (<ol>/<ul>), nested lists indented by four spaces."""
    ordered = node.tag == "ol"
    lines: list[str] = []
    texts: list[str] = []
    n = 0
    for li in node.children:
        if not isinstance(li, _Node) or li.tag != "li":
            continue
        n += 1
        inline: list[str] = []
        nested: list[str] = []
        for c in li.children:
            if isinstance(c, _Node) and c.tag in ("ol", "ul"):
                md, tx = _list_markdown(c, depth + 1)
                nested.append(md)
                texts.append(tx)
            elif isinstance(c, _Node) and c.tag == "p":
                inline.append("".join(_inline(x) for x in c.children))
            else:
                inline.append(_inline(c))
        body = "<br>".join(p.strip() for p in "".join(inline).split(_BR) if p.strip())
        # a Word list item that also starts with a typed number ("1、…"): keep only Word's
        mark = _ordered_mark(_plain(li).strip()) if ordered else None
        if mark and mark[1] == n:
            body = _strip_marker(body, mark[2])
        marker = f"{n}." if ordered else "-"
        lines.append("    " * depth + f"{marker} {body}".rstrip())
        lines.extend(nested)
        texts.insert(len(texts) - len(nested), tidy_text(_plain(li)).strip())
    return "\n".join(lines), "\n".join(t for t in texts if t)


def _cell_markdown(cell: _Node) -> str:
    parts: list[str] = []
    for c in cell.children:
        if isinstance(c, _Node) and c.tag in ("ol", "ul"):
            md, _ = _list_markdown(c)
            parts.extend(re.sub(r"^\s*(?:\d+\.|-) ", "", line) for line in md.split("\n"))
        elif isinstance(c, _Node) and c.tag == "table":
            parts.append(_escape(tidy_text(_plain(c)).strip()))
        else:
            parts.extend("".join(_inline(x) for x in (c.children if isinstance(c, _Node) and c.tag == "p" else [c])).split(_BR))
    return "<br>".join(p.strip() for p in parts if p.strip()).replace("|", "\\|")


def _table(node: _Node) -> tuple[str, str]:
    """(pipe-table Markdown, plain text) of a Word table; merged cells as the module docstring says."""
    rows: list[list[tuple[_Node, int, int]]] = []
    for tr in _descendants(node, "tr"):
        cells = [c for c in tr.children if isinstance(c, _Node) and c.tag in ("td", "th")]
        rows.append([(c, _span(c, "colspan"), _span(c, "rowspan")) for c in cells])
    # Lay the cells out on a grid: grid[r][c] = (markdown, plain, origin row, is first column of a span)
    grid: dict[tuple[int, int], tuple[str, str, int, bool]] = {}
    width = 0
    for r, cells in enumerate(rows):
        col = 0
        for cell, colspan, rowspan in cells:
            while (r, col) in grid:
                col += 1
            md, tx = _cell_markdown(cell), tidy_text(_plain(cell)).strip().replace("\n", " ")
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, col + dc)] = (md, tx, r, dc == 0)
            col += colspan
        width = max(width, col)
    height = max((r for r, _ in grid), default=-1) + 1
    if not width or not height:
        return "", ""
    if width == 1:  # a one-column table is a frame around text (边框), not a table: its paragraphs
        cells = [grid[(r, 0)] for r in range(height) if (r, 0) in grid and grid[(r, 0)][2] == r]
        return "\n\n".join(_escape_line_start(md) for md, _, _, _ in cells if md), "\n".join(tx for _, tx, _, _ in cells if tx)
    header_rows = max((rs for _, _, rs in rows[0]), default=1) if rows else 1
    header_rows = min(header_rows, height)

    def header_cell(c: int) -> str:
        seen: list[str] = []
        for r in range(header_rows):
            md, _, origin, first = grid.get((r, c), ("", "", r, True))
            if first and (origin == r or r == 0) and md and md not in seen:
                seen.append(md)
        return " ".join(seen)

    def body_cell(r: int, c: int) -> str:
        md, _, _, first = grid.get((r, c), ("", "", r, True))
        return md if first else ""

    def row(cells: list[str]) -> str:
        return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"

    out = [row([header_cell(c) for c in range(width)]), "|" + "---|" * width]
    texts = [" ".join(tx for c in range(width) if (tx := grid.get((r, c), ("", "", 0, False))[1]) and grid[(r, c)][3]) for r in range(height)]
    for r in range(header_rows, height):
        cells = [body_cell(r, c) for c in range(width)]
        if any(cells):
            out.append(row(cells))
    return "\n".join(out), "\n".join(t for t in texts if t)


def _span(cell: _Node, attr: str) -> int:
    try:
        return max(1, min(int(cell.attrs.get(attr, "1")), 1000))
    except ValueError:
        return 1


def _descendants(node: _Node, tag: str) -> list[_Node]:
    """Rows of this table only (not of tables nested in its cells)."""
    out: list[_Node] = []
    for c in node.children:
        if isinstance(c, _Node):
            if c.tag == tag:
                out.append(c)
            elif c.tag not in ("table", "td", "th"):
                out.extend(_descendants(c, tag))
    return out


def _notes(node: _Node) -> tuple[str, str]:
    """mammoth's footnote/endnote list → Markdown footnote definitions."""
    lines: list[str] = []
    for li in node.children:
        if not isinstance(li, _Node) or li.tag != "li":
            continue
        number = li.attrs.get("id", "").rsplit("-", 1)[-1]
        md = " ".join("".join(_inline(x) for x in (c.children if isinstance(c, _Node) and c.tag == "p" else [c])).replace(_BR, " ").strip() for c in li.children)
        lines.append(f"[^{number}]: {md.replace('↑', '').strip()}")
    return "\n".join(lines), tidy_text(_plain(node))


def _is_note_list(node: _Node) -> bool:
    return node.tag == "ol" and any(isinstance(li, _Node) and re.match(r"^(?:footnote|endnote)-\d+$", li.attrs.get("id", "")) for li in node.children)


def _drafts(root: _Node) -> list[_Draft]:
    drafts: list[_Draft] = []
    for node in root.children:
        if isinstance(node, str):
            if node.strip():
                drafts.append(_Draft("paragraph", tidy_text(node).strip(), _escape(tidy_text(node).strip())))
            continue
        tag = node.tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            level = int(tag[1])
            text = tidy_text(_plain(node)).replace("\n", " ").strip()
            md = "".join(_inline(c) for c in node.children).replace(_BR, " ").replace("**", "").strip()
            if text:
                drafts.append(_Draft("heading", text, "#" * min(level + 1, 6) + " " + md, False, level))
        elif tag == "p":
            drafts.extend(_paragraph_drafts(node))
        elif tag in ("ol", "ul") and _is_note_list(node):
            md, text = _notes(node)
            drafts.append(_Draft("notes", text, md))
        elif tag in ("ol", "ul"):
            md, text = _list_markdown(node)
            if md:
                drafts.append(_Draft("list", text, md))
        elif tag == "table":
            md, text = _table(node)
            if md:
                drafts.append(_Draft("table", text, md))
        elif tag == "dl":  # comments, only when a style map asks for them: never here
            continue
        else:
            text = tidy_text(_plain(node)).strip()
            if text:
                drafts.append(_Draft("paragraph", text, _escape(text)))
    return drafts


def _assemble(drafts: list[_Draft]) -> list[Block]:
    """Runs of typed list items become lists; everything else one block each."""
    blocks: list[Block] = []
    i = 0
    while i < len(drafts):
        d = drafts[i]
        if d.mark is None:
            md = d.markdown
            if d.kind == "paragraph":
                md = _escape_line_start(md)
            blocks.append(Block(len(blocks) + 1, d.kind, d.text, md, d.bold, d.level))
            i += 1
            continue
        family, number, _ = d.mark
        if family != "bullet" and number != 1:
            # Markdown would number it from 1 again: a run that starts at 3 stays as typed
            d.mark = None
            continue
        # One level of nesting, as 公文 numbers: "1." items may hold "（1）" items, which may hold "①".
        items: list[tuple[int, _Draft]] = [(0, d)]
        last, sub_family, sub_last = number, "", 0
        j = i + 1
        while j < len(drafts) and drafts[j].mark is not None:
            f, n, _ = drafts[j].mark  # type: ignore[misc]
            if f == family and (f == "bullet" or n == last + 1):
                items.append((0, drafts[j]))
                last, sub_family = n, ""
            elif _FAMILY_RANK[f] > _FAMILY_RANK[family] and (
                (not sub_family and (f == "bullet" or n == 1)) or (f == sub_family and (f == "bullet" or n == sub_last + 1))
            ):
                items.append((1, drafts[j]))
                sub_family, sub_last = f, n
            else:
                break
            j += 1
        lines = ["    " * depth + ("-" if x.mark[0] == "bullet" else f"{x.mark[1]}.") + " " + x.mark[2] for depth, x in items]  # type: ignore[index]
        blocks.append(Block(len(blocks) + 1, "list", "\n".join(x.text for _, x in items), "\n".join(lines)))
        i = j
    return blocks


# ---------------------------------------------------------------------------
# the document


def _docx_problem(data: bytes) -> str | None:
    """Why these bytes are not a readable .docx, in Chinese; None when they may be."""
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTION_STREAM in data:
            return "设置了打开密码（文件已加密），无法读取。请在 Word 中打开它（输入密码），选择“文件 → 信息 → 保护文档 → 用密码进行加密”，清空密码后保存，再导入"
        return "实际上是旧版 Word 格式（.doc），只是扩展名写成了 .docx。请用 Word 或 WPS 打开它，“文件 → 另存为”，保存类型选“Word 文档（*.docx）”，再导入新保存的文件"
    if not data.startswith(b"PK"):
        return "已损坏，或不是 Word 文档（无法作为 .docx 打开）。请用 Word 或 WPS 打开它，另存为 .docx 后再导入"
    return None


def _xml_notes(zf: zipfile.ZipFile) -> list[str]:
    """Warnings for what mammoth drops or changes: tracked changes, comments, embedded objects."""
    def read(name: str) -> str:
        try:
            return zf.read(name).decode("utf-8", "replace")
        except KeyError:
            return ""

    doc = read("word/document.xml")
    out: list[str] = []
    if re.search(r"<w:(?:ins|del|moveFrom|moveTo)\b", doc):
        out.append("文档中有修订（修订标记）：已按“接受全部修订”后的文字导入，被删除的文字没有导入。请对照原文核对。")
    comments = len(re.findall(r"<w:comment\b", read("word/comments.xml")))
    if comments:
        out.append(f"文档中有 {comments} 条批注，批注没有导入（批注通常是内部意见，不宜公开）。")
    objects = len(re.findall(r"<o:OLEObject\b", doc)) + len(re.findall(r"<c:chart\b", doc))
    if objects:
        out.append(f"文档中有 {objects} 个嵌入对象（如嵌入的 Excel 表格、图表、公式），没有导入。需要时请把它另存为 PDF 或图片，作为附件或图片加到文章里。")
    return out


def convert_docx(data: bytes, limits: LimitsConfig = LimitsConfig()) -> Converted:
    """Convert one .docx; raises `ConvertError` (Chinese) for files that cannot be read.

    ``limits``: the site's ``[limits]``, the same budgets the build applies to a
    Word attachment (file size, each part's unpacked size, image pixels).
    """
    problem = _docx_problem(data)
    if problem:
        raise ConvertError(problem)
    if len(data) > limits.document_mb * 1024 * 1024:
        raise ConvertError(f"太大（超过 site.toml [limits] document_mb 的 {limits.document_mb} MB）。请压缩其中的图片后再导入")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            # A zip bomb would be unpacked into memory by mammoth: refuse first, part by part as the build does.
            if any(i.file_size > limits.document_unpacked_mb * 1024 * 1024 for i in zf.infolist()):
                raise ConvertError(f"其中有部分解压后超过 site.toml [limits] document_unpacked_mb 的 {limits.document_unpacked_mb} MB，无法导入。请压缩其中的图片后再导入")
            if "word/document.xml" not in zf.namelist():
                raise ConvertError("已损坏，或不是 Word 文档（缺少正文部分 word/document.xml）。请用 Word 或 WPS 打开它，另存为 .docx 后再导入")
            warnings = _xml_notes(zf)
            title, when = _core_properties(zf)
            centred = _centred_lead(zf)
    except zipfile.BadZipFile:
        raise ConvertError("已损坏（压缩结构不完整，可能没有下载或复制完整）。请用 Word 或 WPS 打开它，另存为 .docx 后再导入") from None

    import mammoth

    images: list[Image] = []
    by_bytes: dict[bytes, str] = {}
    dropped: list[str] = []
    refused: list[str] = []  # images that cannot be cleaned of their metadata: never written

    def convert_image(image) -> dict[str, str]:
        with image.open() as f:
            raw = f.read()
        ext = _IMAGE_TYPES.get((image.content_type or "").lower())
        if ext is None:
            dropped.append(image.content_type or "未知类型")
            return {"src": ""}
        if raw not in by_bytes:
            name = f"image-{len(images) + 1:02d}{ext}"
            try:
                clean = att.publishable_bytes(name, raw, limits)
            except att.Unpublishable as exc:
                refused.append(str(exc))
                return {"src": ""}
            images.append(Image(name, clean))
            by_bytes[raw] = name
        return {"src": by_bytes[raw]}

    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            style_map=_STYLE_MAP,
            convert_image=mammoth.images.img_element(convert_image),
            external_file_access=False,  # a document must not make us read other files on this computer
        )
    except ConvertError:
        raise
    except RecursionError:
        raise ConvertError("结构嵌套过深（表格或列表套了太多层），无法转换。请简化后另存为 .docx 再导入") from None
    except Exception as exc:
        raise ConvertError(f"已损坏或格式不支持，无法转换（{type(exc).__name__}）。请用 Word 或 WPS 打开它，另存为 .docx 后再导入") from None
    linked = sum(1 for m in result.messages if "external image" in m.message)
    if linked:
        warnings.append(f"文档中有 {linked} 张图片只是链接到电脑上的文件（没有嵌入文档），没有导入。请在 Word 中用“插入 → 图片”把图片放进文档后再导入，或把图片文件直接加到文章里。")
    for why in refused:
        warnings.append(f"文档中有一张图片没有导入：它{why}。")
    if dropped:
        warnings.append(f"文档中有 {len(dropped)} 张网页无法显示的图片（{'、'.join(sorted(set(dropped)))}，通常是 Word 绘图或剪贴画），没有导入。请另存为 PNG 或 JPG 图片后加到文章里。")
    try:
        blocks = _assemble(_drafts(_tree(result.value)))
    except RecursionError:
        raise ConvertError("结构嵌套过深（表格或列表套了太多层），无法转换。请简化后另存为 .docx 再导入") from None
    # images whose src we emptied leave "![…]()": drop them
    blocks = [b if "]()" not in b.markdown else Block(b.number, b.kind, b.text, re.sub(r"!\[[^\]]*\]\(\)", "", b.markdown).strip(), b.bold, b.level) for b in blocks]
    blocks = [b for b in blocks if b.markdown]
    blocks = [Block(i, b.kind, b.text, b.markdown, b.bold, b.level) for i, b in enumerate(blocks, 1)]
    return Converted(tuple(blocks), tuple(images), tuple(warnings), title, when, centred)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _centred_lead(zf: zipfile.ZipFile) -> str:
    """The first non-empty body paragraph's text if it is centred by its own formatting, else "".

    Streamed: stops at the first paragraph with text, however long the document.
    """
    import xml.etree.ElementTree as ET

    try:
        with zf.open("word/document.xml") as f:
            for _, el in ET.iterparse(f, events=("end",)):
                if el.tag != f"{_W}p":
                    continue
                text = "".join(t.text or "" for t in el.iter(f"{_W}t"))
                if not text.strip():
                    el.clear()
                    continue
                jc = el.find(f"{_W}pPr/{_W}jc")
                centred = jc is not None and jc.get(f"{_W}val") == "center"
                return " ".join(tidy_text(text).split()) if centred else ""
    except (KeyError, ET.ParseError, zipfile.BadZipFile, OSError, RuntimeError):
        return ""
    return ""


_CORE_NS = {"dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/"}


def _core_properties(zf: zipfile.ZipFile) -> tuple[str, dt.datetime | None]:
    """The 标题 property and the last-modified (else created) time, read from docProps/core.xml.

    Read directly rather than through python-docx, which invents a title
    ("Word Document") and the current time for a document without the part.
    """
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(zf.read("docProps/core.xml"))
    except (KeyError, ET.ParseError, zipfile.BadZipFile, OSError):
        return "", None
    title = " ".join(tidy_text(unicodedata.normalize("NFC", root.findtext("dc:title", "", _CORE_NS) or "")).split())
    when = None
    for tag in ("dcterms:modified", "dcterms:created"):
        raw = (root.findtext(tag, "", _CORE_NS) or "").strip()
        try:
            when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None
        except ValueError:
            when = None
        if when is not None:
            break
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return title, when
