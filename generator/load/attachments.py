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

Nothing here raises on hostile or broken input except `Unpublishable`: a
document that cannot be read says why in `DocumentText.problem`. Only
`read_document` touches the disk (memoised on path, size, modification time and
limits, so a warm `serve` does not re-read unchanged PDFs).
"""

from __future__ import annotations

import functools
import io
import logging
import posixpath
import struct
import time
import warnings
import zipfile
import zlib
from dataclasses import astuple, dataclass
from pathlib import Path

from generator.load.config import LimitsConfig

# Served from the site's own origin these would run script (or server code on a
# misconfigured server) for every reader: one unit could deface everyone's pages.
ACTIVE_EXTENSIONS = frozenset(
    {
        ".html", ".htm", ".xhtml", ".xht", ".shtml", ".shtm", ".mht", ".mhtml", ".svg", ".svgz",
        ".xml", ".xsl", ".xslt", ".js", ".mjs", ".swf", ".hta", ".php", ".asp", ".aspx", ".jsp", ".cgi",
    }
)
# Files whose text is read and scanned.
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".docx", ".xlsx", ".csv", ".txt"})
# Files published through `publishable_bytes` (metadata removed) and inspected first.
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp", ".heic", ".heif", ".avif"})
OFFICE_EXTENSIONS = frozenset({".docx", ".xlsx", ".pptx"})  # zip packages whose media/ images are cleaned
INSPECTED_EXTENSIONS = DOCUMENT_EXTENSIONS | IMAGE_EXTENSIONS | OFFICE_EXTENSIONS

# What is read changes with this: text read by an older reader is read again.
READER_VERSION = "2"


def extension(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def is_active(name: str) -> bool:
    return extension(name) in ACTIVE_EXTENSIONS


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


class _OverLimit(Exception):
    """A budget of `[limits]` was exceeded; the message says which, in Chinese."""


class _Budget:
    def __init__(self, limits: LimitsConfig) -> None:
        self.limits = limits
        self.start = time.monotonic()
        self.chars = 0

    def add(self, text: str) -> str:
        self.chars += len(text)
        if self.chars > self.limits.document_text_kb * 1000:
            raise _OverLimit(f"其中的文字超过 {self.limits.document_text_kb} 千字（site.toml [limits] document_text_kb）")
        return text

    def tick(self) -> None:
        if time.monotonic() - self.start > self.limits.document_seconds:
            raise _OverLimit(f"读取超过 {self.limits.document_seconds} 秒（site.toml [limits] document_seconds）")


_KINDS = {".pdf": ("PDF 文档", "页"), ".docx": ("Word 文档", "段"), ".xlsx": ("Excel 表格", "行"), ".csv": ("CSV 表格", "行"), ".txt": ("文本文件", "行")}


# ---------------------------------------------------------------------------
# text extraction


def extract_text(name: str, data: bytes, limits: LimitsConfig = LimitsConfig()) -> DocumentText | None:
    """Text of a PDF, DOCX, XLSX, CSV or TXT attachment; None for other file types. Never raises."""
    ext = extension(name)
    if ext not in _KINDS:
        return None
    kind, part = _KINDS[ext]
    key = reader_key(limits)
    if len(data) > limits.document_mb * 1024 * 1024:
        return DocumentText(kind, part, problem=f"太大（超过 {limits.document_mb} MB，site.toml [limits] document_mb），没有读取其中的文字", reader=key)
    reader = {".pdf": _pdf_text, ".docx": _docx_text, ".xlsx": _xlsx_text}.get(ext, _plain_text)
    budget = _Budget(limits)
    parts: list[str] = []
    places: list[tuple[int, str]] = []
    problem: str | None = None
    try:
        problem = reader(data, budget, parts, places)
    except _OverLimit as exc:
        problem = f"{exc}，没有读完"
    except zipfile.BadZipFile:
        problem = f"不是有效的 {ext} 文件：可能设置了打开密码（加密），或是改了扩展名的旧格式文件（.doc、.xls），或已损坏"
    except RecursionError:
        problem = "结构嵌套过深，无法读取"
    except MemoryError:
        problem = "读取时内存不足，没有读完"
    except Exception as exc:
        problem = f"已损坏或格式不支持（{type(exc).__name__}）"
    blocked = _media_problem(data, limits) if ext in OFFICE_EXTENSIONS else None
    return DocumentText(kind, part, tuple(parts), problem, tuple(places) if len(places) == len(parts) else (), reader=key, blocked=blocked)


def inspect_file(name: str, data: bytes, limits: LimitsConfig = LimitsConfig()) -> DocumentText | None:
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
        return DocumentText("PPT 演示文稿", "", read=False, reader=reader_key(limits), blocked=_media_problem(data, limits))
    return None


@functools.lru_cache(maxsize=1024)
def read_document(path: Path, size: int, mtime_ns: int, limits: LimitsConfig = LimitsConfig()) -> DocumentText | None:
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


def _open_zip(data: bytes, budget: _Budget) -> zipfile.ZipFile:
    """The package, after checking every member's decompressed size (the size a zip
    declares is also the most `ZipFile.open` will ever return)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    cap = budget.limits.document_unpacked_mb
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > cap * 1024 * 1024:
            raise _OverLimit(f"其中的 {info.filename} 解压后有 {info.file_size // (1024 * 1024)} MB，超过 {cap} MB（site.toml [limits] document_unpacked_mb）")
    if total > 4 * cap * 1024 * 1024:
        raise _OverLimit(f"解压后共有 {total // (1024 * 1024)} MB，超过 {4 * cap} MB（site.toml [limits] document_unpacked_mb 的 4 倍）")
    return zf


