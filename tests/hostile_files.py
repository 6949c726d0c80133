"""Attachments made in the tests (issue 16): documents with text in every part a
reader can see, and small files that would stall a build without `[limits]`.

Everything is generated here from scratch: hand-written PDF objects (no
reportlab), python-docx plus raw WordprocessingML, openpyxl, Pillow, zlib.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

# distinct numbers, one per place they hide in, so a test can tell which was found
MOBILES = {
    "body": "13800138001",
    "first-header": "13800138002",
    "even-header": "13800138003",
    "nested-table": "13800138004",
    "content-control": "13800138005",
    "insertion": "13800138006",
    "text-box": "13800138007",
    "field": "13800138008",
    "even-footer": "13800138009",
}


# ---------------------------------------------------------------------------
# PDF written object by object


def pdf_from_objects(objects: list[bytes], root: int = 1, info: int | None = None) -> bytes:
    """A PDF whose object n (1-based) is ``objects[n-1]``, with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    trailer = f"<< /Size {len(objects) + 1} /Root {root} 0 R" + (f" /Info {info} 0 R" if info else "") + " >>"
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes, compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        return f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"
    return f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def tiny_pdf(text: str = "plan") -> bytes:
    """A small readable one-page PDF (since issue 16 an unreadable PDF is an error by default)."""
    content = f"BT /F1 12 Tf 72 760 Td ({text}) Tj ET".encode("latin-1")
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            _stream(content, compress=False),
        ]
    )


