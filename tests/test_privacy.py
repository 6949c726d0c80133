"""The privacy and secrecy check (issue 7, DOMAIN.md "What must never be published").

Personal data in many forms, masked forms that must pass, site.toml's allow
list and severity overrides, privacy_ok acknowledgements shown in the build
log, secrecy markers, text inside PDF and DOCX attachments, and JPEG/PNG/WebP
attachments published without their EXIF location data. Findings are checked
on real sites through the real Builder and CLI: path, line, column, severity,
the masked match, and that the number itself never appears in the log.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import post_text, run_cli, write_site

from generator.build.builder import Builder, BuildOptions
from generator.core.errors import Severity
from generator.core.privacy import id18_valid, luhn_valid, mask, scan
from generator.load.attachments import extract_text, publishable_bytes

AS_OF = dt.date(2026, 11, 27)
BODY = 6  # first body line of a post_text() post without extra fields


def luhn_complete(prefix: str) -> str:
    """``prefix`` plus the check digit that makes it Luhn-valid."""
    for d in "0123456789":
        if luhn_valid(prefix + d):
            return prefix + d
    raise AssertionError


CARD16 = luhn_complete("622202123456789")  # 16 digits
CARD19 = luhn_complete("621700001234567890")  # 19 digits
FW = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


# ---------------------------------------------------------------------------
# the scan on its own: (text) -> [(rule, column, masked)]

SCAN_CASES: dict[str, tuple[str, list[tuple[str, int, str]]]] = {
    "id18-valid": ("身份证号 11010519491231002X 。", [("id18", 6, "110***********002X")]),
    "id18-valid-1880": ("440524188001010014", [("id18", 1, "440***********0014")]),
    "id18-lowercase-x": ("11010519491231002x", [("id18", 1, "110***********002X")]),
    "id18-bad-checksum": ("110105194912310021", [("id18-invalid", 1, "110***********0021")]),
    "id18-grouped-6-8-4": ("号码：110105 19491231 002X", [("id18", 4, "110***********002X")]),
    "id18-grouped-6-4-4-4": ("110105-1949-1231-002X", [("id18", 1, "110***********002X")]),
    "id18-full-width": ("证件：" + "11010519491231002X".translate(FW), [("id18", 4, "110***********002X")]),
    "id15": ("旧证 110105491231002", [("id15", 4, "110********1002")]),
    "mobile-plain": ("电话13800138000。", [("mobile", 3, "138****8000")]),
    "mobile-plus86-spaces": ("+86 138 0013 8000", [("mobile", 1, "138****8000")]),
    "mobile-plus86-dashes": ("+86-138-0013-8000", [("mobile", 1, "138****8000")]),
    "mobile-0086": ("0086 13800138000", [("mobile", 1, "138****8000")]),
    "mobile-86-solid": ("8613800138000", [("mobile", 1, "138****8000")]),
    "mobile-parenthesised": ("（+86）13800138000", [("mobile", 1, "138****8000")]),
    "mobile-spaces": ("联系 138 0013 8000 即可", [("mobile", 4, "138****8000")]),
    "mobile-full-width": ("１３８００１３８０００", [("mobile", 1, "138****8000")]),
    "mobile-full-width-dashes": ("１３８－００１３－８０００", [("mobile", 1, "138****8000")]),
    "mobile-zero-width-spaces": ("手机 138\u200b0013\u200b8000", [("mobile", 4, "138****8000")]),
    "bankcard-16-spaces": (f"卡号 {CARD16[:4]} {CARD16[4:8]} {CARD16[8:12]} {CARD16[12:]}", [("bankcard", 4, mask(CARD16))]),
    "bankcard-19-solid": (f"卡号{CARD19}", [("bankcard", 3, mask(CARD19))]),
    "bankcard-full-width": (CARD16.translate(FW), [("bankcard", 1, mask(CARD16))]),
    "secret-markers": ("秘密★1年 绝密 内部资料 注意保密 征求意见稿 机密", [("secret", 1, "秘密"), ("secret", 3, "★"), ("secret", 7, "绝密"), ("secret", 10, "内部资料"), ("secret", 15, "注意保密"), ("secret", 20, "征求意见稿"), ("secret", 26, "机密")]),
    # must pass
    "masked-id": ("110105********002X", []),
    "masked-id-tail": ("110105200501011***", []),
    "masked-mobile": ("138****5678 与 1380013****", []),
    "masked-card": ("6222 **** **** 1234", []),
    "luhn-invalid-card": (luhn_complete("622202123456789")[:-1] + str((int(CARD16[-1]) + 1) % 10), []),
    "office-landline": ("党办电话 0571-88888888，传真 0571-88881234", []),
    "dates-and-times": ("2026-03-05 14:30 召开，文号 20260305，编号 202603051430", []),
    "longer-number-is-not-an-id": ("订单 9911010519491231002X7", []),
    # issue 16: Latin letters are a boundary, not glue (TEL…, QQ…, ID…) …
    "letters-before": ("ABC13800138000", [("mobile", 4, "138****8000")]),
    "letters-after": ("13800138000abc", [("mobile", 1, "138****8000")]),
    # … but digits with a letter directly on both sides are the inside of a hash or token
    "letters-around": ("ABC13800138000def", []),
}


@pytest.mark.parametrize("name", sorted(SCAN_CASES))
def test_scan(name: str) -> None:
    text, expected = SCAN_CASES[name]
    got = [(f.rule, f.column, f.masked) for f in scan(text)]
    assert got == expected


def test_checksum_helpers() -> None:
    assert id18_valid("11010519491231002X") and id18_valid("440524188001010014")
    assert not id18_valid("110105194912310021")
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


def test_scan_counts_lines_like_an_editor() -> None:
    # \x0b, \x1c and U+2028 are line breaks to str.splitlines() but not to an editor
    text = "第一行\x0b仍是第一行\n第二行\x1c\n第三行 13800138000"
    (f,) = scan(text)
    assert (f.line, f.column) == (3, 5)


# ---------------------------------------------------------------------------
# through the build: severity, location, the log never shows the number


def _build(tmp_path: Path, files: dict[str, str | bytes], config: str | None = None):
    site = write_site(tmp_path / "site", files, config=config)
    out = tmp_path / "out"
    return site, out, Builder(BuildOptions(site, out, as_of=AS_OF)).build()


def _show(problems) -> str:
    return "\n".join(p.format() for p in problems)


# name -> (body, site.toml, expected (severity, line, column, fragments) or None for "no finding")
BUILD_CASES: dict[str, tuple[str, str | None, tuple[str, int, int, tuple[str, ...]] | None]] = {
    "id18-error": ("申请人：张三，11010519491231002X。", None, ("error", BODY, 8, ("18 位公民身份号码", "110***********002X", "打码", "privacy_ok"))),
    "id18-invalid-warning": ("申请人：张三，110105194912310021。", None, ("warning", BODY, 8, ("校验位不符", "110***********0021"))),
    "id15-error": ("110105491231002", None, ("error", BODY, 1, ("15 位公民身份号码",))),
    "mobile-error": ("联系人：李老师 138-0013-8000", None, ("error", BODY, 9, ("手机号码", "138****8000"))),
    "mobile-plus86": ("电话 +86 138 0013 8000", None, ("error", BODY, 4, ("手机号码",))),
    "mobile-full-width": ("手机：１３８００１３８０００", None, ("error", BODY, 4, ("手机号码", "138****8000"))),
    "bankcard-error": (f"补助打入 {CARD19}", None, ("error", BODY, 6, ("银行卡号", mask(CARD19)))),
    "secret-error": ("本材料为内部资料，请勿外传。", None, ("error", BODY, 5, ("涉密标识", "内部资料", "人工审核", 'privacy_ok: ["内部资料"]'))),
    "secret-star": ("秘密★1年", None, ("error", BODY, 1, ("涉密标识“秘密”",))),
    "draft-for-comment": ("（征求意见稿）", None, ("error", BODY, 2, ("征求意见稿",))),
    "masked-passes": ("张三 110105********002X，电话 138****5678", None, None),
    "allow-listed-mobile": ("党办值班手机 138-0013-8000", '[privacy]\nallow = ["13800138000"]\n', None),
    "allow-listed-full-width-config": ("党办值班手机 13800138000", '[privacy]\nallow = ["１３８ ００１３ ８０００"]\n', None),
    "allow-list-other-number": ("手机 13900139000", '[privacy]\nallow = ["13800138000"]\n', ("error", BODY, 4, ("手机号码",))),
    "severity-mobile-warning": ("手机 13800138000", '[privacy]\nseverity = { mobile = "warning" }\n', ("warning", BODY, 4, ("手机号码",))),
    "severity-invalid-id-error": ("110105194912310021", '[privacy]\nseverity = { id18-invalid = "error" }\n', ("error", BODY, 1, ("校验位不符",))),
    "severity-secret-off": ("内部资料", '[privacy]\nseverity = { secret = "off" }\n', None),
}


@pytest.mark.parametrize("name", sorted(BUILD_CASES))
def test_privacy_in_build(name: str, tmp_path: Path) -> None:
    body, config, expected = BUILD_CASES[name]
    _, out, result = _build(tmp_path, {"content/jx/a.md": post_text("公示", "2026-03-05", "通知公告", body)}, config)
    found = [p for p in result.problems if p.kind.value == "privacy" and p.path == "content/jx/a.md"]
    if expected is None:
        assert not found, _show(found)
        assert result.ok and (out / "jx/a/index.html").exists()
        return
    severity, line, column, fragments = expected
    hits = [p for p in found if p.severity.value == severity and p.line == line and p.column == column and all(f in p.message for f in fragments)]
    assert hits, f"expected {severity} at {line}:{column} with {fragments}, got:\n{_show(result.problems)}"
    assert result.ok == (severity != "error")
    if severity == "error":
        assert not out.exists() or not any(out.rglob("*.html"))


def test_findings_print_path_line_column_masked_and_never_the_number(tmp_path: Path) -> None:
    body = "第一行\n\n名单：王五 11010519491231002X，手机 １３８００１３８０００。"
    site = write_site(tmp_path / "site", {"content/jx/a.md": post_text("公示", "2026-03-05", "通知公告", body)})
    for args in (("check", str(site)), ("build", str(site), "-o", str(tmp_path / "out"), "--as-of", "2026-11-27")):
        proc = run_cli(*args)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert f"content/jx/a.md:{BODY + 2}:7: 错误：发现 18 位公民身份号码“110***********002X”" in proc.stderr, proc.stderr
        assert f"content/jx/a.md:{BODY + 2}:29: 错误：发现手机号码“138****8000”" in proc.stderr, proc.stderr
        # issue 16: the suggested acknowledgement is the masked form, so nothing needs stripping
        assert 'privacy_ok: ["110***********002X"]' in proc.stderr and 'privacy_ok: ["138****8000"]' in proc.stderr
        log = proc.stdout + proc.stderr
        assert "11010519491231002X" not in log and "１３８００１３８０００" not in log and "13800138000" not in log


def test_front_matter_is_scanned_too(tmp_path: Path) -> None:
    text = "---\ntitle: 关于张三（11010519491231002X）的公示\ndate: 2026-03-05\nsection: 通知公告\n# 联系人 13800138000\n---\n正文\n"
    _, _, result = _build(tmp_path, {"content/jx/a.md": text})
    where = {(p.line, p.column) for p in result.errors if p.kind.value == "privacy"}
    assert where == {(2, 13), (5, 7)}, _show(result.problems)


def test_privacy_ok_acknowledges_one_finding_and_the_build_log_shows_it(tmp_path: Path) -> None:
    body = "党办值班手机 138-0013-8000；联系人手机 13900139000。"
    post = post_text("通知", "2026-03-05", "通知公告", body, privacy_ok='["138-0013-8000"]')
    site, out, result = _build(tmp_path, {"content/jx/a.md": post})
    infos = [p for p in result.problems if p.severity is Severity.INFO and p.kind.value == "privacy"]
    assert [(p.line, p.column) for p in infos] == [(BODY + 1, 8)], _show(result.problems)
    assert "已确认公开：手机号码“138****8000”" in infos[0].message
    errors = [p for p in result.errors if p.kind.value == "privacy"]
    assert [(p.line, p.column) for p in errors] == [(BODY + 1, 28)], "the other number is still an error"
    # acknowledge both: the build passes and the log shows each acknowledgement as 提示
    (site / "content/jx/a.md").write_text(post_text("通知", "2026-03-05", "通知公告", body, privacy_ok='["138-0013-8000", "13900139000"]'), encoding="utf-8")
    proc = run_cli("build", str(site), "-o", str(out), "--as-of", "2026-11-27")
    assert proc.returncode == 0, proc.stderr
    assert f"content/jx/a.md:{BODY + 1}:8: 提示：已确认公开：手机号码“138****8000”（front-matter 中 privacy_ok 已列出）。" in proc.stdout
    assert f"content/jx/a.md:{BODY + 1}:28: 提示：已确认公开：手机号码“139****9000”" in proc.stdout
    # the privacy_ok line itself is not reported as a finding
    assert "content/jx/a.md:5:" not in proc.stdout + proc.stderr
    assert "13900139000" in (out / "jx/a/index.html").read_text("utf-8"), "an acknowledged number is published as written"


def test_privacy_ok_must_name_the_exact_string(tmp_path: Path) -> None:
    body = "手机 13800138000"
    _, _, result = _build(tmp_path, {"content/jx/a.md": post_text("通知", "2026-03-05", "通知公告", body, privacy_ok='["138-0013-8000"]')})
    assert any(p.is_error and p.line == BODY + 1 and "手机号码" in p.message for p in result.problems), _show(result.problems)
    unused = [p for p in result.problems if p.severity is Severity.WARNING and p.line == 5]
    # issue 16: the unused entry is named in its masked form, never as written
    assert unused and "没有找到" in unused[0].message and "138****8000" in unused[0].message
    assert "138-0013-8000" not in unused[0].message and "13800138000" not in unused[0].message


def test_privacy_ok_acknowledges_a_secrecy_marker(tmp_path: Path) -> None:
    post = post_text("征求意见", "2026-03-05", "通知公告", "关于《支部工作细则（征求意见稿）》公开征求意见的通知", privacy_ok="[征求意见稿]")
    _, _, result = _build(tmp_path, {"content/jx/a.md": post})
    assert result.ok, _show(result.problems)
    assert any(p.severity is Severity.INFO and "已确认公开：涉密标识“征求意见稿”" in p.message for p in result.problems)


# ---------------------------------------------------------------------------
# PDF and DOCX attachments


def pdf_with_text(*pages: str, password: str | None = None) -> bytes:
    """A real PDF whose page n shows ``pages[n-1]`` (ASCII, Helvetica)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    for text in pages:
        page = writer.add_blank_page(595, 842)
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"), NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 760 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    if password:
        writer.encrypt(password)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def docx_with(paragraphs: list[str], table: list[list[str]] | None = None, footer: str | None = None) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    if footer:
        document.sections[0].footer.paragraphs[0].text = footer
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_extract_text_reads_pdf_pages_and_docx_paragraphs_and_tables() -> None:
    pdf = extract_text("名单.pdf", pdf_with_text("Sign-in sheet", "Zhang San 11010519491231002X"))
    # pages first, then annotations, form values and the document information ("pypdf" made it)
    assert pdf is not None and pdf.parts[:2] == ("Sign-in sheet", "Zhang San 11010519491231002X") and pdf.problem is None
    assert pdf.place(2) == (1, "的文档信息（Producer）") and pdf.parts[2] == "pypdf"
    doc = extract_text("名单.DOCX", docx_with(["公示名单"], [["姓名", "手机"], ["李四", "13800138000"]], footer="内部资料"))
    # paragraphs and table rows, then every header and footer, then the document properties
    assert doc is not None and doc.parts[:5] == ("公示名单", "姓名\t手机", "李四\t13800138000", "内部资料", "python-docx")
    assert doc.place(3) == (4, "第 4 段（页脚 footer1.xml）") and doc.place(4) == (1, "的文档属性（creator）")
    assert extract_text("photo.png", b"\x89PNG") is None


