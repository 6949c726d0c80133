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

This module reads the document and makes its blocks; text tidying, the HTML
tree and inline Markdown are in `markup`, Word lists, tables and footnotes in
`tables`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from generator.importer.markup import (
    _BR,
    _BULLET_MARK_RE,
    _CHAPTER_RE,
    _FAMILY_RANK,
    _SECTION_RE,
    _SENTENCE_END,
    MAX_TYPED_HEADING,
    _escape,
    _escape_line_start,
    _inline,
    _is_bold_only,
    _Node,
    _ordered_mark,
    _plain,
    _strip_marker,
    _tree,
    tidy_text,
)
from generator.importer.tables import _is_note_list, _list_markdown, _notes, _table
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


# The budgets of a site without a [limits] table (a frozen value: safe to share as a default).
_DEFAULT_LIMITS = LimitsConfig()


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
    for part_md, part_text in zip(md.split(_BR), text.split("\n"), strict=False):
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
            md = _escape_line_start(d.markdown) if d.kind == "paragraph" else d.markdown
            blocks.append(Block(len(blocks) + 1, d.kind, d.text, md, d.bold, d.level))
            i += 1
            continue
        family, number, _ = d.mark
        if family != "bullet" and number != 1:
            # Markdown would number it from 1 again: a run that starts at 3 stays as typed
            d.mark = None
            continue
        items, i = _list_run(drafts, i, d.mark)
        lines = ["    " * depth + ("-" if mark[0] == "bullet" else f"{mark[1]}.") + " " + mark[2] for depth, _, mark in items]
        blocks.append(Block(len(blocks) + 1, "list", "\n".join(text for _, text, _ in items), "\n".join(lines)))
    return blocks


_Item = tuple[int, str, tuple[str, int, str]]  # a list item: (depth, plain text, its mark)


def _list_run(drafts: list[_Draft], start: int, first: tuple[str, int, str]) -> tuple[list[_Item], int]:
    """The list that starts at ``drafts[start]`` (marked ``first``) and the index after it.

    One level of nesting, as 公文 numbers: "1." items may hold "（1）" items, which may hold "①".
    """
    family, last = first[0], first[1]
    items: list[_Item] = [(0, drafts[start].text, first)]
    sub_family, sub_last = "", 0
    j = start + 1
    while j < len(drafts):
        mark = drafts[j].mark
        if mark is None:
            break
        f, n, _ = mark
        if f == family and (f == "bullet" or n == last + 1):
            items.append((0, drafts[j].text, mark))
            last, sub_family = n, ""
        elif _nests(family, sub_family, sub_last, f, n):
            items.append((1, drafts[j].text, mark))
            sub_family, sub_last = f, n
        else:
            break
        j += 1
    return items, j


def _nests(family: str, sub_family: str, sub_last: int, f: str, n: int) -> bool:
    """Whether the item (``f``, ``n``) opens or continues the nested run under a ``family`` item."""
    if _FAMILY_RANK[f] <= _FAMILY_RANK[family]:
        return False
    if not sub_family:
        return f == "bullet" or n == 1
    return f == sub_family and (f == "bullet" or n == sub_last + 1)


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


def convert_docx(data: bytes, limits: LimitsConfig = _DEFAULT_LIMITS) -> Converted:
    """Convert one .docx; raises `ConvertError` (Chinese) for files that cannot be read.

    ``limits``: the site's ``[limits]``, the same budgets the build applies to a
    Word attachment (file size, each part's unpacked size, image pixels).
    """
    problem = _docx_problem(data)
    if problem:
        raise ConvertError(problem)
    if len(data) > limits.document_mb * 1024 * 1024:
        raise ConvertError(f"太大（超过 site.toml [limits] document_mb 的 {limits.document_mb} MB）。请压缩其中的图片后再导入")
    warnings, title, when, centred = _read_parts(data, limits)
    images = _Images(limits)
    result = _mammoth_html(data, images)
    warnings.extend(images.warnings(sum(1 for m in result.messages if "external image" in m.message)))
    try:
        blocks = _assemble(_drafts(_tree(result.value)))
    except RecursionError:
        raise ConvertError(_TOO_DEEP) from None
    # images whose src we emptied leave "![…]()": drop them
    blocks = [b if "]()" not in b.markdown else Block(b.number, b.kind, b.text, re.sub(r"!\[[^\]]*\]\(\)", "", b.markdown).strip(), b.bold, b.level) for b in blocks]
    blocks = [b for b in blocks if b.markdown]
    blocks = [Block(i, b.kind, b.text, b.markdown, b.bold, b.level) for i, b in enumerate(blocks, 1)]
    return Converted(tuple(blocks), tuple(images.images), tuple(warnings), title, when, centred)


