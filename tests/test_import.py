"""``liangshai import``: Word documents made with python-docx → posts, byte for byte.

The .docx files are built here (python-docx, plus raw WordprocessingML for
tracked changes, hyperlinks and embedded objects python-docx cannot write),
imported with the real CLI in a subprocess, and the written files, the
inferred front-matter and the printed report are compared with literal text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from conftest import run_cli, write_site
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from PIL import Image

from generator.core.model import Branch, Unit
from generator.importer.convert import Block, Converted, convert_docx, tidy_text
from generator.importer.infer import branch_words, infer
from generator.load.attachments import publishable_bytes
from generator.load.config import SiteConfig

MODIFIED = dt.datetime(2026, 3, 13, 2, 0, 0)  # 10:00 on 13 March in Beijing


# ---------------------------------------------------------------------------
# building documents


def gps_jpeg() -> bytes:
    """A small photo carrying the camera model and a GPS position in its EXIF."""
    img = Image.new("RGB", (16, 16), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "Phone X"
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


def _run(text: str, tag: str = "w:t") -> OxmlElement:
    r = OxmlElement("w:r")
    t = OxmlElement(tag)
    t.text = text
    t.set(qn("xml:space"), "preserve")
    r.append(t)
    return r


def add_tracked(paragraph, before: str, inserted: str, deleted: str, after: str) -> None:
    """Text with a tracked insertion and a tracked deletion (what Word writes with 修订 on)."""
    paragraph.add_run(before)
    for tag, text, n in (("w:ins", inserted, "1"), ("w:del", deleted, "2")):
        change = OxmlElement(tag)
        change.set(qn("w:id"), n)
        change.set(qn("w:author"), "李敏")
        change.set(qn("w:date"), "2026-03-12T08:00:00Z")
        change.append(_run(text, "w:delText" if tag == "w:del" else "w:t"))
        paragraph._p.append(change)
    paragraph._p.append(_run(after))


def add_hyperlink(paragraph, text: str, url: str) -> None:
    rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    link.append(_run(text))
    paragraph._p.append(link)


def add_embedded_object(paragraph) -> None:
    """An embedded OLE object (what pasting an Excel sheet as an object leaves)."""
    paragraph._p.append(
        parse_xml(
            f'<w:r {nsdecls("w")} xmlns:o="urn:schemas-microsoft-com:office:office">'
            '<w:object><o:OLEObject Type="Embed" ProgID="Excel.Sheet.12" ShapeID="_x0000_i1025" DrawAspect="Content" ObjectID="_1"/></w:object></w:r>'
        )
    )


def new_document(title: str = "") -> docx.document.Document:
    d = docx.Document()
    d.core_properties.title = title
    d.core_properties.created = MODIFIED
    d.core_properties.modified = MODIFIED
    return d


def save(d, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def minutes_docx(path: Path) -> Path:
    """A 支委会 纪要 as secretaries write it: every feature the issue lists."""
    d = new_document("机械工程学院第一教工党支部召开3月支部委员会")
    d.add_heading("机械工程学院第一教工党支部召开3月支部委员会", level=0)
    d.add_paragraph("时间：２０２６年３月１２日　１４:３０")
    d.add_paragraph("地点：机械楼３０５会议室")
    d.add_paragraph("主持人：王　建　　记录人：李敏")
    d.add_paragraph("　　应到７人，实到６人，缺席１人。")
    d.add_paragraph("一、会议议题")
    d.add_paragraph("1．学习传达上级会议精神；")
    d.add_paragraph("2．讨论确定发展对象；")
    p = d.add_paragraph("3．研究")
    p.add_run("4月主题党日").bold = True
    p.add_run("安排。")
    d.add_heading("议定事项", level=2)
    t = d.add_table(rows=3, cols=4)
    t.cell(0, 0).merge(t.cell(0, 1)).text = "议定事项"
    t.cell(0, 2).text = "责任人"
    t.cell(0, 3).text = "完成时间"
    for r, (n, what, who) in enumerate((("1", "报送发展对象名单", "李敏"), ("2", "筹备4月主题党日", "王建")), 1):
        t.cell(r, 0).text, t.cell(r, 1).text, t.cell(r, 2).text = n, what, who
    t.cell(1, 3).merge(t.cell(2, 3)).text = "3月20日前"
    d.add_paragraph("按时报送材料", style="List Number")
    d.add_paragraph("做好会议记录", style="List Number")
    add_tracked(d.add_paragraph(), "会议要求全体党员", "按时", "尽快", "完成学习任务。")
    p = d.add_paragraph("学习材料见")
    add_hyperlink(p, "学校党委网站", "https://dangwei.example.edu.cn/xuexi")
    p.add_run("，请")
    p.add_run("认真").italic = True
    p.add_run("学习。")
    d.add_paragraph("联系人：李敏，电话：１３８１２３４５６７８")
    d.add_picture(io.BytesIO(gps_jpeg()))
    return save(d, path)


# ---------------------------------------------------------------------------
# end to end, through the CLI


def check_lines(site: Path, prefix: str) -> str:
    """What ``liangshai check`` prints about files under ``prefix``, indented as the import report shows it."""
    c = run_cli("check", str(site))
    lines = [line for line in (c.stdout + c.stderr).split("\n") if line.startswith(prefix)]

    def order(line: str) -> tuple[str, int, int, str]:  # check's own order (errors.sort_problems) across its two streams
        path, number, rest = line.split(":", 2)
        column = int(rest.split(":", 1)[0]) if rest.split(":", 1)[0].isdigit() else 0
        return path, int(number), column, rest

    return "".join(f"    {line}\n" for line in sorted(lines, key=order))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(tmp_path / "site", {})


MINUTES_MD = """\
---
title: 机械工程学院第一教工党支部召开3月支部委员会
date: 2026-03-12 14:30
section: 支部生活
meeting: 支部委员会
branch: jx-jg1
---