def _iterparse(stream):
    from lxml import etree

    # No DTDs, no entities from outside, no network: an XML part is data, never instructions.
    return etree.iterparse(stream, events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# parts of a .docx that readers see, in reading order, with how messages name them
_DOCX_PARTS = (("word/document.xml", ""), ("word/header", "页眉"), ("word/footer", "页脚"), ("word/footnotes.xml", "脚注"), ("word/endnotes.xml", "尾注"), ("word/comments.xml", "批注"))


def _docx_text(data: bytes, budget: _Budget, parts: list[str], places: list[tuple[int, str]]) -> str | None:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return "不是有效的 .docx 文件：设置了打开密码（加密），或是改了扩展名的旧格式 .doc 文件，无法读取其中的文字"
    with _open_zip(data, budget) as zf:
        names = zf.namelist()
        for prefix, label in _DOCX_PARTS:
            for name in sorted(n for n in names if n.startswith(prefix) and n.endswith(".xml") and "/_rels/" not in n):
                with zf.open(name) as stream:
                    where = f"{label} {posixpath.basename(name)}" if label.startswith("页") else label
                    _wordml(stream, budget, parts, places, where)
        _properties(zf, budget, parts, places)
    return None


def _wordml(stream, budget: _Budget, parts: list[str], places: list[tuple[int, str]], where: str) -> None:
    """Stream one WordprocessingML part: each paragraph (or table row) becomes a part.

    Only ``w:t`` is text: deleted runs hold ``w:delText`` and field codes
    ``w:instrText``, so the accepted text and a field's shown result are what
    is read. Content controls, insertions, hyperlinks and fields simply wrap
    runs; text-box paragraphs (inside a run) and nested tables become parts of
    their own; ``mc:Fallback`` repeats a text box and ``w:moveFrom`` is text
    that moved away, so both are skipped.
    """
    frames: list[list[str]] = []  # open paragraphs, cells and rows, innermost last
    kinds: list[str] = []
    skip = 0
    events = 0

    def emit(text: str) -> None:
        n = len(parts) + 1
        parts.append(budget.add(text))
        places.append((n, f"第 {n} 段" + (f"（{where}）" if where else "")))

    for event, el in _iterparse(stream):
        events += 1
        if events % 4096 == 0:
            budget.tick()
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag == _MC_FALLBACK or tag == _W + "moveFrom":
            skip += 1 if event == "start" else -1
            continue
        if skip:
            if event == "end":
                el.clear()
            continue
        local = tag[len(_W):] if tag.startswith(_W) else ""
        if event == "start":
            if local in ("p", "tc", "tr"):
                frames.append([])
                kinds.append(local)
            continue
        if local == "t" and kinds and kinds[-1] == "p":
            frames[-1].append(el.text or "")
        elif local == "tab" and kinds and kinds[-1] == "p":
            frames[-1].append("\t")
        elif local in ("br", "cr") and kinds and kinds[-1] == "p":
            frames[-1].append(" ")
        elif local in ("p", "tc", "tr") and kinds and kinds[-1] == local:
            kinds.pop()
            items = frames.pop()
            text = "".join(items) if local == "p" else ("\n".join(items) if local == "tc" else "\t".join(items))
            if local == "tr":
                emit(text)
            elif kinds and kinds[-1] == ("tc" if local == "p" else "tr"):
                frames[-1].append(text)
            elif local == "p":
                emit(text)
            if not kinds:
                # a finished top-level block: drop it and its finished siblings from the tree
                el.clear()
                parent = el.getparent()
                while parent is not None and el.getprevious() is not None:
                    del parent[0]


_PROPERTY_PARTS = ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml")


def _properties(zf: zipfile.ZipFile, budget: _Budget, parts: list[str], places: list[tuple[int, str]]) -> None:
    """Document properties (author, company, title, custom fields): shown by every office program."""
    names = set(zf.namelist())
    for name in _PROPERTY_PARTS:
        if name not in names:
            continue
        with zf.open(name) as stream:
            for event, el in _iterparse(stream):
                if event == "end" and isinstance(el.tag, str) and el.text and el.text.strip() and len(el) == 0:
                    field = el.tag.rsplit("}", 1)[-1]
                    if name.endswith("app.xml") and field not in ("Company", "Manager", "HyperlinkBase"):
                        continue  # the rest of app.xml is statistics (pages, words, version)
                    parts.append(budget.add(el.text.strip()))
                    places.append((1, f"的文档属性（{field}）"))


def _xlsx_text(data: bytes, budget: _Budget, parts: list[str], places: list[tuple[int, str]]) -> str | None:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return "不是有效的 .xlsx 文件：设置了打开密码（加密），或是改了扩展名的旧格式 .xls 文件，无法读取其中的文字"
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a declared dependency
        return "无法读取：缺少 openpyxl（pip install openpyxl）"
    with _open_zip(data, budget) as zf:
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


def _plain_text(data: bytes, budget: _Budget, parts: list[str], places: list[tuple[int, str]]) -> str | None:
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


def _pdf_text(data: bytes, budget: _Budget, parts: list[str], places: list[tuple[int, str]]) -> str | None:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a declared dependency
        return "无法读取：缺少 pypdf（pip install pypdf）"
    limits = budget.limits
    cap = limits.document_unpacked_mb * 1024 * 1024
    # pypdf reports recoverable damage through logging and warnings; those would
    # print English noise into the build log, so they are silenced here and the
    # outcome is summarised in Chinese instead.
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), _pypdf_limits(cap):
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except Exception:
                    ok = 0
                if not ok:
                    return "设置了打开密码，无法读取其中的文字"
            pages = reader.pages
            total = len(pages)
            if total > limits.document_pages:
                raise _OverLimit(f"有 {total} 页，超过 {limits.document_pages} 页（site.toml [limits] document_pages）")
            # Decompressed page content is checked before any text extraction: a small file
            # can hold one huge stream that every page shares.
            # pypdf parses page content at about 2 MB a second, so all pages together get a
            # quarter of the unpacked budget (8 MB by default: a 500-page text PDF has ~10 KB a page).
            content_cap = cap // 4
            content = 0
            for i in range(total):
                content += _content_size(pages[i], content_cap - content)
                budget.tick()
                if content > content_cap:
                    raise _OverLimit(
                        f"页面内容解压后超过 {content_cap / 1024 / 1024:g} MB（site.toml [limits] document_unpacked_mb 的四分之一）"
                    )
            operators = 0

            def check(*_args) -> None:  # called for every operator: the time budget holds inside a page too
                nonlocal operators
                operators += 1
                if operators % 2048 == 0:
                    budget.tick()

            for i in range(total):
                budget.tick()
                parts.append(budget.add(pages[i].extract_text(visitor_operand_before=check) or ""))
            extra: list[tuple[int, str, str]] = []
            for i in range(total):
                for annot in _resolved(pages[i].get("/Annots")) or ():
                    annot = _resolved(annot)
                    if hasattr(annot, "get"):
                        words = " ".join(str(_resolved(annot.get(k))) for k in ("/T", "/Contents") if annot.get(k) is not None)
                        if words.strip():
                            extra.append((i + 1, f"第 {i + 1} 页的批注", words))
            budget.tick()
            if "/AcroForm" in reader.trailer["/Root"]:
                for name, field in (reader.get_fields() or {}).items():
                    value = field.get("/V")
                    if value is not None and str(value).strip():
                        extra.append((1, f"表单字段“{name}”", str(value)))
            for key, value in (reader.metadata or {}).items():
                if value is not None and str(value).strip():
                    extra.append((1, f"的文档信息（{str(key).lstrip('/')}）", str(value)))
            places.extend((n + 1, f"第 {n + 1} 页") for n in range(len(parts)))
            for line, label, text in extra:
                parts.append(budget.add(text))
                places.append((line, label))
    finally:
        log.setLevel(level)
    return None


