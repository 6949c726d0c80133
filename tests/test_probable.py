"""Warnings for what is probably wrong (issue 15): placeholders left from `new`, stub meeting
records, the same post twice, a meeting record from the future — and all of them in one run."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

import pytest
from conftest import UNIT_TOML, post_text, run_cli, write_site
from PIL import Image

from generator.build.crosspost import crosspost_problems
from generator.core.errors import ConfigError, Severity
from generator.load.config import ImagesConfig, SiteConfig, parse_config
from generator.parse.post import parse_post, parse_unit
from generator.parse.probable import BODY_PLACEHOLDER, DATE_COMMENT, MEETING_BODY, MIN_RECORD_CHARS, TITLE_PLACEHOLDER, probable_problems

REL = "content/jx/a.md"
RECORD = {"meeting": "支委会", "branch": "jx-jg1"}
AS_OF_EPOCH = 1795780800  # 2026-11-27 12:00 UTC: check's as-of day (it has no --as-of)
FULL_BODY = "时间：3月5日下午\n地点：学院会议室\n议题：学习全国两会精神，研究发展党员工作。"


def _post(text: str, rel: str = REL):
    config = SiteConfig()
    unit, _ = parse_unit(UNIT_TOML.encode("utf-8"), "content/jx/_unit.toml", "jx", config)
    assert unit is not None
    post, problems = parse_post(text.encode("utf-8"), rel, unit, config, {})
    assert post is not None and not [p for p in problems if p.is_error], problems
    return post


def warned(text: str) -> list[tuple[int, str]]:
    """(line, message) of each warning `probable_problems` gives the post ``text``."""
    problems = probable_problems(_post(text), text.encode("utf-8"), SiteConfig())
    assert all(p.path == REL and p.severity is Severity.WARNING for p in problems)
    return [(p.line, p.message) for p in problems]


def test_placeholders_left_from_new() -> None:
    assert warned(post_text(TITLE_PLACEHOLDER, section="通知公告", body=BODY_PLACEHOLDER)) == [
        (2, f"标题还是占位文字“{TITLE_PLACEHOLDER}”，请写上文章的标题。"),
        (6, f"正文还是占位文字“{BODY_PLACEHOLDER}”，请换成文章的正文。"),
    ]
    text = post_text(body="\n".join(MEETING_BODY), **RECORD).replace("date:", DATE_COMMENT + "\ndate:")
    assert warned(text) == [
        (3, "日期还没有确认：这是新建时的日期。会议记录的 date 应当是会议召开的那一天；改好日期后，请删除这一行提示（含“【请改为会议日期】”）。"),
        (9, "正文还是新建时的会议记录模板，请填写时间、地点、主持人、记录人、出席人数、议题和议定事项。"),
    ]
    # the same words in the body (a post about new) are not the date note
    assert warned(post_text(body=f"模板里的“{DATE_COMMENT[2:12]}”提示要删除。\n" + FULL_BODY, **RECORD)) == []


def test_a_stub_meeting_record() -> None:
    message = (
        "这篇支部委员会记录的正文只有 2 行、10 个字，太短了：会议记录应写明时间、地点、主持人、出席人数、议题和议定事项"
        "（少于 3 行且少于 60 个字时提示）。记录在附件里的，请在 attachments 中列出附件。"
    )
    assert warned(post_text(body="\n## 会议纪要\n\n- 会议召开了。", **RECORD)) == [(9, message)]
    # three lines, or enough text in fewer, is a record; a notice is not measured
    assert warned(post_text(body="时间：下午\n地点：会议室\n议题：学习", **RECORD)) == []
    assert warned(post_text(body="字" * MIN_RECORD_CHARS, **RECORD)) == []
    assert warned(post_text(body="字" * (MIN_RECORD_CHARS - 1), **RECORD))[0][1].startswith("这篇支部委员会记录的正文只有 1 行、59 个字")
    assert warned(post_text(section="通知公告", body="请按时参加。", **RECORD)) == []


def test_posts_across_the_site() -> None:
    config = SiteConfig()
    posts = [
        _post(post_text("三月支委会", "2026-03-05", body=FULL_BODY, **RECORD), "content/jx/2026/b.md"),
        _post(post_text("三月支委会", "2026-03-05", body=FULL_BODY, **RECORD), "content/jx/2026/a.md"),
        _post(post_text("三月支委会", "2026-03-06", body=FULL_BODY, **RECORD), "content/jx/2026/c.md"),
        _post(post_text("十二月支委会", "2026-12-10", body=FULL_BODY, **RECORD), "content/jx/2026/d.md"),
        _post(post_text("关于召开十二月支委会的通知", "2026-12-10", "通知公告", body="请按时参加。", **RECORD), "content/jx/2026/e.md"),
    ]
    problems = crosspost_problems(posts, config, dt.date(2026, 11, 27), Path("/nonexistent"))
    assert [(p.path, p.line, p.message) for p in problems] == [
        (
            "content/jx/2026/b.md",
            1,  # the file cannot be read here: the first line
            "与 content/jx/2026/a.md 的标题和日期都相同（“三月支委会”，2026-03-05）：是不是同一篇发了两次？重复的请删除一篇；两篇不同的文章，请把标题写得能区分开（例如写明支部或主题）。",
        ),
        (
            "content/jx/2026/d.md",
            1,
            "这篇支部委员会记录的日期 2026-12-10 晚于截止日期 2026-11-27（默认是今天）：会议记录的日期应当是会议召开的那一天，请核对日期。"
            "如果这是会议通知或预告，请发在通知公告等栏目（那里的会议只算提及）。",
        ),
    ]


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A site with one of each probable mistake, checked once through the CLI."""
    site = write_site(
        tmp_path_factory.mktemp("probable") / "site",
        {
            "content/jx/2026/a.md": post_text("三月支委会", "2026-03-05", body=FULL_BODY, **RECORD),
            "content/jx/2026/b.md": post_text("三月支委会", "2026-03-05", body=FULL_BODY, **RECORD),
            "content/jx/2026/c.md": post_text("十二月支委会", "2026-12-10", body=FULL_BODY, **RECORD),
            "content/jx/2026/d.md": post_text(TITLE_PLACEHOLDER, "2026-03-06", "通知公告", body=BODY_PLACEHOLDER),
            "content/jx/2026/e.md": post_text("四月支委会", "2026-04-02", body="会议召开了。", **RECORD),
            "content/jx/2026/f/index.md": post_text("五月支委会", "2026-05-06", body=FULL_BODY, attachments="[合影.jpg]", **RECORD),
            "content/jx/2026/f/合影.jpg": _phone_photo(300, 200),
        },
        config="[images]\nmax_kb = 64\n",
    )
    proc = run_cli("check", str(site), env={"SOURCE_DATE_EPOCH": str(AS_OF_EPOCH)})
    assert proc.returncode == 0, proc.stderr
    return site, proc.stdout


