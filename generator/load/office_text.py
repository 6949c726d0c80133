"""Load stage: the text of Word (.docx) and Excel (.xlsx) attachments.

Readers in the shape `doc_budget.Reader`: Word body, tables at any depth,
content controls, tracked insertions (as accepted), text boxes, fields, every
header and footer variant, notes, comments and document properties; every
sheet of an Excel workbook. XML is streamed, never resolved against anything
outside the file.
"""

from __future__ import annotations

import io
import posixpath
import warnings
import zipfile
from typing import Any

from generator.load.doc_budget import Budget, Places, iterparse, open_zip

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# parts of a .docx that readers see, in reading order, with how messages name them
_DOCX_PARTS = (("word/document.xml", ""), ("word/header", "页眉"), ("word/footer", "页脚"), ("word/footnotes.xml", "脚注"), ("word/endnotes.xml", "尾注"), ("word/comments.xml", "批注"))


def docx_text(data: bytes, budget: Budget, parts: list[str], places: Places) -> str | None:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return "不是有效的 .docx 文件：设置了打开密码（加密），或是改了扩展名的旧格式 .doc 文件，无法读取其中的文字"
    with open_zip(data, budget) as zf:
        names = zf.namelist()
        for prefix, label in _DOCX_PARTS:
            for name in sorted(n for n in names if n.startswith(prefix) and n.endswith(".xml") and "/_rels/" not in n):
                with zf.open(name) as stream:
                    where = f"{label} {posixpath.basename(name)}" if label.startswith("页") else label
                    _wordml(stream, budget, parts, places, where)
        _properties(zf, budget, parts, places)
    return None


# Block elements: a paragraph, a table cell, a table row; how each joins what it
# holds, and the block a finished one is part of (a row is always a part of its own).
_BLOCKS = ("p", "tc", "tr")
_JOIN = {"p": "", "tc": "\n", "tr": "\t"}
_PARENT = {"p": "tc", "tc": "tr"}
# run elements that stand for a character inside a paragraph
_RUN_CHARS = {"tab": "\t", "br": " ", "cr": " "}


def _wordml(stream: Any, budget: Budget, parts: list[str], places: Places, where: str) -> None:
    """Stream one WordprocessingML part: each paragraph (or table row) becomes a part.

    Only ``w:t`` is text: deleted runs hold ``w:delText`` and field codes
    ``w:instrText``, so the accepted text and a field's shown result are what
    is read. Content controls, insertions, hyperlinks and fields simply wrap
    runs; text-box paragraphs (inside a run) and nested tables become parts of
    their own; ``mc:Fallback`` repeats a text box and ``w:moveFrom`` is text
    that moved away, so both are skipped.
    """
    _WordML(budget, parts, places, where).read(stream)


class _WordML:
    """The open paragraphs, cells and rows of one streamed part, innermost last."""

    def __init__(self, budget: Budget, parts: list[str], places: Places, where: str) -> None:
        self.budget = budget
        self.parts = parts
        self.places = places
        self.where = where
        self.frames: list[list[str]] = []
        self.kinds: list[str] = []
        self.skip = 0  # depth inside skipped elements (mc:Fallback, w:moveFrom)

    def read(self, stream: Any) -> None:
        for events, (event, el) in enumerate(iterparse(stream), 1):
            if events % 4096 == 0:
                self.budget.tick()
            tag = el.tag
            if not isinstance(tag, str):
                continue
            if tag == _MC_FALLBACK or tag == _W + "moveFrom":
                self.skip += 1 if event == "start" else -1
                continue
            if self.skip:
                if event == "end":
                    el.clear()
                continue
            local = tag[len(_W) :] if tag.startswith(_W) else ""
            if event == "start":
                if local in _BLOCKS:
                    self.frames.append([])
                    self.kinds.append(local)
            else:
                self._end(local, el)

    def _end(self, local: str, el: Any) -> None:
        in_paragraph = bool(self.kinds) and self.kinds[-1] == "p"
        if local == "t" and in_paragraph:
            self.frames[-1].append(el.text or "")
        elif local in _RUN_CHARS and in_paragraph:
            self.frames[-1].append(_RUN_CHARS[local])
        elif local in _BLOCKS and self.kinds and self.kinds[-1] == local:
            self._finish(local, el)

    def _finish(self, local: str, el: Any) -> None:
        self.kinds.pop()
        text = _JOIN[local].join(self.frames.pop())
        if local == "tr":
            self._emit(text)
        elif self.kinds and self.kinds[-1] == _PARENT[local]:
            self.frames[-1].append(text)
        elif local == "p":
            self._emit(text)
        if not self.kinds:
            # a finished top-level block: drop it and its finished siblings from the tree
            el.clear()
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]

    def _emit(self, text: str) -> None:
        n = len(self.parts) + 1
        self.parts.append(self.budget.add(text))
        self.places.append((n, f"第 {n} 段" + (f"（{self.where}）" if self.where else "")))


_PROPERTY_PARTS = ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml")


def _properties(zf: zipfile.ZipFile, budget: Budget, parts: list[str], places: Places) -> None:
    """Document properties (author, company, title, custom fields): shown by every office program."""
    names = set(zf.namelist())
    for name in _PROPERTY_PARTS:
        if name not in names:
            continue
        with zf.open(name) as stream:
            for event, el in iterparse(stream):
                if event == "end" and isinstance(el.tag, str) and el.text and el.text.strip() and len(el) == 0:
                    field = el.tag.rsplit("}", 1)[-1]
                    if name.endswith("app.xml") and field not in ("Company", "Manager", "HyperlinkBase"):
                        continue  # the rest of app.xml is statistics (pages, words, version)
                    parts.append(budget.add(el.text.strip()))
                    places.append((1, f"的文档属性（{field}）"))


def xlsx_text(data: bytes, budget: Budget, parts: list[str], places: Places) -> str | None:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return "不是有效的 .xlsx 文件：设置了打开密码（加密），或是改了扩展名的旧格式 .xls 文件，无法读取其中的文字"
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a declared dependency
        return "无法读取：缺少 openpyxl（pip install openpyxl）"
    with open_zip(data, budget) as zf:
        _properties(zf, budget, parts, places)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns in English about styles it ignores
        # read-only mode streams each sheet's rows instead of building every cell at once
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                for r, row in enumerate(sheet.iter_rows(values_only=True), 1):
                    if r % 256 == 0:
                        budget.tick()
                    cells = [_cell(v) for v in row if v is not None and str(v).strip()]
                    if cells:
                        parts.append(budget.add("\t".join(cells)))
                        places.append((r, f"工作表“{sheet.title}”第 {r} 行"))
        finally:
            book.close()
    return None


def _cell(value: object) -> str:
    # a phone number typed into Excel is stored as the float 13800138000.0
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e20:
        return str(int(value))
    return str(value)
