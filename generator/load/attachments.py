"""Load stage helper: what is inside an attachment, and the bytes that may be published.

Three jobs, all on bytes a caller has already read:

- `extract_text(name, data, limits)`: every piece of text a reader of the file
  could see, so the privacy scan reads what a unit attaches (a 公示 list pasted
  into Word is the classic leak): PDF page text, form-field values, annotation
  contents and the document information; Word body, tables at any depth, content
  controls, tracked insertions (as accepted), text boxes, fields, every header
  and footer variant, notes, comments and document properties; every sheet of
  an Excel workbook; CSV and plain text in the encodings posts may use.
  Every read runs inside the `[limits]` budgets (decompressed sizes are checked
  before parsing, XML is streamed, time and text are counted as they go).
- `publishable_bytes(name, data, limits)`: a JPEG, PNG, WebP, GIF or TIFF with
  its EXIF, XMP and comment blocks removed (a phone photo carries the GPS
  position of where it was taken), also the images inside .docx/.xlsx/.pptx
  files. JPEG/PNG/WebP/GIF data is copied byte for byte, never re-encoded, and
  the EXIF orientation is kept so the photo is not shown sideways. What cannot
  be cleaned raises `Unpublishable`: it is never published as it is.
- `ACTIVE_EXTENSIONS`: file types a browser would run as part of the site.

The work is split by format: `office_text` (Word, Excel), `pdf_text`,
`images` (formats, sizes, metadata blocks), `publishable` (what may be
published), under the budgets of `doc_budget`; the names other stages use
are all importable from here.

Nothing here raises on hostile or broken input except `Unpublishable`: a
document that cannot be read says why in `DocumentText.problem`. Only
`read_document` touches the disk (memoised on path, size, modification time and
limits, so a warm `serve` does not re-read unchanged PDFs).
"""

from __future__ import annotations

import functools
import zipfile
from dataclasses import astuple, dataclass
from pathlib import Path

from generator.load.config import DEFAULT_LIMITS, LimitsConfig
from generator.load.doc_budget import Budget, OverLimit, Places, Reader
from generator.load.filetypes import (
    ACTIVE_EXTENSIONS,
    DOCUMENT_EXTENSIONS,
    IMAGE_EXTENSIONS,
    INSPECTED_EXTENSIONS,
    OFFICE_EXTENSIONS,
    extension,
    is_active,
)
from generator.load.images import image_size, sniff_image
from generator.load.office_text import docx_text, xlsx_text
from generator.load.pdf_text import pdf_text
from generator.load.publishable import Unpublishable, media_problem, needs_cleaning, publishable_bytes

# What is read changes with this: text read by an older reader is read again.
READER_VERSION = "2"


def reader_key(limits: LimitsConfig) -> str:
    """Identifies the reader and budgets a `DocumentText` was made with."""
    return READER_VERSION + ":" + ",".join(map(str, astuple(limits)))


@dataclass(frozen=True)
class DocumentText:
    """The text of one attachment, split the way its reader counts positions."""

    kind: str  # "PDF 文档" | "Word 文档" | "Excel 表格" | "CSV 表格" | "文本文件" | "图片" | ...
    part: str  # what one entry of `parts` is: "页" (PDF page) | "段" (Word paragraph or table row) | "行"
    parts: tuple[str, ...] = ()
    # why the file could not be (fully) read or cleaned, in Chinese, to follow the
    # file's name ("设置了打开密码，无法读取其中的文字"); None when read
    problem: str | None = None
    # (line, label) per part when it is not simply "第 n {part}" at line n: a
    # header, an annotation, a form field, a sheet row
    places: tuple[tuple[int, str], ...] = ()
    read: bool = True  # False: not a text document (an image, a .pptx): only checked for publishing
    # why the file cannot be published at all (an image whose metadata cannot be removed,
    # inside an office file too), to follow the file's name; None when it can
    blocked: str | None = None
    reader: str = ""  # `reader_key` of the limits it was read under

    @property
    def empty(self) -> bool:
        """No text beyond the document information (a scan has an author but no words)."""
        return not any(p.strip() for i, p in enumerate(self.parts) if not self.place(i)[1].startswith(("的文档信息", "的文档属性")))

    def place(self, index: int) -> tuple[int, str]:
        """(line, label) of ``parts[index]``."""
        if index < len(self.places):
            return self.places[index]
        return index + 1, f"第 {index + 1} {self.part}"


_KINDS = {".pdf": ("PDF 文档", "页"), ".docx": ("Word 文档", "段"), ".xlsx": ("Excel 表格", "行"), ".csv": ("CSV 表格", "行"), ".txt": ("文本文件", "行")}
_READERS: dict[str, Reader] = {".pdf": pdf_text, ".docx": docx_text, ".xlsx": xlsx_text}


