"""Parse stage: a post's Markdown body → sanitised HTML (`RenderedBody`).

One configured Python-Markdown instance per `MarkupRenderer` (not thread-safe:
each worker process makes its own). The HTML Markdown produces — including any
raw HTML the author typed — then goes through nh3 (an allow-list sanitiser), so
no unit's text can run script in a reader's browser. Relative links and images
are rewritten inside that same sanitiser pass (`attribute_filter`), so a link
written in Markdown and one written as raw ``<a href>`` obey one confinement
rule: files stay inside the post's unit folder, links to posts stay inside
``content/``. Before sanitising, a diagnostic pass (`diagnose`) names what the
sanitiser is about to drop, so the author learns why the page differs from
what they typed. nh3 is the security boundary; the diagnostic pass only talks.
Pure: the facts about files come in as arguments.
"""

from __future__ import annotations

import html
import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import markdown
import nh3
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, slugify_unicode
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

from generator.core.errors import Problem, error, warning
from generator.core.model import Attachment, FileFacts, Post, RenderedBody
from generator.core.urls import collision_key
from generator.load import attachments as att
from generator.parse.paths import _attachment_kind, confine, lookup_file, post_slug

# Bump when the Markdown settings or the sanitiser policy change: cached bodies
# rendered with other settings must not be reused.
MARKUP_VERSION = "3"

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

