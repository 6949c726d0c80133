"""Parse stage: bytes + path → `Post`, or located problems.

Pure functions: they take the file's bytes, its site-relative path and the
facts the load stage gathered (which files exist, their sizes) and return a
value plus a list of `Problem`s. Nothing here reads the disk.

`parse_post` reads a post in named steps: decode the bytes (`text`), split
off the front-matter, read full-width indentation as spaces and compose it
keeping every line (`yamlnodes`; when it is not valid YAML, the entries that
read line by line, `linereader`), read each
field (`fields.FieldReader`, one method per field), then scan the whole post,
its decoded values, its names and the documents it publishes for personal data
(`_PostScan`, over `privacy_problems`). Every step collects its problems, so an
author sees every mistake in one run. `parse_unit` (in `unit`) reads a
``_unit.toml``. The names other stages import from here stay importable here.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import replace

import frontmatter

from generator.core.digests import source_digest
from generator.core.errors import Kind, Problem, control_message, error, info, warning
from generator.core.model import FileFacts, Post, Unit
from generator.core.privacy import Finding, redact, scan
from generator.load.config import SiteConfig
from generator.parse.budgets import markdown_problems, post_size_problem
from generator.parse.dates import _DATE_RE, parse_date
from generator.parse.fields import FIELD_ALIASES, MAX_SUMMARY, MAX_TAG, MAX_TITLE, Acknowledged, Attached, FieldReader
from generator.parse.linereader import widen_spaces
from generator.parse.paths import _attachment_kind, _body_documents, confine, lookup_file, post_slug
from generator.parse.privacy_problems import _name_findings, document_problems, finding_problems, privacy_problems, rendered_problems
from generator.parse.text import _BIDI_RE, _looks_utf16, decode, detect_encoding_name
from generator.parse.unit import BRANCH_KINDS, parse_unit
from generator.parse.yamlnodes import _compose, _scalars, _text

# Names other packages and the tests import from `generator.parse.post`.
__all__ = [
    "BRANCH_KINDS",
    "FIELD_ALIASES",
    "MAX_SUMMARY",
    "MAX_TAG",
    "MAX_TITLE",
    "_DATE_RE",
    "_looks_utf16",
    "confine",
    "decode",
    "detect_encoding_name",
    "document_problems",
    "finding_problems",
    "lookup_file",
    "parse_date",
    "parse_post",
    "parse_unit",
    "post_slug",
    "privacy_problems",
    "rendered_problems",
]

_SLUG_RE = re.compile(r"^[\w\-.]+$")


def _split(text: str, relpath: str) -> tuple[list[str], int, str] | Problem:
    """(front-matter lines, first line of the body, body), or the one problem that stops the post."""
    if not text.strip():
        return error(relpath, 1, "文件是空的。一篇文章以 --- 开头的 front-matter（title、date、section 等）开始，然后是正文。")
    if not frontmatter.YAMLHandler().detect(text) or not text.startswith("---"):
        first = text.lstrip("\n").split("\n", 1)[0]
        hint = ""
        if re.match(r"^\s*(title|标题|date|日期)\s*[:：]", first):
            hint = "看起来字段写了，但缺少第一行的“---”。"
        return error(relpath, 1, f"缺少 front-matter。{hint}文件第一行应当是“---”，接着写 title（标题）、date（日期）、section（栏目）等字段，再用一行“---”结束，然后是正文。")
    # python-frontmatter's own splitter agrees with ours; we keep ours for line numbers.
    lines = text.split("\n")
    close = next((i for i in range(1, len(lines)) if re.match(r"^-{3,}\s*$", lines[i])), None)
    if close is None:
        return error(relpath, 1, "front-matter 没有结束：字段写完后要另起一行写“---”，然后才是正文。")
    return lines[1:close], close + 2, "\n".join(lines[close + 1 :])


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
    split = _split(text, relpath)
    if isinstance(split, Problem):
        return None, [split]
    fm_lines, body_line, body = split
    # full-width spaces pasted as indentation read as spaces (with a warning); the privacy scan keeps the file as written
    read_fm, widened = widen_spaces(fm_lines, relpath)
    node, problems, unreadable = _compose("\n".join(read_fm), relpath)
    if node is None:
        return None, [*widened, *problems]
    problems = [*widened, *problems]
    # shapes of Markdown that would take Python-Markdown minutes: refused before rendering
    problems.extend(markdown_problems(body, body_line, relpath, config.limits))

    reader = FieldReader(relpath, node, config, unit, files, problems, unreadable)
    title = reader.title()
    when, has_time = reader.date()
    section_key = reader.section()
    meeting_keys = reader.meetings()
    branch_id = reader.branch(meeting_keys)
    reader.mentioned_meetings(section_key, meeting_keys)
    category = reader.category()
    tags = reader.tags()
    draft = reader.draft()
    summary = reader.summary()
    ack = reader.privacy_ok()
    attached = reader.attachments()
    tasks, project, report = reader.tasks(), reader.project(), reader.report()
    slug, bundle = post_slug(relpath)
    if not _SLUG_RE.match(slug) or slug.startswith("."):
        problems.append(error(relpath, 1, f"文件名“{slug}”不能用作网址：只能含字母、数字、汉字、- 和 _，不要有空格或 # ? % & 等符号。请重命名文件。"))
    _PostScan(reader, text, "\n".join(read_fm), body, body_line, ack, attached).run()

    if any(p.is_error for p in problems) or when is None or section_key is None or title is None:
        return None, problems
    post = Post(
        unit=unit.slug,
        slug=slug,
        source=relpath,
        title=title,
        date=when,
        has_time=has_time,
        section=section_key,
        meetings=tuple(meeting_keys),
        branch=branch_id,
        category=category,
        tags=tuple(tags),
        attachments=attached.items,
        draft=draft,
        summary=summary,
        body=body,
        body_line=body_line,
        bundle=bundle,
        privacy_ok=ack.entries,
        digest=source_digest(raw),
        tasks=tuple(tasks),
        project=project,
        report=report,
    )
    return post, problems


class _PostScan:
    """The privacy and secrecy scan of one post, in the order its problems are reported.

    The whole file (front-matter lines included), then what readers get from
    the front-matter values, the post's and its attachments' names, bidi
    controls in the body, and the text of every PDF/DOCX the post publishes;
    last, the privacy_ok entries that matched nothing. The reader's problem
    list receives everything.
    """

    def __init__(self, reader: FieldReader, text: str, fm_text: str, body: str, body_line: int, ack: Acknowledged, attached: Attached) -> None:
        self.reader = reader
        self.relpath = reader.relpath
        self.config = reader.config
        self.problems = reader.problems
        self.text, self.fm_text, self.body, self.body_line = text, fm_text, body, body_line
        self.ack, self.attached = ack, attached
        self.used: set[str] = set()  # the privacy_ok entries that matched something

    def run(self) -> None:
        found = scan(self.text, self.config.privacy.allow)
        self.problems.extend(finding_problems(found, self.relpath, self.config, self.ack.entries, skip_lines=self.ack.skip, used=self.used))
        decoded = self._decoded_values(found)
        self._names(decoded)
        # Bidi controls in the body: refused as in titles (in a code block too).
        bidi = _BIDI_RE.search(self.body)
        if bidi is not None:
            self.problems.append(error(self.relpath, self.body_line + self.body[: bidi.start()].count("\n"), control_message("正文", bidi.group())))
        self._documents(self.reader.unreadable_ok())
        for entry, line in self.ack.lines.items():
            if entry not in self.used:
                self.problems.append(
                    warning(self.relpath, line, f"privacy_ok 中的“{redact(entry)}”在本文和附件中都没有找到，请删除这一项；它应当照抄检查报告引号中的内容（打码的形式，例如“138****5678”），或逐字写出那段原文。", Kind.PRIVACY)
                )

    def _decoded_values(self, found: list[Finding]) -> set[tuple[int, str, str]]:
        """What readers get from the front-matter: each value after YAML has undone
        its escapes ("\\x31", "\\u0031") and folded its lines. Only values whose
        decoded text differs from the source are scanned again, and a finding the
        source scan made on the same lines is not repeated."""
        decoded: set[tuple[int, str, str]] = set()
        for field, entry in self.reader.fields.items():
            if field == "privacy_ok":
                continue
            for n in _scalars(entry.node):
                value = _text(n)
                if not value or value == self.fm_text[n.start_mark.index : n.end_mark.index]:
                    continue
                first, last = n.start_mark.line + 2, n.end_mark.line + 2
                seen = {(f.rule, f.masked) for f in found if first <= f.line <= last}
                fresh = [replace(f, line=first) for f in scan(value.replace("\n", " "), self.config.privacy.allow) if (f.rule, f.masked) not in seen]
                decoded.update((f.line, f.rule, f.masked) for f in fresh)
                where = f"“{entry.key}”的值（还原转义和折行后）"
                self.problems.extend(finding_problems(fresh, self.relpath, self.config, self.ack.entries, used=self.used, where=where, column=False))
        return decoded

    def _names(self, decoded: set[tuple[int, str, str]]) -> None:
        """The file and its folders become the page's URL (and enter the sitemap);
        attachment names and folders are published as they are."""
        names = [(1, _name_findings("/".join(self.relpath.split("/")[2:]), self.config)), *self.attached.names]
        told: set[tuple[str, str]] = set()
        for line, findings in names:
            # an attachment named with escapes was reported above, on the same line
            fresh = [f for f in findings if (f.rule, f.masked) not in told and (line, f.rule, f.masked) not in decoded]
            told.update((f.rule, f.masked) for f in fresh)
            where = "文件名或文件夹名（会成为网址）" if line == 1 else "附件的文件名或文件夹名"
            self.problems.extend(finding_problems(fresh, self.relpath, self.config, self.ack.entries, used=self.used, where=where, column=False, advice="请给文件或文件夹改名"))

    def _documents(self, reviewed: dict[str, int]) -> None:
        """The text of every document the post attaches or links; ``reviewed`` is its unreadable_ok."""
        files = self.reader.files
        documents = dict(self.attached.listed)
        base_dir, unit_dir = posixpath.dirname(self.relpath), posixpath.dirname(self.reader.unit.source)
        for doc, line in _body_documents(self.body, base_dir, unit_dir, files, self.body_line):
            documents.setdefault(doc, line)
        for doc, line in documents.items():
            facts = files.get(doc)
            if facts is None or facts.escapes:
                continue
            if facts.text is None:
                if not doc.endswith(".md"):
                    name = posixpath.basename(doc)
                    self.problems.append(info(self.relpath, line, f"附件“{name}”（{_attachment_kind(name)}）的内容没有自动检查：晾晒只读取 PDF、Word（.docx）、Excel（.xlsx）、CSV 和 TXT 中的文字。请人工核对其中没有个人信息和涉密标识。", Kind.PRIVACY))
                continue
            done = reviewed.pop(unicodedata.normalize("NFC", doc), None)
            self.problems.extend(document_problems(doc, facts.text, self.config, self.ack.entries, used=self.used, listed=(self.relpath, line), reviewed=done is not None))
        for doc, line in reviewed.items():
            self.problems.append(warning(self.relpath, line, f"人工核对 unreadable_ok 中的“{posixpath.basename(doc)}”不是本文的附件或正文引用的文件，或者它能被正常读取，请删除这一项。", Kind.PRIVACY))