时间：2026年3月12日 14:30

地点：机械楼305会议室

主持人：王建 记录人：李敏

应到7人，实到6人，缺席1人。

## 一、会议议题

1. 学习传达上级会议精神；
2. 讨论确定发展对象；
3. 研究**4月主题党日**安排。

### 议定事项

| 议定事项 | | 责任人 | 完成时间 |
|---|---|---|---|
| 1 | 报送发展对象名单 | 李敏 | 3月20日前 |
| 2 | 筹备4月主题党日 | 王建 | 3月20日前 |

1. 按时报送材料
2. 做好会议记录

会议要求全体党员按时完成学习任务。

学习材料见[学校党委网站](https://dangwei.example.edu.cn/xuexi)，请*认真*学习。

联系人：李敏，电话：13812345678

![](image-01.jpg)
"""


def test_minutes_import_byte_for_byte_with_report(site: Path) -> None:
    minutes_docx(site / "纪要.docx")
    unit_dir = site / "content" / "jx"
    r = run_cli("import", "../../纪要.docx", cwd=unit_dir)
    print(r.stdout, r.stderr)
    bundle = unit_dir / "2026" / "20260312-committee"
    assert sorted(p.name for p in bundle.iterdir()) == ["image-01.jpg", "index.md"]
    assert (bundle / "index.md").read_text(encoding="utf-8") == MINUTES_MD
    # the photo's EXIF (GPS position, camera) is gone; the pixels are the same
    photo = Image.open(bundle / "image-01.jpg")
    assert dict(photo.getexif()) == {} and photo.getexif().get_ifd(0x8825) == {}
    assert b"Phone X" not in (bundle / "image-01.jpg").read_bytes()
    # the findings are exactly what the check command says about the new file (its wording is check's, not ours)
    checked = check_lines(site, "content/jx/2026/20260312-committee/")
    assert checked.startswith("    content/jx/2026/20260312-committee/index.md:37:11: 错误：发现手机号码“138****5678”。") and checked.count("\n") == 1
    assert photo.size == (16, 16)
    # exactly what the build publishes for an attachment photo: the JPEG data copied, the metadata segments dropped
    assert (bundle / "image-01.jpg").read_bytes() == publishable_bytes("photo.jpg", gps_jpeg())
    assert r.stdout == (
        "../../纪要.docx → content/jx/2026/20260312-committee/index.md\n"
        "  标题：机械工程学院第一教工党支部召开3月支部委员会（来自文档属性“标题”）\n"
        "  日期：2026-03-12 14:30（来自原文第 2 段“时间：2026年3月12日 14:30”）\n"
        "  会议：支部委员会（来自标题）\n"
        "  支部：jx-jg1 机械工程学院第一教工党支部（来自标题中的“机械工程学院第一教工党支部”）\n"
        "  栏目：支部生活（来自会议类型：支部的会议）\n"
        "  单位：jx（机械工程学院党委，来自当前所在的单位文件夹）\n"
        "  图片：1 张，已放在文章包 content/jx/2026/20260312-committee/ 中，并去除了拍摄位置等 EXIF 信息。\n"
        "  注意：文档中有修订（修订标记）：已按“接受全部修订”后的文字导入，被删除的文字没有导入。请对照原文核对。\n"
        "  检查结果：\n"
        f"{checked}"
        "  需要修改：1 个错误，改好后运行 liangshai check 再检查；改好之前这篇文章不能发布。\n"
        "共 1 个文件：导入 1 个（其中 1 个需要修改）。\n"
    )
    assert r.returncode == 1 and r.stderr == ""


def test_no_title_property_bold_line_date_in_title_several_meetings(site: Path) -> None:
    """No 标题 property: the bold first line is the title; its date gets the year from the text."""
    d = new_document()
    d.add_paragraph().add_run("3月12日第一教工支部开展主题党日暨党课活动").bold = True
    d.add_paragraph("为深入学习贯彻2026年全国两会精神，支部组织全体党员开展活动。")
    p = d.add_paragraph("活动由支部书记王建主持。")
    d.add_comment(p.runs[0], text="这句话再斟酌", author="张三", initials="ZS")
    add_embedded_object(d.add_paragraph("附表："))
    save(d, site / "incoming" / "活动纪实.docx")
    r = run_cli("导入", "incoming/活动纪实.docx", "--unit", "jx", "--draft", cwd=site)
    target = site / "content/jx/2026/20260312-theme-day.md"
    assert target.read_text(encoding="utf-8") == (
        "---\n"
        "title: 3月12日第一教工支部开展主题党日暨党课活动\n"
        "date: 2026-03-12\n"
        "section: 支部生活\n"
        "meeting:\n"
        "- 主题党日\n"
        "- 党课\n"
        "branch: jx-jg1\n"
        "draft: true\n"
        "---\n"
        "\n"
        "为深入学习贯彻2026年全国两会精神，支部组织全体党员开展活动。\n"
        "\n"
        "活动由支部书记王建主持。\n"
        "\n"
        "附表：\n"
    )
    assert r.stdout == (
        "incoming/活动纪实.docx → content/jx/2026/20260312-theme-day.md\n"
        "  标题：3月12日第一教工支部开展主题党日暨党课活动（来自原文第 1 段的加粗短句）\n"
        "  日期：2026-03-12（来自标题中的日期，年份取自原文第 2 段“为深入学习贯彻2026年全国两会精神，支部组织全体党员开展活…”）——请核对，必要时修改文件第 3 行。\n"
        "  会议：主题党日、党课（来自标题）\n"
        "  支部：jx-jg1 机械工程学院第一教工党支部（来自标题中的“第一教工支部”）\n"
        "  栏目：支部生活（来自会议类型：支部的会议）\n"
        "  单位：jx（机械工程学院党委，来自 --unit）\n"
        "  注意：文档中有 1 条批注，批注没有导入（批注通常是内部意见，不宜公开）。\n"
        "  注意：文档中有 1 个嵌入对象（如嵌入的 Excel 表格、图表、公式），没有导入。需要时请把它另存为 PDF 或图片，作为附件或图片加到文章里。\n"
        "  草稿：已写入 draft: true，发布前删除这一行。\n"
        "  检查通过。请核对上面推断的内容，确认无误后提交。\n"
        "共 1 个文件：导入 1 个。\n"
    )
    assert r.returncode == 0 and r.stderr == ""


def test_what_cannot_be_inferred_is_a_placeholder_check_rejects(site: Path) -> None:
    """No title anywhere, no date, a branch meeting without a branch: placeholders, and check says what to fill in."""
    d = docx.Document()
    d.core_properties.title = ""
    core = d.part.package.part_related_by(RT.CORE_PROPERTIES)  # no dates at all: remove the ones the template has
    for el in list(core._element):
        if el.tag.endswith(("}created", "}modified")):
            core._element.remove(el)
    d.add_paragraph("会议名称：党员大会")
    d.add_paragraph("会议讨论了预备党员转正事宜。")
    save(d, site / "文档1.docx")
    r = run_cli("import", "文档1.docx", "--unit", "jx", cwd=site)
    today_year = dt.datetime.now(SiteConfig().tz).year  # an undated post goes in this year's folder (its name only)
    target = site / f"content/jx/{today_year}/daiding-member-meeting.md"
    assert target.read_text(encoding="utf-8") == (
        "---\n"
        "title: ''\n"
        "date: 待填写\n"
        "section: 支部生活\n"
        "meeting: 支部党员大会\n"
        "branch: 待填写\n"
        "---\n"
        "\n"
        "会议名称：党员大会\n"
        "\n"
        "会议讨论了预备党员转正事宜。\n"
    )
    rel = f"content/jx/{today_year}/daiding-member-meeting.md"
    # every placeholder is an error check explains in Chinese
    checked = check_lines(site, rel)
    assert checked.split("\n")[:3] == [
        f"    {rel}:2: 错误：标题 title 是空的，请填写文章标题。",
        f"    {rel}:3: 错误：日期“待填写”的格式不对，应当写成 2026-03-05 或 2026-03-05 14:30。",
        f"    {rel}:6: 错误：支部“待填写”不在 content/jx/_unit.toml 中。可选：jx-jg1（机械工程学院第一教工党支部）、jx-xs1（机械工程学院本科生党支部）。",
    ]
    assert r.stdout == (
        f"文档1.docx → {rel}\n"
        "  标题：待填写（未能推断：文档没有“标题”属性，开头也没有标题、加粗或居中的短句）——请在文件第 2 行填写。\n"
        "  日期：待填写（未能推断：文中没有“时间：2026年3月12日 14:30”这样的行，标题中和文件属性中也没有日期）——请在文件第 3 行填写。\n"
        "  会议：支部党员大会（来自原文第 1 段“会议名称：党员大会”）\n"
        "  支部：待填写（未能推断：标题和开头几段中没有本单位的支部名称）——请在文件第 6 行填写支部编号，可选：jx-jg1（机械工程学院第一教工党支部）、jx-xs1（机械工程学院本科生党支部）。\n"
        "  栏目：支部生活（来自会议类型：支部的会议）\n"
        "  单位：jx（机械工程学院党委，来自 --unit）\n"
        "  检查结果：\n"
        f"{checked}"
        "  需要修改：3 个错误，改好后运行 liangshai check 再检查；改好之前这篇文章不能发布。\n"
        "共 1 个文件：导入 1 个（其中 1 个需要修改）。\n"
    )
    assert r.returncode == 1


def test_unit_meeting_goes_to_news_without_branch_and_file_date_is_flagged(site: Path) -> None:
    d = new_document("机械工程学院召开党政联席会")
    d.add_paragraph("会议研究了第一教工党支部换届事宜。")
    save(d, site / "联席会.docx")
    r = run_cli("import", str(site / "联席会.docx"), "--site", str(site), "--unit", "jx")
    text = (site / "content/jx/2026/20260313-joint-meeting.md").read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 机械工程学院召开党政联席会\ndate: 2026-03-13\nsection: 党建动态\nmeeting: 党政联席会\n---\n")
    assert "  日期：2026-03-13（来自文件的最后修改时间（文中没有“时间：”行，标题中也没有日期），很可能不是会议日期）——请核对，必要时修改文件第 3 行。\n" in r.stdout
    assert "  栏目：党建动态（来自会议类型：单位的会议）\n" in r.stdout
    assert "支部：" not in r.stdout  # a unit meeting names no branch, even when the text mentions one
    assert r.returncode == 0, r.stdout + r.stderr


def test_other_formats_encrypted_and_damaged_files_get_their_messages(site: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    files = {
        "旧纪要.doc": ole,
        "通知.wps": ole,
        "扫描件.pdf": b"%PDF-1.7\n",
        # Word saves a password-protected .docx as an OLE compound file holding EncryptionInfo
        "加密.docx": ole + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64,
        "改名.docx": ole,
        "损坏.docx": minutes_docx(site / "tmp.docx").read_bytes()[:3000],
        "空白.docx": b"",
    }
    for name, data in files.items():
        (site / name).write_bytes(data)
    r = run_cli("import", *files, "--unit", "jx", cwd=site)
    assert r.stdout.split("\n") == [
        "旧纪要.doc：没有导入。“旧纪要.doc”是旧版 Word 格式（.doc），晾晒只能导入 .docx。请用 Word 或 WPS 打开它，“文件 → 另存为”，保存类型选“Word 文档（*.docx）”，再导入新保存的 .docx 文件。",
        "通知.wps：没有导入。“通知.wps”是 WPS 文字格式（.wps），晾晒只能导入 .docx。请用 WPS 打开它，“文件 → 另存为”，文件类型选“Microsoft Word 文件（*.docx）”，再导入新保存的 .docx 文件。",
        "扫描件.pdf：没有导入。“扫描件.pdf”是 PDF，无法可靠地还原成可编辑的文字，晾晒只能导入 .docx。请找到它原来的 Word 文件（或用 Word/WPS 打开后另存为 .docx）再导入；只想公开 PDF 本身时，把它作为附件（attachments）加到文章里。",
        "加密.docx：没有导入。“加密.docx”设置了打开密码（文件已加密），无法读取。请在 Word 中打开它（输入密码），选择“文件 → 信息 → 保护文档 → 用密码进行加密”，清空密码后保存，再导入。",
        "改名.docx：没有导入。“改名.docx”实际上是旧版 Word 格式（.doc），只是扩展名写成了 .docx。请用 Word 或 WPS 打开它，“文件 → 另存为”，保存类型选“Word 文档（*.docx）”，再导入新保存的文件。",
        "损坏.docx：没有导入。“损坏.docx”已损坏（压缩结构不完整，可能没有下载或复制完整）。请用 Word 或 WPS 打开它，另存为 .docx 后再导入。",
        "空白.docx：没有导入。“空白.docx”已损坏，或不是 Word 文档（无法作为 .docx 打开）。请用 Word 或 WPS 打开它，另存为 .docx 后再导入。",
        "共 7 个文件：导入 0 个，未导入 7 个。",
        "",
    ]
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert not (site / "content/jx/2026").exists()


def test_folder_import_reports_each_file(site: Path) -> None:
    folder = site / "收到的纪要"
    minutes_docx(folder / "a-支委会.docx")
    d = new_document("机械工程学院本科生党支部党小组会")
    d.add_paragraph("时间：2026年4月2日 19:00")
    d.add_paragraph("地点：学生活动中心")  # a record, not a stub (parse.probable warns about those)
    d.add_paragraph("议题：学习党章第一章。")
    save(d, folder / "b-党小组会.docx")
    (folder / "c-旧稿.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    (folder / "~$支委会.docx").write_bytes(b"\x00" * 162)  # Word's lock file while a document is open
    (folder / "照片.jpg").write_bytes(gps_jpeg())  # not a document: not reported
    r = run_cli("import", "收到的纪要", "--unit", "jx", cwd=site)
    lines = r.stdout.split("\n")
    assert lines[0] == "收到的纪要/a-支委会.docx → content/jx/2026/20260312-committee/index.md"
    b = lines.index("收到的纪要/b-党小组会.docx → content/jx/2026/20260402-group.md")
    assert lines[b + 1 : b + 8] == [
        "  标题：机械工程学院本科生党支部党小组会（来自文档属性“标题”）",
        "  日期：2026-04-02 19:00（来自原文第 1 段“时间：2026年4月2日 19:00”）",
        "  会议：党小组会（来自标题）",
        "  支部：jx-xs1 机械工程学院本科生党支部（来自标题中的“机械工程学院本科生党支部”）",
        "  栏目：支部生活（来自会议类型：支部的会议）",
        "  单位：jx（机械工程学院党委，来自 --unit）",
        "  检查通过。请核对上面推断的内容，确认无误后提交。",
    ]
    assert "收到的纪要/c-旧稿.doc：没有导入。“c-旧稿.doc”是旧版 Word 格式（.doc）" in r.stdout
    assert "~$" not in r.stdout and "照片" not in r.stdout
    assert lines[-2] == "共 3 个文件：导入 2 个（其中 1 个需要修改），未导入 1 个。"
    assert r.returncode == 1


def test_same_document_gives_the_same_bytes(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        site = write_site(tmp_path / name, {})
        minutes_docx(site / "纪要.docx")
        run_cli("import", "纪要.docx", "--unit", "jx", cwd=site)
        bundle = site / "content/jx/2026/20260312-committee"
        outputs.append({p.name: p.read_bytes() for p in sorted(bundle.iterdir())})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 2


def test_usage_errors_exit_2_with_choices(site: Path) -> None:
    minutes_docx(site / "纪要.docx")
    r = run_cli("import", "纪要.docx", cwd=site)
    assert r.returncode == 2
    assert "不知道导入到哪个单位：请用 --unit 指定单位文件夹名，或在 content/单位文件夹 里运行。可选：jx。" in r.stderr
    r = run_cli("import", "纪要.docx", "--unit", "jx", "--section", "通知", cwd=site)
    assert r.returncode == 2 and "栏目“通知”不存在。可选：通知公告、党建动态、支部生活、特色阵地。" in r.stderr
    r = run_cli("import", "没有这个.docx", "--unit", "jx", cwd=site)
    assert r.returncode == 2 and "找不到文件或文件夹“没有这个.docx”。" in r.stderr
    r = run_cli("import", "纪要.docx", "--unit", "nope", cwd=site)
    assert r.returncode == 2 and "单位“nope”不存在" in r.stderr
    assert not (site / "content/jx/2026").exists()
    h = run_cli("import", "--help", cwd=site)
    assert h.stdout.startswith("用法：liangshai import") and "显示这段说明" in h.stdout
    assert h.returncode == 0 and "把用 Word 写好的纪要、通知（.docx）转换成文章" in h.stdout and "例如：cd content/jixie && liangshai import" in h.stdout


def test_section_option_wins(site: Path) -> None:
    d = new_document("关于开展主题党日活动的通知")
    d.add_paragraph("各支部：请于3月底前完成。")
    save(d, site / "通知.docx")
    r = run_cli("import", "通知.docx", "--unit", "jx", "--section", "通知公告", cwd=site)
    text = (site / "content/jx/2026/20260313-theme-day.md").read_text(encoding="utf-8")
    assert "section: 通知公告\nmeeting: 主题党日\n" in text
    assert "  栏目：通知公告（来自--section）" in r.stdout


# ---------------------------------------------------------------------------
# pure functions


def test_tidy_text() -> None:
    assert tidy_text("　　主持人：王　建　　记录人：李敏　电话：１３８　ＡＢ") == " 主持人：王建 记录人：李敏 电话：138 AB"
    assert tidy_text("全体\u00a0党员\t参加") == "全体 党员 参加"


def _docx_bytes(build) -> bytes:
    d = docx.Document()
    build(d)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_table_with_two_header_rows_is_folded() -> None:
    def build(d) -> None:
        t = d.add_table(rows=4, cols=3)
        t.cell(0, 0).merge(t.cell(1, 0)).text = "序号"
        t.cell(0, 1).merge(t.cell(0, 2)).text = "议定事项"
        t.cell(1, 1).text, t.cell(1, 2).text = "内容", "责任人"
        t.cell(2, 0).text, t.cell(2, 1).text, t.cell(2, 2).text = "1", "a|b", "李敏"
        t.cell(3, 0).merge(t.cell(3, 2)).text = "以上事项3月底前完成"
    [block] = convert_docx(_docx_bytes(build)).blocks
    assert block.markdown == (
        "| 序号 | 议定事项 内容 | 责任人 |\n"
        "|---|---|---|\n"
        "| 1 | a\\|b | 李敏 |\n"
        "| 以上事项3月底前完成 | | |"
    )


def test_typed_numbering_bullets_and_headings() -> None:
    def build(d) -> None:
        for text in ("一、基本情况", "（一）参会人员", "（1）党员6人；", "（2）积极分子2人。", "①第一条", "②第二条", "● 要点", "• 另一要点",
                     "1.5万元经费已到位。", "2026. 年度总结", "# 不是标题", "（三）会议认为，这项工作很重要，必须抓紧落实到每一位党员。"):
            d.add_paragraph(text)
    blocks = convert_docx(_docx_bytes(build)).blocks
    assert [b.markdown for b in blocks] == [
        "## 一、基本情况",
        "### （一）参会人员",
        "1. 党员6人；\n2. 积极分子2人。\n    1. 第一条\n    2. 第二条",
        "- 要点\n- 另一要点",  # a third level: its own list
        "1.5万元经费已到位。",
        "2026\\. 年度总结",
        "\\# 不是标题",
        "（三）会议认为，这项工作很重要，必须抓紧落实到每一位党员。",
    ]


def _converted(*texts: str, title: str = "", kind: str = "paragraph") -> Converted:
    blocks = tuple(Block(i, kind, t, t) for i, t in enumerate(texts, 1))
    return Converted(blocks, (), (), title, None)


UNIT = Unit(
    "jx",
    "机械工程学院党委",
    "教学单位",
    10,
    (
        Branch("jx-jg1", "机械工程学院第一教工党支部", "教职工"),
        Branch("jx-jg2", "机械工程学院第二教工党支部", "教职工"),
        Branch("jx-xs", "机械工程学院本科生党支部", "学生"),
    ),
    "content/jx/_unit.toml",
)


def test_branch_short_names() -> None:
    words = dict((w, b.id) for w, b in branch_words(UNIT))
    assert words["第一教工党支部"] == "jx-jg1" and words["第二教工支部"] == "jx-jg2" and words["本科生支部"] == "jx-xs"
    assert "党支部" not in words


@pytest.mark.parametrize(
    ("title", "lines", "date", "meetings", "branch", "section"),
    [
        ("第二教工支部支委会", ["时间：2026年3月5日（星期四）下午2点半"], "2026-03-05 14:30", ("支部委员会",), "jx-jg2", "支部生活"),
        ("本科生党支部党员大会", ["日期：2026/9/1 上午9:00"], "2026-09-01 09:00", ("支部党员大会",), "jx-xs", "支部生活"),
        ("学院党委理论学习中心组学习", ["时间：2026年5月8日"], "2026-05-08", ("中心组学习",), None, "党建动态"),
        ("组织生活会暨民主评议党员", ["参加：第一教工党支部全体党员", "时间：2026年12月20日 9:00"], "2026-12-20 09:00", ("组织生活会",), "jx-jg1", "支部生活"),
        ("关于报送材料的通知", ["各支部：", "2026年3月1日"], None, (), None, "通知公告"),
        ("第一教工支部与第二教工支部联合主题党日", ["时间：2026年3月5日"], "2026-03-05", ("主题党日",), None, "支部生活"),
        ("支部学习会", ["时间紧任务重，3月5日前完成"], None, (), None, "通知公告"),  # no "时间：": not a date line
    ],
)
def test_inference(title: str, lines: list[str], date: str | None, meetings: tuple[str, ...], branch: str | None, section: str) -> None:
    inf = infer(_converted(*lines, title=title), SiteConfig(), UNIT, file_stem="x")
    assert (inf.title.value, inf.date.value, inf.meetings, inf.branch.value, inf.section.value) == (title, date, meetings, branch, section)


def test_footnotes_become_markdown_footnotes() -> None:
    """mammoth's footnote HTML (python-docx cannot write footnotes) → [^1] references and definitions."""
    from generator.importer.convert import _assemble, _drafts, _tree

    html = (
        '<p>依据<sup><a href="#footnote-1" id="footnote-ref-1">[1]</a></sup>召开。</p>'
        '<ol><li id="footnote-1"><p> 《支部工作条例》第十二条。 <a href="#footnote-ref-1">↑</a></p></li></ol>'
    )
    assert [b.markdown for b in _assemble(_drafts(_tree(html)))] == ["依据[^1]召开。", "[^1]: 《支部工作条例》第十二条。"]


def test_bold_labels_are_not_titles() -> None:
    conv = Converted(
        (Block(1, "paragraph", "时间：2026年3月5日", "**时间：2026年3月5日**", bold=True), Block(2, "paragraph", "会议内容：", "**会议内容：**", bold=True)),
        (), (), "", None,
    )
    inf = infer(conv, SiteConfig(), UNIT, file_stem="第二教工支部3月支委会")
    assert (inf.title.value, inf.title.flagged, inf.drop_block, inf.date.value) == ("第二教工支部3月支委会", True, None, "2026-03-05")


def test_date_in_a_table_row_without_colon() -> None:
    conv = _converted("会议时间 2026年6月3日 15:00 会议地点 机械楼", title="第一教工党支部支委会", kind="table")
    inf = infer(conv, SiteConfig(), UNIT, file_stem="x")
    assert (inf.date.value, inf.date.source) == ("2026-06-03 15:00", "原文第 1 段“会议时间 2026年6月3日 15:00 会议地点 机械楼”")


def test_one_column_table_is_text_and_a_run_from_3_stays_as_typed() -> None:
    def build(d) -> None:
        t = d.add_table(rows=2, cols=1)
        t.cell(0, 0).text, t.cell(1, 0).text = "附：会议照片", "- 会后合影"
        d.add_paragraph("3. 接上表第三项；")
        d.add_paragraph("4. 第四项。")
    assert [b.markdown for b in convert_docx(_docx_bytes(build)).blocks] == [
        "附：会议照片\n\n\\- 会后合影",
        "3\\. 接上表第三项；",
        "4\\. 第四项。",
    ]


# ---------------------------------------------------------------------------
# property: whatever a Word paragraph says, the page says the same


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = [*"ab1 .*_`[]()<>&#!|\\~^:-+=;{}\"'", "&amp;", "&lt;", "&#42;", "[TOC]", "**", "\u3000", "，", "党", "１", "Ａ", "[^1]", "](x)", "<b>"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)


def _rendered_text(markdown_text: str) -> str:
    import html as htmllib
    import re as _re

    import markdown

    out = markdown.markdown(markdown_text, extensions=["tables", "fenced_code", "footnotes", "sane_lists", "toc"])
    return htmllib.unescape(_re.sub(r"<[^>]+>", "", out)).strip()


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_paragraph_text_survives_markdown(text: str) -> None:
    """Markdown's special characters in Word text are escaped: the rendered page shows the tidied text."""
    import html as htmllib

    from generator.importer.convert import _assemble, _drafts, _tree

    source = "甲" + text  # starts with a character no list or heading marker uses
    blocks = _assemble(_drafts(_tree(f"<p>{htmllib.escape(source)}</p>")))
    expected = tidy_text(source).strip()
    assert _rendered_text("\n\n".join(b.markdown for b in blocks)) == expected


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_table_cell_text_survives_markdown(text: str) -> None:
    """The same in a table cell, where "|" also ends a cell."""
    import html as htmllib
    import re as _re

    import markdown

    from generator.importer.convert import _assemble, _drafts, _tree

    cell = htmllib.escape("甲" + text)
    table = f"<table><tr><td><p>表头</p></td><td><p>内容</p></td></tr><tr><td><p>1</p></td><td><p>{cell}</p></td></tr></table>"
    [block] = _assemble(_drafts(_tree(table)))
    out = markdown.markdown(block.markdown, extensions=["tables", "fenced_code", "footnotes", "sane_lists", "toc"])
    cells = [htmllib.unescape(_re.sub(r"<[^>]+>", "", c)).strip() for c in _re.findall(r"<td>(.*?)</td>", out, _re.S)]
    assert cells == ["1", tidy_text("甲" + text).strip()]


def test_importing_again_writes_nothing_twice(site: Path) -> None:
    minutes_docx(site / "纪要.docx")
    run_cli("import", "纪要.docx", "--unit", "jx", cwd=site)
    again = run_cli("import", "纪要.docx", "--unit", "jx", cwd=site)
    year = site / "content/jx/2026"
    assert sorted(p.name for p in year.iterdir()) == ["20260312-committee"]
    assert "  已经导入过：content/jx/2026/20260312-committee/index.md 的内容与这次转换的结果完全相同，没有重复写入。\n" in again.stdout
    # once the secretary has edited the post, a new import is a new post, and the report says so
    index = year / "20260312-committee/index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("13812345678", "138****5678"), encoding="utf-8")
    third = run_cli("import", "纪要.docx", "--unit", "jx", cwd=site)
    assert sorted(p.name for p in year.iterdir()) == ["20260312-committee", "20260312-committee-2"]
    assert "  同名文章已存在（content/jx/2026/20260312-committee/index.md，内容与这次不同，可能是上次导入后改过），这次写成了新的一篇；如果是重复导入，请删除多余的一篇。\n" in third.stdout
    assert third.stdout.startswith("纪要.docx → content/jx/2026/20260312-committee-2/index.md\n")


def test_typed_sub_levels_nest_under_their_item() -> None:
    def build(d) -> None:
        for text in ("1、学习文件。", "（1）学习条例；", "（2）学习讲话。", "2、讨论发展对象。", "（1）听取介绍；", "3、其他事项。", "（3）不连续的编号。"):
            d.add_paragraph(text)
    assert [b.markdown for b in convert_docx(_docx_bytes(build)).blocks] == [
        "1. 学习文件。\n    1. 学习条例；\n    2. 学习讲话。\n2. 讨论发展对象。\n    1. 听取介绍；\n3. 其他事项。",
        "（3）不连续的编号。",
    ]


def test_link_targets_and_control_characters() -> None:
    from generator.importer.convert import _assemble, _drafts, _tree

    html = '<p>见<a href="https://x.edu.cn/通知 (1).pdf">通知</a>\x07。</p>'
    assert [b.markdown for b in _assemble(_drafts(_tree(html)))] == ["见[通知](https://x.edu.cn/通知%20%281%29.pdf)。"]


def test_imported_post_builds_with_its_photo_table_and_lists(site: Path) -> None:
    """Once the phone number is masked, the imported post builds: table, lists, link and photo on the page."""
    from generator.build.builder import Builder, BuildOptions

    minutes_docx(site / "纪要.docx")
    run_cli("import", "纪要.docx", "--unit", "jx", cwd=site)
    index = site / "content/jx/2026/20260312-committee/index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("13812345678", "138****5678"), encoding="utf-8")
    result = Builder(BuildOptions(site, as_of=dt.date(2026, 11, 27))).build()
    assert result.ok, [p.format() for p in result.problems]
    page = (site / "build/jx/20260312-committee/index.html").read_text(encoding="utf-8")
    assert 'src="image-01.jpg"' in page
    assert "<th>议定事项</th>" in page and "<td>3月20日前</td>" in page
    assert "<li>学习传达上级会议精神；</li>" in page and '<a href="https://dangwei.example.edu.cn/xuexi"' in page
    published = Image.open(site / "build/jx/20260312-committee/image-01.jpg")
    assert published.getexif().get_ifd(0x8825) == {}


def photo_docx(rewrite: Callable[[str, bytes], bytes]) -> bytes:
    """A document with one GPS-tagged photo, each of its zip members passed through ``rewrite``."""
    import zipfile

    d = docx.Document()
    d.add_paragraph("会场照片：")
    d.add_picture(io.BytesIO(gps_jpeg()))
    original = io.BytesIO()
    d.save(original)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original.getvalue())) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, rewrite(item.filename, zin.read(item.filename)))
    return out.getvalue()


