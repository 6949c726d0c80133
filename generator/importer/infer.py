"""Entry stage (``liangshai import``), step 2 of 3: converted blocks → front-matter, each field with its source.

Every field says where it came from ("文档属性“标题”", "原文第 2 段“时间：…”")
so the command can print it for confirmation. What cannot be inferred is an
explicit placeholder that ``liangshai check`` rejects with a Chinese message —
never a silent guess:

- title: the document's 标题 property, else its first Word heading, first
  short all-bold paragraph or a short centred first paragraph (that block then
  leaves the body: the page shows the title), else the file name (flagged);
  else ``''`` (check: "标题 title 是空的");
- date: a "时间：2026年3月12日 14:30" line (also in a table row), else a date
  in the title with the year from the text or the file, else the file's own
  last-modified date (flagged: rarely the meeting's); else ``待填写`` (check:
  "日期“待填写”的格式不对");
- meeting types: the configured names and common aliases (支委会, 党员大会, …)
  in the title, all of them, in the order written; else a "会议名称：" line;
- branch: the unit's branch names and their short forms (the name without the
  unit's name, 党支部 → 支部) in the title, else the first lines; a branch
  meeting whose branch is not found gets ``待填写`` (check lists the branches);
- section: ``--section``, else from the meeting's level (branch → 支部生活,
  unit → 党建动态), else 通知公告.

Pure: values in, values out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from generator.core.model import Branch, Unit
from generator.core.privacy import scan
from generator.importer.convert import Block, Converted
from generator.importer.markup import _CHAPTER_RE, _SECTION_RE
from generator.load.config import SiteConfig

PLACEHOLDER = "待填写"
# Lines from the top of the document that may carry the date, meeting or branch.
HEAD_BLOCKS = 12
MAX_BOLD_TITLE = 40
# Common spellings of the default meetings, by meeting key (a site that renames a
# meeting keeps its key, so these still find it); the configured names count too.
MEETING_ALIASES: dict[str, tuple[str, ...]] = {
    "member-meeting": ("支部党员大会", "党员大会"),
    "committee": ("支部委员会", "支委会", "支委会议"),
    "group": ("党小组会", "党小组会议", "党小组学习"),
    "lecture": ("党课",),
    "theme-day": ("主题党日",),
    "life-meeting": ("组织生活会",),
    "unit-committee": ("党委会", "党委会议", "党委扩大会议", "党总支委员会", "党总支会议"),
    "joint-meeting": ("党政联席会", "党政联席会议"),
    "study-group": ("中心组学习", "理论学习中心组", "中心组"),
}
# Sections by key, as DOMAIN.md defines them.
SECTION_FOR_LEVEL = {"branch": "branch-life", "unit": "news", None: "notices"}

# "时间：…" in a paragraph; in a table row the label and the value are separate cells.
_TIME_LABEL_RE = re.compile(r"^\s*(?:会议|活动)?(?:时间|日期)\s*[:：]\s*(.*)$")
_TIME_CELL_RE = re.compile(r"^\s*(?:会议|活动)?(?:时间|日期)\s*[:：]?\s*(.*)$")
_CN_DATE_RE = re.compile(
    r"(?:(\d{4})\s*[年\-/.]\s*)?(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*[（(]?(?:星期|周|礼拜)[一二三四五六日天][)）]?)?"
    r"(?:\s*(上午|下午|晚上|中午|早上|晚)?\s*(\d{1,2})\s*(?:[:：]\s*(\d{2})|[时点]\s*(?:(\d{1,2})\s*分|(半))?))?"
)
_YEAR_RE = re.compile(r"(20\d{2})\s*年")
_MEETING_LABEL_RE = re.compile(r"^\s*(?:会议名称|会议类型|会议形式|活动类型|会议)\s*[:：]\s*(.+)$")
# File names Word and WPS give new documents: never a title.
_DEFAULT_NAME_RE = re.compile(r"^(?:新建.*|文档\s*\d*|Doc\d*|Document\d*|未命名.*|无标题.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Field:
    value: str | None  # None: not inferred (the placeholder is written)
    source: str  # where it came from, or why it could not be inferred (Chinese)
    flagged: bool = False  # inferred, but likely wrong: the report asks to confirm


@dataclass(frozen=True)
class Inference:
    title: Field
    date: Field  # "2026-03-12" or "2026-03-12 14:30"
    meetings: tuple[str, ...]  # meeting names as configured
    meetings_field: Field
    branch: Field  # branch id
    section: Field  # section name
    drop_block: int | None  # the block that became the title (left out of the body)
    branch_required: bool = False  # a branch meeting: no branch found means the placeholder


def _excerpt(text: str, limit: int = 30) -> str:
    """A line as quoted in the report: shortened, and with any number the privacy scan finds masked."""
    flat = " ".join(text.split())
    for finding in sorted(scan(flat, ()), key=lambda f: -len(f.match)):
        flat = flat.replace(finding.match, finding.masked)
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _where(block: Block) -> str:
    return f"原文第 {block.number} 段“{_excerpt(block.text)}”"


def _lines(blocks: tuple[Block, ...]) -> list[tuple[Block, str]]:
    """(block, line) for the head of the document; a table contributes each row."""
    return [(b, line) for b in blocks[:HEAD_BLOCKS] for line in b.text.split("\n") if line.strip()]


# ---------------------------------------------------------------------------
# title


def infer_title(conv: Converted, file_stem: str) -> tuple[Field, int | None]:
    blocks = conv.blocks
    if conv.core_title:
        drop = next((b.number for b in blocks[:3] if b.text.strip() == conv.core_title and b.kind in ("heading", "paragraph")), None)
        return Field(conv.core_title, "文档属性“标题”"), drop
    for b in blocks[:3]:
        found = _title_block(b, conv.centred_lead)
        if found is not None:
            return found, b.number
    stem = file_stem.strip()
    if re.search(r"[\u4e00-\u9fff]", stem) and not _DEFAULT_NAME_RE.match(stem):
        return Field(stem, "文件名（文档没有“标题”属性，开头也没有标题、加粗或居中的短句）", flagged=True), None
    return Field(None, "文档没有“标题”属性，开头也没有标题、加粗或居中的短句"), None


def _title_block(b: Block, centred_lead: str) -> Field | None:
    """The title this block of the document's head reads as: a heading, a short bold or a centred first paragraph."""
    # "一、…" headings, "时间：…" lines and "…：" labels are parts of the body, never its title
    typed = _CHAPTER_RE.match(b.text) or _SECTION_RE.match(b.text) or _TIME_LABEL_RE.match(b.text) or b.text.rstrip().endswith(("：", ":"))
    if typed:
        return None
    if b.kind == "heading":
        return Field(b.text.strip(), f"原文第 {b.number} 段的标题")
    short = b.kind == "paragraph" and len(b.text) <= MAX_BOLD_TITLE
    if short and b.bold:
        return Field(b.text.strip(), f"原文第 {b.number} 段的加粗短句")
    if short and b.number == 1 and centred_lead and b.text.strip() == centred_lead:
        return Field(b.text.strip(), f"原文第 {b.number} 段的居中短句")
    return None