_TOO_DEEP = "结构嵌套过深（表格或列表套了太多层），无法转换。请简化后另存为 .docx 再导入"


def _read_parts(data: bytes, limits: LimitsConfig) -> tuple[list[str], str, dt.datetime | None, str]:
    """(warnings of `_xml_notes`, the 标题 property, the document's time, `_centred_lead`), read from the zip
    after checking it as the build checks a Word attachment; raises `ConvertError`."""
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
    return warnings, title, when, centred


class _Images:
    """mammoth's image converter: keeps the images a browser shows, cleaned, each once, named in document order.

    Not frozen: mammoth calls it once per image while it converts, and it collects.
    """

    def __init__(self, limits: LimitsConfig) -> None:
        self.limits = limits
        self.images: list[Image] = []
        self.by_bytes: dict[bytes, str] = {}
        self.dropped: list[str] = []  # content types a browser cannot show
        self.refused: list[str] = []  # images that cannot be cleaned of their metadata: never written

    def __call__(self, image: Any) -> dict[str, str]:
        with image.open() as f:
            raw = f.read()
        ext = _IMAGE_TYPES.get((image.content_type or "").lower())
        if ext is None:
            self.dropped.append(image.content_type or "未知类型")
            return {"src": ""}
        if raw not in self.by_bytes:
            name = f"image-{len(self.images) + 1:02d}{ext}"
            try:
                clean = att.publishable_bytes(name, raw, self.limits)
            except att.Unpublishable as exc:
                self.refused.append(str(exc))
                return {"src": ""}
            self.images.append(Image(name, clean))
            self.by_bytes[raw] = name
        return {"src": self.by_bytes[raw]}

    def warnings(self, linked: int) -> list[str]:
        """What was left out: ``linked`` images only linked to files, then the refused and the dropped ones."""
        out: list[str] = []
        if linked:
            out.append(f"文档中有 {linked} 张图片只是链接到电脑上的文件（没有嵌入文档），没有导入。请在 Word 中用“插入 → 图片”把图片放进文档后再导入，或把图片文件直接加到文章里。")
        for why in self.refused:
            out.append(f"文档中有一张图片没有导入：它{why}。")
        if self.dropped:
            out.append(f"文档中有 {len(self.dropped)} 张网页无法显示的图片（{'、'.join(sorted(set(self.dropped)))}，通常是 Word 绘图或剪贴画），没有导入。请另存为 PNG 或 JPG 图片后加到文章里。")
        return out


def _mammoth_html(data: bytes, images: _Images) -> Any:
    """mammoth's result (``.value``: the HTML, ``.messages``); raises `ConvertError` when it fails."""
    import mammoth

    try:
        return mammoth.convert_to_html(
            io.BytesIO(data),
            style_map=_STYLE_MAP,
            convert_image=mammoth.images.img_element(images),
            external_file_access=False,  # a document must not make us read other files on this computer
        )
    except ConvertError:
        raise
    except RecursionError:
        raise ConvertError(_TOO_DEEP) from None
    except Exception as exc:
        raise ConvertError(f"已损坏或格式不支持，无法转换（{type(exc).__name__}）。请用 Word 或 WPS 打开它，另存为 .docx 后再导入") from None


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
