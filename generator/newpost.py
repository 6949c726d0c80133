"""Entry helper: ``liangshai new`` writes a post skeleton dated today.

Validates the unit, section, meeting and branch against the site before
writing, so the skeleton it creates always passes ``liangshai check``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .config import load_config
from .errors import choices_text
from .model import UNIT_FILE
from .parse import parse_unit


class NewPostError(Exception):
    """A bad argument to ``new``; the message is Chinese and lists the choices."""


def _slug_for(title: str, day: dt.date, folder: Path) -> str:
    base = day.strftime("%Y%m%d")
    ascii_part = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    stem = f"{base}-{ascii_part}" if ascii_part else base
    candidate, n = stem, 2
    while (folder / f"{candidate}.md").exists() or (folder / candidate).exists():
        candidate, n = f"{stem}-{n}", n + 1
    return candidate


def create_post(site: Path, *, unit: str, section: str, meeting: str | None, branch: str | None, title: str | None, today: dt.date | None = None) -> Path:
    config = load_config(site)
    content = site / "content"
    units = sorted(p.name for p in content.iterdir() if (p / UNIT_FILE).is_file()) if content.is_dir() else []
    if unit not in units:
        raise NewPostError(f"单位“{unit}”不存在（应为 content/ 下含 {UNIT_FILE} 的文件夹名）。可选：{choices_text(units)}。")
    rel = f"content/{unit}/{UNIT_FILE}"
    u, problems = parse_unit((site / rel).read_bytes(), rel, unit, config)
    if u is None:
        raise NewPostError("；".join(p.format() for p in problems))
    s = config.section(section)
    if s is None:
        raise NewPostError(f"栏目“{section}”不存在。可选：{choices_text([x.name for x in config.sections])}。")
    m = config.meeting(meeting) if meeting else None
    if meeting and m is None:
        raise NewPostError(f"会议类型“{meeting}”不存在。可选：{choices_text([x.name for x in config.meetings])}。")
    b = u.branch(branch) if branch else None
    if branch and b is None:
        raise NewPostError(f"支部“{branch}”不在 {rel} 中。可选：{choices_text([f'{x.id}（{x.name}）' for x in u.branches])}。")
    if m and m.level == "branch" and b is None:
        raise NewPostError(f"“{m.name}”是支部的会议，请用 --branch 指定支部。可选：{choices_text([f'{x.id}（{x.name}）' for x in u.branches])}。")
    day = today or dt.datetime.now(config.tz).date()
    heading = title or (f"{b.name if b else u.name}{m.name}" if m else "（请填写标题）")
    folder = content / unit / str(day.year)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_slug_for(title or (m.key if m else 'post'), day, folder)}.md"
    lines = ["---", f"title: \"{heading}\"", f"date: {day.isoformat()}", f"section: {s.name}"]
    if m:
        lines.append(f"meeting: {m.name}")
    if b:
        lines.append(f"branch: {b.id}")
    lines += ["# category: 组织生活", "# tags: []", "# attachments: []", "---", ""]
    if m:
        lines += ["## 基本情况", "", "- 时间：", "- 地点：", "- 主持人：", "- 记录人：", "- 应到 人，实到 人，缺席 人", "", "## 议题", "", "1. ", "", "## 议定事项", "", "1. ", ""]
    else:
        lines += ["（在这里写正文。）", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