def test_linked_image_is_never_read_from_disk(tmp_path: Path) -> None:
    """A picture that only links to a file on this computer (r:link) is not read: warned about instead."""
    import re

    secret = tmp_path / "secret.jpg"
    secret.write_bytes(gps_jpeg())
    def link_instead_of_embed(name: str, data: bytes) -> bytes:
        if name == "word/_rels/document.xml.rels":
            return re.sub(rb'Target="media/image1\.jpe?g"', f'Target="{secret.as_uri()}" TargetMode="External"'.encode(), data)
        if name == "word/document.xml":
            return data.replace(b"r:embed=", b"r:link=")
        return data

    conv = convert_docx(photo_docx(link_instead_of_embed))
    assert [b.markdown for b in conv.blocks] == ["会场照片："] and conv.images == ()
    assert conv.warnings == ("文档中有 1 张图片只是链接到电脑上的文件（没有嵌入文档），没有导入。请在 Word 中用“插入 → 图片”把图片放进文档后再导入，或把图片文件直接加到文章里。",)


def test_centred_first_line_is_the_title(site: Path) -> None:
    """公文 style: the title is centred in a large font, neither bold nor a heading."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    d = new_document()
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("本科生党支部召开党员大会").font.size = Pt(22)
    d.add_paragraph("时间：2026年5月20日 12:30")
    save(d, site / "会议记录.docx")
    r = run_cli("import", "会议记录.docx", "--unit", "jx", cwd=site)
    assert "  标题：本科生党支部召开党员大会（来自原文第 1 段的居中短句）\n" in r.stdout
    text = (site / "content/jx/2026/20260520-member-meeting.md").read_text(encoding="utf-8")
    assert text == "---\ntitle: 本科生党支部召开党员大会\ndate: 2026-05-20 12:30\nsection: 支部生活\nmeeting: 支部党员大会\nbranch: jx-xs1\n---\n\n时间：2026年5月20日 12:30\n"
    # not centred: the file name is the title, and the report asks to confirm it
    d = new_document()
    d.add_paragraph("本科生党支部召开党员大会")
    save(d, site / "党员大会.docx")
    r = run_cli("import", "党员大会.docx", "--unit", "jx", cwd=site)
    assert "  标题：党员大会（来自文件名（文档没有“标题”属性，开头也没有标题、加粗或居中的短句））——请核对，必要时修改文件第 2 行。\n" in r.stdout


def test_image_that_cannot_be_cleaned_is_left_out_with_its_reason() -> None:
    """A damaged photo is never written as it is (its metadata could not be removed)."""
    conv = convert_docx(photo_docx(lambda name, data: b"not a picture at all" if name.startswith("word/media/") else data))
    assert [b.markdown for b in conv.blocks] == ["会场照片："] and conv.images == ()
    assert len(conv.warnings) == 1 and conv.warnings[0].startswith("文档中有一张图片没有导入：它")
