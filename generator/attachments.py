"""Load stage helper: what is inside an attachment, and the bytes that may be published.

Three jobs, all on bytes a caller has already read:

- `extract_text(name, data)`: the text of a PDF (pypdf) or DOCX (python-docx),
  page by page or paragraph by paragraph, so the privacy scan can read what a
  unit attaches (a 公示 list pasted into Word is the classic leak).
- `publishable_bytes(name, data)`: a JPEG, PNG or WebP with its EXIF, XMP and
  comment blocks removed (a phone photo carries the GPS position of where it
  was taken); the image data itself is copied byte for byte, never re-encoded,
  and the EXIF orientation is kept so the photo is not shown sideways.
- `ACTIVE_EXTENSIONS`: file types a browser would run as part of the site.

Nothing here raises on hostile or broken input: a document that cannot be read
says why in `DocumentText.problem`, an image that cannot be parsed comes back
unchanged. Only `read_document` touches the disk (memoised on path, size and
modification time, so a warm `serve` does not re-read unchanged PDFs).
"""

from __future__ import annotations

import functools
import io
import logging
import posixpath
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

# Served from the site's own origin these would run script (or server code on a
# misconfigured server) for every reader: one unit could deface everyone's pages.
ACTIVE_EXTENSIONS = frozenset(
    {
        ".html", ".htm", ".xhtml", ".xht", ".shtml", ".shtm", ".mht", ".mhtml", ".svg", ".svgz",
        ".xml", ".xsl", ".xslt", ".js", ".mjs", ".swf", ".hta", ".php", ".asp", ".aspx", ".jsp", ".cgi",
    }
)
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".docx"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp"})

# Beyond these a document is reported as not fully checked rather than read:
# a hostile file must not make every build slow or exhaust memory.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
MAX_PDF_PAGES = 500
MAX_DOCX_UNPACKED = 256 * 1024 * 1024


