"""Build, model phase: what is probably wrong across the posts — warnings, never errors.

- **the same post twice**: two posts of one unit with the same title and the
  same day (a copy saved under a second name, a record pasted twice). The later
  one by path is reported, naming the first;
- **a meeting record from the future**: a post recording a meeting (its meeting
  in one of the meeting's record sections, `SiteConfig.recorded_meetings`)
  dated after the as-of day (`records.resolve_as_of`: ``--as-of``, else
  SOURCE_DATE_EPOCH, else today). A notice announcing a future meeting (a
  section where the meeting is only mentioned) is fine.

Run over the posts of the model (`Builder._model`); in a selective check only
the selected posts are parsed, so a copy among the others is not seen. A
post's title and date lines are read from its file only for the posts reported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from operator import attrgetter
from pathlib import Path

from generator.core.errors import Problem, warning
from generator.core.model import Post
from generator.load.config import SiteConfig

_KEYS = {"title": r"title|标题", "date": r"date|日期"}


def field_line(site_dir: Path, post: Post, field: str) -> int:
    """The line of ``field``'s key in the post's front-matter; 1 when it cannot be found."""
    pattern = re.compile(rf"^\s*[\"']?(?:{_KEYS[field]})[\"']?\s*[:：]", re.IGNORECASE)
    try:
        lines = (site_dir / post.source).read_text("utf-8", errors="replace").split("\n")
    except OSError:
        return 1
    return next((n for n, line in enumerate(lines[1 : post.body_line], 2) if pattern.match(line)), 1)


def crosspost_problems(posts: Sequence[Post], config: SiteConfig, as_of: dt.date, site_dir: Path) -> list[Problem]:
    return [*same_title_and_day(posts, site_dir), *future_records(posts, config, as_of, site_dir)]


def same_title_and_day(posts: Sequence[Post], site_dir: Path) -> list[Problem]:
    """A warning on each post whose unit already has one with its title and day."""
    first: dict[tuple[str, str, dt.date], Post] = {}
    problems: list[Problem] = []
    for p in sorted(posts, key=attrgetter("source")):
        key = (p.unit, p.title.strip(), p.day)
        other = first.setdefault(key, p)
        if other is not p:
            problems.append(
                warning(
                    p.source,
                    field_line(site_dir, p, "title"),
                    f"与 {other.source} 的标题和日期都相同（“{p.title}”，{p.day.isoformat()}）：是不是同一篇发了两次？"
                    "重复的请删除一篇；两篇不同的文章，请把标题写得能区分开（例如写明支部或主题）。",
                )
            )
    return problems


def future_records(posts: Sequence[Post], config: SiteConfig, as_of: dt.date, site_dir: Path) -> list[Problem]:
    """A warning on each meeting record dated after ``as_of``."""
    problems: list[Problem] = []
    for p in posts:
        if p.day <= as_of:  # (nearly every post: the date first, then the meetings)
            continue
        recorded = config.recorded_meetings(p.meetings, p.section)
        if not recorded:
            continue
        names = "、".join(config.meeting_by_key(k).name for k in recorded)
        elsewhere = [s.name for s in config.sections if not any(s.key in config.meeting_by_key(k).sections for k in recorded)]
        notice = f"如果这是会议通知或预告，请发在{elsewhere[0]}等栏目（那里的会议只算提及）。" if elsewhere else ""
        problems.append(
            warning(
                p.source,
                field_line(site_dir, p, "date"),
                f"这篇{names}记录的日期 {p.day.isoformat()} 晚于截止日期 {as_of.isoformat()}（默认是今天）：会议记录的日期应当是会议召开的那一天，"
                f"请核对日期。{notice}",
            )
        )
    return problems
