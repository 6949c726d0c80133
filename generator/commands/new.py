"""Entry helper: ``liangshai new`` (``新建``) writes a post skeleton.

Validates the unit, section, meetings and branch against the site before
writing, so the skeleton it creates passes ``liangshai check`` (with warnings
for the placeholders it leaves: `parse.probable`, whose constants it writes).
Several meetings may be given (``--meeting`` repeated, or one value separated
by commas, 顿号 or semicolons), each by its name, key or alias. The date is
``--date``, else today; a meeting record (its meetings in a section that records
them; a notice only mentions them) dated today by default gets a comment above
its date (`DATE_COMMENT`) saying the record takes the meeting's day.

The file is named after the date and the title in pinyin (`file_stem`), else
the meetings and the branch: never a bare number, never an existing name.
Asking for each field in a terminal is `commands.new_prompt`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.core.errors import choices_text
from generator.core.model import UNIT_FILE, Branch, Unit
from generator.core.settings import UMBRELLA_MEETINGS
from generator.load.config import Meeting, SiteConfig, load_config
from generator.load.sources import unit_name_problem
from generator.parse.post import parse_unit
from generator.parse.probable import BODY_PLACEHOLDER, DATE_COMMENT, MEETING_BODY, TITLE_PLACEHOLDER
from generator.parse.yamlnodes import LIST_SEPARATORS


class NewPostError(Exception):
    """A bad argument to ``new``; the message is Chinese and lists the choices."""


# Line breaks YAML and editors count (parse.decode turns them all into "\n"): in a
# title they would end the field and let the rest of the title become new fields.
_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")

# The longest pinyin part of a file name: long enough to tell posts apart, short enough to read.
MAX_STEM = 48


@dataclass(frozen=True)
class NewPost:
    """What the author asked for, as written (names, not yet checked)."""

    unit: str
    section: str
    meetings: tuple[str, ...] = ()
    branch: str | None = None
    title: str | None = None
    day: dt.date | None = None  # None: today, with `DATE_COMMENT` for a meeting record


def split_meetings(values: Sequence[str] | None) -> tuple[str, ...]:
    """Every meeting named in ``values`` (each possibly "主题党日,党课" or "主题党日、党课"), in order."""
    return tuple(w.strip() for v in values or () for w in LIST_SEPARATORS.split(v) if w.strip())


def front_matter(fields: dict[str, object]) -> str:
    """``fields`` as YAML, by the emitter: quotes, colons and "#" in a title stay text.

    Never built by string concatenation: ``title: "学习"两会"精神"`` is invalid
    YAML. One line per field (no folding, whatever the length), Chinese as is.
    """
    return yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, default_flow_style=False, width=2**31 - 1)


def file_stem(title: str | None, day: dt.date, meetings: Sequence[Meeting], branch: Branch | None, section: str = "post") -> str:
    """``20260315-di-yi-jiao-gong-dang-zhi-bu-zhao-kai-3-yue`` from the title in pinyin, else
    ``20260315-committee-jx-jg1`` from the meetings and branch, else ``20260315-notices`` from
    the section's key: something to read, never a bare number."""
    from pypinyin import lazy_pinyin

    words = "-".join(lazy_pinyin(title or "")).lower()
    part = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    if len(part) > MAX_STEM:  # cut at a syllable, not inside one
        part = part[: MAX_STEM + 1].rsplit("-", 1)[0]
    if not re.search("[a-z]", part):  # no title, or only digits ("3月" → "3-yue" has letters)
        part = "-".join([*(m.key for m in meetings), *([branch.id] if branch else [])]) or section
    return f"{day.strftime('%Y%m%d')}-{part}"


def _free_name(stem: str, folder: Path) -> str:
    """``stem``, or ``stem-2``, ``stem-3`` …: the first name no file or bundle has yet."""
    candidate, n = stem, 2
    while (folder / f"{candidate}.md").exists() or (folder / candidate).exists():
        candidate, n = f"{stem}-{n}", n + 1
    return candidate


