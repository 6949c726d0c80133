"""Warnings for what is probably wrong (issue 15): placeholders left from `new`, stub meeting
records, the same post twice, a meeting record from the future — and all of them in one run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import UNIT_TOML, post_text, run_cli, write_site

from generator.build.crosspost import crosspost_problems
from generator.core.errors import Severity
from generator.load.config import SiteConfig
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
        },
    )
    proc = run_cli("check", str(site), env={"SOURCE_DATE_EPOCH": str(AS_OF_EPOCH)})
    assert proc.returncode == 0, proc.stderr
    return site, proc.stdout


def test_every_probable_mistake_in_one_run(mistakes: tuple[Path, str]) -> None:
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
    ]
