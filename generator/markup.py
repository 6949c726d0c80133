"""Parse stage: a post's Markdown body → sanitised HTML (`RenderedBody`).

One configured Python-Markdown instance per `MarkupRenderer` (not thread-safe:
each worker process makes its own). Relative links and images are resolved
against the post's source folder and confined to its unit folder; links to
other posts become links to their pages; everything is then passed through nh3
(an allow-list sanitiser) so no unit's Markdown can run script in a browser.
Pure: the facts about files come in as arguments.
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote, urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor

from .errors import Problem, error, warning
from .model import Attachment, Post, RenderedBody
from .parse import FileFacts, _attachment_kind, post_slug, resolve_relative

# Bump when the Markdown settings or the sanitiser policy change: cached bodies
# rendered with other settings must not be reused.
MARKUP_VERSION = "1"

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang"},
    "a": {"href", "id", "class"},
    "img": {"src", "alt", "width", "height"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"}, "h1": {"id"},
    "li": {"id"},
    "div": {"class"},
    "sup": {"id"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# A class is only allowed where Python-Markdown itself sets one.
_ALLOWED_CLASSES = {"footnote", "footnote-ref", "footnote-backref", "toc"}
TOC_MIN_HEADINGS = 3


@dataclass(frozen=True)
class LinkContext:
    post: Post
    unit_dir: str  # content/<unit>
    files: dict[str, FileFacts]


class _LinkProcessor(Treeprocessor):
    """Rewrite relative href/src; record resources and problems for the caller."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.ctx: LinkContext | None = None
        self.resources: list[Attachment] = []
        self.problems: list[Problem] = []

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            if el.tag == "a" and el.get("href") is not None:
                el.set("href", self._rewrite(el.get("href", ""), is_image=False))
            elif el.tag == "img" and el.get("src") is not None:
                el.set("src", self._rewrite(el.get("src", ""), is_image=True))

    def _line(self, target: str) -> int:
        assert self.ctx is not None
        idx = self.ctx.post.body.find(target)
        return self.ctx.post.body_line + (self.ctx.post.body[:idx].count("\n") if idx >= 0 else 0)

    def _rewrite(self, url: str, is_image: bool) -> str:
        ctx = self.ctx
        assert ctx is not None
        raw = url.strip()
        parts = urlsplit(raw)
        if parts.scheme:
            if parts.scheme.lower() not in URL_SCHEMES:
                self.problems.append(error(ctx.post.source, self._line(raw), f"链接“{raw[:60]}”使用了不允许的协议“{parts.scheme}:”，只允许 http、https、mailto、tel 和站内相对路径。"))
                return ""
            if is_image:
                self.problems.append(warning(ctx.post.source, self._line(raw), f"图片“{raw[:80]}”来自站外，校园内网无法加载。请把图片放在文章旁边，用相对路径引用。"))
            return raw
        if raw.startswith("//"):
            self.problems.append(warning(ctx.post.source, self._line(raw), f"链接“{raw[:60]}”省略了协议，请写完整的 https:// 地址。"))
            return "https:" + raw
        if not parts.path:
            return raw  # "#fragment" or "?query"
        src_dir = posixpath.dirname(ctx.post.source)
        path = unquote(parts.path)
        target = resolve_relative(src_dir, path)
        frag = f"#{parts.fragment}" if parts.fragment else ""
        if target is None or not (target + "/").startswith("content/"):
            self.problems.append(error(ctx.post.source, self._line(raw), f"链接“{raw[:60]}”是绝对路径或跳出了 content 文件夹。请使用相对于本文件的路径，例如 photo.jpg 或 ../另一篇文章.md。"))
            return ""
        if target.endswith(".md"):
            facts = ctx.files.get(target)
            if facts is None:
                self.problems.append(error(ctx.post.source, self._line(raw), f"链接的文章“{path}”不存在（应在 {target}）。"))
                return ""
            parts_t = target.split("/")
            slug, _ = post_slug(target)
            here = f"{ctx.post.unit}/{ctx.post.slug}"
            there = f"{parts_t[1]}/{slug}"
            return quote(posixpath.relpath(there, here) + "/index.html") + frag
        if not (target + "/").startswith(ctx.unit_dir + "/"):
            self.problems.append(error(ctx.post.source, self._line(raw), f"链接“{raw[:60]}”指向本单位文件夹 {ctx.unit_dir}/ 以外的文件，不能发布。请把文件放在文章旁边。"))
            return ""
        facts = ctx.files.get(target)
        if facts is None:
            if target.rstrip("/") in (posixpath.dirname(p) for p in ctx.files):
                self.problems.append(error(ctx.post.source, self._line(raw), f"链接“{raw[:60]}”指向一个文件夹，请链接到具体的文件或文章（.md）。"))
            else:
                self.problems.append(error(ctx.post.source, self._line(raw), f"链接或图片“{path}”不存在（应在 {target}）。请检查文件名和大小写。"))
            return ""
        if facts.escapes:
            self.problems.append(error(ctx.post.source, self._line(raw), f"“{path}”是指向单位文件夹以外的链接（symlink），不能发布。"))
            return ""
        name = posixpath.basename(target)
        for a in (*ctx.post.attachments, *self.resources):
            if a.name == name and a.source != target:
                self.problems.append(error(ctx.post.source, self._line(raw), f"两个文件同名“{name}”（{a.source} 和 {target}），发布后会互相覆盖，请改名其中一个。"))
                return ""
        if not any(a.source == target for a in (*ctx.post.attachments, *self.resources)):
            self.resources.append(Attachment(name, target, facts.size, _attachment_kind(name)))
        return quote(name) + frag