def test_every_probable_mistake_in_one_run(mistakes: tuple[Path, str]) -> None:
    photo_kb = f"{len(_phone_photo(300, 200)) / 1024:.0f}"
    _, out = mistakes
    lines = [line for line in out.splitlines() if line.startswith("content/")]
    assert lines == [
        "content/jx/2026/b.md:2: 警告：与 content/jx/2026/a.md 的标题和日期都相同（“三月支委会”，2026-03-05）：是不是同一篇发了两次？"
        "重复的请删除一篇；两篇不同的文章，请把标题写得能区分开（例如写明支部或主题）。",
        "content/jx/2026/c.md:3: 警告：这篇支部委员会记录的日期 2026-12-10 晚于截止日期 2026-11-27（默认是今天）：会议记录的日期应当是会议召开的那一天，请核对日期。"
        "如果这是会议通知或预告，请发在通知公告等栏目（那里的会议只算提及）。",
        f"content/jx/2026/d.md:2: 警告：标题还是占位文字“{TITLE_PLACEHOLDER}”，请写上文章的标题。",
        f"content/jx/2026/d.md:6: 警告：正文还是占位文字“{BODY_PLACEHOLDER}”，请换成文章的正文。",
        "content/jx/2026/e.md:8: 警告：这篇支部委员会记录的正文只有 1 行、6 个字，太短了：会议记录应写明时间、地点、主持人、出席人数、议题和议定事项"
        "（少于 3 行且少于 60 个字时提示）。记录在附件里的，请在 attachments 中列出附件。",
        f"content/jx/2026/f/index.md:5: 警告：图片“合影.jpg”有 {photo_kb} KB，超过 64 KB（site.toml [images] max_kb）：网页上显示的是缩小到最长边 2000 像素的副本，"
        "原图以“合影-原图.jpg”放在附件中供下载（两者都已去除位置等元数据）。手机照片最好先缩小再上传，网页打开更快。",
    ]


