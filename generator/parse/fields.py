"""Parse stage: a post's composed front-matter → typed field values, one method per field.

`FieldReader` holds what every field needs — the post's path, its decoded
front-matter (fields by canonical name, each with the line of its key), the
site configuration, the unit and the problem list — and offers one method per
field (`title`, `date`, `section`, `meetings`, `branch`, `category`, `tags`,
`draft`, `summary`, `privacy_ok`, `attachments`, `unreadable_ok`). Each method
appends the problems of its field and returns the value, or None when the value
is unusable; `parse_post` calls them in a fixed order, so every problem is
located and collected before the post is refused.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import unicodedata
from dataclasses import dataclass, replace

import yaml

from generator.core.errors import Problem, choices_text, control_message, did_you_mean, error, warning
from generator.core.model import Attachment, Branch, FileFacts, Unit
from generator.core.plans import REPORT_KINDS
from generator.core.privacy import Finding
from generator.core.settings import UMBRELLA_MEETINGS
from generator.core.urls import collision_key
from generator.load import attachments as att
from generator.load.config import SiteConfig
from generator.parse.dates import parse_date
from generator.parse.paths import _attachment_kind, confine, lookup_file, post_slug
from generator.parse.privacy_problems import _name_findings
from generator.parse.text import _CONTROL_RE
from generator.parse.yamlnodes import _bad_tag, _list, _text, cn_quoted

# canonical key -> accepted spellings
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "标题"),
    "date": ("date", "日期"),
    "section": ("section", "栏目"),
    "meeting": ("meeting", "会议", "meetings"),
    "branch": ("branch", "支部"),
    "category": ("category", "分类"),
    "tags": ("tags", "标签"),
    "attachments": ("attachments", "附件"),
    "draft": ("draft", "草稿"),
    "summary": ("summary", "摘要"),
    "privacy_ok": ("privacy_ok", "隐私确认"),
    "unreadable_ok": ("unreadable_ok", "人工核对"),
    "tasks": ("tasks", "任务"),
    "project": ("project", "项目"),
    "report": ("report", "报告"),
}
_ALIAS_TO_FIELD = {alias: key for key, aliases in FIELD_ALIASES.items() for alias in aliases}

# The list fields whose unquoted items are split at commas, 顿号 and semicolons.
# (privacy_ok is not: each entry is exact text of the post, which may hold any of them.)
_SPLIT_FIELDS = frozenset({"meeting", "tags", "attachments", "unreadable_ok", "tasks"})

_TRUE = {"true", "yes", "on", "是", "1"}
_FALSE = {"false", "no", "off", "否", "0"}

# Longest values that still make sense on a page; beyond them a value is a paste accident.
MAX_TITLE = 200
MAX_SUMMARY = 1000
MAX_TAG = 40


@dataclass(frozen=True)
class Field:
    """One front-matter entry: its value node, the line of its key, and the key as written."""

    node: yaml.Node
    line: int
    key: str


@dataclass(frozen=True)
class Acknowledged:
    """The post's ``privacy_ok``: the entries, the line naming each, and the lines holding them."""

    entries: tuple[str, ...]
    lines: dict[str, int]
    skip: frozenset[int]


@dataclass(frozen=True)
class Attached:
    """The post's ``attachments``: what is published, the findings in their names, and the line listing each source."""

    items: tuple[Attachment, ...]
    names: tuple[tuple[int, list[Finding]], ...]
    listed: dict[str, int]