# Tags whose removal changes what a reader sees or could do, each with the reason
# an author is told. Other unknown tags (<font>, <center>) are unwrapped quietly
# apart from one notice: their text stays.
_DANGEROUS_TAGS: dict[str, str] = {
    **dict.fromkeys(("script", "noscript", "template"), "运行脚本"),
    **dict.fromkeys(("style", "link"), "自定义样式或引用外部样式表（样式由网站主题统一设置）"),
    **dict.fromkeys(("iframe", "frame", "frameset", "object", "embed", "applet", "portal", "fencedframe"), "嵌入其他网页或插件"),
    **dict.fromkeys(("form", "input", "button", "textarea", "select", "option", "isindex", "keygen"), "放置表单"),
    **dict.fromkeys(("meta", "base"), "放置改变页面地址或自动跳转的标签"),
    **dict.fromkeys(("svg", "math"), "使用 SVG/MathML 内嵌图形（其中可以夹带脚本）；图片请作为图片文件插入"),
    **dict.fromkeys(("video", "audio", "source", "track", "bgsound", "marquee", "blink"), "嵌入音视频或动态效果（音视频请作为附件提供）"),
}
# Attributes that carry a URL somewhere in HTML, SVG or MathML.
_URL_ATTRS = {
    "href", "src", "action", "formaction", "data", "xlink:href", "background", "poster", "srcset", "lowsrc",
    "dynsrc", "codebase", "cite", "longdesc", "usemap", "ping", "manifest", "icon", "profile", "archive",
}
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see in an attribute value (already entity-decoded).

    Mirrors the WHATWG URL parser's clean-up: leading and trailing C0 controls
    and spaces are ignored and tabs/newlines anywhere are removed, which is how
    ``java\\tscript:`` and ``&#10;javascript:`` become ``javascript:``.
    """
    cleaned = re.sub(r"[\t\n\r]", "", value.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
    m = _SCHEME_RE.match(cleaned)
    return m.group(1).lower() if m else None


@dataclass
class _Locator:
    """Finds the source line of a piece of the rendered body (best effort)."""

    body: str
    body_line: int

    def line(self, *needles: str) -> int:
        for needle in needles:
            if not needle:
                continue
            idx = self.body.find(needle)
            if idx < 0:
                idx = self.body.lower().find(needle.lower())
            if idx >= 0:
                return self.body_line + self.body[:idx].count("\n")
        return self.body_line


class _Diagnose(HTMLParser):
    """Lists what the sanitiser will remove, with source lines; never changes the HTML."""

    def __init__(self, source: str, where: _Locator):
        super().__init__(convert_charrefs=True)
        self.source = source
        self.where = where
        self.problems: list[Problem] = []
        self._told: set[str] = set()

    def _once(self, key: str, problem: Problem) -> None:
        if key not in self._told:
            self._told.add(key)
            self.problems.append(problem)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        # Raw HTML is kept verbatim by Markdown, so its tag text is in the source;
        # a tag Markdown made is found by its URL instead.
        urls = [v.strip() for n, v in attrs if n in _URL_ATTRS and v and v.strip()]
        line = self.where.line(raw, *urls, f"<{tag}")
        if tag not in ALLOWED_TAGS:
            reason = _DANGEROUS_TAGS.get(tag)
            if reason is not None:
                self._once(f"tag:{tag}", warning(self.source, line, f"已删除 <{tag}> 标签：网页中不允许{reason}。这部分不会出现在发布的页面上。"))
            else:
                self._once(
                    f"tag:{tag}",
                    warning(self.source, line, f"不支持的 HTML 标签 <{tag}> 已去掉（其中的文字保留）。可用的标签：{'、'.join(sorted(ALLOWED_TAGS))}；一般用 Markdown 写法即可。"),
                )
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self._once(f"attr:{name}", warning(self.source, line, f"已删除事件属性 {name}=“{value[:40]}”：网页中不允许运行脚本。"))
            elif name == "style":
                self._once("attr:style", warning(self.source, line, "已删除 style 属性：页面样式由网站主题统一设置，正文中不能自定义颜色、字号等。需要强调请用 **加粗**。"))
            elif name in _URL_ATTRS:
                scheme = url_scheme(value)
                if scheme is not None and scheme not in URL_SCHEMES:
                    shown = re.sub(r"\s+", " ", value.strip())[:60]
                    self._once(
                        f"scheme:{scheme}:{line}",
                        error(
                            self.source,
                            line,
                            f"链接“{shown}”使用了不允许的协议“{scheme}:”，只允许 http、https、mailto、tel 和站内相对路径。请删除这个链接或改成网址。",
                        ),
                    )


_MD_URL_RE = re.compile(r'(?:href|src)="([^"]*)"')


def _only_markdown_html(raw_html: str, body: str) -> bool:
    """True when the body has no raw HTML and every URL Markdown emitted is allowed.

    Markdown itself only emits allowed tags and attributes, so without a "<" in
    the source the only thing the sanitiser can drop is a link's scheme; this
    check (a regex) lets most posts skip the slower HTML parse in `diagnose`.
    """
    if "<" in body:
        return False
    for value in _MD_URL_RE.findall(raw_html):
        scheme = url_scheme(html.unescape(value))
        if scheme is not None and scheme not in URL_SCHEMES:
            return False
    return True


def diagnose(raw_html: str, source: str, body: str, body_line: int) -> list[Problem]:
    """Problems about what `sanitize` will drop from ``raw_html`` (Markdown's output)."""
    if _only_markdown_html(raw_html, body):
        return []
    parser = _Diagnose(source, _Locator(body, body_line))
    try:
        parser.feed(raw_html)
        parser.close()
    except Exception:
        pass
    return parser.problems


@dataclass
class _Links:
    """Rewrites href/src of one post's body inside the sanitiser, collecting resources."""

    post: Post
    unit_dir: str  # content/<unit>
    files: dict[str, FileFacts]
    where: _Locator
    resources: list[Attachment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # every site-relative target the body points at, found or not: the builder's
    # cache re-renders the body when one of them appears, disappears or changes
    links: list[str] = field(default_factory=list)
    _told: set[tuple[str, str]] = field(default_factory=set)

    def _report(self, make, raw: str, message: str) -> None:
        key = (raw, message)
        if key not in self._told:  # the same link twice on a page is one mistake
            self._told.add(key)
            needles = [f"]({raw}", f"({raw}", f'"{raw}"', f"'{raw}'", f"={raw}", f"<{raw}>", raw, unquote(raw)]
            self.problems.append(make(self.post.source, self.where.line(*needles), message))

    def filter(self, element: str, attribute: str, value: str) -> str | None:
        if (element, attribute) in (("a", "href"), ("img", "src")):
            return self.rewrite(value, is_image=element == "img")
        return _filter_attribute(element, attribute, value)

    def rewrite(self, url: str, is_image: bool) -> str | None:
        post = self.post
        raw = url.strip()
        shown = raw[:60]
        scheme = url_scheme(raw)
        if scheme is not None:
            if scheme not in URL_SCHEMES:  # nh3 drops these before us; kept as a second lock
                return None
            if is_image:
                self._report(warning, raw, f"图片“{raw[:80]}”来自站外，校园内网无法加载。请把图片文件放在文章旁边，用相对路径引用，例如 ![说明](photo.jpg)。")
            return raw
        if raw.startswith("//"):
            self._report(warning, raw, f"链接“{shown}”省略了协议，请写完整的 https:// 地址。" + ("图片来自站外，校园内网无法加载，请把图片放在文章旁边。" if is_image else ""))
            return "https:" + raw
        parts = urlsplit(raw)
        if not parts.path:
            return raw  # "#fragment" or "?query": stays on this page
        frag = f"#{parts.fragment}" if parts.fragment else ""
        path = unquote(parts.path)
        src_dir = posixpath.dirname(post.source)
        target, why = confine(src_dir, path, "content")
        if target is None:
            self._report(error, raw, f"链接“{shown}”{why}，不能发布。请使用相对于本文件的路径，例如 photo.jpg 或 ../另一篇文章.md。")
            return None
        if target not in self.links:
            self.links.append(target)
        if target.endswith(".md"):
            return self._post_link(target, raw, path, frag)
        return self._file_link(src_dir, raw, path, frag)

    def _post_link(self, target: str, raw: str, path: str, frag: str) -> str | None:
        """A link to another post: the relative URL of its page."""
        post = self.post
        found = lookup_file(self.files, target)
        if found is None:
            self._report(error, raw, f"链接的文章“{path}”不存在（应在 {target}）。请检查文件名和大小写。")
            return None
        parts_t = found[0].split("/")
        slug, _ = post_slug(found[0])
        here = f"{post.unit}/{post.slug}"
        there = f"{parts_t[1]}/{slug}"
        return quote(posixpath.relpath(there, here) + "/index.html") + frag

    def _file_link(self, src_dir: str, raw: str, path: str, frag: str) -> str | None:
        """A link to (or image of) a file in the unit's folder: published beside the page."""
        shown = raw[:60]
        target, _ = confine(src_dir, path, self.unit_dir)
        if target is None:
            self._report(error, raw, f"链接“{shown}”指向本单位文件夹 {self.unit_dir}/ 以外的文件，不能发布。请把文件放在文章旁边。")
            return None
        found = lookup_file(self.files, target)
        if found is None:
            if target.rstrip("/") in (posixpath.dirname(p) for p in self.files):
                self._report(error, raw, f"链接“{shown}”指向一个文件夹，请链接到具体的文件或文章（.md）。")
            else:
                self._report(error, raw, f"链接或图片“{path}”不存在（应在 {target}）。请检查文件名和大小写。")
            return None
        target, facts = found
        name = unicodedata.normalize("NFC", posixpath.basename(target))
        why = self._unpublishable(target, path, name, facts.escapes)
        if why is not None:
            self._report(error, raw, why)
            return None
        if not any(a.source == target for a in (*self.post.attachments, *self.resources)):
            self.resources.append(Attachment(name, target, facts.size, _attachment_kind(name)))
        return quote(name) + frag

    def _unpublishable(self, target: str, path: str, name: str, escapes: bool) -> str | None:
        """Why an existing file cannot be published beside the page, or None."""
        post = self.post
        if escapes:
            return f"“{path}”是指向单位文件夹以外的链接（symlink），不能发布。"
        if att.is_active(name):
            return f"“{path}”是网页或脚本类文件（{att.extension(name)}），发布后会在本站运行，不能链接或插入。请转换为 PDF 或图片（JPG、PNG）。"
        if collision_key(name) == "index.html":
            return f"两个输出使用同一路径（不区分大小写）：文件 {target} 与文章页面 {post.unit}/{post.slug}/index.html。请给文件改名。"
        for a in (*post.attachments, *self.resources):
            if collision_key(a.name) == collision_key(name) and a.source != target:
                return f"两个文件同名“{name}”（{a.source} 与 {target}，不区分大小写），发布后会互相覆盖，请改名其中一个。"
        return None


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [c for c in value.split() if c in _ALLOWED_CLASSES]
        return " ".join(kept) or None
    if attribute == "id":
        # Keep ids Markdown made (headings, footnotes), namespaced by the theme's CSS.
        return value if re.match(r"^[\w:\-.]{1,80}$", value) else None
    return value


# The inline patterns this Python-Markdown registers with the extensions above, and
# what each needs in a text to match at all: ` or \\ (backtick, escape), [ (footnote,
# links, references, images), < (autolink, automail, raw HTML), two spaces before a
# line break, & (entity), * or _ (emphasis).
_INLINE_PATTERNS = frozenset(
    ["backtick", "escape", "footnote", "reference", "link", "image_link", "image_reference", "short_reference", "short_image_ref", "autolink", "automail", "linebreak", "html", "entity", "em_strong"]
)
_INLINE_TRIGGER = re.compile(r"[`\\\[<&*_]|  \n")


class _PlainTextSkippingInline(InlineProcessor):
    """Python-Markdown's inline pass, returning at once a text that holds no pattern's trigger.

    The stock pass tries each of the 15 patterns on every text of the tree in
    turn (a post has ~30 such texts, four in five of them plain Chinese prose):
    one search for any trigger decides what the 15 would, and the result is
    the same string the stock pass returns when nothing matches.
    """

    # (overrides the stock pass's name-mangled ``__handleInline``, which calls itself through it)
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if patternIndex == 0 and not isinstance(data, AtomicString) and _INLINE_TRIGGER.search(data) is None:
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)


def _skip_plain_text(md: markdown.Markdown) -> None:
    """Put `_PlainTextSkippingInline` in place of the inline pass, if the patterns are the ones its trigger covers.

    (Another Python-Markdown version, with other patterns, keeps the stock pass.)
    """
    if {item.name for item in md.inlinePatterns._priority} != _INLINE_PATTERNS:
        return
    priority = next(item.priority for item in md.treeprocessors._priority if item.name == "inline")
    md.treeprocessors.register(_PlainTextSkippingInline(md), "inline", priority)


class MarkupRenderer:
    """A configured Markdown converter; create one per process."""

    def __init__(self) -> None:
        # No attr_list / md_in_html: "{onclick=…}" and "{: style=…}" stay literal text.
        # Extension objects, not names: a name makes Python-Markdown list every installed
        # package's entry points first (~0.04 s of each build that parses a post).
        self._md = markdown.Markdown(
            extensions=[
                TableExtension(use_align_attribute=True),
                FencedCodeExtension(),
                # readers see this title on the ↩ link: Chinese, like every other label
                FootnoteExtension(BACKLINK_TITLE="返回正文中脚注 %d 的位置"),
                SaneListExtension(),
                TocExtension(slugify=slugify_unicode, toc_depth="2-4"),
            ],
            output_format="html",
        )
        _skip_plain_text(self._md)
        # One sanitiser for every body (`_sanitiser`); its attribute filter is the body's own
        # link rewriter, set for the length of one `render` (`_BodyFilter`).
        self._filter = _BodyFilter()
        self._sanitiser = _sanitiser(self._filter)

    def render(self, post: Post, files: dict[str, FileFacts]) -> tuple[RenderedBody, tuple[Attachment, ...], list[Problem]]:
        """(body, extra resources the body references, problems)."""
        unit_dir = "/".join(post.source.split("/")[:2])
        where = _Locator(post.body, post.body_line)
        self._md.reset()
        try:
            raw_html = self._md.convert(post.body)
            tokens = getattr(self._md, "toc_tokens", [])
            toc_html = getattr(self._md, "toc", "") if _count_tokens(tokens) >= TOC_MIN_HEADINGS else ""
        except RecursionError:
            self._md.reset()
            return RenderedBody("", "", ""), (), [error(post.source, post.body_line, "正文嵌套层数太多（例如上百层的 > 引用或列表缩进），无法转换为网页。请减少嵌套。")]
        except Exception as exc:
            self._md.reset()
            return RenderedBody("", "", ""), (), [error(post.source, post.body_line, f"正文无法转换为网页（{type(exc).__name__}）。请检查正文中不成对的符号，或把正文分成几段后逐段排查。")]
        problems = diagnose(raw_html, post.source, post.body, post.body_line)
        links = self._filter.links = _Links(post, unit_dir, files, where)
        try:
            body_html = self._sanitiser.clean(raw_html)
        finally:
            self._filter.links = None
        text = sanitised_text(body_html)
        problems.extend(links.problems)
        return RenderedBody(body_html, sanitize(toc_html) if toc_html else "", text, tuple(links.links)), tuple(links.resources), problems


def _count_tokens(tokens: list[dict]) -> int:
    return sum(1 + _count_tokens(t.get("children", [])) for t in tokens)


class _BodyFilter:
    """The body sanitiser's attribute filter: the link rewriter of the body being cleaned (`MarkupRenderer.render`).

    A holder of its own, not a method of the renderer: the sanitiser (Rust) holds
    its filter where the garbage collector cannot see, so a filter that led back
    to the renderer would keep every renderer alive (`BodyLoader` makes one per
    body it has to render again).
    """

    links: _Links | None = None

    def __call__(self, element: str, attribute: str, value: str) -> str | None:
        if self.links is None:  # (never: only `render` cleans with this sanitiser) an attribute dropped, not kept unchecked
            return None
        return self.links.filter(element, attribute, value)


# The allow-list policy (with `_filter_attribute` or a body's link rewriter as the attribute filter).
SANITISER_OPTIONS: dict[str, Any] = {
    "tags": ALLOWED_TAGS,
    "attributes": ALLOWED_ATTRIBUTES,
    "url_schemes": URL_SCHEMES,
    "link_rel": "noopener noreferrer",
    "strip_comments": True,
}


def _sanitiser(attribute_filter: Callable[[str, str, str], str | None]) -> nh3.Cleaner:
    """The allow-list sanitiser, configured once: ``nh3.clean`` turns the allow-lists into
    Rust's sets on every call (~20 µs of a post body's ~70, all of a table of contents' ~17)."""
    return nh3.Cleaner(attribute_filter=attribute_filter, **SANITISER_OPTIONS)


_SANITISER = _sanitiser(_filter_attribute)


def sanitize(fragment: str) -> str:
    """The allow-list sanitiser on its own (no link rewriting): safe HTML from any input."""
    return _SANITISER.clean(fragment)


# -- the text readers get (for the privacy scan) ---------------------------------

_PRE_RE = re.compile(r"<pre\b[^>]*>.*?</pre>", re.S)
# nh3 serialises every attribute in double quotes ('"' inside is &quot;)
_ATTRS = r'(?:[^>"]|"[^"]*")*'  # a tag's attributes: a double-quoted value may hold ">"
_TAG_RE = re.compile(rf"<(/?)([a-zA-Z][a-zA-Z0-9]*)({_ATTRS})>")
_SHOWN_ATTR_RE = re.compile(r'\b(?:title|alt|href|src)="([^"]*)"')
# Elements that end a line of text on screen: their boundaries are line breaks
# for the scan, so numbers in two table cells or two paragraphs never join.
_BLOCK_TAGS = frozenset(
    ["address", "article", "aside", "blockquote", "br", "caption", "col", "colgroup", "dd", "details", "div", "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"]
)


def reader_lines(fragment: str) -> list[str]:
    """The text a reader gets from sanitised HTML: one line per block, inline markup removed.

    What pages, feeds and search receive, for the privacy scan: inline tags
    vanish without a trace (``139<b>1234</b>5678`` reads 13912345678), entities
    are decoded once, whitespace inside a block is one space (a soft line break
    is a space on screen), and each block — paragraph, list item, table cell,
    code line — is its own line. The values a reader can also see or follow
    (``title``, ``alt``, ``href``, ``src``, percent-decoded too) are lines of
    their own. Comments are already gone: the sanitiser strips them.
    """

    def tag(m: re.Match[str]) -> str:
        attrs = m.group(3)
        shown = _SHOWN_ATTR_RE.findall(attrs) if '="' in attrs else []
        if shown:
            values = [*shown, *(unquote(v) for v in shown if "%" in v)]
            return "\x00" + "\x00".join(values) + "\x00"
        return "\x00" if m.group(2).lower() in _BLOCK_TAGS else ""

    text = _PRE_RE.sub(lambda m: m.group().replace("\n", "<br>"), fragment) if "<pre" in fragment else fragment
    text = html.unescape(_TAG_RE.sub(tag, text))
    return [" ".join(part.split()) for part in text.split("\x00") if part and not part.isspace()]


# A <pre> start tag with the line break right after it, which the HTML parser drops, or
# any other tag (`_TAG_RE`): one pass, so a "<pre" inside a quoted attribute value is
# part of its tag, never a tag of its own.
_TEXT_TAGS_RE = re.compile(rf"<pre(?=[\s>]){_ATTRS}>(?:\r\n|\r|\n)?|{_TAG_RE.pattern}")


def sanitised_text(fragment: str) -> str:
    """The text of HTML the sanitiser wrote: tags removed, entities decoded, whitespace runs one space.

    What a second nh3 pass keeping no tag gives, without parsing again (~30 µs a post
    instead of ~65). The sanitiser's output is well-formed: every ``<`` or ``>`` of
    the text is an entity, attribute values are in double quotes (``"`` inside is
    ``&quot;``), comments are gone, and no element whose content is dropped (script,
    style) is left; the parser's one rule that changes such text is the line break
    after <pre>. A test holds the two equal on generated HTML.
    """
    return " ".join(html.unescape(_TEXT_TAGS_RE.sub("", fragment)).split())


__all__ = ["MARKUP_VERSION", "MarkupRenderer", "diagnose", "reader_lines", "sanitised_text", "sanitize", "url_scheme"]