def _resolved(obj):
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _pypdf_limits(cap: int):
    """pypdf's own decompression limits set to ours where this pypdf has them (5.x and later)."""
    import contextlib

    try:
        from pypdf import apply_configuration  # type: ignore[attr-defined]
    except ImportError:
        return contextlib.nullcontext()
    try:
        return apply_configuration(zlib_maximum_output_length=cap, lzw_maximum_output_length=cap, run_length_maximum_output_length=cap)
    except TypeError:
        return contextlib.nullcontext()


def _content_size(page, cap: int) -> int:
    """Decompressed bytes of a page's content streams, counting no further than just past ``cap``."""
    cap = max(cap, 0)
    contents = _resolved(page.get("/Contents"))
    if contents is None:
        return 0
    streams = [_resolved(c) for c in contents] if isinstance(contents, list) else [contents]
    size = 0
    for stream in streams:
        filters = _resolved(stream.get("/Filter")) if hasattr(stream, "get") else None
        raw = getattr(stream, "_data", None)
        if filters in ("/FlateDecode", ["/FlateDecode"]) and isinstance(raw, bytes) and stream.get("/DecodeParms") is None:
            d = zlib.decompressobj()
            try:
                size += len(d.decompress(raw, cap + 1 - size))
            except zlib.error:
                pass  # broken stream: pypdf will say what it makes of it
        else:
            try:
                size += len(stream.get_data())
            except Exception:
                pass
        if size > cap:
            break
    return size


