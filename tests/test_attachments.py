"""Every part of what units attach is read, and nothing is published with its GPS (issue 16, items 2, 3, 9).

Documents are generated here (python-docx plus raw WordprocessingML, hand-made
PDF objects, openpyxl, Pillow) with a personal number in each part a reader
can see; sites are built by the real `Builder` and the findings checked with
their located Chinese messages. Images and office files are built, then the
published file is opened with Pillow and its EXIF read.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from conftest import post_text, write_site
from hostile_files import MOBILES, docx_every_part, docx_with_picture, gps_exif, gps_of, jpeg_declaring, pdf_with_parts, photo

from generator.build.builder import Builder, BuildOptions
from generator.core.errors import Severity
from generator.load.attachments import Unpublishable, extract_text, publishable_bytes

AS_OF = dt.date(2026, 11, 27)


def _build(tmp_path: Path, files: dict[str, str | bytes], config: str | None = None):
    site = write_site(tmp_path / "site", files, config=config)
    out = tmp_path / "out"
    return out, Builder(BuildOptions(site, out, as_of=AS_OF)).build()


def _show(problems) -> str:
    return "\n".join(p.format() for p in problems)


def _masked(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def _post(**extra: object) -> str:
    return post_text("公示", "2026-03-05", "通知公告", "见附件。", **extra)


# ---------------------------------------------------------------------------
# reading every part


def test_docx_text_in_every_part_is_read_once_and_deleted_text_is_not() -> None:
    doc = extract_text("名单.docx", docx_every_part())
    assert doc is not None and doc.problem is None
    text = "\n".join(doc.parts)
    for where, number in MOBILES.items():
        assert text.count(number) == 1, f"{where}: {number} read {text.count(number)} times"
    assert "13800138099" not in text, "a tracked deletion is not in the accepted text"


def test_docx_every_part_is_an_error_at_its_paragraph_naming_the_post_line(tmp_path: Path) -> None:
    out, result = _build(tmp_path, {"content/jx/a/index.md": _post(attachments="[名单.docx]"), "content/jx/a/名单.docx": docx_every_part()})
    hits = [p for p in result.errors if p.path == "content/jx/a/名单.docx"]
    for where, number in MOBILES.items():
        assert any(_masked(number) in p.message and p.message.startswith("Word 文档第 ") for p in hits), f"{where}\n{_show(result.problems)}"
    assert all("（content/jx/a/index.md 第 5 行引用了这个文件）" in p.message for p in hits)
    header = next(p for p in hits if _masked(MOBILES["first-header"]) in p.message)
    assert "（页眉 header" in header.message and header.line >= 1
    assert not any(p in (_masked("13800138099"),) for p in (h.message for h in hits))
    assert not out.exists() or not any(out.rglob("*.html"))


def test_pdf_annotations_form_values_and_document_information_are_read(tmp_path: Path) -> None:
    pdf = pdf_with_parts("Sign-in sheet", "请联系 13800138012", "13800138013", "张三 13800138014")
    out, result = _build(tmp_path, {"content/jx/a/index.md": _post(attachments="[表.pdf]"), "content/jx/a/表.pdf": pdf})
    got = {p.message.split("：", 1)[0] for p in result.errors if p.path == "content/jx/a/表.pdf"}
    assert got == {"PDF 文档第 1 页的批注", "PDF 文档表单字段“phone”", "PDF 文档的文档信息（Author）"}, _show(result.problems)
    assert not out.exists() or not any(out.rglob("*.html"))


def test_xlsx_every_sheet_csv_in_gbk_and_utf16_text_are_read(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active["A1"] = "2026 年发展对象公示"
    sheet = book.create_sheet("名单")
    sheet.append(["姓名", "手机", "身份证号"])
    sheet.append(["张三", 13800138021, None])  # typed as a number, as Excel stores it
    sheet.append(["李四", None, "11010519491231002X"])
    buf = io.BytesIO()
    book.save(buf)
    files = {
        "content/jx/a/index.md": _post(attachments="[名单.xlsx, 名单.csv, 说明.txt]"),
        "content/jx/a/名单.xlsx": buf.getvalue(),
        "content/jx/a/名单.csv": "姓名,手机\n王五,13800138022\n".encode("gbk"),  # as Excel on a Chinese PC saves it
        "content/jx/a/说明.txt": "联系人 13800138023\n".encode("utf-16"),
    }
    _, result = _build(tmp_path, files)
    got = sorted((p.path, p.line, p.message.split("：", 1)[0]) for p in result.errors)
    assert got == [
        ("content/jx/a/名单.csv", 2, "CSV 表格第 2 行"),
        ("content/jx/a/名单.xlsx", 2, "Excel 表格工作表“名单”第 2 行"),
        ("content/jx/a/名单.xlsx", 3, "Excel 表格工作表“名单”第 3 行"),
        ("content/jx/a/说明.txt", 1, "文本文件第 1 行"),
    ], _show(result.problems)


def test_other_attachment_types_get_a_note_that_they_were_not_read(tmp_path: Path) -> None:
    files = {"content/jx/a/index.md": _post(attachments="[旧.doc, 材料.zip]"), "content/jx/a/旧.doc": b"\xd0\xcf\x11\xe0old", "content/jx/a/材料.zip": b"PK\x05\x06" + b"\0" * 18}
    _out, result = _build(tmp_path, files)
    assert result.ok, _show(result.problems)
    notes = [p for p in result.problems if p.severity is Severity.INFO and "没有自动检查" in p.message]
    assert sorted((p.path, p.line, p.message.split("”", 1)[0]) for p in notes) == [("content/jx/a/index.md", 5, "附件“旧.doc"), ("content/jx/a/index.md", 5, "附件“材料.zip")]


@pytest.mark.parametrize(
    "name,data,why",
    [
        ("加密.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "设置了打开密码"),
        ("加密.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "设置了打开密码"),
        ("坏.xlsx", b"PK\x03\x04broken", "不是有效的 .xlsx"),
        ("坏.pdf", b"%PDF-1.4\n1 0 obj <<", "已损坏"),
    ],
)
def test_unreadable_attachment_is_an_error_with_what_to_do(name: str, data: bytes, why: str, tmp_path: Path) -> None:
    out, result = _build(tmp_path, {"content/jx/a/index.md": _post(attachments=f"[{name}]"), f"content/jx/a/{name}": data})
    hits = [p for p in result.errors if p.path == "content/jx/a/index.md" and p.line == 5]
    assert len(hits) == 1 and why in hits[0].message and f"unreadable_ok: [{name}]" in hits[0].message, _show(result.problems)
    assert not out.exists() or not any(out.rglob("*.html"))


# ---------------------------------------------------------------------------
# EXIF and GPS in everything published


def _published(out: Path, name: str) -> bytes:
    return (out / "jx/a" / name).read_bytes()


def test_tiff_webp_and_gif_are_published_without_gps(tmp_path: Path) -> None:
    tiff, webp = photo("TIFF"), photo("WEBP", lossless=True)
    assert gps_of(tiff) and gps_of(webp), "the test photos must carry GPS"
    gif = photo("GIF")
    # an XMP packet in an application extension block, where GIF keeps its metadata
    xmp = b"\x21\xff\x0bXMP DataXMP" + b"\x20<exif:GPSLatitude>30,15N</exif:GPSLatitude>" + b"\x00"
    gif = gif[:-1] + xmp + b"\x3b"
    files = {"content/jx/a/index.md": _post(attachments="[现场.tif, 现场.webp, 动图.gif]"), "content/jx/a/现场.tif": tiff, "content/jx/a/现场.webp": webp, "content/jx/a/动图.gif": gif}
    out, result = _build(tmp_path, files)
    assert result.ok, _show(result.problems)
    for name in ("现场.tif", "现场.webp"):
        assert gps_of(_published(out, name)) == {}, name
    assert b"GPSLatitude" not in _published(out, "动图.gif")
    from PIL import Image

    with Image.open(io.BytesIO(_published(out, "现场.tif"))) as im, Image.open(io.BytesIO(tiff)) as before:
        assert im.size == before.size and im.convert("RGB").tobytes() == before.convert("RGB").tobytes(), "TIFF pixels are kept (lossless)"


def test_images_inside_a_docx_are_published_without_gps(tmp_path: Path) -> None:
    jpeg = photo("JPEG", quality=90)
    docx = docx_with_picture(jpeg)
    media = [n for n in zipfile.ZipFile(io.BytesIO(docx)).namelist() if "/media/" in n]
    assert media and gps_of(zipfile.ZipFile(io.BytesIO(docx)).read(media[0])), "the embedded photo must carry GPS"
    out, result = _build(tmp_path, {"content/jx/a/index.md": _post(attachments="[照片.docx]"), "content/jx/a/照片.docx": docx})
    assert result.ok, _show(result.problems)
    published = zipfile.ZipFile(io.BytesIO(_published(out, "照片.docx")))
    assert published.namelist() == zipfile.ZipFile(io.BytesIO(docx)).namelist()
    assert gps_of(published.read(media[0])) == {}
    import docx

    reopened = docx.Document(io.BytesIO(_published(out, "照片.docx")))  # Word's own structure still holds
    assert reopened.paragraphs[0].text == "活动照片" and len(reopened.inline_shapes) == 1


def test_a_damaged_jpeg_is_re_encoded_without_gps_never_copied(tmp_path: Path) -> None:
    good = photo("JPEG", quality=90)
    # a stray byte between two segments: the lossless cleaner cannot walk it, Pillow can decode it
    cut = good.index(b"\xff\xdb")
    damaged = good[:cut] + b"\x00" + good[cut:]
    assert gps_of(damaged)
    out, result = _build(tmp_path, {"content/jx/a/index.md": _post(attachments="[坏.jpg]"), "content/jx/a/坏.jpg": damaged})
    assert result.ok, _show(result.problems)
    assert gps_of(_published(out, "坏.jpg")) == {} and _published(out, "坏.jpg") != damaged


@pytest.mark.parametrize(
    "name,data,why",
    [
        ("现场.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 64, "HEIC"),
        ("残缺.jpg", jpeg_declaring(40, 30), "是已损坏的 JPEG 图片"),
    ],
)
def test_images_that_cannot_be_cleaned_are_errors_and_not_published(name: str, data: bytes, why: str, tmp_path: Path) -> None:
    files = {"content/jx/a/index.md": post_text("活动", "2026-03-05", "通知公告", f"现场：\n\n![照片]({name})"), f"content/jx/a/{name}": data}
    out, result = _build(tmp_path, files)
    hits = [p for p in result.errors if p.path == "content/jx/a/index.md" and p.line == 8]
    assert len(hits) == 1 and why in hits[0].message and "没有发布" in hits[0].message, _show(result.problems)
    assert not (out / "jx/a" / name).exists()


def test_publishable_bytes_of_a_docx_with_a_broken_image_refuses() -> None:
    docx = docx_with_picture(photo("JPEG"))
    src = zipfile.ZipFile(io.BytesIO(docx))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in src.infolist():
            out.writestr(info, jpeg_declaring(40, 30) if "/media/" in info.filename else src.read(info))
    with pytest.raises(Unpublishable, match="中的图片 word/media/"):
        publishable_bytes("照片.docx", buf.getvalue())
    assert gps_exif()  # (the helper is the one the photos above use)


def test_pptx_images_are_cleaned_and_its_text_is_noted_as_not_read(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("ppt/media/image1.jpeg", photo("JPEG", quality=90))
    out, result = _build(tmp_path, {"content/jx/a/index.md": _post(attachments="[汇报.pptx]"), "content/jx/a/汇报.pptx": buf.getvalue()})
    assert result.ok, _show(result.problems)
    notes = [p for p in result.problems if p.severity is Severity.INFO and "汇报.pptx" in p.message]
    assert len(notes) == 1 and "文字没有自动检查" in notes[0].message and (notes[0].path, notes[0].line) == ("content/jx/a/index.md", 5)
    assert gps_of(zipfile.ZipFile(io.BytesIO(_published(out, "汇报.pptx"))).read("ppt/media/image1.jpeg")) == {}


def test_text_and_page_budgets_stop_reading_with_the_setting_named() -> None:
    from hostile_files import pdf_shared_huge_stream

    from generator.load.config import LimitsConfig

    txt = ("公开晾晒" * 1000 + "\n").encode() * 10  # 40,000 characters
    doc = extract_text("长.txt", txt, LimitsConfig(document_text_kb=16))
    assert doc is not None and doc.problem == "其中的文字超过 16 千字（site.toml [limits] document_text_kb），没有读完"
    pdf = pdf_shared_huge_stream(pages=3, megabytes=0)
    doc = extract_text("三页.pdf", pdf, LimitsConfig(document_pages=2))
    assert doc is not None and doc.problem == "有 3 页，超过 2 页（site.toml [limits] document_pages），没有读完"
    doc = extract_text("大.pdf", pdf + b"\0" * (1 << 20), LimitsConfig(document_mb=1))  # padded past 1 MB
    assert doc is not None and doc.problem is not None and "document_mb" in doc.problem