@pytest.mark.parametrize(
    "name,data,problem",
    [
        ("fake.pdf", b"%PDF-1.4\n%fake\n", "已损坏"),
        ("locked.pdf", None, "密码"),
        ("renamed.docx", b"\xd0\xcf\x11\xe0 an old .doc renamed", "不是有效的 .docx"),
        ("empty.pdf", b"", "已损坏"),
        ("truncated.docx", b"PK\x03\x04\x14\x00", "不是有效的 .docx"),
    ],
)
def test_extract_text_never_raises_on_broken_documents(name: str, data: bytes | None, problem: str) -> None:
    doc = extract_text(name, data if data is not None else pdf_with_text("x", password="mima"))
    assert doc is not None and doc.problem is not None and problem in doc.problem


def test_id_in_pdf_attachment_is_an_error_at_the_attachment_page(tmp_path: Path) -> None:
    files = {
        "content/jx/gs/index.md": post_text("公示", "2026-03-05", "通知公告", "见附件。", attachments="[名单.pdf]"),
        "content/jx/gs/名单.pdf": pdf_with_text("Candidates", "Zhang San 11010519491231002X"),
    }
    _, out, result = _build(tmp_path, files)
    hits = [p for p in result.errors if p.path == "content/jx/gs/名单.pdf"]
    assert len(hits) == 1, _show(result.problems)
    assert hits[0].line == 2 and "PDF 文档第 2 页：发现 18 位公民身份号码“110***********002X”" in hits[0].message
    assert hits[0].format().startswith("content/jx/gs/名单.pdf:2: 错误：PDF 文档第 2 页")
    assert not out.exists() or not any(out.rglob("*.html"))