def _media_problem(data: bytes, limits: LimitsConfig) -> str | None:
    """Why the images inside an office file cannot be published without their metadata."""
    try:
        publishable_bytes("x.docx", data, limits)
    except Unpublishable as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------
# EXIF removal


class _Malformed(Exception):
    """The container structure is not what its signature promised."""


class Unpublishable(Exception):
    """A file that cannot be published without its metadata; the message (Chinese)
    says why and what to do, to follow the file's name."""


_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis")


def sniff_image(head: bytes) -> str | None:
    """The image format the first bytes announce, whatever the file is called."""
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM" and len(head) >= 26:
        return "BMP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the header only, before any decoding; None if unreadable."""
    try:
        kind = sniff_image(data[:32])
        if kind == "JPEG":
            pos = 2
            while pos + 4 <= len(data):
                if data[pos] != 0xFF:
                    pos += 1  # stray bytes between segments: decoders skip them, so must the size check
                    continue
                marker = data[pos + 1]
                if marker == 0xFF:
                    pos += 1
                    continue
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                    pos += 2
                    continue
                (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[pos + 5 : pos + 9])
                    return w, h
                if marker in (0xDA, 0xD9) or length < 2:
                    return None
                pos += 2 + length
            return None
        if kind == "PNG":
            return struct.unpack(">II", data[16:24])
        if kind == "GIF":
            return struct.unpack("<HH", data[6:10])
        if kind == "BMP":
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if kind == "WEBP":
            if len(data) < 30:
                return None
            chunk = data[12:16]
            if chunk == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                h = int.from_bytes(data[27:30], "little") + 1
                return w, h
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                b = int.from_bytes(data[21:25], "little")
                return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
            return None
        if kind == "TIFF":
            order = "<" if data[:2] == b"II" else ">"
            (ifd,) = struct.unpack(order + "I", data[4:8])
            biggest: tuple[int, int] | None = None
            for _ in range(64):  # every image in the file (multi-page TIFF), not only the first
                if not 8 <= ifd < len(data):
                    break
                (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
                dims: dict[int, int] = {}
                for i in range(count):
                    at = ifd + 2 + 12 * i
                    tag, typ = struct.unpack(order + "HH", data[at : at + 4])
                    if tag in (256, 257):
                        dims[tag] = struct.unpack(order + ("H" if typ == 3 else "I"), data[at + 8 : at + (10 if typ == 3 else 12)])[0]
                if len(dims) < 2:
                    return None
                if biggest is None or dims[256] * dims[257] > biggest[0] * biggest[1]:
                    biggest = (dims[256], dims[257])
                (ifd,) = struct.unpack(order + "I", data[ifd + 2 + 12 * count : ifd + 6 + 12 * count])
                if ifd == 0:
                    break
            return biggest
    except (struct.error, IndexError):
        return None
    return None


def publishable_bytes(name: str, data: bytes, limits: LimitsConfig = LimitsConfig()) -> bytes:
    """The bytes to publish for attachment ``name``: images lose EXIF/XMP/GPS, others unchanged.

    Decided by content, not only by extension, so a PNG saved as ``.jpg`` is
    cleaned too; .docx/.xlsx/.pptx files are rewritten with their images
    cleaned. Raises `Unpublishable` for an image that cannot be cleaned (damaged,
    over the pixel budget, HEIC) rather than ever publishing it as it is.
    """
    kind = sniff_image(data[:32])
    if kind is None:
        if extension(name) in OFFICE_EXTENSIONS and data[:2] == b"PK":
            return _clean_package(data, limits)
        if extension(name) in IMAGE_EXTENSIONS:
            raise Unpublishable("不是能识别的图片（文件可能已损坏，或扩展名与内容不符），无法确认其中没有位置信息（GPS）等元数据。请用看图软件重新导出为 JPG 或 PNG")
        return data
    if kind == "HEIF":
        raise Unpublishable("是 HEIC/HEIF/AVIF 格式，晾晒无法去除其中的位置信息（GPS）等元数据，而且很多浏览器不能显示。请在手机或电脑上转换为 JPG 后再上传")
    size = image_size(data)
    if size is None:
        raise Unpublishable(f"是 {kind} 图片，但读不出它的尺寸（文件可能已损坏），无法去除其中的位置信息（GPS）等元数据。请用看图软件重新导出为 JPG 或 PNG")
    w, h = size
    if w * h > limits.image_megapixels * 1_000_000:
        raise Unpublishable(
            f"的尺寸是 {w}×{h}（约 {w * h / 1_000_000:.0f} 百万像素），超过上限 {limits.image_megapixels} 百万像素（site.toml [limits] image_megapixels）。"
            "请缩小后再上传（网页上 2000 像素宽已足够清晰）"
        )
    try:
        if kind == "JPEG":
            return _clean_jpeg(data)
        if kind == "PNG":
            return _clean_png(data)
        if kind == "WEBP":
            return _clean_webp(data)
        if kind == "GIF":
            return _clean_gif(data)
        if kind == "BMP":
            return data  # no metadata blocks
    except (_Malformed, IndexError, struct.error):
        pass
    return _reencode(data, kind)


def _orientation(tiff: bytes) -> int | None:
    """The Orientation tag (0x0112) of IFD0 in a TIFF structure, or None."""
    try:
        order = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
        for i in range(count):
            at = ifd + 2 + 12 * i
            tag, typ, _n = struct.unpack(order + "HHI", tiff[at : at + 8])
            if tag == 0x0112 and typ == 3:
                (value,) = struct.unpack(order + "H", tiff[at + 8 : at + 10])
                return value if 1 <= value <= 8 else None
    except (KeyError, struct.error, IndexError):
        return None
    return None


def _orientation_tiff(value: int) -> bytes:
    """A TIFF structure holding only IFD0 with one Orientation entry (nothing else survives)."""
    return b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">HHHIHHI", 1, 0x0112, 3, 1, value, 0, 0)