# ---------------------------------------------------------------------------
# date


def _date_text(m: re.Match[str], year: int) -> str | None:
    """ "2026-03-12" or "2026-03-12 14:30" from a `_CN_DATE_RE` match; None when no such day."""
    month, day = int(m.group(2)), int(m.group(3))
    try:
        d = dt.date(year, month, day)
    except ValueError:
        return None
    if m.group(5) is None:
        return d.isoformat()
    hour = int(m.group(5))
    minute = int(m.group(6) or m.group(7) or (30 if m.group(8) else 0))
    if m.group(4) in ("下午", "晚上", "晚") and hour < 12:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return d.isoformat()
    return f"{d.isoformat()} {hour:02d}:{minute:02d}"


def _context_year(conv: Converted, title: str | None, tz: dt.tzinfo) -> tuple[int | None, str]:
    for text, where in ([(title, "标题")] if title else []) + [(b.text, _where(b)) for b in conv.blocks]:
        m = _YEAR_RE.search(text)
        if m and 2000 <= int(m.group(1)) <= 2100:
            return int(m.group(1)), where
    if conv.core_date is not None:
        return conv.core_date.astimezone(tz).year, "文件的修改时间"
    return None, ""


def infer_date(conv: Converted, title: str | None, config: SiteConfig) -> Field:
    tz = config.tz
    for block, line in _lines(conv.blocks):
        label = (_TIME_CELL_RE if block.kind == "table" else _TIME_LABEL_RE).match(line)
        if not label:
            continue
        m = _CN_DATE_RE.search(label.group(1))
        if not m:
            continue
        if m.group(1):
            value = _date_text(m, int(m.group(1)))
            if value:
                return Field(value, f"原文第 {block.number} 段“{_excerpt(line)}”")
        else:
            year, year_from = _context_year(conv, title, tz)
            value = _date_text(m, year) if year else None
            if value:
                return Field(value, f"原文第 {block.number} 段“{_excerpt(line)}”，年份取自{year_from}", flagged=True)
    if title:
        m = re.search(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日", title)
        if m:
            parts = _CN_DATE_RE.match(m.group(0))
            if parts:
                if m.group(1):
                    value = _date_text(parts, int(m.group(1)))
                    if value:
                        return Field(value, "标题中的日期")
                else:
                    year, year_from = _context_year(conv, title, tz)
                    value = _date_text(parts, year) if year else None
                    if value:
                        return Field(value, f"标题中的日期，年份取自{year_from}", flagged=True)
    if conv.core_date is not None:
        day = conv.core_date.astimezone(tz).date()
        return Field(day.isoformat(), "文件的最后修改时间（文中没有“时间：”行，标题中也没有日期），很可能不是会议日期", flagged=True)
    return Field(None, "文中没有“时间：2026年3月12日 14:30”这样的行，标题中和文件属性中也没有日期")


# ---------------------------------------------------------------------------
# meetings


def _meeting_words(config: SiteConfig) -> list[tuple[str, str]]:
    """(word, meeting name), longest word first so 支部党员大会 wins over 党员大会."""
    words: dict[str, str] = {}
    for m in config.meetings:
        words.setdefault(m.name, m.name)
        for alias in MEETING_ALIASES.get(m.key, ()):
            words.setdefault(alias, m.name)
    return sorted(words.items(), key=lambda kv: (-len(kv[0]), kv[0]))


def _meetings_in(text: str, config: SiteConfig) -> list[str]:
    found: list[tuple[int, str]] = []
    taken = [False] * len(text)
    for word, name in _meeting_words(config):
        for m in re.finditer(re.escape(word), text):
            if any(taken[m.start() : m.end()]):
                continue
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            found.append((m.start(), name))
    names: list[str] = []
    for _, name in sorted(found):
        if name not in names:
            names.append(name)
    return names


def infer_meetings(conv: Converted, title: str | None, config: SiteConfig, drop: int | None) -> tuple[tuple[str, ...], Field]:
    if title:
        names = _meetings_in(title, config)
        if names:
            return tuple(names), Field("、".join(names), "标题")
    for block, line in _lines(conv.blocks):
        if block.number == drop:
            continue
        label = _MEETING_LABEL_RE.match(line)
        names = _meetings_in(label.group(1), config) if label else []
        if names:
            return tuple(names), Field("、".join(names), f"原文第 {block.number} 段“{_excerpt(line)}”")
    return (), Field(None, "标题和“会议名称：”行中没有会议类型，按非会议的文章处理")


# ---------------------------------------------------------------------------
# branch


def branch_words(unit: Unit) -> list[tuple[str, Branch]]:
    """Each branch's full name and short forms, longest first; a short form two branches share is dropped."""
    stem = re.sub(r"(?:党委|党总支|党工委|直属党支部)$", "", unit.name)
    forms: dict[str, set[str]] = {}
    for b in unit.branches:
        variants = {b.name}
        rest = b.name[len(stem) :] if stem and b.name.startswith(stem) else b.name
        variants.add(rest)
        variants |= {v[: -len("党支部")] + "支部" for v in list(variants) if v.endswith("党支部")}
        for v in variants:
            if len(v) >= 4:
                forms.setdefault(v, set()).add(b.id)
    by_id = {b.id: b for b in unit.branches}
    words = [(w, by_id[next(iter(ids))]) for w, ids in forms.items() if len(ids) == 1]
    return sorted(words, key=lambda wb: (-len(wb[0]), wb[0]))


def infer_branch(conv: Converted, title: str | None, unit: Unit, drop: int | None) -> Field:
    words = branch_words(unit)
    places = ([(title, "标题")] if title else []) + [(line, f"原文第 {b.number} 段“{_excerpt(line)}”") for b, line in _lines(conv.blocks) if b.number != drop]
    for text, where in places:
        hits = {b.id: b for w, b in words if w in text}
        if len(hits) == 1:
            b = next(iter(hits.values()))
            return Field(b.id, f"{where}中的“{next(w for w, x in words if x.id == b.id and w in text)}”")
        if len(hits) > 1:
            return Field(None, f"{where}中提到了几个支部（{'、'.join(h.name for h in hits.values())}），无法确定是哪一个")
    return Field(None, "标题和开头几段中没有本单位的支部名称")


# ---------------------------------------------------------------------------
# all together


def infer(conv: Converted, config: SiteConfig, unit: Unit, *, file_stem: str, section: str | None = None) -> Inference:
    """``section``: the --section the user gave (already validated), or None."""
    title, drop = infer_title(conv, file_stem)
    date = infer_date(conv, title.value, config)
    meetings, meetings_field = infer_meetings(conv, title.value, config, drop)
    levels = {config.meeting(n).level for n in meetings if config.meeting(n)}  # type: ignore[union-attr]
    level = "branch" if "branch" in levels else ("unit" if "unit" in levels else None)
    if level == "unit":
        branch = Field(None, "单位的会议，不属于某个支部")
    else:
        branch = infer_branch(conv, title.value, unit, drop)
    if section:
        s = config.section(section)
        section_field = Field(s.name if s else None, "--section")
    else:
        key = SECTION_FOR_LEVEL[level]
        s = next((x for x in config.sections if x.key == key), None)
        why = {"branch": "会议类型：支部的会议", "unit": "会议类型：单位的会议", None: "默认值：不是会议记录时放在通知公告，不对时请用 --section 指定"}[level]
        section_field = Field(s.name, why, flagged=level is None) if s else Field(None, f"站点没有网址为 {key} 的栏目")
    return Inference(title, date, meetings, meetings_field, branch, section_field, drop, level == "branch")