def test_mobile_in_docx_table_and_marker_in_footer(tmp_path: Path) -> None:
    files = {
        "content/jx/a.md": post_text("名单", "2026-03-05", "通知公告", "见附件。", attachments="[名单.docx]"),
        "content/jx/名单.docx": docx_with(["公示名单"], [["姓名", "手机"], ["李四", "13800138000"]], footer="内部资料"),
    }
    _, _, result = _build(tmp_path, files)
    got = sorted((p.line, p.message.split("：", 1)[0]) for p in result.errors if p.path == "content/jx/名单.docx")
    assert got == [(3, "Word 文档第 3 段"), (4, "Word 文档第 4 段（页脚 footer1.xml）")], _show(result.problems)
    # every finding inside an attachment names the post line that attaches it
    assert all("（content/jx/a.md 第 5 行引用了这个文件）" in p.message for p in result.errors), _show(result.problems)


def test_pdf_linked_from_the_body_is_scanned_and_privacy_ok_covers_attachments(tmp_path: Path) -> None:
    pdf = pdf_with_text("Contact: 13800138000")
    files = {
        "content/jx/a/index.md": post_text("通知", "2026-03-05", "通知公告", "详见[报名表](报名表.pdf)。"),
        "content/jx/a/报名表.pdf": pdf,
    }
    _, _, result = _build(tmp_path, files)
    assert [(p.path, p.line) for p in result.errors] == [("content/jx/a/报名表.pdf", 1)], _show(result.problems)
    files["content/jx/a/index.md"] = post_text("通知", "2026-03-05", "通知公告", "详见[报名表](报名表.pdf)。", privacy_ok='["13800138000"]')
    _, out, result = _build(tmp_path / "again", files)
    assert result.ok, _show(result.problems)
    assert any(p.severity is Severity.INFO and p.path == "content/jx/a/报名表.pdf" and "已确认公开" in p.message for p in result.problems)
    assert (out / "jx/a/报名表.pdf").read_bytes() == pdf


