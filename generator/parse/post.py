"""Parse stage: bytes + path → `Unit` / `Post`, or located problems.

Pure functions: they take the file's bytes, its site-relative path and the
facts the load stage gathered (which files exist, their sizes) and return a
value plus a list of `Problem`s. Nothing here reads the disk.

Front-matter is composed (not constructed) with PyYAML so that every value
keeps its line and stays the text the author typed: ``title: NO`` is the text
"NO", ``010`` stays "010", ``10:30`` is never sixty-base minutes. Each field is
then interpreted by us, with a Chinese message when it cannot be.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
import tomllib
import unicodedata
from dataclasses import replace
from urllib.parse import unquote

import frontmatter
import yaml

from generator.core.errors import Kind, Problem, Severity, choices_text, closest, control_message, error, info, toml_problem, warning
from generator.core.model import Attachment, Branch, FileFacts, Post, Unit
from generator.core.urls import collision_key
from generator.load import attachments as att
from generator.load.config import GROUP_MEETING_KEY, SiteConfig
from generator.parse.budgets import markdown_problems, post_size_problem
from generator.parse.privacy import RULES, SECRET_MARKERS, Finding, redact, scan

BRANCH_KINDS = ("教职工", "学生", "离退休")

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
}
_ALIAS_TO_FIELD = {alias: key for key, aliases in FIELD_ALIASES.items() for alias in aliases}
_FIELD_LABEL = {
    "title": "标题 title",
    "date": "日期 date",
    "section": "栏目 section",
}

_DATE_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_TRUE = {"true", "yes", "on", "是", "1"}
_FALSE = {"false", "no", "off", "否", "0"}
_SLUG_RE = re.compile(r"^[\w\-.]+$")


# Longest values that still make sense on a page; beyond them a value is a paste accident.
MAX_TITLE = 200
MAX_SUMMARY = 1000
MAX_TAG = 40
# Tags a value may carry: YAML's own implicit types and an explicit !!str. Anything
# else (!!python/object, !!binary, !custom) asks a loader to build an object.
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}
# C0/C1 controls and the bidi overrides that make text display differently from
# what it is (U+202E turns "gpj.exe" into "exe.jpg" on screen).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The bidi embeddings, overrides and isolates: refused wherever text enters, the
# body included (in a code block they are the "Trojan Source" trick). The plain
# marks U+200E/U+200F/U+061C cannot reorder a run of letters, only place the
# punctuation next to them, and a Word paste of Arabic or Hebrew text carries
# them: they stay legal in bodies, titles and summaries, but not in names
# (units, branches), where nothing legitimate needs them (`_NAME_CONTROL_RE`).
_BIDI_RE = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_NAME_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


# Line breaks YAML (and Python's str.splitlines) count but editors and our line
# numbers do not; decode() turns them into "\n" so every stage counts alike.
_EXTRA_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
_BREAKS_RE = re.compile("|".join(re.escape(k) for k in _EXTRA_BREAKS))


def detect_encoding_name(raw: bytes) -> str | None:
    """A Chinese name for the encoding non-UTF-8 bytes most likely use.

    UTF-16 is named only for a byte-order mark at the very start: almost any even
    number of bytes decodes as UTF-16, so a UTF-8 file with a stray FF FE inside
    is not "UTF-16" (`decode` reports BOM-less UTF-16 by its NUL bytes).
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    for codec, label in (("gb18030", "GBK/GB18030"), ("big5", "Big5")):
        try:
            raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        return label
    return None


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a BOM: ASCII-range text has a NUL in every other byte."""
    sample = raw[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > len(even) * 0.3 or odd.count(0) > len(odd) * 0.3


def decode(raw: bytes, relpath: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 (a BOM is accepted and dropped) or a clear error naming the likely encoding.

    Line ends are unified to "\n" (CRLF, CR, U+2028, U+2029, NEL) so that YAML,
    the privacy scan and the messages all count lines the way an editor does.
    """
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff") or _looks_utf16(raw):
        return None, [error(relpath, 1, "文件是 UTF-16 编码，请另存为 UTF-8 编码（记事本“另存为”时在“编码”中选择 UTF-8）。")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        guess = detect_encoding_name(raw)
        looks = f"看起来是 {guess} 编码" if guess else "含有无法识别的字节"
        return None, [error(relpath, line, f"文件不是 UTF-8 编码（{looks}）。请用编辑器另存为 UTF-8 编码后再提交。")]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        name = relpath.rsplit("/", 1)[-1]
        what = ".md" if name.endswith(".md") else name  # a _unit.toml is not "renamed to .md"
        return None, [error(relpath, line, f"文件含有空字符（\\0），不像是文本文件。请检查是否误把其他格式的文件改成了 {what}，或用文本编辑器把它重新保存为 UTF-8 文本。")]
    return _BREAKS_RE.sub(lambda m: _EXTRA_BREAKS[m.group()], text), []


# ---------------------------------------------------------------------------
# _unit.toml


def parse_unit(raw: bytes, relpath: str, slug: str, config: SiteConfig) -> tuple[Unit | None, list[Problem]]:
    problems: list[Problem] = []
    text, probs = decode(raw, relpath)
    if text is None:
        return None, probs
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [toml_problem(exc, text, relpath)]
    lines = text.splitlines()
    # Every branch asks for its header line: find them once, not one scan per branch.
    headers = [no for no, raw_line in enumerate(lines, 1) if raw_line.strip().startswith("[[branches]]")]

    def line_of(key: str, nth: int = 0) -> int:
        if key == "[[branches]]":
            return headers[nth] if 0 <= nth < len(headers) else 1
        seen = -1
        in_branch = False
        for no, raw_line in enumerate(lines, 1):
            s = raw_line.strip()
            if s.startswith("[[branches]]"):
                seen += 1
                in_branch = True
                if key == "[[branches]]" and seen == nth:
                    return no
                continue
            want_branch = nth >= 0 and key.startswith("branches.")
            k = key.split(".", 1)[-1]
            if re.match(rf"^{re.escape(k)}\s*=", s):
                if want_branch and in_branch and seen == nth:
                    return no
                if not want_branch and not in_branch:
                    return no
        return 1

    def bad(line: int, msg: str) -> None:
        problems.append(error(relpath, line, msg, Kind.CONFIG))

    allowed = {"name", "kind", "order", "branches", "editors"}
    for key in data:
        if key not in allowed:
            hint = closest(key, sorted(allowed))
            bad(line_of(key), f"未知的配置项“{key}”" + (f"，是不是“{hint}”？" if hint else "。") + f"可用的有：{choices_text(sorted(allowed))}。")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        bad(line_of("name"), "缺少单位名称 name，例如 name = \"机械工程学院党委\"。")
        name = slug
    kind = data.get("kind", "二级党组织")
    if not isinstance(kind, str) or not kind.strip():
        bad(line_of("kind"), "kind 应当是文字，例如 kind = \"教学单位\"。")
        kind = "二级党组织"
    order = data.get("order", 1000)
    if isinstance(order, bool) or not isinstance(order, int):
        bad(line_of("order"), f"order 应当是整数（排序用），例如 order = 10，现在是 {order!r}。")
        order = 1000
    editors_raw = data.get("editors", [])
    editors: tuple[str, ...] = ()
    if not isinstance(editors_raw, list) or not all(isinstance(e, str) and e.strip() and not any(c.isspace() for c in e.strip()) for e in editors_raw):
        bad(
            line_of("editors"),
            "editors（可以修改本单位文件夹的人）应当是文字列表，每项是一个 git 用户名或电子邮箱，不含空格，"
            f"例如 editors = [\"zhangsan\", \"lisi@example.edu.cn\"]，现在是 {editors_raw!r}。",
        )
    else:
        editors = tuple(e.strip() for e in editors_raw)
    branches: list[Branch] = []
    raw_branches = data.get("branches", [])
    if not isinstance(raw_branches, list) or not all(isinstance(b, dict) for b in raw_branches):
        bad(line_of("branches"), "支部应当写成若干个 [[branches]] 段。")
        raw_branches = []
    meeting_words = [m.name for m in config.meetings]
    for i, b in enumerate(raw_branches):
        bline = line_of("[[branches]]", i)
        bkeys = {"id", "name", "kind", "groups", "exempt"}
        for key in b:
            if key not in bkeys:
                hint = closest(key, sorted(bkeys))
                bad(line_of(f"branches.{key}", i), f"[[branches]] 中未知的配置项“{key}”" + (f"，是不是“{hint}”？" if hint else "。") + f"可用的有：{choices_text(sorted(bkeys))}。")
        bid, bname = b.get("id"), b.get("name")
        if not isinstance(bid, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", bid):
            bad(line_of("branches.id", i), f"第 {i + 1} 个支部的 id 应当由字母、数字、- 组成，例如 id = \"jx-jg1\"；它用于网址。")
            continue
        if not isinstance(bname, str) or not bname.strip():
            bad(line_of("branches.name", i), f"支部 {bid} 缺少名称 name，例如 name = \"第一教工党支部\"。")
            continue
        bkind = b.get("kind", "教职工")
        if bkind not in BRANCH_KINDS:
            bad(line_of("branches.kind", i), f"支部 {bid} 的类型 kind “{bkind}” 无效，可选：{choices_text(BRANCH_KINDS)}。")
            continue
        groups = b.get("groups", True)
        if not isinstance(groups, bool):
            bad(line_of("branches.groups", i), f"支部 {bid} 的 groups 应当是 true 或 false（是否设有党小组）。")
            continue
        exempt_raw = b.get("exempt", [])
        if not isinstance(exempt_raw, list) or not all(isinstance(e, str) for e in exempt_raw):
            bad(line_of("branches.exempt", i), f"支部 {bid} 的 exempt 应当是会议名称列表，例如 exempt = [\"党小组会\"]。")
            continue
        exempt: list[str] = []
        for word in exempt_raw:
            m = config.meeting(word)
            if m is None:
                bad(line_of("branches.exempt", i), f"支部 {bid} 的 exempt 中“{word}”不是已配置的会议，可选：{choices_text(meeting_words)}。")
            else:
                exempt.append(m.key)
        if any(x.id == bid for x in branches):
            bad(bline, f"支部 id “{bid}” 重复了：同一单位内每个支部的 id 必须唯一。")
            continue
        if not groups:
            # ``groups = false`` exempts the branch from 党小组会, so it refers to that
            # meeting: a site.toml whose [[meetings]] lack it makes the line meaningless.
            group = next((m for m in config.meetings if m.key == GROUP_MEETING_KEY), None)
            if group is None:
                bad(
                    line_of("branches.groups", i),
                    f"支部 {bid} 写了 groups = false（未设党小组，免于党小组会），但 site.toml 的 [[meetings]] 中没有党小组会（key = \"{GROUP_MEETING_KEY}\"）。"
                    f"请删除这一行，或在 site.toml 中加上 key = \"{GROUP_MEETING_KEY}\" 的 [[meetings]]；已配置的会议：{choices_text(meeting_words)}。",
                )
                continue
            if group.key not in exempt:
                exempt.append(group.key)
        branches.append(Branch(bid, bname.strip(), bkind, groups, tuple(sorted(set(exempt)))))
    # Names are shown on every page of the unit, in feeds and in the CSV: no
    # invisible controls, and no personal data (scanned as written and decoded).
    named = [("name", line_of("name"), name), ("kind", line_of("kind"), kind)]
    for i, b in enumerate(raw_branches):
        for key in ("name", "kind"):
            if isinstance(b.get(key), str):
                named.append((f"[[branches]] {key}", line_of(f"branches.{key}", i), b[key]))
    for key, line, value in named:
        bad_char = _NAME_CONTROL_RE.search(value) if isinstance(value, str) else None
        if bad_char is not None:
            bad(line, control_message(key, bad_char.group()))
    found = scan(text, config.privacy.allow)
    if "editors" in data:
        # editors are git accounts, never published: their e-mail addresses are not a disclosure
        first = line_of("editors")
        last = next((no for no in range(first, len(lines) + 1) if "]" in lines[no - 1].split("#", 1)[0]), first)
        found = [f for f in found if not first <= f.line <= last]
    problems.extend(finding_problems(found, relpath, config, advice="请删除或改写", can_acknowledge=False))
    seen = {(f.rule, f.masked) for f in found}
    for key, line, value in named:
        if isinstance(value, str):
            fresh = [replace(f, line=line) for f in scan(value.replace("\n", " "), config.privacy.allow) if (f.rule, f.masked) not in seen]
            problems.extend(finding_problems(fresh, relpath, config, where=f"“{key}”的值（还原转义后）", column=False, advice="请删除或改写", can_acknowledge=False))
            seen.update((f.rule, f.masked) for f in fresh)
    fresh = [f for f in _name_findings(slug, config) if (f.rule, f.masked) not in seen]
    problems.extend(finding_problems(fresh, relpath, config, where="单位文件夹名（会成为网址）", column=False, advice="请给文件夹改名", can_acknowledge=False))
    if any(p.is_error for p in problems):
        return None, problems
    return Unit(slug, name.strip(), kind.strip(), order, tuple(branches), relpath, editors), problems


# ---------------------------------------------------------------------------
# posts


def post_slug(relpath: str) -> tuple[str, bool]:
    """Slug of a post and whether it is a bundle (``<slug>/index.md``).

    The slug is NFC-normalised: a Mac writes file names decomposed (NFD), and the
    same name must give the same URL, and collide with its composed twin.
    """
    parts = relpath.split("/")
    if parts[-1] == "index.md" and len(parts) >= 4:  # content/<unit>/<slug>/index.md at least
        return unicodedata.normalize("NFC", parts[-2]), True
    return unicodedata.normalize("NFC", posixpath.splitext(parts[-1])[0]), False


def _precheck_lines(fm_lines: list[str], relpath: str) -> list[Problem]:
    """Mistakes YAML reports cryptically: tabs and full-width colons.

    Only consulted when YAML itself fails, so a block scalar that legitimately
    holds "时间：3月5日" or a tab is never flagged.
    """
    problems: list[Problem] = []
    for no, line in enumerate(fm_lines, 2):
        if line.startswith("\t") or re.match(r"^ *\t", line):
            problems.append(error(relpath, no, "这一行用 Tab 键缩进了。YAML 只允许用空格缩进，请把 Tab 换成两个空格。"))
        m = re.match(r"^\s*([^\s:：#\-][^:：]*?)\s*：", line)
        if m and ":" not in line.split("：", 1)[0]:
            key = m.group(1)
            problems.append(error(relpath, no, f"“{key}”后面用了全角冒号“：”。字段名和值之间要用半角冒号加空格，例如“{key}: …”。"))
    return problems


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(fm_text: str, relpath: str) -> tuple[yaml.MappingNode | None, list[Problem]]:
    try:
        try:
            # libyaml composes ~10x faster; on any error we compose again with the
            # pure-Python loader, whose messages and marks the hints below expect.
            # Heavily nested text goes to the Python loader too: only it stops at
            # Python's recursion limit, which is how deep nesting is reported.
            if fm_text.count("[") + fm_text.count("{") > 64:
                raise RecursionError
            node = yaml.compose(fm_text, Loader=_FAST_LOADER)
        except (yaml.YAMLError, RecursionError):
            node = yaml.compose(fm_text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        pre = _precheck_lines(fm_text.split("\n"), relpath)
        if pre:
            return None, pre
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 2) if mark else 2
        what = (exc.problem or "").strip()
        hint = "请检查这一行：值里有冒号“:”或以 [ { * & ! | > ' \" % @ ` 开头时，要用引号把整个值括起来；方括号 [ ] 和花括号 { } 要成对。"
        context = (exc.context or "").strip()
        started = exc.context_mark.line + 2 if exc.context_mark is not None else line
        if "quoted scalar" in context:
            # YAML only notices a missing closing quote at the end: point at the opening one
            line = started
            hint = "这一行的引号没有结束：开头用了引号，结尾也要用同样的引号（\" 或 '）。"
        elif "flow" in context and started != line:
            hint = f"第 {started} 行开始的方括号 [ 或花括号 {{ 没有成对结束。" + hint
        if "duplicate" in what:
            hint = ""
        elif "alias" in what or "anchor" in what:
            hint = "“&名字”定义锚点，“*名字”引用它，引用前必须先定义；值以 & 或 * 开头时请加引号。"
        return None, [error(relpath, line, f"front-matter 的 YAML 格式有误（{what}）。{hint}")]
    except RecursionError:
        # PyYAML composes nested lists recursively: [[[[…]]]] thousands deep.
        return None, [error(relpath, 2, "front-matter 嵌套的层数太多（方括号 [ 或花括号 { 套了上百层），无法读取。字段的值只能是文字或文字列表。")]
    except yaml.YAMLError as exc:
        pre = _precheck_lines(fm_text.split("\n"), relpath)
        if pre:
            return None, pre
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 2
        what = getattr(exc, "reason", None) or type(exc).__name__
        return None, [error(relpath, line, f"front-matter 的 YAML 格式有误（{what}）：含有 YAML 不允许的字符，请删除这一行中的不可见字符。")]
    if node is None:
        return None, [error(relpath, 1, "front-matter 是空的：至少需要 title（标题）、date（日期）、section（栏目）三个字段。")]
    if not isinstance(node, yaml.MappingNode):
        pre = _precheck_lines(fm_text.split("\n"), relpath)
        if pre:
            return None, pre
        return None, [error(relpath, node.start_mark.line + 2, "front-matter 应当是“字段: 值”的形式，每行一个字段，例如“title: 支部委员会会议纪要”。")]
    return node, []


def _is_null(node: yaml.Node) -> bool:
    """``~``, ``null`` or nothing, written without quotes: the author left the value empty."""
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and not node.style


def _text(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return "" if _is_null(node) else str(node.value)
    return None


def _tag_text(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def _bad_tag(node: yaml.Node) -> str | None:
    """The explicit YAML tag of ``node`` as the author wrote it, when we do not accept it."""
    return None if node.tag in _PLAIN_TAGS else _tag_text(node.tag)


def _list(node: yaml.Node) -> list[yaml.Node]:
    """A scalar or a sequence, as a list of nodes (an empty scalar is an empty list)."""
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.ScalarNode):
        if node.value == "" or _is_null(node):
            return []
        # "a, b" or "a、b" in one scalar is a common way to write two items.
        parts = [p.strip() for p in re.split(r"[,，、]", node.value) if p.strip()]
        if len(parts) > 1:
            return [yaml.ScalarNode("tag:yaml.org,2002:str", p, node.start_mark, node.end_mark) for p in parts]
        return [node]
    return [node]


def parse_date(value: str, tz: dt.tzinfo) -> tuple[dt.datetime | None, bool, str | None]:
    """(aware datetime, has_time, error message)."""
    m = _DATE_RE.match(unicodedata.normalize("NFKC", value.strip()))
    if not m:
        return None, False, f"日期“{value}”的格式不对，应当写成 2026-03-05 或 2026-03-05 14:30。"
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hh = int(m.group(4)) if m.group(4) else 0
    mm = int(m.group(5)) if m.group(5) else 0
    ss = int(m.group(6)) if m.group(6) else 0
    try:
        dt.date(y, mo, d)
    except ValueError:
        if 1 <= mo <= 12:
            import calendar

            days = calendar.monthrange(y, mo)[1]
            return None, False, f"日期“{value}”不存在：{y}年{mo}月只有 {days} 天。"
        return None, False, f"日期“{value}”不存在：月份应当在 1 到 12 之间。"
    if not (0 <= hh <= 23 and 0 <= mm <= 59 and 0 <= ss <= 59):
        return None, False, f"日期“{value}”中的时间不存在，时间应当在 00:00 到 23:59 之间。"
    zone = tz
    if m.group(7):
        off = m.group(7)
        if off == "Z":
            zone = dt.UTC
        else:
            sign = 1 if off[0] == "+" else -1
            digits = off[1:].replace(":", "")
            zone = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    when = dt.datetime(y, mo, d, hh, mm, ss, tzinfo=zone).astimezone(tz)
    return when, bool(m.group(4)), None


def _attachment_kind(name: str) -> str:
    ext = posixpath.splitext(name)[1].lower()
    return {
        ".pdf": "PDF 文档",
        ".doc": "Word 文档",
        ".docx": "Word 文档",
        ".xls": "Excel 表格",
        ".xlsx": "Excel 表格",
        ".ppt": "PPT 演示文稿",
        ".pptx": "PPT 演示文稿",
        ".jpg": "图片",
        ".jpeg": "图片",
        ".png": "图片",
        ".gif": "图片",
        ".webp": "图片",
        ".zip": "压缩包",
        ".txt": "文本",
    }.get(ext, "文件")


def resolve_relative(base_dir: str, target: str) -> str | None:
    """Join a post-relative reference; None when it is absolute or escapes upward past content/."""
    path, _ = confine(base_dir, target, "content")
    return path


def confine(base_dir: str, target: str, inside: str) -> tuple[str | None, str | None]:
    """Resolve ``target`` (as written, relative to ``base_dir``) and keep it under ``inside``.

    Returns (site-relative path, None) or (None, why not, in Chinese). Windows
    paths, drive letters, UNC shares, absolute paths and ``..`` that climbs out
    of ``inside`` are all refused, each with its own explanation.
    """
    if re.match(r"^[A-Za-z]:[\\/]", target) or target.startswith("\\\\"):
        return None, "是 Windows 电脑上的路径（如 C:\\… 或 \\\\服务器\\…），网站上无法访问"
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", target):
        return None, "是网址而不是文件"
    if target.startswith("/"):
        return None, "是绝对路径（以 / 开头）"
    if "\\" in target:
        return None, "用了反斜杠“\\”分隔文件夹，请改用“/”"
    joined = posixpath.normpath(posixpath.join(base_dir, target))
    if not (joined + "/").startswith(inside.rstrip("/") + "/") or joined == inside.rstrip("/"):
        where = " content 文件夹" if inside == "content" else f"本单位的文件夹 {inside}/"
        return None, f"用“..”跳出了{where}"
    return joined, None


# Markdown links and images, reference definitions and raw HTML href/src: the
# documents a body may publish, found without rendering it (parse stays cheap).
_BODY_REF_RE = re.compile(
    r"\]\(\s*<?([^)\s>]+)"  # [text](target) and ![alt](target)
    r"|^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)"  # [id]: target
    r"|(?:href|src)\s*=\s*[\"']?([^\"'\s>]+)",  # raw HTML
    re.MULTILINE | re.IGNORECASE,
)


def _body_documents(body: str, base_dir: str, unit_dir: str, files: dict[str, FileFacts], body_line: int = 1) -> list[tuple[str, int]]:
    """Files the body links to or shows, with the line of their first mention."""
    out: dict[str, int] = {}
    for m in _BODY_REF_RE.finditer(body):
        ref = unquote(next(g for g in m.groups() if g is not None)).split("#", 1)[0].split("?", 1)[0]
        if ref.endswith(".md") or not ref:
            continue
        path, _ = confine(base_dir, ref, unit_dir)
        if path is not None and path in files and path not in out:
            out[path] = body_line + body.count("\n", 0, m.start())
    return list(out.items())


def lookup_file(files: dict[str, FileFacts], target: str) -> tuple[str, FileFacts] | None:
    """The file at ``target``, also when it and the front-matter differ only in Unicode form."""
    if target in files:
        return target, files[target]
    nfc = unicodedata.normalize("NFC", target)
    for path, facts in files.items():
        if unicodedata.normalize("NFC", path) == nfc:
            return path, facts
    return None


def parse_post(
    raw: bytes,
    relpath: str,
    unit: Unit,
    config: SiteConfig,
    files: dict[str, FileFacts],
) -> tuple[Post | None, list[Problem]]:
    """Parse one post. ``files`` maps site-relative paths of files in content/ to their facts."""
    too_big = post_size_problem(raw, relpath, config.limits)
    if too_big is not None:
        return None, [too_big]
    text, problems = decode(raw, relpath)
    if text is None:
        return None, problems
    handler = frontmatter.YAMLHandler()
    if not text.strip():
        return None, [error(relpath, 1, "文件是空的。一篇文章以 --- 开头的 front-matter（title、date、section 等）开始，然后是正文。")]
    if not handler.detect(text) or not text.startswith("---"):
        first = text.lstrip("\n").split("\n", 1)[0]
        hint = ""
        if re.match(r"^\s*(title|标题|date|日期)\s*[:：]", first):
            hint = "看起来字段写了，但缺少第一行的“---”。"
        return None, [error(relpath, 1, f"缺少 front-matter。{hint}文件第一行应当是“---”，接着写 title（标题）、date（日期）、section（栏目）等字段，再用一行“---”结束，然后是正文。")]
    lines = text.split("\n")
    close = next((i for i in range(1, len(lines)) if re.match(r"^-{3,}\s*$", lines[i])), None)
    if close is None:
        return None, [error(relpath, 1, "front-matter 没有结束：字段写完后要另起一行写“---”，然后才是正文。")]
    fm_lines = lines[1:close]
    body_line = close + 2
    body = "\n".join(lines[close + 1 :])
    # python-frontmatter's own splitter agrees with ours; we keep ours for line numbers.

    node, problems = _compose("\n".join(fm_lines), relpath)
    if node is None:
        return None, problems
    # shapes of Markdown that would take Python-Markdown minutes: refused before rendering
    problems.extend(markdown_problems(body, body_line, relpath, config.limits))

    fields: dict[str, tuple[yaml.Node, int, str]] = {}  # field -> (value node, line, key as written)
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 2
        key = _text(key_node)
        if key is None:
            problems.append(error(relpath, line, "字段名应当是文字，例如“title”。"))
            continue
        key = key.strip()
        field = _ALIAS_TO_FIELD.get(key) or _ALIAS_TO_FIELD.get(key.lower())
        if field is None:
            hint = closest(key, sorted(_ALIAS_TO_FIELD))
            known = "、".join(f"{a[1]} {a[0]}" if len(a) > 1 else a[0] for a in FIELD_ALIASES.values())
            problems.append(
                warning(relpath, line, f"未知的字段“{key}”，已忽略" + (f"；是不是“{hint}”？" if hint else "。") + f"可用的字段：{known}。")
            )
            continue
        if field in fields:
            first_line = fields[field][1]
            problems.append(error(relpath, line, f"字段“{key}”重复了（第 {first_line} 行已经写过“{fields[field][2]}”）。每个字段只能写一次，请删掉其中一个。"))
            continue
        bad_nodes = [value_node, *(value_node.value if isinstance(value_node, yaml.SequenceNode) else [])]
        bad = next(((n, t) for n in bad_nodes if (t := _bad_tag(n))), None)
        if bad is not None:
            problems.append(
                error(relpath, bad[0].start_mark.line + 2, f"“{key}”的值带有 YAML 标签“{bad[1]}”，不支持。请去掉“{bad[1]}”，直接写文字（需要时用引号括起来）。")
            )
            continue
        fields[field] = (value_node, line, key)

    def clean(value: str, key: str, line: int, multiline: bool = False) -> str | None:
        """A value without invisible control characters (or an error naming the first one)."""
        allowed = "\n\t" if multiline else ""
        bad = next((c for c in _CONTROL_RE.findall(value) if c not in allowed), None)
        if bad is None:
            return value
        problems.append(error(relpath, line, control_message(key, bad)))
        return None

    def scalar(field: str, multiline: bool = False) -> tuple[str | None, int]:
        if field not in fields:
            return None, 0
        n, line, key = fields[field]
        value = _text(n)
        if value is None:
            problems.append(error(relpath, line, f"“{key}”应当是一段文字，不能是列表或多个字段。"))
            return None, line
        return clean(value, key, n.start_mark.line + 2, multiline), line

    # title
    title, tline = scalar("title")
    if "title" not in fields:
        problems.append(error(relpath, 1, "缺少标题：请在 front-matter 中加上“title: 文章标题”。"))
    elif title is not None:
        if not title.strip():
            problems.append(error(relpath, tline, "标题 title 是空的，请填写文章标题。"))
            title = None
        elif "\n" in title.strip():
            problems.append(error(relpath, tline, "标题 title 应当写在一行内；“|”或“>”开头的多行写法不能用于标题。"))
            title = None
        elif len(title.strip()) > MAX_TITLE:
            problems.append(error(relpath, tline, f"标题 title 有 {len(title.strip())} 个字，太长了（最多 {MAX_TITLE} 个字）。较长的说明请写在 summary（摘要）或正文里。"))
            title = None
    # date
    date_value, dline = scalar("date")
    when, has_time = None, False
    if "date" not in fields:
        problems.append(error(relpath, 1, "缺少日期：请在 front-matter 中加上“date: 2026-03-05”（可带时间，如 2026-03-05 14:30）。"))
    elif date_value is not None:
        if not date_value.strip():
            problems.append(error(relpath, dline, "日期 date 是空的，应当写成 2026-03-05 或 2026-03-05 14:30。"))
        else:
            when, has_time, msg = parse_date(date_value, config.tz)
            if msg:
                problems.append(error(relpath, dline, msg))
    # section
    section_value, sline = scalar("section")
    section_key = None
    valid_sections = [s.name for s in config.sections]
    if "section" not in fields:
        problems.append(error(relpath, 1, f"缺少栏目：请在 front-matter 中加上“section: 栏目名”，可选：{choices_text(valid_sections)}。"))
    elif section_value is not None:
        s = config.section(section_value.strip())
        if s is None:
            hint = closest(section_value.strip(), valid_sections + [x.key for x in config.sections])
            problems.append(error(relpath, sline, f"栏目“{section_value}”不存在" + (f"，是不是“{hint}”？" if hint else "。") + f"可选：{choices_text(valid_sections)}。"))
        else:
            section_key = s.key
    # meetings
    meeting_keys: list[str] = []
    mline = 0
    valid_meetings = [m.name for m in config.meetings]
    if "meeting" in fields:
        n, mline, key = fields["meeting"]
        for item in _list(n):
            word = _text(item)
            iline = max(item.start_mark.line + 2, mline)
            if word is None:
                problems.append(error(relpath, iline, f"会议应当是会议名称或名称列表，可选：{choices_text(valid_meetings)}。"))
                continue
            m = config.meeting(word.strip())
            if m is None:
                hint = closest(word.strip(), valid_meetings)
                problems.append(error(relpath, iline, f"会议类型“{word}”不存在" + (f"，是不是“{hint}”？" if hint else "。") + f"可选：{choices_text(valid_meetings)}。"))
            elif m.key not in meeting_keys:
                meeting_keys.append(m.key)
    # branch
    branch_id = None
    branch_value, bline = scalar("branch")
    valid_branches = [f"{b.id}（{b.name}）" for b in unit.branches]
    if branch_value is not None and branch_value.strip():
        b = unit.branch(branch_value.strip())
        if b is None:
            problems.append(error(relpath, bline, f"支部“{branch_value}”不在 {unit.source} 中。可选：{choices_text(valid_branches)}。"))
        else:
            branch_id = b.id
    branch_level = [k for k in meeting_keys if config.meeting_by_key(k).level == "branch"]
    if branch_level and branch_id is None and (branch_value is None or not branch_value.strip()):
        names = "、".join(config.meeting_by_key(k).name for k in branch_level)
        problems.append(error(relpath, mline, f"“{names}”是支部的会议，请用“branch: 支部编号”写明是哪个支部。可选：{choices_text(valid_branches)}。"))
    # A meeting listed in a section where it is not recorded (a 通知公告 announcing a
    # 主题党日) is only mentioned: it does not count for 对标, and the author is told.
    if section_key is not None and meeting_keys:
        mentioned = [config.meeting_by_key(k) for k in meeting_keys if k not in config.recorded_meetings(tuple(meeting_keys), section_key)]
        if mentioned:
            section_name = config.section_by_key(section_key).name
            where: dict[tuple[str, ...], list[str]] = {}
            for m in mentioned:
                where.setdefault(m.sections, []).append(m.name)
            places = [("或".join(config.section_by_key(k).name for k in keys), names) for keys, names in where.items()]
            target = places[0][0] if len(places) == 1 else "、".join(f"{p}（{'、'.join(n)}）" for p, n in places)
            names = "、".join(f"“{m.name}”" for m in mentioned)
            problems.append(
                warning(
                    relpath,
                    mline,
                    f"{section_name}中的会议不计入对标；会议记录请发在{target}。本篇列出的{names}只算提及，不算召开；"
                    f"如果这就是会议记录，请把 section 改为{places[0][0]}，否则删去 meeting 这一行。",
                )
            )
    # category
    category = None
    cat_value, cline = scalar("category")
    if cat_value is not None and cat_value.strip():
        if cat_value.strip() not in config.categories:
            hint = closest(cat_value.strip(), config.categories)
            problems.append(error(relpath, cline, f"分类“{cat_value}”不存在" + (f"，是不是“{hint}”？" if hint else "。") + f"可选：{choices_text(config.categories)}。"))
        else:
            category = cat_value.strip()
    # tags
    tags: list[str] = []
    if "tags" in fields:
        for item in _list(fields["tags"][0]):
            t = _text(item)
            iline = max(item.start_mark.line + 2, fields["tags"][1])  # an alias points back: report here
            if t is None or not t.strip():
                problems.append(error(relpath, iline, "标签 tags 应当是文字列表，例如“tags: [三会一课, 学习贯彻]”。"))
            elif clean(t, "标签 tags", iline) is None:
                continue
            elif len(t.strip()) > MAX_TAG:
                problems.append(error(relpath, iline, f"标签“{t.strip()[:20]}…”有 {len(t.strip())} 个字，太长了（每个标签最多 {MAX_TAG} 个字）。多个标签请用逗号分开，例如“tags: [三会一课, 学习贯彻]”。"))
            elif t.strip() not in tags:
                tags.append(t.strip())
    # draft
    draft = False
    draft_value, drline = scalar("draft")
    if draft_value is not None:
        v = draft_value.strip().lower()
        if v in _TRUE:
            draft = True
        elif v not in _FALSE and v != "":
            problems.append(error(relpath, drline, f"草稿 draft 应当是 true（是草稿，不发布）或 false，现在是“{draft_value}”。可选：true、false、yes、no、是、否。"))
    # summary
    summary_value, suline = scalar("summary", multiline=True)
    summary = (summary_value or "").strip()
    if len(summary) > MAX_SUMMARY:
        problems.append(error(relpath, suline, f"摘要 summary 有 {len(summary)} 个字，太长了（最多 {MAX_SUMMARY} 个字）。摘要是列表页上的一两句话，详细内容请写在正文里。"))
    # privacy_ok: the exact strings this post acknowledges as public
    privacy_ok: list[str] = []
    ack_lines: dict[str, int] = {}
    ok_lines: set[int] = set()
    if "privacy_ok" in fields:
        n_ok = fields["privacy_ok"][0]
        first_ok = n_ok.start_mark.line + 2
        # the lines that hold the entries themselves (never an alias' target elsewhere,
        # never the next key's line where a block list's end mark sits at column 0)
        last_ok = n_ok.end_mark.line + (2 if n_ok.end_mark.column > 0 else 1)
        if first_ok >= fields["privacy_ok"][1]:
            ok_lines.update(range(fields["privacy_ok"][1], max(first_ok, last_ok) + 1))
        for item in _list(n_ok):
            t = _text(item)
            if t is None:
                problems.append(error(relpath, max(item.start_mark.line + 2, fields["privacy_ok"][1]), "隐私确认 privacy_ok 应当是文字列表，每项是文中确认可以公开的原文，例如“privacy_ok: [\"0571-88880000\"]”。"))
            elif t.strip():
                privacy_ok.append(t.strip())
                ack_lines.setdefault(t.strip(), max(item.start_mark.line + 2, fields["privacy_ok"][1]))

    # attachments
    slug, bundle = post_slug(relpath)
    base_dir = posixpath.dirname(relpath)
    unit_dir = posixpath.dirname(unit.source)
    page_key = collision_key(f"{unit.slug}/{slug}/index.html")
    attachments: list[Attachment] = []
    named_at: list[tuple[int, list[Finding]]] = []
    listed: dict[str, int] = {}  # attachment source -> the line that lists it
    if "attachments" in fields:
        for item in _list(fields["attachments"][0]):
            name = _text(item)
            aline = max(item.start_mark.line + 2, fields["attachments"][1])
            if name is None or not name.strip():
                problems.append(error(relpath, aline, "附件 attachments 应当是文件名列表，例如“attachments: [签到表.pdf]”，路径相对于本文件。"))
                continue
            name = name.strip()
            target, why = confine(base_dir, name, unit_dir)
            if target is None:
                problems.append(
                    error(relpath, aline, f"附件“{name}”{why}，不在本单位的文件夹 {unit_dir}/ 里。附件要放在文章旁边，用相对于本文件的路径引用，例如“签到表.pdf”或“附件/签到表.pdf”；不能用 .. 跳出单位文件夹或写绝对路径。")
                )
                continue
            found = lookup_file(files, target)
            if found is None:
                siblings = sorted(posixpath.basename(p) for p in files if posixpath.dirname(p) == posixpath.dirname(target) and not p.endswith(".md"))
                same_case = [x for x in siblings if x.casefold() == posixpath.basename(target).casefold()]
                hint = same_case[0] if same_case else closest(posixpath.basename(name), siblings)
                what = f"，文件夹里有“{hint}”，大小写不一致" if same_case else (f"，是不是“{hint}”？" if hint else "。")
                problems.append(
                    error(relpath, aline, f"附件“{name}”不存在（应在 {target}）" + what + (f"同一文件夹中的文件：{choices_text(siblings)}。" if siblings else ""))
                )
                continue
            target, facts = found
            if facts.escapes:
                problems.append(error(relpath, aline, f"附件“{name}”是指向单位文件夹以外的链接（symlink），不能发布。请把文件本身复制进来。"))
                continue
            if target.endswith(".md"):
                problems.append(error(relpath, aline, f"附件“{name}”是一篇文章（.md），不能作为附件。要引用另一篇文章，请在正文里写链接，例如 [标题]({name})。"))
                continue
            pub = unicodedata.normalize("NFC", posixpath.basename(target))
            out_path = f"{unit.slug}/{slug}/{pub}"
            if collision_key(out_path) == page_key:
                problems.append(
                    error(relpath, aline, f"两个输出使用同一路径（不区分大小写）：附件 {target}（{out_path}）与文章页面 {unit.slug}/{slug}/index.html。请给附件改名。")
                )
                continue
            if att.is_active(pub):
                problems.append(
                    error(relpath, aline, f"附件“{name}”是网页或脚本类文件（{att.extension(pub)}），发布后会在本站运行，不能作为附件。请转换为 PDF 再附上，可用的附件类型如 PDF、Word、Excel、PPT、图片、压缩包。")
                )
                continue
            clash = next((a for a in attachments if collision_key(a.name) == collision_key(pub)), None)
            if clash is not None:
                if clash.source == target:
                    continue
                problems.append(error(relpath, aline, f"两个附件同名“{pub}”（{clash.source} 与 {target}，不区分大小写），发布后会互相覆盖，请改名其中一个。"))
                continue
            attachments.append(Attachment(pub, target, facts.size, _attachment_kind(pub)))
            # the published name and the folders it sits in, as readers get them
            shown = posixpath.relpath(target, unit_dir)
            named_at.append((aline, [replace(f, line=aline) for f in _name_findings(shown, config)]))
            listed.setdefault(target, aline)

    # slug
    if not _SLUG_RE.match(slug) or slug.startswith("."):
        problems.append(error(relpath, 1, f"文件名“{slug}”不能用作网址：只能含字母、数字、汉字、- 和 _，不要有空格或 # ? % & 等符号。请重命名文件。"))

    # privacy and secrecy scan over the whole file (front-matter lines included),
    # then over the text of every PDF/DOCX this post publishes.
    used: set[str] = set()
    ack = tuple(privacy_ok)
    found = scan(text, config.privacy.allow)
    problems.extend(finding_problems(found, relpath, config, ack, skip_lines=ok_lines, used=used))
    # What readers get from the front-matter: each value after YAML has undone
    # its escapes ("\x31", "\u0031") and folded its lines. Only values whose
    # decoded text differs from the source are scanned again, and a finding the
    # source scan made on the same lines is not repeated.
    fm_text = "\n".join(fm_lines)
    decoded: set[tuple[int, str, str]] = set()
    for field, (vnode, _, key) in fields.items():
        if field == "privacy_ok":
            continue
        for n in _scalars(vnode):
            value = _text(n)
            if not value or value == fm_text[n.start_mark.index : n.end_mark.index]:
                continue
            first, last = n.start_mark.line + 2, n.end_mark.line + 2
            seen = {(f.rule, f.masked) for f in found if first <= f.line <= last}
            fresh = [replace(f, line=first) for f in scan(value.replace("\n", " "), config.privacy.allow) if (f.rule, f.masked) not in seen]
            decoded.update((f.line, f.rule, f.masked) for f in fresh)
            problems.extend(finding_problems(fresh, relpath, config, ack, used=used, where=f"“{key}”的值（还原转义和折行后）", column=False))
    # Names: the file and its folders become the page's URL (and enter the
    # sitemap); attachment names and folders are published as they are.
    names = [(1, _name_findings("/".join(relpath.split("/")[2:]), config)), *named_at]
    told: set[tuple[str, str]] = set()
    for line, findings in names:
        # an attachment named with escapes was reported above, on the same line
        fresh = [f for f in findings if (f.rule, f.masked) not in told and (line, f.rule, f.masked) not in decoded]
        told.update((f.rule, f.masked) for f in fresh)
        where = "文件名或文件夹名（会成为网址）" if line == 1 else "附件的文件名或文件夹名"
        problems.extend(finding_problems(fresh, relpath, config, ack, used=used, where=where, column=False, advice="请给文件或文件夹改名"))
    # Bidi controls in the body: refused as in titles (in a code block too).
    bidi = _BIDI_RE.search(body)
    if bidi is not None:
        problems.append(error(relpath, body_line + body[: bidi.start()].count("\n"), control_message("正文", bidi.group())))
    # unreadable_ok: attachments the scan cannot read that somebody has checked by hand
    reviewed: dict[str, int] = {}
    if "unreadable_ok" in fields:
        for item in _list(fields["unreadable_ok"][0]):
            name = _text(item)
            rline = max(item.start_mark.line + 2, fields["unreadable_ok"][1])
            target = confine(base_dir, name.strip(), unit_dir)[0] if name and name.strip() else None
            if target is None:
                problems.append(error(relpath, rline, "人工核对 unreadable_ok 应当是附件文件名列表（写法与 attachments 相同），例如“unreadable_ok: [扫描件.pdf]”。"))
            else:
                reviewed[unicodedata.normalize("NFC", target)] = rline
    documents = dict(listed)
    for doc, line in _body_documents(body, base_dir, unit_dir, files, body_line):
        documents.setdefault(doc, line)
    for doc, line in documents.items():
        facts = files.get(doc)
        if facts is None or facts.escapes:
            continue
        if facts.text is None:
            if not doc.endswith(".md"):
                name = posixpath.basename(doc)
                problems.append(info(relpath, line, f"附件“{name}”（{_attachment_kind(name)}）的内容没有自动检查：晾晒只读取 PDF、Word（.docx）、Excel（.xlsx）、CSV 和 TXT 中的文字。请人工核对其中没有个人信息和涉密标识。", Kind.PRIVACY))
            continue
        done = reviewed.pop(unicodedata.normalize("NFC", doc), None)
        problems.extend(document_problems(doc, facts.text, config, tuple(privacy_ok), used=used, listed=(relpath, line), reviewed=done is not None))
    for doc, line in reviewed.items():
        problems.append(warning(relpath, line, f"人工核对 unreadable_ok 中的“{posixpath.basename(doc)}”不是本文的附件或正文引用的文件，或者它能被正常读取，请删除这一项。", Kind.PRIVACY))
    for entry, line in ack_lines.items():
        if entry not in used:
            problems.append(
                warning(relpath, line, f"privacy_ok 中的“{redact(entry)}”在本文和附件中都没有找到，请删除这一项；它应当照抄检查报告引号中的内容（打码的形式，例如“138****5678”），或逐字写出那段原文。", Kind.PRIVACY)
            )

    if any(p.is_error for p in problems) or when is None or section_key is None or title is None:
        return None, problems
    post = Post(
        unit=unit.slug,
        slug=slug,
        source=relpath,
        title=title.strip(),
        date=when,
        has_time=has_time,
        section=section_key,
        meetings=tuple(meeting_keys),
        branch=branch_id,
        category=category,
        tags=tuple(tags),
        attachments=tuple(attachments),
        draft=draft,
        summary=summary,
        body=body,
        body_line=body_line,
        bundle=bundle,
        privacy_ok=tuple(privacy_ok),
    )
    return post, problems


# ---------------------------------------------------------------------------
# privacy and secrecy findings → problems


def _acknowledged(f: Finding, ack: set[str]) -> str | None:
    """The privacy_ok entry that names this finding: its masked form as the check
    printed it (138****5678), or the original text exactly (or in its NFKC form).

    The masked form is what the message shows, so an author never has to copy
    the number itself into a file that goes through logs. It acknowledges, in
    this post only, every finding of that masked form. No hash of the number is
    printed instead: with 7 of 11 digits shown, any short fingerprint of a
    mobile number could be reversed by trying the 10,000 candidates.
    """
    for candidate in (f.masked, f.match, unicodedata.normalize("NFKC", f.match)):
        if candidate in ack:
            return candidate
    return None


def _scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    """Every scalar in a value (a list's items; a mapping's keys and values), each once.

    An alias is the node it points at: visiting each node once keeps a
    "billion laughs" value (aliases of aliases) linear, not exponential.
    """
    out: list[yaml.ScalarNode] = []
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            out.append(n)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(reversed(n.value))
        elif isinstance(n, yaml.MappingNode):
            stack.extend(x for k, v in reversed(n.value) for x in (v, k))
    return out


def _name_findings(name: str, config: SiteConfig) -> list[Finding]:
    """Findings in a file or folder name as written and percent-decoded (one line, line 1)."""
    out: list[Finding] = []
    for text in dict.fromkeys((name, unquote(name))):
        for f in scan(text.replace("\n", " "), config.privacy.allow):
            if all((f.rule, f.masked) != (g.rule, g.masked) for g in out):
                out.append(f)
    return out


def privacy_problems(
    text: str,
    relpath: str,
    config: SiteConfig,
    acknowledged: tuple[str, ...] = (),
    *,
    skip_lines: set[int] | frozenset[int] = frozenset(),
    used: set[str] | None = None,
    where: str = "",
    first_line: int = 1,
) -> list[Problem]:
    """Scan ``text`` and turn each finding into a located problem (masked, never the number itself).

    ``skip_lines`` are lines not to report (the privacy_ok entries themselves);
    ``used`` collects the acknowledgements that matched something; ``where``
    prefixes messages about an attachment ("PDF 文档第 2 页："); ``first_line``
    is the number of the first line of ``text``.
    """
    findings = scan(text, config.privacy.allow, first_line)
    return finding_problems(findings, relpath, config, acknowledged, skip_lines=skip_lines, used=used, where=where)


def finding_problems(
    findings: list[Finding],
    relpath: str,
    config: SiteConfig,
    acknowledged: tuple[str, ...] = (),
    *,
    skip_lines: set[int] | frozenset[int] = frozenset(),
    used: set[str] | None = None,
    where: str = "",
    column: bool = True,
    advice: str = "请删除或打码（例如 138****5678、110105********002X）",
    can_acknowledge: bool = True,
) -> list[Problem]:
    """Findings → located problems. A message shows the masked form only, and the
    acknowledgement it suggests is that masked form (see `_acknowledged`).

    ``column=False`` for findings in decoded or rendered text, whose columns do
    not point into the source line.
    """
    out: list[Problem] = []
    ack = set(acknowledged)
    for f in findings:
        if f.line in skip_lines:
            continue
        label, default = RULES[f.rule]
        level = config.privacy.severity_of(f.rule, default)
        if level == "off":
            continue
        col = f.column if column else None
        hit = _acknowledged(f, ack)
        if hit is not None:
            if used is not None:
                used.add(hit)
            out.append(Problem(relpath, f.line, f"{where}已确认公开：{label}“{f.masked}”（front-matter 中 privacy_ok 已列出）。", Severity.INFO, Kind.PRIVACY, col))
            continue
        ok_hint = f"在 front-matter 中写“privacy_ok: [\"{f.masked}\"]”（照抄这里显示的打码形式即可）"
        if f.rule == "secret":
            ok_hint = f"在 front-matter 中写“privacy_ok: [\"{f.masked}\"]”"
        if not can_acknowledge:  # a _unit.toml has no front-matter: only site.toml can allow
            ok_hint = "请管理员在 site.toml 的 [privacy] 中设置"
        if f.rule == "secret":
            msg = f"{where}发现涉密标识“{f.masked}”。带有此类标识（{'、'.join(SECRET_MARKERS)}）的材料须经人工审核后才能公开；确认可以公开时，{ok_hint}。"
        elif f.rule == "address":
            msg = (
                f"{where}发现{label}“{f.masked}”（道路门牌号之后还有楼幢、单元或房号）。家庭住址属于个人信息，不能公开，请删除或只写到街道；"
                f"如确属单位的办公地址，{ok_hint}，或由管理员在 site.toml 的 [privacy] severity 中调整 address 规则。"
            )
        else:
            gap = " " if label[:1].isdigit() else ""  # 发现 18 位…, 发现手机号码
            msg = (
                f"{where}发现{gap}{label}“{f.masked}”。个人信息不能公开，{advice}；"
                f"如确属可公开的号码，{ok_hint}，或由管理员加入 site.toml 的 [privacy] allow。"
            )
        make = error if level == "error" else warning
        out.append(make(relpath, f.line, msg, Kind.PRIVACY, col))
    return out


_COMMENT_RE = re.compile(r"<!--.*?(?:-->|$)", re.S)
_SOURCE_TAG_RE = re.compile(r"<[^<>\n]*>")
_KEPT_RE = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff★]")


class _BodyMap:
    """Finds the source line of a piece of the rendered text (best effort).

    The body is reduced once to its letters, digits and Chinese characters —
    comments and tags removed, entities and percent-escapes decoded, NFKC —
    remembering each character's line; a finding's own characters are looked
    up there, from where the previous one was found (findings come in reading
    order, so a post with thousands costs linear time). When markup split a
    finding in a way this misses, the block's first Chinese words are looked
    up instead, and at worst the first line of the body is named.
    """

    def __init__(self, post: Post) -> None:
        self.post = post
        body = _COMMENT_RE.sub(lambda m: "\n" * m.group().count("\n"), post.body)
        chars: list[str] = []
        self.line_of: list[int] = []
        for no, line in enumerate(body.split("\n")):
            kept = _KEPT_RE.sub("", unicodedata.normalize("NFKC", unquote(html.unescape(_SOURCE_TAG_RE.sub("", line)))))
            chars.append(kept)
            self.line_of.extend([no] * len(kept))
        self.skeleton = "".join(chars)
        self.cursor = 0

    def line(self, match: str, block: str) -> int:
        post = self.post
        key = _KEPT_RE.sub("", unicodedata.normalize("NFKC", match))
        if key:
            at = self.skeleton.find(key, self.cursor)
            if at < 0:
                at = self.skeleton.find(key)
            if at >= 0:
                self.cursor = at + len(key)
                return post.body_line + self.line_of[at]
        for words in re.findall(r"[\u4e00-\u9fff]{2,}", block)[:3]:
            at = post.body.find(words)
            if at >= 0:
                return post.body_line + post.body[:at].count("\n")
        return post.body_line


def rendered_problems(post: Post, lines: list[str], config: SiteConfig, problems: list[Problem]) -> list[Problem]:
    """``problems`` plus what the scan finds in the text readers get from the body.

    ``lines`` come from `markup.reader_lines`: the body after Markdown, entity
    decoding and sanitising. Findings the source scan (in `parse_post`) made
    already are not repeated; new ones name the source line they come from
    (`_BodyMap`). A privacy_ok entry that only the rendered text uses is no
    longer reported as unused.
    """
    text = "\n".join(lines)
    found = scan(text, config.privacy.allow)
    bidi = _BIDI_RE.search(text)
    if not found and bidi is None:
        return problems
    out = list(problems)
    where = _BodyMap(post)
    if bidi is not None:  # written as a reference (&#x202E;): the source check cannot see it
        out.append(error(post.source, where.line("", lines[text[: bidi.start()].count("\n")]), control_message("正文", bidi.group())))
    source = {(f.rule, f.masked) for f in scan(post.body, config.privacy.allow)}
    fresh = [replace(f, line=where.line(f.match, lines[f.line - 1])) for f in found if (f.rule, f.masked) not in source]
    used: set[str] = set()
    out.extend(finding_problems(fresh, post.source, config, post.privacy_ok, used=used, where="正文显示出来的文字中", column=False))
    if used:
        stale = tuple(f"privacy_ok 中的“{redact(e)}”" for e in used)
        out = [p for p in out if not (p.kind is Kind.PRIVACY and p.message.startswith(stale))]
    return out


def document_problems(
    relpath: str,
    doc: att.DocumentText,
    config: SiteConfig,
    acknowledged: tuple[str, ...] = (),
    *,
    used: set[str] | None = None,
    listed: tuple[str, int] | None = None,
    reviewed: bool = False,
) -> list[Problem]:
    """Findings inside an attachment's text; ``line`` is the page (PDF), paragraph (Word) or row.

    ``listed``: the post and line that attach or link the file (named in every
    message, and where problems about the file as a whole are reported);
    ``reviewed``: the post's ``unreadable_ok`` names this file.
    """
    out: list[Problem] = []
    by = f"（{listed[0]} 第 {listed[1]} 行引用了这个文件）" if listed else ""
    for index, part in enumerate(doc.parts):
        number, label = doc.place(index)
        # one page or paragraph is one "line" of the attachment: its text is flattened
        flat = part.replace("\n", " ")
        for p in privacy_problems(flat, relpath, config, acknowledged, used=used, where=f"{doc.kind}{label}：", first_line=number):
            out.append(replace(p, column=None, message=p.message + by))  # a column in extracted text points nowhere useful
    name = posixpath.basename(relpath)
    where_path, where_line = listed if listed else (relpath, 1)
    if doc.blocked is not None:
        out.append(error(where_path, where_line, f"附件“{name}”{doc.blocked}。这个文件没有发布。", Kind.PRIVACY))
    if doc.problem is not None and doc.read:
        if reviewed:
            out.append(info(where_path, where_line, f"附件“{name}”（{doc.kind}）{doc.problem}；unreadable_ok 已确认它经过人工核对，照常发布。", Kind.PRIVACY))
        elif config.privacy.unreadable == "warning":
            out.append(warning(where_path, where_line, f"附件“{name}”（{doc.kind}）{doc.problem}，未能完整地自动检查其中的个人信息和涉密标识，请人工核对后再发布（site.toml 的 [privacy] unreadable = \"warning\" 允许发布这样的文件）。", Kind.PRIVACY))
        else:
            out.append(
                error(
                    where_path,
                    where_line,
                    f"附件“{name}”（{doc.kind}）{doc.problem}，无法自动检查其中的个人信息和涉密标识，所以不能发布。"
                    f"请改好文件后重新放入（去掉打开密码、用原软件重新另存、把过大的文件拆开或压缩）；"
                    f"已经人工核对过、确认可以公开时，在本文的 front-matter 中写“unreadable_ok: [{name}]”。",
                    Kind.PRIVACY,
                )
            )
    elif not doc.read and doc.kind != "图片":
        out.append(info(where_path, where_line, f"附件“{name}”（{doc.kind}）的文字没有自动检查（其中的图片已去除位置信息）：晾晒只读取 PDF、Word（.docx）、Excel（.xlsx）、CSV 和 TXT 中的文字。请人工核对其中没有个人信息和涉密标识。", Kind.PRIVACY))
    elif doc.read and doc.empty:
        out.append(info(where_path, where_line, f"附件“{name}”（{doc.kind}）中没有可提取的文字（可能是扫描件或图片），未能自动检查其中的个人信息，请人工核对。", Kind.PRIVACY))
    return out