_JPEG_KEEP_APP = {0xE0: (b"JFIF\0", b"JFXX\0"), 0xE2: (b"ICC_PROFILE\0",), 0xEE: (b"Adobe",)}


def _clean_jpeg(data: bytes) -> bytes:
    out = bytearray(b"\xff\xd8")
    pos = 2
    orientation: int | None = None
    inserted = False
    n = len(data)
    while pos < n:
        if data[pos] != 0xFF:
            raise _Malformed
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI: anything after it (MPF previews, appended files) is dropped
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += bytes((0xFF, marker))
            continue
        if pos + 2 > n:
            raise _Malformed
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > n:
            raise _Malformed
        segment = data[pos + 2 : pos + length]
        whole = data[pos - 2 : pos + length]
        pos += length
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            if marker == 0xE1 and segment.startswith(b"Exif\0\0"):
                orientation = _orientation(segment[6:]) or orientation
            keep = any(segment.startswith(sig) for sig in _JPEG_KEEP_APP.get(marker, ()))
            if keep:
                out += whole
            continue  # EXIF, XMP, IPTC, comments, MPF and unknown application data go
        if not inserted and orientation not in (None, 1):
            payload = b"Exif\0\0" + _orientation_tiff(orientation)  # type: ignore[arg-type]
            out += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
        inserted = True
        out += whole
        if marker == 0xDA:  # start of scan: copy entropy-coded data up to the next real marker
            start = pos
            while True:
                nxt = data.find(b"\xff", pos)
                if nxt < 0 or nxt + 1 >= n:
                    out += data[start:]  # truncated file: keep what is there
                    return bytes(out)
                follower = data[nxt + 1]
                if follower == 0x00 or 0xD0 <= follower <= 0xD7 or follower == 0xFF:
                    pos = nxt + 1 if follower == 0xFF else nxt + 2
                    continue
                out += data[start:nxt]
                pos = nxt
                break
    return bytes(out)