def test_unreadable_pdf_is_an_error_at_the_line_that_attaches_it(tmp_path: Path) -> None:
    files = {
        "content/jx/a/index.md": post_text("通知", "2026-03-05", "通知公告", "正文", attachments="[locked.pdf, scan.pdf]"),
        "content/jx/a/locked.pdf": pdf_with_text("13800138000", password="mima"),
        "content/jx/a/scan.pdf": pdf_with_text(""),
    }
    _, out, result = _build(tmp_path, files)
    assert not result.ok and not (out / "jx/a/locked.pdf").exists(), "an unchecked document is never published by default"
    locked = [p for p in result.problems if "locked.pdf" in p.message]
    assert [(p.severity, p.path, p.line) for p in locked] == [(Severity.ERROR, "content/jx/a/index.md", 5)], _show(result.problems)
    assert "设置了打开密码" in locked[0].message and "unreadable_ok: [locked.pdf]" in locked[0].message
    scan_ = [p for p in result.problems if "scan.pdf" in p.message]
    assert [p.severity for p in scan_] == [Severity.INFO] and "扫描件" in scan_[0].message


def test_unreadable_pdf_published_after_a_human_check_or_when_the_site_accepts_the_risk(tmp_path: Path) -> None:
    locked = pdf_with_text("13800138000", password="mima")
    # per file: the post says a person has checked it
    files = {
        "content/jx/a/index.md": post_text("通知", "2026-03-05", "通知公告", "正文", attachments="[locked.pdf]", unreadable_ok="[locked.pdf]"),
        "content/jx/a/locked.pdf": locked,
    }
    _, out, result = _build(tmp_path / "ack", files)
    assert result.ok, _show(result.problems)
    assert any(p.severity is Severity.INFO and "unreadable_ok 已确认" in p.message for p in result.problems)
    assert (out / "jx/a/locked.pdf").read_bytes() == locked
    # per site: [privacy] unreadable = "warning"
    files["content/jx/a/index.md"] = post_text("通知", "2026-03-05", "通知公告", "正文", attachments="[locked.pdf]")
    _, out, result = _build(tmp_path / "site-wide", files, config='[privacy]\nunreadable = "warning"\n')
    assert result.ok, _show(result.problems)
    assert [p.severity for p in result.problems if "locked.pdf" in p.message] == [Severity.WARNING]
    assert "人工核对" in next(p.message for p in result.problems if "locked.pdf" in p.message)
    # an acknowledgement that names nothing is reported
    files["content/jx/a/index.md"] = post_text("通知", "2026-03-05", "通知公告", "正文", unreadable_ok="[没有这个.pdf]")
    _, _, result = _build(tmp_path / "stale", files)
    assert any(p.severity is Severity.WARNING and p.line == 5 and "没有这个.pdf" in p.message for p in result.problems), _show(result.problems)