class _LinkExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_LinkProcessor(md), "liangshai-links", 1)


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [c for c in value.split() if c in _ALLOWED_CLASSES]
        return " ".join(kept) or None
    if attribute == "id":
        # Keep ids Markdown made (headings, footnotes), namespaced by the theme's CSS.
        return value if re.match(r"^[\w:\-.]{1,80}$", value) else None
    return value


class MarkupRenderer:
    """A configured Markdown converter; create one per process."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(
            extensions=[
                "tables",
                "fenced_code",
                "footnotes",
                "sane_lists",
                "toc",
                _LinkExtension(),
            ],
            extension_configs={
                "toc": {"slugify": slugify_unicode, "toc_depth": "2-4"},
                "tables": {"use_align_attribute": True},
            },
            output_format="html",
        )
        self._links: _LinkProcessor = self._md.treeprocessors["liangshai-links"]  # type: ignore[assignment]

    def render(self, post: Post, files: dict[str, FileFacts]) -> tuple[RenderedBody, tuple[Attachment, ...], list[Problem]]:
        """(body, extra resources the body references, problems)."""
        unit_dir = "/".join(post.source.split("/")[:2])
        self._md.reset()
        self._links.ctx = LinkContext(post, unit_dir, files)
        self._links.resources = []
        self._links.problems = []
        raw_html = self._md.convert(post.body)
        tokens = getattr(self._md, "toc_tokens", [])
        toc_html = getattr(self._md, "toc", "") if _count_tokens(tokens) >= TOC_MIN_HEADINGS else ""
        body_html = sanitize(raw_html)
        text = plain_text(body_html)
        resources = tuple(self._links.resources)
        problems = list(self._links.problems)
        self._links.ctx = None
        return RenderedBody(body_html, sanitize(toc_html) if toc_html else "", text), resources, problems


def _count_tokens(tokens: list[dict]) -> int:
    return sum(1 + _count_tokens(t.get("children", [])) for t in tokens)


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def plain_text(fragment: str) -> str:
    text = nh3.clean(fragment, tags=set(), attributes={})
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def excerpt(text: str, length: int = 120) -> str:
    return text if len(text) <= length else text[:length].rstrip() + "…"


__all__ = ["MarkupRenderer", "sanitize", "plain_text", "excerpt", "MARKUP_VERSION", "replace"]