def create_post(site: Path, request: NewPost, *, today: dt.date | None = None) -> Path:
    """Write the skeleton ``request`` describes; its path. Raises `NewPostError` with the choices."""
    title = request.title
    if title is not None and _BREAKS.search(title):
        raise NewPostError("标题不能含有换行：front-matter 中的标题只能写在一行里，换行后的文字会被当成其他字段。请把标题写成一行，例如 --title '学习“两会”精神'。")
    config = load_config(site)
    u, rel = find_unit(site, request.unit, config)
    s = config.section(request.section)
    if s is None:
        raise NewPostError(f"栏目“{request.section}”不存在。可选：{choices_text([x.name for x in config.sections])}。")
    ms = find_meetings(config, request.meetings)
    b = find_branch(u, rel, ms, request.branch)
    day = request.day or today or dt.datetime.now(config.tz).date()
    # a record of its meetings (not a notice that only mentions them): the record's title, template and date note
    record = bool(config.recorded_meetings(tuple(m.key for m in ms), s.key))
    heading = title or (f"{b.name if b else u.name}{'、'.join(m.name for m in ms)}" if record else TITLE_PLACEHOLDER)
    folder = site / "content" / request.unit / str(day.year)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_free_name(file_stem(title, day, ms, b, s.key), folder)}.md"
    fields: dict[str, object] = {"title": heading, "date": day, "section": s.name}
    if ms:
        fields["meeting"] = ms[0].name if len(ms) == 1 else [m.name for m in ms]
    if b:
        fields["branch"] = b.id
    path.write_text(_skeleton(fields, meeting=record, date_unsure=record and request.day is None), encoding="utf-8")
    return path


def units_of(site: Path) -> list[str]:
    """The unit folders of content/ (each with a valid name and a _unit.toml), sorted."""
    content = site / "content"
    if not content.is_dir():
        return []
    return sorted(p.name for p in content.iterdir() if (p / UNIT_FILE).is_file() and unit_name_problem(p.name) is None)


def find_unit(site: Path, unit: str, config: SiteConfig) -> tuple[Unit, str]:
    """The unit named ``unit`` (a folder of content/ with a valid _unit.toml) and its file."""
    units = units_of(site)
    if unit not in units:
        raise NewPostError(f"单位“{unit}”不存在（应为 content/ 下含 {UNIT_FILE} 的文件夹名）。可选：{choices_text(units)}。")
    rel = f"content/{unit}/{UNIT_FILE}"
    u, problems = parse_unit((site / rel).read_bytes(), rel, unit, config)
    if u is None:
        raise NewPostError("；".join(p.format() for p in problems))
    return u, rel


def find_meetings(config: SiteConfig, words: Sequence[str]) -> list[Meeting]:
    """The meetings ``words`` name (names, keys or aliases), each once, in order."""
    found: list[Meeting] = []
    valid = [x.name for x in config.meetings]
    for word in words:
        m = config.meeting(word)
        if m is None:
            covered = [config.meeting_by_key(k).name for k in UMBRELLA_MEETINGS.get(word, ()) if any(x.key == k for x in config.meetings)]
            if covered:
                raise NewPostError(f"“{word}”是{'、'.join(covered)}的统称，不是一种会议。请写出召开的是哪一种，例如 --meeting {covered[0]}；几种一起召开时都写上，例如 --meeting {covered[0]},{covered[-1]}。")
            raise NewPostError(f"会议类型“{word}”不存在。可选：{choices_text(valid)}。")
        if m not in found:
            found.append(m)
    return found


def find_branch(u: Unit, rel: str, ms: Sequence[Meeting], branch: str | None) -> Branch | None:
    """The branch named by --branch (its id, full name, or the name without the unit's); required for a branch meeting."""
    choices = choices_text([f"{x.id}（{x.name}）" for x in u.branches])
    b = None
    if branch:
        b = u.branch(branch)
        ending = [x for x in u.branches if len(branch) >= 3 and x.name.endswith(branch)]
        if b is None and len(ending) == 1:
            b = ending[0]
        if b is None:
            raise NewPostError(f"支部“{branch}”不在 {rel} 中。可选：{choices}。")
    level = [m.name for m in ms if m.level == "branch"]
    if level and b is None:
        raise NewPostError(f"“{'、'.join(level)}”是支部的会议，请用 --branch 指定支部。可选：{choices}。")
    return b


def _skeleton(fields: dict[str, object], *, meeting: bool, date_unsure: bool) -> str:
    head = front_matter(fields).splitlines()
    if date_unsure:  # the prominent note above the date: check warns while it is there
        at = next(i for i, line in enumerate(head) if line.startswith("date:"))
        head[at:at] = [DATE_COMMENT]
    lines = ["---", *head, "# category: 组织生活", "# tags: []", "# attachments: []", "---", ""]
    lines += MEETING_BODY if meeting else [BODY_PLACEHOLDER, ""]
    return "\n".join(lines)