# ---------------------------------------------------------------------------
# EXIF: publishable_bytes


def _photo(fmt: str, orientation: int = 6, size: tuple[int, int] = (48, 32), **save) -> bytes:
    from PIL import Image

    im = Image.new("RGB", size, (180, 20, 20))
    for x in range(size[0]):
        im.putpixel((x, x % size[1]), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "HUAWEI"
    exif[0x0110] = "Mate 60"
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 12.5), 3: "E", 4: (120.0, 9.0, 1.0)}
    buf = io.BytesIO()
    im.save(buf, fmt, exif=exif.tobytes(), **save)
    return buf.getvalue()


def _pixels(data: bytes) -> list:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return list(im.convert("RGB").tobytes())


@pytest.mark.parametrize(
    "name,fmt,save",
    [("photo.jpg", "JPEG", {"quality": 90}), ("photo.JPEG", "JPEG", {"quality": 80, "progressive": True}), ("photo.png", "PNG", {}), ("photo.webp", "WEBP", {"lossless": True})],
)
def test_publishable_bytes_removes_gps_and_keeps_pixels(name: str, fmt: str, save: dict) -> None:
    from PIL import Image

    data = _photo(fmt, **save)
    with Image.open(io.BytesIO(data)) as before:
        assert before.getexif().get_ifd(0x8825), "the test photo must carry GPS"
    clean = publishable_bytes(name, data)
    assert b"HUAWEI" not in clean and b"Mate 60" not in clean
    with Image.open(io.BytesIO(clean)) as after:
        after.load()
        exif = after.getexif()
        assert not exif.get_ifd(0x8825) and 0x8825 not in exif and 0x010F not in exif
        assert after.format == fmt and after.size == (48, 32)
        if fmt != "WEBP":
            assert dict(exif) == {0x0112: 6}, "orientation is kept so the photo is not shown sideways"
    assert _pixels(clean) == _pixels(data), "image data is copied, not re-encoded"
    assert publishable_bytes(name, clean) == clean, "cleaning is idempotent"