def extension(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def is_active(name: str) -> bool:
    return extension(name) in ACTIVE_EXTENSIONS


@dataclass(frozen=True)
class DocumentText:
    """The text of one attachment, split the way its reader counts positions."""

    kind: str  # "PDF 文档" | "Word 文档"
    part: str  # what one entry of `parts` is: "页" (PDF page) | "段" (Word paragraph or table row)
    parts: tuple[str, ...] = ()
    # why the text could not be (fully) read, in Chinese, to follow the file's name
    # ("设置了打开密码，无法读取其中的文字"); None when read
    problem: str | None = None

    @property
    def empty(self) -> bool:
        return not any(p.strip() for p in self.parts)


# ---------------------------------------------------------------------------
# text extraction


def extract_text(name: str, data: bytes) -> DocumentText | None:
    """Text of a PDF or DOCX attachment; None for other file types. Never raises."""
    ext = extension(name)
    if ext == ".pdf":
        if len(data) > MAX_DOCUMENT_BYTES:
            return DocumentText("PDF 文档", "页", problem=f"太大（超过 {MAX_DOCUMENT_BYTES // 1024 // 1024} MB），没有读取其中的文字")
        return _pdf_text(data)
    if ext == ".docx":
        if len(data) > MAX_DOCUMENT_BYTES:
            return DocumentText("Word 文档", "段", problem=f"太大（超过 {MAX_DOCUMENT_BYTES // 1024 // 1024} MB），没有读取其中的文字")
        return _docx_text(data)
    return None


@functools.lru_cache(maxsize=1024)
def read_document(path: Path, size: int, mtime_ns: int) -> DocumentText | None:
    """`extract_text` of a file on disk; size and mtime are the cache key, not read here."""
    if extension(path.name) not in DOCUMENT_EXTENSIONS:
        return None
    pdf = extension(path.name) == ".pdf"
    kind, part = ("PDF 文档", "页") if pdf else ("Word 文档", "段")
    if size > MAX_DOCUMENT_BYTES:
        return DocumentText(kind, part, problem=f"太大（超过 {MAX_DOCUMENT_BYTES // 1024 // 1024} MB），没有读取其中的文字")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return DocumentText(kind, part, problem=f"无法读取（{exc.strerror}）")
    return extract_text(path.name, data)


def _pdf_text(data: bytes) -> DocumentText:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a declared dependency
        return DocumentText("PDF 文档", "页", problem="无法读取：缺少 pypdf（pip install pypdf）")
    parts: list[str] = []
    # pypdf reports recoverable damage through logging and warnings; those would
    # print English noise into the build log, so they are silenced here and the
    # outcome is summarised in Chinese instead.
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except Exception:  # noqa: BLE001 - any failure means "cannot read"
                    ok = 0
                if not ok:
                    return DocumentText("PDF 文档", "页", problem="设置了打开密码，无法读取其中的文字")
            pages = reader.pages
            total = len(pages)
            for i in range(min(total, MAX_PDF_PAGES)):
                try:
                    parts.append(pages[i].extract_text() or "")
                except Exception:  # noqa: BLE001 - one broken page must not hide the others
                    parts.append("")
            if total > MAX_PDF_PAGES:
                return DocumentText("PDF 文档", "页", tuple(parts), problem=f"有 {total} 页，只读取了前 {MAX_PDF_PAGES} 页")
    except RecursionError:
        return DocumentText("PDF 文档", "页", tuple(parts), problem="结构嵌套过深，无法读取")
    except Exception as exc:  # noqa: BLE001 - hostile files raise anything; report, never crash
        return DocumentText("PDF 文档", "页", tuple(parts), problem=f"已损坏或格式不支持（{type(exc).__name__}）")
    finally:
        log.setLevel(level)
    return DocumentText("PDF 文档", "页", tuple(parts))


def _docx_text(data: bytes) -> DocumentText:
    try:
        import docx
        from docx.table import Table
    except ImportError:  # pragma: no cover - python-docx is a declared dependency
        return DocumentText("Word 文档", "段", problem="无法读取：缺少 python-docx（pip install python-docx）")
    try:
        # A zip bomb would be unpacked into memory by python-docx: refuse first.
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_DOCX_UNPACKED:
                return DocumentText("Word 文档", "段", problem="解压后过大，没有读取其中的文字")
        document = docx.Document(io.BytesIO(data))
        parts: list[str] = []

        def walk(container) -> None:
            for block in container.iter_inner_content():
                if isinstance(block, Table):
                    for row in block.rows:
                        cells: list[str] = []
                        for cell in row.cells:
                            if not cells or cells[-1] != cell.text:  # merged cells repeat
                                cells.append(cell.text)
                        parts.append("\t".join(cells))
                else:
                    parts.append(block.text)

        walk(document)
        for section in document.sections:
            for hf in (section.header, section.footer):
                if not hf.is_linked_to_previous:
                    walk(hf)
        return DocumentText("Word 文档", "段", tuple(parts))
    except zipfile.BadZipFile:
        return DocumentText("Word 文档", "段", problem="不是有效的 .docx 文件（可能是改了扩展名的 .doc，或已损坏）")
    except RecursionError:
        return DocumentText("Word 文档", "段", problem="结构嵌套过深，无法读取")
    except Exception as exc:  # noqa: BLE001 - hostile files raise anything; report, never crash
        return DocumentText("Word 文档", "段", problem=f"已损坏或格式不支持（{type(exc).__name__}）")


# ---------------------------------------------------------------------------
# EXIF removal


class _Malformed(Exception):
    """The container structure is not what its signature promised."""


def publishable_bytes(name: str, data: bytes) -> bytes:
    """The bytes to publish for attachment ``name``: images lose EXIF/XMP/GPS, others unchanged.

    Decided by content, not only by extension, so a PNG saved as ``.jpg`` is
    cleaned too. Never raises; an image that cannot be parsed is returned as is.
    """
    try:
        if data[:3] == b"\xff\xd8\xff":
            return _clean_jpeg(data)
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return _clean_png(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _clean_webp(data)
    except (_Malformed, IndexError, struct.error):
        return _reencode(data)
    return data


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


def _reencode(data: bytes) -> bytes:
    """Last resort for a damaged image: decode and save without metadata, or give it back."""
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - Pillow is a declared dependency
        return data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format
                if fmt not in ("JPEG", "PNG", "WEBP"):
                    return data
                im.load()
                clean = ImageOps.exif_transpose(im)
                buf = io.BytesIO()
                if fmt == "JPEG":
                    clean.convert("RGB" if clean.mode not in ("L", "RGB", "CMYK") else clean.mode).save(buf, "JPEG", quality=92)
                else:
                    clean.save(buf, fmt)
                return buf.getvalue()
    except Exception:  # noqa: BLE001 - not an image any browser could show either
        return data


__all__ = [
    "ACTIVE_EXTENSIONS",
    "DOCUMENT_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "DocumentText",
    "extract_text",
    "read_document",
    "publishable_bytes",
    "is_active",
    "extension",
]
