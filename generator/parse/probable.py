"""Parse stage: what is probably wrong in one post that parsed — warnings, never errors.

Two kinds of mistake that pass every field check:

- **placeholders left from ``liangshai new``**: the title `TITLE_PLACEHOLDER`,
  the body `BODY_PLACEHOLDER` or the unfilled meeting template `MEETING_BODY`,
  and the comment `DATE_COMMENT` above the date of a meeting record (the
  skeleton is dated the day it was made, the record takes the meeting's day).
  `commands.new` writes these very constants, so the check and the skeleton
  cannot drift apart;
- **a meeting record too short to be one**: fewer than `MIN_RECORD_LINES`
  non-empty lines *and* fewer than `MIN_RECORD_CHARS` characters of text (both:
  one long paragraph, or three short lines, is a record). A post that lists
  attachments is not measured: its record is usually the attached minutes.

A third, `image_problems`: a photo the post publishes over ``[images] max_kb``
(`load.images.web_sized`) is shown as a web-sized copy, its original offered as
a download; the author is told, so the next photo is made smaller first.

`probable_problems` and `image_problems` are run by the build on every post it renders (a draft only
with ``--drafts``), after `parse_post`; the checks across posts (the same title
and date twice, a record dated after the as-of day) are `build.crosspost`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from generator.core.errors import Problem, warning
from generator.core.model import Attachment, Post
from generator.load.config import SiteConfig
from generator.load.images import original_name, web_sized

TITLE_PLACEHOLDER = "（请填写标题）"
BODY_PLACEHOLDER = "（在这里写正文。）"
# The marker `new` puts above the date of a meeting record; check warns while it is there.
DATE_MARK = "【请改为会议日期】"
DATE_COMMENT = f"# {DATE_MARK}下一行是新建这篇文章那天的日期；会议记录的日期应当是会议召开的那一天。改好日期后删除这一行。"

# The body of a meeting record `new` writes: the facts a record must give, then the topics and decisions.
MEETING_BODY = (
    "## 基本情况", "", "- 时间：", "- 地点：", "- 主持人：", "- 记录人：", "- 应到 人，实到 人，缺席 人", "",
    "## 议题", "", "1. ", "", "## 议定事项", "", "1. ", "",
)

# A meeting record shorter than both is probably a stub (see the module docstring).
MIN_RECORD_LINES = 3
MIN_RECORD_CHARS = 60

# What is not text when counting a record's characters: spaces and Markdown's list/heading/emphasis marks.
_NOT_TEXT = re.compile(r"[\s#*>\-_`|]+")


def _line_of(raw: bytes, needle: str, start: int = 1) -> int:
    """The file line (from 1) holding ``needle`` at or after line ``start``; 0 when none does."""
    wanted = needle.encode("utf-8")
    if wanted not in raw:  # the usual case (asked of every post): no split into lines (a needle holds no newline)
        return 0
    for n, line in enumerate(raw.split(b"\n")[start - 1 :], start):
        if wanted in line:
            return n
    return 0


def _normalised(lines: list[str] | tuple[str, ...]) -> list[str]:
    return [x.strip() for x in lines if x.strip()]


def probable_problems(post: Post, raw: bytes, config: SiteConfig) -> list[Problem]:
    """The warnings about ``post`` (parsed from ``raw``, its body still in ``post.body``)."""
    problems: list[Problem] = []
    rel = post.source
    if (line := _line_of(raw, DATE_MARK)) and line < post.body_line:
        problems.append(warning(rel, line, f"日期还没有确认：这是新建时的日期。会议记录的 date 应当是会议召开的那一天；改好日期后，请删除这一行提示（含“{DATE_MARK}”）。"))
    if TITLE_PLACEHOLDER in post.title:
        problems.append(warning(rel, _line_of(raw, TITLE_PLACEHOLDER) or 1, f"标题还是占位文字“{TITLE_PLACEHOLDER}”，请写上文章的标题。"))
    body = post.body.split("\n")
    if line := _line_of(raw, BODY_PLACEHOLDER, post.body_line):
        problems.append(warning(rel, line, f"正文还是占位文字“{BODY_PLACEHOLDER}”，请换成文章的正文。"))
    elif _normalised(body) == _normalised(MEETING_BODY):
        problems.append(warning(rel, post.body_line, "正文还是新建时的会议记录模板，请填写时间、地点、主持人、记录人、出席人数、议题和议定事项。"))
    elif (short := _short_record(post, body, config)) is not None:
        problems.append(short)
    return problems


def _short_record(post: Post, body: list[str], config: SiteConfig) -> Problem | None:
    """A warning when ``post`` records a meeting in a body too short to be its record."""
    recorded = config.recorded_meetings(post.meetings, post.section)
    if not recorded or post.attachments:
        return None
    lines = [x for x in body if x.strip()]
    chars = len(_NOT_TEXT.sub("", "".join(lines)))
    if len(lines) >= MIN_RECORD_LINES or chars >= MIN_RECORD_CHARS:
        return None
    names = "、".join(config.meeting_by_key(k).name for k in recorded)
    first = next((post.body_line + i for i, x in enumerate(body) if x.strip()), post.body_line)
    return warning(
        post.source,
        first,
        f"这篇{names}记录的正文只有 {len(lines)} 行、{chars} 个字，太短了：会议记录应写明时间、地点、主持人、出席人数、议题和议定事项"
        f"（少于 {MIN_RECORD_LINES} 行且少于 {MIN_RECORD_CHARS} 个字时提示）。记录在附件里的，请在 attachments 中列出附件。",
    )


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def image_problems(post: Post, resources: Iterable[Attachment], raw: bytes, config: SiteConfig) -> list[Problem]:
    """A warning for each photo of the post (attached or in its body) published as a web-sized copy."""
    images = config.images
    problems: list[Problem] = []
    for a in (*post.attachments, *resources):
        if web_sized(a.name, a.size, images):
            problems.append(
                warning(
                    post.source,
                    _line_of(raw, a.name, 2) or 1,
                    f"图片“{a.name}”有 {_size_text(a.size)}，超过 {images.max_kb} KB（site.toml [images] max_kb）：网页上显示的是缩小到最长边 {images.max_px} 像素的副本，"
                    f"原图以“{original_name(a.name)}”放在附件中供下载（两者都已去除位置等元数据）。手机照片最好先缩小再上传，网页打开更快。",
                )
            )
    return problems