# 1×1 PNG, structurally complete
TINY_PNG = (
    b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    + b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef" + b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pdf_shared_huge_stream(pages: int = 20, megabytes: int = 56) -> bytes:
    """Issue 16, item 8: ~110 KB whose ``pages`` pages all show one ``megabytes`` MB text stream."""
    line = b"(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) Tj\n"
    content = b"BT /F1 12 Tf 72 760 Td\n" + line * (megabytes * 1024 * 1024 // len(line)) + b"ET"
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(content),
    ]
    for _ in range(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
    return pdf_from_objects(objects)


def pdf_with_parts(page_text: str, annotation: str, field_value: str, author: str) -> bytes:
    """One page of text, a note annotation, a filled text field and an /Info author."""
    content = f"BT /F1 12 Tf 72 760 Td ({page_text}) Tj ET".encode("latin-1")

    def pdf_string(s: str) -> str:
        return "<FEFF" + s.encode("utf-16-be").hex().upper() + ">"

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R /Annots [6 0 R 7 0 R] >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(content, compress=False),
        f"<< /Type /Annot /Subtype /Text /Rect [100 100 120 120] /T {pdf_string('审核人')} /Contents {pdf_string(annotation)} >>".encode(),
        f"<< /Type /Annot /Subtype /Widget /FT /Tx /T (phone) /V {pdf_string(field_value)} /Rect [100 200 300 220] /P 3 0 R >>".encode(),
        f"<< /Author {pdf_string(author)} /Title (list) >>".encode(),
    ]
    return pdf_from_objects(objects, info=8)


# ---------------------------------------------------------------------------
# DOCX


def _docx_bytes(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def docx_every_part() -> bytes:
    """A .docx with a personal number in each place python-docx's paragraph walk misses."""
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    wps = (
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"'
    )
    document = docx.Document()
    document.add_paragraph(f"正文 {MOBILES['body']}")
    section = document.sections[0]
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = f"首页页眉 {MOBILES['first-header']}"
    document.settings.odd_and_even_pages_header_footer = True
    section.even_page_header.paragraphs[0].text = f"偶数页页眉 {MOBILES['even-header']}"
    section.even_page_footer.paragraphs[0].text = f"偶数页页脚 {MOBILES['even-footer']}"
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "外层"
    inner = outer.cell(0, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = f"嵌套表格 {MOBILES['nested-table']}"
    body = document.element.body
    xml = [
        f'<w:sdt {w}><w:sdtContent><w:p><w:r><w:t>内容控件 {MOBILES["content-control"]}</w:t></w:r></w:p></w:sdtContent></w:sdt>',
        f'<w:p {w}><w:ins w:id="1" w:author="x" w:date="2026-03-01T00:00:00Z"><w:r><w:t>修订插入 {MOBILES["insertion"]}</w:t></w:r></w:ins>'
        f'<w:del w:id="2" w:author="x" w:date="2026-03-01T00:00:00Z"><w:r><w:delText>已删除 13800138099</w:delText></w:r></w:del></w:p>',
        f'<w:p {w} {wps}><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>'
        f'<w:p><w:r><w:t>文本框 {MOBILES["text-box"]}</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>'
        f'<mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>文本框 {MOBILES["text-box"]}</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback>'
        f"</mc:AlternateContent></w:r></w:p>",
        f'<w:p {w}><w:fldSimple w:instr=" DOCPROPERTY phone "><w:r><w:t>域 {MOBILES["field"]}</w:t></w:r></w:fldSimple></w:p>',
    ]
    sect = body[-1]  # sectPr stays last
    for x in xml:
        sect.addprevious(parse_xml(x))
    return _docx_bytes(document)


def docx_with_paragraphs(count: int, megabytes: int | None = None) -> bytes:
    """Issue 16, item 8: a small .docx whose document.xml unpacks to ``megabytes`` MB of empty paragraphs."""
    import docx

    base = _docx_bytes(docx.Document())
    src = zipfile.ZipFile(io.BytesIO(base))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                head, _, tail = data.decode().partition("<w:body>")
                empty = b"<w:p/>"
                n = (megabytes * 1024 * 1024 // len(empty)) if megabytes else count
                data = (head + "<w:body>").encode() + empty * n + tail.encode()
            out.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def docx_with_picture(jpeg: bytes) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("活动照片")
    document.add_picture(io.BytesIO(jpeg))
    return _docx_bytes(document)


# ---------------------------------------------------------------------------
# images


def gps_exif():
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 12.5), 3: "E", 4: (120.0, 9.0, 1.0)}
    return exif


def photo(fmt: str, size: tuple[int, int] = (40, 30), **save) -> bytes:
    """A small photo carrying a GPS position and a camera maker."""
    from PIL import Image

    im = Image.new("RGB", size, (200, 30, 30))
    for x in range(size[0]):
        im.putpixel((x, x % size[1]), (0, 0, 255))
    buf = io.BytesIO()
    im.save(buf, fmt, exif=gps_exif().tobytes(), **save)
    return buf.getvalue()


def jpeg_declaring(width: int, height: int, gps: bool = True) -> bytes:
    """Issue 16, items 8 and 9: a few hundred bytes of malformed JPEG whose frame header declares
    width × height, with a GPS block before it and a stray byte after it (the structure is broken,
    so only decoding could clean it)."""
    seg = lambda marker, body: bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body  # noqa: E731
    app1 = seg(0xE1, b"Exif\x00\x00" + gps_exif().tobytes()) if gps else b""
    sof = seg(0xC0, struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00")
    dht = seg(0xC4, b"\x00" + bytes([0, 1] + [0] * 14) + b"\x00")
    sos = seg(0xDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00")
    return b"\xff\xd8" + app1 + sof + b"\x00" + dht + sos + bytes(range(1, 255)) * 2


def png_without_iend(width: int, height: int, zero_megabytes: int = 50) -> bytes:
    """Issue 16, item 8: a PNG of width × height whose image data stops early and has no IEND."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    comp = zlib.compressobj(9)
    zeros = b"\x00" * (1024 * 1024)
    idat = b"".join(comp.compress(zeros) for _ in range(zero_megabytes)) + comp.flush(zlib.Z_SYNC_FLUSH)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IDAT", idat)


def gps_of(data: bytes) -> dict:
    """The GPS block Pillow finds in an image file ({} when there is none)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        return dict(exif.get_ifd(0x8825)) | ({"maker": exif[0x010F]} if 0x010F in exif else {})
