"""Load stage: the text of PDF attachments.

A reader in the shape `doc_budget.Reader`: page text, annotation contents,
form-field values and the document information. pypdf's own decompression
limits are set to ours, and every page's decompressed content is measured
before any text is extracted.
"""

from __future__ import annotations

import io
import warnings
import zlib
from typing import Any

from generator.load.doc_budget import Budget, OverLimit, Places


def pdf_text(data: bytes, budget: Budget, parts: list[str], places: Places) -> str | None:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a declared dependency
        return "无法读取：缺少 pypdf（pip install pypdf）"
    cap = budget.limits.document_unpacked_mb * 1024 * 1024
    # pypdf reports recoverable damage through logging and warnings; those would
    # print English noise into the build log, so they are silenced here and the
    # outcome is summarised in Chinese instead.
    import logging  # (here: a build that reads no PDF, a no-op one above all, need not import it)

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), _pypdf_limits(cap):
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not _decrypts(reader):
                return "设置了打开密码，无法读取其中的文字"
            pages = reader.pages
            _check_content(pages, budget, cap)
            _page_texts(pages, budget, parts)
            extra = _annotations(pages)
            budget.tick()
            extra += _form_fields(reader) + _information(reader)
            places.extend((n + 1, f"第 {n + 1} 页") for n in range(len(parts)))
            for line, label, text in extra:
                parts.append(budget.add(text))
                places.append((line, label))
    finally:
        log.setLevel(level)
    return None


def _decrypts(reader: Any) -> bool:
    """Whether the document opens with the empty password (an owner password only restricts printing)."""
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False


def _check_content(pages: Any, budget: Budget, cap: int) -> None:
    """The page count and the pages' decompressed content, within budget, before any text is extracted."""
    limits = budget.limits
    total = len(pages)
    if total > limits.document_pages:
        raise OverLimit(f"有 {total} 页，超过 {limits.document_pages} 页（site.toml [limits] document_pages）")
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
            raise OverLimit(f"页面内容解压后超过 {content_cap / 1024 / 1024:g} MB（site.toml [limits] document_unpacked_mb 的四分之一）")


class _OperatorClock:
    """Called for every content operator: the time budget holds inside a page too."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.operators = 0

    def __call__(self, *_args: Any) -> None:
        self.operators += 1
        if self.operators % 2048 == 0:
            self.budget.tick()


def _page_texts(pages: Any, budget: Budget, parts: list[str]) -> None:
    check = _OperatorClock(budget)
    for i in range(len(pages)):
        budget.tick()
        parts.append(budget.add(pages[i].extract_text(visitor_operand_before=check) or ""))


def _annotations(pages: Any) -> list[tuple[int, str, str]]:
    """(line, label, text) of every page's annotations that carry words."""
    extra: list[tuple[int, str, str]] = []
    for i in range(len(pages)):
        for annot in _resolved(pages[i].get("/Annots")) or ():
            annot = _resolved(annot)
            if hasattr(annot, "get"):
                words = " ".join(str(_resolved(annot.get(k))) for k in ("/T", "/Contents") if annot.get(k) is not None)
                if words.strip():
                    extra.append((i + 1, f"第 {i + 1} 页的批注", words))
    return extra


def _form_fields(reader: Any) -> list[tuple[int, str, str]]:
    if "/AcroForm" not in reader.trailer["/Root"]:
        return []
    extra: list[tuple[int, str, str]] = []
    for name, field in (reader.get_fields() or {}).items():
        value = field.get("/V")
        if value is not None and str(value).strip():
            extra.append((1, f"表单字段“{name}”", str(value)))
    return extra


def _information(reader: Any) -> list[tuple[int, str, str]]:
    return [(1, f"的文档信息（{str(key).lstrip('/')}）", str(value)) for key, value in (reader.metadata or {}).items() if value is not None and str(value).strip()]


def _resolved(obj):
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _pypdf_limits(cap: int):
    """pypdf's own decompression limits set to ours where this pypdf has them (5.x and later)."""
    import contextlib

    try:
        from pypdf import apply_configuration
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
