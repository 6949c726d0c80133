"""Parse stage: scanner findings → located problems (the privacy translation beside `privacy.scan`).

`privacy.scan` only finds; this module decides what an author is told: the
severity site.toml gives each rule, the masked form to quote, the privacy_ok
entry that acknowledges a finding, and the line a finding in rendered text or
in an attachment is reported on. Messages never carry the number itself.
"""

from __future__ import annotations

import html
import posixpath
import re
import unicodedata
from dataclasses import replace
from urllib.parse import unquote

from generator.core.errors import Kind, Problem, Severity, control_message, error, info, warning
from generator.core.model import Post
from generator.core.privacy import RULES, SECRET_MARKERS, Finding, redact, scan
from generator.load import attachments as att
from generator.load.config import SiteConfig
from generator.parse.text import _BIDI_RE


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