class FieldReader:
    """Reads the fields of one post's front-matter, collecting the problems of each.

    Line numbers are those of the post file (the front-matter starts on line 2);
    a problem about a missing field is reported on line 1.
    """

    def __init__(
        self,
        relpath: str,
        node: yaml.MappingNode,
        config: SiteConfig,
        unit: Unit,
        files: dict[str, FileFacts],
        problems: list[Problem],
        unreadable: frozenset[str] = frozenset(),
    ) -> None:
        self.relpath = relpath
        # fields whose lines YAML could not read (already reported): not also "missing"
        self.unreadable = frozenset(f for k in unreadable if (f := _ALIAS_TO_FIELD.get(k) or _ALIAS_TO_FIELD.get(k.lower())))
        self.config = config
        self.unit = unit
        self.files = files
        self.problems = problems
        self.fields: dict[str, Field] = {}  # canonical field -> its entry
        for key_node, value_node in node.value:
            self._collect(key_node, value_node)

    # -- helpers ------------------------------------------------------------

    def _error(self, line: int, message: str) -> None:
        self.problems.append(error(self.relpath, line, message))

    def _collect(self, key_node: yaml.Node, value_node: yaml.Node) -> None:
        """Record one entry under its canonical name, or say why it is ignored."""
        line = key_node.start_mark.line + 2
        key = _text(key_node)
        if key is None:
            self._error(line, "字段名应当是文字，例如“title”。")
            return
        key = key.strip()
        field = _ALIAS_TO_FIELD.get(key) or _ALIAS_TO_FIELD.get(key.lower())
        if field is None:
            known = "、".join(f"{a[1]} {a[0]}" if len(a) > 1 else a[0] for a in FIELD_ALIASES.values())
            hint = did_you_mean(key, sorted(_ALIAS_TO_FIELD), lead="；")
            self.problems.append(warning(self.relpath, line, f"未知的字段“{key}”，已忽略{hint}可用的字段：{known}。"))
            return
        if field in self.fields:
            first = self.fields[field]
            self._error(line, f"字段“{key}”重复了（第 {first.line} 行已经写过“{first.key}”）。每个字段只能写一次，请删掉其中一个。")
            return
        bad_nodes = [value_node, *(value_node.value if isinstance(value_node, yaml.SequenceNode) else [])]
        bad = next(((n, t) for n in bad_nodes if (t := _bad_tag(n))), None)
        if bad is not None:
            self._error(bad[0].start_mark.line + 2, f"“{key}”的值带有 YAML 标签“{bad[1]}”，不支持。请去掉“{bad[1]}”，直接写文字（需要时用引号括起来）。")
            return
        self.fields[field] = Field(value_node, line, key)

    def line(self, field: str) -> int:
        """The line of a field's key, 0 when the field is absent."""
        return self.fields[field].line if field in self.fields else 0

    def _clean(self, value: str, key: str, line: int, multiline: bool = False) -> str | None:
        """A value without invisible control characters (or an error naming the first one)."""
        allowed = "\n\t" if multiline else ""
        bad = next((c for c in _CONTROL_RE.findall(value) if c not in allowed), None)
        if bad is None:
            return value
        self._error(line, control_message(key, bad))
        return None

    def _unquote(self, value: str, field: str, line: int, item: bool = False) -> str:
        """``value`` without Chinese/curly quotes around the whole of it, with a warning saying so.

        Only a pair that encloses everything is removed: “两学一做”学习教育 keeps its quotes.
        """
        text = value.strip()
        inner = cn_quoted(text)
        if inner is None:
            return value
        inner = inner.strip()
        what = FIELD_ALIASES[field][1] + (f"“{inner}”" if item else "")
        self.problems.append(
            warning(self.relpath, line, f"{what}两边的中文引号{text[0]}{text[-1]}已去掉：YAML 里文字不需要引号，要加请用英文引号 \"…\"。")
        )
        return inner

    def _scalar(self, field: str, multiline: bool = False) -> tuple[str | None, int]:
        """A one-value field's text and the line of its key; (None, 0) when absent."""
        if field not in self.fields:
            return None, 0
        entry = self.fields[field]
        value = _text(entry.node)
        if value is None:
            self._error(entry.line, f"“{entry.key}”应当是一段文字，不能是列表或多个字段。")
            return None, entry.line
        value_line = entry.node.start_mark.line + 2
        if isinstance(entry.node, yaml.ScalarNode) and not entry.node.style:  # in English quotes they are meant
            value = self._unquote(value, field, max(value_line, entry.line))
        return self._clean(value, entry.key, value_line, multiline), entry.line

    def _items(self, field: str) -> list[tuple[yaml.Node, int]]:
        """A list field's items, each with its line (an alias points back: report at the key at the earliest).

        An item in Chinese quotes comes without them (and a warning)."""
        if field not in self.fields:
            return []
        entry = self.fields[field]
        items: list[tuple[yaml.Node, int]] = []
        whole = self._existing_file if field in ("attachments", "unreadable_ok") else None
        for item in _list(entry.node, split_items=field in _SPLIT_FIELDS, whole=whole):
            line = max(item.start_mark.line + 2, entry.line)
            if isinstance(item, yaml.ScalarNode) and not item.style:
                value = self._unquote(item.value, field, line, item=True)
                if value != item.value:
                    item = yaml.ScalarNode("tag:yaml.org,2002:str", value, item.start_mark, item.end_mark)
            items.append((item, line))
        return items

    def _existing_file(self, name: str) -> bool:
        """Whether ``name`` (as an attachment entry) is a file: then its commas are part of the name."""
        target = confine(posixpath.dirname(self.relpath), name, posixpath.dirname(self.unit.source))[0]
        return target is not None and lookup_file(self.files, target) is not None

    # -- one method per field -------------------------------------------------

    def title(self) -> str | None:
        title, line = self._scalar("title")
        if "title" not in self.fields:
            if "title" not in self.unreadable:
                self._error(1, "缺少标题：请在 front-matter 中加上“title: 文章标题”。")
            return None
        if title is None:
            return None
        title = title.strip()
        if not title:
            self._error(line, "标题 title 是空的，请填写文章标题。")
        elif "\n" in title:
            self._error(line, "标题 title 应当写在一行内；“|”或“>”开头的多行写法不能用于标题。")
        elif len(title) > MAX_TITLE:
            self._error(line, f"标题 title 有 {len(title)} 个字，太长了（最多 {MAX_TITLE} 个字）。较长的说明请写在 summary（摘要）或正文里。")
        else:
            return title
        return None

    def date(self) -> tuple[dt.datetime | None, bool]:
        """The post's time (aware, in the site's zone) and whether a time of day was written."""
        value, line = self._scalar("date")
        if "date" not in self.fields:
            if "date" not in self.unreadable:
                self._error(1, "缺少日期：请在 front-matter 中加上“date: 2026-03-05”（可带时间，如 2026-03-05 14:30）。")
            return None, False
        if value is None:
            return None, False
        if not value.strip():
            self._error(line, "日期 date 是空的，应当写成 2026-03-05 或 2026-03-05 14:30。")
            return None, False
        when, has_time, msg = parse_date(value, self.config.tz)
        if msg:
            self._error(line, msg)
        return when, has_time

    def section(self) -> str | None:
        """The key of the post's section."""
        value, line = self._scalar("section")
        sections = self.config.sections
        valid = [s.name for s in sections]
        if "section" not in self.fields:
            if "section" not in self.unreadable:
                self._error(1, f"缺少栏目：请在 front-matter 中加上“section: 栏目名”，可选：{choices_text(valid)}。")
            return None
        if value is None:
            return None
        found = self.config.section(value.strip())
        if found is None:
            hint = did_you_mean(value.strip(), valid + [x.key for x in sections])
            self._error(line, f"栏目“{value}”不存在{hint}可选：{choices_text(valid)}。")
            return None
        return found.key

    def meetings(self) -> list[str]:
        """The keys of the meetings the post records, each once, in the order written."""
        keys: list[str] = []
        valid = [m.name for m in self.config.meetings]
        for item, line in self._items("meeting"):
            word = _text(item)
            if word is None:
                self._error(line, f"会议应当是会议名称或名称列表，可选：{choices_text(valid)}。")
                continue
            m = self.config.meeting(word.strip())
            if m is None:
                self._error(line, self._unknown_meeting(word, valid))
            elif m.key not in keys:
                keys.append(m.key)
        return keys

    def _unknown_meeting(self, word: str, valid: list[str]) -> str:
        """Why ``word`` is not a meeting; an umbrella term (三会一课) is told which meetings it covers."""
        configured = {m.key: m.name for m in self.config.meetings}
        covered = [configured[k] for k in UMBRELLA_MEETINGS.get(word.strip(), ()) if k in configured]
        if covered:
            return (
                f"“{word.strip()}”是{'、'.join(covered)}的统称，不是一种会议。请写出这次召开的是哪一种，"
                f"例如“meeting: {covered[0]}”；几种一起召开时都写上，例如“meeting: [{covered[0]}, {covered[-1]}]”。"
            )
        return f"会议类型“{word}”不存在{did_you_mean(word.strip(), valid)}可选：{choices_text(valid)}。"

    def branch(self, meeting_keys: list[str]) -> str | None:
        """The id of the post's branch; a branch meeting without one is an error on the meeting's line."""
        value, line = self._scalar("branch")
        valid = [f"{b.id}（{b.name}）" for b in self.unit.branches]
        written = value is not None and bool(value.strip())
        branch_id = None
        if value is not None and written:
            found = self._branches(value.strip())
            if len(found) == 1:
                branch_id = found[0].id
            elif found:
                listed = "、".join(f"{b.id}（{b.name}）" for b in found)
                self._error(line, f"支部“{value}”不止一个：{listed}。请写支部编号，例如“branch: {found[0].id}”。")
            else:
                hint = did_you_mean(value.strip(), [b.name for b in self.unit.branches] + [b.id for b in self.unit.branches])
                self._error(line, f"支部“{value}”不在 {self.unit.source} 中{hint}可选：{choices_text(valid)}。")
        level = [k for k in meeting_keys if self.config.meeting_by_key(k).level == "branch"]
        if level and branch_id is None and not written and "branch" not in self.unreadable:
            names = "、".join(self.config.meeting_by_key(k).name for k in level)
            self._error(self.line("meeting"), f"“{names}”是支部的会议，请用“branch: 支部编号”写明是哪个支部。可选：{choices_text(valid)}。")
        return branch_id

    def _branches(self, word: str) -> list[Branch]:
        """The branches ``word`` names: its id or full name, else the end of its full name —
        the name without the unit's (第一教工党支部 for 机械工程学院第一教工党支部)."""
        exact = self.unit.branch(word)
        if exact is not None:
            return [exact]
        if len(word) < 3:  # "支部" ends every name: too short to name one
            return []
        ending = [b for b in self.unit.branches if b.name.endswith(word)]
        # 第一教工党支部 also ends 退休第一教工党支部: the one that is exactly the name without the unit's wins
        prefix = re.sub(r"(党委|党总支|党工委)$", "", self.unit.name)
        exact_short = [b for b in ending if prefix and b.name == prefix + word]
        return exact_short if len(exact_short) == 1 else ending

    def mentioned_meetings(self, section_key: str | None, meeting_keys: list[str]) -> None:
        """A meeting listed in a section where it is not recorded (a 通知公告 announcing a
        主题党日) is only mentioned: it does not count for 对标, and the author is told."""
        config = self.config
        if section_key is None or not meeting_keys:
            return
        recorded = config.recorded_meetings(tuple(meeting_keys), section_key)
        mentioned = [config.meeting_by_key(k) for k in meeting_keys if k not in recorded]
        if not mentioned:
            return
        section_name = config.section_by_key(section_key).name
        where: dict[tuple[str, ...], list[str]] = {}
        for m in mentioned:
            where.setdefault(m.sections, []).append(m.name)
        places = [("或".join(config.section_by_key(k).name for k in keys), names) for keys, names in where.items()]
        target = places[0][0] if len(places) == 1 else "、".join(f"{p}（{'、'.join(n)}）" for p, n in places)
        quoted = "、".join(f"“{m.name}”" for m in mentioned)
        self.problems.append(
            warning(
                self.relpath,
                self.line("meeting"),
                f"{section_name}中的会议不计入对标；会议记录请发在{target}。本篇列出的{quoted}只算提及，不算召开；"
                f"如果这就是会议记录，请把 section 改为{places[0][0]}，否则删去 meeting 这一行。",
            )
        )

    def category(self) -> str | None:
        value, line = self._scalar("category")
        if value is None or not value.strip():
            return None
        if value.strip() not in self.config.categories:
            hint = did_you_mean(value.strip(), self.config.categories)
            self._error(line, f"分类“{value}”不存在{hint}可选：{choices_text(self.config.categories)}。")
            return None
        return value.strip()

    def tags(self) -> list[str]:
        tags: list[str] = []
        for item, line in self._items("tags"):
            t = _text(item)
            if t is None or not t.strip():
                self._error(line, "标签 tags 应当是文字列表，例如“tags: [三会一课, 学习贯彻]”。")
            elif self._clean(t, "标签 tags", line) is None:
                continue
            elif len(t.strip()) > MAX_TAG:
                self._error(line, f"标签“{t.strip()[:20]}…”有 {len(t.strip())} 个字，太长了（每个标签最多 {MAX_TAG} 个字）。多个标签请用逗号分开，例如“tags: [三会一课, 学习贯彻]”。")
            elif t.strip() not in tags:
                tags.append(t.strip())
        return tags

    def tasks(self) -> list[str]:
        """The plan task ids the post is evidence for (whether they exist is checked with the plans, `parse.plans`)."""
        ids: list[str] = []
        for item, line in self._items("tasks"):
            t = _text(item)
            if t is None or not t.strip():
                self._error(line, "任务 tasks 应当是本单位年度计划中的任务编号列表，例如“tasks: [T01, T02]”。")
            elif self._clean(t, "任务 tasks", line) is not None and t.strip() not in ids:
                ids.append(t.strip())
        return ids

    def project(self) -> str | None:
        """The id of the 立项 project the post belongs to (checked with the projects, `parse.plans`)."""
        value = self._scalar("project")[0]
        return value.strip() if value is not None and value.strip() else None

    def report(self) -> str | None:
        value, line = self._scalar("report")
        if value is None or not value.strip():
            return None
        if value.strip() not in REPORT_KINDS:
            hint = did_you_mean(value.strip(), REPORT_KINDS)
            self._error(line, f"报告 report 只能是{choices_text(REPORT_KINDS)}（年终述职报告写“report: 述职”），现在是“{value.strip()}”{hint}")
            return None
        return value.strip()

    def draft(self) -> bool:
        value, line = self._scalar("draft")
        if value is None:
            return False
        v = value.strip().lower()
        if v in _TRUE:
            return True
        if v not in _FALSE and v != "":
            self._error(line, f"草稿 draft 应当是 true（是草稿，不发布）或 false，现在是“{value}”。可选：true、false、yes、no、是、否。")
        return False

    def summary(self) -> str:
        value, line = self._scalar("summary", multiline=True)
        summary = (value or "").strip()
        if len(summary) > MAX_SUMMARY:
            self._error(line, f"摘要 summary 有 {len(summary)} 个字，太长了（最多 {MAX_SUMMARY} 个字）。摘要是列表页上的一两句话，详细内容请写在正文里。")
        return summary

    def privacy_ok(self) -> Acknowledged:
        """The exact strings this post acknowledges as public, and the lines that hold them."""
        if "privacy_ok" not in self.fields:
            return Acknowledged((), {}, frozenset())
        entry = self.fields["privacy_ok"]
        node = entry.node
        first = node.start_mark.line + 2
        # the lines that hold the entries themselves (never an alias' target elsewhere,
        # never the next key's line where a block list's end mark sits at column 0)
        last = node.end_mark.line + (2 if node.end_mark.column > 0 else 1)
        skip = frozenset(range(entry.line, max(first, last) + 1)) if first >= entry.line else frozenset()
        entries: list[str] = []
        lines: dict[str, int] = {}
        for item, line in self._items("privacy_ok"):
            t = _text(item)
            if t is None:
                self._error(line, "隐私确认 privacy_ok 应当是文字列表，每项是文中确认可以公开的原文，例如“privacy_ok: [\"0571-88880000\"]”。")
            elif t.strip():
                entries.append(t.strip())
                lines.setdefault(t.strip(), line)
        return Acknowledged(tuple(entries), lines, skip)

    def attachments(self) -> Attached:
        """The files the post publishes beside its page, each checked where it is listed."""
        items: list[Attachment] = []
        names: list[tuple[int, list[Finding]]] = []
        listed: dict[str, int] = {}  # attachment source -> the line that lists it
        unit_dir = posixpath.dirname(self.unit.source)
        for item, line in self._items("attachments"):
            attachment = self._attachment(item, line, items)
            if attachment is None:
                continue
            items.append(attachment)
            # the published name and the folders it sits in, as readers get them
            shown = posixpath.relpath(attachment.source, unit_dir)
            names.append((line, [replace(f, line=line) for f in _name_findings(shown, self.config)]))
            listed.setdefault(attachment.source, line)
        return Attached(tuple(items), tuple(names), listed)

    def _attachment(self, item: yaml.Node, line: int, before: list[Attachment]) -> Attachment | None:
        """One listed attachment, or None (with a problem, unless it repeats an earlier entry)."""
        name = _text(item)
        if name is None or not name.strip():
            self._error(line, "附件 attachments 应当是文件名列表，例如“attachments: [签到表.pdf]”，路径相对于本文件。")
            return None
        name = name.strip()
        unit_dir = posixpath.dirname(self.unit.source)
        target, why = confine(posixpath.dirname(self.relpath), name, unit_dir)
        if target is None:
            self._error(line, f"附件“{name}”{why}，不在本单位的文件夹 {unit_dir}/ 里。附件要放在文章旁边，用相对于本文件的路径引用，例如“签到表.pdf”或“附件/签到表.pdf”；不能用 .. 跳出单位文件夹或写绝对路径。")
            return None
        found = lookup_file(self.files, target)
        if found is None:
            self._error(line, self._missing(name, target))
            return None
        target, facts = found
        why = self._unpublishable(name, target, facts.escapes)
        if why is not None:
            self._error(line, why)
            return None
        pub = unicodedata.normalize("NFC", posixpath.basename(target))
        clash = next((a for a in before if collision_key(a.name) == collision_key(pub)), None)
        if clash is not None:
            if clash.source != target:
                self._error(line, f"两个附件同名“{pub}”（{clash.source} 与 {target}，不区分大小写），发布后会互相覆盖，请改名其中一个。")
            return None
        return Attachment(pub, target, facts.size, _attachment_kind(pub))

    def _missing(self, name: str, target: str) -> str:
        """The message for an attachment that is not there, naming a close sibling when there is one."""
        folder = posixpath.dirname(target)
        siblings = sorted(posixpath.basename(p) for p in self.files if posixpath.dirname(p) == folder and not p.endswith(".md"))
        same_case = [x for x in siblings if x.casefold() == posixpath.basename(target).casefold()]
        if same_case:
            what = f"，文件夹里有“{same_case[0]}”，大小写不一致"
        else:
            what = did_you_mean(posixpath.basename(name), siblings)
        return f"附件“{name}”不存在（应在 {target}）" + what + (f"同一文件夹中的文件：{choices_text(siblings)}。" if siblings else "")

    def _unpublishable(self, name: str, target: str, escapes: bool) -> str | None:
        """Why an existing file cannot be published as this post's attachment, or None."""
        if escapes:
            return f"附件“{name}”是指向单位文件夹以外的链接（symlink），不能发布。请把文件本身复制进来。"
        if target.endswith(".md"):
            return f"附件“{name}”是一篇文章（.md），不能作为附件。要引用另一篇文章，请在正文里写链接，例如 [标题]({name})。"
        unit, (slug, _) = self.unit.slug, post_slug(self.relpath)
        pub = unicodedata.normalize("NFC", posixpath.basename(target))
        out_path = f"{unit}/{slug}/{pub}"
        if collision_key(out_path) == collision_key(f"{unit}/{slug}/index.html"):
            return f"两个输出使用同一路径（不区分大小写）：附件 {target}（{out_path}）与文章页面 {unit}/{slug}/index.html。请给附件改名。"
        if att.is_active(pub):
            return f"附件“{name}”是网页或脚本类文件（{att.extension(pub)}），发布后会在本站运行，不能作为附件。请转换为 PDF 再附上，可用的附件类型如 PDF、Word、Excel、PPT、图片、压缩包。"
        return None

    def unreadable_ok(self) -> dict[str, int]:
        """Attachments the scan cannot read that somebody has checked by hand (NFC path -> line)."""
        reviewed: dict[str, int] = {}
        base_dir, unit_dir = posixpath.dirname(self.relpath), posixpath.dirname(self.unit.source)
        for item, line in self._items("unreadable_ok"):
            name = _text(item)
            target = confine(base_dir, name.strip(), unit_dir)[0] if name and name.strip() else None
            if target is None:
                self._error(line, "人工核对 unreadable_ok 应当是附件文件名列表（写法与 attachments 相同），例如“unreadable_ok: [扫描件.pdf]”。")
            else:
                reviewed[unicodedata.normalize("NFC", target)] = line
        return reviewed