def test_publishable_bytes_drops_xmp_comments_and_trailing_data() -> None:
    data = _photo("JPEG", orientation=1, quality=90)
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>30,15N</exif:GPSLatitude></x:xmpmeta>"
    com = b"Taken at home, Building 3"
    seg = lambda marker, body: bytes((0xFF, marker)) + (len(body) + 2).to_bytes(2, "big") + body  # noqa: E731
    dirty = data[:2] + seg(0xE1, xmp) + seg(0xFE, com) + data[2:] + b"PK\x03\x04 appended zip with more photos"
    clean = publishable_bytes("a.jpg", dirty)
    assert b"GPSLatitude" not in clean and b"Building 3" not in clean and b"appended zip" not in clean
    assert b"Exif" not in clean, "orientation 1 needs no EXIF at all"
    assert clean.endswith(b"\xff\xd9") and _pixels(clean) == _pixels(data)


def test_publishable_bytes_png_text_chunks_go() -> None:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "30.25N 120.15E")
    info.add_itxt("XML:com.adobe.xmp", "<exif:GPSLatitude>30,15N</exif:GPSLatitude>")
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(buf, "PNG", pnginfo=info)
    clean = publishable_bytes("a.png", buf.getvalue())
    assert b"30.25N" not in clean and b"GPSLatitude" not in clean
    assert _pixels(clean) == _pixels(buf.getvalue())