# Chunks needed to show a PNG (or APNG) correctly; text, time, EXIF and private chunks go.
_PNG_KEEP = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB",
    b"cICP", b"mDCV", b"cLLI", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT",
}


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _clean_png(data: bytes) -> bytes:
    out = bytearray(data[:8])
    pos = 8
    orientation: int | None = None
    wrote_exif = False
    n = len(data)
    while pos + 8 <= n:
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > n:
            raise _Malformed
        body = data[pos + 8 : pos + 8 + length]
        chunk = data[pos:end]
        pos = end
        if kind == b"eXIf":
            orientation = _orientation(body)
            continue
        if kind in (b"IDAT", b"fdAT", b"IEND") and not wrote_exif:
            wrote_exif = True
            if orientation not in (None, 1):
                out += _png_chunk(b"eXIf", _orientation_tiff(orientation))  # type: ignore[arg-type]
        if kind in _PNG_KEEP:
            out += chunk
        if kind == b"IEND":
            return bytes(out)
    raise _Malformed  # no IEND: structure broken


def _clean_webp(data: bytes) -> bytes:
    pos = 12
    n = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    chunks: list[bytearray] = []
    while pos + 8 <= n:
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > n:
            raise _Malformed
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(bytearray(data[pos:end]))
        pos = end
    if not chunks or pos + 1 < n:
        raise _Malformed  # truncated or padded with garbage: not a WebP we understand
    for c in chunks:
        if c[:4] == b"VP8X" and len(c) > 8:
            c[8] &= ~(0x08 | 0x04) & 0xFF  # clear the "has EXIF" and "has XMP" flags
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _reencode(data: bytes, kind: str) -> bytes:
    """A TIFF, or a damaged JPEG/PNG/WebP/GIF: decoded and saved without metadata, or refused.

    Only reached after the header's pixel count passed the budget, so decoding
    is bounded; Pillow's own decompression-bomb guard stays on as a second check.
    """
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - Pillow is a declared dependency
        raise Unpublishable("无法处理：缺少 Pillow（pip install Pillow）") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format
                if fmt not in ("JPEG", "PNG", "WEBP", "TIFF", "GIF"):
                    raise Unpublishable(f"的内容是 {fmt} 格式，与扩展名不符，请重新导出为 JPG 或 PNG")
                frames = []
                for index in range(getattr(im, "n_frames", 1)):
                    im.seek(index)
                    im.load()
                    # a fresh image carries none of the file's tags, EXIF or XMP
                    frames.append(ImageOps.exif_transpose(im).copy())
                buf = io.BytesIO()
                first = frames[0]
                if fmt == "JPEG":
                    first.convert("RGB" if first.mode not in ("L", "RGB", "CMYK") else first.mode).save(buf, "JPEG", quality=92)
                elif fmt == "TIFF":
                    first.save(buf, "TIFF", compression="tiff_lzw", save_all=len(frames) > 1, append_images=frames[1:])
                else:
                    first.save(buf, fmt)
                return buf.getvalue()
    except Unpublishable:
        raise
    except Exception as exc:
        why = "尺寸过大" if "DecompressionBomb" in type(exc).__name__ else f"{type(exc).__name__}"
        raise Unpublishable(f"是已损坏的 {kind} 图片（{why}），无法去除其中的位置信息（GPS）等元数据，所以不能发布。请用看图软件重新导出为 JPG 或 PNG") from None