def extract_text(name: str, data: bytes, limits: LimitsConfig = DEFAULT_LIMITS) -> DocumentText | None:
    """Text of a PDF, DOCX, XLSX, CSV or TXT attachment; None for other file types. Never raises."""
    ext = extension(name)
    if ext not in _KINDS:
        return None
    kind, part = _KINDS[ext]
    key = reader_key(limits)
    if len(data) > limits.document_mb * 1024 * 1024:
        return DocumentText(kind, part, problem=f"太大（超过 {limits.document_mb} MB，site.toml [limits] document_mb），没有读取其中的文字", reader=key)
    reader = _READERS.get(ext, _plain_text)
    budget = Budget(limits)
    parts: list[str] = []
    places: Places = []
    problem: str | None = None
    try:
        problem = reader(data, budget, parts, places)
    except OverLimit as exc:
        problem = f"{exc}，没有读完"
    except zipfile.BadZipFile:
        problem = f"不是有效的 {ext} 文件：可能设置了打开密码（加密），或是改了扩展名的旧格式文件（.doc、.xls），或已损坏"
    except RecursionError:
        problem = "结构嵌套过深，无法读取"
    except MemoryError:
        problem = "读取时内存不足，没有读完"
    except Exception as exc:
        problem = f"已损坏或格式不支持（{type(exc).__name__}）"
    blocked = media_problem(data, limits) if ext in OFFICE_EXTENSIONS else None
    return DocumentText(kind, part, tuple(parts), problem, tuple(places) if len(places) == len(parts) else (), reader=key, blocked=blocked)


def inspect_file(name: str, data: bytes, limits: LimitsConfig = DEFAULT_LIMITS) -> DocumentText | None:
    """What the load stage records about a file: its text (documents) or whether it can be
    published without its metadata (images, office files). None for other files."""
    doc = extract_text(name, data, limits)
    if doc is not None:
        return doc
    kind = sniff_image(data[:32])
    if kind is not None or extension(name) in IMAGE_EXTENSIONS:
        blocked = None
        try:
            publishable_bytes(name, data, limits)
        except Unpublishable as exc:
            blocked = str(exc)
        return DocumentText("图片", "", read=False, reader=reader_key(limits), blocked=blocked)
    if extension(name) in OFFICE_EXTENSIONS:
        return DocumentText("PPT 演示文稿", "", read=False, reader=reader_key(limits), blocked=media_problem(data, limits))
    return None


@functools.lru_cache(maxsize=1024)
def read_document(path: Path, size: int, mtime_ns: int, limits: LimitsConfig = DEFAULT_LIMITS) -> DocumentText | None:
    """`inspect_file` of a file on disk; size and mtime are the cache key, not read here."""
    ext = extension(path.name)
    if ext not in INSPECTED_EXTENSIONS:
        try:
            with open(path, "rb") as fh:
                head = fh.read(32)
        except OSError:
            return None
        if sniff_image(head) is None:
            return None
    kind, part = _KINDS.get(ext, ("图片" if ext in IMAGE_EXTENSIONS or ext not in OFFICE_EXTENSIONS else "PPT 演示文稿", ""))
    read = ext in _KINDS
    cap = limits.document_mb  # images too: cleaning one holds it in memory
    if size > cap * 1024 * 1024:
        why = f"太大（超过 {cap} MB，site.toml [limits] document_mb），没有读取" + ("" if read else "，无法去除其中的位置信息（GPS）等元数据")
        return DocumentText(kind, part, problem=why, read=read, reader=reader_key(limits), blocked=None if read else why)
    try:
        data = path.read_bytes()
    except OSError as exc:
        why = f"无法读取（{exc.strerror}）"
        return DocumentText(kind, part, problem=why, read=read, reader=reader_key(limits), blocked=None if read else why)
    return inspect_file(path.name, data, limits)


def _plain_text(data: bytes, budget: Budget, parts: list[str], places: Places) -> str | None:
    """CSV and TXT, decoded the way posts are (UTF-8 or UTF-16; GBK/Big5 as Excel and Notepad save them)."""
    from generator.parse.post import _looks_utf16  # local: parse imports this module

    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    if text is None:
        for codec in ("utf-8-sig", "gb18030", "big5"):
            try:
                text = data.decode(codec)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        return "编码无法识别（不是 UTF-8、UTF-16、GBK 或 Big5），无法读取其中的文字"
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        parts.append(budget.add(line))
    return None


__all__ = [
    "ACTIVE_EXTENSIONS",
    "DOCUMENT_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "INSPECTED_EXTENSIONS",
    "OFFICE_EXTENSIONS",
    "READER_VERSION",
    "DocumentText",
    "Unpublishable",
    "extension",
    "extract_text",
    "image_size",
    "inspect_file",
    "is_active",
    "needs_cleaning",
    "publishable_bytes",
    "read_document",
    "reader_key",
    "sniff_image",
]
