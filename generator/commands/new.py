"""Entry helper: ``liangshai new`` writes a post skeleton dated today.

Validates the unit, section, meeting and branch against the site before
writing, so the skeleton it creates always passes ``liangshai check``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml

from generator.core.errors import choices_text
from generator.core.model import UNIT_FILE, Branch, Unit
from generator.load.config import Meeting, SiteConfig, load_config
from generator.load.sources import unit_name_problem
from generator.parse.post import parse_unit


class NewPostError(Exception):
    """A bad argument to ``new``; the message is Chinese and lists the choices."""


# Line breaks YAML and editors count (parse.decode turns them all into "\n"): in a
# title they would end the field and let the rest of the title become new fields.
_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")


def front_matter(fields: dict[str, object]) -> str:
    """``fields`` as YAML, by the emitter: quotes, colons and "#" in a title stay text.

    Never built by string concatenation: ``title: "学习"两会"精神"`` is invalid
    YAML. One line per field (no folding, whatever the length), Chinese as is.
    """
    return yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, default_flow_style=False, width=2**31 - 1)


def _slug_for(title: str, day: dt.date, folder: Path) -> str:
    base = day.strftime("%Y%m%d")
    ascii_part = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    stem = f"{base}-{ascii_part}" if ascii_part else base
    candidate, n = stem, 2
    while (folder / f"{candidate}.md").exists() or (folder / candidate).exists():
        candidate, n = f"{stem}-{n}", n + 1
    return candidate


def create_post(site: Path, *, unit: str, section: str, meeting: str | None, branch: str | None, title: str | None, today: dt.date | None = None) -> Path:
    if title is not None and _BREAKS.search(title):
        raise NewPostError("标题不能含有换行：front-matter 中的标题只能写在一行里，换行后的文字会被当成其他字段。请把标题写成一行，例如 --title '学习“两会”精神'。")
    config = load_config(site)
    u, rel = _unit(site, unit, config)
    s = config.section(section)
    if s is None:
        raise NewPostError(f"栏目“{section}”不存在。可选：{choices_text([x.name for x in config.sections])}。")
    m = _meeting(config, meeting)
    b = _branch(u, rel, m, branch)
    day = today or dt.datetime.now(config.tz).date()
    heading = title or (f"{b.name if b else u.name}{m.name}" if m else "（请填写标题）")
    folder = site / "content" / unit / str(day.year)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_slug_for(title or (m.key if m else 'post'), day, folder)}.md"
    fields: dict[str, object] = {"title": heading, "date": day, "section": s.name}
    if m:
        fields["meeting"] = m.name
    if b:
        fields["branch"] = b.id
    path.write_text(_skeleton(fields, meeting=m is not None), encoding="utf-8")
    return path


def _unit(site: Path, unit: str, config: SiteConfig) -> tuple[Unit, str]:
    """The unit named ``unit`` (a folder of content/ with a valid _unit.toml) and its file."""
    content = site / "content"
    units = sorted(p.name for p in content.iterdir() if (p / UNIT_FILE).is_file() and unit_name_problem(p.name) is None) if content.is_dir() else []
    if unit not in units:
        raise NewPostError(f"单位“{unit}”不存在（应为 content/ 下含 {UNIT_FILE} 的文件夹名）。可选：{choices_text(units)}。")
    rel = f"content/{unit}/{UNIT_FILE}"
    u, problems = parse_unit((site / rel).read_bytes(), rel, unit, config)
    if u is None:
        raise NewPostError("；".join(p.format() for p in problems))
    return u, rel


def _meeting(config: SiteConfig, meeting: str | None) -> Meeting | None:
    m = config.meeting(meeting) if meeting else None
    if meeting and m is None:
        raise NewPostError(f"会议类型“{meeting}”不存在。可选：{choices_text([x.name for x in config.meetings])}。")
    return m


def _branch(u: Unit, rel: str, m: Meeting | None, branch: str | None) -> Branch | None:
    """The branch named by --branch; required for a branch meeting."""
    b = u.branch(branch) if branch else None
    if branch and b is None:
        raise NewPostError(f"支部“{branch}”不在 {rel} 中。可选：{choices_text([f'{x.id}（{x.name}）' for x in u.branches])}。")
    if m and m.level == "branch" and b is None:
        raise NewPostError(f"“{m.name}”是支部的会议，请用 --branch 指定支部。可选：{choices_text([f'{x.id}（{x.name}）' for x in u.branches])}。")
    return b


# The body of a meeting record: the facts a record must give, then the topics and decisions.
_MEETING_BODY = ["## 基本情况", "", "- 时间：", "- 地点：", "- 主持人：", "- 记录人：", "- 应到 人，实到 人，缺席 人", "", "## 议题", "", "1. ", "", "## 议定事项", "", "1. ", ""]


def _skeleton(fields: dict[str, object], *, meeting: bool) -> str:
    lines = ["---", *front_matter(fields).splitlines(), "# category: 组织生活", "# tags: []", "# attachments: []", "---", ""]
    lines += _MEETING_BODY if meeting else ["（在这里写正文。）", ""]
    return "\n".join(lines)