@pytest.mark.parametrize("name,data", [("方案.pdf", b"%PDF-1.4\n%fake\n"), ("a.txt", b"plain text 13800138000"), ("a.zip", b"PK\x03\x04")])
def test_publishable_bytes_leaves_other_files_alone(name: str, data: bytes) -> None:
    assert publishable_bytes(name, data) == data


@pytest.mark.parametrize(
    "name,data,why",
    [
        ("broken.jpg", b"\xff\xd8\xff\xe1\x00", "读不出它的尺寸"),
        ("broken.png", b"\x89PNG\r\n\x1a\nfake", "读不出它的尺寸"),
        ("empty.jpg", b"", "不是能识别的图片"),
        ("riff.webp", b"RIFF\xff\xff\xff\xffWEBPVP8X", "读不出它的尺寸"),
        ("photo.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
    ],
)
def test_publishable_bytes_refuses_images_it_cannot_clean(name: str, data: bytes, why: str) -> None:
    """A damaged image is never published as it is: it might still carry its GPS block."""
    from generator.load.attachments import Unpublishable

    with pytest.raises(Unpublishable, match=why):
        publishable_bytes(name, data)


def test_publishable_bytes_cleans_a_png_named_jpg() -> None:
    data = _photo("PNG")
    clean = publishable_bytes("photo.jpg", data)
    assert b"HUAWEI" not in clean and _pixels(clean) == _pixels(data)


@pytest.mark.parametrize(
    "front,line",
    [
        # an alias must not make the line it points to count as a privacy_ok line
        ("title: &x 张三 11010519491231002X\ndate: 2026-03-05\nsection: 通知公告\nprivacy_ok: *x", 2),
        # a block list ends where the next key starts: that key's line is still scanned
        ("date: 2026-03-05\nsection: 通知公告\nprivacy_ok:\n  - 13800138000\ntitle: 张三 11010519491231002X", 6),
    ],
)
def test_privacy_ok_lines_cannot_hide_other_findings(front: str, line: int, tmp_path: Path) -> None:
    _, _, result = _build(tmp_path, {"content/jx/a.md": f"---\n{front}\n---\n正文\n"})
    assert any(p.is_error and p.line == line and "18 位公民身份号码" in p.message for p in result.problems), _show(result.problems)