def _clean_gif(data: bytes) -> bytes:
    """A GIF without comment and application blocks (XMP hides in one); the loop block stays."""
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    out = bytearray(data[:pos])
    n = len(data)

    def sub_blocks(at: int) -> int:
        while True:
            if at >= n:
                raise _Malformed
            size = data[at]
            at += 1 + size
            if size == 0:
                return at

    while pos < n:
        block = data[pos]
        if block == 0x3B:  # trailer: anything after it goes
            out += b"\x3b"
            return bytes(out)
        if block == 0x2C:  # image: descriptor, local colour table, LZW data
            f = data[pos + 9]
            start = pos
            pos += 10 + (3 * 2 ** ((f & 7) + 1) if f & 0x80 else 0) + 1
            pos = sub_blocks(pos)
            out += data[start:pos]
        elif block == 0x21:
            label = data[pos + 1]
            start = pos
            end = sub_blocks(pos + 2)
            keep = label in (0xF9, 0x01) or (label == 0xFF and data[pos + 3 : pos + 14] in (b"NETSCAPE2.0", b"ANIMEXTS1.0"))
            if keep:
                out += data[start:end]
            pos = end
        else:
            raise _Malformed
    raise _Malformed  # no trailer


def _clean_package(data: bytes, limits: LimitsConfig) -> bytes:
    """A .docx/.xlsx/.pptx with every embedded image cleaned; the same bytes when none needed it."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return data  # not a package at all: its text reader says so
    cap = limits.document_unpacked_mb * 1024 * 1024
    with zf:
        if sum(i.file_size for i in zf.infolist()) > 4 * cap:
            # rewriting would unpack every member into memory
            raise Unpublishable(f"解压后超过 {4 * limits.document_unpacked_mb} MB（site.toml [limits] document_unpacked_mb 的 4 倍），无法检查其中的图片是否带有位置信息（GPS）")
        members: list[tuple[zipfile.ZipInfo, bytes]] = []
        changed = False
        for info in zf.infolist():
            if not _package_image(info):
                members.append((info, b""))
                continue
            if info.file_size > cap:
                raise Unpublishable(f"中的图片 {info.filename} 解压后超过 {limits.document_unpacked_mb} MB（site.toml [limits] document_unpacked_mb），无法检查")
            try:
                body = zf.read(info)
            except Exception:
                raise Unpublishable(f"中的 {info.filename} 已损坏，无法检查其中的位置信息（GPS）等元数据") from None
            try:
                clean = publishable_bytes(info.filename, body, limits)
            except Unpublishable as exc:
                raise Unpublishable(f"中的图片 {info.filename} {exc}") from None
            changed = changed or clean != body
            members.append((info, clean))
        if not changed:
            return data
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as out:
            for info, body in members:
                if not _package_image(info):
                    body = zf.read(info)
                copy = zipfile.ZipInfo(info.filename, info.date_time)  # same names and stamps: deterministic
                copy.compress_type = info.compress_type
                copy.external_attr = info.external_attr
                out.writestr(copy, body)
        return buf.getvalue()


def _package_image(info: zipfile.ZipInfo) -> bool:
    return not info.is_dir() and ("/media/" in info.filename or extension(info.filename) in IMAGE_EXTENSIONS)


def needs_cleaning(name: str, head: bytes) -> bool:
    """Whether a file goes through `publishable_bytes` before it is published."""
    return extension(name) in IMAGE_EXTENSIONS or extension(name) in OFFICE_EXTENSIONS or sniff_image(head) is not None


__all__ = [
    "ACTIVE_EXTENSIONS",
    "DOCUMENT_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "INSPECTED_EXTENSIONS",
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