# -- a large photo: a web-sized copy, the original as a download, EXIF removed from both --------


def _phone_photo(width: int, height: int) -> bytes:
    """A noisy photo (it does not compress) taken sideways, with the phone's GPS position in its EXIF."""
    img = Image.frombytes("RGB", (width, height), random.Random(15).randbytes(width * height * 3))
    exif = Image.Exif()
    exif[0x0110] = "Phone X"
    exif[0x0112] = 6  # rotated: shown upright only when turned
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=95)
    return buf.getvalue()


def test_a_large_photo_is_published_smaller_and_its_original_as_a_download(tmp_path: Path) -> None:
    photo = _phone_photo(900, 600)
    assert len(photo) > 128 * 1024
    body = "活动现场：\n\n![活动现场](photo.jpg)\n\n" + FULL_BODY
    site = write_site(
        tmp_path / "site",
        {"content/jx/2026/a/index.md": post_text("三月支委会", "2026-03-05", body=body, **RECORD), "content/jx/2026/a/photo.jpg": photo},
        config="[images]\nmax_kb = 128\nmax_px = 400\n",
    )
    out = tmp_path / "out"
    proc = run_cli("build", str(site), "-o", str(out), "--as-of", "2026-11-27")
    assert proc.returncode == 0, proc.stderr
    assert (
        f"content/jx/2026/a/index.md:10: 警告：图片“photo.jpg”有 {len(photo) / 1024:.0f} KB，超过 128 KB（site.toml [images] max_kb）："
        "网页上显示的是缩小到最长边 400 像素的副本，原图以“photo-原图.jpg”放在附件中供下载（两者都已去除位置等元数据）。手机照片最好先缩小再上传，网页打开更快。"
    ) in proc.stdout
    with Image.open(out / "jx/a/photo.jpg") as web:
        assert web.size == (267, 400) and not dict(web.getexif())  # upright, smaller, no EXIF at all
    with Image.open(out / "jx/a/photo-原图.jpg") as original:
        exif = original.getexif()
        assert original.size == (900, 600) and 0x0110 not in exif and not exif.get_ifd(0x8825)  # no camera, no GPS
    page = (out / "jx/a/index.html").read_text("utf-8")
    assert '<img alt="活动现场" src="photo.jpg">' in page
    assert '<a href="../../jx/a/photo-%E5%8E%9F%E5%9B%BE.jpg">photo-原图.jpg</a> <span class="meta">（原图，' in page
    # another size in site.toml: the copy is made again
    (site / "site.toml").write_text("[images]\nmax_kb = 128\nmax_px = 240\n", encoding="utf-8")
    assert run_cli("build", str(site), "-o", str(out), "--as-of", "2026-11-27").returncode == 0
    with Image.open(out / "jx/a/photo.jpg") as web:
        assert web.size == (160, 240)


def test_images_settings_are_checked() -> None:
    assert parse_config(b"").images == ImagesConfig(max_kb=1024, max_px=2000)
    with pytest.raises(ConfigError) as caught:
        parse_config(b"[images]\nmax_kb = 0\nmaxpx = 800\n")
    assert [p.format() for p in caught.value.problems] == [
        "site.toml:2: 错误：[images] max_kb（超过多大的图片发布缩小的副本（KB））应当是不小于 64 的整数，例如 max_kb = 1024（默认值），现在是 0。",
        "site.toml:3: 错误：[images] 中未知的配置项“maxpx”，是不是“max_px”？可用的有：max_kb、max_px。",
    ]
